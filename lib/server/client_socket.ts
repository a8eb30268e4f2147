/**
 * One accepted TCP connection: reads into the frame decoder, writes queued frames in
 * batches (all frames produced in one turn go out in one write), and stops reading while
 * the replica says the connection has too much in flight or its output is backed up.
 */

import { FrameDecoder } from "../proto/frame.ts";
import { concatBytes } from "../util/bytes.ts";

/** Output bytes queued for a slow reader before we stop reading its requests. */
export const OUTPUT_BYTES_PAUSE = 4 * 1024 * 1024;
const READ_CHUNK_BYTES = 64 * 1024;

export class ClientSocket {
  readonly id: number;
  readonly conn: Deno.TcpConn;
  readonly decoder: FrameDecoder;
  /** Four-letter words are only recognised in the first bytes of a connection. */
  sawFirstBytes = false;
  #out: Uint8Array[] = [];
  #outBytes = 0;
  #writing = false;
  #closeReason: string | null = null;
  #closed = false;
  #resume: (() => void) | null = null;
  readonly #onClosed: (s: ClientSocket) => void;

  constructor(
    id: number,
    conn: Deno.TcpConn,
    frameBytesMax: number,
    onClosed: (s: ClientSocket) => void,
  ) {
    this.id = id;
    this.conn = conn;
    this.decoder = new FrameDecoder(frameBytesMax);
    this.#onClosed = onClosed;
    try {
      conn.setNoDelay(true);
    } catch { /* not a TCP socket in some tests */ }
  }

  get closed(): boolean {
    return this.#closed;
  }

  get closing(): boolean {
    return this.#closeReason !== null;
  }

  get outputBytes(): number {
    return this.#outBytes;
  }

  send(frame: Uint8Array): void {
    if (this.#closed || this.#closeReason !== null) return;
    this.#out.push(frame);
    this.#outBytes += frame.byteLength;
    if (!this.#writing) {
      this.#writing = true;
      // Let every frame produced in this turn join the same write.
      queueMicrotask(() => this.#drain());
    }
  }

  /** Close after everything queued so far has been written. */
  closeAfterFlush(reason: string): void {
    if (this.#closeReason !== null || this.#closed) return;
    this.#closeReason = reason;
    if (!this.#writing) this.destroy();
  }

  async #drain(): Promise<void> {
    try {
      while (this.#out.length > 0 && !this.#closed) {
        const chunks = this.#out;
        this.#out = [];
        for (const buf of coalesce(chunks)) {
          this.#outBytes -= buf.byteLength;
          let off = 0;
          while (off < buf.byteLength) off += await this.conn.write(buf.subarray(off));
        }
        this.wake();
      }
    } catch {
      this.destroy();
      return;
    } finally {
      this.#writing = false;
    }
    if (this.#closeReason !== null) this.destroy();
  }

  /** Read loop helper: resolves when the caller may read again. */
  waitUntilResumed(): Promise<void> {
    return new Promise((resolve) => (this.#resume = resolve));
  }

  wake(): void {
    const r = this.#resume;
    this.#resume = null;
    r?.();
  }

  async read(buf: Uint8Array): Promise<number | null> {
    try {
      return await this.conn.read(buf);
    } catch {
      return null;
    }
  }

  static readBuffer(): Uint8Array {
    return new Uint8Array(READ_CHUNK_BYTES);
  }

  destroy(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#out = [];
    this.#outBytes = 0;
    try {
      this.conn.close();
    } catch { /* already closed */ }
    this.wake();
    this.#onClosed(this);
  }
}

/** Chunks this big are written as they are: copying them into one buffer costs more. */
const COALESCE_BYTES_MAX = 64 * 1024;

/**
 * Runs of small frames joined into one write each (one syscall for all a turn produced);
 * a big chunk (a snapshot for a member) goes out alone, uncopied.
 */
function coalesce(chunks: readonly Uint8Array[]): Uint8Array[] {
  if (chunks.every((c) => c.byteLength < COALESCE_BYTES_MAX)) return [concatBytes(chunks)];
  const out: Uint8Array[] = [];
  let run: Uint8Array[] = [];
  for (const c of chunks) {
    if (c.byteLength < COALESCE_BYTES_MAX) {
      run.push(c);
      continue;
    }
    if (run.length > 0) out.push(concatBytes(run));
    run = [];
    out.push(c);
  }
  if (run.length > 0) out.push(concatBytes(run));
  return out;
}
