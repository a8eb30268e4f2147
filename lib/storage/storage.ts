/**
 * The file operations the write-ahead log and the snapshots need, as an interface. The real
 * adapter (deno_storage.ts) is a thin layer over Deno.FsFile; an in-memory implementation
 * (memory_storage.ts) can lose unsynced writes, tear the last write and corrupt reads, so
 * crash recovery is tested through exactly the code the server runs.
 *
 * Reads and writes are synchronous (they hit the page cache); only sync() is asynchronous,
 * so a group commit's fdatasync runs off the event loop while new records keep arriving.
 */

export interface StorageFile {
  readonly path: string;
  /** Current length in bytes (including preallocated zeros). */
  size(): number;
  /** Reads up to `length` bytes at `offset`; shorter at end of file. */
  readAt(offset: number, length: number): Uint8Array;
  /** Writes all of `bytes` at `offset` (not durable until sync()). */
  writeAt(offset: number, bytes: Uint8Array): void;
  /** Sets the length: shrinking drops the tail, growing adds zeros (preallocation). */
  truncate(size: number): void;
  /** Makes every write before this call durable (fdatasync). */
  sync(): Promise<void>;
  close(): void;
}

export interface Storage {
  /** Names (not paths) of the regular files in `dir`; [] if it does not exist. */
  list(dir: string): string[];
  /** Opens a file for reading and writing; `create` makes it if missing. */
  open(path: string, options?: { create?: boolean }): StorageFile;
  exists(path: string): boolean;
  rename(from: string, to: string): void;
  remove(path: string): void;
  mkdirp(dir: string): void;
  /** Makes renames and creations in `dir` durable. */
  syncDir(dir: string): Promise<void>;
}
