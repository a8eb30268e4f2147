/**
 * The I/O shell around the replica: the TCP listener, one read loop per connection, the
 * timer that turns wall time into ticks, four-letter words, and the commit step that hands
 * prepared txns to the write-ahead log (persistence.ts) and applies them once durable.
 * Everything that decides anything is in lib/replica; this file only moves bytes and time.
 */

import type { Config } from "../config/config.ts";
import { FrameError } from "../proto/frame.ts";
import type { Replica } from "../replica/replica.ts";
import { fourLetterReply, fourLetterWord } from "../admin/four_letter.ts";
import type { Logger } from "./log.ts";
import { ClientSocket, OUTPUT_BYTES_PAUSE } from "./client_socket.ts";
import { hostEnvironment } from "./host_env.ts";
import type { Storage } from "../storage/storage.ts";
import { DenoStorage } from "../storage/deno_storage.ts";
import type { ServerCore } from "./server_core.ts";
import { StandaloneCore } from "./standalone_core.ts";
import { EnsembleCore } from "./ensemble_core.ts";

const encoder = new TextEncoder();

export class ZkServer {
  readonly config: Config;
  /** Standalone (replica + WAL) or ensemble member (replica + Raft + peers). */
  readonly core: ServerCore;
  readonly #log: Logger;
  readonly #sockets = new Map<number, ClientSocket>();
  #listener: Deno.TcpListener | null = null;
  #nextConnId = 1;
  #tickTimer: ReturnType<typeof setInterval> | undefined;
  #commitScheduled = false;
  #stopping = false;
  #acceptLoop: Promise<void> | null = null;

