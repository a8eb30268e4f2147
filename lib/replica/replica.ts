/**
 * The server's brain, with no I/O: bytes and time in, frames and txns out. It composes the
 * tree, prepare, sessions and watches into ZooKeeper's request path:
 *
 *   frame -> decode -> (write) prepare -> txn queued for the log -> committed() -> apply ->
 *            notifications + reply, in the connection's FIFO order
 *         -> (read)  served from the tree once every earlier request of that connection
 *                    has been answered
 *
 * The shell (lib/server) moves bytes, calls tick() with the time, and takes the txns to
 * persist with takeUnpersisted(), reporting them durable with committed(). The same class
 * will sit behind the WAL and the replication log: only who calls committed() changes.
 */

import type { Config } from "../config/config.ts";
import { DecodeError, JuteReader } from "../proto/jute.ts";
import { Err } from "../proto/errors.ts";
import { Op, opInfo, Perm, Xid } from "../proto/ops.ts";
import {
  type MultiResult,
  readConnectRequest,
  readRequest,
  type Request,
  writeMultiResults,
  writeStat,
} from "../proto/records.ts";
import { aclAllows, SUPER_ID } from "../tree/acl.ts";
import {
  type ApplyResult,
  CONFIG_NODE_PATH,
  DataTree,
  type WatchTrigger,
} from "../tree/data_tree.ts";
import { digestId } from "../tree/digest_auth.ts";
import { kindOf, ttlOf } from "../tree/node_kind.ts";
import { PendingChanges } from "../txn/pending.ts";
import {
  prepareCloseSession,
  type PrepareContext,
  prepareDeleteContainer,
  prepareWrite,
} from "../txn/prepare.ts";
import type { Txn, TxnEntry } from "../tree/txn.ts";
import { passwordsEqual, sessionPassword } from "../session/password.ts";
import { SessionTable } from "../session/session_table.ts";
import { WatchManager } from "../watch/watch_manager.ts";
import { Connection, type PendingItem } from "./connection.ts";
import { executeRead, type ReadContext } from "./reads.ts";
import {
  connectResponseFrame,
  invalidSessionFrame,
  notificationFrame,
  replyFrame,
} from "./replies.ts";
import { assert } from "../util/assert.ts";
import { epochOf, makeZxid } from "../quorum/zxid.ts";
import type { AuthId } from "../tree/acl.ts";

/** Where the replica's output goes: the shell implements it with sockets. */
export interface ReplicaIO {
  /** Queue a whole frame (length prefix included) for the connection. */
  send(connId: number, frame: Uint8Array): void;
  /** Close the connection once its queued frames are written; `reason` is logged. */
  close(connId: number, reason: string): void;
  log(level: "debug" | "info" | "warn", message: string): void;
  /** In an ensemble, on a follower or observer: hand a write to the leader. */
  forward?(f: Forward): void;
}

/**
 * The replica's place in an ensemble. Standalone is the one-member case with no log
 * replication; "looking" means no leader is known, and no client is served; "readonly" is
 * looking with readonlymode.enabled: read-only clients are served reads from the local tree.
 */
export type ReplicaRole =
  | "standalone"
  | "leader"
  | "follower"
  | "observer"
  | "looking"
  | "readonly";

/**
 * The leader's part of a reconfig (the member layer knows the membership and who is in
 * sync): `permitted` says whether the caller holds WRITE on /zookeeper/config.
 */
export type ReconfigHook = (
  request: Extract<Request, { op: 16 }>,
  permitted: boolean,
  zxid: number,
) => Txn;

/** What a follower or observer sends its leader (the leader prepares the txn). */
export type Forward =
  | { kind: "createSession"; sessionId: bigint; timeoutMs: number }
  | { kind: "request"; sessionId: bigint; cxid: number; body: Uint8Array; authIds: AuthId[] };

/** A write this member forwarded, waiting for its txn to come back committed. */
interface ForwardedWrite {
  connId: number;
  xid: number;
  item: PendingItem;
  request: Request;
}

/** State rebuilt by recovery (snapshot + log replay). */
export interface RecoveredState {
  tree: DataTree;
  sessions: ReadonlyArray<{ id: bigint; timeoutMs: number }>;
}

/** What a committed txn must do besides changing the tree. */
type Origin =
  | { kind: "request"; connId: number; item: PendingItem; request: Request }
  | { kind: "createSession"; connId: number; timeoutMs: number; readOnly: boolean | undefined }
  | { kind: "internal" };

/** Held on a new leader until its first txn commits (the log it inherited is applied). */
type HeldWrite =
  | { kind: "local"; connId: number; xid: number; request: Request; item: PendingItem }
  | { kind: "forward"; forward: Forward };

interface Prepared {
  entry: TxnEntry;
  origin: Origin;
}

/** Server-wide counters for srvr/stat/mntr. */
export class ServerStats {
  packetsReceived = 0;
  packetsSent = 0;
  latencyMinMs = Number.MAX_SAFE_INTEGER;
  latencyMaxMs = 0;
  latencyTotalMs = 0;
  latencyCount = 0;
  authFailed = 0;

  reset(): void {
    this.packetsReceived = this.packetsSent = 0;
    this.latencyMaxMs = this.latencyTotalMs = this.latencyCount = 0;
    this.latencyMinMs = Number.MAX_SAFE_INTEGER;
  }
}

