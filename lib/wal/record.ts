/**
 * The log record frame around one encoded txn:
 *
 *     [int32 payloadBytes][uint32 crc32][int64 zxid][payloadBytes of txn_codec output]
 *
 * all big-endian. The CRC covers every byte of the record except itself (length, zxid and
 * payload), so a damaged length or zxid is caught as surely as a damaged payload. The zxid
 * sits outside the payload so recovery can check ordering and skip records at or below a
 * snapshot's zxid without decoding them. A length of zero cannot be a record (a payload holds
 * at least a TxnHeader): it marks the end of data, which is what preallocated zeros read as.
 */

import type { JuteWriter } from "../proto/jute.ts";
import type { TxnEntry } from "../tree/txn.ts";
import { assert } from "../util/assert.ts";
import { crc32 } from "../util/crc32.ts";
import { writeTxnEntry } from "./txn_codec.ts";

export const RECORD_HEADER_BYTES = 16;

/**
 * Largest payload the writer produces and the reader accepts. Far above jute.maxbuffer
 * (requests are capped at 1 MiB) because a closeSession lists every ephemeral of its session;
 * the bound exists so a damaged length cannot make recovery allocate gigabytes.
 */
export const RECORD_PAYLOAD_BYTES_MAX = 256 * 1024 * 1024;

/** Appends the framed record for `entry` to `w`. */
export function writeRecord(w: JuteWriter, entry: TxnEntry): void {
  assert(Number.isSafeInteger(entry.zxid) && entry.zxid > 0, `bad zxid ${entry.zxid}`);
  const at = w.offset;
  w.int(0).int(0).long(entry.zxid);
  writeTxnEntry(w, entry);
  const payloadBytes = w.offset - at - RECORD_HEADER_BYTES;
  assert(
    payloadBytes <= RECORD_PAYLOAD_BYTES_MAX,
    `txn ${entry.zxid} is ${payloadBytes} bytes, above the ${RECORD_PAYLOAD_BYTES_MAX} limit`,
  );
  w.patchInt(at, payloadBytes);
  w.patchInt(at + 4, recordCrc(w.view(), at, payloadBytes) | 0);
}

/** The CRC a record at `at` in `bytes` must carry, given its payload length. */
export function recordCrc(bytes: Uint8Array, at: number, payloadBytes: number): number {
  const lengthCrc = crc32(bytes.subarray(at, at + 4));
  return crc32(bytes.subarray(at + 8, at + RECORD_HEADER_BYTES + payloadBytes), lengthCrc);
}

export interface RecordHeader {
  payloadBytes: number;
  /** Unsigned. */
  crc: number;
  zxid: number;
}

/** Reads the 16 header bytes at `at` (the caller checked they are there). */
export function readRecordHeader(bytes: Uint8Array, at: number): RecordHeader {
  const view = new DataView(bytes.buffer, bytes.byteOffset + at, RECORD_HEADER_BYTES);
  return {
    payloadBytes: view.getInt32(0),
    crc: view.getUint32(4),
    zxid: view.getInt32(8) * 4294967296 + view.getUint32(12),
  };
}
