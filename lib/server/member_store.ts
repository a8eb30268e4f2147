/**
 * Durability for an ensemble member: recovery (newest valid snapshot, the log after it NOT
 * applied — the leader says what is committed — and the Raft hard state), and the execution
 * of the persist batches the Raft core hands out: hard state, snapshot installs from the
 * leader, log truncation of entries a new leader overwrote, appends, one fsync per group.
 * Local fuzzy snapshots and autopurge work as in standalone mode.
 */

import type { Config } from "../config/config.ts";
import type { PersistBatch } from "../quorum/raft.ts";
import type { RecoveredMember } from "../replica/member.ts";
import { newestValidSnapshot, SnapshotFileWriter, staleTempSnapshots } from "../snapshot/files.ts";
import type { SnapshotSession } from "../snapshot/format.ts";
import type { Storage } from "../storage/storage.ts";
import { DataTree } from "../tree/data_tree.ts";
import { readHardState, writeHardState } from "../wal/hard_state.ts";
import { readLog } from "../wal/recovery.ts";
import { logDirOf } from "../wal/segment.ts";
import { truncateLogAfter } from "../wal/truncate.ts";
import { TxnLogWriter } from "../wal/txn_log_writer.ts";
import { writeFuzzySnapshot } from "./fuzzy_snapshot.ts";
import type { Logger } from "./log.ts";
import { purgeSnapshotsAndLogs, RecoveryError } from "./persistence.ts";

export interface MemberRecovery extends RecoveredMember {
  snapshotZxid: number;
  /** Highest zxid in the snapshot or the log (committed or not). */
  lastZxid: number;
}

export class MemberStore {
  readonly #storage: Storage;
  readonly #config: Config;
  readonly #log: Logger;
  readonly #logDir: string;
  #wal: TxnLogWriter | null = null;
  /** Txns appended since the last local snapshot. */
  #txnsSinceSnapshot = 0;
  #snapshotting: Promise<void> | null = null;
  #snapshotAfterTxns: number;

  constructor(storage: Storage, config: Config, log: Logger) {
    this.#storage = storage;
    this.#config = config;
    this.#log = log;
    this.#logDir = logDirOf(config.dataLogDir);
    // Members snapshot at different counts, as ZooKeeper's do, so they do not all pause
    // together. The spread comes from the member id, which keeps the simulator replayable.
    const half = Math.floor(config.snapCount / 2);
    const myId = config.ensemble?.myId ?? 0;
    this.#snapshotAfterTxns = half + 1 + ((myId * 7919) % Math.max(1, config.snapCount - half));
  }

  /** Reads the newest snapshot, the log after it and the hard state; opens the log writer. */
  recover(): MemberRecovery {
    const storage = this.#storage;
    for (const stale of staleTempSnapshots(storage, this.#config.dataDir)) {
      this.#log.info(`removing unfinished snapshot ${stale}`);
      storage.remove(stale);
    }
    const choice = newestValidSnapshot(storage, this.#config.dataDir);
    for (const { file, error } of choice.rejected) {
      this.#log.warn(`skipping invalid snapshot ${file.path}: ${error.message}`);
    }
    const tree = choice.found?.snapshot.tree ?? new DataTree();
    const sessions: SnapshotSession[] = choice.found?.snapshot.sessions ?? [];
    const snapshotZxid = choice.found?.snapshot.zxid ?? 0;
    let r;
    try {
      r = readLog(storage, this.#logDir, snapshotZxid);
    } catch (e) {
      throw new RecoveryError((e as Error).message);
    }
    if (r.truncatedTail !== null) {
      const t = r.truncatedTail;
      this.#log.warn(
        `write-ahead log: torn tail cut at ${t.file} offset ${t.offset} (${t.reason})`,
      );
    }
    const hardState = readHardState(storage, this.#logDir);
    const lastZxid = Math.max(snapshotZxid, r.lastZxid);
    this.#wal = this.#openWriter(lastZxid, r.durable);
    return { tree, sessions, log: r.entries, hardState, snapshotZxid, lastZxid };
  }

  #openWriter(lastZxid: number, startAfter?: Promise<void>): TxnLogWriter {
    return new TxnLogWriter(this.#storage, this.#logDir, {
      lastZxid,
      preAllocSizeBytes: this.#config.preAllocSizeKb * 1024,
      forceSync: this.#config.forceSync,
      startAfter,
    });
  }

  get #writer(): TxnLogWriter {
    if (this.#wal === null) throw new Error("MemberStore: recover() first");
    return this.#wal;
  }

  /** Makes the batches durable, in order; resolves once all of them are. */
  async persist(batches: readonly PersistBatch[]): Promise<void> {
    for (const b of batches) {
      if (b.hardState !== null) await writeHardState(this.#storage, this.#logDir, b.hardState);
      if (b.snapshot !== null) await this.#installSnapshot(b.snapshot.zxid, b.snapshot.data);
      if (b.truncateAfter !== null) await this.#truncate(b.truncateAfter);
      if (b.entries.length > 0) {
        this.#writer.append(b.entries);
        this.#txnsSinceSnapshot += b.entries.length;
      }
    }
    await this.#writer.sync();
  }

  async #truncate(zxid: number): Promise<void> {
    const wal = this.#writer;
    if (zxid >= wal.lastAppendedZxid) return;
    await wal.sync();
    wal.close();
    const t = truncateLogAfter(this.#storage, this.#logDir, zxid);
    await t.durable;
    this.#log.info(
      `log truncated after 0x${zxid.toString(16)} (the new leader does not have what followed)`,
    );
    this.#wal = this.#openWriter(zxid);
  }

  async #installSnapshot(zxid: number, data: Uint8Array): Promise<void> {
    const wal = this.#writer;
    await wal.sync();
    wal.close();
    const file = new SnapshotFileWriter(this.#storage, this.#config.dataDir, zxid);
    try {
      file.write(data);
    } catch (e) {
      file.abort();
      throw e;
    }
    const path = await file.finish();
    // Every logged entry is either inside the snapshot or from a log the leader replaced.
    await truncateLogAfter(this.#storage, this.#logDir, 0).durable;
    this.#wal = this.#openWriter(zxid);
    this.#txnsSinceSnapshot = 0;
    this.#log.info(`installed snapshot ${path} from the leader at zxid 0x${zxid.toString(16)}`);
  }

  /**
   * Starts a local fuzzy snapshot once enough txns were logged since the last one; resolves
   * with its zxid (null if none was due).
   */
  maybeSnapshot(tree: DataTree, sessions: () => SnapshotSession[]): Promise<number> | null {
    if (this.#snapshotting !== null || this.#txnsSinceSnapshot < this.#snapshotAfterTxns) {
      return null;
    }
    this.#txnsSinceSnapshot = 0;
    this.#writer.roll();
    const done = writeFuzzySnapshot(
      this.#storage,
      this.#config.dataDir,
      tree,
      sessions(),
      this.#log,
    );
    this.#snapshotting = done.then(() => {}, () => {}).finally(() => {
      this.#snapshotting = null;
    });
    return done.then((r) => r.zxid);
  }

  purge(): void {
    purgeSnapshotsAndLogs(this.#storage, this.#config, this.#log);
  }

  async close(): Promise<void> {
    await this.#snapshotting;
    if (this.#wal === null) return;
    await this.#wal.sync().catch(() => {});
    this.#wal.close();
  }
}
