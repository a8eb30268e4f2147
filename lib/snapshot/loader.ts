/**
 * loadSnapshot(): rebuilds a DataTree from a snapshot file (format.ts), validating as it goes:
 * magic, version, structure (every node after its parent, ACL refs in range, the node list
 * ending where the ACL table starts, the record count) and the CRC-32 over the whole file.
 * Any failure is a SnapshotError naming the file and the offset, and the caller falls back
 * to an older snapshot: a bad snapshot is never half-loaded into a running server.
 *
 * It rebuilds what the file does not store: children sets, the ephemeral, container and TTL
 * indexes, approximateDataBytes and ACL interning. Small data buffers share slabs
 * (byte_slab.ts). A path that appears twice (re-created
 * while a fuzzy snapshot was written) takes the last record's fields but keeps its first
 * position in the Map, which keeps parents before children for the next snapshot.
 */

import type { Acl } from "../proto/records.ts";
import { DecodeError, JuteReader } from "../proto/jute.ts";
import { DataTree, ZNode } from "../tree/data_tree.ts";
import { kindOf } from "../tree/node_kind.ts";
import { baseName, invalidPathReason, parentOf } from "../tree/path.ts";
import type { StorageFile } from "../storage/storage.ts";
import { crc32 } from "../util/crc32.ts";
import { ByteSlab } from "./byte_slab.ts";
import { type ByteSource, bytesSource, ChunkReader } from "./chunk_reader.ts";

export type { ByteSource };
import {
  HEADER_BYTES,
  SNAPSHOT_END_MAGIC,
  SNAPSHOT_FORMAT_VERSION,
  SNAPSHOT_MAGIC,
  SnapshotError,
  type SnapshotSession,
  TRAILER_BYTES,
} from "./format.ts";

export interface LoadedSnapshot {
  tree: DataTree;
  /** Sessions as of the snapshot's zxid, in the order they were written. */
  sessions: SnapshotSession[];
  /** The zxid the snapshot started at: replay the log from zxid + 1. */
  zxid: number;
  /** Node records in the file (a node re-created while it was written counts twice). */
  nodeRecords: number;
  /** File size. */
  bytes: number;
  /** The CRC-32 stored in (and verified against) the file. */
  crc: number;
}

/** Smallest possible file: header, no sessions, end of nodes, empty ACL table, trailer. */
const MIN_FILE_BYTES = HEADER_BYTES + 4 + 4 + 4 + TRAILER_BYTES;

function hex32(v: number): string {
  return "0x" + (v >>> 0).toString(16).padStart(8, "0");
}

/**
 * Loads and validates a snapshot from a file (a StorageFile, or any ByteSource such as a
 * read-only file in a tool) or from bytes. `file` names it in errors (defaults to the
 * StorageFile's path, or "<bytes>").
 */
export function loadSnapshot(
  source: Uint8Array | StorageFile | ByteSource,
  file?: string,
): LoadedSnapshot {
  const name = file ??
    ("path" in source && typeof source.path === "string" ? source.path : "<bytes>");
  const bytes = source instanceof Uint8Array ? bytesSource(source) : source;
  const size = bytes.size();
  if (size < MIN_FILE_BYTES) {
    throw new SnapshotError(name, size, `file too short (${size} bytes) to be a snapshot`);
  }
  const trailerAt = size - TRAILER_BYTES;
  const trailer = new JuteReader(bytes.readAt(trailerAt, TRAILER_BYTES));
  const aclTableOffset = trailer.long();
  const nodeRecords = trailer.long();
  const storedCrc = trailer.int() >>> 0;
  if (trailer.int() !== SNAPSHOT_END_MAGIC) {
    throw new SnapshotError(
      name,
      size - 4,
      "no end marker: the file is truncated or not a snapshot",
    );
  }
  try {
    return parse(bytes, name, size, aclTableOffset, nodeRecords, storedCrc);
  } catch (e) {
    if (!(e instanceof SnapshotError) || e.what.startsWith("checksum mismatch")) throw e;
    // A structural error in a file whose checksum is also wrong is corruption: say so.
    const crc = fileCrc(bytes, trailerAt + 16);
    if (crc === storedCrc) throw e;
    throw new SnapshotError(
      name,
      e.offset,
      `${e.what} (and checksum mismatch: stored ${hex32(storedCrc)}, computed ${hex32(crc)})`,
    );
  }
}

