/** truncateLogAfter() on MemoryStorage: cuts, no-ops, damage, crashes, and writing on after. */

import assert from "node:assert/strict";
import { MemoryStorage } from "../../lib/storage/memory_storage.ts";
import type { Storage } from "../../lib/storage/storage.ts";
import { randomBelow, SeededRandom } from "../../lib/util/random.ts";
import { readLog, type RecordPosition, scanLog } from "../../lib/wal/recovery.ts";
import { truncateLogAfter } from "../../lib/wal/truncate.ts";
import { TxnLogWriter } from "../../lib/wal/txn_log_writer.ts";
import { WalCorruptionError } from "../../lib/wal/wal_corruption_error.ts";
import { entries, entryAt, LOG_DIR, writeLog } from "./wal_fixtures.ts";

const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);
const zxidsOf = (s: Storage) =>
  readLog(s, LOG_DIR, -1, { repair: false }).entries.map((e) => e.zxid);
const names = (s: Storage) => s.list(LOG_DIR);

/** zxids 1..6 in log.1, 7..10 in log.7 (several batches each, preallocated in 4 KiB steps). */
async function twoSegments(): Promise<MemoryStorage> {
  const s = new MemoryStorage();
  assert.equal(await writeLog(s, [[3, 3], [2, 2]]), 10);
  assert.deepEqual(names(s), ["log.1", "log.7"]);
  return s;
}

function positions(s: Storage): Map<number, RecordPosition> {
  const out = new Map<number, RecordPosition>();
  scanLog(s, LOG_DIR, { onEntry: (e, p) => out.set(e.zxid, p) });
  return out;
}

/** Appends zxids after `lastZxid` with a new writer, as the server does after a truncation. */
async function appendAfter(s: Storage, lastZxid: number, zxids: number[], dataBytes = 40) {
  const w = new TxnLogWriter(s, LOG_DIR, { lastZxid, preAllocSizeBytes: 4096 });
  w.append(zxids.map((z) => entryAt(z, dataBytes)));
  await w.sync();
  w.close();
}

Deno.test("truncateLogAfter() cuts in the middle of a segment and drops the later ones", async () => {
  const s = await twoSegments();
  const at = positions(s).get(5)!;
  const t = truncateLogAfter(s, LOG_DIR, 4);
  await t.durable;
  assert.deepEqual(t.removedSegments, [`${LOG_DIR}/log.7`]);
  assert.equal(t.firstRemovedZxid, 5);
  assert.equal(t.cut?.file, `${LOG_DIR}/log.1`);
  assert.equal(t.cut?.offset, at.offset);
  assert.equal(t.cut?.firstDroppedZxid, 5);
  assert.equal(s.durableContentOf(`${LOG_DIR}/log.1`).byteLength, at.offset, "cut is durable");
  assert.deepEqual(names(s), ["log.1"]);
  assert.deepEqual(zxidsOf(s), range(1, 4));

  // Write on with the existing writer: a new segment named for its first zxid.
  await appendAfter(s, 4, [5, 6, 7]);
  assert.deepEqual(names(s), ["log.1", "log.5"]);
  const got = readLog(s, LOG_DIR, -1);
  assert.equal(got.truncatedTail, null);
  assert.deepEqual(got.entries.map((e) => e.zxid), range(1, 7));
  assert.equal((got.entries[5].txn as { data: Uint8Array }).data.byteLength, 40, "new record");
});

Deno.test("truncateLogAfter() at a segment boundary removes whole segments only", async () => {
  const s = await twoSegments();
  const before = s.contentOf(`${LOG_DIR}/log.1`);
  const t = truncateLogAfter(s, LOG_DIR, 6);
  await t.durable;
  assert.deepEqual(t.removedSegments, [`${LOG_DIR}/log.7`]);
  assert.equal(t.cut, null);
  assert.equal(t.firstRemovedZxid, 7);
  assert.deepEqual(s.contentOf(`${LOG_DIR}/log.1`), before, "zero padding kept, file untouched");
  assert.deepEqual(zxidsOf(s), range(1, 6));
  await appendAfter(s, 6, [7, 8]);
  assert.deepEqual(names(s), ["log.1", "log.7"]);
  assert.deepEqual(zxidsOf(s), range(1, 8));
});

Deno.test("truncateLogAfter() at a segment's first zxid keeps that one record", async () => {
  const s = await twoSegments();
  const t = truncateLogAfter(s, LOG_DIR, 7);
  await t.durable;
  assert.deepEqual(t.removedSegments, []);
  assert.equal(t.cut?.file, `${LOG_DIR}/log.7`);
  assert.equal(t.firstRemovedZxid, 8);
  assert.deepEqual(zxidsOf(s), range(1, 7));
});

Deno.test("truncateLogAfter() at or beyond the end is a no-op", async () => {
  for (const zxid of [10, 11, 2 ** 40]) {
    const s = await twoSegments();
    const before = names(s).map((n) => s.contentOf(`${LOG_DIR}/${n}`));
    const syncs = s.fileSyncCount + s.dirSyncCount;
    const t = truncateLogAfter(s, LOG_DIR, zxid);
    await t.durable;
    assert.deepEqual([t.removedSegments, t.cut, t.firstRemovedZxid], [[], null, null]);
    assert.deepEqual(names(s).map((n) => s.contentOf(`${LOG_DIR}/${n}`)), before);
    assert.equal(s.fileSyncCount + s.dirSyncCount, syncs, "nothing to sync");
  }
  // An empty (or missing) log directory too.
  const empty = truncateLogAfter(new MemoryStorage(), LOG_DIR, 5);
  await empty.durable;
  assert.deepEqual(empty.removedSegments, []);
});

