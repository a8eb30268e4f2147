/** Raft hard state file: round trip, atomic replacement across crashes, corruption caught. */

import assert from "node:assert/strict";
import { MemoryStorage } from "../../lib/storage/memory_storage.ts";
import { crc32 } from "../../lib/util/crc32.ts";
import { OperatorError } from "../../lib/util/operator_error.ts";
import { randomBelow, SeededRandom } from "../../lib/util/random.ts";
import {
  decodeHardState,
  encodeHardState,
  HARD_STATE_BYTES,
  HardStateCorruptionError,
  hardStatePath,
  readHardState,
  writeHardState,
} from "../../lib/wal/hard_state.ts";
import { readLog } from "../../lib/wal/recovery.ts";
import { logDirOf } from "../../lib/wal/segment.ts";
import { LOG_DIR, writeLog } from "./wal_fixtures.ts";

const PATH = `${LOG_DIR}/raftState`;

Deno.test("readHardState() of a member that never voted: term 0, no vote", () => {
  assert.deepEqual(readHardState(new MemoryStorage(), LOG_DIR), { term: 0, votedFor: null });
});

Deno.test("writeHardState() then readHardState() round-trips, next to the log segments", async () => {
  const s = new MemoryStorage();
  assert.equal(hardStatePath(logDirOf("/data")), PATH);
  assert.equal(hardStatePath(LOG_DIR + "/"), PATH);
  for (
    const state of [
      { term: 1, votedFor: 3 },
      { term: 1, votedFor: null },
      { term: 2 ** 21 - 1, votedFor: 0 },
      { term: Number.MAX_SAFE_INTEGER, votedFor: Number.MAX_SAFE_INTEGER },
      { term: 0, votedFor: null },
    ]
  ) {
    await writeHardState(s, LOG_DIR, state);
    assert.deepEqual(readHardState(s, LOG_DIR), state);
    assert.deepEqual(decodeHardState(s.durableContentOf(PATH)), state, "durable");
  }
  assert.deepEqual(s.list(LOG_DIR), ["raftState"], "the temp file was renamed away");

  // The log in the same directory reads as before: other files are not segments.
  await writeLog(s, [[3]]);
  assert.deepEqual(readLog(s, LOG_DIR, -1).entries.map((e) => e.zxid), [1, 2, 3]);
  assert.deepEqual(readHardState(s, LOG_DIR), { term: 0, votedFor: null });
});

Deno.test("encodeHardState() lays out 28 bytes: magic, version, term, votedFor, crc", () => {
  const bytes = encodeHardState({ term: 0x1_0000_0002, votedFor: null });
  assert.equal(bytes.byteLength, HARD_STATE_BYTES);
  assert.equal(new TextDecoder().decode(bytes.subarray(0, 4)), "ZKRS");
  const view = new DataView(bytes.buffer);
  assert.equal(view.getInt32(4), 1);
  assert.equal(view.getBigInt64(8), 0x1_0000_0002n);
  assert.equal(view.getBigInt64(16), -1n);
  assert.throws(() => encodeHardState({ term: -1, votedFor: null }), /bad term/);
  assert.throws(() => encodeHardState({ term: 1.5, votedFor: null }), /bad term/);
  assert.throws(() => encodeHardState({ term: 1, votedFor: -2 }), /bad votedFor/);
});

