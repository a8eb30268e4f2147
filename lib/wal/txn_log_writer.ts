/**
 * Appending to the log with group commit. append() writes records synchronously (they reach
 * the page cache at once); sync() returns a promise that resolves once every record appended
 * before the call is durable, so one fdatasync covers a whole batch, and a reply may be sent
 * only after the sync that covers its record has resolved.
 *
 * Segments are preallocated in preAllocSizeBytes steps (truncate() to extend, as ZooKeeper
 * does), so an append does not change the file's size, and fdatasync need not write metadata
 * on every batch. A new segment starts at the first append after roll(); the caller decides
 * when (every snapCount txns).
 *
 * Ordering guarantees that recovery relies on:
 * - A sync() resolves no earlier than every sync() called before it: at most one runs at a
 *   time, and a call made while one runs waits for it and then for the next.
 * - A new segment's first write waits until the old segment is durable (the "barrier"):
 *   records appended meanwhile are held in memory. Without it, a crash could leave a torn
 *   tail in a segment that is not the last, which recovery must treat as corruption.
 * - A new segment's directory entry is synced with the next sync(), not just its data.
 * - After a failed write or sync the writer refuses all further work: after a failed
 *   fdatasync the kernel may have dropped the dirty pages, so retrying could "succeed"
 *   without the data (the PostgreSQL fsync lesson). The process must restart and recover.
 *
 * forceSync = false skips fdatasync (ZooKeeper's forceSync=no): sync() resolves without
 * flushing. UNSAFE: an OS crash or power loss can lose acknowledged writes; only a process
 * crash is survived, because the page cache outlives the process.
 */

import { JuteWriter } from "../proto/jute.ts";
import type { Storage, StorageFile } from "../storage/storage.ts";
import type { TxnEntry } from "../tree/txn.ts";
import { assert } from "../util/assert.ts";
import { writeRecord } from "./record.ts";
import {
  encodeSegmentHeader,
  listSegments,
  SEGMENT_HEADER_BYTES,
  segmentName,
  type SegmentRef,
} from "./segment.ts";

/** ZooKeeper's preAllocSize default. */
export const PRE_ALLOC_SIZE_BYTES_DEFAULT = 64 * 1024 * 1024;

/** Extend when an append would come this close to the allocated end (ZooKeeper: 4 KiB). */
const PRE_ALLOC_MARGIN_BYTES = 4096;

export interface TxnLogWriterOptions {
  /** Highest zxid already in the log or snapshot; appends must go above it. Default 0. */
  lastZxid?: number;
  /** Segment growth step in bytes. Default 64 MiB. */
  preAllocSizeBytes?: number;
  /** false: sync() does not fdatasync. UNSAFE, see the module comment. Default true. */
  forceSync?: boolean;
  /**
   * Hold every write until this resolves; pass recovery's `durable` so new records cannot
   * reach the disk before a torn tail's repair does.
   */
  startAfter?: Promise<void>;
}

interface OpenSegment {
  ref: SegmentRef;
  file: StorageFile;
  /** Where the next record goes. */
  endBytes: number;
  /** The file's length, preallocated zeros included. */
  allocatedBytes: number;
}

/** Records appended while a barrier holds writes, with roll() calls in between. */
type Held = { bytes: Uint8Array; firstZxid: number } | "roll";

export class TxnLogWriter {
  readonly logDir: string;
  readonly #storage: Storage;
  readonly #preAllocSizeBytes: number;
  readonly #forceSync: boolean;
  readonly #segments: SegmentRef[];
  #lastAppendedZxid: number;
  #txnsSinceRoll = 0;
  #current: OpenSegment | null = null;
  /** Files written since the last sync() call. */
  readonly #unsynced = new Set<StorageFile>();
  /** Directories whose entries changed since the last sync() call. */
  readonly #unsyncedDirs = new Set<string>();
  /** Rolled-away files, closed once the sync covering their last writes resolves. */
  #retiring: StorageFile[] = [];
  /** The sync whose fdatasyncs are running, if any. */
  #inflight: Promise<void> | null = null;
  /** The sync that starts when #inflight settles, shared by every caller meanwhile. */
  #queued: Promise<void> | null = null;
  /** While set, writes are held (see the module comment). */
  #barrier: Promise<void> | null = null;
  #held: Held[] = [];
  #failure: { error: unknown } | null = null;
  readonly #encoder = new JuteWriter(64 * 1024);

