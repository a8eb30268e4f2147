/**
 * Reading the log back: every segment in zxid order, every record checked (length in bounds,
 * CRC, zxids strictly increasing across the whole log, each segment's first record matching
 * its name, the payload decoding to exactly one txn).
 *
 * Two kinds of damage are told apart, and data is never skipped silently:
 *
 * - A torn tail: the last segment ends in a record that fails its checks, nothing but zeros
 *   (or the end of the file) follows it, and no valid record starts inside it (a damaged
 *   length must not swallow the records after it). That is what a crash leaves when a write was
 *   cut short, and nothing after it can have been acknowledged (a reply waits for the sync
 *   that covers its record and every record before it). With `repair` the segment is cut at
 *   that record's offset (a segment left with no records is removed), and the result says
 *   where, so the caller can log a line. The writer must not write until `durable` resolves:
 *   otherwise new records could reach the disk before the cut, and a later crash would leave
 *   the torn bytes in what is then not the last segment.
 * - Anything else: a bad record with non-zero data after it, a bad record or an empty segment
 *   that is not the last, a zxid going backwards or repeating, a payload that does not decode,
 *   or txns missing from the part to replay (zxids after afterZxid must count up by one within
 *   an epoch). That throws WalCorruptionError naming the file and byte offset.
 *
 * The zeros after the last record of a segment are read to prove no record hides behind a
 * damaged length, except in a segment whose successor starts at exactly the next zxid: there
 * nothing can be missing, and skipping saves reading up to preAllocSize per segment.
 *
 * Known limit: a disk that writes back the pages of one unsynced write out of order can leave
 * a hole followed by data after a crash; that reads as corruption, and start-up stops for an
 * operator instead of guessing.
 */

import { DecodeError } from "../proto/jute.ts";
import type { Storage } from "../storage/storage.ts";
import type { TxnEntry } from "../tree/txn.ts";
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
import { hex64 as hex } from "../util/hex.ts";
import { decodeTxnEntry } from "./txn_codec.ts";
import { WalCorruptionError } from "./wal_corruption_error.ts";

export interface TruncatedTail {
  /** Path of the last segment. */
  file: string;
  /** Where the valid log ends: the byte offset of the first bad record. */
  offset: number;
  /** What was wrong with the record at `offset`. */
  reason: string;
  /** Bytes from `offset` to the end of the torn record (what a repair throws away). */
  droppedBytes: number;
  /** The segment kept no records, so the repair removes the whole file. */
  removesFile: boolean;
}

export interface RecordPosition {
  file: string;
  offset: number;
  /** Record size including its 16-byte header. */
  bytes: number;
}

export interface ScanOptions {
  /** Records at or below this zxid are checked but not decoded or delivered. Default -1. */
  afterZxid?: number;
  /** Truncate a torn tail (and remove a segment left empty). Default false: read only. */
  repair?: boolean;
  /** Called for every record above afterZxid, in zxid order. */
  onEntry?: (entry: TxnEntry, position: RecordPosition) => void;
}

export interface LogScan {
  /** The segments read, oldest first (those wholly at or below afterZxid are not read). */
  segments: SegmentRef[];
  /** Records that passed every check, including those at or below afterZxid. */
  records: number;
  /** Lowest and highest zxid among those records; 0 when there are none. */
  firstZxid: number;
  lastZxid: number;
  /** The torn tail found (and cut, if `repaired`), or null. */
  truncatedTail: TruncatedTail | null;
  repaired: boolean;
  /** Resolves once a repair is on disk (at once when there was nothing to repair). */
  durable: Promise<void>;
}

/** Checks the log in `logDir` and hands each entry above afterZxid to onEntry. */
export function scanLog(storage: Storage, logDir: string, options: ScanOptions = {}): LogScan {
  const afterZxid = options.afterZxid ?? -1;
  const all = listSegments(storage, logDir);
  // Segment i holds zxids below the next segment's first; skip those wholly <= afterZxid.
  const segments = all.filter((_, i) =>
    i + 1 === all.length || all[i + 1].firstZxid > afterZxid + 1
  );
  const scan: SegmentScan = {
    afterZxid,
    onEntry: options.onEntry,
    records: 0,
    firstZxid: 0,
    lastZxid: 0,
    lastDelivered: afterZxid,
    tail: null,
  };
  for (let i = 0; i < segments.length; i++) {
    scanSegment(storage, segments[i], segments[i + 1]?.firstZxid ?? null, scan);
  }

  const repair = (options.repair ?? false) && scan.tail !== null;
  let durable = Promise.resolve();
  if (repair && scan.tail !== null) durable = cutTail(storage, logDir, scan.tail);
  return {
    segments,
    records: scan.records,
    firstZxid: scan.firstZxid,
    lastZxid: scan.lastZxid,
    truncatedTail: scan.tail,
    repaired: repair,
    durable,
  };
}

