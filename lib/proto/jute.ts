/**
 * Jute binary encoding (ZooKeeper's record serialisation): big-endian ints and longs,
 * length-prefixed strings and buffers where length -1 means null, vectors with a count.
 *
 * 64-bit fields come in two flavours. Zxids, times and versions stay below 2^53 in practice,
 * so they travel as `number` (fast); session ids and ephemeral owners use all 64 bits and
 * travel as `bigint`.
 */

const TWO_POW_32 = 4294967296;
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8");

/** The peer sent bytes that do not form the record we expected. */
export class DecodeError extends Error {
  override name = "DecodeError";
}

export class JuteReader {
  readonly bytes: Uint8Array;
  readonly #view: DataView;
  #offset: number;
  readonly #end: number;
  /** Longest string or buffer accepted, in bytes (jute.maxbuffer plus slack, as ZooKeeper). */
  readonly fieldBytesMax: number;

  constructor(bytes: Uint8Array, fieldBytesMax = 0x7fffffff) {
    this.bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#offset = 0;
    this.#end = bytes.byteLength;
    this.fieldBytesMax = fieldBytesMax;
  }

  get offset(): number {
    return this.#offset;
  }

  get remaining(): number {
    return this.#end - this.#offset;
  }

  #need(n: number): void {
    if (this.#offset + n > this.#end) {
      throw new DecodeError(`record truncated: need ${n} bytes at offset ${this.#offset}`);
    }
  }

  int(): number {
    this.#need(4);
    const v = this.#view.getInt32(this.#offset);
    this.#offset += 4;
    return v;
  }

  /** A long as a number; exact for |v| < 2^53 (zxids, times, ttl). */
  long(): number {
    this.#need(8);
    const hi = this.#view.getInt32(this.#offset);
    const lo = this.#view.getUint32(this.#offset + 4);
    this.#offset += 8;
    return hi * TWO_POW_32 + lo;
  }

  /** A long as a signed bigint (session ids, ephemeral owners). */
  longBig(): bigint {
    this.#need(8);
    const v = this.#view.getBigInt64(this.#offset);
    this.#offset += 8;
    return v;
  }

  bool(): boolean {
    this.#need(1);
    return this.bytes[this.#offset++] !== 0;
  }

  #length(): number {
    const n = this.int();
    if (n < -1) throw new DecodeError(`negative length ${n}`);
    if (n > this.fieldBytesMax) throw new DecodeError(`unreasonable length ${n}`);
    return n;
  }

  /** ustring; null when the length is -1. */
  ustring(): string | null {
    const n = this.#length();
    if (n === -1) return null;
    this.#need(n);
    const start = this.#offset;
    this.#offset += n;
    return decodeUtf8(this.bytes, start, start + n);
  }

  /** ustring where null is read as "" (kazoo sends empty strings as null). */
  string(): string {
    return this.ustring() ?? "";
  }

  /** buffer; null when the length is -1. Returns a copy, so the frame can be released. */
  buffer(): Uint8Array | null {
    const n = this.#length();
    if (n === -1) return null;
    this.#need(n);
    const start = this.#offset;
    this.#offset += n;
    return this.bytes.slice(start, start + n);
  }

  /** vector length; -1 (null) is returned as -1 for the caller to decide. */
  vectorLength(): number {
    const n = this.int();
    if (n < -1) throw new DecodeError(`negative vector length ${n}`);
    // Each element takes at least one byte, so a count beyond the bytes left is a lie.
    if (n > this.remaining) throw new DecodeError(`vector length ${n} exceeds record`);
    return n;
  }

  stringVector(): string[] {
    const n = this.vectorLength();
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(this.string());
    return out;
  }
}

