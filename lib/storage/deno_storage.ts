/** Storage on the real file system through Deno.FsFile (the only file here that does I/O). */

import type { Storage, StorageFile } from "./storage.ts";

class DenoFile implements StorageFile {
  readonly path: string;
  readonly #file: Deno.FsFile;

  constructor(path: string, file: Deno.FsFile) {
    this.path = path;
    this.#file = file;
  }

  size(): number {
    return this.#file.statSync().size;
  }

  readAt(offset: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    this.#file.seekSync(offset, Deno.SeekMode.Start);
    let got = 0;
    while (got < length) {
      const n = this.#file.readSync(out.subarray(got));
      if (n === null || n === 0) break;
      got += n;
    }
    return got === length ? out : out.subarray(0, got);
  }

  writeAt(offset: number, bytes: Uint8Array): void {
    this.#file.seekSync(offset, Deno.SeekMode.Start);
    let done = 0;
    while (done < bytes.byteLength) done += this.#file.writeSync(bytes.subarray(done));
  }

  truncate(size: number): void {
    this.#file.truncateSync(size);
  }

  sync(): Promise<void> {
    return this.#file.syncData();
  }

  close(): void {
    try {
      this.#file.close();
    } catch { /* already closed */ }
  }
}

export class DenoStorage implements Storage {
  list(dir: string): string[] {
    try {
      return [...Deno.readDirSync(dir)].filter((e) => e.isFile).map((e) => e.name);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return [];
      throw e;
    }
  }

  open(path: string, options: { create?: boolean } = {}): StorageFile {
    const file = Deno.openSync(path, { read: true, write: true, create: options.create ?? false });
    return new DenoFile(path, file);
  }

  exists(path: string): boolean {
    try {
      Deno.statSync(path);
      return true;
    } catch {
      return false;
    }
  }

  rename(from: string, to: string): void {
    Deno.renameSync(from, to);
  }

  remove(path: string): void {
    Deno.removeSync(path);
  }

  mkdirp(dir: string): void {
    Deno.mkdirSync(dir, { recursive: true });
  }

  async syncDir(dir: string): Promise<void> {
    const d = await Deno.open(dir, { read: true });
    try {
      await d.sync();
    } finally {
      d.close();
    }
  }
}
