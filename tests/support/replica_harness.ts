/**
 * Drives a Replica with no sockets: encodes client frames with lib/proto, captures what the
 * replica sends and closes, and decodes replies and notifications. Time is a number the test
 * moves; commits happen when the test says (so pipelining before durability is testable).
 */

import { buildConfig, type Config, parseProperties } from "../../lib/config/config.ts";
import { JuteReader, JuteWriter } from "../../lib/proto/jute.ts";
import { Xid } from "../../lib/proto/ops.ts";
import {
  type ConnectResponse,
  readConnectResponse,
  readReplyHeader,
  readResponse,
  type Request,
  type Response,
  writeConnectRequest,
  writeRequest,
} from "../../lib/proto/records.ts";
import { Replica } from "../../lib/replica/replica.ts";

export type Received =
  | { kind: "reply"; xid: number; zxid: number; err: number; body: Uint8Array }
  | { kind: "event"; zxid: number; type: number; state: number; path: string };

export class ReplicaHarness {
  readonly replica: Replica;
  readonly config: Config;
  nowMs: number;
  /** Raw frames (without length prefix) sent to each connection. */
  readonly frames = new Map<number, Uint8Array[]>();
  readonly closed = new Map<number, string>();
  readonly logs: string[] = [];
  #nextConn = 1;
  /** When false, prepared txns wait until commit() is called. */
  autoCommit = true;

  constructor(cfg: Record<string, string> = {}, nowMs = 1_700_000_000_000) {
    const text = Object.entries({
      tickTime: "2000",
      dataDir: "/nonexistent",
      clientPort: "2181",
      ...cfg,
    })
      .map(([k, v]) => `${k}=${v}`).join("\n");
    this.config = buildConfig(parseProperties(text));
    this.nowMs = nowMs;
    this.replica = new Replica(this.config, {
      send: (id, frame) => {
        const body = frame.subarray(4);
        const list = this.frames.get(id) ?? [];
        list.push(body.slice());
        this.frames.set(id, list);
      },
      close: (id, reason) => {
        this.closed.set(id, reason);
      },
      log: (_level, message) => this.logs.push(message),
    }, nowMs);
  }

  open(ip = "127.0.0.1"): number {
    const id = this.#nextConn++;
    if (!this.replica.connOpened(id, ip, 40000 + id, this.nowMs)) return -1;
    return id;
  }

  commit(): void {
    for (;;) {
      const batch = this.replica.takeUnpersisted();
      if (batch.length === 0) return;
      this.replica.committed(batch[batch.length - 1].zxid, this.nowMs);
    }
  }

  #afterInput(): void {
    if (this.autoCommit) this.commit();
  }

  sendRaw(connId: number, body: Uint8Array): void {
    this.replica.frame(connId, body, this.nowMs);
    this.#afterInput();
  }

  /** Sends a ConnectRequest; returns the decoded response if one came back. */
  connect(
    connId: number,
    opts: {
      timeoutMs?: number;
      sessionId?: bigint;
      passwd?: Uint8Array;
      lastZxidSeen?: number;
      readOnly?: boolean | undefined;
    } = {},
  ): ConnectResponse | undefined {
    const w = new JuteWriter();
    writeConnectRequest(w, {
      protocolVersion: 0,
      lastZxidSeen: opts.lastZxidSeen ?? 0,
      timeOutMs: opts.timeoutMs ?? 30000,
      sessionId: opts.sessionId ?? 0n,
      passwd: opts.passwd ?? new Uint8Array(16),
      readOnly: "readOnly" in opts ? opts.readOnly : false,
    });
    const before = this.frames.get(connId)?.length ?? 0;
    this.sendRaw(connId, w.toBytes());
    const after = this.frames.get(connId) ?? [];
    if (after.length === before) return undefined;
    const [resp] = after.splice(before, 1);
    return readConnectResponse(new JuteReader(resp));
  }

  /** Opens a connection and creates a session on it. */
  session(
    opts: { timeoutMs?: number; ip?: string } = {},
  ): { connId: number; resp: ConnectResponse } {
    const connId = this.open(opts.ip);
    const resp = this.connect(connId, { timeoutMs: opts.timeoutMs });
    if (resp === undefined) throw new Error("no ConnectResponse");
    return { connId, resp };
  }

  send(connId: number, xid: number, req: Request): void {
    const w = new JuteWriter();
    w.int(xid).int(req.op);
    writeRequest(w, req);
    this.sendRaw(connId, w.toBytes());
  }

  /** All frames received on a connection since the last drain, decoded. */
  drain(connId: number): Received[] {
    const list = this.frames.get(connId) ?? [];
    this.frames.set(connId, []);
    return list.map((body) => decodeFrame(body));
  }

  /** Sends one request and returns everything that arrived (events, then the reply). */
  call(connId: number, xid: number, req: Request): Received[] {
    this.send(connId, xid, req);
    return this.drain(connId);
  }

  /** Sends one request and returns its reply (asserting exactly one reply arrived). */
  reply(connId: number, xid: number, req: Request): { err: number; zxid: number; res: Response } {
    const got = this.call(connId, xid, req).filter((r) => r.kind === "reply");
    if (got.length !== 1 || got[0].kind !== "reply") {
      throw new Error(`expected one reply, got ${JSON.stringify(got)}`);
    }
    const r = got[0];
    const res = r.err === 0
      ? readResponse(req.op, new JuteReader(r.body))
      : { op: "none" as const };
    return { err: r.err, zxid: r.zxid, res };
  }

  advance(ms: number): void {
    this.nowMs += ms;
    this.replica.tick(this.nowMs);
    this.#afterInput();
  }
}

export function decodeFrame(body: Uint8Array): Received {
  const r = new JuteReader(body);
  const h = readReplyHeader(r);
  if (h.xid === Xid.notification) {
    return { kind: "event", zxid: h.zxid, type: r.int(), state: r.int(), path: r.string() };
  }
  return { kind: "reply", xid: h.xid, zxid: h.zxid, err: h.err, body: body.subarray(16) };
}

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const OPEN = [{ perms: 31, scheme: "world", id: "anyone" }];