/** Fast path for short ASCII strings (paths are usually ASCII), else TextDecoder. */
function decodeUtf8(bytes: Uint8Array, start: number, end: number): string {
  if (end - start < 64) {
    let s = "";
    for (let i = start; i < end; i++) {
      const c = bytes[i];
      if (c >= 0x80) return decoder.decode(bytes.subarray(start, end));
      s += String.fromCharCode(c);
    }
    return s;
  }
  return decoder.decode(bytes.subarray(start, end));
}

export class JuteWriter {
  #bytes: Uint8Array;
  #view: DataView;
  #offset = 0;

  constructor(initialBytes = 256) {
    this.#bytes = new Uint8Array(initialBytes);
    this.#view = new DataView(this.#bytes.buffer);
  }

  get offset(): number {
    return this.#offset;
  }

  #ensure(n: number): void {
    const needed = this.#offset + n;
    if (needed <= this.#bytes.byteLength) return;
    let size = this.#bytes.byteLength * 2;
    while (size < needed) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.#bytes.subarray(0, this.#offset));
    this.#bytes = grown;
    this.#view = new DataView(grown.buffer);
  }

  int(v: number): this {
    this.#ensure(4);
    this.#view.setInt32(this.#offset, v);
    this.#offset += 4;
    return this;
  }

  /** Writes a number as a two's-complement long (exact for |v| < 2^53). */
  long(v: number): this {
    this.#ensure(8);
    const hi = Math.floor(v / TWO_POW_32);
    this.#view.setInt32(this.#offset, hi);
    this.#view.setUint32(this.#offset + 4, v - hi * TWO_POW_32);
    this.#offset += 8;
    return this;
  }

  longBig(v: bigint): this {
    this.#ensure(8);
    this.#view.setBigInt64(this.#offset, BigInt.asIntN(64, v));
    this.#offset += 8;
    return this;
  }

  bool(v: boolean): this {
    this.#ensure(1);
    this.#bytes[this.#offset++] = v ? 1 : 0;
    return this;
  }

  ustring(s: string | null): this {
    if (s === null) return this.int(-1);
    // Worst case 3 bytes per UTF-16 unit.
    this.#ensure(4 + s.length * 3);
    const start = this.#offset + 4;
    let n = 0;
    let ascii = true;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        ascii = false;
        break;
      }
      this.#bytes[start + i] = c;
    }
    if (ascii) n = s.length;
    else n = encoder.encodeInto(s, this.#bytes.subarray(start)).written;
    this.#view.setInt32(this.#offset, n);
    this.#offset = start + n;
    return this;
  }

  buffer(b: Uint8Array | null): this {
    if (b === null) return this.int(-1);
    this.#ensure(4 + b.byteLength);
    this.#view.setInt32(this.#offset, b.byteLength);
    this.#bytes.set(b, this.#offset + 4);
    this.#offset += 4 + b.byteLength;
    return this;
  }

  raw(b: Uint8Array): this {
    this.#ensure(b.byteLength);
    this.#bytes.set(b, this.#offset);
    this.#offset += b.byteLength;
    return this;
  }

  stringVector(v: readonly string[] | null): this {
    if (v === null) return this.int(-1);
    this.int(v.length);
    for (const s of v) this.ustring(s);
    return this;
  }

  /** Overwrites an int already written at `at` (used for length prefixes). */
  patchInt(at: number, v: number): void {
    this.#view.setInt32(at, v);
  }

  /** The bytes written so far (a view: copy it before reusing the writer). */
  view(): Uint8Array {
    return this.#bytes.subarray(0, this.#offset);
  }

  /** A copy of the bytes written so far. */
  toBytes(): Uint8Array {
    return this.#bytes.slice(0, this.#offset);
  }

  reset(): void {
    this.#offset = 0;
  }
}

/** Starts a length-prefixed frame: returns the offset of the prefix to patch on finish. */
export function beginFrame(w: JuteWriter): number {
  const at = w.offset;
  w.int(0);
  return at;
}

export function endFrame(w: JuteWriter, at: number): void {
  w.patchInt(at, w.offset - at - 4);
}
