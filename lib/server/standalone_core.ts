/**
 * A standalone server's core: the replica, with the write-ahead log (persistence.ts) as the
 * thing that decides when a txn is committed.
 */

import type { Config } from "../config/config.ts";
import { Replica } from "../replica/replica.ts";
import type { Storage } from "../storage/storage.ts";
import type { Logger } from "./log.ts";
import { Persistence, recover, type Recovery } from "./persistence.ts";
import type { CoreHooks, ServerCore } from "./server_core.ts";

export class StandaloneCore implements ServerCore {
  readonly replica: Replica;
  readonly mode = "standalone";
  readonly recovery: Recovery;
  readonly #persistence: Persistence;
  readonly #failed = Promise.withResolvers<never>();

  constructor(config: Config, log: Logger, storage: Storage, hooks: CoreHooks) {
    const startedMs = Date.now();
    this.recovery = recover(storage, config, log);
    this.replica = new Replica(config, hooks.io, Date.now(), this.recovery.state);
    this.#persistence = new Persistence(storage, config, this.replica, this.recovery, log, {
      onApplied: hooks.onApplied,
      onFatal: (e) => this.#failed.reject(e),
    });
    this.#failed.promise.catch(() => {}); // observed through `failed`
    const r = this.recovery;
    this.recoverySummary = `recovered zxid 0x${r.lastZxid.toString(16)} in ` +
      `${Date.now() - startedMs} ms: snapshot 0x${r.snapshotZxid.toString(16)} + ` +
      `${r.replayedTxns} logged txns, ${this.replica.tree.nodeCount} znodes, ` +
      `${r.state.sessions.length} sessions`;
  }

  readonly recoverySummary: string;

  get failed(): Promise<never> {
    return this.#failed.promise;
  }

  connOpened(connId: number, remoteIp: string, remotePort: number, nowMs: number): boolean {
    return this.replica.connOpened(connId, remoteIp, remotePort, nowMs);
  }
  connClosed(connId: number): void {
    this.replica.connClosed(connId);
  }
  frame(connId: number, body: Uint8Array, nowMs: number): void {
    this.replica.frame(connId, body, nowMs);
  }
  shouldPause(connId: number): boolean {
    return this.replica.shouldPause(connId);
  }
  tick(nowMs: number): void {
    this.replica.tick(nowMs);
  }
  flush(): void {
    this.#persistence.flush();
  }
  start(): void {}
  quorumStatus(): null {
    return null;
  }
  snapshot(): Promise<string> {
    return this.#persistence.snapshot();
  }
  close(): Promise<void> {
    return this.#persistence.close();
  }
}
