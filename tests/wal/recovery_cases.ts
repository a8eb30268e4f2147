/**
 * Recovery cases written against the Storage interface only, so the same cases run on
 * MemoryStorage (recovery_test.ts) and on real files through DenoStorage
 * (deno_recovery_test.ts). Damage is done with plain writes through the interface.
 */

import assert from "node:assert/strict";
import { JuteWriter } from "../../lib/proto/jute.ts";
import type { Storage } from "../../lib/storage/storage.ts";
import type { TxnEntry } from "../../lib/tree/txn.ts";
import { recordCrc, writeRecord } from "../../lib/wal/record.ts";
import { readLog, type RecordPosition, scanLog } from "../../lib/wal/recovery.ts";
import { encodeSegmentHeader, listSegments, segmentName } from "../../lib/wal/segment.ts";
import { TxnLogWriter } from "../../lib/wal/txn_log_writer.ts";
import { WalCorruptionError } from "../../lib/wal/wal_corruption_error.ts";
import { entries, entryAt, writeLog } from "./wal_fixtures.ts";

export interface Fixture {
  storage: Storage;
  /** `<dataLogDir>/version-2` for this test. */
  logDir: string;
  cleanup(): void;
}

const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

/** Every record's position and zxid, read before damaging the log. */
function positions(storage: Storage, logDir: string): Array<RecordPosition & { zxid: number }> {
  const out: Array<RecordPosition & { zxid: number }> = [];
  scanLog(storage, logDir, { onEntry: (e, p) => out.push({ ...p, zxid: e.zxid }) });
  return out;
}

function flipByte(storage: Storage, path: string, offset: number): void {
  const f = storage.open(path);
  f.writeAt(offset, Uint8Array.of(f.readAt(offset, 1)[0] ^ 0x40));
  f.close();
}

function zero(storage: Storage, path: string, from: number, to: number): void {
  const f = storage.open(path);
  f.writeAt(from, new Uint8Array(to - from));
  f.close();
}

function writeBytes(storage: Storage, path: string, offset: number, bytes: Uint8Array): void {
  const f = storage.open(path);
  f.writeAt(offset, bytes);
  f.close();
}

/**
 * A segment written by hand (for orders the writer refuses to produce), zero padded; its
 * header claims `headerZxid` (default: the name's).
 */
function rawSegment(
  storage: Storage,
  logDir: string,
  name: number,
  records: TxnEntry[],
  headerZxid = name,
): void {
  const w = new JuteWriter();
  w.raw(encodeSegmentHeader(headerZxid));
  for (const e of records) writeRecord(w, e);
  w.raw(new Uint8Array(512));
  storage.mkdirp(logDir);
  const f = storage.open(`${logDir}/${segmentName(name)}`, { create: true });
  f.writeAt(0, w.toBytes());
  f.close();
}

/** Bytes of the framed record for `e`. */
function recordBytes(e: TxnEntry): number {
  const w = new JuteWriter();
  writeRecord(w, e);
  return w.offset;
}

function expectCorruption(
  storage: Storage,
  logDir: string,
  file: string,
  offset: number,
  reason: RegExp,
): void {
  expectCorruptionAfter(storage, logDir, -1, file, offset, reason);
}

function expectCorruptionAfter(
  storage: Storage,
  logDir: string,
  afterZxid: number,
  file: string,
  offset: number,
  reason: RegExp,
): void {
  assert.throws(
    () => readLog(storage, logDir, afterZxid),
    (e: unknown) => {
      assert.ok(e instanceof WalCorruptionError, String(e));
      assert.equal(e.file, `${logDir}/${file}`);
      assert.equal(e.offset, offset);
      assert.match(e.reason, reason);
      assert.ok(e.message.includes(`${logDir}/${file}`) && e.message.includes(`offset ${offset}`));
      return true;
    },
  );
}

