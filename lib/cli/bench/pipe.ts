/**
 * One session with any number of requests in flight, for the benchmark's preload and paced
 * load: frames are queued with send() (the xid is patched in), written in one socket write per
 * event-loop turn, and each reply is matched to its request in FIFO order (ZooKeeper answers
 * a session's requests in order) and handed to onReply with the time it was sent.
 */

import { FrameDecoder } from "../../proto/frame.ts";
import { JuteWriter } from "../../proto/jute.ts";
import { Op } from "../../proto/ops.ts";
import { writeAll } from "./load.ts";

const FRAME_BYTES_MAX = 16 * 1024 * 1024;
const READ_BYTES = 256 * 1024;

export interface Reply {
  /** The reply frame without its length prefix: ReplyHeader (xid, zxid, err) then the body. */
  frame: Uint8Array;
  err: number;
  /** What the sender passed to send(). */
  tag: number;
  sentAtMs: number;
  atMs: number;
}

export class PipeConn {
  readonly #conn: Deno.TcpConn;
  readonly #onReply: (r: Reply) => void;
  readonly #decoder = new FrameDecoder(FRAME_BYTES_MAX);
  // FIFO of requests in flight: a growable ring.
  #xids = new Int32Array(64);
  #tags = new Float64Array(64);
  #sentAt = new Float64Array(64);
  #head = 0;
  #count = 0;
  #nextXid = 1;
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  #writing = false;
  #closing = false;
  /** Set when the connection failed. */
  failure: Error | null = null;
  #onIdle: (() => void) | null = null;

  constructor(conn: Deno.TcpConn, onReply: (r: Reply) => void) {
    this.#conn = conn;
    this.#onReply = onReply;
  }

  get outstanding(): number {
    return this.#count;
  }

  /** Queues a request frame (length prefix included; its xid at offset 4 is overwritten). */
  send(frame: Uint8Array, tag: number, nowMs = performance.now()): void {
    if (this.failure !== null || this.#closing) return;
    if (this.#count === this.#xids.length) this.#grow();
    const xid = this.#nextXid;
    this.#nextXid = xid === 0x7fffffff ? 1 : xid + 1;
    const f = frame.slice();
    new DataView(f.buffer).setInt32(4, xid);
    const slot = (this.#head + this.#count) % this.#xids.length;
    this.#xids[slot] = xid;
    this.#tags[slot] = tag;
    this.#sentAt[slot] = nowMs;
    this.#count++;
    this.#pending.push(f);
    this.#pendingBytes += f.byteLength;
    if (!this.#writing) {
      this.#writing = true;
      queueMicrotask(() => this.#flush());
    }
  }

  #grow(): void {
    const n = this.#xids.length;
    const xids = new Int32Array(n * 2);
    const tags = new Float64Array(n * 2);
    const sentAt = new Float64Array(n * 2);
    for (let i = 0; i < n; i++) {
      const s = (this.#head + i) % n;
      xids[i] = this.#xids[s];
      tags[i] = this.#tags[s];
      sentAt[i] = this.#sentAt[s];
    }
    this.#xids = xids;
    this.#tags = tags;
    this.#sentAt = sentAt;
    this.#head = 0;
  }

  async #flush(): Promise<void> {
    try {
      while (this.#pending.length > 0) {
        const out = new Uint8Array(this.#pendingBytes);
        let off = 0;
        for (const f of this.#pending) {
          out.set(f, off);
          off += f.byteLength;
        }
        this.#pending = [];
        this.#pendingBytes = 0;
        await writeAll(this.#conn, out);
      }
    } catch (e) {
      this.#fail(e);
    } finally {
      this.#writing = false;
    }
  }

  /** Reads replies until the connection closes; call once. */
  async pump(): Promise<void> {
    const buf = new Uint8Array(READ_BYTES);
    try {
      for (;;) {
        const n = await this.#conn.read(buf);
        if (n === null) break;
        this.#decoder.push(buf.subarray(0, n));
        const atMs = performance.now();
        for (let f = this.#decoder.next(); f !== undefined; f = this.#decoder.next()) {
          if (this.#closing && this.#count === 0) continue; // the closeSession reply
          const view = new DataView(f.buffer, f.byteOffset, f.byteLength);
          const xid = view.getInt32(0);
          if (xid < 0) continue; // pings, notifications
          if (this.#count === 0 || this.#xids[this.#head] !== xid) {
            throw new Error(`reply xid ${xid} out of order (expected ${this.#xids[this.#head]})`);
          }
          const slot = this.#head;
          this.#head = (slot + 1) % this.#xids.length;
          this.#count--;
          this.#onReply({
            frame: f,
            err: view.getInt32(12),
            tag: this.#tags[slot],
            sentAtMs: this.#sentAt[slot],
            atMs,
          });
        }
        if (this.#count === 0) this.#onIdle?.();
      }
      if (this.#count > 0 && !this.#closing) {
        throw new Error(`connection closed with ${this.#count} requests in flight`);
      }
    } catch (e) {
      this.#fail(e);
    }
  }

  #fail(e: unknown): void {
    if (this.failure !== null) return;
    this.failure = e instanceof Error ? e : new Error(String(e));
    this.#onIdle?.();
    this.close();
  }

  /** Resolves when nothing is in flight, the connection failed, or after timeoutMs. */
  idle(timeoutMs: number): Promise<void> {
    if (this.#count === 0 || this.failure !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#onIdle = null;
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.#onIdle = done;
    });
  }

  /** Sends closeSession (after the requests in flight); the server then closes the socket. */
  async closeSession(): Promise<void> {
    if (this.failure !== null || this.#closing) return;
    this.#closing = true;
    const w = new JuteWriter(16);
    w.int(8).int(this.#nextXid).int(Op.closeSession);
    try {
      await writeAll(this.#conn, w.view());
    } catch {
      // Going away anyway.
    }
  }

  close(): void {
    try {
      this.#conn.close();
    } catch {
      // Already closed.
    }
  }
}

/** Opens `n` PipeConns with their pumps running. */
export async function openPipes(
  hostname: string,
  port: number,
  n: number,
  onReply: (conn: number, r: Reply) => void,
  open: (h: string, p: number) => Promise<Deno.TcpConn>,
): Promise<{ pipes: PipeConn[]; pumps: Promise<void>[] }> {
  const pipes: PipeConn[] = [];
  const pumps: Promise<void>[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const conn = await open(hostname, port);
      const pipe = new PipeConn(conn, (r) => onReply(i, r));
      pipes.push(pipe);
      pumps.push(pipe.pump());
    }
  } catch (e) {
    for (const p of pipes) p.close();
    throw e;
  }
  return { pipes, pumps };
}

/** closeSession on each, waits (bounded) for the server to close them, then closes. */
export async function closePipes(pipes: PipeConn[], pumps: Promise<void>[]): Promise<void> {
  await Promise.all(pipes.map((p) => p.idle(10_000)));
  for (const p of pipes) await p.closeSession();
  const late = setTimeout(() => pipes.forEach((p) => p.close()), 5_000);
  await Promise.allSettled(pumps);
  clearTimeout(late);
  for (const p of pipes) p.close();
}
