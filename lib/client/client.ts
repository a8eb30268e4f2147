/**
 * ZkClient: a ZooKeeper client over TCP, the thin I/O shell around ClientProtocol. It owns the
 * socket, the timers and the promises; the protocol state machine owns the bytes.
 *
 * Behaviour follows the Apache Java client (zk-protocol §1.7, §6.3, §6.4):
 * - many requests in flight per connection, replies matched in order by xid;
 * - frames produced in one turn leave in one socket write;
 * - a ping after 1/3 of the negotiated timeout without sending, the connection dropped after
 *   2/3 without receiving;
 * - on connection loss, requests in flight fail with CONNECTIONLOSS and the client reconnects to
 *   the next host with its session id, password and lastZxidSeen, re-sends its auth packets,
 *   re-arms its watches with setWatches / setWatches2, then sends what was queued meanwhile;
 * - a ConnectResponse with timeOut 0 means the session expired: everything fails with
 *   SESSIONEXPIRED and the client stops.
 */

import { Err, errName } from "../proto/errors.ts";
import { AddWatchMode, KeeperState, Op } from "../proto/ops.ts";
import type {
  Acl,
  ClientInfo,
  MultiResult,
  Request,
  Response,
  SetWatchesRequest,
  Stat,
} from "../proto/records.ts";
import { ZkError } from "./errors.ts";
import { formatHostPort, type HostPort, parseHosts } from "./hosts.ts";
import { ClientProtocol, FRAME_BYTES_MAX_DEFAULT, type ProtocolEvent } from "./protocol.ts";
import { type CreateOptions, createRequest } from "./requests.ts";
import {
  splitSetWatches,
  type WatchedEvent,
  type Watcher,
  type WatchKind,
  WatchRegistry,
} from "./watches.ts";

/** Connection states, named as the Java client's ZooKeeper.States (zkCli prints them). */
export type ClientState =
  | "CONNECTING"
  | "CONNECTED"
  | "CONNECTEDREADONLY"
  | "CLOSED"
  | "AUTH_FAILED";

export interface ConnectOptions {
  /** "host:port,host:port,..." */
  hosts: string;
  /** Requested session timeout; the server clamps it. Default 30000 (zkCli's). */
  sessionTimeoutMs?: number;
  /** Accept a read-only server (sends the ConnectRequest readOnly byte as 1). */
  readOnly?: boolean;
  /** Resume this session instead of creating one (with its password). */
  sessionId?: bigint;
  passwd?: Uint8Array;
  /** Give up the first connection after this long. Default: sessionTimeoutMs. */
  connectTimeoutMs?: number;
  /** Give up the first connection after this many failed attempts. Default: unlimited. */
  connectAttemptsMax?: number;
  /** Reconnect after losing an established connection. Default true. */
  reconnect?: boolean;
  /** Longest reply frame accepted (Java's jute.maxbuffer). Default 0xfffff. */
  frameBytesMax?: number;
  /** Credentials sent on every connection before anything else (like addAuth). */
  auth?: ReadonlyArray<{ scheme: string; auth: string | Uint8Array }>;
  /** Receives session state changes and notifications (see addListener). */
  watcher?: Watcher;
}

/** The first connection could not be made: no server answered, or the session was refused. */
export class ConnectError extends Error {
  override name = "ConnectError";
}

/** A watch argument: true registers the client's default listeners; a function, only itself. */
export type WatchArg = boolean | Watcher | undefined;

export interface ReplyInfo {
  /** The reply header's zxid. */
  zxid: number;
  /** The decoded body; { op: "none" } for replies without one. */
  response: Response;
}

const READ_BYTES = 64 * 1024;
const SESSION_TIMEOUT_MS_DEFAULT = 30_000;
const CLOSE_WAIT_MS_MAX = 10_000;
const encoder = new TextEncoder();
/** Session states after which the client delivers nothing more. */
const TERMINAL_STATES: ReadonlySet<number> = new Set([
  KeeperState.Closed,
  KeeperState.Expired,
  KeeperState.AuthFailed,
]);

/** A request awaiting its reply. */
class Call {
  constructor(
    readonly resolve: (reply: ReplyInfo | null) => void,
    readonly reject: (e: unknown) => void,
    readonly path: string | undefined,
    /** A result code that resolves with null instead of rejecting (exists: NONODE). */
    readonly nullOn: number,
    readonly watch: { kind: WatchKind; missingKind?: WatchKind; watcher: Watcher } | undefined,
  ) {}
}

/** Stored credentials: re-sent on every connection; addAuth callers wait for the server. */
class AuthEntry {
  waiters: Call[] = [];
  constructor(readonly scheme: string, readonly auth: Uint8Array) {}
}

