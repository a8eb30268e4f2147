import assert from "node:assert/strict";
import { SnapshotError } from "../../lib/snapshot/format.ts";
import { loadSnapshot } from "../../lib/snapshot/loader.ts";
import { SnapshotWriter, writeSnapshotBytes } from "../../lib/snapshot/writer.ts";
import { DataTree } from "../../lib/tree/data_tree.ts";
import { treeDigest } from "../../lib/tree/digest.ts";
import type { Txn } from "../../lib/tree/txn.ts";
import { crc32 } from "../../lib/util/crc32.ts";
import { treeDifferences } from "./tree_compare.ts";
import { kindCounts, Workload } from "./workload.ts";
import { concatBytes } from "../../lib/util/bytes.ts";

const OPEN = [{ perms: 31, scheme: "world", id: "anyone" }];
const enc = new TextEncoder();

function sessionsOf(w: Workload): string {
  return JSON.stringify([...w.sessionMap()].map(([id, t]) => [id.toString(), t]));
}

/** A small tree with every node kind, null, empty and large data, and a non-ASCII path. */
function smallTree(): DataTree {
  const tree = new DataTree();
  let zxid = 0;
  const apply = (txn: Txn) => tree.apply({ sessionId: 5n, cxid: 0, zxid: ++zxid, timeMs: 9, txn });
  const create = (path: string, data: Uint8Array | null, ephemeralOwner = 0n) => {
    const parent = tree.get(path.slice(0, path.lastIndexOf("/")) || "/")!;
    apply({
      type: "create",
      path,
      data,
      acl: OPEN,
      ephemeralOwner,
      parentCversion: parent.cversion + 1,
    });
  };
  create("/a", null);
  create("/a/empty", new Uint8Array(0));
  create("/a/ünï", enc.encode("data"));
  create("/c", null, -0x8000000000000000n);
  create("/t", null, -0x100000000000000n | 5000n);
  create("/e", null, 77n);
  apply({
    type: "setACL",
    path: "/a",
    acl: [{ perms: 1, scheme: "ip", id: "10.0.0.0/8" }],
    version: 1,
  });
  apply({ type: "setData", path: "/", data: enc.encode("root data"), version: 1 });
  return tree;
}

Deno.test("loadSnapshot() rebuilds a random tree: same digest, indexes, sessions and zxid", () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const w = new Workload(seed);
    for (let i = 0; i < 3000; i++) w.step();
    w.drain();
    const bytes = writeSnapshotBytes(w.tree, w.sessions.all());
    const loaded = loadSnapshot(bytes);
    assert.equal(loaded.zxid, w.tree.lastZxid);
    assert.equal(loaded.bytes, bytes.byteLength);
    assert.equal(loaded.nodeRecords, w.tree.nodes.size);
    assert.deepEqual(treeDifferences(loaded.tree, w.tree), []);
    assert.equal(treeDigest(loaded.tree), treeDigest(w.tree));
    const got = JSON.stringify(loaded.sessions.map((s) => [s.id.toString(), s.timeoutMs]));
    assert.equal(got, sessionsOf(w));
    // Parents still precede children, so the loaded tree snapshots and loads again.
    const again = loadSnapshot(writeSnapshotBytes(loaded.tree, loaded.sessions));
    assert.deepEqual(treeDifferences(again.tree, w.tree), []);
  }
});

Deno.test("loadSnapshot() keeps null vs empty data, ACLs, kinds, root data, non-ASCII paths", () => {
  const tree = smallTree();
  const big = new Uint8Array(3 << 20); // spans several 1 MiB read windows
  for (let i = 0; i < big.length; i++) big[i] = i * 7;
  tree.apply({
    sessionId: 0n,
    cxid: 0,
    zxid: 99,
    timeMs: 10,
    txn: { type: "setData", path: "/a/empty", data: big, version: 1 },
  });
  const loaded = loadSnapshot(writeSnapshotBytes(tree, [{ id: 77n, timeoutMs: 4000 }]));
  assert.deepEqual(treeDifferences(loaded.tree, tree), []);
  assert.equal(loaded.tree.get("/a")!.data, null);
  assert.deepEqual(loaded.tree.get("/a/ünï")!.data, enc.encode("data"));
  assert.deepEqual(loaded.tree.get("/a")!.acl, [{ perms: 1, scheme: "ip", id: "10.0.0.0/8" }]);
  assert.deepEqual(kindCounts(loaded.tree), { persistent: 7, ephemeral: 1, container: 1, ttl: 1 });
  assert.deepEqual(loaded.sessions, [{ id: 77n, timeoutMs: 4000 }]);
  // ACL lists are interned again: equal lists share one frozen array.
  assert.equal(loaded.tree.get("/c")!.acl, loaded.tree.get("/e")!.acl);
});

