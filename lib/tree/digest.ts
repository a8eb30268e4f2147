/**
 * The tree digest: one 64-bit number that changes when any znode outside /zookeeper/ changes
 * in any field a client can observe. It is the wrapping sum of a CRC-32 per node, as in
 * ZooKeeper's DigestCalculator, so it does not depend on the order nodes are visited in (a
 * recovered tree and the live one hold the same nodes in different Map orders).
 *
 * Per node the CRC runs over: the path's UTF-8 bytes ("/" hashed as "", as ZooKeeper), the
 * data length (-1 for null, so null and empty data differ, which ZooKeeper's digest does not
 * tell apart), the data, then a block of czxid, mzxid, pzxid, ctime, mtime, ephemeralOwner
 * (longs), version, persisted cversion, aversion, numChildren and a CRC of the ACL list
 * (ints). The ACL and numChildren terms are zkd's additions: recovery must restore them too.
 * So this is zkd's own consistency check, not a value comparable with ZooKeeper's.
 *
 * Nodes under "/zookeeper/" are skipped (as ZooKeeper skips them: they are per-server).
 */

import type { Acl } from "../proto/records.ts";
import { crc32 } from "../util/crc32.ts";
import type { DataTree, ZNode } from "./data_tree.ts";

const TWO_POW_32 = 4294967296;
/** Sums of CRCs stay exact in a double below 2^53: flush to the bigint every 2^20 nodes. */
const FLUSH_EVERY_NODES = 1 << 20;
const STAT_BLOCK_BYTES = 6 * 8 + 5 * 4;
const SYSTEM_PREFIX = "/zookeeper/";

/** Reused scratch space: path bytes, the data-length field, then the stat block. */
let scratch = new Uint8Array(256);
let scratchView = new DataView(scratch.buffer);
const encoder = new TextEncoder();

function ensureScratch(bytes: number): void {
  if (bytes <= scratch.byteLength) return;
  let size = scratch.byteLength * 2;
  while (size < bytes) size *= 2;
  scratch = new Uint8Array(size);
  scratchView = new DataView(scratch.buffer);
}

function putLong(at: number, v: number | bigint): void {
  if (typeof v === "bigint") {
    scratchView.setBigInt64(at, BigInt.asIntN(64, v));
    return;
  }
  const hi = Math.floor(v / TWO_POW_32);
  scratchView.setInt32(at, hi);
  scratchView.setUint32(at + 4, v - hi * TWO_POW_32);
}

/** Writes the path's UTF-8 bytes at offset 0 and returns their length. */
function putPath(path: string): number {
  if (path === "/") return 0;
  ensureScratch(path.length * 3 + 4 + STAT_BLOCK_BYTES);
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c >= 0x80) return encoder.encodeInto(path, scratch).written;
    scratch[i] = c;
  }
  return path.length;
}

/** CRC-32 of an ACL list (perms, scheme, id of each entry). */
export function aclDigest(acl: readonly Acl[]): number {
  let key = "";
  for (const a of acl) key += `${a.perms}\u0000${a.scheme}\u0000${a.id}\u0001`;
  return crc32(encoder.encode(key));
}

/** The CRC-32 of one node (see the module comment for what it covers). */
export function nodeDigest(path: string, node: ZNode, aclCrc = aclDigest(node.acl)): number {
  const pathBytes = putPath(path);
  scratchView.setInt32(pathBytes, node.data === null ? -1 : node.data.byteLength);
  let crc = crc32(scratch, 0, 0, pathBytes + 4);
  if (node.data !== null) crc = crc32(node.data, crc);
  const s = pathBytes + 4;
  putLong(s, node.czxid);
  putLong(s + 8, node.mzxid);
  putLong(s + 16, node.pzxid);
  putLong(s + 24, node.ctimeMs);
  putLong(s + 32, node.mtimeMs);
  putLong(s + 40, node.ephemeralOwner);
  scratchView.setInt32(s + 48, node.version);
  scratchView.setInt32(s + 52, node.cversion);
  scratchView.setInt32(s + 56, node.aversion);
  scratchView.setInt32(s + 60, node.numChildren);
  scratchView.setInt32(s + 64, aclCrc);
  return crc32(scratch, crc, s, s + STAT_BLOCK_BYTES);
}

/** Order-independent digest of every node outside /zookeeper/, as an unsigned 64-bit value. */
export function treeDigest(tree: DataTree): bigint {
  // ACL lists are interned, so a per-call identity cache computes each list's CRC once.
  const aclCrcs = new Map<readonly Acl[], number>();
  let total = 0n;
  let pending = 0;
  let pendingNodes = 0;
  for (const [path, node] of tree.nodes) {
    if (path.startsWith(SYSTEM_PREFIX)) continue;
    let aclCrc = aclCrcs.get(node.acl);
    if (aclCrc === undefined) aclCrcs.set(node.acl, aclCrc = aclDigest(node.acl));
    pending += nodeDigest(path, node, aclCrc);
    if (++pendingNodes === FLUSH_EVERY_NODES) {
      total += BigInt(pending);
      pending = 0;
      pendingNodes = 0;
    }
  }
  return BigInt.asUintN(64, total + BigInt(pending));
}
