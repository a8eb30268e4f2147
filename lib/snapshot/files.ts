/**
 * Snapshot files in the data directory, through the Storage interface (so the simulator's
 * in-memory storage can lose, tear and corrupt them): `<dataDir>/version-2/snapshot.<zxid
 * hex>`, written to `<name>.tmp`, fsynced, renamed into place and the directory fsynced, so
 * a crash leaves either the previous set of snapshots or the new complete one, never a
 * partial file under a real name. Listing, choosing the newest valid one, and retention.
 *
 * Everything here is synchronous except the two fsyncs, which StorageFile.sync() and
 * Storage.syncDir() return as promises; SnapshotFileWriter.finish() chains them.
 */

import type { Storage, StorageFile } from "../storage/storage.ts";
import type { DataTree } from "../tree/data_tree.ts";
import { assert } from "../util/assert.ts";
import type { SnapshotSession } from "./format.ts";
import { type LoadedSnapshot, loadSnapshot } from "./loader.ts";
import { SnapshotWriter } from "./writer.ts";

/** Subdirectory of dataDir that holds snapshots (ZooKeeper's layout). */
export const SNAPSHOT_SUBDIR = "version-2";
const PREFIX = "snapshot.";
const TEMP_SUFFIX = ".tmp";

export interface SnapshotFileInfo {
  name: string;
  path: string;
  zxid: number;
}

export function snapshotDir(dataDir: string): string {
  return `${dataDir}/${SNAPSHOT_SUBDIR}`;
}

/** `snapshot.<zxid in lowercase hex, no padding>`, as ZooKeeper names them. */
export function snapshotFileName(zxid: number): string {
  return PREFIX + zxid.toString(16);
}

/** The zxid in a snapshot file name, or null for any other name (temp files included). */
export function parseSnapshotFileName(name: string): number | null {
  if (!name.startsWith(PREFIX)) return null;
  const hex = name.slice(PREFIX.length);
  if (!/^[0-9a-f]{1,13}$/.test(hex)) return null;
  return parseInt(hex, 16);
}

/** Snapshot files in the data directory, newest (highest zxid) first. */
export function listSnapshots(storage: Storage, dataDir: string): SnapshotFileInfo[] {
  const dir = snapshotDir(dataDir);
  const out: SnapshotFileInfo[] = [];
  for (const name of storage.list(dir)) {
    const zxid = parseSnapshotFileName(name);
    if (zxid !== null) out.push({ name, path: `${dir}/${name}`, zxid });
  }
  return out.sort((a, b) => b.zxid - a.zxid);
}

/**
 * Retention (autopurge.snapRetainCount): the snapshots to delete from a newest-first list,
 * keeping the newest `retainCount`. The WAL may drop segments that end before the oldest
 * kept snapshot's zxid.
 */
export function snapshotsToPurge(
  list: readonly SnapshotFileInfo[],
  retainCount: number,
): SnapshotFileInfo[] {
  assert(retainCount >= 1, `snapshot retain count ${retainCount} must be at least 1`);
  for (let i = 1; i < list.length; i++) {
    assert(list[i - 1].zxid >= list[i].zxid, "snapshotsToPurge: list must be newest first");
  }
  return list.slice(retainCount);
}

export interface SnapshotChoice {
  /** The newest snapshot that loaded cleanly, or null if none did (or there are none). */
  found: { file: SnapshotFileInfo; snapshot: LoadedSnapshot } | null;
  /** Newer snapshots that failed to load, newest first, for the caller to log. */
  rejected: { file: SnapshotFileInfo; error: Error }[];
}

/** Loads snapshots newest first until one is valid (ZooKeeper's startup rule). */
export function newestValidSnapshot(storage: Storage, dataDir: string): SnapshotChoice {
  const rejected: SnapshotChoice["rejected"] = [];
  for (const file of listSnapshots(storage, dataDir)) {
    let f: StorageFile | null = null;
    try {
      f = storage.open(file.path);
      const snapshot = loadSnapshot(f, file.path);
      if (snapshot.zxid !== file.zxid) {
        throw new Error(
          `snapshot ${file.path}: holds zxid 0x${snapshot.zxid.toString(16)}, not its name's`,
        );
      }
      return { found: { file, snapshot }, rejected };
    } catch (e) {
      rejected.push({ file, error: e instanceof Error ? e : new Error(String(e)) });
    } finally {
      f?.close();
    }
  }
  return { found: null, rejected };
}

