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
  SnapshotFileWriter,
  snapshotsToPurge,
  staleTempSnapshots,
} from "../snapshot/files.ts";
import { SnapshotWriter } from "../snapshot/writer.ts";
import type { Storage } from "../storage/storage.ts";
import { DataTree } from "../tree/data_tree.ts";
import { purgeLog } from "../wal/purge.ts";
import { readLog } from "../wal/recovery.ts";
import { logDirOf } from "../wal/segment.ts";
import { TxnLogWriter } from "../wal/txn_log_writer.ts";
import type { Logger } from "./log.ts";
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

/** Nodes serialised per event-loop turn while snapshotting (bounds the pause per turn). */
const SNAPSHOT_SLICE_NODES = 2000;

/**
 * Snapshot bytes written before they are flushed: bounds how much writeback a concurrent
 * write-ahead log fsync can be made to wait for (ext4 orders them through one journal).
 */
const SNAPSHOT_FLUSH_BYTES = 16 * 1024 * 1024;

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

  /**
   * A fuzzy snapshot of the applied tree: serialised a slice at a time, yielding to the
   * event loop between slices, then fsynced, renamed into place, the directory fsynced.
   */
  async snapshot(): Promise<string> {
    const startedMs = Date.now();
    const sessions = [...this.#replica.sessions.all()].map((s) => ({
      id: s.id,
      timeoutMs: s.timeoutMs,
    }));
    const writer = new SnapshotWriter(this.#replica.tree, sessions);
    const file = new SnapshotFileWriter(this.#storage, this.#config.dataDir, writer.zxid);
    try {
      let unflushedBytes = 0;
      for (;;) {
        const slice = writer.nextSlice(SNAPSHOT_SLICE_NODES);
        if (slice === null) break;
        file.write(slice);
        unflushedBytes += slice.byteLength;
        if (unflushedBytes >= SNAPSHOT_FLUSH_BYTES) {
          unflushedBytes = 0;
          await file.flushWritten();
        } else {
          await new Promise((r) => setTimeout(r, 0));
        }
      }
    } catch (e) {
      file.abort();
      throw e;
    }
    const path = await file.finish();
    this.#log.info(
      `snapshot ${path} at zxid ${hex(writer.zxid)}: ${writer.nodeRecords} nodes, ` +
        `${file.size} bytes in ${Date.now() - startedMs} ms`,
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
    const list = listSnapshots(this.#storage, this.#config.dataDir);
    const doomed = snapshotsToPurge(list, this.#config.autopurgeSnapRetainCount);
    for (const s of doomed) {
      this.#storage.remove(s.path);
      this.#log.info(`purged snapshot ${s.path}`);
    }
    const kept = list.slice(0, this.#config.autopurgeSnapRetainCount).map((s) => s.zxid);
    if (kept.length === 0) return;
    for (const path of purgeLog(this.#storage, logDirOf(this.#config.dataLogDir), kept)) {
      this.#log.info(`purged log segment ${path}`);
    }
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
