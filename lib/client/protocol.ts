/**
 * The client side of one ZooKeeper session as a sans-I/O state machine: requests in, bytes out;
 * bytes in, events out. It owns the per-connection state (handshake, xid counter, the FIFO of
 * requests awaiting replies, out-of-band auth replies) and the per-session state that survives
 * a reconnect (session id, password, negotiated timeout, lastZxidSeen). It never touches a
 * socket, a timer or the clock; ZkClient pumps it.
 *
 * Writes are batched: every frame produced is appended to one output buffer that the pump takes
 * whole, so many pipelined requests leave in one socket write.
 */

import { DecodeError, JuteReader, JuteWriter } from "../proto/jute.ts";
import { FrameDecoder } from "../proto/frame.ts";
import { Op, Xid } from "../proto/ops.ts";
import {
  readConnectResponse,
  readResponse,
  type Request,
  type Response,
  type WatcherEvent,
  writeConnectRequest,
  writeRequest,
} from "../proto/records.ts";
import { Fifo } from "./fifo.ts";

/** jute.maxbuffer: the Java client drops a connection whose reply frame is longer. */
export const FRAME_BYTES_MAX_DEFAULT = 0xfffff;

const PASSWD_BYTES = 16;
const XID_MAX = 0x7fffffff;

/** The peer broke the protocol: the connection must be dropped (and maybe re-established). */
export class ProtocolError extends Error {
  override name = "ProtocolError";
}

export type ProtocolEvent<T> =
  /** The handshake succeeded; the session fields are updated. */
  | { kind: "connected"; sessionId: bigint; timeoutMs: number; readOnly: boolean }
  /** The server refused to resume the session (ConnectResponse timeOut <= 0). */
  | { kind: "expired" }
  /** The reply to request(); `response` is null when err != 0 (the server sends no body). */
  | {
    kind: "reply";
    token: T;
    op: number;
    xid: number;
    zxid: number;
    err: number;
    response: Response | null;
  }
  /** The out-of-band reply to an auth packet (xid -4). */
  | { kind: "auth"; token: T; err: number }
  | { kind: "ping"; zxid: number }
  /** A watch notification (xid -1). */
  | { kind: "watch"; event: WatcherEvent; zxid: number }
  /**
   * The server broke the protocol (bad frame, xid out of order, undecodable reply): always the
   * last event of a batch. The caller must drop the connection; requests still pending come
   * back from abandon().
   */
  | { kind: "broken"; reason: string };

interface Pending<T> {
  readonly xid: number;
  readonly op: number;
  readonly token: T;
}

export type Phase = "idle" | "handshake" | "open";

export interface SessionState {
  sessionId?: bigint;
  passwd?: Uint8Array;
  lastZxidSeen?: number;
}

export class ClientProtocol<T> {
  readonly frameBytesMax: number;
  /** 0 until the first handshake succeeds. */
  sessionId = 0n;
  passwd: Uint8Array = new Uint8Array(PASSWD_BYTES);
  negotiatedTimeoutMs = 0;
  /** The highest-numbered zxid seen in a reply header (> 0), sent back on reconnect. */
  lastZxidSeen = 0;
  /** The server said it is in read-only mode. */
  serverReadOnly = false;

  #phase: Phase = "idle";
  #decoder: FrameDecoder;
  // Two output buffers: the pump writes one while requests append to the other.
  #out = new JuteWriter(64 * 1024);
  #spare = new JuteWriter(64 * 1024);
  #pending = new Fifo<Pending<T>>();
  #authPending = new Fifo<T>();
  #nextXid = 1;

  constructor(frameBytesMax = FRAME_BYTES_MAX_DEFAULT, session: SessionState = {}) {
    this.frameBytesMax = frameBytesMax;
    this.#decoder = new FrameDecoder(frameBytesMax);
    if (session.sessionId !== undefined) this.sessionId = session.sessionId;
    if (session.passwd !== undefined) this.passwd = session.passwd;
    if (session.lastZxidSeen !== undefined) this.lastZxidSeen = session.lastZxidSeen;
  }

  get phase(): Phase {
    return this.#phase;
  }

  /** Requests sent on this connection and not yet answered (auth packets included). */
  get pendingCount(): number {
    return this.#pending.length + this.#authPending.length;
  }

  /** Bytes queued and not yet taken by the pump. */
  get outboundBytes(): number {
    return this.#out.offset;
  }

  /**
   * Starts a connection: forgets the previous one (see abandon()) and queues the
   * ConnectRequest, resuming the session when one is held.
   */
  startHandshake(timeoutMs: number, readOnly: boolean): void {
    this.abandon();
    this.#phase = "handshake";
    const w = this.#out;
    const at = w.offset;
    w.int(0);
    writeConnectRequest(w, {
      protocolVersion: 0,
      lastZxidSeen: this.lastZxidSeen,
      timeOutMs: timeoutMs,
      sessionId: this.sessionId,
      passwd: this.passwd,
      readOnly,
    });
    w.patchInt(at, w.offset - at - 4);
  }

