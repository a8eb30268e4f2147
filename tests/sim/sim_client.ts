/**
 * A simulated ZooKeeper client, speaking the real wire protocol (lib/proto records) to the
 * member it is connected to, behaving as the Java client does: it connects to a random
 * member, pings when idle, gives up a connection that stays silent for 2/3 of the session
 * timeout and moves to another member with the same session id, password and lastZxidSeen;
 * requests in flight when a connection breaks fail (their outcome is unknown). Its workload
 * mixes creates, versioned sets and deletes, multi, sync, ephemerals, reads, explicit
 * session closes and abandoned sessions (left to expire).
 *
 * It checks what a client can see: replies in xid order, reply zxids never going back within
 * a session, every write answered with the committed entry it caused (same session and cxid,
 * same outcome), reads equal to the committed state as of the reply's zxid, a sync answered
 * no earlier than every write acknowledged before it was sent, and "session expired" only for
 * a session that the ensemble has closed or decided to expire.
 */

import { Err, errName } from "../../lib/proto/errors.ts";
import { JuteReader, JuteWriter } from "../../lib/proto/jute.ts";
import { CreateFlag, EventType, Op, Xid } from "../../lib/proto/ops.ts";
import {
  readConnectResponse,
  readReplyHeader,
  readResponse,
  type Request,
  type Stat,
  writeConnectRequest,
  writeRequest,
} from "../../lib/proto/records.ts";
import { type Random, randomBelow } from "../../lib/util/random.ts";
import { fail, hex, type History, type NodeView, sid, type WatchProgress } from "./history.ts";
import { between, chance } from "./network.ts";

export interface SimConn {
  readonly id: number;
  /** Index of the member it goes to. */
  readonly host: number;
  readonly client: SimClient;
}

/** What a client needs from the simulated world. */
export interface ClientEnv {
  readonly random: Random;
  /** Members serve read-only clients while they have no leader (readonlymode.enabled). */
  readonly readOnlyMode: boolean;
  /** reconfigEnabled: clients change the membership now and then. */
  readonly reconfig: boolean;
  reconfigAllowed(): boolean;
  /** After the heal: the next server line to (re)join, until the initial membership is back. */
  restoreStep(): string | null;
  readonly history: History;
  now(): number;
  hostCount(): number;
  open(client: SimClient, host: number): SimConn;
  send(conn: SimConn, body: Uint8Array): void;
  /** The client closes its end (frames already sent still arrive first). */
  close(conn: SimConn): void;
  /** A write was acknowledged with this zxid. */
  acked(zxid: number): void;
  /** Highest zxid of any acknowledged write so far. */
  maxAcked(): number;
  /** Whether the ensemble has closed `sessionId` or its leader has decided to expire it. */
  sessionGone(sessionId: bigint): boolean;
  abandoned(sessionId: bigint): void;
  /** Told "session expired": the session must end up closed. */
  toldExpired(sessionId: bigint): void;
  opsAllowed(): boolean;
  trace(line: string): void;
}

type Kind = "write" | "sync" | "read" | "close" | "setWatches";

interface Outstanding {
  xid: number;
  req: Request;
  kind: Kind;
  /** For a sync: env.maxAcked() when it was sent. */
  ackedBefore: number;
}

const OPEN_ACL = [{ perms: 31, scheme: "world", id: "anyone" }];
const KEYS = 8;
const PIPELINE_MAX = 3;

const enc = (s: string) => new TextEncoder().encode(s);

function statEqual(a: Stat, b: Stat): boolean {
  return a.czxid === b.czxid && a.mzxid === b.mzxid && a.ctime === b.ctime &&
    a.mtime === b.mtime && a.version === b.version && a.cversion === b.cversion &&
    a.aversion === b.aversion && a.ephemeralOwner === b.ephemeralOwner &&
    a.dataLength === b.dataLength && a.numChildren === b.numChildren && a.pzxid === b.pzxid;
}

function dataEqual(a: Uint8Array | null, b: Uint8Array | null): boolean {
  const x = a ?? new Uint8Array(0);
  const y = b ?? new Uint8Array(0);
  return x.byteLength === y.byteLength && x.every((v, i) => v === y[i]);
}

