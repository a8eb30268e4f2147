/**
 * Cutting the log back: truncateLogAfter(zxid) removes every record above `zxid`, as a Raft
 * follower must when its log disagrees with the leader's (and as ZooKeeper's TRUNC does with
 * FileTxnLog.truncate). Segments that start above `zxid` are deleted whole; the segment that
 * holds `zxid` is cut right after its last record at or below it (the preallocated zeros
 * after the cut go too: the writer never appends to an old segment, it starts a new one).
 *
 * Crash safety, in this order:
 * 1. the later segments are removed, newest first, and the directory is fsynced;
 * 2. only then is the holding segment truncated, and fsynced.
 * A crash at any point leaves a prefix of the old log: never the cut segment followed by a
 * resurrected later one, which would be a hole that recovery could take for a new epoch.
 * `durable` resolves once both steps are on disk; until then the caller must not append, and
 * must not act on the truncation (a Raft reply saying the entries are gone). When segments
 * are removed, step 2 runs only after step 1's fsync, so until then reads still see the
 * holding segment whole.
 *
 * No TxnLogWriter may be open on the directory meanwhile (close it after its last sync());
 * afterwards a new writer with `lastZxid: zxid` appends into a new segment named for its
 * first zxid. Records are walked with the same checks recovery makes (length, CRC): a damaged
 * record before the cut point throws WalCorruptionError naming file and offset (run recovery
 * first; it repairs a torn tail), unless every record at or below `zxid` is already known to
 * be intact, in which case the damage is simply part of what is cut.
 *
 * Truncating below the newest snapshot is the caller's mistake (Raft never truncates
 * committed entries); nothing here knows about snapshots.
 */

import type { Storage } from "../storage/storage.ts";
import { hex64 as hex } from "../util/hex.ts";
import {
  readRecordHeader,
  RECORD_HEADER_BYTES,
  RECORD_PAYLOAD_BYTES_MAX,
  recordCrc,
} from "./record.ts";
import {
  listSegments,
  SEGMENT_HEADER_BYTES,
  segmentHeaderProblem,
  type SegmentRef,
  truncateFileDurably,
} from "./segment.ts";
import { SegmentReader } from "./segment_reader.ts";
import { WalCorruptionError } from "./wal_corruption_error.ts";

export interface SegmentCut {
  /** Path of the segment that holds the truncation point. */
  file: string;
  /** The new length: the end of its last record at or below the zxid. */
  offset: number;
  /** Bytes removed from the end of the file (records above the zxid and any zeros after). */
  droppedBytes: number;
  /** Zxid of the first record cut away; null when the cut starts at a damaged record. */
  firstDroppedZxid: number | null;
}

export interface LogTruncation {
  /** Segment files deleted whole (every record in them was above the zxid), oldest first. */
  removedSegments: string[];
  /** The segment cut short, or null when the truncation point ends a segment (or the log). */
  cut: SegmentCut | null;
  /** The lowest zxid removed, or null when nothing was above the zxid (a no-op). */
  firstRemovedZxid: number | null;
  /** Resolves once the truncation is on disk (at once for a no-op). */
  durable: Promise<void>;
}

/**
 * Removes every record with a zxid above `zxid` from the log in `logDir` (the `version-2`
 * directory, see logDirOf). `zxid` 0 (or anything below the first record) empties the log.
 */
export function truncateLogAfter(storage: Storage, logDir: string, zxid: number): LogTruncation {
  const segments = listSegments(storage, logDir);
  const later = segments.filter((s) => s.firstZxid > zxid);
  const holding = segments.filter((s) => s.firstZxid <= zxid).pop() ?? null;

  // Find the cut before changing anything, so a corrupt log throws with the files untouched.
  const found = holding === null ? null : findCut(storage, holding, zxid);
  const removesHolding = found !== null && found.keepsNoRecords;
  const cut = found !== null && !found.keepsNoRecords ? found.cut : null;

  const doomed = removesHolding ? [holding!, ...later] : later;
  for (let i = doomed.length - 1; i >= 0; i--) storage.remove(doomed[i].path);

  let durable: Promise<void>;
  if (doomed.length === 0) durable = cut === null ? Promise.resolve() : cutSegment(storage, cut);
  else {
    const dirDurable = storage.syncDir(logDir);
    durable = cut === null ? dirDurable : dirDurable.then(() => cutSegment(storage, cut));
  }
  return {
    removedSegments: doomed.map((s) => s.path),
    cut,
    firstRemovedZxid: found?.cut?.firstDroppedZxid ?? later[0]?.firstZxid ?? null,
    durable,
  };
}