type Token = Call | AuthEntry;

interface Queued {
  op: number;
  body: Request | Uint8Array | null;
  call: Call;
}

type SessionEnd = "lost" | "expired" | "authFailed";

export class ZkClient {
  readonly #hosts: HostPort[];
  readonly #requestedTimeoutMs: number;
  readonly #readOnly: boolean;
  readonly #reconnect: boolean;
  readonly #proto: ClientProtocol<Token>;
  readonly #watches = new WatchRegistry();
  readonly #auths: AuthEntry[] = [];
  readonly #listeners = new Set<Watcher>();
  readonly #defaultWatcher: Watcher = (e) => this.#emit(e);

  #hostIndex = 0;
  #state: ClientState = "CONNECTING";
  #host: HostPort;
  #conn: Deno.TcpConn | null = null;
  #queued: Queued[] = [];
  #closing = false;
  #everConnected = false;
  #attemptConnected = false;
  /** Aborted when the client gives up, to cut short a TCP connect in progress. */
  readonly #abort = new AbortController();
  #lastError = "no connection attempt yet";
  #runPromise: Promise<void> = Promise.resolve();
  #wakeBackoff: (() => void) | null = null;
  #firstConnect: { resolve: () => void; reject: (e: Error) => void } | null = null;

  #flushQueued = false;
  #writing = false;
  #lastSendMs = 0;
  #lastRecvMs = 0;

