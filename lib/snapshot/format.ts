/**
 * The zkd snapshot file format (jute encoding: big-endian, length-prefixed strings and
 * buffers, -1 for null). Not ZooKeeper's format: ours is written in one pass while the tree
 * keeps changing, so the ACL table comes after the nodes (an ACL may first appear mid-way)
 * and a fixed-size trailer at the end says where that table starts.
 *
 *   header    int magic "ZKDS", int formatVersion, long zxid (tree.lastZxid at the start)
 *   sessions  int count, count x {long sessionId, int timeoutMs}   (as of the start)
 *   nodes     records in the tree Map's insertion order, parents before children:
 *               ustring path, buffer data, int aclRef,
 *               long czxid, long mzxid, long pzxid, long ctimeMs, long mtimeMs,
 *               int version, int cversion (persisted), int aversion, long ephemeralOwner
 *             a path that was deleted and re-created while writing may appear twice: the
 *             loader keeps the last record; ends with a path of length -1
 *   acls      int count, count x vector<{int perms, ustring scheme, ustring id}>; aclRef i
 *             is the i-th entry
 *   trailer   long aclTableOffset, long nodeRecords, int crc32, int magic "ZKDE"
 *
 * crc32 (lib/util/crc32.ts) covers every byte before it. The trailer has a fixed size so a
 * reader finds the ACL table first and can check that a file is complete from its last bytes.
 */

import { OperatorError } from "../util/operator_error.ts";

export const SNAPSHOT_MAGIC = 0x5a4b4453; // "ZKDS"
export const SNAPSHOT_END_MAGIC = 0x5a4b4445; // "ZKDE"
export const SNAPSHOT_FORMAT_VERSION = 1;
export const HEADER_BYTES = 4 + 4 + 8;
export const TRAILER_BYTES = 8 + 8 + 4 + 4;
/** Node record bytes besides path and data: the two length prefixes, aclRef and the stat. */
export const NODE_FIXED_BYTES = 4 + 4 + 4 + 5 * 8 + 3 * 4 + 8;
/** The path length that ends the node list. */
export const END_OF_NODES = -1;

/** A session as a snapshot records it. */
export interface SnapshotSession {
  id: bigint;
  timeoutMs: number;
}

/** A snapshot that fails validation; the caller falls back to an older one. */
export class SnapshotError extends OperatorError {
  override name = "SnapshotError";
  readonly file: string;
  readonly offset: number;
  /** The problem, without the file and offset. */
  readonly what: string;

  constructor(file: string, offset: number, what: string) {
    super(`snapshot ${file}: ${what} at offset ${offset}`);
    this.file = file;
    this.offset = offset;
    this.what = what;
  }
}
