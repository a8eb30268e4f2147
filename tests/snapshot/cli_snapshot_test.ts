import assert from "node:assert/strict";
import { runSnapshot } from "../../lib/cli/snapshot.ts";
import { UsageError } from "../../lib/cli/usage_error.ts";
import { saveSnapshot } from "../../lib/snapshot/files.ts";
import { DenoStorage } from "../../lib/storage/deno_storage.ts";
import { DataTree } from "../../lib/tree/data_tree.ts";
import type { Txn } from "../../lib/tree/txn.ts";

const OPEN = [{ perms: 31, scheme: "world", id: "anyone" }];

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) }, out, err };
}

/** /big has 30 small children, /fat one 5000-byte child, /e an ephemeral, /t a TTL node. */
async function fixture(): Promise<{ dir: string; file: string }> {
  const tree = new DataTree();
  let zxid = 0;
  const create = (path: string, data: Uint8Array | null, ephemeralOwner = 0n) => {
    const parent = tree.get(path.slice(0, path.lastIndexOf("/")) || "/")!;
    const txn: Txn = {
      type: "create",
      path,
      data,
      acl: OPEN,
      ephemeralOwner,
      parentCversion: parent.cversion + 1,
    };
    tree.apply({ sessionId: 0n, cxid: 0, zxid: ++zxid, timeMs: 5, txn });
  };
  create("/big", null);
  for (let i = 0; i < 30; i++) create(`/big/n${i}`, new Uint8Array([i]));
  create("/fat", null);
  create("/fat/blob", new Uint8Array(5000));
  create("/e", new Uint8Array(0), 0x1234n);
  create("/t", null, -0x100000000000000n | 60000n);
  const dir = await Deno.makeTempDir();
  const file = await saveSnapshot(new DenoStorage(), dir, tree, [{ id: 0x1234n, timeoutMs: 6000 }]);
  return { dir, file };
}

Deno.test("zkd snapshot inspect: zxid, counts, checksum, biggest subtrees", async () => {
  const { dir, file } = await fixture();
  try {
    const c = capture();
    assert.equal(await runSnapshot(["inspect", file], c.io), 0);
    const text = c.out.join("\n");
    assert.match(text, /^zxid +0x23$/m);
    assert.match(text, /^nodes +39$/m);
    assert.match(text, /^sessions +1$/m);
    assert.match(text, /^checksum +0x[0-9a-f]{8} OK$/m);
    const [byCount, byBytes] = text.split("biggest by").slice(1);
    assert.match(byCount, /^ +31 +\d+ +\/big$/m);
    assert.ok(byCount.indexOf("/big") < byCount.indexOf("/fat"), byCount);
    assert.ok(byBytes.indexOf("/fat") < byBytes.indexOf("/big"), byBytes);
    const deep = capture();
    assert.equal(await runSnapshot(["inspect", file, "--depth", "2", "--top", "1"], deep.io), 0);
    assert.match(deep.out.join("\n"), /^ +1 +5009 +\/fat\/blob$/m);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("zkd snapshot dump --json: every node with stat, base64 data, kind; sessions", async () => {
  const { dir, file } = await fixture();
  try {
    const c = capture();
    assert.equal(await runSnapshot(["dump", file, "--json"], c.io), 0);
    const doc = JSON.parse(c.out.join("\n"));
    assert.equal(doc.zxid, 0x23);
    assert.deepEqual(doc.sessions, [{ id: "0x1234", timeoutMs: 6000 }]);
    assert.equal(doc.nodes.length, 39);
    const byPath = new Map(doc.nodes.map((n: { path: string }) => [n.path, n]));
    assert.deepEqual(byPath.get("/big/n7"), {
      path: "/big/n7",
      kind: "persistent",
      data: btoa("\x07"),
      acl: OPEN,
      czxid: 9,
      mzxid: 9,
      pzxid: 9,
      ctime: 5,
      mtime: 5,
      version: 0,
      cversion: 0,
      aversion: 0,
      ephemeralOwner: "0x0",
      dataLength: 1,
      numChildren: 0,
    });
    assert.equal((byPath.get("/big") as { data: unknown }).data, null);
    assert.equal((byPath.get("/e") as { data: unknown }).data, "");
    assert.equal((byPath.get("/t") as { ttlMs: number }).ttlMs, 60000);
    const text = capture();
    assert.equal(await runSnapshot(["dump", file], text.io), 0);
    assert.match(text.out.join("\n"), /^\/e ephemeral\(0x1234\) .* data=0B children=0$/m);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("zkd snapshot: a corrupt file exits 1 naming file and offset; bad args are usage errors", async () => {
  const { dir, file } = await fixture();
  try {
    const bytes = Deno.readFileSync(file);
    bytes[200] ^= 4;
    Deno.writeFileSync(file, bytes);
    const c = capture();
    assert.equal(await runSnapshot(["inspect", file], c.io), 1);
    assert.match(c.err.join("\n"), new RegExp(`^CORRUPT: ${file} at byte offset \\d+: .*checksum`));
    const missing = capture();
    assert.equal(await runSnapshot(["dump", `${dir}/nope`], missing.io), 1);
    assert.equal(await runSnapshot(["inspect", dir], missing.io), 1);
    assert.match(missing.err.join("\n"), /is a directory/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  for (
    const args of [
      [],
      ["frobnicate"],
      ["inspect"],
      ["inspect", "a", "b"],
      ["inspect", "f", "--depth", "0"],
      ["inspect", "f", "--top"],
      ["dump", "f", "--yaml"],
      ["inspect", "f", "--json"],
    ]
  ) {
    await assert.rejects(runSnapshot(args), UsageError, JSON.stringify(args));
  }
});