  /** Recovers the state from `config.dataDir` (throws RecoveryError if it cannot). */
  constructor(
    config: Config,
    log: Logger,
    storage: Storage = new DenoStorage(),
    options: { configPath?: string } = {},
  ) {
    this.config = config;
    this.#log = log;
    const hooks = {
      io: {
        send: (connId: number, frame: Uint8Array) => this.#sockets.get(connId)?.send(frame),
        close: (connId: number, reason: string) => {
          const s = this.#sockets.get(connId);
          if (s === undefined) return;
          this.#log.info(`closing connection ${this.#describe(s)}: ${reason}`);
          s.closeAfterFlush(reason);
        },
        log: (level: "debug" | "info" | "warn", message: string) => this.#log.log(level, message),
      },
      onApplied: () => {
        for (const s of this.#sockets.values()) if (!this.#shouldPause(s)) s.wake();
      },
      clientAddressCommitted: (host: string, port: number) => this.#moveListener(host, port),
    };
    this.core = config.ensemble !== null
      ? new EnsembleCore(config, log, storage, hooks, options.configPath)
      : new StandaloneCore(config, log, storage, hooks);
  }

  get replica(): Replica {
    return this.core.replica;
  }

  /** Rejects if the write-ahead log fails; the process must then stop and recover. */
  get failed(): Promise<never> {
    return this.core.failed;
  }

  /** Takes a snapshot now (operators, tests, benchmarks). */
  snapshot(): Promise<string> {
    return this.core.snapshot();
  }

  /** The address actually bound (port 0 in the config picks a free one). */
  get address(): Deno.NetAddr {
    const at = this.listening;
    if (at === null) throw new Error("server not started");
    return at;
  }

  /** The client address listened on now, or null before start. */
  get listening(): Deno.NetAddr | null {
    return this.#listener === null ? null : this.#listener.addr as Deno.NetAddr;
  }

  start(): void {
    this.#listener = Deno.listen({
      hostname: this.config.clientPortAddress,
      port: this.config.clientPort,
      transport: "tcp",
    });
    const tickEveryMs = Math.max(10, Math.min(250, Math.floor(this.config.tickMs / 4)));
    this.core.start();
    this.#tickTimer = setInterval(() => {
      this.core.tick(Date.now());
      this.#scheduleCommit();
    }, this.config.ensemble !== null ? 10 : tickEveryMs);
    this.#acceptLoop = this.#accept(this.#listener);
    this.#scheduleCommit(); // recovery may have prepared txns (orphan ephemerals)
  }

  /**
   * A reconfig gave this member a new client address: listen there instead (ZooKeeper's
   * ServerCnxnFactory.reconfigure). The new port is bound before the old one closes, and
   * connections already open stay; if it cannot be bound, the old one is kept.
   */
  #moveListener(host: string, port: number): void {
    const old = this.#listener;
    if (old === null || this.#stopping) return;
    const at = old.addr as Deno.NetAddr;
    if (at.hostname === host && at.port === port) return;
    let listener: Deno.TcpListener;
    try {
      listener = Deno.listen({ hostname: host, port, transport: "tcp" });
    } catch (e) {
      this.#log.error(
        `cannot move the client port to ${host}:${port} as the new configuration says: ` +
          `${(e as Error).message}; still listening on ${at.hostname}:${at.port}`,
      );
      return;
    }
    this.#listener = listener;
    try {
      old.close();
    } catch { /* already closed */ }
    const oldLoop = this.#acceptLoop;
    const newLoop = this.#accept(listener);
    this.#acceptLoop = Promise.all([oldLoop, newLoop]).then(() => {});
    this.#log.info(`client port moved from ${at.hostname}:${at.port} to ${host}:${port}`);
  }

  async #accept(listener: Deno.TcpListener): Promise<void> {
    for (;;) {
      let conn: Deno.TcpConn;
      try {
        conn = await listener.accept();
      } catch (e) {
        if (this.#stopping) return;
        if (e instanceof Deno.errors.BadResource) return;
        this.#log.warn(`accept failed: ${(e as Error).message}`);
        continue;
      }
      const id = this.#nextConnId++;
      const remote = conn.remoteAddr as Deno.NetAddr;
      if (
        this.#stopping || !this.core.connOpened(id, remote.hostname, remote.port, Date.now())
      ) {
        try {
          conn.close();
        } catch { /* ignore */ }
        continue;
      }
      const sock = new ClientSocket(id, conn, this.config.frameBytesMax, (s) => {
        this.#sockets.delete(s.id);
        this.core.connClosed(s.id);
      });
      this.#sockets.set(id, sock);
      this.#serve(sock);
    }
  }

  #describe(s: ClientSocket): string {
    const c = this.replica.connections.get(s.id);
    const addr = s.conn.remoteAddr as Deno.NetAddr;
    const sid = c && c.sessionId !== 0n
      ? ` session 0x${BigInt.asUintN(64, c.sessionId).toString(16)}`
      : "";
    return `${addr.hostname}:${addr.port}${sid}`;
  }

  #shouldPause(s: ClientSocket): boolean {
    return this.core.shouldPause(s.id) || s.outputBytes > OUTPUT_BYTES_PAUSE;
  }

  async #serve(sock: ClientSocket): Promise<void> {
    const buf = ClientSocket.readBuffer();
    while (!sock.closed && !sock.closing && !this.#stopping) {
      if (this.#shouldPause(sock)) {
        // Back-pressure: stop reading until replies drain (woken by commits and writes).
        await sock.waitUntilResumed();
        continue;
      }
      // Frames already buffered go first: a pause may have left some unprocessed.
      if (sock.decoder.bufferedBytes > 0 && this.#processFrames(sock)) continue;
      const n = await sock.read(buf);
      if (n === null || n === 0) break;
      this.#onBytes(sock, buf.subarray(0, n));
    }
    if (!this.#stopping && !sock.closing) sock.destroy();
  }

  #onBytes(sock: ClientSocket, chunk: Uint8Array): void {
    if (sock.closed || sock.closing) return;
    sock.decoder.push(chunk);
    if (!sock.sawFirstBytes) {
      const first = sock.decoder.peekInt();
      if (first === undefined) return;
      sock.sawFirstBytes = true;
      const word = fourLetterWord(first);
      if (word !== null) {
        sock.decoder.skip(4);
        const env = {
          ...hostEnvironment(this.config),
          quorum: () => this.core.quorumStatus(),
          clientAddress: () => this.listening,
        };
        const text = fourLetterReply(word, this.replica, env);
        sock.send(encoder.encode(text));
        sock.closeAfterFlush(`four-letter word ${word}`);
        return;
      }
    }
    this.#processFrames(sock);
  }

  /**
   * Hands whole buffered frames to the replica until none is left or the connection must
   * pause; returns true if at least one frame was processed.
   */
  #processFrames(sock: ClientSocket): boolean {
    let processed = false;
    try {
      while (!sock.closed && !sock.closing && !this.#shouldPause(sock)) {
        const body = sock.decoder.next();
        if (body === undefined) break;
        processed = true;
        this.core.frame(sock.id, body, Date.now());
      }
    } catch (e) {
      if (!(e instanceof FrameError)) throw e;
      this.#log.warn(`closing connection ${this.#describe(sock)}: ${e.message}`);
      sock.destroy();
    }
    this.#scheduleCommit();
    return processed;
  }

  #scheduleCommit(): void {
    if (this.#commitScheduled) return;
    this.#commitScheduled = true;
    // Everything read in this turn joins one append and one fsync (group commit).
    queueMicrotask(() => {
      this.#commitScheduled = false;
      this.core.flush();
    });
  }

  /** Graceful stop: refuse new connections, finish what is in flight, sync, flush, close. */
  async stop(flushTimeoutMs = 5000): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    clearInterval(this.#tickTimer);
    try {
      this.#listener?.close();
    } catch { /* already closed */ }
    await this.#acceptLoop;
    await this.core.close().catch((e) => {
      this.#log.error(`closing the write-ahead log: ${(e as Error).message}`);
    });
    const deadline = Date.now() + flushTimeoutMs;
    while (Date.now() < deadline && [...this.#sockets.values()].some((s) => s.outputBytes > 0)) {
      await new Promise((r) => setTimeout(r, 10));
    }
    for (const s of [...this.#sockets.values()]) s.destroy();
  }
}
