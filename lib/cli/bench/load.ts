/**
 * The benchmark's load generator: N sessions, each keeping M getData / setData requests in
 * flight over a pre-created set of znodes. It speaks the wire protocol through lib/proto
 * directly instead of lib/client, because on a 2-core machine the generator shares the CPU
 * with the server under test: requests are pre-encoded per znode (only the xid is patched),
 * replies are checked by header only (xid order, err) and never decoded further, and each
 * batch of replies read in one chunk is answered with one socket write.
 */

import { FrameDecoder } from "../../proto/frame.ts";
import { JuteReader, JuteWriter } from "../../proto/jute.ts";
import { Op } from "../../proto/ops.ts";
import { readConnectResponse, writeConnectRequest } from "../../proto/records.ts";
import { Histogram } from "./histogram.ts";
import { randomBelow, SeededRandom } from "../../util/random.ts";

export interface LoadOptions {
  hostname: string;
  port: number;
  /**
   * Several servers (an ensemble's members): connection i goes to ports[i % ports.length],
   * so the connections spread evenly. Overrides `port` when given.
   */
  ports?: readonly number[];
  connections: number;
  /** Requests in flight per connection. */
  inflight: number;
  /** Fraction of requests that are getData (the rest are setData): 1, 0 or 0.9. */
  readFraction: number;
  /** The znodes to read and write, chosen uniformly at random. */
  paths: readonly string[];
  /** The value setData writes. */
  value: Uint8Array;
  warmupMs: number;
  durationMs: number;
  sessionTimeoutMs?: number;
}

export interface LoadResult {
  /** Replies received during the measured window. */
  ops: number;
  reads: number;
  writes: number;
  /** Replies with err != 0 (any at all means the run is suspect). */
  errors: number;
  elapsedMs: number;
  latency: Histogram;
}

/** Shared run state: the driver flips these; every connection reads them. */
interface Phase {
  sending: boolean;
  recording: boolean;
}

const FRAME_BYTES_MAX = 16 * 1024 * 1024;
/** ReplyHeader (16) + Stat (68). */
const SET_DATA_REPLY_BYTES = 16 + 68;
const READ_BYTES = 256 * 1024;

/** One request frame per znode, with xid 0 to be patched at offset 4. */
function preEncode(op: number, paths: readonly string[], value: Uint8Array): Uint8Array[] {
  return paths.map((path) => {
    const w = new JuteWriter(64 + path.length * 3 + value.byteLength);
    w.int(0).int(0).int(op).ustring(path);
    if (op === Op.getData) w.bool(false);
    else w.buffer(value).int(-1);
    w.patchInt(0, w.offset - 4);
    return w.toBytes();
  });
}

class LoadConnection {
  readonly latency = new Histogram();
  ops = 0;
  reads = 0;
  writes = 0;
  errors = 0;
  outstanding = 0;
  /** Set when the connection failed; the run reports it. */
  failure: Error | null = null;

  readonly #conn: Deno.TcpConn;
  readonly #phase: Phase;
  readonly #reads: Uint8Array[];
  readonly #writes: Uint8Array[];
  readonly #readFraction: number;
  /** ReplyHeader + the value as a buffer + Stat. */
  readonly #readReplyBytes: number;
  readonly #rng: SeededRandom;
  readonly #decoder = new FrameDecoder(FRAME_BYTES_MAX);
  // FIFO of (xid, start time, isRead) for the requests in flight: a ring of `inflight` slots.
  readonly #startMs: Float64Array;
  readonly #xids: Int32Array;
  readonly #isRead: Uint8Array;
  #head = 0;
  #nextXid = 1;
  // Output: frames appended here, written in one call per batch; a second buffer is filled
  // while the first is being written.
  #out: Uint8Array;
  #outLen = 0;
  #spare: Uint8Array;
  #writing = false;
  #closing = false;
  #drained: (() => void) | null = null;

  constructor(
    conn: Deno.TcpConn,
    phase: Phase,
    reads: Uint8Array[],
    writes: Uint8Array[],
    readFraction: number,
    inflight: number,
    valueBytes: number,
    seed: number,
  ) {
    this.#conn = conn;
    this.#phase = phase;
    this.#reads = reads;
    this.#writes = writes;
    this.#readFraction = readFraction;
    this.#readReplyBytes = 16 + 4 + valueBytes + 68;
    this.#rng = new SeededRandom(seed);
    this.#startMs = new Float64Array(inflight);
    this.#xids = new Int32Array(inflight);
    this.#isRead = new Uint8Array(inflight);
    const frameMax = Math.max(
      ...reads.map((f) => f.byteLength),
      ...writes.map((f) => f.byteLength),
    );
    this.#out = new Uint8Array(frameMax * inflight + 1024);
    this.#spare = new Uint8Array(this.#out.byteLength);
  }