export interface ReadLog extends LogScan {
  /** Every entry above afterZxid, in zxid order. */
  entries: TxnEntry[];
}

/**
 * Recovery's read: the entries after `afterZxid` (a snapshot's zxid; -1 for all), with a torn
 * tail repaired unless `repair: false`. Await `durable` before writing to the log again.
 */
export function readLog(
  storage: Storage,
  logDir: string,
  afterZxid: number,
  options: { repair?: boolean } = {},
): ReadLog {
  const entries: TxnEntry[] = [];
  const scan = scanLog(storage, logDir, {
    afterZxid,
    repair: options.repair ?? true,
    onEntry: (entry) => entries.push(entry),
  });
  return { ...scan, entries };
}

interface SegmentScan {
  readonly afterZxid: number;
  readonly onEntry: ScanOptions["onEntry"];
  records: number;
  firstZxid: number;
  lastZxid: number;
  /** The last zxid handed to onEntry, or afterZxid before the first. */
  lastDelivered: number;
  tail: TruncatedTail | null;
}

/** `nextFirstZxid`: the first zxid of the following segment, null for the last segment. */
function scanSegment(
  storage: Storage,
  segment: SegmentRef,
  nextFirstZxid: number | null,
  scan: SegmentScan,
): void {
  const isLast = nextFirstZxid === null;
  const file = storage.open(segment.path);
  try {
    const reader = new SegmentReader(file);
    const size = reader.sizeBytes;
    let recordsHere = 0;

    /** A record (or the header) at `offset` failed: a torn tail, or corruption. */
    const bad = (offset: number, reason: string, extentEnd: number): void => {
      if (!isLast) throw new WalCorruptionError(segment.path, offset, reason);
      const next = reader.firstNonZero(extentEnd);
      if (next !== -1) {
        throw new WalCorruptionError(
          segment.path,
          offset,
          `${reason}, and non-zero data follows at offset ${next}`,
        );
      }
      // A damaged length can make a record claim the records after it; cutting there would
      // drop data that was written whole, so a valid record inside the extent is corruption.
      const hidden = findRecord(reader, offset + 1, extentEnd, scan.lastZxid);
      if (hidden !== -1) {
        throw new WalCorruptionError(
          segment.path,
          offset,
          `${reason}, and a valid record starts inside it at offset ${hidden}`,
        );
      }
      scan.tail = {
        file: segment.path,
        offset,
        reason,
        droppedBytes: extentEnd - offset,
        removesFile: recordsHere === 0,
      };
    };

    const headerProblem = segmentHeaderProblem(
      reader.view(0, Math.min(size, SEGMENT_HEADER_BYTES)),
      segment.firstZxid,
    );
    if (headerProblem !== null) {
      bad(0, headerProblem, Math.min(size, SEGMENT_HEADER_BYTES));
      return;
    }

    let at = SEGMENT_HEADER_BYTES;
    while (true) {
      if (at + RECORD_HEADER_BYTES > size) {
        if (reader.firstNonZero(at) === -1) break;
        bad(at, "partial record header at the end of the file", size);
        return;
      }
      const header = readRecordHeader(reader.view(at, RECORD_HEADER_BYTES), 0);
      if (header.payloadBytes === 0) {
        // When the next segment starts right after this record, no record can be missing
        // here, so the (up to preAllocSize) zeros need not be read to prove it.
        if (recordsHere > 0 && nextFirstZxid === scan.lastZxid + 1) break;
        const next = reader.firstNonZero(at);
        if (next === -1) break;
        // A write is never torn before its own first bytes, so a zero length with data
        // after it is a length that was damaged, in any segment.
        throw new WalCorruptionError(
          segment.path,
          at,
          `zero record length, and non-zero data follows at offset ${next}`,
        );
      }
      if (header.payloadBytes < 0 || header.payloadBytes > RECORD_PAYLOAD_BYTES_MAX) {
        bad(at, `impossible record length ${header.payloadBytes}`, at + RECORD_HEADER_BYTES);
        return;
      }
      const recordBytes = RECORD_HEADER_BYTES + header.payloadBytes;
      if (at + recordBytes > size) {
        bad(at, `record of ${recordBytes} bytes runs past the end of the file (${size})`, size);
        return;
      }
      const record = reader.view(at, recordBytes);
      if (recordCrc(record, 0, header.payloadBytes) !== header.crc) {
        bad(at, `checksum mismatch in record of ${recordBytes} bytes`, at + recordBytes);
        return;
      }

      // From here the bytes are what some writer wrote: a problem is never a torn write.
      const zxid = header.zxid;
      if (recordsHere === 0 && zxid !== segment.firstZxid) {
        throw new WalCorruptionError(
          segment.path,
          at,
          `first record has zxid ${hex(zxid)}, the segment is named for ${hex(segment.firstZxid)}`,
        );
      }
      if (scan.records > 0 && zxid <= scan.lastZxid) {
        throw new WalCorruptionError(
          segment.path,
          at,
          `zxid ${hex(zxid)} does not follow ${hex(scan.lastZxid)}`,
        );
      }
      if (zxid > scan.afterZxid) {
        // Replay needs every txn after the snapshot. Within an epoch zxids count up by one,
        // so a jump there means txns are missing (a lost segment, a wrong snapshot).
        const prev = scan.lastDelivered;
        if (prev >= 0 && epochOf(prev) === epochOf(zxid) && zxid !== prev + 1) {
          throw new WalCorruptionError(
            segment.path,
            at,
            `txns missing: zxid ${hex(zxid)} follows ${hex(prev)} in the same epoch`,
          );
        }
        let entry: TxnEntry;
        try {
          entry = decodeTxnEntry(record.subarray(RECORD_HEADER_BYTES));
        } catch (e) {
          if (!(e instanceof DecodeError)) throw e;
          throw new WalCorruptionError(segment.path, at, `undecodable txn: ${e.message}`);
        }
        if (entry.zxid !== zxid) {
          throw new WalCorruptionError(
            segment.path,
            at,
            `record zxid ${hex(zxid)} but txn header zxid ${hex(entry.zxid)}`,
          );
        }
        scan.onEntry?.(entry, { file: segment.path, offset: at, bytes: recordBytes });
        scan.lastDelivered = zxid;
      }
      if (scan.records === 0) scan.firstZxid = zxid;
      scan.records++;
      scan.lastZxid = zxid;
      recordsHere++;
      at += recordBytes;
    }

    if (recordsHere === 0) {
      // A segment is created with its first record, so an empty one is a crash right after
      // creating it (harmless, removed by a repair) or, anywhere but last, lost data.
      if (!isLast) throw new WalCorruptionError(segment.path, at, "segment holds no records");
      scan.tail = {
        file: segment.path,
        offset: SEGMENT_HEADER_BYTES,
        reason: "segment holds no records",
        droppedBytes: 0,
        removesFile: true,
      };
    }
  } finally {
    file.close();
  }
}

