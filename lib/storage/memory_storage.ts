/**
 * Storage in memory, deterministic, with the faults a crash can cause, so recovery is tested
 * (and later simulated) through exactly the code the server runs.
 *
 * The model: a file's content is what reads see; its durable content is what survives a
 * crash. Writes and truncates change the content at once and the durable content only when a
 * sync() issued after them completes. Directory entries work the same way: creating, renaming
 * or removing a file changes what list()/open() see at once, and what survives a crash only
 * once syncDir() on that directory completes (a synced file whose new name was never synced
 * is lost, as on a real file system).
 *
 * Faults:
 * - crash(): every unsynced change is lost. With a seeded Random, a random prefix of each
 *   file's (and directory's) unsynced changes survives instead, the last write possibly cut
 *   short at a random byte: a torn write. The crashed handle and its files stop working (so
 *   leftover callbacks of the "dead process" cannot write); crash() returns the new handle.
 * - corruptByte(): flips bits of stored bytes, durable copy included (media damage).
 * - failNextSync(): the next sync of a file rejects (an EIO from fdatasync); a crash first
 *   forgets it (it was meant for the process that crashed).
 * - manualSync: syncs stay pending until completeSyncs(), so a test can crash while an
 *   fdatasync is "in flight" and see that nothing it covered is promised.
 *
 * Simplifications: directories themselves (mkdirp) are durable at once; renames are atomic
 * within one directory, and a rename across directories is an unlink plus a link.
 */

import { assert } from "../util/assert.ts";
import { type Random, randomBelow } from "../util/random.ts";
import type { Storage, StorageFile } from "./storage.ts";

/** A byte array with a logical size; bytes beyond the size are always zero. */
class Bytes {
  #buf: Uint8Array;
  size: number;

  constructor(buf = new Uint8Array(0), size = buf.byteLength) {
    this.#buf = buf;
    this.size = size;
  }