Deno.test("readHardState() names the file when it is damaged, never guesses", async () => {
  const damage: Array<[string, (s: MemoryStorage) => void, RegExp]> = [
    ["a flipped term bit", (s) => s.corruptByte(PATH, 15, 0x01), /checksum mismatch/],
    ["a flipped checksum bit", (s) => s.corruptByte(PATH, 27, 0x80), /checksum mismatch/],
    ["a bad magic", (s) => s.corruptByte(PATH, 0, 0xff), /bad magic/],
    ["a short file", (s) => truncateTo(s, 20), /20 bytes, expected 28/],
    ["an empty file", (s) => truncateTo(s, 0), /0 bytes, expected 28/],
    ["a long file", (s) => truncateTo(s, 40), /29 bytes, expected 28/],
  ];
  for (const [what, harm, re] of damage) {
    const s = new MemoryStorage();
    await writeHardState(s, LOG_DIR, { term: 7, votedFor: 2 });
    harm(s);
    assert.throws(
      () => readHardState(s, LOG_DIR),
      (e: unknown) =>
        e instanceof HardStateCorruptionError && e instanceof OperatorError && e.file === PATH &&
        re.test(e.message) && e.message.startsWith(`Raft state file corrupt: ${PATH}: `),
      what,
    );
  }
  // A valid checksum over a bad version or value is refused too.
  const bytes = encodeHardState({ term: 1, votedFor: 1 });
  const view = new DataView(bytes.buffer);
  view.setInt32(4, 2);
  view.setUint32(24, crc32(bytes.subarray(0, 24)));
  assert.equal(decodeHardState(bytes), "unsupported version 2");
  view.setInt32(4, 1);
  view.setBigInt64(16, -5n);
  view.setUint32(24, crc32(bytes.subarray(0, 24)));
  assert.equal(decodeHardState(bytes), "bad votedFor -5");
});

function truncateTo(s: MemoryStorage, size: number): void {
  const f = s.open(PATH);
  f.truncate(size);
  f.close();
}

Deno.test("writeHardState() is atomic: a crash leaves the old state or the new, never a mix", async () => {
  for (let seed = 1; seed <= 150; seed++) {
    const random = new SeededRandom(seed);
    let s = new MemoryStorage({ manualSync: true });
    const old = { term: 4, votedFor: 1 };
    const written = writeHardState(s, LOG_DIR, old);
    while (s.completeSyncs() > 0) await new Promise((r) => setTimeout(r, 0));
    await written;

    const next = {
      term: 5 + randomBelow(random, 1000),
      votedFor: randomBelow(random, 2) ? 2 : null,
    };
    let durable = false;
    writeHardState(s, LOG_DIR, next).then(() => durable = true, () => {});
    // Complete 0, 1 or 2 rounds of syncs (the file, then the directory) before the crash.
    for (let round = randomBelow(random, 3); round > 0; round--) {
      s.completeSyncs();
      await new Promise((r) => setTimeout(r, 0));
    }
    s = s.crash({ random });
    const got = readHardState(s, LOG_DIR);
    if (durable) assert.deepEqual(got, next, `seed ${seed}: durable write lost`);
    else assert.ok([old, next].some((x) => x.term === got.term), `seed ${seed}: ${got.term}`);
    assert.ok(
      got.term === old.term ? got.votedFor === old.votedFor : got.votedFor === next.votedFor,
      `seed ${seed}: mixed state`,
    );
  }
});

Deno.test("writeHardState() creates the log directory durably on a fresh member", async () => {
  const s = new MemoryStorage();
  const dirSyncs = s.dirSyncCount;
  await writeHardState(s, "/fresh/version-2", { term: 1, votedFor: 1 });
  assert.deepEqual(readHardState(s, "/fresh/version-2"), { term: 1, votedFor: 1 });
  assert.equal(s.dirSyncCount - dirSyncs, 2, "the directory and its parent");
});

Deno.test("writeHardState() rejects when the fsync fails, and the old state stays", async () => {
  const s = new MemoryStorage();
  await writeHardState(s, LOG_DIR, { term: 3, votedFor: 3 });
  // The temp file exists from the last write; make its next sync fail.
  const f = s.open(`${PATH}.tmp`, { create: true });
  f.close();
  s.failNextSync(`${PATH}.tmp`);
  await assert.rejects(writeHardState(s, LOG_DIR, { term: 4, votedFor: 1 }), /injected sync/);
  assert.deepEqual(readHardState(s, LOG_DIR), { term: 3, votedFor: 3 });
});