/**
 * The offset of the first record in [from, to) that passes its checks and follows
 * `lastZxid`, or -1. Only used on the rare path where a tail looks torn.
 */
function findRecord(reader: SegmentReader, from: number, to: number, lastZxid: number): number {
  const size = reader.sizeBytes;
  for (let at = from; at < to && at + RECORD_HEADER_BYTES <= size; at++) {
    const header = readRecordHeader(reader.view(at, RECORD_HEADER_BYTES), 0);
    if (header.payloadBytes <= 0 || header.payloadBytes > RECORD_PAYLOAD_BYTES_MAX) continue;
    if (at + RECORD_HEADER_BYTES + header.payloadBytes > size || header.zxid <= lastZxid) continue;
    const record = reader.view(at, RECORD_HEADER_BYTES + header.payloadBytes);
    if (recordCrc(record, 0, header.payloadBytes) === header.crc) return at;
  }
  return -1;
}

/** The high 32 bits of a zxid: the leader epoch that issued it. */
function epochOf(zxid: number): number {
  return Math.floor(zxid / 4294967296);
}

/** Applies a repair: cut the segment at the tail, or remove it if nothing valid remains. */
function cutTail(storage: Storage, logDir: string, tail: TruncatedTail): Promise<void> {
  if (tail.removesFile) {
    storage.remove(tail.file);
    return storage.syncDir(logDir);
  }
  return truncateFileDurably(storage, tail.file, tail.offset);
}