  clone(): Bytes {
    return new Bytes(this.#buf.slice(0, this.size), this.size);
  }

  read(offset: number, length: number): Uint8Array {
    const end = Math.min(this.size, offset + length);
    return offset >= end ? new Uint8Array(0) : this.#buf.slice(offset, end);
  }

  write(offset: number, bytes: Uint8Array): void {
    this.#reserve(offset + bytes.byteLength);
    this.#buf.set(bytes, offset);
    this.size = Math.max(this.size, offset + bytes.byteLength);
  }

  truncate(size: number): void {
    if (size < this.size) this.#buf.fill(0, size, this.size);
    else this.#reserve(size);
    this.size = size;
  }

  xor(offset: number, mask: number): void {
    if (offset < this.size) this.#buf[offset] ^= mask;
  }

  #reserve(capacity: number): void {
    if (capacity <= this.#buf.byteLength) return;
    const grown = new Uint8Array(Math.max(capacity, this.#buf.byteLength * 2));
    grown.set(this.#buf.subarray(0, this.size));
    this.#buf = grown;
  }
}

type FileChange = { kind: "write"; offset: number; bytes: Uint8Array } | {
  kind: "truncate";
  size: number;
};

interface Inode {
  content: Bytes;
  durable: Bytes;
  /** Changes not yet durable, oldest first, with increasing sequence numbers. */
  unsynced: Array<{ seq: number; change: FileChange }>;
  nextSeq: number;
  failNextSync: boolean;
}

type DirChange =
  | { kind: "link"; name: string; inode: Inode }
  | { kind: "unlink"; name: string }
  | { kind: "rename"; from: string; to: string; inode: Inode };

interface Dir {
  entries: Map<string, Inode>;
  durable: Map<string, Inode>;
  unsynced: Array<{ seq: number; change: DirChange }>;
  nextSeq: number;
}

interface PendingSync {
  complete(): void;
}

/** What survives a crash, shared by the storage handles of successive "processes". */
interface Disk {
  dirs: Map<string, Dir>;
  manualSync: boolean;
  pending: PendingSync[];
  /** Bumped by crash(): handles (storage and files) of an older generation are dead. */
  generation: number;
  fileSyncCount: number;
  dirSyncCount: number;
}

export interface MemoryStorageOptions {
  /** Syncs stay pending until completeSyncs() (default: they complete at once). */
  manualSync?: boolean;
}

/** Set only while crash() makes the next process's handle onto an existing disk. */
let attaching: Disk | null = null;

export class MemoryStorage implements Storage {
  readonly #disk: Disk;
  readonly #generation: number;

  constructor(options: MemoryStorageOptions = {}) {
    if (attaching !== null) {
      this.#disk = attaching;
      this.#generation = attaching.generation;
      return;
    }
    this.#disk = {
      dirs: new Map(),
      manualSync: options.manualSync ?? false,
      pending: [],
      generation: 0,
      fileSyncCount: 0,
      dirSyncCount: 0,
    };
    this.#generation = 0;
    this.mkdirp("/");
    this.mkdirp(".");
  }

  // ------------------------------------------------------------------ Storage

  list(dir: string): string[] {
    this.#live();
    const d = this.#disk.dirs.get(normalize(dir));
    return d === undefined ? [] : [...d.entries.keys()].sort();
  }

  open(path: string, options: { create?: boolean } = {}): StorageFile {
    this.#live();
    const p = normalize(path);
    const [dirPath, name] = split(p);
    const dir = this.#dir(dirPath);
    let inode = dir.entries.get(name);
    if (inode === undefined) {
      if (!(options.create ?? false)) throw new Error(`no such file: ${p}`);
      inode = {
        content: new Bytes(),
        durable: new Bytes(),
        unsynced: [],
        nextSeq: 0,
        failNextSync: false,
      };
      dirChange(dir, { kind: "link", name, inode });
    }
    const node = inode;
    return new MemoryFile(p, inode, {
      check: () => this.#live(),
      sync: () => this.#syncFile(node, p),
    });
  }

  exists(path: string): boolean {
    this.#live();
    const p = normalize(path);
    if (this.#disk.dirs.has(p)) return true;
    const [dirPath, name] = split(p);
    return this.#disk.dirs.get(dirPath)?.entries.has(name) ?? false;
  }

  rename(from: string, to: string): void {
    this.#live();
    const [fromDirPath, fromName] = split(normalize(from));
    const [toDirPath, toName] = split(normalize(to));
    const fromDir = this.#dir(fromDirPath);
    const inode = fromDir.entries.get(fromName);
    if (inode === undefined) throw new Error(`no such file: ${from}`);
    if (fromDirPath === toDirPath) {
      dirChange(fromDir, { kind: "rename", from: fromName, to: toName, inode });
    } else {
      const toDir = this.#dir(toDirPath);
      dirChange(fromDir, { kind: "unlink", name: fromName });
      dirChange(toDir, { kind: "link", name: toName, inode });
    }
  }

  remove(path: string): void {
    this.#live();
    const [dirPath, name] = split(normalize(path));
    const dir = this.#dir(dirPath);
    if (!dir.entries.has(name)) throw new Error(`no such file: ${path}`);
    dirChange(dir, { kind: "unlink", name });
  }

  mkdirp(dir: string): void {
    this.#live();
    const dirs = this.#disk.dirs;
    let p = normalize(dir);
    while (!dirs.has(p)) {
      dirs.set(p, { entries: new Map(), durable: new Map(), unsynced: [], nextSeq: 0 });
      if (p === "/" || !p.includes("/")) break;
      p = split(p)[0];
    }
  }

  syncDir(dir: string): Promise<void> {
    this.#live();
    const d = this.#dir(normalize(dir));
    const upTo = d.nextSeq;
    return this.#schedule(() => {
      while (d.unsynced.length > 0 && d.unsynced[0].seq < upTo) {
        applyDirChange(d.durable, d.unsynced.shift()!.change);
      }
      this.#disk.dirSyncCount++;
    });
  }

  // ------------------------------------------------------------------ faults and inspection

  /**
   * A power cut: unsynced changes are lost; with `random`, a random prefix of each file's and
   * directory's unsynced changes survives, the last surviving write possibly torn. Pending
   * syncs never complete. This handle and every file opened through it go dead, so code of
   * the "crashed process" still holding them (a pending promise callback) cannot write on;
   * the returned handle is the restarted process's view of the same disk.
   */
  crash(options: { random?: Random } = {}): MemoryStorage {
    this.#live();
    const disk = this.#disk;
    const random = options.random;
    disk.pending = [];
    disk.generation++;
    const inodes = new Set<Inode>();
    for (const dir of disk.dirs.values()) {
      for (const inode of dir.entries.values()) inodes.add(inode);
      for (const inode of dir.durable.values()) inodes.add(inode);
      for (const { change } of dir.unsynced) if (change.kind !== "unlink") inodes.add(change.inode);
    }
    for (const inode of inodes) {
      if (random !== undefined && inode.unsynced.length > 0) {
        const kept = randomBelow(random, inode.unsynced.length + 1);
        for (let i = 0; i < kept; i++) applyFileChange(inode.durable, inode.unsynced[i].change);
        const torn = inode.unsynced[kept]?.change;
        if (torn?.kind === "write") {
          const keptBytes = randomBelow(random, torn.bytes.byteLength);
          inode.durable.write(torn.offset, torn.bytes.subarray(0, keptBytes));
        }
      }
      inode.unsynced = [];
      inode.content = inode.durable.clone();
      // An injected sync failure belongs to the process that was to see it.
      inode.failNextSync = false;
    }
    for (const dir of disk.dirs.values()) {
      if (random !== undefined && dir.unsynced.length > 0) {
        const kept = randomBelow(random, dir.unsynced.length + 1);
        for (let i = 0; i < kept; i++) applyDirChange(dir.durable, dir.unsynced[i].change);
      }
      dir.unsynced = [];
      dir.entries = new Map(dir.durable);
    }
    attaching = disk;
    try {
      return new MemoryStorage();
    } finally {
      attaching = null;
    }
  }

  /** XORs the stored byte at `offset` (content and durable copy) with `mask`. */
  corruptByte(path: string, offset: number, mask = 0xff): void {
    const inode = this.#inode(path);
    assert(offset < inode.content.size, `offset ${offset} beyond ${path}`);
    inode.content.xor(offset, mask);
    inode.durable.xor(offset, mask);
  }

  /** The next sync() of this file rejects, and makes nothing durable (unless a crash comes first). */
  failNextSync(path: string): void {
    this.#inode(path).failNextSync = true;
  }

  /** Completes the pending syncs (manualSync), oldest first. Returns how many. */
  completeSyncs(): number {
    const pending = this.#disk.pending;
    this.#disk.pending = [];
    for (const p of pending) p.complete();
    return pending.length;
  }

  get pendingSyncCount(): number {
    return this.#disk.pending.length;
  }

  /** File syncs completed so far (a test can count fdatasyncs per group commit). */
  get fileSyncCount(): number {
    return this.#disk.fileSyncCount;
  }

  get dirSyncCount(): number {
    return this.#disk.dirSyncCount;
  }

  /** What a read of the whole file sees now. */
  contentOf(path: string): Uint8Array {
    const bytes = this.#inode(path).content;
    return bytes.read(0, bytes.size);
  }

  /** What would survive a crash now. */
  durableContentOf(path: string): Uint8Array {
    const bytes = this.#inode(path).durable;
    return bytes.read(0, bytes.size);
  }

  #live(): void {
    if (this.#generation !== this.#disk.generation) {
      throw new Error("storage handle of a crashed process (use the one crash() returned)");
    }
  }

  #syncFile(inode: Inode, path: string): Promise<void> {
    if (inode.failNextSync) {
      inode.failNextSync = false;
      return Promise.reject(new Error(`injected sync failure: ${path}`));
    }
    const upTo = inode.nextSeq;
    return this.#schedule(() => {
      while (inode.unsynced.length > 0 && inode.unsynced[0].seq < upTo) {
        applyFileChange(inode.durable, inode.unsynced.shift()!.change);
      }
      this.#disk.fileSyncCount++;
    });
  }

  /** Runs `complete` now, or when completeSyncs() is called; resolves after it ran. */
  #schedule(complete: () => void): Promise<void> {
    if (!this.#disk.manualSync) {
      complete();
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      this.#disk.pending.push({
        complete: () => {
          complete();
          resolve();
        },
      });
    });
  }

  #dir(path: string): Dir {
    const dir = this.#disk.dirs.get(path);
    if (dir === undefined) throw new Error(`no such directory: ${path}`);
    return dir;
  }

  #inode(path: string): Inode {
    const [dirPath, name] = split(normalize(path));
    const inode = this.#disk.dirs.get(dirPath)?.entries.get(name);
    if (inode === undefined) throw new Error(`no such file: ${path}`);
    return inode;
  }
}

