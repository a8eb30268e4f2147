/**
 * Buffered random access to one segment file for recovery. Records are small and many, so
 * reading each through its own readAt would cost two system calls per record; instead a
 * window of WINDOW_BYTES is read at a time and records are viewed inside it.
 */

import type { StorageFile } from "../storage/storage.ts";
import { assert } from "../util/assert.ts";

const WINDOW_BYTES = 4 * 1024 * 1024;

export class SegmentReader {
  readonly file: StorageFile;
  /** File length in bytes, read once: the file does not change while it is scanned. */
  readonly sizeBytes: number;
  #windowStart = 0;
  #window: Uint8Array = new Uint8Array(0);

  constructor(file: StorageFile) {
    this.file = file;
    this.sizeBytes = file.size();
  }

  /** A view of `length` bytes at `offset`, valid until the next call. Must lie in the file. */
  view(offset: number, length: number): Uint8Array {
    assert(offset >= 0 && offset + length <= this.sizeBytes, "read outside the segment");
    const from = offset - this.#windowStart;
    if (from >= 0 && from + length <= this.#window.byteLength) {
      return this.#window.subarray(from, from + length);
    }
    const want = Math.min(this.sizeBytes - offset, Math.max(length, WINDOW_BYTES));
    this.#window = this.file.readAt(offset, want);
    this.#windowStart = offset;
    assert(this.#window.byteLength >= length, `short read in ${this.file.path} at ${offset}`);
    return this.#window.subarray(0, length);
  }

  /** Offset of the first non-zero byte at or after `from`, or -1 if the rest is zeros. */
  firstNonZero(from: number): number {
    for (let at = from; at < this.sizeBytes;) {
      const chunk = this.view(at, Math.min(WINDOW_BYTES, this.sizeBytes - at));
      const i = firstNonZeroIndex(chunk);
      if (i !== -1) return at + i;
      at += chunk.byteLength;
    }
    return -1;
  }
}

/** Index of the first non-zero byte, or -1; word at a time, since tails are megabytes. */
export function firstNonZeroIndex(bytes: Uint8Array): number {
  let i = 0;
  const n = bytes.byteLength;
  while (i < n && (bytes.byteOffset + i) % 4 !== 0) {
    if (bytes[i] !== 0) return i;
    i++;
  }
  if (i === n) return -1;
  const words = new Uint32Array(bytes.buffer, bytes.byteOffset + i, (n - i) >>> 2);
  for (let w = 0; w < words.length; w++) {
    if (words[w] !== 0) {
      i += w * 4;
      while (bytes[i] === 0) i++;
      return i;
    }
  }
  for (i += words.length * 4; i < n; i++) if (bytes[i] !== 0) return i;
  return -1;
}
