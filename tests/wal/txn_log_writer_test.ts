/** TxnLogWriter on MemoryStorage: group commit, preallocation, segments and the roll barrier. */

import assert from "node:assert/strict";
import { MemoryStorage } from "../../lib/storage/memory_storage.ts";
import { randomBelow, SeededRandom } from "../../lib/util/random.ts";
import { readLog } from "../../lib/wal/recovery.ts";
import { listSegments, SEGMENT_HEADER_BYTES } from "../../lib/wal/segment.ts";
import { TxnLogWriter } from "../../lib/wal/txn_log_writer.ts";
import { entries, LOG_DIR } from "./wal_fixtures.ts";

const zxidsOf = (s: MemoryStorage) =>
  readLog(s, LOG_DIR, -1, { repair: false }).entries.map((e) => e.zxid);
/** Lets every promise callback queued so far (and those they queue) run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 50; i++) await null;
}
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

Deno.test("TxnLogWriter.sync() makes everything appended before it durable", async () => {
  let s = new MemoryStorage();
  const w = new TxnLogWriter(s, LOG_DIR, { preAllocSizeBytes: 4096 });
  w.append(entries(1, 3));
  w.append(entries(4, 2));
  await w.sync();
  w.append(entries(6, 1));
  s = s.crash();
  assert.deepEqual(zxidsOf(s), range(1, 5), "synced records survive, the unsynced one does not");
});

Deno.test("TxnLogWriter: one fdatasync covers a whole batch (group commit)", async () => {
  const s = new MemoryStorage();
  const w = new TxnLogWriter(s, LOG_DIR, { preAllocSizeBytes: 4096 });
  for (let i = 0; i < 50; i++) w.append(entries(i + 1, 1));
  await w.sync();
  assert.equal(s.fileSyncCount, 1);
  assert.equal(s.dirSyncCount, 2, "the new segment's directory entry (and the new directory)");
  w.append(entries(51, 1));
  await w.sync();
  assert.equal(s.fileSyncCount, 2);
  assert.equal(s.dirSyncCount, 2, "no directory sync without a new segment");
});

Deno.test("TxnLogWriter: a crash while the covering sync is in flight promises nothing", async () => {
  let s = new MemoryStorage({ manualSync: true });
  const w = new TxnLogWriter(s, LOG_DIR, { preAllocSizeBytes: 4096 });
  w.append(entries(1, 2));
  const first = w.sync();
  s.completeSyncs();
  await first;
  w.append(entries(3, 2));
  let acked = false;
  w.sync().then(() => acked = true);
  await settle();
  assert.equal(acked, false, "no reply may go out before the fdatasync completes");
  s = s.crash();
  assert.deepEqual(zxidsOf(s), [1, 2]);
});

Deno.test("TxnLogWriter.sync() resolves no earlier than an earlier sync still in flight", async () => {
  const s = new MemoryStorage({ manualSync: true });
  const w = new TxnLogWriter(s, LOG_DIR, { preAllocSizeBytes: 4096 });
  w.append(entries(1, 1));
  const order: string[] = [];
  w.sync().then(() => order.push("first"));
  // Nothing new to flush, but record 1 is not durable until the first sync completes.
  w.sync().then(() => order.push("second"));
  await settle();
  assert.deepEqual(order, []);
  s.completeSyncs();
  await settle();
  assert.deepEqual(order, ["first", "second"]);
});

Deno.test("TxnLogWriter preallocates in preAllocSize steps, not per append", async () => {
  const s = new MemoryStorage();
  const w = new TxnLogWriter(s, LOG_DIR, { preAllocSizeBytes: 16384 });
  const sizes = new Set<number>();
  let truncates = 0;
  let last = 0;
  for (let z = 1; z <= 300; z++) {
    w.append(entries(z, 1, 100));
    const size = s.contentOf(`${LOG_DIR}/log.1`).byteLength;
    if (size !== last) truncates++;
    last = size;
    sizes.add(size);
  }
  await w.sync();
  for (const size of sizes) assert.equal(size % 16384, 0, `size ${size}`);
  // ~300 records of ~150 bytes = ~45 KB: 3 or 4 steps of 16 KiB, not 300 growths.
  assert.ok(truncates <= 4, `${truncates} size changes`);
  assert.ok(last >= 45000 && last <= 4 * 16384, `final size ${last}`);
});

Deno.test("TxnLogWriter extends by as many steps as a big batch needs", () => {
  const s = new MemoryStorage();
  const w = new TxnLogWriter(s, LOG_DIR, { preAllocSizeBytes: 1024 });
  w.append(entries(1, 1, 10_000));
  const size = s.contentOf(`${LOG_DIR}/log.1`).byteLength;
  assert.equal(size % 1024, 0);
  assert.ok(size >= 10_000 + 4096 && size < 10_000 + 4096 + 1024 + 200, `size ${size}`);
});

Deno.test("TxnLogWriter.roll() starts a segment named by the next zxid in hex", async () => {
  let s = new MemoryStorage();
  const w = new TxnLogWriter(s, LOG_DIR, { preAllocSizeBytes: 4096 });
  w.roll(); // nothing open yet: no effect
  w.append(entries(1, 10));
  assert.equal(w.txnsSinceRoll, 10);
  w.roll();
  assert.equal(w.txnsSinceRoll, 0);
  w.append(entries(11, 20));
  w.roll();
  w.roll();
  w.append(entries(31, 1));
  await w.sync();
  assert.deepEqual(w.segments.map((x) => x.name), ["log.1", "log.b", "log.1f"]);
  assert.deepEqual(listSegments(s, LOG_DIR).map((x) => x.name), ["log.1", "log.b", "log.1f"]);
  assert.equal(w.lastAppendedZxid, 31);
  s = s.crash();
  assert.deepEqual(zxidsOf(s), range(1, 31));
});

Deno.test("TxnLogWriter holds a new segment's writes until the old segment is durable", async () => {
  let s = new MemoryStorage({ manualSync: true });
  const w = new TxnLogWriter(s, LOG_DIR, { preAllocSizeBytes: 4096 });
  w.append(entries(1, 3));
  w.roll();
  w.append(entries(4, 2));
  w.roll();
  w.append(entries(6, 1));
  assert.equal(s.exists(`${LOG_DIR}/log.4`), false, "held in memory until log.1 is synced");
  assert.equal(w.lastAppendedZxid, 6);
  const synced = w.sync();
  let done = false;
  synced.then(() => done = true);
  // Round 1: log.1 and the directory; then log.4 is written and its sync issued; then log.6.
  for (let round = 0; round < 10 && !done; round++) {
    s.completeSyncs();
    await settle();
  }
  assert.equal(done, true);
  assert.deepEqual(listSegments(s, LOG_DIR).map((x) => x.name), ["log.1", "log.4", "log.6"]);
  s = s.crash();
  assert.deepEqual(zxidsOf(s), range(1, 6));
});

Deno.test("TxnLogWriter: random crashes around rolls never leave a torn non-last segment", async () => {
  for (let seed = 0; seed < 300; seed++) {
    const random = new SeededRandom(seed);
    let s = new MemoryStorage({ manualSync: true });
    const w = new TxnLogWriter(s, LOG_DIR, { preAllocSizeBytes: 1024 });
    let zxid = 1;
    let durable = 0;
    const steps = 5 + randomBelow(random, 20);
    for (let i = 0; i < steps; i++) {
      const op = randomBelow(random, 4);
      if (op === 0) w.roll();
      const n = 1 + randomBelow(random, 4);
      w.append(entries(zxid, n, randomBelow(random, 300)));
      zxid += n;
      if (randomBelow(random, 2) === 0) {
        const upTo = zxid - 1;
        w.sync().then(() => durable = Math.max(durable, upTo));
      }
      if (randomBelow(random, 2) === 0) s.completeSyncs();
      await settle();
    }
    s = s.crash({ random });
    const got = readLog(s, LOG_DIR, -1);
    const zxids = got.entries.map((e) => e.zxid);
    assert.deepEqual(zxids, range(1, zxids.length), `seed ${seed}: a prefix of what was appended`);
    assert.ok(zxids.length >= durable, `seed ${seed}: every acknowledged record survives`);
  }
});

Deno.test("TxnLogWriter syncs the directory of a new segment before acknowledging", async () => {
  let s = new MemoryStorage();
  const w = new TxnLogWriter(s, LOG_DIR, { preAllocSizeBytes: 4096 });
  w.append(entries(1, 1));
  await w.sync();
  w.roll();
  w.append(entries(2, 1));
  await w.sync();
  s = s.crash();
  assert.deepEqual(listSegments(s, LOG_DIR).map((x) => x.name), ["log.1", "log.2"]);
});

Deno.test("TxnLogWriter forceSync=false acknowledges without fdatasync (unsafe)", async () => {
  let s = new MemoryStorage({ manualSync: true });
  const w = new TxnLogWriter(s, LOG_DIR, { preAllocSizeBytes: 4096, forceSync: false });
  w.append(entries(1, 2));
  w.roll();
  w.append(entries(3, 1));
  await w.sync();
  assert.equal(s.pendingSyncCount, 0);
  assert.equal(s.fileSyncCount, 0);
  s = s.crash();
  assert.deepEqual(listSegments(s, LOG_DIR), [], "an OS crash loses acknowledged writes");
});

Deno.test("TxnLogWriter refuses all work after a failed sync", async () => {
  const s = new MemoryStorage();
  const w = new TxnLogWriter(s, LOG_DIR, { preAllocSizeBytes: 4096 });
  w.append(entries(1, 1));
  s.failNextSync(`${LOG_DIR}/log.1`);
  await assert.rejects(w.sync(), /injected sync failure/);
  assert.throws(() => w.append(entries(2, 1)), /injected sync failure/);
  await assert.rejects(w.sync(), /injected sync failure/);
  assert.throws(() => w.roll(), /injected sync failure/);
});

Deno.test("TxnLogWriter rejects zxids that do not increase", () => {
  const s = new MemoryStorage();
  const w = new TxnLogWriter(s, LOG_DIR, { lastZxid: 10 });
  assert.throws(() => w.append(entries(10, 1)), /zxid 10 appended after 10/);
  w.append(entries(11, 1));
  assert.throws(
    () => w.append([...entries(12, 1), ...entries(12, 1)]),
    /zxid 12 appended after 12/,
  );
  assert.equal(w.lastAppendedZxid, 11, "a rejected batch appends nothing");
});

Deno.test("TxnLogWriter refuses a directory whose log was not recovered", async () => {
  const s = new MemoryStorage();
  const w = new TxnLogWriter(s, LOG_DIR, { preAllocSizeBytes: 4096 });
  w.append(entries(1, 5));
  await w.sync();
  assert.throws(() => new TxnLogWriter(s, LOG_DIR), /starts above lastZxid 0/);
  const again = new TxnLogWriter(s, LOG_DIR, { lastZxid: 5 });
  again.append(entries(6, 1));
  await again.sync();
  assert.deepEqual(again.segments.map((x) => x.name), ["log.1", "log.6"]);
});

Deno.test("TxnLogWriter startAfter holds writes until a repair is durable", async () => {
  const s = new MemoryStorage();
  let release = () => {};
  const gate = new Promise<void>((r) => release = r);
  const w = new TxnLogWriter(s, LOG_DIR, { startAfter: gate, preAllocSizeBytes: 4096 });
  w.append(entries(1, 2));
  assert.deepEqual(s.list(LOG_DIR), []);
  const synced = w.sync();
  release();
  await synced;
  assert.deepEqual(s.list(LOG_DIR), ["log.1"]);
  assert.equal(s.contentOf(`${LOG_DIR}/log.1`).byteLength >= SEGMENT_HEADER_BYTES, true);
});

Deno.test("TxnLogWriter of a crashed process cannot write on after the crash", async () => {
  const s = new MemoryStorage();
  const w = new TxnLogWriter(s, LOG_DIR, { preAllocSizeBytes: 4096 });
  w.append(entries(1, 2));
  await w.sync();
  w.roll();
  w.append(entries(3, 2)); // held until log.1 is durable: a callback still pending
  const restarted = s.crash();
  await settle();
  assert.deepEqual(restarted.list(LOG_DIR), ["log.1"], "the held records never land");
  await assert.rejects(w.sync(), /crashed process/);
});

Deno.test("TxnLogWriter: syncs called while one runs share a single next fdatasync", async () => {
  const s = new MemoryStorage({ manualSync: true });
  const w = new TxnLogWriter(s, LOG_DIR, { preAllocSizeBytes: 4096 });
  w.append(entries(1, 1));
  const first = w.sync();
  const later: Promise<void>[] = [];
  for (let z = 2; z <= 11; z++) {
    w.append(entries(z, 1));
    later.push(w.sync());
  }
  assert.equal(new Set(later).size, 1, "one shared promise");
  // log.1, the new segment's directory and the new version-2 directory; nothing more yet.
  assert.equal(s.pendingSyncCount, 3);
  s.completeSyncs();
  await first;
  await settle();
  assert.equal(s.pendingSyncCount, 1, "then one fdatasync for records 2..11");
  s.completeSyncs();
  await Promise.all(later);
  assert.equal(s.fileSyncCount, 2);
  assert.deepEqual(zxidsOf(s.crash()), range(1, 11));
});

Deno.test("TxnLogWriter: callers that keep syncing do not starve the queued ones", async () => {
  const s = new MemoryStorage({ manualSync: true });
  const w = new TxnLogWriter(s, LOG_DIR, { preAllocSizeBytes: 1 << 16 });
  let zxid = 0;
  let stop = false;
  const done = new Array(10).fill(0);
  const client = async (i: number) => {
    while (!stop) {
      w.append(entries(++zxid, 1));
      await w.sync();
      done[i]++;
    }
  };
  const clients = Promise.all(done.map((_, i) => client(i)));
  for (let round = 0; round < 8; round++) {
    await settle();
    s.completeSyncs();
  }
  stop = true;
  for (let round = 0; round < 4; round++) {
    s.completeSyncs();
    await settle();
  }
  await clients;
  // Every caller is answered within two fdatasync rounds.
  for (const [i, n] of done.entries()) assert.ok(n >= 3, `client ${i} completed ${n} syncs`);
  assert.ok(s.fileSyncCount <= 10, `${s.fileSyncCount} fdatasyncs for ${zxid} records`);
});