  private constructor(opts: ConnectOptions) {
    this.#hosts = parseHosts(opts.hosts);
    this.#host = this.#hosts[0];
    this.#requestedTimeoutMs = opts.sessionTimeoutMs ?? SESSION_TIMEOUT_MS_DEFAULT;
    if (!Number.isInteger(this.#requestedTimeoutMs) || this.#requestedTimeoutMs <= 0) {
      throw new RangeError(`sessionTimeoutMs must be a positive integer: ${opts.sessionTimeoutMs}`);
    }
    this.#readOnly = opts.readOnly ?? false;
    this.#reconnect = opts.reconnect ?? true;
    this.#proto = new ClientProtocol<Token>(opts.frameBytesMax ?? FRAME_BYTES_MAX_DEFAULT, {
      sessionId: opts.sessionId,
      passwd: opts.passwd,
    });
    for (const a of opts.auth ?? []) this.#auths.push(new AuthEntry(a.scheme, toBytes(a.auth)!));
    if (opts.watcher) this.#listeners.add(opts.watcher);
  }

  /**
   * Connects to the first reachable host and establishes (or resumes) a session. Rejects with
   * ConnectError when no server answers within connectTimeoutMs / connectAttemptsMax, and with
   * ZkError SESSIONEXPIRED when a resumed session is refused.
   */
  static async connect(opts: ConnectOptions): Promise<ZkClient> {
    const client = new ZkClient(opts);
    await client.#start(opts);
    return client;
  }

  // ------------------------------------------------------------------ session facts

  get state(): ClientState {
    return this.#state;
  }
  /** True until closed, expired or refused auth (Java's States.isAlive()). */
  get isAlive(): boolean {
    return this.#state !== "CLOSED" && this.#state !== "AUTH_FAILED";
  }
  get sessionId(): bigint {
    return this.#proto.sessionId;
  }
  get passwd(): Uint8Array {
    return this.#proto.passwd;
  }
  get negotiatedTimeoutMs(): number {
    return this.#proto.negotiatedTimeoutMs;
  }
  get lastZxidSeen(): number {
    return this.#proto.lastZxidSeen;
  }
  /** The server the client is connected (or connecting) to. */
  get currentHost(): string {
    return formatHostPort(this.#host);
  }
  /** Requests written and not yet answered on the current connection. */
  get pendingCount(): number {
    return this.#proto.pendingCount;
  }

  // ------------------------------------------------------------------ events

  /**
   * Adds a listener for session state changes (type None, state Disconnected / SyncConnected /
   * Expired / AuthFailed / Closed) and for notifications of watches set with `watch: true`.
   * Returns a function that removes it.
   */
  addListener(listener: Watcher): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The same events as an async iterator; it ends when the client is closed. */
  events(): AsyncIterableIterator<WatchedEvent> {
    const buffered: WatchedEvent[] = [];
    let wake: (() => void) | null = null;
    let done = false;
    const listener: Watcher = (e) => {
      buffered.push(e);
      if (e.type === -1 && TERMINAL_STATES.has(e.state)) done = true;
      wake?.();
    };
    this.#listeners.add(listener);
    if (!this.isAlive) done = true;
    const stop = () => {
      done = true;
      this.#listeners.delete(listener);
      wake?.();
    };
    const iterator: AsyncIterableIterator<WatchedEvent> = {
      next: async () => {
        while (buffered.length === 0 && !done) {
          await new Promise<void>((resolve) => (wake = resolve));
          wake = null;
        }
        if (buffered.length > 0) return { value: buffered.shift()!, done: false };
        this.#listeners.delete(listener);
        return { value: undefined, done: true };
      },
      return: () => {
        stop();
        return Promise.resolve({ value: undefined, done: true });
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  }

  #emit(e: WatchedEvent): void {
    for (const l of [...this.#listeners]) callSafely(l, e);
  }

  #stateEvent(state: number): void {
    this.#emit({ type: -1, state, path: null });
  }

  // ------------------------------------------------------------------ typed operations

  /** create (1), or createContainer (19) / createTTL (21) for those modes. Returns the path. */
  async create(
    path: string,
    data: Uint8Array | string | null = null,
    options: CreateOptions = {},
  ): Promise<string> {
    const req = createRequest(path, toBytes(data), options, false);
    const r = await this.#call(req.op, req, path);
    return pathOf(r.response);
  }

  /** create2 (15), or 19 / 21 for container and TTL modes: the path and the new node's Stat. */
  async create2(
    path: string,
    data: Uint8Array | string | null = null,
    options: CreateOptions = {},
  ): Promise<{ path: string; stat: Stat }> {
    const req = createRequest(path, toBytes(data), options, true);
    const r = await this.#call(req.op, req, path);
    if (r.response.op !== "pathStat") throw badReply(req.op, r.response);
    return { path: r.response.path, stat: r.response.stat };
  }

  async delete(path: string, version = -1): Promise<void> {
    await this.#call(Op.delete, { op: Op.delete, path, version }, path);
  }

  /** The node's Stat, or null when it does not exist (a watch is then set for its creation). */
  async exists(path: string, watch?: WatchArg): Promise<Stat | null> {
    const w = this.#watchSpec(watch, "data", "exist");
    const req = { op: Op.exists, path, watch: !!w } as const;
    const r = await this.#callNullOn(Op.exists, req, path, Err.NONODE, w);
    if (r === null) return null;
    return statOf(Op.exists, r.response);
  }

  async getData(path: string, watch?: WatchArg): Promise<{ data: Uint8Array | null; stat: Stat }> {
    const w = this.#watchSpec(watch, "data");
    const r = await this.#call(Op.getData, { op: Op.getData, path, watch: !!w }, path, w);
    if (r.response.op !== "data") throw badReply(Op.getData, r.response);
    return { data: r.response.data, stat: r.response.stat };
  }

  /**
   * Changes the ensemble's membership (ZooKeeperAdmin.reconfigure): incremental with
   * `joining` ("server.N=host:port:port[:role];[host:]clientPort", comma separated) and
   * `leaving` (ids, comma separated), or the whole new list as `newMembers`; `fromConfig` is
   * the expected current version (-1: any). Resolves with the new configuration and its Stat.
   */
  async reconfig(
    change: { joining?: string; leaving?: string; newMembers?: string },
    fromConfig = -1,
  ): Promise<{ data: Uint8Array | null; stat: Stat }> {
    const req = {
      op: Op.reconfig,
      joiningServers: change.joining ?? null,
      leavingServers: change.leaving ?? null,
      newMembers: change.newMembers ?? null,
      curConfigId: fromConfig,
    } as const;
    const r = await this.#call(Op.reconfig, req, "/zookeeper/config");
    if (r.response.op !== "data") throw badReply(Op.reconfig, r.response);
    return { data: r.response.data, stat: r.response.stat };
  }

  async setData(path: string, data: Uint8Array | string | null, version = -1): Promise<Stat> {
    const req = { op: Op.setData, path, data: toBytes(data), version } as const;
    const r = await this.#call(Op.setData, req, path);
    return statOf(Op.setData, r.response);
  }

  async getACL(path: string): Promise<{ acl: Acl[]; stat: Stat }> {
    const r = await this.#call(Op.getACL, { op: Op.getACL, path }, path);
    if (r.response.op !== "acl") throw badReply(Op.getACL, r.response);
    return { acl: r.response.acl, stat: r.response.stat };
  }

  async setACL(path: string, acl: readonly Acl[], version = -1): Promise<Stat> {
    const r = await this.#call(Op.setACL, { op: Op.setACL, path, acl: [...acl], version }, path);
    return statOf(Op.setACL, r.response);
  }

  /** getChildren (8): the child names, unsorted as the server sends them. */
  async getChildren(path: string, watch?: WatchArg): Promise<string[]> {
    const w = this.#watchSpec(watch, "child");
    const req = { op: Op.getChildren, path, watch: !!w } as const;
    const r = await this.#call(Op.getChildren, req, path, w);
    if (r.response.op !== "children") throw badReply(Op.getChildren, r.response);
    return r.response.children;
  }

  /** getChildren2 (12): the child names and the parent's Stat. */
  async getChildren2(
    path: string,
    watch?: WatchArg,
  ): Promise<{ children: string[]; stat: Stat }> {
    const w = this.#watchSpec(watch, "child");
    const req = { op: Op.getChildren2, path, watch: !!w } as const;
    const r = await this.#call(Op.getChildren2, req, path, w);
    if (r.response.op !== "children" || r.response.stat === null) {
      throw badReply(Op.getChildren2, r.response);
    }
    return { children: r.response.children, stat: r.response.stat };
  }

  async getAllChildrenNumber(path: string): Promise<number> {
    const req = { op: Op.getAllChildrenNumber, path } as const;
    const r = await this.#call(Op.getAllChildrenNumber, req, path);
    if (r.response.op !== "count") throw badReply(Op.getAllChildrenNumber, r.response);
    return r.response.count;
  }

  /** The session's ephemeral nodes whose path starts with `prefixPath` ("/" for all). */
  async getEphemerals(prefixPath = "/"): Promise<string[]> {
    const req = { op: Op.getEphemerals, path: prefixPath } as const;
    const r = await this.#call(Op.getEphemerals, req, prefixPath);
    if (r.response.op !== "paths") throw badReply(Op.getEphemerals, r.response);
    return r.response.paths;
  }

  async sync(path: string): Promise<string> {
    const r = await this.#call(Op.sync, { op: Op.sync, path }, path);
    return pathOf(r.response);
  }

  /**
   * multi (14). Resolves with one result per op even when the transaction failed: then the
   * failing op's result is { type: -1, err: code }, earlier ones err 0, later ones err -2.
   * Use multiError() to find the first failure.
   */
  async multi(ops: readonly Request[]): Promise<MultiResult[]> {
    const r = await this.#call(Op.multi, { op: Op.multi, ops: [...ops] }, undefined);
    if (r.response.op !== "multi") throw badReply(Op.multi, r.response);
    return r.response.results;
  }

  /** multiRead (22): getData / getChildren ops, each succeeding or failing on its own. */
  async multiRead(ops: readonly Request[]): Promise<MultiResult[]> {
    const r = await this.#call(Op.multiRead, { op: Op.multiRead, ops: [...ops] }, undefined);
    if (r.response.op !== "multi") throw badReply(Op.multiRead, r.response);
    return r.response.results;
  }

  /**
   * Sends an auth packet (xid -4, answered out of band) and remembers the credentials so that
   * every later connection re-sends them. AUTHFAILED closes the session (state AUTH_FAILED).
   */
  addAuth(scheme: string, auth: string | Uint8Array): Promise<void> {
    if (!this.isAlive) return Promise.reject(this.#deadError(undefined));
    const entry = new AuthEntry(scheme, toBytes(auth)!);
    this.#auths.push(entry);
    return new Promise<void>((resolve, reject) => {
      entry.waiters.push(new Call(() => resolve(), reject, undefined, 0, undefined));
      if (this.#proto.phase === "open") {
        this.#proto.auth(entry.scheme, entry.auth, entry);
        this.#scheduleFlush();
      }
      // Otherwise the next handshake sends it with the others.
    });
  }

  /**
   * addWatch (106): a persistent (mode 0) or persistent recursive (mode 1) watch, which stays
   * until removed. Notifications go to `watcher`, or to the default listeners.
   */
  async addWatch(
    path: string,
    mode: number = AddWatchMode.persistentRecursive,
    watcher?: Watcher,
  ): Promise<void> {
    const kind: WatchKind = mode === AddWatchMode.persistent ? "persistent" : "persistentRecursive";
    const w = { kind, watcher: watcher ?? this.#defaultWatcher };
    await this.#call(Op.addWatch, { op: Op.addWatch, path, mode }, path, w);
  }

  /**
   * removeWatches (18): removes the server's watches of a WatcherType at `path`, then the local
   * ones, whose watchers get a *WatchRemoved event.
   */
  async removeWatches(path: string, watcherType: number): Promise<void> {
    const req = { op: Op.removeWatches, path, type: watcherType } as const;
    await this.#call(Op.removeWatches, req, path);
    for (const [watcher, event] of this.#watches.remove(path, watcherType)) {
      callSafely(watcher, event);
    }
  }

  /** checkWatches (17): resolves if the server holds such a watch, else rejects NOWATCHER. */
  async checkWatches(path: string, watcherType: number): Promise<void> {
    await this.#call(Op.checkWatches, { op: Op.checkWatches, path, type: watcherType }, path);
  }

  /** Whether this client holds a local watch of the WatcherType at `path`. */
  hasWatch(path: string, watcherType: number): boolean {
    return this.#watches.has(path, watcherType);
  }

  async whoAmI(): Promise<ClientInfo[]> {
    const r = await this.#call(Op.whoAmI, null, undefined);
    if (r.response.op !== "whoAmI") throw badReply(Op.whoAmI, r.response);
    return r.response.clientInfo;
  }

  /**
   * Any request: `op` goes in the header; `body` is a request record, raw bytes (sent as they
   * are), or null for none. Resolves with the reply's zxid and decoded body; rejects with
   * ZkError (carrying the reply zxid) when the reply's err is not 0.
   */
  request(op: number, body: Request | Uint8Array | null = null): Promise<ReplyInfo> {
    const path = body !== null && !(body instanceof Uint8Array) && "path" in body
      ? body.path
      : undefined;
    return this.#call(op, body, path);
  }

  /**
   * Closes the session (closeSession, which deletes its ephemerals before the reply), then the
   * socket. Safe to call twice; resolves once everything is shut down.
   */
  async close(): Promise<void> {
    if (this.#closing) return await this.#runPromise;
    this.#closing = true;
    if (this.#proto.phase === "open" && this.#conn !== null) {
      const closed = new Promise<void>((resolve) => {
        const call = new Call(() => resolve(), () => resolve(), undefined, 0, undefined);
        this.#proto.request(Op.closeSession, null, call);
        this.#scheduleFlush();
      });
      const waitMs = Math.min(
        this.#proto.negotiatedTimeoutMs || CLOSE_WAIT_MS_MAX,
        CLOSE_WAIT_MS_MAX,
      );
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)));
      await Promise.race([closed, timeout]);
      clearTimeout(timer);
    }
    this.#dropConnection("client closed");
    this.#abort.abort();
    this.#wakeBackoff?.();
    await this.#runPromise;
  }

  // ------------------------------------------------------------------ request plumbing

  #watchSpec(
    watch: WatchArg,
    kind: WatchKind,
    missingKind?: WatchKind,
  ): { kind: WatchKind; missingKind?: WatchKind; watcher: Watcher } | undefined {
    if (watch === undefined || watch === false) return undefined;
    const watcher = watch === true ? this.#defaultWatcher : watch;
    return { kind, missingKind, watcher };
  }

  #call(
    op: number,
    body: Request | Uint8Array | null,
    path: string | undefined,
    watch?: Call["watch"],
  ): Promise<ReplyInfo> {
    return this.#submit(op, body, path, 0, watch) as Promise<ReplyInfo>;
  }

  /** Like #call, but the result code `nullOn` resolves with null instead of rejecting. */
  #callNullOn(
    op: number,
    body: Request | Uint8Array | null,
    path: string,
    nullOn: number,
    watch?: Call["watch"],
  ): Promise<ReplyInfo | null> {
    return this.#submit(op, body, path, nullOn, watch);
  }

  #submit(
    op: number,
    body: Request | Uint8Array | null,
    path: string | undefined,
    nullOn: number,
    watch: Call["watch"],
  ): Promise<ReplyInfo | null> {
    return new Promise<ReplyInfo | null>((resolve, reject) => {
      if (!this.isAlive || this.#closing) {
        reject(this.#deadError(path));
        return;
      }
      const call = new Call(resolve, reject, path, nullOn, watch);
      if (this.#proto.phase === "open") {
        this.#proto.request(op, body, call);
        this.#scheduleFlush();
      } else {
        this.#queued.push({ op, body, call });
      }
    });
  }

  #deadError(path: string | undefined): ZkError {
    // As the Java client: a closed or expired handle fails with SESSIONEXPIRED.
    return new ZkError(this.#state === "AUTH_FAILED" ? Err.AUTHFAILED : Err.SESSIONEXPIRED, path);
  }

  #settle(ev: Extract<ProtocolEvent<Token>, { kind: "reply" }>): void {
    const call = ev.token;
    if (!(call instanceof Call)) return;
    const w = call.watch;
    if (ev.err === 0) {
      if (w !== undefined) this.#watches.add(w.kind, call.path!, w.watcher);
      call.resolve({ zxid: ev.zxid, response: ev.response ?? { op: "none" } });
      return;
    }
    if (ev.err === call.nullOn && call.nullOn !== 0) {
      if (w?.missingKind !== undefined) this.#watches.add(w.missingKind, call.path!, w.watcher);
      call.resolve(null);
      return;
    }
    const e = new ZkError(ev.err, call.path);
    (e as ZkError & { zxid?: number }).zxid = ev.zxid;
    call.reject(e);
  }

  // ------------------------------------------------------------------ connection lifecycle

  #start(opts: ConnectOptions): Promise<void> {
    const connectTimeoutMs = opts.connectTimeoutMs ?? this.#requestedTimeoutMs;
    const attemptsMax = opts.connectAttemptsMax ?? Infinity;
    const first = new Promise<void>((resolve, reject) => {
      this.#firstConnect = { resolve, reject };
    });
    const deadline = setTimeout(() => {
      this.#failFirstConnect(
        new ConnectError(`${this.#failureText()} (gave up after ${connectTimeoutMs} ms)`),
      );
    }, connectTimeoutMs);
    this.#runPromise = this.#run(attemptsMax).finally(() => clearTimeout(deadline));
    return first.finally(() => clearTimeout(deadline));
  }

  /** "cannot connect to H: reason", naming the host of the last attempt when there are several. */
  #failureText(): string {
    const hosts = this.#hosts.map(formatHostPort).join(",");
    const prefix = `${formatHostPort(this.#host)}: `;
    const reason = this.#hosts.length === 1 && this.#lastError.startsWith(prefix)
      ? this.#lastError.slice(prefix.length)
      : this.#lastError;
    return `cannot connect to ${hosts}: ${reason}`;
  }

  #failFirstConnect(e: Error): void {
    const first = this.#firstConnect;
    if (first === null) return;
    this.#firstConnect = null;
    this.#closing = true;
    this.#dropConnection(e.message);
    this.#abort.abort();
    this.#wakeBackoff?.();
    // Reject once the run loop has released the socket, so the caller sees no leftovers.
    this.#runPromise.finally(() => first.reject(e));
  }

  async #run(attemptsMax: number): Promise<void> {
    let failures = 0; // attempts in a row that got no session
    let end: SessionEnd = "lost";
    while (!this.#closing) {
      this.#host = this.#hosts[this.#hostIndex];
      this.#hostIndex = (this.#hostIndex + 1) % this.#hosts.length;
      this.#attemptConnected = false;
      end = await this.#connection(this.#host);
      if (end !== "lost" || this.#closing) break;
      failures = this.#attemptConnected ? 0 : failures + 1;
      if (!this.#attemptConnected) {
        // As Java's cleanup after a failed attempt: what was queued while disconnected fails
        // now rather than wait for a server that may never come back.
        const queued = this.#queued;
        this.#queued = [];
        for (const q of queued) q.call.reject(new ZkError(Err.CONNECTIONLOSS, q.call.path));
      }
      if (!this.#everConnected && failures >= attemptsMax) {
        this.#failFirstConnect(new ConnectError(this.#failureText()));
        break;
      }
      if (this.#everConnected && !this.#reconnect) break;
      // After a loss, the next host at once; after a whole pass of failures, a growing pause.
      if (failures > 0 && failures % this.#hosts.length === 0) {
        await this.#backoff(Math.min(1000, (100 * failures) / this.#hosts.length));
      }
    }
    this.#finish(end);
  }

  #backoff(ms: number): Promise<void> {
    if (this.#closing) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wakeBackoff = null;
        resolve();
      };
      const timer = setTimeout(done, ms * (0.5 + Math.random() / 2));
      this.#wakeBackoff = done;
    });
  }

  /** Ends the client: fails everything still waiting and reports the final state. */
  #finish(end: SessionEnd): void {
    let code: number = Err.CONNECTIONLOSS;
    if (end === "expired") {
      this.#state = "CLOSED";
      code = Err.SESSIONEXPIRED;
      this.#stateEvent(KeeperState.Expired);
      this.#failFirstConnect(new ZkError(Err.SESSIONEXPIRED, undefined, "session refused"));
    } else if (end === "authFailed") {
      this.#state = "AUTH_FAILED";
      code = Err.AUTHFAILED;
      this.#stateEvent(KeeperState.AuthFailed);
    } else {
      this.#state = "CLOSED";
    }
    for (const q of this.#queued) q.call.reject(new ZkError(code, q.call.path));
    this.#queued = [];
    for (const entry of this.#auths) {
      for (const w of entry.waiters) w.reject(new ZkError(code));
      entry.waiters = [];
    }
    this.#watches.clear();
    // A client that never connected was never handed out: nobody to tell.
    if (end === "lost" && this.#everConnected) this.#stateEvent(KeeperState.Closed);
    this.#listeners.clear();
  }

  /** One TCP connection, from connect to loss. */
  async #connection(host: HostPort): Promise<SessionEnd> {
    // As Java: the connect timeout is the session timeout divided by the number of hosts.
    const timeoutMs = this.#proto.negotiatedTimeoutMs || this.#requestedTimeoutMs;
    const attemptMs = Math.max(1, Math.floor(timeoutMs / this.#hosts.length));
    let conn: Deno.TcpConn;
    try {
      conn = await connectTcp(host, attemptMs, this.#abort.signal);
    } catch (e) {
      this.#lastError = `${formatHostPort(host)}: ${describeError(e)}`;
      return "lost";
    }
    if (this.#closing) {
      conn.close();
      return "lost";
    }
    this.#conn = conn;
    this.#state = "CONNECTING";
    this.#proto.startHandshake(this.#requestedTimeoutMs, this.#readOnly);
    this.#scheduleFlush();
    let handshakeTimer: ReturnType<typeof setTimeout> | undefined = setTimeout(() => {
      this.#dropConnection(`${formatHostPort(host)}: no handshake reply within ${attemptMs} ms`);
    }, attemptMs);
    let ticker: ReturnType<typeof setInterval> | undefined;
    const buf = new Uint8Array(READ_BYTES);
    let connected = false;
    try {
      for (;;) {
        const n = await conn.read(buf);
        if (n === null) {
          if (this.#conn === conn) {
            this.#lastError = `${formatHostPort(host)}: server closed the connection`;
          }
          return "lost";
        }
        this.#lastRecvMs = performance.now();
        const events = this.#proto.receive(buf.subarray(0, n));
        for (const ev of events) {
          switch (ev.kind) {
            case "reply":
              this.#settle(ev);
              break;
            case "watch":
              this.#dispatch(ev.event);
              break;
            case "ping":
              break;
            case "auth":
              if (!this.#onAuthReply(ev.token, ev.err)) return "authFailed";
              break;
            case "connected":
              clearTimeout(handshakeTimer);
              handshakeTimer = undefined;
              connected = true;
              ticker = this.#startTicker(conn, ev.timeoutMs);
              this.#onConnected(ev.readOnly);
              break;
            case "expired":
              this.#lastError = `${formatHostPort(host)}: session expired`;
              return "expired";
            case "broken":
              this.#lastError = `${formatHostPort(host)}: protocol error: ${ev.reason}`;
              return "lost";
          }
        }
      }
    } catch (e) {
      // When we closed the socket ourselves, #dropConnection already recorded why.
      if (this.#conn === conn) this.#lastError = `${formatHostPort(host)}: ${describeError(e)}`;
      return "lost";
    } finally {
      clearTimeout(handshakeTimer);
      clearInterval(ticker);
      this.#dropConnection(this.#lastError);
      this.#conn = null;
      for (const token of this.#proto.abandon()) {
        // Auth packets are re-sent on the next connection; their waiters keep waiting.
        if (token instanceof Call) token.reject(new ZkError(Err.CONNECTIONLOSS, token.path));
      }
      if (connected && this.isAlive) {
        this.#state = "CONNECTING";
        if (!this.#closing) this.#stateEvent(KeeperState.Disconnected);
      }
    }
  }

  #onConnected(readOnly: boolean): void {
    this.#state = readOnly ? "CONNECTEDREADONLY" : "CONNECTED";
    this.#everConnected = true;
    this.#attemptConnected = true;
    // Java's order (zk-protocol §1.7): auth packets, then setWatches, then queued requests.
    for (const entry of this.#auths) this.#proto.auth(entry.scheme, entry.auth, entry);
    this.#rearmWatches();
    const queued = this.#queued;
    this.#queued = [];
    for (const q of queued) this.#proto.request(q.op, q.body, q.call);
    this.#scheduleFlush();
    this.#stateEvent(readOnly ? KeeperState.ConnectedReadOnly : KeeperState.SyncConnected);
    const first = this.#firstConnect;
    this.#firstConnect = null;
    first?.resolve();
  }

  #rearmWatches(): void {
    if (this.#watches.size === 0) return;
    for (const lists of splitSetWatches(this.#watches.lists())) {
      const persistent = lists.persistent.length + lists.persistentRecursive.length > 0;
      // Java sends setWatches2 only when a batch holds persistent watches.
      const req: SetWatchesRequest = {
        op: persistent ? Op.setWatches2 : Op.setWatches,
        relativeZxid: this.#proto.lastZxidSeen,
        dataWatches: lists.data,
        existWatches: lists.exist,
        childWatches: lists.child,
        persistentWatches: lists.persistent,
        persistentRecursiveWatches: lists.persistentRecursive,
      };
      const ignore = new Call(() => {}, () => {}, undefined, 0, undefined);
      this.#proto.request(req.op, req, ignore);
    }
  }

  /** Returns false when the server refused the credentials (the session is then dead). */
  #onAuthReply(token: Token, err: number): boolean {
    if (!(token instanceof AuthEntry)) return true;
    const waiters = token.waiters;
    token.waiters = [];
    for (const w of waiters) {
      if (err === 0) w.resolve(null);
      else w.reject(new ZkError(err, undefined, `auth scheme ${token.scheme}`));
    }
    if (err === 0) return true;
    this.#lastError = `authentication failed (${errName(err)})`;
    return false;
  }

  #dispatch(event: WatchedEvent): void {
    const watchers = this.#watches.materialize(event.type, event.path ?? "");
    if (watchers.size === 0) {
      // Not ours (e.g. a watch set through request()): the default listeners still hear it.
      this.#emit(event);
      return;
    }
    for (const w of watchers) callSafely(w, event);
  }

  #startTicker(conn: Deno.TcpConn, timeoutMs: number): ReturnType<typeof setInterval> {
    const readTimeoutMs = (timeoutMs * 2) / 3;
    const pingIdleMs = timeoutMs / 3;
    const tickMs = Math.max(10, Math.min(1000, Math.floor(timeoutMs / 10)));
    this.#lastSendMs = performance.now();
    return setInterval(() => {
      if (this.#conn !== conn) return;
      const now = performance.now();
      if (now - this.#lastRecvMs > readTimeoutMs) {
        this.#dropConnection(
          `${formatHostPort(this.#host)}: nothing received for ${Math.round(readTimeoutMs)} ms`,
        );
        return;
      }
      if (now - this.#lastSendMs >= pingIdleMs && this.#proto.phase === "open") {
        this.#proto.ping();
        this.#scheduleFlush();
      }
    }, tickMs);
  }

  /** Closes the current socket; the read loop then ends the connection. */
  #dropConnection(reason: string): void {
    const conn = this.#conn;
    if (conn === null) return;
    this.#lastError = reason;
    this.#conn = null;
    try {
      conn.close();
    } catch {
      // Already closed.
    }
  }

  // ------------------------------------------------------------------ batched writes

  #scheduleFlush(): void {
    if (this.#flushQueued || this.#writing) return;
    this.#flushQueued = true;
    // A microtask runs after every continuation already queued in this turn, so the requests
    // they issue join the same write.
    queueMicrotask(() => this.#flush());
  }

  async #flush(): Promise<void> {
    this.#flushQueued = false;
    const conn = this.#conn;
    if (conn === null) return;
    this.#writing = true;
    try {
      for (;;) {
        if (this.#conn !== conn) return;
        const bytes = this.#proto.takeOutbound();
        if (bytes === undefined) return;
        this.#lastSendMs = performance.now();
        let written = 0;
        while (written < bytes.byteLength) written += await conn.write(bytes.subarray(written));
      }
    } catch (e) {
      if (this.#conn === conn) this.#dropConnection(`write failed: ${describeError(e)}`);
    } finally {
      this.#writing = false;
      // Frames queued for a newer connection while this one was still writing.
      if (this.#conn !== null && this.#proto.outboundBytes > 0) this.#scheduleFlush();
    }
  }
}

// -------------------------------------------------------------------- helpers

function toBytes(data: Uint8Array | string | null): Uint8Array | null {
  return typeof data === "string" ? encoder.encode(data) : data;
}

function pathOf(r: Response): string {
  if (r.op === "path" || r.op === "pathStat") return r.path;
  throw badReply(-1, r);
}

function statOf(op: number, r: Response): Stat {
  if (r.op !== "stat") throw badReply(op, r);
  return r.stat;
}

function badReply(op: number, r: Response): Error {
  return new Error(`unexpected reply body ${r.op} for op ${op}`);
}

function callSafely(watcher: Watcher, event: WatchedEvent): void {
  try {
    watcher(event);
  } catch (e) {
    // A failing watcher must not break the connection that delivered the event.
    console.error(`zk watcher threw: ${describeError(e)}`);
  }
}

function describeError(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

async function connectTcp(
  host: HostPort,
  timeoutMs: number,
  cancel: AbortSignal,
): Promise<Deno.TcpConn> {
  if (cancel.aborted) throw new Error("client closed");
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  const onCancel = () => abort.abort();
  cancel.addEventListener("abort", onCancel);
  try {
    const conn = await Deno.connect({
      hostname: host.hostname,
      port: host.port,
      signal: abort.signal,
    });
    conn.setNoDelay(true);
    return conn;
  } catch (e) {
    if (cancel.aborted) throw new Error("client closed");
    if (abort.signal.aborted) throw new Error(`connect timed out after ${timeoutMs} ms`);
    throw e;
  } finally {
    clearTimeout(timer);
    cancel.removeEventListener("abort", onCancel);
  }
}