interface FoundCut {
  /** The segment has no record at or below the zxid: remove it whole. */
  keepsNoRecords: boolean;
  /** Where to cut, or null when nothing in the segment is above the zxid. */
  cut: SegmentCut | null;
}

/** Walks `segment` to the first record above `zxid`. */
function findCut(storage: Storage, segment: SegmentRef, zxid: number): FoundCut {
  const file = storage.open(segment.path);
  try {
    const reader = new SegmentReader(file);
    const size = reader.sizeBytes;
    const headerProblem = segmentHeaderProblem(
      reader.view(0, Math.min(size, SEGMENT_HEADER_BYTES)),
      segment.firstZxid,
    );
    if (headerProblem !== null) throw new WalCorruptionError(segment.path, 0, headerProblem);

    let kept = 0;
    let lastKept = -1;
    const cutAt = (at: number, firstDroppedZxid: number | null): FoundCut => ({
      keepsNoRecords: kept === 0,
      cut: { file: segment.path, offset: at, droppedBytes: size - at, firstDroppedZxid },
    });
    /** A record that fails its checks at `at`: part of the cut only if nothing kept is lost. */
    const damaged = (at: number, reason: string): FoundCut => {
      if (lastKept === zxid) return cutAt(at, null);
      throw new WalCorruptionError(
        segment.path,
        at,
        `${reason}, before the truncation point ${hex(zxid)} (run recovery first)`,
      );
    };

    let at = SEGMENT_HEADER_BYTES;
    while (true) {
      if (at + RECORD_HEADER_BYTES > size) {
        if (reader.firstNonZero(at) === -1) return { keepsNoRecords: kept === 0, cut: null };
        return damaged(at, "partial record header at the end of the file");
      }
      const header = readRecordHeader(reader.view(at, RECORD_HEADER_BYTES), 0);
      if (header.payloadBytes === 0) {
        // Preallocated zeros: the data ends here, unless a damaged length hides more.
        const next = reader.firstNonZero(at);
        if (next === -1) return { keepsNoRecords: kept === 0, cut: null };
        return damaged(at, `zero record length, and non-zero data follows at offset ${next}`);
      }
      if (header.payloadBytes < 0 || header.payloadBytes > RECORD_PAYLOAD_BYTES_MAX) {
        return damaged(at, `impossible record length ${header.payloadBytes}`);
      }
      const recordBytes = RECORD_HEADER_BYTES + header.payloadBytes;
      if (at + recordBytes > size) {
        return damaged(at, `record of ${recordBytes} bytes runs past the end of the file`);
      }
      const record = reader.view(at, recordBytes);
      if (recordCrc(record, 0, header.payloadBytes) !== header.crc) {
        return damaged(at, `checksum mismatch in record of ${recordBytes} bytes`);
      }
      if (header.zxid <= lastKept) {
        throw new WalCorruptionError(
          segment.path,
          at,
          `zxid ${hex(header.zxid)} does not follow ${hex(lastKept)}`,
        );
      }
      if (header.zxid > zxid) return cutAt(at, header.zxid);
      kept++;
      lastKept = header.zxid;
      at += recordBytes;
    }
  } finally {
    file.close();
  }
}

function cutSegment(storage: Storage, cut: SegmentCut): Promise<void> {
  return truncateFileDurably(storage, cut.file, cut.offset);
}