  /** Fills the pipeline. */
  start(inflight: number): void {
    for (let i = 0; i < inflight; i++) this.#send();
    this.#flush();
  }

  #send(): void {
    const slot = (this.#head + this.outstanding) % this.#xids.length;
    const isRead = this.#rng.nextUint32() / 4294967296 < this.#readFraction;
    const frames = isRead ? this.#reads : this.#writes;
    const frame = frames[randomBelow(this.#rng, frames.length)];
    const xid = this.#nextXid;
    this.#nextXid = xid === 0x7fffffff ? 1 : xid + 1;
    const at = this.#outLen;
    this.#out.set(frame, at);
    this.#out[at + 4] = xid >>> 24;
    this.#out[at + 5] = (xid >>> 16) & 0xff;
    this.#out[at + 6] = (xid >>> 8) & 0xff;
    this.#out[at + 7] = xid & 0xff;
    this.#outLen = at + frame.byteLength;
    this.#xids[slot] = xid;
    this.#isRead[slot] = isRead ? 1 : 0;
    this.#startMs[slot] = performance.now();
    this.outstanding++;
  }

  #flush(): void {
    if (this.#writing || this.#outLen === 0) return;
    this.#writing = true;
    (async () => {
      try {
        while (this.#outLen > 0) {
          const bytes = this.#out.subarray(0, this.#outLen);
          // Swap buffers: replies processed during this write append to the other one.
          [this.#out, this.#spare] = [this.#spare, this.#out];
          this.#outLen = 0;
          await writeAll(this.#conn, bytes);
        }
      } catch (e) {
        this.#fail(e);
      } finally {
        this.#writing = false;
      }
    })();
  }

  /** Reads replies until the connection closes or is closed. */
  async pump(): Promise<void> {
    const buf = new Uint8Array(READ_BYTES);
    try {
      for (;;) {
        const n = await this.#conn.read(buf);
        if (n === null) break;
        this.#decoder.push(buf.subarray(0, n));
        this.#onFrames();
        this.#flush();
      }
    } catch (e) {
      if (this.failure === null && this.outstanding > 0) this.#fail(e);
    }
  }

  #onFrames(): void {
    const phase = this.#phase;
    for (;;) {
      const f = this.#decoder.next();
      if (f === undefined) break;
      if (this.#closing) continue; // the closeSession reply
      const xid = (f[0] << 24) | (f[1] << 16) | (f[2] << 8) | f[3];
      if (xid < 0) continue; // pings and notifications (none are asked for)
      const err = (f[12] << 24) | (f[13] << 16) | (f[14] << 8) | f[15];
      const slot = this.#head;
      if (this.outstanding === 0 || this.#xids[slot] !== xid) {
        this.#fail(new Error(`reply xid ${xid} out of order (expected ${this.#xids[slot]})`));
        return;
      }
      const now = performance.now();
      this.#head = (slot + 1) % this.#xids.length;
      this.outstanding--;
      if (phase.recording) {
        this.latency.record((now - this.#startMs[slot]) * 1000);
        this.ops++;
        const isRead = this.#isRead[slot] === 1;
        if (isRead) this.reads++;
        else this.writes++;
        // A success must carry the whole record: header, then data + Stat for getData, or
        // the Stat for setData. Anything else counts as an error.
        const expected = isRead ? this.#readReplyBytes : SET_DATA_REPLY_BYTES;
        if (err !== 0 || f.byteLength !== expected) this.errors++;
      }
      if (phase.sending && this.failure === null) this.#send();
    }
    if (this.outstanding === 0) this.#drained?.();
  }

  #fail(e: unknown): void {
    if (this.failure !== null) return;
    this.failure = e instanceof Error ? e : new Error(String(e));
    this.#drained?.();
    this.close();
  }

  /** Resolves when no request is in flight (or after timeoutMs). */
  drained(timeoutMs: number): Promise<void> {
    if (this.outstanding === 0 || this.failure !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#drained = null;
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.#drained = done;
    });
  }

  /** Sends closeSession, so the server frees the session now; it then closes the socket. */
  async closeSession(): Promise<void> {
    if (this.failure !== null) return;
    this.#closing = true;
    const w = new JuteWriter(16);
    w.int(8).int(this.#nextXid).int(Op.closeSession);
    try {
      await writeAll(this.#conn, w.view());
    } catch {
      // The connection is going away anyway.
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

/**
 * Connects and opens a session (a bare ConnectRequest, no client library): the connection is
 * ready for requests when this resolves.
 */
export async function openSession(
  hostname: string,
  port: number,
  sessionTimeoutMs: number,
): Promise<Deno.TcpConn> {
  const conn = await Deno.connect({ hostname, port });
  conn.setNoDelay(true);
  const w = new JuteWriter();
  w.int(0);
  writeConnectRequest(w, {
    protocolVersion: 0,
    lastZxidSeen: 0,
    timeOutMs: sessionTimeoutMs,
    sessionId: 0n,
    passwd: new Uint8Array(16),
    readOnly: false,
  });
  w.patchInt(0, w.offset - 4);
  await writeAll(conn, w.view());
  const decoder = new FrameDecoder(FRAME_BYTES_MAX);
  const buf = new Uint8Array(1024);
  for (;;) {
    const n = await conn.read(buf);
    if (n === null) throw new Error(`${hostname}:${port} closed the connection at handshake`);
    decoder.push(buf.subarray(0, n));
    const frame = decoder.next();
    if (frame === undefined) continue;
    const resp = readConnectResponse(new JuteReader(frame));
    if (resp.timeOutMs <= 0) throw new Error(`${hostname}:${port} refused the session`);
    return conn;
  }
}

export async function writeAll(conn: Deno.TcpConn, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.byteLength) off += await conn.write(bytes.subarray(off));
}

/**
 * Runs one load mix: opens the sessions, warms up, measures for durationMs, then stops
 * sending, waits for the replies in flight and closes the sessions.
 */
export interface LoadHooks {
  /** Runs as the measured window opens (the load keeps flowing meanwhile). */
  start?: () => Promise<void> | void;
  /** Runs as the measured window closes, before the load stops. */
  end?: () => Promise<void> | void;
}

export async function runLoad(o: LoadOptions, hooks: LoadHooks = {}): Promise<LoadResult> {
  const reads = preEncode(Op.getData, o.paths, o.value);
  const writes = preEncode(Op.setData, o.paths, o.value);
  const phase: Phase = { sending: false, recording: false };
  const conns: LoadConnection[] = [];
  try {
    const ports = o.ports !== undefined && o.ports.length > 0 ? o.ports : [o.port];
    for (let i = 0; i < o.connections; i++) {
      const port = ports[i % ports.length];
      const conn = await openSession(o.hostname, port, o.sessionTimeoutMs ?? 30_000);
      conns.push(
        new LoadConnection(
          conn,
          phase,
          reads,
          writes,
          o.readFraction,
          o.inflight,
          o.value.byteLength,
          0x9e3779b9 + i,
        ),
      );
    }
    const pumps = conns.map((c) => c.pump());
    phase.sending = true;
    for (const c of conns) c.start(o.inflight);
    await sleep(o.warmupMs);
    for (const c of conns) {
      c.latency.reset();
      c.ops =
        c.reads =
        c.writes =
        c.errors =
          0;
    }
    await hooks.start?.();
    phase.recording = true;
    const startMs = performance.now();
    await sleep(o.durationMs);
    phase.recording = false;
    const elapsedMs = performance.now() - startMs;
    await hooks.end?.();
    phase.sending = false;
    await Promise.all(conns.map((c) => c.drained(10_000)));
    const failed = conns.find((c) => c.failure !== null);
    for (const c of conns) await c.closeSession();
    // The server closes each socket after its closeSession reply, which ends the pumps.
    const closed = Promise.allSettled(pumps);
    const late = setTimeout(() => conns.forEach((c) => c.close()), 5_000);
    await closed;
    clearTimeout(late);
    if (failed) throw new Error(`load connection failed: ${failed.failure!.message}`);
    const latency = new Histogram();
    let ops = 0, nReads = 0, nWrites = 0, errors = 0;
    for (const c of conns) {
      latency.merge(c.latency);
      ops += c.ops;
      nReads += c.reads;
      nWrites += c.writes;
      errors += c.errors;
    }
    return { ops, reads: nReads, writes: nWrites, errors, elapsedMs, latency };
  } finally {
    for (const c of conns) c.close();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
