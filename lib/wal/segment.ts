/**
 * Log segment files: where they live, how they are named and the header they start with.
 *
 * Segments sit in `<dataLogDir>/version-2/` (ZooKeeper's layout) and are named
 * `log.<zxid of their first record, lowercase hex, no padding>`, so sorting by the parsed
 * name orders the log. Each starts with a 16-byte header {int magic "ZKDL", int version,
 * long firstZxid}; the magic differs from ZooKeeper's "ZKLG" on purpose, because the record
 * frame differs and neither program should misread the other's files.
 */

import type { Storage } from "../storage/storage.ts";

export const LOG_DIR_NAME = "version-2";
export const SEGMENT_MAGIC = 0x5a4b444c; // "ZKDL"
export const SEGMENT_VERSION = 1;
export const SEGMENT_HEADER_BYTES = 16;

const NAME = /^log\.([0-9a-fA-F]{1,14})$/;

/** The directory holding the segments for a dataLogDir. */
export function logDirOf(dataLogDir: string): string {
  return `${dataLogDir.replace(/\/+$/, "")}/${LOG_DIR_NAME}`;
}

export function segmentName(firstZxid: number): string {
  return `log.${firstZxid.toString(16)}`;
}

/** The first zxid a segment name declares, or null for files that are not segments. */
export function parseSegmentName(name: string): number | null {
  const m = NAME.exec(name);
  if (m === null) return null;
  const zxid = parseInt(m[1], 16);
  return Number.isSafeInteger(zxid) ? zxid : null;
}

export interface SegmentRef {
  name: string;
  path: string;
  firstZxid: number;
}

/** The segments in `logDir`, oldest first; other files are ignored. */
export function listSegments(storage: Storage, logDir: string): SegmentRef[] {
  const out: SegmentRef[] = [];
  for (const name of storage.list(logDir)) {
    const firstZxid = parseSegmentName(name);
    if (firstZxid !== null) out.push({ name, path: `${logDir}/${name}`, firstZxid });
  }
  return out.sort((a, b) => a.firstZxid - b.firstZxid);
}

export function encodeSegmentHeader(firstZxid: number): Uint8Array {
  const bytes = new Uint8Array(SEGMENT_HEADER_BYTES);
  const view = new DataView(bytes.buffer);
  view.setInt32(0, SEGMENT_MAGIC);
  view.setInt32(4, SEGMENT_VERSION);
  view.setInt32(8, Math.floor(firstZxid / 4294967296));
  view.setUint32(12, firstZxid % 4294967296);
  return bytes;
}

/** Why `bytes` is not the header of a segment starting at `firstZxid`, or null if it is. */
export function segmentHeaderProblem(bytes: Uint8Array, firstZxid: number): string | null {
  if (bytes.byteLength < SEGMENT_HEADER_BYTES) return "file shorter than the segment header";
  const view = new DataView(bytes.buffer, bytes.byteOffset, SEGMENT_HEADER_BYTES);
  const magic = view.getUint32(0);
  if (magic !== SEGMENT_MAGIC) return `bad magic 0x${magic.toString(16)}`;
  const version = view.getInt32(4);
  if (version !== SEGMENT_VERSION) return `unsupported segment version ${version}`;
  const zxid = view.getInt32(8) * 4294967296 + view.getUint32(12);
  if (zxid !== firstZxid) {
    return `header says first zxid 0x${zxid.toString(16)}, name says 0x${firstZxid.toString(16)}`;
  }
  return null;
}

/** Cuts the file at `path` to `offset` bytes; resolves once the cut is on disk. */
export function truncateFileDurably(storage: Storage, path: string, offset: number): Promise<void> {
  const file = storage.open(path);
  try {
    file.truncate(offset);
  } catch (e) {
    file.close();
    throw e;
  }
  return file.sync().then(
    () => file.close(),
    (e) => {
      file.close();
      throw e;
    },
  );
}