/** What a handle needs from its storage: is it still alive, and how to sync its inode. */
interface FileHooks {
  check(): void;
  sync(): Promise<void>;
}

class MemoryFile implements StorageFile {
  readonly path: string;
  readonly #inode: Inode;
  readonly #hooks: FileHooks;
  #closed = false;

  constructor(path: string, inode: Inode, hooks: FileHooks) {
    this.path = path;
    this.#inode = inode;
    this.#hooks = hooks;
  }

  size(): number {
    this.#check();
    return this.#inode.content.size;
  }

  readAt(offset: number, length: number): Uint8Array {
    this.#check();
    return this.#inode.content.read(offset, length);
  }

  writeAt(offset: number, bytes: Uint8Array): void {
    this.#check();
    this.#change({ kind: "write", offset, bytes: bytes.slice() });
  }

  truncate(size: number): void {
    this.#check();
    this.#change({ kind: "truncate", size });
  }

  sync(): Promise<void> {
    this.#check();
    return this.#hooks.sync();
  }

  close(): void {
    this.#closed = true;
  }

  #change(change: FileChange): void {
    applyFileChange(this.#inode.content, change);
    this.#inode.unsynced.push({ seq: this.#inode.nextSeq++, change });
  }

  #check(): void {
    if (this.#closed) throw new Error(`file closed: ${this.path}`);
    this.#hooks.check();
  }
}

