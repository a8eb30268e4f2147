/**
 * Structural comparison of two trees, for recovery tests: the digest alone covers what
 * clients see per node; this also checks what the tree derives (children sets, the
 * ephemeral/container/TTL indexes, approximateDataBytes) and names the first differences.
 */

import type { DataTree, ZNode } from "../../lib/tree/data_tree.ts";
import { treeDigest } from "../../lib/tree/digest.ts";
import { crc32 } from "../../lib/util/crc32.ts";

function sameBytes(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

function describe(n: ZNode): string {
  return JSON.stringify({
    data: n.data === null ? null : `${n.data.byteLength} bytes, crc ${crc32(n.data)}`,
    acl: n.acl,
    czxid: n.czxid,
    mzxid: n.mzxid,
    pzxid: n.pzxid,
    ctime: n.ctimeMs,
    mtime: n.mtimeMs,
    version: n.version,
    cversion: n.cversion,
    aversion: n.aversion,
    owner: n.ephemeralOwner.toString(),
    children: n.children === null ? [] : [...n.children].sort(),
  });
}

/** Differences between `got` and `want`, at most `limit` of them; [] when equal. */
export function treeDifferences(got: DataTree, want: DataTree, limit = 10): string[] {
  const out: string[] = [];
  const add = (s: string) => {
    if (out.length < limit) out.push(s);
  };
  for (const [path, w] of want.nodes) {
    const g = got.nodes.get(path);
    if (g === undefined) {
      add(`missing ${path}`);
      continue;
    }
    const ok = sameBytes(g.data, w.data) && JSON.stringify(g.acl) === JSON.stringify(w.acl) &&
      describe(g) === describe(w);
    if (!ok) add(`${path}: got ${describe(g)}\n   want ${describe(w)}`);
  }
  for (const path of got.nodes.keys()) if (!want.nodes.has(path)) add(`extra ${path}`);
  const sets = (t: DataTree) =>
    JSON.stringify({
      ephemerals: [...t.ephemerals].map(([id, s]) => [id.toString(), [...s].sort()]).sort(),
      containers: [...t.containers].sort(),
      ttl: [...t.ttlNodes].sort(),
    });
  if (sets(got) !== sets(want)) add(`indexes: got ${sets(got)}\n   want ${sets(want)}`);
  if (got.approximateDataBytes !== want.approximateDataBytes) {
    add(`approximateDataBytes: got ${got.approximateDataBytes}, want ${want.approximateDataBytes}`);
  }
  if (got.lastZxid !== want.lastZxid) add(`lastZxid: got ${got.lastZxid}, want ${want.lastZxid}`);
  if (out.length === 0 && treeDigest(got) !== treeDigest(want)) {
    add(`digest differs although every node compares equal (digest bug?)`);
  }
  return out;
}
