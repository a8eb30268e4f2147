import assert from "node:assert/strict";
import {
  listSnapshots,
  newestValidSnapshot,
  parseSnapshotFileName,
  saveSnapshot,
  snapshotFileName,
  SnapshotFileWriter,
  snapshotsToPurge,
  staleTempSnapshots,
} from "../../lib/snapshot/files.ts";
import { SnapshotError } from "../../lib/snapshot/format.ts";
import { SnapshotWriter } from "../../lib/snapshot/writer.ts";
import { MemoryStorage } from "../../lib/storage/memory_storage.ts";
import { DataTree } from "../../lib/tree/data_tree.ts";
import { treeDigest } from "../../lib/tree/digest.ts";
import { SeededRandom } from "../../lib/util/random.ts";
import { treeDifferences } from "./tree_compare.ts";
import { Workload } from "./workload.ts";

const DATA = "/data";
const DIR = "/data/version-2";

function treeAt(zxid: number): DataTree {
  const tree = new DataTree();
  tree.apply({
    sessionId: 0n,
    cxid: 0,
    zxid,
    timeMs: 1,
    txn: {
      type: "create",
      path: `/n${zxid}`,
      data: null,
      acl: [{ perms: 31, scheme: "world", id: "anyone" }],
      ephemeralOwner: 0n,
      parentCversion: 1,
    },
  });
  return tree;
}

Deno.test("snapshot file names are snapshot.<zxid hex>, other names are ignored", () => {
  assert.equal(snapshotFileName(0), "snapshot.0");
  assert.equal(snapshotFileName(0x100000002), "snapshot.100000002");
  assert.equal(parseSnapshotFileName("snapshot.1a"), 0x1a);
  for (const name of ["snapshot.1a.tmp", "snapshot.", "snapshot.1A", "log.1", "snapshot.1.gz"]) {
    assert.equal(parseSnapshotFileName(name), null, name);
  }
});

Deno.test("saveSnapshot() writes temp, fsyncs, renames, fsyncs the dir; listSnapshots() newest first", async () => {
  const storage = new MemoryStorage();
  for (const zxid of [5, 0x20, 3]) await saveSnapshot(storage, DATA, treeAt(zxid), []);
  assert.deepEqual(listSnapshots(storage, DATA).map((f) => f.name), [
    "snapshot.20",
    "snapshot.5",
    "snapshot.3",
  ]);
  assert.deepEqual(storage.list(DIR).filter((n) => n.endsWith(".tmp")), []);
  assert.equal(storage.dirSyncCount, 3);
  // Durable: a crash right after finish() loses nothing.
  const after = storage.crash();
  assert.equal(listSnapshots(after, DATA).length, 3);
  const choice = newestValidSnapshot(after, DATA);
  assert.equal(choice.found!.file.zxid, 0x20);
  assert.ok(choice.found!.snapshot.tree.get("/n32"));
});

Deno.test("a crash before finish() leaves no snapshot under a real name, only a stale temp", () => {
  const storage = new MemoryStorage();
  const tree = new Workload(1).tree;
  const writer = new SnapshotWriter(tree, []);
  const file = new SnapshotFileWriter(storage, DATA, writer.zxid);
  for (let s = writer.nextSlice(2); s !== null; s = writer.nextSlice(2)) file.write(s);
  const after = storage.crash({ random: new SeededRandom(3) });
  assert.deepEqual(listSnapshots(after, DATA), []);
  assert.equal(newestValidSnapshot(after, DATA).found, null);
  for (const path of staleTempSnapshots(after, DATA)) after.remove(path);
  assert.deepEqual(after.list(DIR), []);
});

Deno.test("a failed fsync rejects finish() and removes the temp file", async () => {
  const storage = new MemoryStorage();
  const writer = new SnapshotWriter(new DataTree(), []);
  const file = new SnapshotFileWriter(storage, DATA, writer.zxid);
  for (let s = writer.nextSlice(10); s !== null; s = writer.nextSlice(10)) file.write(s);
  storage.failNextSync(file.tempPath);
  await assert.rejects(file.finish());
  assert.deepEqual(storage.list(DIR), []);
});

Deno.test("newestValidSnapshot() skips corrupt and truncated newer snapshots, newest first", async () => {
  const storage = new MemoryStorage();
  const w = new Workload(7);
  for (let round = 0; round < 4; round++) {
    for (let i = 0; i < 300; i++) w.step();
    w.drain();
    await saveSnapshot(storage, DATA, w.tree, w.sessions.all());
  }
  const files = listSnapshots(storage, DATA);
  assert.equal(files.length, 4);
  const newest = newestValidSnapshot(storage, DATA).found!.snapshot.tree;
  assert.equal(treeDigest(newest), treeDigest(w.tree));

  storage.corruptByte(files[0].path, 100, 0x10); // newest: one flipped bit
  const f = storage.open(files[1].path); // second: truncated
  f.truncate(f.size() - 3);
  f.close();
  const choice = newestValidSnapshot(storage, DATA);
  assert.deepEqual(choice.rejected.map((r) => r.file.name), [files[0].name, files[1].name]);
  for (const r of choice.rejected) {
    assert.ok(r.error instanceof SnapshotError);
    assert.ok(r.error.message.startsWith(`snapshot ${r.file.path}: `), r.error.message);
  }
  assert.equal(choice.found!.file.name, files[2].name);
  assert.equal(choice.found!.snapshot.zxid, files[2].zxid);
});

Deno.test("newestValidSnapshot() rejects a file whose zxid is not its name's", async () => {
  const storage = new MemoryStorage();
  await saveSnapshot(storage, DATA, treeAt(7), []);
  storage.rename(`${DIR}/snapshot.7`, `${DIR}/snapshot.8`);
  const choice = newestValidSnapshot(storage, DATA);
  assert.equal(choice.found, null);
  assert.match(choice.rejected[0].error.message, /holds zxid 0x7, not its name's/);
});

Deno.test("snapshotsToPurge() keeps the newest retainCount", () => {
  const list = [9, 7, 4, 2].map((zxid) => ({ name: snapshotFileName(zxid), path: "", zxid }));
  assert.deepEqual(snapshotsToPurge(list, 3).map((f) => f.zxid), [2]);
  assert.deepEqual(snapshotsToPurge(list, 10), []);
  assert.deepEqual(snapshotsToPurge(list, 1).map((f) => f.zxid), [7, 4, 2]);
  assert.throws(() => snapshotsToPurge(list, 0));
  assert.throws(() => snapshotsToPurge([...list].reverse(), 2));
});

Deno.test("a snapshot saved and loaded through storage equals the tree", async () => {
  const storage = new MemoryStorage();
  const w = new Workload(21);
  for (let i = 0; i < 2000; i++) w.step();
  w.drain();
  const path = await saveSnapshot(storage, DATA, w.tree, w.sessions.all());
  assert.equal(path, `${DIR}/snapshot.${w.tree.lastZxid.toString(16)}`);
  const loaded = newestValidSnapshot(storage, DATA).found!.snapshot;
  assert.deepEqual(treeDifferences(loaded.tree, w.tree), []);
});
