/**
 * A sequential jute reader over a file read in windows (1 MiB by default), so loading a
 * snapshot of any size holds only one window of the file, not the whole file, next to the
 * tree it builds. It checksums every byte as it is read, up to a given end offset, so
 * validation costs no second pass. Errors are SnapshotErrors naming the file and offset.
 */

import { crc32 } from "../util/crc32.ts";
import type { ByteSlab } from "./byte_slab.ts";
import { SnapshotError } from "./format.ts";

const TWO_POW_32 = 4294967296;
const decoder = new TextDecoder("utf-8", { fatal: true });

/** What the reader reads from: a StorageFile, or an in-memory file (bytesSource). */
export interface ByteSource {
  size(): number;
  readAt(offset: number, length: number): Uint8Array;
}

export function bytesSource(bytes: Uint8Array): ByteSource {
  return {
    size: () => bytes.byteLength,
    readAt: (offset, length) => bytes.subarray(offset, Math.min(offset + length, bytes.length)),
  };
}

export class ChunkReader {
  readonly file: string;
  readonly #source: ByteSource;
  readonly #fileBytes: number;
  readonly #windowBytes: number;
  /** Bytes before this file offset are checksummed; the rest are not. */
  readonly #crcEnd: number;
  #crc = 0;
  #window: Uint8Array = new Uint8Array(0);
  #view = new DataView(this.#window.buffer);
  /** File offset of #window[0]. */
  #windowStart = 0;
  #pos = 0;

  constructor(source: ByteSource, file: string, crcEnd: number, windowBytes = 1 << 20) {
    this.file = file;
    this.#source = source;
    this.#fileBytes = source.size();
    this.#crcEnd = crcEnd;
    this.#windowBytes = windowBytes;
  }

  /** File offset of the next byte to read. */
  get offset(): number {
    return this.#windowStart + this.#pos;
  }

  /** CRC-32 of the bytes read so far, clipped to crcEnd. */
  get crc(): number {
    return this.#crc;
  }

  fail(what: string, offset = this.offset): never {
    throw new SnapshotError(this.file, offset, what);
  }

  #need(n: number): void {
    if (this.#pos + n <= this.#window.byteLength) return;
    const kept = this.#window.byteLength - this.#pos;
    const readFrom = this.#windowStart + this.#window.byteLength;
    const want = Math.max(n - kept, this.#windowBytes);
    const fresh = readFrom < this.#fileBytes ? this.#source.readAt(readFrom, want) : null;
    const got = fresh?.byteLength ?? 0;
    if (kept + got < n) {
      this.fail(`truncated: need ${n} bytes, file has ${this.#fileBytes}`);
    }
    const checked = Math.max(0, Math.min(got, this.#crcEnd - readFrom));
    if (checked > 0) this.#crc = crc32(fresh!, this.#crc, 0, checked);
    if (kept === 0) {
      this.#window = fresh!;
    } else {
      const joined = new Uint8Array(kept + got);
      joined.set(this.#window.subarray(this.#pos));
      joined.set(fresh!, kept);
      this.#window = joined;
    }
    this.#view = new DataView(this.#window.buffer, this.#window.byteOffset, this.#window.length);
    this.#windowStart = readFrom - kept;
    this.#pos = 0;
  }

  int(): number {
    this.#need(4);
    const v = this.#view.getInt32(this.#pos);
    this.#pos += 4;
    return v;
  }

  long(): number {
    this.#need(8);
    const hi = this.#view.getInt32(this.#pos);
    const lo = this.#view.getUint32(this.#pos + 4);
    this.#pos += 8;
    return hi * TWO_POW_32 + lo;
  }

  longBig(): bigint {
    this.#need(8);
    // Most owners are 0: return the shared constant instead of a fresh BigInt per node.
    const zero = this.#view.getInt32(this.#pos) === 0 && this.#view.getInt32(this.#pos + 4) === 0;
    const v = zero ? 0n : this.#view.getBigInt64(this.#pos);
    this.#pos += 8;
    return v;
  }

  #length(what: string): number {
    const at = this.offset;
    const n = this.int();
    if (n < -1) this.fail(`${what} length ${n}`, at);
    if (n > this.#fileBytes - this.offset) {
      this.fail(`${what} length ${n} runs past the end of the file`, at);
    }
    return n;
  }

  /** A length-prefixed UTF-8 string; null for length -1. */
  ustring(what: string): string | null {
    const at = this.offset;
    const n = this.#length(what);
    if (n === -1) return null;
    this.#need(n);
    const start = this.#pos;
    this.#pos += n;
    return decodeUtf8(this.#window, start, start + n, () => this.fail(`${what} is not UTF-8`, at));
  }

  /**
   * A length-prefixed buffer, copied out of the window (into `slab` if given, see
   * byte_slab.ts); null for length -1.
   */
  buffer(what: string, slab?: ByteSlab): Uint8Array | null {
    const n = this.#length(what);
    if (n === -1) return null;
    this.#need(n);
    const start = this.#pos;
    this.#pos += n;
    return slab === undefined
      ? this.#window.slice(start, start + n)
      : slab.copy(this.#window, start, start + n);
  }

  /** Reads (and checksums) everything up to file offset `end`. */
  skipTo(end: number): void {
    while (this.offset < end) {
      const step = Math.min(end - this.offset, this.#windowBytes);
      this.#need(step);
      this.#pos += step;
    }
  }
}

/** Paths are nearly always short ASCII: decode those without TextDecoder. */
function decodeUtf8(bytes: Uint8Array, start: number, end: number, bad: () => never): string {
  if (end - start <= 64) {
    let s = "";
    let i = start;
    for (; i < end; i++) {
      const c = bytes[i];
      if (c >= 0x80) break;
      s += String.fromCharCode(c);
    }
    if (i === end) return s;
  }
  try {
    return decoder.decode(bytes.subarray(start, end));
  } catch {
    return bad();
  }
}