Deno.test("SnapshotWriter slices: header first, trailer last, bounded by nodes and bytes", () => {
  const tree = smallTree();
  const writer = new SnapshotWriter(tree, []);
  const slices: Uint8Array[] = [];
  for (let s = writer.nextSlice(2, 1); s !== null; s = writer.nextSlice(2, 1)) slices.push(s);
  assert.ok(writer.done);
  assert.equal(writer.nextSlice(10), null);
  // maxBytes 1 cuts every slice after its first node; 10 nodes -> 10 slices + the trailer's.
  assert.equal(slices.length, tree.nodes.size + 1);
  assert.equal(writer.bytesWritten, slices.reduce((n, s) => n + s.byteLength, 0));
  assert.deepEqual(concatBytes(slices), writeSnapshotBytes(tree, []));
});

Deno.test("a fuzzy snapshot written while the tree changes loads, named after its start", () => {
  for (const seed of [11, 12, 13]) {
    const w = new Workload(seed);
    for (let i = 0; i < 2000; i++) w.step();
    const writer = new SnapshotWriter(w.tree, w.sessions.all());
    const startZxid = w.tree.lastZxid;
    const sessionsAtStart = sessionsOf(w);
    const slices: Uint8Array[] = [];
    for (let s = writer.nextSlice(3); s !== null; s = writer.nextSlice(3)) {
      slices.push(s);
      for (let i = 0; i < 5; i++) w.step();
    }
    const loaded = loadSnapshot(concatBytes(slices), `seed ${seed}`);
    assert.equal(loaded.zxid, startZxid);
    assert.ok(w.tree.lastZxid > startZxid, "txns were applied during the snapshot");
    const got = JSON.stringify(loaded.sessions.map((s) => [s.id.toString(), s.timeoutMs]));
    assert.equal(got, sessionsAtStart);
    // Structure holds: every loaded node's parent lists it.
    for (const path of loaded.tree.nodes.keys()) {
      if (path === "/") continue;
      const parent = path.slice(0, path.lastIndexOf("/")) || "/";
      assert.ok(loaded.tree.get(parent)!.children!.has(path.slice(path.lastIndexOf("/") + 1)));
    }
  }
});

function expectRejected(bytes: Uint8Array, what: string): SnapshotError {
  try {
    loadSnapshot(bytes, "snapshot.test");
  } catch (e) {
    assert.ok(e instanceof SnapshotError, `${what}: ${e}`);
    assert.match(e.message, /^snapshot snapshot\.test: .* at offset \d+$/s, what);
    assert.ok(e.offset >= 0 && e.offset <= bytes.byteLength, `${what}: offset ${e.offset}`);
    return e;
  }
  assert.fail(`${what}: accepted`);
}

Deno.test("loadSnapshot() rejects every single corrupted byte, naming file and offset", () => {
  const good = writeSnapshotBytes(smallTree(), [{ id: 77n, timeoutMs: 4000 }]);
  let checksumMentioned = 0;
  for (let at = 0; at < good.byteLength; at++) {
    for (const mask of [0x01, 0x80, 0xff]) {
      const bad = good.slice();
      bad[at] ^= mask;
      const e = expectRejected(bad, `byte ${at} ^ ${mask}`);
      if (e.message.includes("checksum mismatch")) checksumMentioned++;
    }
  }
  assert.ok(checksumMentioned > good.byteLength, "corruption is reported as a checksum mismatch");
});

Deno.test("loadSnapshot() rejects every truncation and trailing garbage", () => {
  const good = writeSnapshotBytes(smallTree(), []);
  for (let size = 0; size < good.byteLength; size++) {
    expectRejected(good.subarray(0, size), `truncated to ${size}`);
  }
  const longer = new Uint8Array(good.byteLength + 7);
  longer.set(good);
  expectRejected(longer, "7 zero bytes appended");
});

/** Recomputes the trailer's CRC, so only the structural damage remains. */
function resign(bytes: Uint8Array): Uint8Array {
  const crcAt = bytes.byteLength - 8;
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(crcAt, crc32(bytes.subarray(0, crcAt)));
  return bytes;
}

Deno.test("loadSnapshot() rejects a well-checksummed file whose structure is wrong", () => {
  // A child before its parent.
  const tree = new DataTree();
  const root = tree.get("/")!;
  tree.nodes.delete("/");
  tree.nodes.set("/", root);
  const e = expectRejected(writeSnapshotBytes(tree, []), "child first");
  assert.match(e.message, /\/zookeeper comes before its parent at offset 20$/);
  assert.doesNotMatch(e.message, /checksum/);

  const good = writeSnapshotBytes(new DataTree(), []);
  assert.doesNotThrow(() => loadSnapshot(resign(good.slice())));
  const version = good.slice();
  version[7] = 9;
  assert.match(expectRejected(resign(version), "version").message, /format version 9 at offset 4/);
  const magic = good.slice();
  magic[0] = 0;
  assert.match(expectRejected(resign(magic), "magic").message, /bad magic/);
  // The first node's aclRef (after header 16, sessions 4, path "/" 5, data 4 = offset 29).
  const aclRef = good.slice();
  aclRef[32] = 9;
  assert.match(expectRejected(resign(aclRef), "aclRef").message, /ACL ref 9 not in the table/);
  // The record count in the trailer.
  const count = good.slice();
  count[count.byteLength - 9] ^= 1;
  assert.match(expectRejected(resign(count), "count").message, /the trailer says/);
});