export function recoveryCases(label: string, make: () => Fixture): void {
  const test = (name: string, fn: (fx: Fixture) => Promise<void> | void) =>
    Deno.test(`${label}: ${name}`, async () => {
      const fx = make();
      try {
        await fn(fx);
      } finally {
        fx.cleanup();
      }
    });

  test("readLog() returns every entry across segments, in order, intact", async (fx) => {
    await writeLog(fx.storage, [[3, 2], [4], [1, 1, 1]], {}, fx.logDir);
    const got = readLog(fx.storage, fx.logDir, -1);
    assert.deepEqual(got.entries, entries(1, 12));
    assert.equal(got.records, 12);
    assert.equal(got.firstZxid, 1);
    assert.equal(got.lastZxid, 12);
    assert.equal(got.truncatedTail, null);
    assert.deepEqual(got.segments.map((s) => s.name), ["log.1", "log.6", "log.a"]);
  });

  test("readLog() after a zxid skips segments wholly at or below it", async (fx) => {
    await writeLog(fx.storage, [[5], [5], [5]], {}, fx.logDir);
    for (const [after, names] of [[0, 3], [5, 2], [6, 2], [10, 1], [15, 1], [99, 1]] as const) {
      const got = readLog(fx.storage, fx.logDir, after);
      assert.deepEqual(got.entries.map((e) => e.zxid), range(after + 1, 15), `after ${after}`);
      assert.equal(got.segments.length, names, `after ${after}`);
      assert.equal(got.lastZxid, 15);
    }
  });

  test("readLog() of an empty or missing directory is empty", (fx) => {
    const got = readLog(fx.storage, fx.logDir, -1);
    assert.deepEqual([got.entries, got.records, got.lastZxid, got.truncatedTail], [[], 0, 0, null]);
  });

  test("a record torn at any byte at the end of the last segment is cut off", async (fx) => {
    await writeLog(fx.storage, [[2], [3]], {}, fx.logDir);
    const last = positions(fx.storage, fx.logDir).at(-1)!;
    const original = fx.storage.open(last.file).readAt(last.offset, last.bytes);
    for (let cut = 0; cut < last.bytes; cut++) {
      writeBytes(fx.storage, last.file, last.offset, original);
      zero(fx.storage, last.file, last.offset + cut, last.offset + last.bytes);
      const got = readLog(fx.storage, fx.logDir, -1, { repair: false });
      assert.deepEqual(got.entries.map((e) => e.zxid), [1, 2, 3, 4], `cut ${cut}`);
      if (got.truncatedTail !== null) {
        assert.equal(got.truncatedTail.file, last.file);
        assert.equal(got.truncatedTail.offset, last.offset, `cut ${cut}`);
        assert.equal(got.truncatedTail.removesFile, false);
      } else {
        // Only a cut inside the (big-endian, small) length field reads as the end marker.
        assert.ok(cut <= 3, `cut ${cut} must be reported`);
      }
    }
  });

  test("a repaired torn tail is gone for good and the log continues after it", async (fx) => {
    await writeLog(fx.storage, [[2], [3]], {}, fx.logDir);
    const last = positions(fx.storage, fx.logDir).at(-1)!;
    zero(fx.storage, last.file, last.offset + 20, last.offset + last.bytes);
    const got = readLog(fx.storage, fx.logDir, -1);
    assert.deepEqual(got.truncatedTail?.offset, last.offset);
    assert.equal(got.repaired, true);
    assert.match(got.truncatedTail!.reason, /checksum mismatch/);
    await got.durable;
    assert.equal(fx.storage.open(last.file).size(), last.offset);

    const again = readLog(fx.storage, fx.logDir, -1);
    assert.equal(again.truncatedTail, null);
    assert.equal(again.lastZxid, 4);

    const w = new TxnLogWriter(fx.storage, fx.logDir, { lastZxid: again.lastZxid });
    w.append(entries(5, 2));
    await w.sync();
    w.close();
    const final = readLog(fx.storage, fx.logDir, -1);
    assert.deepEqual(final.entries.map((e) => e.zxid), range(1, 6));
    assert.deepEqual(final.segments.map((s) => s.name), ["log.1", "log.3", "log.5"]);
  });

  test("a torn first record removes the last segment, so its name can be reused", async (fx) => {
    await writeLog(fx.storage, [[2], [3]], {}, fx.logDir);
    const third = positions(fx.storage, fx.logDir)[2];
    zero(fx.storage, third.file, third.offset + 9, fx.storage.open(third.file).size());
    const got = readLog(fx.storage, fx.logDir, -1);
    assert.equal(got.truncatedTail?.removesFile, true);
    await got.durable;
    assert.deepEqual(listSegments(fx.storage, fx.logDir).map((s) => s.name), ["log.1"]);
    const w = new TxnLogWriter(fx.storage, fx.logDir, { lastZxid: got.lastZxid });
    w.append(entries(3, 1));
    await w.sync();
    w.close();
    assert.deepEqual(readLog(fx.storage, fx.logDir, -1).entries.map((e) => e.zxid), [1, 2, 3]);
  });

  test("a record cut short by the end of the file is a torn tail", async (fx) => {
    await writeLog(fx.storage, [[3]], {}, fx.logDir);
    const last = positions(fx.storage, fx.logDir).at(-1)!;
    const original = fx.storage.open(last.file).readAt(last.offset, last.bytes);
    for (const keep of [1, 3, 4, 15, 16, last.bytes - 1]) {
      const f = fx.storage.open(last.file);
      f.writeAt(last.offset, original);
      f.truncate(last.offset + keep);
      f.close();
      const got = readLog(fx.storage, fx.logDir, -1, { repair: false });
      assert.deepEqual(got.entries.map((e) => e.zxid), [1, 2], `keep ${keep}`);
      // The length's leading bytes are zero for a small record: they read as padding.
      const expected = keep <= 3 ? undefined : last.offset;
      assert.equal(got.truncatedTail?.offset, expected, `keep ${keep}`);
    }
  });

  test("a segment whose header was torn at creation is removed when it is the last", async (fx) => {
    await writeLog(fx.storage, [[2]], {}, fx.logDir);
    const f = fx.storage.open(`${fx.logDir}/log.3`, { create: true });
    f.writeAt(0, encodeSegmentHeader(3).subarray(0, 6));
    f.truncate(4096);
    f.close();
    const got = readLog(fx.storage, fx.logDir, -1);
    assert.equal(got.truncatedTail?.offset, 0);
    assert.equal(got.truncatedTail?.removesFile, true);
    await got.durable;
    assert.equal(fx.storage.exists(`${fx.logDir}/log.3`), false);
  });

  test("corruption before the tail of the last segment stops with file and offset", async (fx) => {
    await writeLog(fx.storage, [[2], [3]], {}, fx.logDir);
    const p = positions(fx.storage, fx.logDir);
    flipByte(fx.storage, p[3].file, p[3].offset + 30);
    expectCorruption(
      fx.storage,
      fx.logDir,
      "log.3",
      p[3].offset,
      /checksum mismatch.*non-zero data follows/,
    );
  });

  test("a damaged length in the middle stops instead of skipping what follows", async (fx) => {
    await writeLog(fx.storage, [[4]], {}, fx.logDir);
    const p = positions(fx.storage, fx.logDir);
    // A huge length, a negative one, and a zeroed one (which would read as the end marker).
    for (const len of [[0x7f, 0, 0, 0], [0xff, 0xff, 0xff, 0xfe], [0, 0, 0, 0]]) {
      const f = fx.storage.open(p[1].file);
      const saved = f.readAt(p[1].offset, 4);
      f.writeAt(p[1].offset, Uint8Array.from(len));
      f.close();
      expectCorruption(fx.storage, fx.logDir, "log.1", p[1].offset, /length/);
      writeBytes(fx.storage, p[1].file, p[1].offset, saved);
    }
    assert.equal(readLog(fx.storage, fx.logDir, -1).records, 4);
  });

  test("a length enlarged to swallow the last records is corruption, not a torn tail", async (fx) => {
    await writeLog(fx.storage, [[5]], {}, fx.logDir);
    const p = positions(fx.storage, fx.logDir);
    const size = fx.storage.open(p[1].file).size();
    // Ending in the zeros after the log, and running past the end of the file.
    for (const claimed of [p[4].offset + p[4].bytes + 50 - p[1].offset, size + 100 - p[1].offset]) {
      const f = fx.storage.open(p[1].file);
      const saved = f.readAt(p[1].offset, 4);
      const length = new Uint8Array(4);
      new DataView(length.buffer).setInt32(0, claimed - 16);
      f.writeAt(p[1].offset, length);
      f.close();
      expectCorruption(
        fx.storage,
        fx.logDir,
        "log.1",
        p[1].offset,
        new RegExp(`valid record starts inside it at offset ${p[2].offset}`),
      );
      writeBytes(fx.storage, p[1].file, p[1].offset, saved);
    }
  });

  test("a zeroed length in an earlier segment stops: the next segment shows the gap", async (fx) => {
    await writeLog(fx.storage, [[4], [2]], {}, fx.logDir);
    const p = positions(fx.storage, fx.logDir);
    zero(fx.storage, p[1].file, p[1].offset, p[1].offset + 4);
    expectCorruption(fx.storage, fx.logDir, "log.1", p[1].offset, /zero record length/);
  });

  test("stray bytes after the end of data: ignored only where no record can be missing", async (fx) => {
    await writeLog(fx.storage, [[2], [2]], {}, fx.logDir);
    const p = positions(fx.storage, fx.logDir);
    const junkAt = (i: number) => p[i].offset + p[i].bytes + 100;
    // log.1 ends at zxid 2 and log.3 starts at 3: nothing can be missing from log.1.
    writeBytes(fx.storage, p[1].file, junkAt(1), Uint8Array.of(1, 2, 3));
    assert.equal(readLog(fx.storage, fx.logDir, -1).records, 4);
    // After the last record of the log, the same bytes could be lost records.
    writeBytes(fx.storage, p[3].file, junkAt(3), Uint8Array.of(1, 2, 3));
    expectCorruption(
      fx.storage,
      fx.logDir,
      "log.3",
      p[3].offset + p[3].bytes,
      /zero record length/,
    );
  });

  test("a bad record in a segment that is not the last stops, even its final record", async (fx) => {
    await writeLog(fx.storage, [[3], [2]], {}, fx.logDir);
    const p = positions(fx.storage, fx.logDir);
    flipByte(fx.storage, p[2].file, p[2].offset + p[2].bytes - 1);
    expectCorruption(fx.storage, fx.logDir, "log.1", p[2].offset, /checksum mismatch/);
  });

  test("a damaged zxid in a record header fails its checksum", async (fx) => {
    await writeLog(fx.storage, [[3]], {}, fx.logDir);
    const p = positions(fx.storage, fx.logDir);
    flipByte(fx.storage, p[0].file, p[0].offset + 15);
    expectCorruption(fx.storage, fx.logDir, "log.1", p[0].offset, /checksum/);
  });

  test("a damaged segment header stops unless the segment is an empty last one", async (fx) => {
    await writeLog(fx.storage, [[2], [2]], {}, fx.logDir);
    flipByte(fx.storage, `${fx.logDir}/log.3`, 0);
    expectCorruption(fx.storage, fx.logDir, "log.3", 0, /bad magic.*non-zero data follows/);
    flipByte(fx.storage, `${fx.logDir}/log.3`, 0);
    flipByte(fx.storage, `${fx.logDir}/log.1`, 5);
    expectCorruption(fx.storage, fx.logDir, "log.1", 0, /unsupported segment version/);
  });

  test("a zxid going backwards or repeating stops at the offending record", (fx) => {
    rawSegment(fx.storage, fx.logDir, 1, [entryAt(1), entryAt(2), entryAt(2), entryAt(3)]);
    const p = 16 + recordBytes(entryAt(1)) + recordBytes(entryAt(2));
    expectCorruption(fx.storage, fx.logDir, "log.1", p, /zxid 0x2 does not follow 0x2/);
  });

  test("a segment overlapping the one before it stops", (fx) => {
    rawSegment(fx.storage, fx.logDir, 1, [entryAt(1), entryAt(2), entryAt(3)]);
    rawSegment(fx.storage, fx.logDir, 2, [entryAt(2), entryAt(3)]);
    expectCorruption(fx.storage, fx.logDir, "log.2", 16, /zxid 0x2 does not follow 0x3/);
  });

  test("a first record that does not match the segment's name stops", (fx) => {
    rawSegment(fx.storage, fx.logDir, 5, [entryAt(1)], 5);
    expectCorruption(
      fx.storage,
      fx.logDir,
      "log.5",
      16,
      /first record has zxid 0x1, the segment is named for 0x5/,
    );
  });

  test("txns missing within an epoch stop; a new epoch may start anywhere", (fx) => {
    rawSegment(fx.storage, fx.logDir, 1, [entryAt(1), entryAt(2)]);
    rawSegment(fx.storage, fx.logDir, 4, [entryAt(4)]);
    expectCorruption(fx.storage, fx.logDir, "log.4", 16, /txns missing: zxid 0x4 follows 0x2/);
    fx.storage.remove(`${fx.logDir}/log.4`);
    rawSegment(fx.storage, fx.logDir, 0x200000001, [entryAt(0x200000001), entryAt(0x200000002)]);
    assert.deepEqual(
      readLog(fx.storage, fx.logDir, -1).entries.map((e) => e.zxid),
      [1, 2, 0x200000001, 0x200000002],
    );
    assert.deepEqual(readLog(fx.storage, fx.logDir, 1).entries.length, 3);
  });

  test("replay from a snapshot needs the txn right after it", (fx) => {
    rawSegment(fx.storage, fx.logDir, 5, [entryAt(5), entryAt(6)]);
    assert.equal(readLog(fx.storage, fx.logDir, 4).entries.length, 2);
    assert.equal(readLog(fx.storage, fx.logDir, 5).entries.length, 1);
    expectCorruptionAfter(fx.storage, fx.logDir, 3, "log.5", 16, /zxid 0x5 follows 0x3/);
  });

  test("an empty segment that is not the last stops", async (fx) => {
    await writeLog(fx.storage, [[2]], {}, fx.logDir);
    rawSegment(fx.storage, fx.logDir, 3, []);
    rawSegment(fx.storage, fx.logDir, 5, [entryAt(5)]);
    expectCorruption(fx.storage, fx.logDir, "log.3", 16, /no records/);
  });

  test("a checksummed record that does not decode stops", (fx) => {
    const w = new JuteWriter();
    w.raw(encodeSegmentHeader(1));
    writeRecord(w, entryAt(1));
    const at = w.offset;
    // A valid frame around a payload with an unknown txn type.
    const bad = new JuteWriter();
    writeRecord(bad, entryAt(2));
    const bytes = bad.toBytes();
    bytes[16 + 28 + 3] = 99; // type field of the TxnHeader
    new DataView(bytes.buffer).setUint32(4, recordCrc(bytes, 0, bytes.length - 16));
    w.raw(bytes);
    writeRecord(w, entryAt(3));
    fx.storage.mkdirp(fx.logDir);
    const f = fx.storage.open(`${fx.logDir}/log.1`, { create: true });
    f.writeAt(0, w.toBytes());
    f.close();
    expectCorruption(fx.storage, fx.logDir, "log.1", at, /undecodable txn: unknown txn type/);
  });

  test("scanLog() without repair leaves a torn tail in place", async (fx) => {
    await writeLog(fx.storage, [[3]], {}, fx.logDir);
    const last = positions(fx.storage, fx.logDir).at(-1)!;
    const size = fx.storage.open(last.file).size();
    zero(fx.storage, last.file, last.offset + 30, last.offset + last.bytes);
    const got = scanLog(fx.storage, fx.logDir);
    assert.equal(got.repaired, false);
    assert.equal(got.truncatedTail?.offset, last.offset);
    assert.equal(fx.storage.open(last.file).size(), size);
  });
}