Deno.test("truncateLogAfter(0) empties the log; writing starts again at 1", async () => {
  const s = await twoSegments();
  const t = truncateLogAfter(s, LOG_DIR, 0);
  await t.durable;
  assert.deepEqual(t.removedSegments, [`${LOG_DIR}/log.1`, `${LOG_DIR}/log.7`]);
  assert.equal(t.firstRemovedZxid, 1);
  assert.deepEqual(names(s), []);
  await appendAfter(s, 0, [1, 2]);
  assert.deepEqual(zxidsOf(s), [1, 2]);
});

Deno.test("truncateLogAfter() then a new epoch: recovery reads both, readLog gives the tail", async () => {
  const s = await twoSegments();
  await truncateLogAfter(s, LOG_DIR, 8).durable;
  const epoch2 = 2 * 2 ** 32;
  await appendAfter(s, 8, [epoch2 + 1, epoch2 + 2, epoch2 + 3]);
  assert.deepEqual(zxidsOf(s), [...range(1, 8), epoch2 + 1, epoch2 + 2, epoch2 + 3]);
  // The replication layer's read: the entries after a snapshot's zxid, none applied anywhere.
  const tail = readLog(s, LOG_DIR, 7);
  assert.deepEqual(tail.entries.map((e) => e.zxid), [8, epoch2 + 1, epoch2 + 2, epoch2 + 3]);
  assert.deepEqual(tail.entries[0], entryAt(8));
});

Deno.test("truncateLogAfter() refuses a damaged record it would keep, and cuts one it drops", async () => {
  const s = await twoSegments();
  const pos = positions(s);
  const two = pos.get(2)!;
  s.corruptByte(two.file, two.offset + two.bytes - 1);
  const before = names(s).map((n) => s.contentOf(`${LOG_DIR}/${n}`));
  assert.throws(
    () => truncateLogAfter(s, LOG_DIR, 4),
    (e: unknown) =>
      e instanceof WalCorruptionError && e.file === two.file && e.offset === two.offset &&
      /checksum mismatch.*before the truncation point 0x4/.test(e.message),
  );
  assert.deepEqual(names(s).map((n) => s.contentOf(`${LOG_DIR}/${n}`)), before, "untouched");

  // Truncating after 1: every kept record is intact, the damaged one is simply cut away.
  const t = truncateLogAfter(s, LOG_DIR, 1);
  await t.durable;
  assert.equal(t.cut?.offset, two.offset);
  assert.equal(t.cut?.firstDroppedZxid, null);
  assert.equal(t.firstRemovedZxid, 7);
  assert.deepEqual(zxidsOf(s), [1]);
});

Deno.test("truncateLogAfter() cuts a torn tail along with the records above the zxid", async () => {
  const s = new MemoryStorage();
  await writeLog(s, [[4]]);
  // A torn write after zxid 4: half a record's worth of garbage.
  const end = positions(s).get(4)!;
  const f = s.open(end.file);
  f.writeAt(end.offset + end.bytes, Uint8Array.of(0, 0, 0, 40, 1, 2, 3, 4, 5));
  f.close();
  const t = truncateLogAfter(s, LOG_DIR, 4);
  await t.durable;
  assert.equal(t.cut?.offset, end.offset + end.bytes);
  assert.equal(readLog(s, LOG_DIR, -1).truncatedTail, null);
  assert.deepEqual(zxidsOf(s), range(1, 4));
});

/** Completes the storage's pending syncs until `p` resolves (manualSync storage). */
async function completing(s: MemoryStorage, p: Promise<void>): Promise<void> {
  let done = false;
  p.then(() => done = true);
  while (!done) {
    s.completeSyncs();
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

Deno.test("truncateLogAfter(): a crash at any moment leaves a prefix of the log, durable the cut", async () => {
  for (let seed = 1; seed <= 150; seed++) {
    const random = new SeededRandom(seed);
    const s = new MemoryStorage({ manualSync: true });
    // Three segments: 1..4, 5..9, 10..12.
    const w = new TxnLogWriter(s, LOG_DIR, { preAllocSizeBytes: 4096 });
    for (const [first, n] of [[1, 4], [5, 5], [10, 3]]) {
      if (first > 1) w.roll();
      w.append(entries(first, n));
      await completing(s, w.sync());
    }
    w.close();
    assert.deepEqual(names(s), ["log.1", "log.5", "log.a"]);

    const target = randomBelow(random, 14);
    const t = truncateLogAfter(s, LOG_DIR, target);
    let durable = false;
    // The crashed "process" may have its cut fail on the dead handle: not this test's concern.
    t.durable.then(() => durable = true, () => {});
    // Let the truncation get a random distance: complete 0, 1 or 2 rounds of syncs.
    for (let round = randomBelow(random, 3); round > 0; round--) {
      s.completeSyncs();
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    const after = s.crash({ random });
    const got = readLog(after, LOG_DIR, -1).entries.map((e) => e.zxid);
    const keep = Math.min(target, 12);
    const n = got.length;
    assert.deepEqual(got, range(1, n), `seed ${seed}: a prefix of the log`);
    assert.ok(n >= keep, `seed ${seed}: truncating after ${target} lost ${n + 1}..${keep}`);
    if (durable) assert.equal(n, keep, `seed ${seed}: durable truncation came undone`);
  }
});