function fileCrc(source: ByteSource, end: number): number {
  let crc = 0;
  const step = 1 << 20;
  for (let at = 0; at < end; at += step) {
    crc = crc32(source.readAt(at, Math.min(step, end - at)), crc);
  }
  return crc;
}

function parse(
  source: ByteSource,
  file: string,
  size: number,
  aclTableOffset: number,
  nodeRecordsStored: number,
  storedCrc: number,
): LoadedSnapshot {
  const trailerAt = size - TRAILER_BYTES;
  if (aclTableOffset < HEADER_BYTES + 8 || aclTableOffset > trailerAt - 4) {
    throw new SnapshotError(file, trailerAt, `ACL table offset ${aclTableOffset} out of range`);
  }
  const tree = new DataTree();
  const acls = readAclTable(source, file, aclTableOffset, trailerAt, tree);

  // The CRC covers everything before the crc field: the trailer's first two longs included.
  const r: ChunkReader = new ChunkReader(source, file, trailerAt + 16);
  if (r.int() !== SNAPSHOT_MAGIC) r.fail("bad magic (not a zkd snapshot)", 0);
  const version = r.int();
  if (version !== SNAPSHOT_FORMAT_VERSION) r.fail(`unsupported format version ${version}`, 4);
  const zxid = r.long();
  if (zxid < 0) r.fail(`negative zxid ${zxid}`, 8);

  const sessionCountAt = r.offset;
  const sessionCount = r.int();
  if (sessionCount < 0 || sessionCount * 12 > aclTableOffset - r.offset) {
    r.fail(`session count ${sessionCount} out of range`, sessionCountAt);
  }
  const sessions: SnapshotSession[] = [];
  for (let i = 0; i < sessionCount; i++) sessions.push({ id: r.longBig(), timeoutMs: r.int() });

  // Start from an empty tree: the file holds the root and the system nodes too.
  tree.nodes.clear();
  tree.approximateDataBytes = 0;
  let nodeRecords = 0;
  const slab = new ByteSlab();
  let lastParentPath = "";
  let lastParent: ZNode | undefined;
  for (;;) {
    const at = r.offset;
    const path = r.ustring("path");
    if (path === null) break; // END_OF_NODES
    const data = r.buffer("data", slab);
    const aclRef = r.int();
    if (aclRef < 0 || aclRef >= acls.length) r.fail(`${path}: ACL ref ${aclRef} not in the table`);
    const czxid = r.long();
    const mzxid = r.long();
    const pzxid = r.long();
    const ctimeMs = r.long();
    const mtimeMs = r.long();
    const version = r.int();
    const cversion = r.int();
    const aversion = r.int();
    const owner = r.longBig();
    nodeRecords++;

    let node = tree.nodes.get(path);
    if (node !== undefined) {
      unindex(tree, path, node);
      node.data = data;
      node.acl = acls[aclRef];
      node.ephemeralOwner = owner;
    } else {
      const reason = invalidPathReason(path);
      if (reason !== null) r.fail(`invalid path ${JSON.stringify(path)}: ${reason}`, at);
      node = new ZNode(data, acls[aclRef], czxid, ctimeMs, owner);
      if (path !== "/") {
        // Siblings usually follow each other: reuse the last parent instead of a lookup.
        const parentPath = parentOf(path);
        if (parentPath !== lastParentPath) {
          lastParent = tree.nodes.get(parentPath);
          lastParentPath = parentPath;
        }
        const parent = lastParent;
        if (parent === undefined) r.fail(`${path} comes before its parent`, at);
        (parent.children ??= new Set()).add(baseName(path));
      }
      tree.nodes.set(path, node);
    }
    node.czxid = czxid;
    node.mzxid = mzxid;
    node.pzxid = pzxid;
    node.ctimeMs = ctimeMs;
    node.mtimeMs = mtimeMs;
    node.version = version;
    node.cversion = cversion;
    node.aversion = aversion;
    index(tree, path, node);
  }
  if (r.offset !== aclTableOffset) {
    r.fail(`node list ends at ${r.offset} but the ACL table starts at ${aclTableOffset}`);
  }
  if (!tree.nodes.has("/")) r.fail("no root node", HEADER_BYTES);
  if (nodeRecords !== nodeRecordsStored) {
    r.fail(`${nodeRecords} node records, the trailer says ${nodeRecordsStored}`, trailerAt + 8);
  }
  r.skipTo(trailerAt + 16);
  if (r.crc !== storedCrc) {
    r.fail(
      `checksum mismatch: stored ${hex32(storedCrc)}, computed ${hex32(r.crc)}`,
      trailerAt + 16,
    );
  }
  tree.lastZxid = zxid;
  return { tree, sessions, zxid, nodeRecords, bytes: size, crc: storedCrc };
}