  /** `logDir` is `<dataLogDir>/version-2` (see logDirOf); run recovery on it first. */
  constructor(storage: Storage, logDir: string, options: TxnLogWriterOptions = {}) {
    this.#storage = storage;
    this.logDir = logDir;
    this.#preAllocSizeBytes = options.preAllocSizeBytes ?? PRE_ALLOC_SIZE_BYTES_DEFAULT;
    assert(
      Number.isSafeInteger(this.#preAllocSizeBytes) && this.#preAllocSizeBytes > 0,
      `preAllocSizeBytes must be a positive integer, got ${this.#preAllocSizeBytes}`,
    );
    this.#forceSync = options.forceSync ?? true;
    this.#lastAppendedZxid = options.lastZxid ?? 0;
    if (!storage.exists(logDir)) {
      storage.mkdirp(logDir);
      // The new directory's own entry must survive too.
      const parent = logDir.replace(/\/+[^/]*\/*$/, "");
      if (parent !== "" && parent !== logDir) this.#unsyncedDirs.add(parent);
    }
    this.#segments = listSegments(storage, logDir);
    for (const s of this.#segments) {
      assert(
        s.firstZxid <= this.#lastAppendedZxid,
        `log segment ${s.path} starts above lastZxid ${this.#lastAppendedZxid}: recover first`,
      );
    }
    if (options.startAfter !== undefined) this.#setBarrier(options.startAfter);
  }

  /** Highest zxid appended (durable or not). */
  get lastAppendedZxid(): number {
    return this.#lastAppendedZxid;
  }

  /** Txns appended since the last roll() (or since the writer was made). */
  get txnsSinceRoll(): number {
    return this.#txnsSinceRoll;
  }

  /** Every segment in the directory, oldest first, including those this writer made. */
  get segments(): readonly SegmentRef[] {
    return this.#segments;
  }

  /** Appends entries with increasing zxids above lastAppendedZxid; not durable until sync(). */
  append(entries: readonly TxnEntry[]): void {
    this.#throwIfFailed();
    if (entries.length === 0) return;
    let last = this.#lastAppendedZxid;
    for (const e of entries) {
      assert(e.zxid > last, `zxid ${e.zxid} appended after ${last}`);
      last = e.zxid;
    }
    const w = this.#encoder;
    w.reset();
    for (const e of entries) writeRecord(w, e);
    if (this.#barrier !== null) {
      this.#held.push({ bytes: w.toBytes(), firstZxid: entries[0].zxid });
    } else {
      this.#guard(() => this.#write(w.view(), entries[0].zxid));
    }
    this.#lastAppendedZxid = last;
    this.#txnsSinceRoll += entries.length;
  }

  /**
   * Resolves when every record appended before this call is durable (group commit). Rejects,
   * for good, if a write or sync failed. While one sync runs, every sync() call joins a
   * single next one, which starts when the running one ends and covers all their records:
   * concurrent callers cost one fdatasync per round, not one each.
   */
  sync(): Promise<void> {
    if (this.#failure !== null) return Promise.reject(this.#failure.error);
    // Held records are written when the barrier lifts; sync them after that.
    if (this.#barrier !== null) return this.#barrier.then(() => this.sync());
    // Join the queued sync even when the running one just ended: its callback has not run
    // yet, and starting another here would push the queued callers back a round, every round.
    if (this.#queued !== null) return this.#queued;
    if (this.#inflight !== null) {
      this.#queued = this.#inflight.then(() => {
        this.#queued = null;
        if (this.#failure !== null) throw this.#failure.error;
        return this.#startSync();
      });
      return this.#queued;
    }
    return this.#startSync();
  }

  #startSync(): Promise<void> {
    assert(this.#inflight === null, "one sync at a time");
    const waits: Promise<void>[] = [];
    if (this.#forceSync) {
      for (const file of this.#unsynced) waits.push(file.sync());
      for (const dir of this.#unsyncedDirs) waits.push(this.#storage.syncDir(dir));
    }
    this.#unsynced.clear();
    this.#unsyncedDirs.clear();
    const retiring = this.#retiring;
    this.#retiring = [];
    const closeRetiring = () => {
      for (const file of retiring) file.close();
    };
    const done = Promise.all(waits).then(closeRetiring, (error) => {
      closeRetiring();
      this.#fail(error);
      throw error;
    });
    this.#inflight = done;
    const settled = () => {
      if (this.#inflight === done) this.#inflight = null;
    };
    done.then(settled, settled);
    return done;
  }

  /** Ends the current segment: the next append starts a new one, named by its zxid. */
  roll(): void {
    this.#throwIfFailed();
    this.#txnsSinceRoll = 0;
    if (this.#barrier !== null) {
      // Writes are held: remember where the segment boundary falls among them.
      if (this.#held.length > 0 && this.#held[this.#held.length - 1] !== "roll") {
        this.#held.push("roll");
      }
      return;
    }
    this.#rollNow();
  }

  /** Closes the files. Await the last sync() first, or unsynced records may be lost. */
  close(): void {
    this.#current?.file.close();
    this.#current = null;
    for (const file of this.#retiring) file.close();
    this.#retiring = [];
    this.#held = [];
  }

  #rollNow(): void {
    const segment = this.#current;
    if (segment === null) return;
    this.#current = null;
    this.#retiring.push(segment.file);
    // The new segment must not be written before the old one is durable.
    if (this.#forceSync) this.#setBarrier(this.sync());
  }

  #setBarrier(until: Promise<void>): void {
    const barrier = until.then(
      () => {
        this.#barrier = null;
        this.#flushHeld();
      },
      (error) => {
        this.#barrier = null;
        this.#fail(error);
        throw error;
      },
    );
    // The failure is recorded and reported by the next append or sync; nobody else awaits
    // the barrier itself, so mark it handled.
    barrier.catch(() => {});
    this.#barrier = barrier;
  }

  #flushHeld(): void {
    while (this.#held.length > 0 && this.#barrier === null && this.#failure === null) {
      const item = this.#held.shift()!;
      if (item === "roll") this.#rollNow();
      else this.#guard(() => this.#write(item.bytes, item.firstZxid));
    }
  }

  #write(bytes: Uint8Array, firstZxid: number): void {
    this.#current ??= this.#openSegment(firstZxid);
    const segment = this.#current;
    this.#ensureAllocated(segment, segment.endBytes + bytes.byteLength);
    segment.file.writeAt(segment.endBytes, bytes);
    segment.endBytes += bytes.byteLength;
    this.#unsynced.add(segment.file);
  }

  #ensureAllocated(segment: OpenSegment, endBytes: number): void {
    const needed = endBytes + PRE_ALLOC_MARGIN_BYTES;
    if (needed <= segment.allocatedBytes) return;
    let size = segment.allocatedBytes;
    while (size < needed) size += this.#preAllocSizeBytes;
    segment.file.truncate(size);
    segment.allocatedBytes = size;
  }

  #openSegment(firstZxid: number): OpenSegment {
    const name = segmentName(firstZxid);
    const ref: SegmentRef = { name, path: `${this.logDir}/${name}`, firstZxid };
    // Recovery removes a last segment left without records, so a clash is a caller bug.
    assert(!this.#storage.exists(ref.path), `log segment ${ref.path} already exists`);
    const file = this.#storage.open(ref.path, { create: true });
    const segment: OpenSegment = { ref, file, endBytes: SEGMENT_HEADER_BYTES, allocatedBytes: 0 };
    this.#ensureAllocated(segment, SEGMENT_HEADER_BYTES);
    file.writeAt(0, encodeSegmentHeader(firstZxid));
    this.#segments.push(ref);
    this.#unsynced.add(file);
    this.#unsyncedDirs.add(this.logDir);
    return segment;
  }

  #guard(write: () => void): void {
    try {
      write();
    } catch (error) {
      this.#fail(error);
      throw error;
    }
  }

  #fail(error: unknown): void {
    this.#failure ??= { error };
    this.#held = [];
  }

  #throwIfFailed(): void {
    if (this.#failure !== null) throw this.#failure.error;
  }
}
