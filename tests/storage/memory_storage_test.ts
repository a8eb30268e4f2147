/** MemoryStorage: the crash model the WAL and snapshot tests rely on. */

import assert from "node:assert/strict";
import { MemoryStorage } from "../../lib/storage/memory_storage.ts";
import { SeededRandom } from "../../lib/util/random.ts";

const b = (...x: number[]) => new Uint8Array(x);

function withFile(options?: { manualSync?: boolean }) {
  const s = new MemoryStorage(options);
  s.mkdirp("/d");
  const f = s.open("/d/f", { create: true });
  return { s, f };
}

Deno.test("MemoryStorage reads see writes at once; sizes grow and shrink", () => {
  const { f } = withFile();
  f.writeAt(2, b(7, 8));
  assert.equal(f.size(), 4);
  assert.deepEqual(f.readAt(0, 10), b(0, 0, 7, 8));
  f.truncate(10);
  assert.deepEqual(f.readAt(2, 100), b(7, 8, 0, 0, 0, 0, 0, 0));
  f.truncate(3);
  f.truncate(5);
  assert.deepEqual(f.readAt(0, 5), b(0, 0, 7, 0, 0), "shrinking drops bytes for good");
  assert.deepEqual(f.readAt(9, 4), b());
});

Deno.test("MemoryStorage.crash() drops writes that no sync covered", async () => {
  let { s, f } = withFile();
  await s.syncDir("/d");
  f.writeAt(0, b(1, 2));
  await f.sync();
  f.writeAt(2, b(3));
  f.truncate(100);
  s = s.crash();
  const g = s.open("/d/f");
  assert.deepEqual(g.readAt(0, 200), b(1, 2));
});

Deno.test("MemoryStorage handles opened before a crash stop working", () => {
  let { s, f } = withFile();
  s = s.crash();
  assert.throws(() => f.readAt(0, 1), /crashed process/);
  assert.throws(() => s.open("/d/f"), /no such file/, "its directory entry was never synced");
});

Deno.test("MemoryStorage: a new file needs syncDir to survive, its data needs sync", async () => {
  let { s, f } = withFile();
  f.writeAt(0, b(1));
  await f.sync();
  s = s.crash();
  assert.equal(s.exists("/d/f"), false);

  const g = s.open("/d/g", { create: true });
  await s.syncDir("/d");
  g.writeAt(0, b(1));
  s = s.crash();
  assert.equal(s.exists("/d/g"), true);
  assert.equal(s.open("/d/g").size(), 0);
});

Deno.test("MemoryStorage: rename and remove are durable only after syncDir", async () => {
  let s = new MemoryStorage();
  s.mkdirp("/d");
  const f = s.open("/d/tmp", { create: true });
  f.writeAt(0, b(5));
  await f.sync();
  await s.syncDir("/d");
  s.rename("/d/tmp", "/d/final");
  assert.deepEqual(s.list("/d"), ["final"]);
  s = s.crash();
  assert.deepEqual(s.list("/d"), ["tmp"]);

  s.rename("/d/tmp", "/d/final");
  await s.syncDir("/d");
  s.remove("/d/final");
  s = s.crash();
  assert.deepEqual(s.list("/d"), ["final"]);
  assert.deepEqual(s.open("/d/final").readAt(0, 1), b(5));
});

Deno.test("MemoryStorage rename replaces the target, atomically within a directory", async () => {
  const s = new MemoryStorage();
  s.mkdirp("/d");
  for (const [name, v] of [["a", 1], ["b", 2]] as const) {
    const f = s.open(`/d/${name}`, { create: true });
    f.writeAt(0, b(v));
    await f.sync();
  }
  await s.syncDir("/d");
  s.rename("/d/a", "/d/b");
  // Whatever prefix of the directory's changes survives, "b" holds one of the two files.
  for (let seed = 0; seed < 20; seed++) {
    let t = new MemoryStorage();
    t.mkdirp("/d");
    for (const [name, v] of [["a", 1], ["b", 2]] as const) {
      const f = t.open(`/d/${name}`, { create: true });
      f.writeAt(0, b(v));
      await f.sync();
    }
    await t.syncDir("/d");
    t.rename("/d/a", "/d/b");
    t = t.crash({ random: new SeededRandom(seed) });
    const names = t.list("/d");
    assert.ok(names.includes("b"), `seed ${seed}: ${names}`);
    assert.ok(["a,b", "b"].includes(names.join(",")), `seed ${seed}: ${names}`);
  }
  assert.deepEqual(s.list("/d"), ["b"]);
  assert.deepEqual(s.open("/d/b").readAt(0, 1), b(1));
});