function showStat(s: Stat | undefined): string {
  return s === undefined
    ? "none"
    : `{mzxid ${
      hex(s.mzxid)
    } version ${s.version} cversion ${s.cversion} children ${s.numChildren}}`;
}

export class SimClient {
  readonly index: number;
  readonly name: string;
  readonly ip: string;
  readonly #env: ClientEnv;
  #session: { id: bigint; passwd: Uint8Array; timeoutMs: number } | null = null;
  /**
   * This session's closeSession was sent, and may have been prepared by a leader that then
   * lost it (crashed, or was deposed) before it committed: being told "expired" on a later
   * reconnect is then what the client asked for, as with ZooKeeper.
   */
  #closeSent = false;
  #askTimeoutMs: number;
  /** Highest zxid seen in replies of the current session (what the next connect sends). */
  #lastZxidSeen = 0;
  #conn: SimConn | null = null;
  /** The client accepts read-only servers (sends readOnly=true, as canBeReadOnly). */
  readonly #canReadOnly: boolean;
  /**
   * The session was established by a read-write member (else it is a read-only member's local
   * session, which the Java client never presents to another server: it asks for a new one).
   */
  #seenRw = false;
  /** The current connection is to a member in read-only mode. */
  #readOnlyConn = false;
  #phase: "idle" | "connecting" | "connected" = "idle";
  #retryAtMs = 0;
  #connStartedMs = 0;
  #lastHeardMs = 0;
  #lastSentMs = 0;
  #pending: Outstanding[] = [];
  #nextXid = 1;
  #seq = 0;
  readonly #versions = new Map<string, number>();
  #ephemerals: string[] = [];
  /**
   * One-shot watches armed by reads of this session ("data:/p" or "child:/p"); `absent` marks
   * an exists watch on a missing node. Carried to the next member with setWatches.
   */
  readonly #watches = new Map<string, WatchProgress & { absent: boolean }>();
  /** Of /sim and /e, those this client saw exist (it creates them until then). */
  readonly #setUp = new Set<string>();
  /** Counters for the run summary. */
  readonly stats = { acked: 0, reads: 0, failed: 0, sessions: 0, expired: 0, moves: 0 };

  constructor(index: number, env: ClientEnv) {
    this.index = index;
    this.name = `client ${index}`;
    this.ip = `10.1.0.${index + 1}`;
    this.#env = env;
    this.#askTimeoutMs = between(env.random, 2000, 5000);
    this.#canReadOnly = env.readOnlyMode && chance(env.random, 0.5);
  }

  get sessionId(): bigint | null {
    return this.#session?.id ?? null;
  }