function applyFileChange(bytes: Bytes, change: FileChange): void {
  if (change.kind === "write") bytes.write(change.offset, change.bytes);
  else bytes.truncate(change.size);
}

function dirChange(dir: Dir, change: DirChange): void {
  applyDirChange(dir.entries, change);
  dir.unsynced.push({ seq: dir.nextSeq++, change });
}

function applyDirChange(entries: Map<string, Inode>, change: DirChange): void {
  switch (change.kind) {
    case "link":
      entries.set(change.name, change.inode);
      return;
    case "unlink":
      entries.delete(change.name);
      return;
    case "rename":
      entries.delete(change.from);
      entries.set(change.to, change.inode);
      return;
  }
}

/** Collapses repeated slashes and drops a trailing one: "/a//b/" -> "/a/b". */
function normalize(path: string): string {
  const p = path.replace(/\/+/g, "/");
  return p.length > 1 && p.endsWith("/") ? p.slice(0, -1) : p;
}

/** "/a/b" -> ["/a", "b"]; "/b" -> ["/", "b"]; "b" -> [".", "b"]. */
function split(path: string): [string, string] {
  const i = path.lastIndexOf("/");
  if (i === -1) return [".", path];
  return [i === 0 ? "/" : path.slice(0, i), path.slice(i + 1)];
}
