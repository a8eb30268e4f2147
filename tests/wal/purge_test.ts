/** Log retention: keep the segment holding the oldest retained snapshot's next txn onwards. */

import assert from "node:assert/strict";
import { MemoryStorage } from "../../lib/storage/memory_storage.ts";
import { purgeLog, segmentsToPurge } from "../../lib/wal/purge.ts";
import { readLog } from "../../lib/wal/recovery.ts";
import { listSegments, type SegmentRef } from "../../lib/wal/segment.ts";
import { LOG_DIR, writeLog } from "./wal_fixtures.ts";

const segs = (...first: number[]): SegmentRef[] =>
  first.map((z) => ({
    name: `log.${z.toString(16)}`,
    path: `/d/log.${z.toString(16)}`,
    firstZxid: z,
  }));
const names = (s: SegmentRef[]) => s.map((x) => x.firstZxid);

Deno.test("segmentsToPurge() keeps the segment containing the oldest snapshot and later ones", () => {
  const all = segs(1, 100, 200, 300);
  assert.deepEqual(names(segmentsToPurge(all, [250])), [1, 100]);
  assert.deepEqual(names(segmentsToPurge(all, [250, 150, 400])), [1], "the oldest snapshot rules");
  assert.deepEqual(names(segmentsToPurge(all, [200])), [1, 100], "a segment starting at S holds S");
  assert.deepEqual(names(segmentsToPurge(all, [199])), [1], "log.64 may hold 199's successor");
  assert.deepEqual(names(segmentsToPurge(all, [0])), [], "snapshot.0 needs the whole log");
  assert.deepEqual(names(segmentsToPurge(all, [99999])), [1, 100, 200]);
  assert.deepEqual(names(segmentsToPurge(all, [])), [], "no snapshot: keep everything");
  assert.deepEqual(names(segmentsToPurge(segs(300, 1, 200), [250])), [1], "order does not matter");
  assert.deepEqual(names(segmentsToPurge([], [5])), []);
});

Deno.test("purgeLog() removes what segmentsToPurge() names; recovery from the snapshot still works", async () => {
  const s = new MemoryStorage();
  await writeLog(s, [[5], [5], [5], [5]]);
  assert.deepEqual(purgeLog(s, LOG_DIR, [12, 8]), [`${LOG_DIR}/log.1`]);
  assert.deepEqual(listSegments(s, LOG_DIR).map((x) => x.name), ["log.6", "log.b", "log.10"]);
  assert.deepEqual(readLog(s, LOG_DIR, 8).entries.map((e) => e.zxid)[0], 9);
});
