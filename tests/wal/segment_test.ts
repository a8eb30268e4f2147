/** Segment names, headers and the record frame. */

import assert from "node:assert/strict";
import { JuteWriter } from "../../lib/proto/jute.ts";
import { MemoryStorage } from "../../lib/storage/memory_storage.ts";
import { crc32 } from "../../lib/util/crc32.ts";
import { readRecordHeader, RECORD_HEADER_BYTES, writeRecord } from "../../lib/wal/record.ts";
import {
  encodeSegmentHeader,
  listSegments,
  logDirOf,
  parseSegmentName,
  segmentHeaderProblem,
  segmentName,
} from "../../lib/wal/segment.ts";
import { encodeTxnEntry } from "../../lib/wal/txn_codec.ts";
import { entryAt } from "./wal_fixtures.ts";

Deno.test("segmentName() is log.<first zxid in lowercase hex>, as ZooKeeper names logs", () => {
  assert.equal(segmentName(1), "log.1");
  assert.equal(segmentName(0x1000000ab), "log.1000000ab");
  assert.equal(parseSegmentName("log.1000000ab"), 0x1000000ab);
  assert.equal(parseSegmentName("log.FF"), 255);
  for (const other of ["log.", "log.xyz", "log.1.tmp", "snapshot.1", "log.123456789abcdef0"]) {
    assert.equal(parseSegmentName(other), null, other);
  }
  assert.equal(logDirOf("/var/zk/"), "/var/zk/version-2");
});

Deno.test("listSegments() orders by zxid, not by name, and ignores other files", () => {
  const s = new MemoryStorage();
  s.mkdirp("/d");
  for (const n of ["log.a", "log.9", "log.100000001", "log.10", "snapshot.5", "log.x"]) {
    s.open(`/d/${n}`, { create: true });
  }
  assert.deepEqual(listSegments(s, "/d").map((x) => x.firstZxid), [9, 10, 16, 0x100000001]);
  assert.deepEqual(listSegments(s, "/missing"), []);
});

Deno.test("segment header: magic ZKDL, version 1, first zxid; problems are named", () => {
  const h = encodeSegmentHeader(0x100000002);
  assert.equal(new TextDecoder().decode(h.subarray(0, 4)), "ZKDL");
  assert.deepEqual([...h.subarray(4)], [0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2]);
  assert.equal(segmentHeaderProblem(h, 0x100000002), null);
  assert.match(segmentHeaderProblem(h, 2)!, /header says first zxid 0x100000002, name says 0x2/);
  assert.match(segmentHeaderProblem(h.subarray(0, 15), 2)!, /shorter/);
  const zk = Uint8Array.from([0x5a, 0x4b, 0x4c, 0x47, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0]);
  assert.match(segmentHeaderProblem(zk, 0)!, /bad magic 0x5a4b4c47/, "a ZooKeeper log is refused");
});

Deno.test("writeRecord() frames [length][crc32 of length+zxid+payload][zxid][payload]", () => {
  const e = entryAt(0x100000007);
  const w = new JuteWriter();
  writeRecord(w, e);
  const bytes = w.toBytes();
  const payload = encodeTxnEntry(e);
  assert.equal(bytes.length, RECORD_HEADER_BYTES + payload.length);
  assert.deepEqual(bytes.subarray(16), payload);
  const header = readRecordHeader(bytes, 0);
  assert.equal(header.payloadBytes, payload.length);
  assert.equal(header.zxid, 0x100000007);
  const covered = new Uint8Array(bytes.length - 4);
  covered.set(bytes.subarray(0, 4));
  covered.set(bytes.subarray(8), 4);
  assert.equal(header.crc, crc32(covered));
});

Deno.test("writeRecord() refuses zxids that cannot be logged", () => {
  for (const zxid of [0, -1, 1.5, 2 ** 53]) {
    assert.throws(() => writeRecord(new JuteWriter(), { ...entryAt(1), zxid }), /bad zxid/);
  }
});
