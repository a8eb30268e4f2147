/**
 * Durability in the shell: recovery at start (newest valid snapshot, then the log after its
 * zxid), the group-commit step between the replica and the write-ahead log, fuzzy snapshots
 * taken in slices between event-loop turns while requests keep flowing, and retention.
 *
 * Group commit: every txn the replica prepared in this turn is appended (page cache), then
 * one fdatasync covers them all; only when it resolves does the replica apply them and
 * release their replies. Syncs requested while one runs share the next one.
 */

import type { Config } from "../config/config.ts";
import type { RecoveredState, Replica } from "../replica/replica.ts";
import {
  listSnapshots,
  newestValidSnapshot,
  snapshotsToPurge,
  staleTempSnapshots,
} from "../snapshot/files.ts";
import type { Storage } from "../storage/storage.ts";
import { DataTree } from "../tree/data_tree.ts";
import { purgeLog } from "../wal/purge.ts";
import { readLog } from "../wal/recovery.ts";
import { logDirOf } from "../wal/segment.ts";
import { TxnLogWriter } from "../wal/txn_log_writer.ts";
import type { Logger } from "./log.ts";
import { writeFuzzySnapshot } from "./fuzzy_snapshot.ts";
import { OperatorError } from "../util/operator_error.ts";

/** Recovery could not rebuild the state: the message names the file and what is wrong. */
export class RecoveryError extends OperatorError {
  override name = "RecoveryError";
}

export interface Recovery {
  state: RecoveredState;
  /** Highest zxid in the snapshot or the log. */
  lastZxid: number;
  snapshotZxid: number;
  replayedTxns: number;
  /** Resolves once a torn-tail repair is on disk; the log writer waits for it. */
  durable: Promise<void>;
}

function hex(n: number): string {
  return "0x" + n.toString(16);
}

/** Rebuilds the tree and sessions: newest valid snapshot, then every logged txn after it. */
export function recover(storage: Storage, config: Config, log: Logger): Recovery {
  for (const stale of staleTempSnapshots(storage, config.dataDir)) {
    log.info(`removing unfinished snapshot ${stale}`);
    storage.remove(stale);
  }
  const choice = newestValidSnapshot(storage, config.dataDir);
  for (const { file, error } of choice.rejected) {
    log.warn(`skipping invalid snapshot ${file.path}: ${error.message}`);
  }
  // With no valid snapshot, the log alone must reach back to zxid 1: readLog checks that
  // zxids after the start count up without a gap, so a purged log stops start-up instead
  // of silently starting on half the data.
  const tree = choice.found?.snapshot.tree ?? new DataTree();
  const snapshotZxid = choice.found?.snapshot.zxid ?? 0;
  const sessions = new Map<bigint, number>();
  for (const s of choice.found?.snapshot.sessions ?? []) sessions.set(s.id, s.timeoutMs);

  let r;
  try {
    r = readLog(storage, logDirOf(config.dataLogDir), snapshotZxid);
  } catch (e) {
    throw new RecoveryError((e as Error).message);
  }
  if (r.truncatedTail !== null) {
    const t = r.truncatedTail;
    log.warn(`write-ahead log: torn tail cut at ${t.file} offset ${t.offset} (${t.reason})`);
  }
  const first = r.entries[0];
  if (first !== undefined && first.zxid !== snapshotZxid + 1) {
    throw new RecoveryError(
      `write-ahead log in ${logDirOf(config.dataLogDir)} starts at zxid ${hex(first.zxid)}, ` +
        `but the ${choice.found ? "snapshot ends" : "state starts"} at ${hex(snapshotZxid)}: ` +
        `txns are missing`,
    );
  }
  for (const entry of r.entries) {
    tree.apply(entry);
    if (entry.txn.type === "createSession") sessions.set(entry.sessionId, entry.txn.timeoutMs);
    else if (entry.txn.type === "closeSession") sessions.delete(entry.sessionId);
  }
  const lastZxid = Math.max(snapshotZxid, r.lastZxid);
  return {
    state: { tree, sessions: [...sessions].map(([id, timeoutMs]) => ({ id, timeoutMs })) },
    lastZxid,
    snapshotZxid,
    replayedTxns: r.entries.length,
    durable: r.durable,
  };
}

export class Persistence {
  readonly #storage: Storage;
  readonly #config: Config;
  readonly #replica: Replica;
  readonly #log: Logger;
  readonly #wal: TxnLogWriter;
  /** Called after txns were applied (replies went out): the shell wakes paused sockets. */
  readonly #onApplied: () => void;
  readonly #onFatal: (e: Error) => void;
  #snapshotAfterTxns: number;
  #snapshotting: Promise<void> | null = null;
  #inflightSyncs = 0;
  #idleWaiters: Array<() => void> = [];
  #purgeTimer: ReturnType<typeof setInterval> | undefined;
  #failed = false;

