/**
 * SnapshotWriter: serialises a DataTree into the snapshot format (format.ts) slice by slice,
 * synchronously, while the tree keeps changing between slices. The caller (the server shell)
 * writes each slice to the temp file and yields to the event loop in between, so requests
 * keep flowing during a 1M-node snapshot.
 *
 * Why a fuzzy snapshot is still correct: the header carries tree.lastZxid at construction
 * (S); every txn applied afterwards has a larger zxid and is replayed over the loaded
 * snapshot, and DataTree.apply is idempotent (zk-protocol.md §12.3). Nodes come from a live
 * Map iterator: JS Map iterators visit entries added after they were created and skip ones
 * deleted before they are reached, and a node re-created during the snapshot is re-inserted
 * at the end of the Map, so it may be written twice (the loader keeps the last record).
 * A parent always precedes its children in the Map (a child needs its parent to exist, and a
 * parent can only be re-inserted after all its children are gone), so the same holds in the
 * file. Sessions are copied at construction: they are the session table as of S.
 */

import type { Acl } from "../proto/records.ts";
import { JuteWriter } from "../proto/jute.ts";
import type { DataTree, ZNode } from "../tree/data_tree.ts";
import { assert } from "../util/assert.ts";
import { crc32 } from "../util/crc32.ts";
import {
  END_OF_NODES,
  SNAPSHOT_END_MAGIC,
  SNAPSHOT_FORMAT_VERSION,
  SNAPSHOT_MAGIC,
  type SnapshotSession,
} from "./format.ts";

/** Default upper bound on one slice, so a few huge znodes cannot make a huge slice. */
export const DEFAULT_SLICE_BYTES_MAX = 1 << 20;

export class SnapshotWriter {
  /** The zxid the snapshot is named after: the last txn applied when it started. */
  readonly zxid: number;
  readonly #sessions: SnapshotSession[];
  readonly #nodes: Iterator<[string, ZNode]>;
  readonly #out = new JuteWriter(64 * 1024);
  /** Identity of an interned ACL list -> its ref in the table written at the end. */
  readonly #aclRefs = new Map<readonly Acl[], number>();
  readonly #aclTable: (readonly Acl[])[] = [];
  #started = false;
  #done = false;
  #crc = 0;
  #bytes = 0;
  #nodeRecords = 0;

  constructor(tree: DataTree, sessions: Iterable<Readonly<SnapshotSession>>) {
    this.zxid = tree.lastZxid;
    this.#sessions = [];
    for (const s of sessions) this.#sessions.push({ id: s.id, timeoutMs: s.timeoutMs });
    this.#nodes = tree.nodes.entries();
  }

  /** True once the trailer has been produced. */
  get done(): boolean {
    return this.#done;
  }

  /** Bytes produced so far (the file size once done). */
  get bytesWritten(): number {
    return this.#bytes;
  }

  /** Node records produced so far (a re-created node counts each time it is written). */
  get nodeRecords(): number {
    return this.#nodeRecords;
  }

  /**
   * The next chunk of the file: up to `maxNodes` node records (at least one) and, past that,
   * no more once the slice holds `maxBytes`; the first slice starts with the header and the
   * sessions, the last one ends with the ACL table and the trailer. Returns null after the
   * last slice. The returned bytes are the caller's to keep.
   */
  nextSlice(maxNodes: number, maxBytes = DEFAULT_SLICE_BYTES_MAX): Uint8Array | null {
    assert(maxNodes >= 1, `nextSlice: maxNodes ${maxNodes} must be at least 1`);
    if (this.#done) return null;
    const w = this.#out;
    w.reset();
    if (!this.#started) {
      this.#started = true;
      w.int(SNAPSHOT_MAGIC).int(SNAPSHOT_FORMAT_VERSION).long(this.zxid);
      w.int(this.#sessions.length);
      for (const s of this.#sessions) w.longBig(s.id).int(s.timeoutMs);
    }
    let written = 0;
    for (;;) {
      if (written >= maxNodes || (written > 0 && w.offset >= maxBytes)) {
        return this.#emit(w.toBytes());
      }
      const next = this.#nodes.next();
      if (next.done) break;
      this.#writeNode(w, next.value[0], next.value[1]);
      written++;
    }
    // The tree is exhausted: close the node list, write the ACL table and the trailer.
    w.int(END_OF_NODES);
    const aclTableOffset = this.#bytes + w.offset;
    w.int(this.#aclTable.length);
    for (const acl of this.#aclTable) {
      w.int(acl.length);
      for (const a of acl) w.int(a.perms).ustring(a.scheme).ustring(a.id);
    }
    w.long(aclTableOffset).long(this.#nodeRecords);
    const crc = crc32(w.view(), this.#crc);
    w.int(crc | 0).int(SNAPSHOT_END_MAGIC);
    this.#done = true;
    const last = w.toBytes();
    this.#bytes += last.byteLength;
    this.#crc = crc;
    return last;
  }

  #emit(slice: Uint8Array): Uint8Array {
    this.#crc = crc32(slice, this.#crc);
    this.#bytes += slice.byteLength;
    return slice;
  }

  #writeNode(w: JuteWriter, path: string, node: ZNode): void {
    let aclRef = this.#aclRefs.get(node.acl);
    if (aclRef === undefined) {
      aclRef = this.#aclTable.length;
      this.#aclTable.push(node.acl);
      this.#aclRefs.set(node.acl, aclRef);
    }
    w.ustring(path).buffer(node.data).int(aclRef);
    w.long(node.czxid).long(node.mzxid).long(node.pzxid).long(node.ctimeMs).long(node.mtimeMs);
    w.int(node.version).int(node.cversion).int(node.aversion).longBig(node.ephemeralOwner);
    this.#nodeRecords++;
  }
}

/** The whole snapshot in one buffer, written in one go (tests, tools, small trees). */
export function writeSnapshotBytes(
  tree: DataTree,
  sessions: Iterable<Readonly<SnapshotSession>>,
): Uint8Array {
  const writer = new SnapshotWriter(tree, sessions);
  const slices: Uint8Array[] = [];
  let total = 0;
  for (let s = writer.nextSlice(4096); s !== null; s = writer.nextSlice(4096)) {
    slices.push(s);
    total += s.byteLength;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const s of slices) {
    out.set(s, at);
    at += s.byteLength;
  }
  return out;
}
