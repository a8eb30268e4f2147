import assert from "node:assert/strict";
import { DataTree, type ZNode } from "../../lib/tree/data_tree.ts";
import { nodeDigest, treeDigest } from "../../lib/tree/digest.ts";
import type { Txn } from "../../lib/tree/txn.ts";
import { crc32 } from "../../lib/util/crc32.ts";

const OPEN = [{ perms: 31, scheme: "world", id: "anyone" }];
const enc = new TextEncoder();

function build(paths: string[]): DataTree {
  const tree = new DataTree();
  for (const path of paths) {
    const parent = path.slice(0, path.lastIndexOf("/")) || "/";
    const txn: Txn = {
      type: "create",
      path,
      data: enc.encode(path),
      acl: OPEN,
      ephemeralOwner: 0n,
      parentCversion: tree.get(parent)!.cversion + 1,
    };
    // Same zxid and time per path whatever the order, so only the Map order differs.
    tree.apply({ sessionId: 0n, cxid: 0, zxid: path.length, timeMs: 7, txn });
  }
  return tree;
}

Deno.test("treeDigest() does not depend on the order nodes were inserted", () => {
  const a = build(["/a", "/b", "/c", "/a/x"]);
  const b = build(["/c", "/b", "/a", "/a/x"]);
  assert.notDeepEqual([...a.nodes.keys()], [...b.nodes.keys()]);
  assert.equal(treeDigest(a), treeDigest(b));
  assert.notEqual(treeDigest(a), treeDigest(new DataTree()));
});

Deno.test("treeDigest() changes with every persisted field, null vs empty data and the ACL", () => {
  const tree = build(["/a"]);
  const base = treeDigest(tree);
  const node = tree.get("/a")!;
  const mutations: Array<[string, (n: ZNode) => void]> = [
    ["data null", (n) => n.data = null],
    ["data empty", (n) => n.data = new Uint8Array(0)],
    ["data byte", (n) => n.data = enc.encode("/b")],
    ["acl", (n) => n.acl = [{ perms: 1, scheme: "world", id: "anyone" }]],
    ["czxid", (n) => n.czxid++],
    ["mzxid", (n) => n.mzxid++],
    ["pzxid", (n) => n.pzxid += 2 ** 40],
    ["ctime", (n) => n.ctimeMs++],
    ["mtime", (n) => n.mtimeMs++],
    ["version", (n) => n.version++],
    ["cversion", (n) => n.cversion++],
    ["aversion", (n) => n.aversion++],
    ["ephemeralOwner", (n) => n.ephemeralOwner = -0x8000000000000000n],
    ["numChildren", (n) => n.children = new Set(["ghost"])],
  ];
  const seen = new Set<bigint>([base]);
  for (const [what, mutate] of mutations) {
    const saved = { ...node, children: node.children };
    mutate(node);
    const d = treeDigest(tree);
    assert.ok(!seen.has(d), `changing ${what} must change the digest`);
    seen.add(d);
    Object.assign(node, saved);
    assert.equal(treeDigest(tree), base, `restoring ${what}`);
  }
});

Deno.test("treeDigest() skips /zookeeper/ but counts the root and /zookeeper itself", () => {
  const tree = new DataTree();
  const base = treeDigest(tree);
  tree.get("/zookeeper/config")!.data = enc.encode("server.1=x");
  assert.equal(treeDigest(tree), base);
  tree.get("/zookeeper")!.version = 5;
  assert.notEqual(treeDigest(tree), base);
  tree.get("/zookeeper")!.version = 0;
  tree.get("/")!.mzxid = 3;
  assert.notEqual(treeDigest(tree), base);
});

Deno.test("treeDigest() is the 64-bit sum of per-node CRC-32s over path, length, data, stat", () => {
  const tree = build(["/é"]); // a non-ASCII path goes through the UTF-8 encoder
  let sum = 0n;
  for (const [path, node] of tree.nodes) {
    if (!path.startsWith("/zookeeper/")) sum += BigInt(nodeDigest(path, node));
  }
  assert.equal(treeDigest(tree), sum);
  // The root hashes as "" (ZooKeeper's convention): recompute it by hand.
  const root = tree.get("/")!;
  const block = new DataView(new ArrayBuffer(4 + 68));
  block.setInt32(0, root.data!.byteLength);
  block.setBigInt64(4 + 40, root.ephemeralOwner);
  for (const [i, v] of [root.czxid, root.mzxid, root.pzxid, root.ctimeMs, root.mtimeMs].entries()) {
    block.setBigInt64(4 + 8 * i, BigInt(v));
  }
  block.setInt32(4 + 48, root.version);
  block.setInt32(4 + 52, root.cversion);
  block.setInt32(4 + 56, root.aversion);
  block.setInt32(4 + 60, root.numChildren);
  block.setInt32(4 + 64, crc32(enc.encode("31\u0000world\u0000anyone\u0001")));
  assert.equal(nodeDigest("/", root), crc32(new Uint8Array(block.buffer)));
});