Deno.test("MemoryStorage.crash({random}) keeps a prefix of unsynced writes, the last torn", async () => {
  const seen = new Set<string>();
  for (let seed = 0; seed < 200; seed++) {
    let { s, f } = withFile();
    await s.syncDir("/d");
    f.writeAt(0, b(1, 1, 1, 1));
    await f.sync();
    f.writeAt(4, b(2, 2, 2, 2));
    f.writeAt(8, b(3, 3, 3, 3));
    s = s.crash({ random: new SeededRandom(seed) });
    const got = s.open("/d/f").readAt(0, 100);
    const text = [...got].join("");
    // Synced bytes always survive; after them, some of 2222 then some of 3333, in order.
    assert.match(text, /^1111(2{0,3}|2222(3{0,4}))$/, `seed ${seed}`);
    seen.add(text);
  }
  assert.ok(seen.size >= 6, `tears vary with the seed (${[...seen]})`);
});

Deno.test("MemoryStorage manualSync: a sync covers only writes before it, on completion", async () => {
  const { s, f } = withFile({ manualSync: true });
  const dir = s.syncDir("/d");
  f.writeAt(0, b(1));
  const first = f.sync();
  f.writeAt(1, b(2));
  let resolved = false;
  first.then(() => resolved = true);
  await Promise.resolve();
  assert.equal(resolved, false);
  assert.equal(s.pendingSyncCount, 2);
  assert.deepEqual(s.durableContentOf("/d/f"), b());
  assert.equal(s.completeSyncs(), 2);
  await first;
  await dir;
  assert.equal(resolved, true);
  assert.deepEqual(s.durableContentOf("/d/f"), b(1));
  assert.deepEqual(s.contentOf("/d/f"), b(1, 2));
  assert.equal(s.fileSyncCount, 1);
  assert.equal(s.dirSyncCount, 1);
});

Deno.test("MemoryStorage manualSync: a crash with a sync in flight keeps nothing it covered", async () => {
  let { s, f } = withFile({ manualSync: true });
  const dir = s.syncDir("/d");
  s.completeSyncs();
  await dir;
  f.writeAt(0, b(1));
  f.sync();
  s = s.crash();
  assert.equal(s.completeSyncs(), 0);
  assert.equal(s.open("/d/f").size(), 0);
});

Deno.test("MemoryStorage.corruptByte() damages the stored byte, durable copy included", async () => {
  let { s, f } = withFile();
  await s.syncDir("/d");
  f.writeAt(0, b(0x0f, 0x00));
  await f.sync();
  s.corruptByte("/d/f", 0);
  s.corruptByte("/d/f", 1, 0x01);
  assert.deepEqual(f.readAt(0, 2), b(0xf0, 0x01));
  s = s.crash();
  assert.deepEqual(s.open("/d/f").readAt(0, 2), b(0xf0, 0x01));
});

Deno.test("MemoryStorage.failNextSync() rejects one sync and makes nothing durable", async () => {
  const { s, f } = withFile();
  f.writeAt(0, b(1));
  s.failNextSync("/d/f");
  await assert.rejects(f.sync(), /injected sync failure/);
  assert.deepEqual(s.durableContentOf("/d/f"), b());
  await f.sync();
  assert.deepEqual(s.durableContentOf("/d/f"), b(1));
});

Deno.test("MemoryStorage paths: missing files and directories, list, exists, closed handles", () => {
  const s = new MemoryStorage();
  assert.deepEqual(s.list("/nope"), []);
  assert.throws(() => s.open("/nope/f", { create: true }), /no such directory/);
  s.mkdirp("/a/b/c");
  assert.ok(s.exists("/a/b") && s.exists("/a//b/c/"));
  assert.throws(() => s.open("/a/f"), /no such file/);
  assert.throws(() => s.remove("/a/f"), /no such file/);
  const f = s.open("/a/b/z", { create: true });
  s.open("/a/b/y", { create: true });
  assert.deepEqual(s.list("/a/b"), ["y", "z"], "regular files only, sorted");
  f.close();
  assert.throws(() => f.size(), /closed/);
});

Deno.test("MemoryStorage.crash() returns the restarted process's handle; the old one is dead", () => {
  const old = new MemoryStorage();
  old.mkdirp("/d");
  const s = old.crash();
  for (
    const op of [() => old.list("/d"), () => old.open("/d/x", { create: true }), () => old.crash()]
  ) {
    assert.throws(op, /crashed process/);
  }
  assert.ok(s.exists("/d"), "directories are durable at once (a documented simplification)");
});