  constructor(
    storage: Storage,
    config: Config,
    replica: Replica,
    recovery: Recovery,
    log: Logger,
    hooks: { onApplied: () => void; onFatal: (e: Error) => void },
  ) {
    this.#storage = storage;
    this.#config = config;
    this.#replica = replica;
    this.#log = log;
    this.#onApplied = hooks.onApplied;
    this.#onFatal = hooks.onFatal;
    this.#wal = new TxnLogWriter(storage, logDirOf(config.dataLogDir), {
      lastZxid: recovery.lastZxid,
      preAllocSizeBytes: config.preAllocSizeKb * 1024,
      forceSync: config.forceSync,
      startAfter: recovery.durable,
    });
    this.#snapshotAfterTxns = this.#randomSnapCount();
    if (config.autopurgePurgeIntervalMs > 0) {
      this.#purgeTimer = setInterval(() => this.#purgeLogged(), config.autopurgePurgeIntervalMs);
    }
  }

  /**
   * ZooKeeper snapshots after a random count in [snapCount/2 + 1, snapCount], so members of
   * an ensemble do not all snapshot at once.
   */
  #randomSnapCount(): number {
    const half = Math.floor(this.#config.snapCount / 2);
    return half + 1 + Math.floor(Math.random() * (this.#config.snapCount - half));
  }

  /** Appends what the replica prepared and schedules the fsync that will commit it. */
  flush(): void {
    if (this.#failed) return;
    // While an fsync runs, let txns pile up in the replica: they could not join that sync
    // anyway, and appending them all after it in one write means one syscall and one sync
    // per batch instead of one per socket read.
    if (this.#inflightSyncs > 0) return;
    const batch = this.#replica.takeUnpersisted();
    if (batch.length === 0) return;
    try {
      this.#wal.append(batch);
    } catch (e) {
      this.#fail(e as Error);
      return;
    }
    const zxid = this.#wal.lastAppendedZxid;
    this.#inflightSyncs++;
    this.#wal.sync().then(() => {
      this.#inflightSyncs--;
      if (this.#failed) return;
      this.#replica.committed(zxid, Date.now());
      this.flush(); // applying may have prepared more (requests held during a handshake)
      this.#onApplied();
      this.#maybeSnapshot();
      this.#notifyIdle();
    }, (e) => {
      this.#inflightSyncs--;
      this.#fail(e as Error);
      this.#notifyIdle();
    });
  }

  #fail(e: Error): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#log.error(`write-ahead log failed, stopping: ${e.message}`);
    this.#onFatal(e);
  }

  #notifyIdle(): void {
    if (this.#inflightSyncs > 0) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const w of waiters) w();
  }

  /** Resolves when every appended txn is durable and applied. */
  idle(): Promise<void> {
    if (this.#inflightSyncs === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #maybeSnapshot(): void {
    if (this.#snapshotting !== null || this.#wal.txnsSinceRoll < this.#snapshotAfterTxns) return;
    this.#wal.roll();
    this.#snapshotAfterTxns = this.#randomSnapCount();
    this.#snapshotting = this.snapshot().then(() => {}, (e) => {
      this.#log.warn(`snapshot failed: ${(e as Error).message}`);
    }).finally(() => {
      this.#snapshotting = null;
    });
  }

  /** A fuzzy snapshot of the applied tree (see fuzzy_snapshot.ts); returns its path. */
  async snapshot(): Promise<string> {
    const sessions = [...this.#replica.sessions.all()].map((s) => ({
      id: s.id,
      timeoutMs: s.timeoutMs,
    }));
    const { path } = await writeFuzzySnapshot(
      this.#storage,
      this.#config.dataDir,
      this.#replica.tree,
      sessions,
      this.#log,
    );
    return path;
  }

  #purgeLogged(): void {
    try {
      this.purge();
    } catch (e) {
      this.#log.warn(`purge failed: ${(e as Error).message}`);
    }
  }

  /** Keeps the newest autopurge.snapRetainCount snapshots and the log they need. */
  purge(): void {
    purgeSnapshotsAndLogs(this.#storage, this.#config, this.#log);
  }

  /** Waits for durability of everything appended and for a running snapshot, then closes. */
  async close(): Promise<void> {
    clearInterval(this.#purgeTimer);
    this.flush();
    await this.idle();
    await this.#snapshotting;
    this.#wal.close();
  }
}

/** Keeps the newest autopurge.snapRetainCount snapshots and the log they need. */
export function purgeSnapshotsAndLogs(storage: Storage, config: Config, log: Logger): void {
  const list = listSnapshots(storage, config.dataDir);
  const doomed = snapshotsToPurge(list, config.autopurgeSnapRetainCount);
  for (const s of doomed) {
    storage.remove(s.path);
    log.info(`purged snapshot ${s.path}`);
  }
  const kept = list.slice(0, config.autopurgeSnapRetainCount).map((s) => s.zxid);
  if (kept.length === 0) return;
  for (const path of purgeLog(storage, logDirOf(config.dataLogDir), kept)) {
    log.info(`purged log segment ${path}`);
  }
}
