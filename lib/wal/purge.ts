/**
 * Log retention: which segments are no longer needed by any retained snapshot. Recovery
 * loads a snapshot at zxid S and replays every txn above S, so the log must keep the segment
 * that may hold S + 1 (the last one starting at or below S, as ZooKeeper's PurgeTxnLog keeps
 * it) and everything after. Segments before that one hold only txns at or below S.
 */

import type { Storage } from "../storage/storage.ts";
import { listSegments, type SegmentRef } from "./segment.ts";

/**
 * The segments (oldest first, as listSegments returns them) that may be deleted while the
 * snapshots at `retainedSnapshotZxids` are kept. No snapshots: nothing may go.
 */
export function segmentsToPurge(
  segments: readonly SegmentRef[],
  retainedSnapshotZxids: readonly number[],
): SegmentRef[] {
  if (retainedSnapshotZxids.length === 0) return [];
  const oldest = Math.min(...retainedSnapshotZxids);
  const sorted = [...segments].sort((a, b) => a.firstZxid - b.firstZxid);
  // Index of the last segment starting at or below the oldest snapshot: it holds oldest + 1.
  let keepFrom = -1;
  for (let i = 0; i < sorted.length; i++) if (sorted[i].firstZxid <= oldest) keepFrom = i;
  return keepFrom <= 0 ? [] : sorted.slice(0, keepFrom);
}

/**
 * Removes the segments of `logDir` that no retained snapshot needs; returns their paths. No
 * directory sync: a removal that a crash undoes only leaves a file for the next purge.
 */
export function purgeLog(
  storage: Storage,
  logDir: string,
  retainedSnapshotZxids: readonly number[],
): string[] {
  const doomed = segmentsToPurge(listSegments(storage, logDir), retainedSnapshotZxids);
  for (const s of doomed) storage.remove(s.path);
  return doomed.map((s) => s.path);
}
