/** Shared helpers for the WAL tests: entries to log, and a log written to some storage. */

import type { Storage } from "../../lib/storage/storage.ts";
import type { TxnEntry } from "../../lib/tree/txn.ts";
import { TxnLogWriter, type TxnLogWriterOptions } from "../../lib/wal/txn_log_writer.ts";

export const LOG_DIR = "/data/version-2";

/** A setData entry with zxid `zxid` and `dataBytes` of data derived from the zxid. */
export function entryAt(zxid: number, dataBytes = 8): TxnEntry {
  const data = new Uint8Array(dataBytes).fill(zxid & 0xff);
  return {
    sessionId: 0x1234n,
    cxid: zxid,
    zxid,
    timeMs: 1_700_000_000_000 + zxid,
    txn: { type: "setData", path: `/n${zxid}`, data, version: zxid },
  };
}

/** Entries with zxids first..first+count-1. */
export function entries(first: number, count: number, dataBytes = 8): TxnEntry[] {
  return Array.from({ length: count }, (_, i) => entryAt(first + i, dataBytes));
}

/**
 * Writes `segments` (each a list of batch sizes) starting at zxid 1, rolling between segments,
 * syncing after every batch; returns the writer (closed) and the last zxid.
 */
export async function writeLog(
  storage: Storage,
  segments: number[][],
  options: TxnLogWriterOptions = {},
  logDir = LOG_DIR,
): Promise<number> {
  const w = new TxnLogWriter(storage, logDir, { preAllocSizeBytes: 4096, ...options });
  let zxid = (options.lastZxid ?? 0) + 1;
  for (let s = 0; s < segments.length; s++) {
    if (s > 0) w.roll();
    for (const n of segments[s]) {
      w.append(entries(zxid, n));
      zxid += n;
      await w.sync();
    }
  }
  w.close();
  return zxid - 1;
}