export class Replica {
  readonly config: Config;
  tree: DataTree;
  pending: PendingChanges;
  readonly sessions: SessionTable;
  readonly watches = new WatchManager();
  readonly connections = new Map<number, Connection>();
  readonly stats = new ServerStats();
  readonly startedAtMs: number;
  readonly #io: ReplicaIO;
  #readCtx: ReadContext;
  #role: ReplicaRole = "standalone";
  readonly #reconfig: ReconfigHook | undefined;
  readonly #firstLeaderTxn: ((epoch: number) => Txn | null) | undefined;
  /** Leader: writes wait here until the inherited log is applied. */
  #held: HeldWrite[] | null = null;
  /** Follower/observer: writes forwarded to the leader, per session, in order. */
  readonly #forwarded = new Map<bigint, ForwardedWrite[]>();
  /** Follower/observer: sessions being created through the leader -> connection. */
  readonly #forwardedSessions = new Map<
    bigint,
    { connId: number; timeoutMs: number; readOnly: boolean | undefined }
  >();
  /** Read-only mode: sessions created here, known to nobody else (dropped on leaving). */
  readonly #localSessions = new Set<bigint>();
  /** Follower/observer: sessions touched since takeTouched() (the leader owns expiry). */
  #touched = new Set<bigint>();
  /** Last zxid handed out by prepare (>= tree.lastZxid). */
  #lastPreparedZxid: number;
  /** Prepared txns not yet handed to the log, and those handed but not committed. */
  #unpersisted: Prepared[] = [];
  readonly #uncommitted: Prepared[] = [];
  #uncommittedHead = 0;
  /** Requests received and not yet answered, over all connections (back-pressure). */
  #outstanding = 0;
  #nextContainerCheckMs: number;
  #nowMs: number;

  /**
   * `recovered` is the state rebuilt from a snapshot and the log: its sessions are tracked
   * again with a fresh full timeout from now (clients get that long to come back), and
   * ephemerals whose owner is unknown are removed by logged txns, as ZooKeeper does.
   */
  constructor(
    config: Config,
    io: ReplicaIO,
    nowMs: number,
    recovered?: RecoveredState,
    options: {
      serverId?: number;
      ensemble?: boolean;
      reconfig?: ReconfigHook;
      /** A new leader's first txn, when it must be more than a no-op (see Member). */
      firstLeaderTxn?: (epoch: number) => Txn | null;
    } = {},
  ) {
    this.config = config;
    this.#io = io;
    const tree = recovered?.tree ?? new DataTree();
    this.tree = tree;
    this.pending = new PendingChanges(tree);
    this.sessions = new SessionTable(config.tickMs, options.serverId ?? 1, nowMs);
    for (const s of recovered?.sessions ?? []) this.sessions.add(s.id, s.timeoutMs, nowMs);
    this.#lastPreparedZxid = tree.lastZxid;
    this.startedAtMs = nowMs;
    this.#nowMs = nowMs;
    this.#nextContainerCheckMs = nowMs + config.containerCheckIntervalMs;
    this.#readCtx = this.#makeReadCtx();
    this.#reconfig = options.reconfig;
    this.#firstLeaderTxn = options.firstLeaderTxn;
    if (options.ensemble) {
      // In an ensemble the leader decides about orphaned ephemerals, through the log.
      this.#role = "looking";
      return;
    }
    for (const owner of [...tree.ephemerals.keys()]) {
      if (this.sessions.get(owner) !== undefined) continue;
      const txn = prepareCloseSession(this.pending, owner, this.#lastPreparedZxid + 1);
      this.#prepared({ entry: this.#entry(owner, 0, txn), origin: { kind: "internal" } });
    }
  }

  #makeReadCtx(): ReadContext {
    return {
      tree: this.tree,
      watches: this.watches,
      skipAcl: this.config.skipAcl,
      notify: (conn, zxid, type, path) => this.#send(conn, notificationFrame(zxid, type, path)),
    };
  }

  get role(): ReplicaRole {
    return this.#role;
  }

  get outstanding(): number {
    return this.#outstanding;
  }

  get lastZxid(): number {
    return this.tree.lastZxid;
  }

  // ------------------------------------------------------------------ connections

  /** A socket was accepted. Returns false (and the shell closes it) when over a limit. */
  connOpened(connId: number, remoteIp: string, remotePort: number, nowMs: number): boolean {
    this.#nowMs = nowMs;
    const { maxClientCnxns, maxCnxns } = this.config;
    if (maxCnxns > 0 && this.connections.size >= maxCnxns) {
      this.#io.log("warn", `too many connections (${maxCnxns}); refusing ${remoteIp}`);
      return false;
    }
    if (maxClientCnxns > 0) {
      let fromIp = 0;
      for (const c of this.connections.values()) if (c.remoteIp === remoteIp) fromIp++;
      if (fromIp >= maxClientCnxns) {
        this.#io.log("warn", `too many connections from ${remoteIp} - max is ${maxClientCnxns}`);
        return false;
      }
    }
    this.connections.set(connId, new Connection(connId, remoteIp, remotePort, nowMs));
    return true;
  }

  /** The socket is gone (peer closed, error, or the replica asked to close it). */
  connClosed(connId: number): void {
    const conn = this.connections.get(connId);
    if (conn === undefined) return;
    conn.closed = true;
    this.#outstanding -= conn.queue.length;
    conn.queue.length = 0;
    // Its forwarded writes still commit, but nobody waits for them: a client that reconnects
    // here and starts its xids over must not have its replies matched to these.
    const q = this.#forwarded.get(conn.sessionId);
    if (q !== undefined) {
      const kept = q.filter((w) => w.connId !== connId);
      if (kept.length > 0) this.#forwarded.set(conn.sessionId, kept);
      else this.#forwarded.delete(conn.sessionId);
    }
    this.watches.removeConnection(connId);
    this.connections.delete(connId);
  }