  #trace(line: string): void {
    this.#env.trace(`${this.name}: ${line}`);
  }

  // ------------------------------------------------------------------ time

  /** Called every few ms: connect, time out, ping, issue the next request. */
  act(): void {
    const env = this.#env;
    const now = env.now();
    const r = env.random;
    if (this.#phase === "idle") {
      if (now >= this.#retryAtMs) this.#connect();
      return;
    }
    const timeoutMs = this.#session?.timeoutMs ?? this.#askTimeoutMs;
    if (this.#phase === "connecting") {
      const limit = Math.max(300, Math.floor(timeoutMs / env.hostCount()));
      if (now - this.#connStartedMs > limit) this.#disconnect("connect timed out");
      return;
    }
    if (now - this.#lastHeardMs > Math.floor((timeoutMs * 2) / 3)) {
      this.#disconnect("server silent");
      return;
    }
    if (chance(r, 0.001)) {
      this.stats.moves++;
      this.#disconnect("moving to another member");
      return;
    }
    if (chance(r, 0.0004) && env.opsAllowed()) {
      this.#trace(`abandons session ${sid(this.#session!.id)}`);
      if (this.#seenRw) env.abandoned(this.#session!.id);
      this.#disconnect("abandoning the session");
      this.#newSession();
      return;
    }
    if (env.opsAllowed() && this.#pending.length < PIPELINE_MAX && chance(r, 0.5)) {
      this.#issue();
    }
    if (now - this.#lastSentMs > Math.floor(timeoutMs / 3)) {
      this.#sendFrame(Xid.ping, { op: Op.ping });
    }
  }

  #newSession(): void {
    this.#watches.clear();
    this.#seenRw = false;
    this.#session = null;
    this.#closeSent = false;
    this.#lastZxidSeen = 0;
    this.#versions.clear();
    this.#ephemerals = [];
    this.#askTimeoutMs = between(this.#env.random, 2000, 5000);
  }

  #connect(): void {
    const env = this.#env;
    const host = randomBelow(env.random, env.hostCount());
    const conn = env.open(this, host);
    this.#conn = conn;
    this.#phase = "connecting";
    this.#connStartedMs = env.now();
    this.#lastHeardMs = env.now();
    if (this.#session !== null && !this.#seenRw) this.#newSession();
    const s = this.#session;
    const w = new JuteWriter();
    writeConnectRequest(w, {
      protocolVersion: 0,
      lastZxidSeen: this.#lastZxidSeen,
      timeOutMs: s?.timeoutMs ?? this.#askTimeoutMs,
      sessionId: s?.id ?? 0n,
      passwd: s?.passwd ?? new Uint8Array(16),
      readOnly: this.#canReadOnly,
    });
    this.#trace(
      `connects to member ${host + 1} (conn ${conn.id}) ` +
        (s === null ? "for a new session" : `with session ${sid(s.id)}`) +
        ` lastZxidSeen ${hex(this.#lastZxidSeen)}`,
    );
    env.send(conn, w.toBytes());
  }

  #disconnect(why: string): void {
    const conn = this.#conn;
    if (conn === null) return;
    this.#trace(`drops conn ${conn.id}: ${why}; ${this.#pending.length} requests fail`);
    this.#env.close(conn);
    this.#lost();
  }

  /** The connection is gone: what was in flight fails with CONNECTIONLOSS. */
  #lost(): void {
    this.stats.failed += this.#pending.length;
    this.#pending = [];
    this.#conn = null;
    this.#phase = "idle";
    this.#retryAtMs = this.#env.now() + between(this.#env.random, 0, 50);
  }

  // ------------------------------------------------------------------ requests

  #sendFrame(xid: number, req: Request): void {
    const w = new JuteWriter();
    w.int(xid).int(req.op);
    writeRequest(w, req);
    this.#lastSentMs = this.#env.now();
    this.#env.send(this.#conn!, w.toBytes());
  }

  #send(req: Request, kind: Kind, xid = this.#nextXid++): void {
    this.#pending.push({ xid, req, kind, ackedBefore: this.#env.maxAcked() });
    this.#trace(`sends xid ${xid} op ${req.op}${"path" in req ? ` ${req.path}` : ""}`);
    this.#sendFrame(xid, req);
  }

  #key(): string {
    return `/sim/k${randomBelow(this.#env.random, KEYS)}`;
  }

  #version(path: string): number {
    const v = this.#versions.get(path);
    return v === undefined || chance(this.#env.random, 0.2) ? -1 : v;
  }

  #issue(): void {
    const r = this.#env.random;
    const data = () => enc(`${this.index}.${this.#seq++}`);
    const restore = this.#env.restoreStep();
    if (restore !== null && chance(r, 0.1)) {
      this.#send({
        op: Op.reconfig,
        joiningServers: restore,
        leavingServers: null,
        newMembers: null,
        curConfigId: -1,
      }, "write");
      return;
    }
    if (this.#env.reconfig && this.#env.reconfigAllowed() && chance(r, 0.01)) {
      this.#reconfig();
      return;
    }
    const pick = this.#setUp.size < 2 && chance(r, 0.5) ? 0 : randomBelow(r, 100);
    if (pick < 4) {
      const path = this.#setUp.has("/sim") !== this.#setUp.has("/e")
        ? (this.#setUp.has("/sim") ? "/e" : "/sim")
        : chance(r, 0.5)
        ? "/sim"
        : "/e";
      this.#send({ op: Op.create, path, data: null, acl: OPEN_ACL, flags: 0, ttlMs: 0 }, "write");
    } else if (pick < 20) {
      const op = chance(r, 0.5) ? Op.create : Op.create2;
      this.#send(
        { op, path: this.#key(), data: data(), acl: OPEN_ACL, flags: 0, ttlMs: 0 },
        "write",
      );
    } else if (pick < 22) {
      this.#send({
        op: Op.create2,
        path: "/sim/q",
        data: data(),
        acl: OPEN_ACL,
        flags: CreateFlag.persistentSequential,
        ttlMs: 0,
      }, "write");
    } else if (pick < 38) {
      const path = this.#key();
      this.#send({ op: Op.setData, path, data: data(), version: this.#version(path) }, "write");
    } else if (pick < 44) {
      const path = this.#key();
      this.#send({ op: Op.delete, path, version: this.#version(path) }, "write");
    } else if (pick < 50) {
      const a = this.#key();
      const b = this.#key();
      const ops: Request[] = chance(r, 0.5)
        ? [
          { op: Op.check, path: a, version: this.#version(a) },
          { op: Op.setData, path: b, data: data(), version: -1 },
        ]
        : [
          { op: Op.create, path: a, data: data(), acl: OPEN_ACL, flags: 0, ttlMs: 0 },
          { op: Op.delete, path: b, version: -1 },
        ];
      this.#send({ op: Op.multi, ops }, "write");
    } else if (pick < 56) {
      if (this.#ephemerals.length < 3) {
        const path = `/e/c${this.index}-${this.#seq++}`;
        this.#ephemerals.push(path);
        this.#send(
          {
            op: Op.create,
            path,
            data: data(),
            acl: OPEN_ACL,
            flags: CreateFlag.ephemeral,
            ttlMs: 0,
          },
          "write",
        );
      } else {
        const path = this.#ephemerals.shift()!;
        this.#send({ op: Op.delete, path, version: -1 }, "write");
      }
    } else if (pick < 61) {
      this.#send({ op: Op.sync, path: "/sim" }, "sync");
      this.#send({ op: Op.getData, path: this.#key(), watch: chance(r, 0.3) }, "read");
    } else if (pick < 73) {
      this.#send({ op: Op.getData, path: this.#key(), watch: chance(r, 0.3) }, "read");
    } else if (pick < 83) {
      this.#send({ op: Op.exists, path: this.#key(), watch: chance(r, 0.3) }, "read");
    } else if (pick < 93) {
      const path = chance(r, 0.7) ? "/sim" : "/e";
      this.#send({ op: Op.getChildren2, path, watch: chance(r, 0.3) }, "read");
    } else if (pick < 94 && chance(r, 0.5)) {
      this.#closeSent = true;
      this.#send({ op: Op.closeSession }, "close");
    } else {
      this.#send({ op: Op.getData, path: "/sim", watch: false }, "read");
    }
  }

  /** A random membership change: a member leaves, or (re)joins as participant or observer. */
  #reconfig(): void {
    const r = this.#env.random;
    const id = 1 + randomBelow(r, this.#env.hostCount());
    const joining = chance(r, 0.5)
      ? `server.${id}=10.0.0.${id}:2888:3888:${chance(r, 0.7) ? "participant" : "observer"};` +
        `${2180 + id}`
      : null;
    this.#send({
      op: Op.reconfig,
      joiningServers: joining,
      leavingServers: joining === null ? `${id}` : null,
      newMembers: null,
      curConfigId: -1,
    }, "write");
  }

  // ------------------------------------------------------------------ input

  /** The connection was closed by the member (or it crashed, or refused us). */
  closed(conn: SimConn): void {
    if (conn !== this.#conn) return;
    this.#trace(`conn ${conn.id} closed by the server; ${this.#pending.length} requests fail`);
    this.#lost();
  }

  frame(conn: SimConn, body: Uint8Array): void {
    if (conn !== this.#conn) return;
    const env = this.#env;
    this.#lastHeardMs = env.now();
    const r = new JuteReader(body);
    if (this.#phase === "connecting") {
      const resp = readConnectResponse(r);
      if (resp.timeOutMs <= 0) {
        const s = this.#session;
        this.#trace(`told session ${s === null ? "(new)" : sid(s.id)} is expired`);
        if (s !== null) {
          if (!this.#closeSent && !env.sessionGone(s.id)) {
            fail(
              `${this.name}: member ${conn.host + 1} said session ${
                sid(s.id)
              } is expired, but the ` +
                `ensemble never closed it and no leader is expiring it`,
            );
          }
          env.toldExpired(s.id);
          this.stats.expired++;
        }
        this.#disconnect("session expired");
        this.#newSession();
        return;
      }
      const s = this.#session;
      if (s !== null && resp.sessionId !== s.id) {
        fail(`${this.name}: reconnected with ${sid(s.id)}, got session ${sid(resp.sessionId)}`);
      }
      if (s === null) this.stats.sessions++;
      this.#session = { id: resp.sessionId, passwd: resp.passwd, timeoutMs: resp.timeOutMs };
      this.#readOnlyConn = resp.readOnly === true;
      if (this.#readOnlyConn && !this.#canReadOnly) {
        fail(
          `${this.name}: member ${conn.host + 1} is read-only, but the client did not accept that`,
        );
      }
      if (!this.#readOnlyConn) this.#seenRw = true;
      this.#phase = "connected";
      this.#trace(`connected to member ${conn.host + 1}, session ${sid(resp.sessionId)}`);
      if (this.#watches.size > 0) this.#setWatches();
      return;
    }
    const h = readReplyHeader(r);
    if (h.xid === Xid.notification) {
      this.#event(conn, h.zxid, r.int(), r.int(), r.string());
      return;
    }
    // setWatches' reply is checked by #rearmed: a change the client missed while it was
    // disconnected is reported by a catch-up event only if the node still shows it.
    if (h.xid !== Xid.setWatches) this.#checkWatches(conn, h.xid, h.zxid);
    if (h.zxid < this.#lastZxidSeen) {
      fail(
        `${this.name}: reply to xid ${h.xid} from member ${conn.host + 1} carries zxid ${
          hex(h.zxid)
        }, ` +
          `older than ${hex(this.#lastZxidSeen)} this session already saw`,
      );
    }
    if (h.xid === Xid.ping) return;
    const head = this.#pending.shift();
    if (head === undefined || head.xid !== h.xid) {
      fail(
        `${this.name}: reply for xid ${h.xid} but the oldest request in flight is ` +
          `${head === undefined ? "none" : head.xid} (per-session FIFO)`,
      );
    }
    if (h.zxid > 0) this.#lastZxidSeen = h.zxid;
    this.#trace(`reply xid ${h.xid} zxid ${hex(h.zxid)} ${errName(h.err)}`);
    this.#reply(conn, head, h.zxid, h.err, r);
  }

  #reply(conn: SimConn, q: Outstanding, zxid: number, err: number, r: JuteReader): void {
    const env = this.#env;
    const what = `${this.name} xid ${q.xid} op ${q.req.op} (reply zxid ${hex(zxid)} ` +
      `${errName(err)} from member ${conn.host + 1})`;
    if (err === Err.SESSIONEXPIRED) {
      const id = this.#session!.id;
      if (!this.#closeSent && !env.sessionGone(id)) {
        fail(`${what}: session expired, but the ensemble never closed ${sid(id)}`);
      }
      env.toldExpired(id);
      this.stats.expired++;
      this.#disconnect("session expired");
      this.#newSession();
      return;
    }
    if (q.kind === "setWatches") {
      if (err !== Err.OK) fail(`${what}: setWatches failed`);
      this.#rearmed(what, q.req, zxid);
      return;
    }
    if (this.#readOnlyConn && q.kind !== "read") {
      // A read-only member refuses what would need the log; a local session just ends.
      const localClose = q.kind === "close" && !this.#seenRw;
      if (err !== (localClose ? Err.OK : Err.NOTREADONLY)) fail(`${what}: on a read-only member`);
      if (localClose) {
        this.#disconnect("session closed");
        this.#newSession();
      }
      return;
    }
    if (q.kind === "read") {
      this.stats.reads++;
      this.#checkRead(what, q.req, zxid, err, r);
      return;
    }
    // Writes, syncs and closes are entries of the log: the reply names the entry.
    const entry = env.history.entry(zxid);
    if (entry === undefined) fail(`${what}: zxid ${hex(zxid)} is not a committed entry`);
    if (entry.sessionId !== this.#session!.id || entry.cxid !== q.xid) {
      fail(
        `${what}: the committed entry at ${hex(zxid)} is session ${sid(entry.sessionId)} ` +
          `cxid ${entry.cxid}`,
      );
    }
    const txn = entry.txn;
    if (txn.type === "error" && err !== txn.err) {
      fail(`${what}: committed as error ${errName(txn.err)}`);
    }
    if (txn.type !== "error" && txn.type !== "multi" && err !== Err.OK) {
      fail(`${what}: committed as a successful ${txn.type}`);
    }
    if (q.kind === "sync") {
      if (zxid < q.ackedBefore) {
        fail(
          `${what}: sync answered at ${hex(zxid)}, before the write acknowledged at ` +
            `${hex(q.ackedBefore)} before the sync was sent`,
        );
      }
      return;
    }
    const req = q.req;
    if (req.op === Op.create && (req.path === "/sim" || req.path === "/e")) {
      if (err === Err.OK || err === Err.NODEEXISTS) this.#setUp.add(req.path);
    }
    if (err !== Err.OK) return;
    this.stats.acked++;
    env.acked(zxid);
    if (req.op === Op.reconfig) {
      this.#trace(
        `reconfig ${req.joiningServers ?? ""} -${req.leavingServers ?? ""} ` +
          `${req.newMembers ?? ""} committed at ${hex(zxid)}`,
      );
    }
    if (q.kind === "close") {
      this.#trace(`closed session ${sid(this.#session!.id)}`);
      this.#disconnect("session closed");
      this.#newSession();
      return;
    }
    if (req.op === Op.setData || req.op === Op.create || req.op === Op.create2) {
      const res = readResponse(req.op, r);
      if (res.op === "stat" || res.op === "pathStat") {
        this.#versions.set(req.path, res.stat.version);
      } else if (req.op === Op.create) this.#versions.set(req.path, 0);
    }
  }

  // ------------------------------------------------------------------ watches

  /** Re-registers the session's watches on a new connection, as the Java client does. */
  #setWatches(): void {
    const data: string[] = [];
    const exist: string[] = [];
    const child: string[] = [];
    for (const w of this.#watches.values()) {
      (w.table === "child" ? child : w.absent ? exist : data).push(w.path);
    }
    this.#send(
      {
        op: Op.setWatches,
        relativeZxid: this.#lastZxidSeen,
        dataWatches: data,
        existWatches: exist,
        childWatches: child,
        persistentWatches: [],
        persistentRecursiveWatches: [],
      },
      "setWatches",
      Xid.setWatches,
    );
  }

  #arm(path: string, table: "data" | "child", zxid: number, absent: boolean): void {
    const key = `${table}:${path}`;
    if (this.#watches.has(key)) return; // one watch on the server; the first arming counts
    this.#watches.set(key, { path, table, armedZxid: zxid, next: -1, fires: null, absent });
  }

  /** A watch event: it must be for an armed watch, and for the first change after arming. */
  #event(conn: SimConn, zxid: number, type: number, _state: number, path: string): void {
    this.#trace(`event ${type} ${path} zxid ${hex(zxid)}`);
    const tables: Array<"data" | "child"> = type === EventType.NodeDeleted
      ? ["data", "child"]
      : type === EventType.NodeChildrenChanged
      ? ["child"]
      : ["data"];
    let matched = false;
    for (const table of tables) {
      const w = this.#watches.get(`${table}:${path}`);
      if (w === undefined) continue;
      matched = true;
      this.#watches.delete(`${table}:${path}`);
      const fires = this.#env.history.watchFires(w);
      const what = `${this.name}: event ${type} for ${table} watch on ${path} (armed at ` +
        `${hex(w.armedZxid)}) from member ${conn.host + 1} at ${hex(zxid)}`;
      if (fires === null) fail(`${what}, but ${path} has not changed since`);
      // A catch-up event after setWatches carries zxid -1 and says how the node is now; a
      // live one is the first change, with its zxid.
      if (zxid !== -1 && (fires.zxid !== zxid || fires.type !== type)) {
        fail(
          `${what}, but the first change after arming is event ${fires.type} at ${hex(fires.zxid)}`,
        );
      }
    }
    if (!matched) {
      fail(`${this.name}: event ${type} on ${path} at ${hex(zxid)} with no watch armed`);
    }
  }

  /**
   * setWatches answered at `zxid` (the member's state): a watch without a catch-up event is
   * armed again from here, which is right only if its node looks as it did at the
   * relativeZxid it was sent with (ZooKeeper compares mzxid, pzxid and existence; a node
   * created and deleted in between is missed by design).
   */
  #rearmed(what: string, req: Request, zxid: number): void {
    if (req.op !== Op.setWatches) return;
    const history = this.#env.history;
    for (const w of this.#watches.values()) {
      const before = history.viewAt(w.path, req.relativeZxid);
      const now = history.viewAt(w.path, zxid);
      if (before === undefined || now === undefined) {
        fail(`${what}: setWatches at ${hex(req.relativeZxid)}..${hex(zxid)}: not committed`);
      }
      const changed = w.table === "child"
        ? before === null || now === null || before.stat.pzxid !== now.stat.pzxid
        : w.absent
        ? now !== null
        : before === null || now === null || before.stat.mzxid !== now.stat.mzxid;
      if (changed) {
        fail(
          `${what}: no catch-up event for the ${w.table} watch on ${w.path} although it changed ` +
            `between ${hex(req.relativeZxid)} and ${hex(zxid)}`,
        );
      }
      w.armedZxid = zxid;
      w.next = -1;
      w.fires = null;
    }
  }

  /** A reply at `zxid`: every change up to it of a watched node must have been notified. */
  #checkWatches(conn: SimConn, xid: number, zxid: number): void {
    for (const w of this.#watches.values()) {
      const fires = this.#env.history.watchFires(w);
      if (fires !== null && fires.zxid <= zxid) {
        fail(
          `${this.name}: reply to xid ${xid} from member ${conn.host + 1} at ${hex(zxid)}, but ` +
            `the ${w.table} watch on ${w.path} (armed at ${hex(w.armedZxid)}) was not notified ` +
            `of the change at ${hex(fires.zxid)}`,
        );
      }
    }
  }

  #checkRead(what: string, req: Request, zxid: number, err: number, r: JuteReader): void {
    if (req.op !== Op.getData && req.op !== Op.exists && req.op !== Op.getChildren2) return;
    const view: NodeView | null | undefined = this.#env.history.viewAt(req.path, zxid);
    if (view === undefined) fail(`${what}: read at ${hex(zxid)}, which is not committed`);
    if (err === Err.NONODE) {
      if (view !== null) {
        fail(`${what}: NONODE, but ${req.path} existed at ${hex(zxid)} ${showStat(view.stat)}`);
      }
      if (req.op === Op.exists && req.watch) this.#arm(req.path, "data", zxid, true);
      return;
    }
    if (err !== Err.OK) fail(`${what}: unexpected error`);
    const res = readResponse(req.op, r);
    if (view === null) fail(`${what}: found ${req.path}, which did not exist at ${hex(zxid)}`);
    const stat = "stat" in res && res.stat !== null ? res.stat : undefined;
    if (stat === undefined || !statEqual(stat, view.stat)) {
      fail(
        `${what}: ${req.path} read as ${showStat(stat)}, committed state at ${hex(zxid)} is ` +
          showStat(view.stat),
      );
    }
    if (res.op === "data" && !dataEqual(res.data, view.data)) {
      fail(`${what}: ${req.path} data differs from the committed state at ${hex(zxid)}`);
    }
    if (res.op === "children" && res.children.join(",") !== view.children.join(",")) {
      fail(
        `${what}: children [${res.children}] but at ${hex(zxid)} they were [${view.children}]`,
      );
    }
    if (req.op === Op.getData && res.op === "data") {
      this.#versions.set(req.path, res.stat.version);
    }
    if (req.watch) this.#arm(req.path, req.op === Op.getChildren2 ? "child" : "data", zxid, false);
  }
}