/** Reads the ACL table (small, at the end of the file) and interns every list in the tree. */
function readAclTable(
  source: ByteSource,
  file: string,
  start: number,
  end: number,
  tree: DataTree,
): (readonly Acl[])[] {
  const r = new JuteReader(source.readAt(start, end - start));
  const out: (readonly Acl[])[] = [];
  try {
    const count = r.vectorLength();
    for (let i = 0; i < count; i++) {
      const n = r.vectorLength();
      if (n < 0) throw new DecodeError(`ACL list ${i} has length ${n}`);
      const acl: Acl[] = [];
      for (let j = 0; j < n; j++) {
        acl.push({ perms: r.int(), scheme: r.string(), id: r.string() });
      }
      out.push(tree.aclCache.intern(acl));
    }
  } catch (e) {
    if (e instanceof DecodeError) {
      throw new SnapshotError(file, start + r.offset, `ACL table: ${e.message}`);
    }
    throw e;
  }
  if (r.remaining !== 0) {
    throw new SnapshotError(
      file,
      start + r.offset,
      `${r.remaining} stray bytes after the ACL table`,
    );
  }
  return out;
}

/** Adds a node to the derived indexes (the file stores only the nodes). */
function index(tree: DataTree, path: string, node: ZNode): void {
  tree.approximateDataBytes += (path === "/" ? 0 : path.length) + (node.data?.byteLength ?? 0);
  const owner = node.ephemeralOwner;
  switch (kindOf(owner)) {
    case "ephemeral": {
      let set = tree.ephemerals.get(owner);
      if (set === undefined) tree.ephemerals.set(owner, set = new Set());
      set.add(path);
      return;
    }
    case "container":
      tree.containers.add(path);
      return;
    case "ttl":
      tree.ttlNodes.add(path);
      return;
    case "persistent":
      return;
  }
}

/** Undoes index() before a later record of the same path replaces the node's fields. */
function unindex(tree: DataTree, path: string, node: ZNode): void {
  tree.approximateDataBytes -= (path === "/" ? 0 : path.length) + (node.data?.byteLength ?? 0);
  const owner = node.ephemeralOwner;
  switch (kindOf(owner)) {
    case "ephemeral": {
      const set = tree.ephemerals.get(owner);
      set?.delete(path);
      if (set?.size === 0) tree.ephemerals.delete(owner);
      return;
    }
    case "container":
      tree.containers.delete(path);
      return;
    case "ttl":
      tree.ttlNodes.delete(path);
      return;
    case "persistent":
      return;
  }
}