  /**
   * Drops the connection state: returns the tokens of every request that will now never be
   * answered (their callers get CONNECTIONLOSS), oldest first, auth packets last.
   */
  abandon(): T[] {
    const tokens = this.#pending.drain().map((p) => p.token);
    for (const t of this.#authPending.drain()) tokens.push(t);
    this.#decoder = new FrameDecoder(this.frameBytesMax);
    this.#out.reset();
    this.#spare.reset();
    this.#nextXid = 1;
    this.#phase = "idle";
    return tokens;
  }

  /**
   * Queues a request and returns its xid. `body` is a request record, raw bytes (sent as they
   * are, for tests of malformed input), or null for ops without a record (ping, closeSession,
   * whoAmI). The header carries `op` even when it differs from body.op.
   */
  request(op: number, body: Request | Uint8Array | null, token: T): number {
    this.#assertOpen();
    const xid = this.#nextXid;
    this.#nextXid = xid === XID_MAX ? 1 : xid + 1;
    this.#frame(xid, op, body);
    this.#pending.push({ xid, op, token });
    return xid;
  }

  /** Queues an auth packet (xid -4); its reply comes out of band, in auth order. */
  auth(scheme: string, auth: Uint8Array, token: T): void {
    this.#assertOpen();
    this.#frame(Xid.auth, Op.auth, { op: Op.auth, type: 0, scheme, auth });
    this.#authPending.push(token);
  }

  /** Queues a ping (xid -2). */
  ping(): void {
    this.#assertOpen();
    this.#frame(Xid.ping, Op.ping, null);
  }

  #assertOpen(): void {
    if (this.#phase !== "open") {
      throw new Error(`cannot send before the handshake (${this.#phase})`);
    }
  }

  #frame(xid: number, op: number, body: Request | Uint8Array | null): void {
    const w = this.#out;
    const at = w.offset;
    w.int(0).int(xid).int(op);
    if (body instanceof Uint8Array) w.raw(body);
    else if (body !== null) writeRequest(w, body);
    w.patchInt(at, w.offset - at - 4);
  }

  /**
   * The bytes queued so far, or undefined when there are none. The view is valid until the
   * next takeOutbound() call: write it fully first.
   */
  takeOutbound(): Uint8Array | undefined {
    if (this.#out.offset === 0) return undefined;
    const taken = this.#out;
    this.#out = this.#spare;
    this.#out.reset();
    this.#spare = taken;
    return taken.view();
  }

  /**
   * Feeds received bytes; returns the events they complete, in order. When the server broke
   * the protocol, the events decoded before the fault come first and a "broken" event last;
   * every request not settled by an event stays pending for abandon().
   */
  receive(chunk: Uint8Array): ProtocolEvent<T>[] {
    const events: ProtocolEvent<T>[] = [];
    try {
      this.#decoder.push(chunk);
      for (;;) {
        const frame = this.#decoder.next();
        if (frame === undefined) return events;
        if (this.#phase === "handshake") this.#onConnectResponse(frame, events);
        else if (this.#phase === "open") this.#onReply(frame, events);
        else throw new ProtocolError(`unexpected frame while ${this.#phase}`);
      }
    } catch (e) {
      // FrameError and DecodeError from the codec are protocol faults too.
      events.push({ kind: "broken", reason: e instanceof Error ? e.message : String(e) });
      this.#phase = "idle";
      return events;
    }
  }

  #onConnectResponse(frame: Uint8Array, events: ProtocolEvent<T>[]): void {
    const resp = readConnectResponse(new JuteReader(frame, this.frameBytesMax));
    if (resp.timeOutMs <= 0) {
      // Java, kazoo and node all read timeOut <= 0 as "session expired" (zk-protocol §1.5).
      this.#phase = "idle";
      events.push({ kind: "expired" });
      return;
    }
    if (resp.passwd.byteLength !== PASSWD_BYTES) {
      throw new ProtocolError(`session password of ${resp.passwd.byteLength} bytes, expected 16`);
    }
    this.sessionId = resp.sessionId;
    this.passwd = resp.passwd;
    this.negotiatedTimeoutMs = resp.timeOutMs;
    this.serverReadOnly = resp.readOnly === true;
    this.#phase = "open";
    events.push({
      kind: "connected",
      sessionId: resp.sessionId,
      timeoutMs: resp.timeOutMs,
      readOnly: this.serverReadOnly,
    });
  }

  #onReply(frame: Uint8Array, events: ProtocolEvent<T>[]): void {
    const r = new JuteReader(frame, this.frameBytesMax);
    const xid = r.int();
    const zxid = r.long();
    const err = r.int();
    switch (xid) {
      case Xid.notification: {
        const event = { type: r.int(), state: r.int(), path: r.string() };
        events.push({ kind: "watch", event, zxid });
        return;
      }
      case Xid.ping:
        events.push({ kind: "ping", zxid });
        return;
      case Xid.auth: {
        const token = this.#authPending.shift();
        if (token === undefined) throw new ProtocolError("auth reply without an auth request");
        events.push({ kind: "auth", token, err });
        return;
      }
    }
    // The head leaves the queue only once its reply is known good, so a fault leaves it
    // pending (to fail with CONNECTIONLOSS) rather than lost.
    const head = this.#pending.peek();
    if (head === undefined) throw new ProtocolError(`reply xid ${xid} with no request pending`);
    if (head.xid !== xid) {
      // Java: "Xid out of order" -> CONNECTIONLOSS and reconnect (zk-protocol §2.1 rule 4).
      throw new ProtocolError(`xid out of order: got ${xid}, expected ${head.xid}`);
    }
    let response: Response | null = null;
    if (err === 0) {
      try {
        response = readResponse(head.op, r);
      } catch (e) {
        if (e instanceof DecodeError) {
          throw new ProtocolError(`bad reply to op ${head.op} (xid ${xid}): ${e.message}`);
        }
        throw e;
      }
    }
    this.#pending.shift();
    if (zxid > 0) this.lastZxidSeen = zxid;
    events.push({ kind: "reply", token: head.token, op: head.op, xid, zxid, err, response });
  }
}