/**
 * Temp files left by a crash in the middle of writing a snapshot. Remove them at startup,
 * before any snapshot is being written.
 */
export function staleTempSnapshots(storage: Storage, dataDir: string): string[] {
  const dir = snapshotDir(dataDir);
  return storage.list(dir)
    .filter((n) => n.startsWith(PREFIX) && n.endsWith(TEMP_SUFFIX))
    .map((n) => `${dir}/${n}`);
}

/**
 * Writes one snapshot file: the constructor creates (or empties) the temp file, write()
 * appends a slice synchronously, finish() fsyncs the file, renames it into place and fsyncs
 * the directory, resolving with the final path. The caller awaits finish() and nothing else;
 * abort() drops the temp file instead.
 */
export class SnapshotFileWriter {
  readonly tempPath: string;
  readonly finalPath: string;
  readonly #storage: Storage;
  readonly #dir: string;
  readonly #file: StorageFile;
  #size = 0;
  #state: "writing" | "finishing" | "done" | "aborted" = "writing";

  constructor(storage: Storage, dataDir: string, zxid: number) {
    this.#storage = storage;
    this.#dir = snapshotDir(dataDir);
    this.finalPath = `${this.#dir}/${snapshotFileName(zxid)}`;
    this.tempPath = this.finalPath + TEMP_SUFFIX;
    storage.mkdirp(this.#dir);
    this.#file = storage.open(this.tempPath, { create: true });
    this.#file.truncate(0);
  }

  /** Bytes written so far. */
  get size(): number {
    return this.#size;
  }

  write(chunk: Uint8Array): void {
    assert(this.#state === "writing", `snapshot ${this.tempPath}: write after ${this.#state}`);
    this.#file.writeAt(this.#size, chunk);
    this.#size += chunk.byteLength;
  }

  /**
   * Makes what was written so far durable. The server calls it every few MiB: on ext4 a
   * write-ahead log fsync also waits for other files' dirty pages, so one fsync of a whole
   * 200 MB snapshot at the end would stall write requests for tens of ms.
   */
  flushWritten(): Promise<void> {
    assert(this.#state === "writing", `snapshot ${this.tempPath}: flush after ${this.#state}`);
    return this.#file.sync();
  }

  /** fsync, close, rename to the final name, fsync the directory. */
  finish(): Promise<string> {
    assert(this.#state === "writing", `snapshot ${this.tempPath}: finish after ${this.#state}`);
    this.#state = "finishing";
    return this.#file.sync()
      .then(() => {
        this.#file.close();
        this.#storage.rename(this.tempPath, this.finalPath);
        return this.#storage.syncDir(this.#dir);
      })
      .then(() => {
        this.#state = "done";
        return this.finalPath;
      }, (e) => {
        this.abort();
        throw e;
      });
  }

  /** Closes and deletes the temp file (a failed or abandoned snapshot). */
  abort(): void {
    if (this.#state === "done" || this.#state === "aborted") return;
    this.#state = "aborted";
    this.#file.close();
    try {
      if (this.#storage.exists(this.tempPath)) this.#storage.remove(this.tempPath);
    } catch { /* best effort: startup removes stale temp files too */ }
  }
}

/**
 * Writes a whole snapshot in one synchronous pass, then makes it durable. For startup (the
 * fresh snapshot after recovery), tools and tests; the server slices a SnapshotWriter across
 * event-loop turns instead.
 */
export function saveSnapshot(
  storage: Storage,
  dataDir: string,
  tree: DataTree,
  sessions: Iterable<Readonly<SnapshotSession>>,
): Promise<string> {
  const writer = new SnapshotWriter(tree, sessions);
  const file = new SnapshotFileWriter(storage, dataDir, writer.zxid);
  try {
    for (let s = writer.nextSlice(65536); s !== null; s = writer.nextSlice(65536)) file.write(s);
  } catch (e) {
    file.abort();
    throw e;
  }
  return file.finish();
}