  #close(conn: Connection, reason: string): void {
    if (conn.closed) return;
    this.connClosed(conn.id);
    this.#io.close(conn.id, reason);
  }

  /** True when the shell should stop reading this socket until replies drain. */
  shouldPause(connId: number): boolean {
    const conn = this.connections.get(connId);
    if (conn === undefined) return false;
    return conn.queue.length >= this.config.connectionOutstandingLimit ||
      this.#outstanding >= this.config.globalOutstandingLimit;
  }

  #send(conn: Connection, frame: Uint8Array): void {
    if (conn.closed) return;
    conn.stats.packetsSent++;
    this.stats.packetsSent++;
    this.#io.send(conn.id, frame);
  }

  // ------------------------------------------------------------------ input

  /** One whole frame body from a connection (after the length prefix). */
  frame(connId: number, body: Uint8Array, nowMs: number): void {
    this.#nowMs = nowMs;
    const conn = this.connections.get(connId);
    if (conn === undefined || conn.closed) return;
    conn.stats.packetsReceived++;
    this.stats.packetsReceived++;
    if (!conn.established) {
      if (conn.handshaking) {
        // ZooKeeper stops reading until the session exists; we hold the frames instead.
        conn.early.push(body.slice());
        return;
      }
      this.#connect(conn, body);
      return;
    }
    this.#request(conn, body);
  }

  #connect(conn: Connection, body: Uint8Array): void {
    let req;
    try {
      req = readConnectRequest(new JuteReader(body, this.config.frameBytesMax));
    } catch (e) {
      this.#close(conn, `malformed ConnectRequest: ${(e as Error).message}`);
      return;
    }
    if (req.lastZxidSeen > this.tree.lastZxid) {
      this.#close(
        conn,
        `refusing session request: client lastZxidSeen 0x${req.lastZxidSeen.toString(16)} ` +
          `is ahead of server 0x${this.tree.lastZxid.toString(16)}; client must try another server`,
      );
      return;
    }
    conn.sentReadOnlyByte = req.readOnly !== undefined;
    const timeoutMs = Math.min(
      Math.max(req.timeOutMs, this.config.minSessionTimeoutMs),
      this.config.maxSessionTimeoutMs,
    );
    const readOnly = req.readOnly === undefined ? undefined : false;
    if (this.#role === "looking") {
      // As ZooKeeper while it has no running server: the socket is accepted (four-letter
      // words still answer), a session request is not.
      this.#close(conn, "not serving: no leader (election in progress)");
      return;
    }
    if (this.#role === "readonly") {
      this.#connectReadOnly(conn, req.sessionId, req.passwd, timeoutMs, req.readOnly === true);
      return;
    }
    if (req.sessionId === 0n) {
      conn.handshaking = true;
      const id = this.sessions.allocateId();
      if (this.#isLearner()) {
        this.#forwardedSessions.set(id, { connId: conn.id, timeoutMs, readOnly });
        this.#forward({ kind: "createSession", sessionId: id, timeoutMs });
        return;
      }
      if (this.#held !== null) {
        this.#held.push({
          kind: "forward",
          forward: { kind: "createSession", sessionId: id, timeoutMs },
        });
        this.#forwardedSessions.set(id, { connId: conn.id, timeoutMs, readOnly });
        return;
      }
      this.#prepared({
        entry: this.#entry(id, 0, { type: "createSession", timeoutMs }),
        origin: { kind: "createSession", connId: conn.id, timeoutMs, readOnly },
      });
      return;
    }
    const session = this.sessions.get(req.sessionId);
    if (session === undefined && this.#role !== "standalone" && !this.leaderReady) {
      // A follower or observer (or a new leader still applying the log it inherited) may not
      // have applied the session's createSession yet: only a leader that has applied all that
      // is committed knows the session is gone. The client tries another server.
      this.#close(
        conn,
        `session 0x${BigInt.asUintN(64, req.sessionId).toString(16)} not known here (yet); ` +
          `client must try another server`,
      );
      return;
    }
    const valid = session !== undefined && !session.closing &&
      passwordsEqual(req.passwd, sessionPassword(req.sessionId));
    if (!valid) {
      this.#send(conn, invalidSessionFrame(readOnly));
      this.#close(conn, `invalid session 0x${BigInt.asUintN(64, req.sessionId).toString(16)}`);
      return;
    }
    // The session moves here: its older connection (and that one's watches) goes away.
    for (const other of this.connections.values()) {
      if (other !== conn && other.sessionId === req.sessionId) {
        this.#close(other, "session moved to a new connection");
      }
    }
    this.sessions.touch(req.sessionId, this.#nowMs, timeoutMs);
    if (this.#isLearner()) this.#touched.add(req.sessionId);
    this.#establish(conn, req.sessionId, timeoutMs, readOnly);
  }

  /**
   * Read-only mode, as ZooKeeper's ReadOnlyZooKeeperServer: only clients that said they accept
   * a read-only server get in; a new session is local to this member (a client drops it when
   * it first reaches a read-write server), a known session is resumed without a txn.
   */
  #connectReadOnly(
    conn: Connection,
    sessionId: bigint,
    passwd: Uint8Array,
    timeoutMs: number,
    clientAcceptsReadOnly: boolean,
  ): void {
    if (!clientAcceptsReadOnly) {
      this.#close(conn, "not a read-only client while this member is in read-only mode");
      return;
    }
    if (sessionId === 0n) {
      const id = this.sessions.allocateId();
      this.sessions.add(id, timeoutMs, this.#nowMs);
      this.#localSessions.add(id);
      this.#establish(conn, id, timeoutMs, true);
      return;
    }
    const session = this.sessions.get(sessionId);
    if (session === undefined) {
      // A global session this member has not applied (yet): without a leader it cannot tell
      // whether it expired, so it refuses it as ZooKeeper's read-only server refuses global
      // sessions; the client tries another server (never "expired": that is final for it).
      this.#close(
        conn,
        `session 0x${BigInt.asUintN(64, sessionId).toString(16)} not known in read-only mode`,
      );
      return;
    }
    if (!passwordsEqual(passwd, sessionPassword(sessionId))) {
      this.#send(conn, invalidSessionFrame(true));
      this.#close(conn, `invalid session 0x${BigInt.asUintN(64, sessionId).toString(16)}`);
      return;
    }
    this.#establish(conn, sessionId, timeoutMs, true);
  }

  #establish(
    conn: Connection,
    sessionId: bigint,
    timeoutMs: number,
    readOnly: boolean | undefined,
  ): void {
    conn.sessionId = sessionId;
    conn.negotiatedTimeoutMs = timeoutMs;
    conn.established = true;
    conn.handshaking = false;
    conn.establishedAtMs = this.#nowMs;
    this.#send(
      conn,
      connectResponseFrame(timeoutMs, sessionId, sessionPassword(sessionId), readOnly),
    );
    const early = conn.early.splice(0);
    for (const body of early) {
      if (conn.closed) return;
      this.#request(conn, body);
    }
  }

  #request(conn: Connection, body: Uint8Array): void {
    const now = this.#nowMs;
    if (body.byteLength < 8) {
      this.#close(conn, `request of ${body.byteLength} bytes is shorter than its header`);
      return;
    }
    const r = new JuteReader(body, this.config.frameBytesMax);
    const xid = r.int();
    const op = r.int();
    conn.stats.lastCxid = xid;
    this.sessions.touch(conn.sessionId, now);
    if (this.#role !== "standalone" && this.#role !== "leader") this.#touched.add(conn.sessionId);
    const info = opInfo(op);
    conn.stats.lastOpTag = info?.tag ?? "NA";

    // Unknown opcodes, internal ones, and check outside a multi: UNIMPLEMENTED, then close.
    if (info === undefined || op === Op.deleteContainer || op === Op.check) {
      this.#enqueue(
        conn,
        xid,
        op,
        null,
        replyFrame(xid, -1, Err.UNIMPLEMENTED),
        `unknown opcode ${op}`,
      );
      return;
    }
    let request: Request;
    try {
      request = readRequest(op, r);
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      this.#io.log("debug", `0x${conn.sessionId.toString(16)}: ${e.message}`);
      this.#enqueueError(conn, xid, op, Err.MARSHALLINGERROR);
      return;
    }

    if (info.kind === "oob") {
      this.#outOfBand(conn, xid, request);
      return;
    }
    if (this.#role === "readonly" && (info.kind === "write" || op === Op.sync)) {
      // closeSession of a local session just ends it; anything else that writes is refused.
      if (op === Op.closeSession && this.#localSessions.delete(conn.sessionId)) {
        this.sessions.remove(conn.sessionId);
        this.#enqueueError(conn, xid, op, Err.OK, "client closed the session");
      } else {
        this.#enqueueError(conn, xid, op, Err.NOTREADONLY);
      }
      return;
    }
    const session = this.sessions.get(conn.sessionId);
    if (session === undefined || session.closing) {
      if (op === Op.closeSession) {
        this.#enqueueError(conn, xid, op, Err.OK, "session closed");
      } else {
        this.#enqueueError(conn, xid, op, Err.SESSIONEXPIRED);
      }
      return;
    }
    // In an ensemble, sync goes through the leader's log like a write: its reply leaves
    // once this member has applied everything the leader had when the sync reached it.
    if (info.kind === "write" || (op === Op.sync && this.#role !== "standalone")) {
      if (this.#isLearner()) this.#forwardWrite(conn, xid, request, body);
      else if (this.#held !== null) this.#holdWrite(conn, xid, request);
      else this.#write(conn, xid, request);
      return;
    }
    // Reads and local ops: answer now if nothing of this connection is ahead of them.
    if (conn.queue.length === 0) {
      const reply = executeRead(this.#readCtx, conn, xid, request);
      this.#recordLatency(conn, now);
      this.#send(conn, reply);
      return;
    }
    const item: PendingItem = {
      xid,
      op,
      deferred: request,
      reply: null,
      closeAfter: null,
      receivedAtMs: now,
    };
    conn.queue.push(item);
    this.#outstanding++;
  }

  #enqueue(
    conn: Connection,
    xid: number,
    op: number,
    deferred: Request | null,
    reply: Uint8Array | null,
    closeAfter: string | null = null,
  ): PendingItem {
    const item: PendingItem = { xid, op, deferred, reply, closeAfter, receivedAtMs: this.#nowMs };
    conn.queue.push(item);
    this.#outstanding++;
    this.#pump(conn);
    return item;
  }

  /**
   * An answer decided at once (an error, or OK for a close) that still waits for the
   * connection's earlier requests: its frame is built when it leaves, so its zxid is never
   * older than that of a reply sent before it (a client takes it as its lastZxidSeen).
   */
  #enqueueError(
    conn: Connection,
    xid: number,
    op: number,
    err: number,
    closeAfter: string | null = null,
  ): void {
    const item: PendingItem = {
      xid,
      op,
      deferred: null,
      reply: null,
      closeAfter,
      receivedAtMs: this.#nowMs,
    };
    this.#lateErrors.set(item, err);
    conn.queue.push(item);
    this.#outstanding++;
    this.#pump(conn);
  }
  readonly #lateErrors = new WeakMap<PendingItem, number>();

  #outOfBand(conn: Connection, xid: number, request: Request): void {
    if (request.op === Op.auth) {
      const scheme = request.scheme;
      if (scheme === "digest") {
        const id = digestId(new TextDecoder().decode(request.auth));
        if (this.config.superDigest !== null && id === this.config.superDigest) {
          conn.addAuthId(SUPER_ID);
        }
        conn.addAuthId({ scheme: "digest", id });
        this.#send(conn, replyFrame(Xid.auth, 0, Err.OK));
        return;
      }
      if (scheme === "ip") {
        // The ip provider authenticates by address, which the connection already holds.
        this.#send(conn, replyFrame(Xid.auth, 0, Err.OK));
        return;
      }
      this.stats.authFailed++;
      this.#send(conn, replyFrame(Xid.auth, 0, Err.AUTHFAILED));
      this.#close(conn, `authentication failed: no provider for scheme '${scheme}'`);
      return;
    }
    // SASL is not configured, so the connection has no SASL server. ZooKeeper then hits a
    // null server, logs it, and answers OK with a null token (zxid 0); the connection stays.
    this.#io.log("warn", "SASL token received but SASL is not enabled");
    this.#send(conn, replyFrame(xid, 0, Err.OK, (w) => w.buffer(null)));
  }

  #write(conn: Connection, xid: number, request: Request): void {
    const item = this.#queueWrite(conn, xid, request);
    const origin: Origin = { kind: "request", connId: conn.id, item, request };
    this.#prepareWrite(conn.sessionId, conn.authIds, xid, request, origin);
  }

  #queueWrite(conn: Connection, xid: number, request: Request): PendingItem {
    const item: PendingItem = {
      xid,
      op: request.op,
      deferred: null,
      reply: null,
      closeAfter: request.op === Op.closeSession ? "client closed the session" : null,
      receivedAtMs: this.#nowMs,
    };
    conn.queue.push(item);
    this.#outstanding++;
    return item;
  }

  #prepareWrite(
    sessionId: bigint,
    authIds: readonly AuthId[],
    xid: number,
    request: Request,
    origin: Origin,
  ): void {
    const zxid = this.#lastPreparedZxid + 1;
    let txn: Txn;
    if (request.op === Op.closeSession) {
      this.sessions.markClosing(sessionId);
      txn = prepareCloseSession(this.pending, sessionId, zxid);
    } else if (request.op === Op.reconfig) {
      txn = this.#reconfigTxn(request, authIds, zxid);
    } else if (request.op === Op.sync) {
      txn = { type: "error", err: Err.OK };
    } else {
      const ctx: PrepareContext = {
        sessionId,
        authIds: authIds as AuthId[],
        extendedTypesEnabled: this.config.extendedTypesEnabled,
        skipAcl: this.config.skipAcl,
      };
      txn = prepareWrite(request, this.pending, ctx, zxid);
    }
    this.#prepared({ entry: this.#entry(sessionId, xid, txn), origin });
  }

  /**
   * reconfig: RECONFIGDISABLED unless enabled, UNIMPLEMENTED on a standalone server (before
   * any ACL check, as ZooKeeper), else the ensemble's own checks (reconfig.ts).
   */
  #reconfigTxn(request: Request, authIds: readonly AuthId[], zxid: number): Txn {
    if (!this.config.reconfigEnabled) return { type: "error", err: Err.RECONFIGDISABLED };
    const hook = this.#reconfig;
    if (hook === undefined || request.op !== Op.reconfig) {
      return { type: "error", err: Err.UNIMPLEMENTED };
    }
    const node = this.tree.get(CONFIG_NODE_PATH);
    const permitted = this.config.skipAcl ||
      (node !== undefined && aclAllows(node.acl, Perm.WRITE, authIds as AuthId[]));
    return hook(request, permitted, zxid);
  }

  // ------------------------------------------------------------------ ensemble

  #isLearner(): boolean {
    return this.#role === "follower" || this.#role === "observer";
  }

  #forward(f: Forward): void {
    assert(this.#io.forward !== undefined, "forwarding without an ensemble");
    this.#io.forward(f);
  }

  /** Follower/observer: the write joins the connection's FIFO and goes to the leader. */
  #forwardWrite(conn: Connection, xid: number, request: Request, body: Uint8Array): void {
    const item = this.#queueWrite(conn, xid, request);
    let q = this.#forwarded.get(conn.sessionId);
    if (q === undefined) this.#forwarded.set(conn.sessionId, q = []);
    q.push({ connId: conn.id, xid, item, request });
    this.#forward({
      kind: "request",
      sessionId: conn.sessionId,
      cxid: xid,
      body: body.slice(),
      authIds: [...conn.authIds],
    });
  }

  /** New leader: the write waits until the log inherited from earlier terms is applied. */
  #holdWrite(conn: Connection, xid: number, request: Request): void {
    const item = this.#queueWrite(conn, xid, request);
    this.#held!.push({ kind: "local", connId: conn.id, xid, request, item });
  }

  /** Leader: a write (or session creation) forwarded by a follower or observer. */
  forwarded(f: Forward, nowMs: number): void {
    this.#nowMs = nowMs;
    if (this.#role !== "leader") return; // the sender's connections close on the leader change
    if (this.#held !== null) this.#held.push({ kind: "forward", forward: f });
    else this.#prepareForwarded(f);
  }

  #prepareForwarded(f: Forward): void {
    const internal: Origin = { kind: "internal" };
    if (f.kind === "createSession") {
      const txn: Txn = { type: "createSession", timeoutMs: f.timeoutMs };
      this.#prepared({ entry: this.#entry(f.sessionId, 0, txn), origin: internal });
      return;
    }
    const r = new JuteReader(f.body, this.config.frameBytesMax);
    let request: Request;
    let xid = f.cxid;
    try {
      xid = r.int();
      request = readRequest(r.int(), r);
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      const txn: Txn = { type: "error", err: Err.MARSHALLINGERROR };
      this.#prepared({ entry: this.#entry(f.sessionId, xid, txn), origin: internal });
      return;
    }
    const session = this.sessions.get(f.sessionId);
    if (session === undefined || session.closing) {
      const err = request.op === Op.closeSession ? Err.OK : Err.SESSIONEXPIRED;
      const txn: Txn = { type: "error", err };
      this.#prepared({ entry: this.#entry(f.sessionId, xid, txn), origin: internal });
      return;
    }
    this.sessions.touch(f.sessionId, this.#nowMs);
    this.#prepareWrite(f.sessionId, f.authIds, xid, request, internal);
  }

  /** Leader: sessions a follower or observer saw activity on (the leader owns expiry). */
  touchSessions(ids: readonly bigint[], nowMs: number): void {
    this.#nowMs = nowMs;
    if (this.#role !== "leader") return;
    for (const id of ids) this.sessions.touch(id, nowMs);
  }

  /** Follower/observer: sessions touched since the last call, for the leader. */
  takeTouched(): bigint[] {
    if (this.#touched.size === 0) return [];
    const ids = [...this.#touched];
    this.#touched.clear();
    return ids;
  }

  /**
   * The member layer reports a new role or a new leader. As in ZooKeeper, every client
   * connection is dropped: requests in flight may or may not commit under the new leader,
   * and clients reconnect (to any member) and find out by reading.
   */
  setRole(role: ReplicaRole, epoch: number, nowMs: number, lastLoggedZxid = 0): void {
    this.#nowMs = nowMs;
    this.#role = role;
    for (const conn of [...this.connections.values()]) {
      this.#close(
        conn,
        role === "looking" ? "lost the leader" : `new leader (this member is ${role})`,
      );
    }
    this.#unpersisted = [];
    this.#uncommitted.length = 0;
    this.#uncommittedHead = 0;
    this.#forwarded.clear();
    this.#forwardedSessions.clear();
    this.#touched.clear();
    for (const id of this.#localSessions) this.sessions.remove(id);
    this.#localSessions.clear();
    this.pending = new PendingChanges(this.tree);
    this.#held = null;
    this.#writesPaused = false;
    // Expiries and closes prepared in the old role were dropped with its uncommitted txns (one
    // that did commit removes its session when applied): the sessions live on until then.
    for (const session of this.sessions.all()) session.closing = false;
    if (role !== "leader") return;
    // Zxids of this leader carry its term; the first is a no-op whose commit means every
    // entry inherited from earlier terms is committed and applied.
    // Never hand out a zxid twice: if this leader already logged txns in this epoch (it was
    // leader, stopped serving, and serves again in the same term), continue after them.
    this.#lastPreparedZxid = epochOf(lastLoggedZxid) === epoch
      ? lastLoggedZxid
      : makeZxid(epoch, 0);
    this.#held = [];
    const first = this.#firstLeaderTxn?.(epoch) ?? { type: "error", err: Err.OK };
    const noop = this.#entry(0n, 0, first);
    this.#readyAtZxid = noop.zxid;
    this.#prepared({ entry: noop, origin: { kind: "internal" } });
    // Session deadlines restart from now: the old leader's view of pings is gone.
    for (const session of [...this.sessions.all()]) this.sessions.touch(session.id, nowMs);
  }
  #readyAtZxid = 0;

  /** Follower <-> observer under the same leader (a reconfig): nothing else changes. */
  setLearnerRole(role: "follower" | "observer"): void {
    assert(this.#isLearner(), `setLearnerRole on a ${this.#role}`);
    this.#role = role;
  }

  /** Committed txns from the replicated log, in zxid order: apply and answer them. */
  applyCommitted(entries: readonly TxnEntry[], nowMs: number): void {
    this.#nowMs = nowMs;
    for (const entry of entries) {
      const head = this.#uncommitted[this.#uncommittedHead];
      if (head !== undefined && head.entry.zxid === entry.zxid) {
        this.#uncommittedHead++;
        this.#apply(head);
      } else {
        this.#apply({ entry, origin: this.#originOf(entry) });
      }
    }
    if (this.#uncommittedHead === this.#uncommitted.length) {
      this.#uncommitted.length = 0;
      this.#uncommittedHead = 0;
    }
    this.#releaseHeld();
  }

  /**
   * Leader: new writes (and session creations) wait, as on a new leader, until
   * resumeWrites(). The member layer pauses them while it serialises the tree for a member
   * behind the log, with applying paused too, so the tree holds still; the session table,
   * which changes as txns apply, must not be asked about sessions committed meanwhile.
   */
  pauseWrites(): void {
    if (this.#role !== "leader") return;
    this.#writesPaused = true;
    this.#held ??= [];
  }

  resumeWrites(): void {
    this.#writesPaused = false;
    this.#releaseHeld();
  }

  #writesPaused = false;

  /** Held writes are prepared once the inherited log is applied and nothing pauses them. */
  #releaseHeld(): void {
    if (this.#held !== null && !this.#writesPaused && this.tree.lastZxid >= this.#readyAtZxid) {
      const held = this.#held;
      this.#held = null;
      for (const h of held) {
        if (h.kind === "forward") {
          this.#prepareForwarded(h.forward);
          continue;
        }
        const conn = this.connections.get(h.connId);
        if (conn === undefined || conn.closed) continue;
        const origin: Origin = {
          kind: "request",
          connId: h.connId,
          item: h.item,
          request: h.request,
        };
        // The session was checked when the write arrived; since then a held closeSession of
        // it (or one in the inherited log) may have closed it, as for a forwarded write.
        const session = this.sessions.get(conn.sessionId);
        if (session === undefined || session.closing) {
          const err = h.request.op === Op.closeSession ? Err.OK : Err.SESSIONEXPIRED;
          const txn: Txn = { type: "error", err };
          this.#prepared({ entry: this.#entry(conn.sessionId, h.xid, txn), origin });
          continue;
        }
        this.#prepareWrite(conn.sessionId, conn.authIds, h.xid, h.request, origin);
      }
    }
  }

  /** Whether a new leader has applied its inherited log and prepares writes. */
  get leaderReady(): boolean {
    return this.#role === "leader" && this.#held === null;
  }

  /** A txn prepared by another member: is it one of ours (forwarded) to answer? */
  #originOf(entry: TxnEntry): Origin {
    if (entry.txn.type === "createSession") {
      const s = this.#forwardedSessions.get(entry.sessionId);
      if (s === undefined) return { kind: "internal" };
      this.#forwardedSessions.delete(entry.sessionId);
      return {
        kind: "createSession",
        connId: s.connId,
        timeoutMs: s.timeoutMs,
        readOnly: s.readOnly,
      };
    }
    const q = this.#forwarded.get(entry.sessionId);
    if (q === undefined) return { kind: "internal" };
    const i = q.findIndex((w) => w.xid === entry.cxid);
    if (i < 0) return { kind: "internal" };
    const w = q[i];
    // The leader prepares a session's forwards in the order they left, so the ones before
    // this were lost on the way: their replies would never come, and the connection's FIFO
    // would hold every later reply (pings too) behind them. The client gets CONNECTIONLOSS
    // at once instead (as with any lost link, those may or may not have committed).
    for (const lost of q.splice(0, i + 1).slice(0, i)) this.#closeForLostForward(lost.connId);
    if (q.length === 0) this.#forwarded.delete(entry.sessionId);
    return { kind: "request", connId: w.connId, item: w.item, request: w.request };
  }

  /**
   * Follower/observer: messages to the leader may have been lost (the link to it broke, or
   * a message was dropped for want of one). Every connection still waiting for a forwarded
   * write or session creation is closed, as ZooKeeper's follower drops its clients when it
   * loses the leader: without that, a client whose write was lost would hear nothing (its
   * pings queue behind the lost write) until its read timeout, two thirds of the session
   * timeout. Forwards that did arrive still commit.
   */
  forwardsLost(): void {
    if (!this.#isLearner()) return;
    const connIds = new Set<number>();
    for (const q of this.#forwarded.values()) for (const w of q) connIds.add(w.connId);
    for (const s of this.#forwardedSessions.values()) connIds.add(s.connId);
    this.#forwarded.clear();
    this.#forwardedSessions.clear();
    for (const id of connIds) this.#closeForLostForward(id);
  }

  #closeForLostForward(connId: number): void {
    const conn = this.connections.get(connId);
    if (conn !== undefined) this.#close(conn, "a write forwarded to the leader may be lost");
  }

  /** Replaces the state with a snapshot received from the leader (a far-behind follower). */
  installSnapshot(
    tree: DataTree,
    sessions: ReadonlyArray<{ id: bigint; timeoutMs: number }>,
    nowMs: number,
  ): void {
    this.#nowMs = nowMs;
    for (const conn of [...this.connections.values()]) {
      this.#close(conn, "state replaced by a snapshot");
    }
    this.tree = tree;
    this.pending = new PendingChanges(tree);
    this.#readCtx = this.#makeReadCtx();
    for (const s of [...this.sessions.all()]) this.sessions.remove(s.id);
    for (const s of sessions) this.sessions.add(s.id, s.timeoutMs, nowMs);
    this.#unpersisted = [];
    this.#uncommitted.length = 0;
    this.#uncommittedHead = 0;
  }

  #entry(sessionId: bigint, cxid: number, txn: Txn): TxnEntry {
    const zxid = ++this.#lastPreparedZxid;
    return { sessionId, cxid, zxid, timeMs: this.#nowMs, txn };
  }

  #prepared(p: Prepared): void {
    assert(this.#role === "standalone" || this.#role === "leader", `prepare on a ${this.#role}`);
    this.#unpersisted.push(p);
  }

  // ------------------------------------------------------------------ log interface

  /** Txns prepared since the last call, in zxid order, for the log to persist. */
  takeUnpersisted(): TxnEntry[] {
    if (this.#unpersisted.length === 0) return [];
    const batch = this.#unpersisted;
    this.#unpersisted = [];
    for (const p of batch) this.#uncommitted.push(p);
    return batch.map((p) => p.entry);
  }

  /** Every txn up to `zxid` is durable: apply them in order and answer their requests. */
  committed(zxid: number, nowMs: number): void {
    this.#nowMs = nowMs;
    while (this.#uncommittedHead < this.#uncommitted.length) {
      const p = this.#uncommitted[this.#uncommittedHead];
      if (p.entry.zxid > zxid) break;
      this.#uncommittedHead++;
      this.#apply(p);
    }
    if (this.#uncommittedHead === this.#uncommitted.length) {
      this.#uncommitted.length = 0;
      this.#uncommittedHead = 0;
    }
  }

  #apply(p: Prepared): void {
    const { entry, origin } = p;
    // Within an epoch zxids are consecutive; a new leader's epoch starts a new sequence.
    const last = this.tree.lastZxid;
    assert(
      entry.zxid === last + 1 || (entry.zxid > last && epochOf(entry.zxid) > epochOf(last)),
      `zxid gap: ${last} -> ${entry.zxid}`,
    );
    const result = this.tree.apply(entry);
    this.pending.applied(entry.zxid);
    this.#fire(result.triggers, entry.zxid);

    const txn = entry.txn;
    if (txn.type === "createSession") {
      this.sessions.add(entry.sessionId, txn.timeoutMs, this.#nowMs);
    } else if (txn.type === "closeSession") {
      this.sessions.remove(entry.sessionId);
    }

    if (origin.kind === "createSession") {
      const conn = this.connections.get(origin.connId);
      if (conn === undefined || conn.closed) return;
      this.#establish(conn, entry.sessionId, origin.timeoutMs, origin.readOnly);
      return;
    }
    if (origin.kind === "internal") {
      if (txn.type === "closeSession") {
        for (const conn of this.connections.values()) {
          if (conn.sessionId === entry.sessionId) this.#close(conn, "session expired");
        }
      }
      return;
    }
    const conn = this.connections.get(origin.connId);
    if (conn === undefined || conn.closed) return;
    origin.item.reply = this.#writeReply(origin.item.xid, origin.request, txn, result);
    conn.stats.lastZxid = entry.zxid;
    this.#pump(conn);
  }

  /** Turns triggers into notifications, filtered by READ on the node (CVE-2024-23944). */
  #fire(triggers: WatchTrigger[], zxid: number): void {
    for (const t of triggers) {
      let targets: Set<number>;
      if (t.table === "both") {
        targets = this.watches.trigger(t.path, "data");
        this.watches.trigger(t.path, "child", targets);
      } else {
        targets = this.watches.trigger(t.path, t.table);
      }
      if (targets.size === 0) continue;
      let frame: Uint8Array | null = null;
      for (const connId of targets) {
        const conn = this.connections.get(connId);
        if (conn === undefined || conn.closed) continue;
        if (!this.config.skipAcl && !aclAllows(t.acl, Perm.READ, conn.authIds)) continue;
        frame ??= notificationFrame(zxid, t.type, t.path);
        this.#send(conn, frame);
      }
    }
  }

  #writeReply(xid: number, request: Request, txn: Txn, result: ApplyResult): Uint8Array {
    const zxid = this.tree.lastZxid;
    if (request.op === Op.sync && txn.type === "error" && txn.err === Err.OK) {
      return replyFrame(xid, zxid, Err.OK, (w) => w.ustring(request.path));
    }
    if (request.op === Op.reconfig && txn.type === "reconfig") {
      // ZooKeeper answers a reconfig with the new configuration as a GetDataResponse.
      const o = result.outcomes[0];
      return replyFrame(xid, zxid, Err.OK, (w) => {
        w.buffer(txn.data);
        writeStat(w, o.stat!);
      });
    }
    if (txn.type === "error") return replyFrame(xid, zxid, txn.err);
    if (request.op === Op.multi) {
      assert(txn.type === "multi");
      const failed = txn.txns.some((t) => t.type === "error");
      const results: MultiResult[] = result.outcomes.map((o, i) => {
        if (failed) return { type: Op.error, err: o.err };
        const sub = request.ops[i];
        switch (sub.op) {
          case Op.create:
            return { type: Op.create, path: o.path! };
          case Op.create2:
          case Op.createContainer:
          case Op.createTTL:
            return { type: Op.create2, path: o.path!, stat: o.stat! };
          case Op.delete:
            return { type: Op.delete };
          case Op.setData:
            return { type: Op.setData, stat: o.stat! };
          default:
            return { type: Op.check };
        }
      });
      return replyFrame(xid, zxid, Err.OK, (w) => writeMultiResults(w, results));
    }
    const o = result.outcomes[0];
    if (o.err !== Err.OK) return replyFrame(xid, zxid, o.err);
    switch (request.op) {
      case Op.create:
        return replyFrame(xid, zxid, Err.OK, (w) => w.ustring(o.path!));
      case Op.create2:
      case Op.createContainer:
      case Op.createTTL:
        return replyFrame(xid, zxid, Err.OK, (w) => {
          w.ustring(o.path!);
          writeStat(w, o.stat!);
        });
      case Op.setData:
      case Op.setACL:
        return replyFrame(xid, zxid, Err.OK, (w) => writeStat(w, o.stat!));
      default:
        return replyFrame(xid, zxid, Err.OK);
    }
  }

  /** Sends every answerable reply at the head of the connection's FIFO. */
  #pump(conn: Connection): void {
    const q = conn.queue;
    let n = 0;
    while (n < q.length && !conn.closed) {
      const item = q[n];
      if (item.reply === null) {
        const err = this.#lateErrors.get(item);
        if (err !== undefined) item.reply = replyFrame(item.xid, this.tree.lastZxid, err);
        else if (item.deferred === null) break; // a write waiting for its commit
        else item.reply = executeRead(this.#readCtx, conn, item.xid, item.deferred);
      }
      n++;
      this.#recordLatency(conn, item.receivedAtMs);
      this.#send(conn, item.reply);
      if (item.closeAfter !== null) {
        this.#outstanding -= n;
        q.splice(0, n);
        this.#close(conn, item.closeAfter);
        return;
      }
    }
    if (n > 0) {
      this.#outstanding -= n;
      q.splice(0, n);
    }
  }

  #recordLatency(conn: Connection, receivedAtMs: number): void {
    const ms = Math.max(0, this.#nowMs - receivedAtMs);
    conn.stats.recordLatency(ms);
    conn.stats.lastResponseAtMs = this.#nowMs;
    const s = this.stats;
    if (ms < s.latencyMinMs) s.latencyMinMs = ms;
    if (ms > s.latencyMaxMs) s.latencyMaxMs = ms;
    s.latencyTotalMs += ms;
    s.latencyCount++;
  }

  // ------------------------------------------------------------------ time

  /**
   * Advances time: expires sessions, closes stalled handshakes, cleans containers/TTLs.
   * With `expireSessions` false this tick judges no session (see Member.tick on stalls).
   */
  tick(nowMs: number, expireSessions = true): void {
    this.#nowMs = nowMs;
    const decides = this.#role === "standalone" || this.leaderReady;
    for (const id of decides && expireSessions ? this.sessions.expire(nowMs) : []) {
      this.#io.log("info", `expiring session 0x${BigInt.asUintN(64, id).toString(16)}`);
      const zxid = this.#lastPreparedZxid + 1;
      const txn = prepareCloseSession(this.pending, id, zxid);
      this.#prepared({ entry: this.#entry(id, 0, txn), origin: { kind: "internal" } });
    }
    for (const conn of this.connections.values()) {
      if (
        !conn.established && !conn.handshaking &&
        nowMs - conn.openedAtMs >= this.config.handshakeTimeoutMs
      ) {
        this.#close(conn, `no session request within ${this.config.handshakeTimeoutMs} ms`);
      }
    }
    if (decides && nowMs >= this.#nextContainerCheckMs) {
      this.#nextContainerCheckMs = nowMs + this.config.containerCheckIntervalMs;
      this.#cleanContainers(nowMs);
    }
  }

  /**
   * Containers that once had a child and are empty again, and TTL nodes with no children
   * whose mtime is older than their ttl, are deleted by server-internal txns.
   */
  #cleanContainers(nowMs: number): void {
    const candidates: string[] = [];
    for (const path of this.tree.containers) {
      const node = this.tree.get(path);
      if (node !== undefined && node.numChildren === 0 && node.cversion > 0) candidates.push(path);
    }
    for (const path of this.tree.ttlNodes) {
      const node = this.tree.get(path);
      if (node === undefined || node.numChildren > 0) continue;
      if (
        kindOf(node.ephemeralOwner) === "ttl" && nowMs - node.mtimeMs > ttlOf(node.ephemeralOwner)
      ) {
        candidates.push(path);
      }
    }
    for (const path of candidates) {
      const txn = prepareDeleteContainer(this.pending, path, this.#lastPreparedZxid + 1);
      if (txn === null) continue;
      this.#prepared({ entry: this.#entry(0n, 0, txn), origin: { kind: "internal" } });
    }
  }
}
