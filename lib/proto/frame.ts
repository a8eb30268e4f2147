/**
 * Length-prefixed frame splitting: bytes in, whole frames out, with a size bound. A length
 * below zero or above the bound is a protocol violation and the caller closes the connection
 * (ZooKeeper's "Len error"); no reply is sent.
 */

export class FrameError extends Error {
  override name = "FrameError";
}

/** A drained buffer bigger than this is let go instead of kept for the next frames. */
const IDLE_BUFFER_BYTES_MAX = 4 * 1024 * 1024;

export class FrameDecoder {
  readonly frameBytesMax: number;
  #buf: Uint8Array = new Uint8Array(0);
  #start = 0;
  #end = 0;

  constructor(frameBytesMax: number) {
    this.frameBytesMax = frameBytesMax;
  }

  /** Bytes received but not yet returned as frames. */
  get bufferedBytes(): number {
    return this.#end - this.#start;
  }

  push(chunk: Uint8Array): void {
    if (chunk.byteLength === 0) return;
    if (this.#start === this.#end && this.#buf.byteLength > IDLE_BUFFER_BYTES_MAX) {
      // Drained after a big frame (a snapshot from the leader): do not keep its buffer.
      this.#buf = new Uint8Array(0);
      this.#start = 0;
      this.#end = 0;
    }
    if (this.#end + chunk.byteLength > this.#buf.byteLength) {
      const live = this.#end - this.#start;
      const needed = live + chunk.byteLength;
      if (needed <= this.#buf.byteLength && this.#start > 0) {
        this.#buf.copyWithin(0, this.#start, this.#end);
      } else {
        const grown = new Uint8Array(Math.max(needed, this.#buf.byteLength * 2, 4096));
        grown.set(this.#buf.subarray(this.#start, this.#end));
        this.#buf = grown;
      }
      this.#start = 0;
      this.#end = live;
    }
    this.#buf.set(chunk, this.#end);
    this.#end += chunk.byteLength;
  }

  /** The first 4 buffered bytes as a big-endian int, or undefined if fewer are buffered. */
  peekInt(): number | undefined {
    if (this.#end - this.#start < 4) return undefined;
    const b = this.#buf;
    const s = this.#start;
    return ((b[s] << 24) | (b[s + 1] << 16) | (b[s + 2] << 8) | b[s + 3]) | 0;
  }

  /** Drops n buffered bytes (after a four-letter word was consumed). */
  skip(n: number): void {
    this.#start = Math.min(this.#start + n, this.#end);
  }

  /**
   * The next whole frame's body, or undefined when more bytes are needed. The returned
   * view is valid only until the next push(): decode it before reading more.
   */
  next(): Uint8Array | undefined {
    const length = this.peekInt();
    if (length === undefined) return undefined;
    if (length < 0 || length > this.frameBytesMax) {
      throw new FrameError(`frame length ${length} outside 0..${this.frameBytesMax}`);
    }
    if (this.#end - this.#start < 4 + length) return undefined;
    const body = this.#buf.subarray(this.#start + 4, this.#start + 4 + length);
    this.#start += 4 + length;
    if (this.#start === this.#end) {
      this.#start = 0;
      this.#end = 0;
    }
    return body;
  }
}
