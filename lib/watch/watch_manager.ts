/**
 * Watch registrations and triggering, ZooKeeper's model: two tables (data: getData/exists;
 * child: getChildren) mapping a path to the connections watching it, each entry with a set
 * of modes (one-shot, persistent, persistent-recursive; they coexist as in 3.9+). Watches
 * belong to a connection, not a session. trigger() returns who to notify; delivery and the
 * ACL filter are the caller's.
 */

import { WatcherType } from "../proto/ops.ts";

export const Mode = { standard: 1, persistent: 2, recursive: 4 } as const;

export type Table = "data" | "child";

type PathTable = Map<string, Map<number, number>>;

export class WatchManager {
  readonly #data: PathTable = new Map();
  readonly #child: PathTable = new Map();
  /** connId -> paths it watches, per table, so a closing connection is cleared fast. */
  readonly #byConn = new Map<number, { data: Set<string>; child: Set<string> }>();
  /** Number of recursive registrations; when 0, triggers skip the ancestor walk. */
  #recursiveCount = 0;

  #table(t: Table): PathTable {
    return t === "data" ? this.#data : this.#child;
  }

  add(connId: number, path: string, table: Table, mode: number): void {
    const t = this.#table(table);
    let entries = t.get(path);
    if (entries === undefined) t.set(path, entries = new Map());
    const old = entries.get(connId) ?? 0;
    if ((old & mode) === mode) return;
    entries.set(connId, old | mode);
    if ((mode & Mode.recursive) !== 0 && (old & Mode.recursive) === 0) this.#recursiveCount++;
    let idx = this.#byConn.get(connId);
    if (idx === undefined) this.#byConn.set(connId, idx = { data: new Set(), child: new Set() });
    idx[table].add(path);
  }

  /** Clears `clear` mode bits of one entry; returns true if any were set. */
  #clear(connId: number, path: string, table: Table, clear: number): boolean {
    const t = this.#table(table);
    const entries = t.get(path);
    const old = entries?.get(connId);
    if (entries === undefined || old === undefined || (old & clear) === 0) return false;
    const left = old & ~clear;
    if ((old & Mode.recursive) !== 0 && (left & Mode.recursive) === 0) this.#recursiveCount--;
    if (left === 0) {
      entries.delete(connId);
      if (entries.size === 0) t.delete(path);
      this.#byConn.get(connId)?.[table].delete(path);
    } else {
      entries.set(connId, left);
    }
    return true;
  }

  /**
   * Fires one event at `path` in `table`. Every connection with an entry at the path is
   * notified (one-shot entries are consumed); for the data table, so is every connection
   * with a recursive watch on an ancestor. `already` holds connections notified by an
   * earlier table for the same event (a delete fires data then child) and is extended.
   */
  trigger(path: string, table: Table, already: Set<number> = new Set()): Set<number> {
    const t = this.#table(table);
    const entries = t.get(path);
    if (entries !== undefined) {
      for (const [connId, modes] of entries) {
        already.add(connId);
        if ((modes & Mode.standard) !== 0) this.#clear(connId, path, table, Mode.standard);
      }
    }
    if (table === "data" && this.#recursiveCount > 0) {
      let p = path;
      while (p !== "/") {
        const i = p.lastIndexOf("/");
        p = i === 0 ? "/" : p.slice(0, i);
        const up = this.#data.get(p);
        if (up === undefined) continue;
        for (const [connId, modes] of up) {
          if ((modes & Mode.recursive) !== 0) already.add(connId);
        }
      }
    }
    return already;
  }

  has(connId: number, path: string, table: Table, mode: number): boolean {
    return ((this.#table(table).get(path)?.get(connId) ?? 0) & mode) !== 0;
  }

  /**
   * checkWatches / removeWatches matching, by WatcherType. Children and Data match the entry
   * whatever its mode (3.8 clients remove persistent watches this way); Any matches both
   * tables; Persistent and PersistentRecursive match only those modes.
   */
  #matches(type: number): Array<[Table, number]> {
    const all = Mode.standard | Mode.persistent | Mode.recursive;
    switch (type) {
      case WatcherType.children:
        return [["child", all]];
      case WatcherType.data:
        return [["data", all]];
      case WatcherType.any:
        return [["data", all], ["child", all]];
      case WatcherType.persistent:
        return [["data", Mode.persistent], ["child", Mode.persistent]];
      case WatcherType.persistentRecursive:
        return [["data", Mode.recursive]];
      default:
        return [];
    }
  }

  check(connId: number, path: string, type: number): boolean {
    return this.#matches(type).some(([table, mode]) => this.has(connId, path, table, mode));
  }

  remove(connId: number, path: string, type: number): boolean {
    let removed = false;
    for (const [table, mode] of this.#matches(type)) {
      if (this.#clear(connId, path, table, mode)) removed = true;
    }
    return removed;
  }

  /** Drops every watch of a connection (it closed, or its session moved to another). */
  removeConnection(connId: number): void {
    const idx = this.#byConn.get(connId);
    if (idx === undefined) return;
    for (const table of ["data", "child"] as const) {
      for (const path of [...idx[table]]) {
        this.#clear(connId, path, table, Mode.standard | Mode.persistent | Mode.recursive);
      }
    }
    this.#byConn.delete(connId);
  }

  /** Total (connection, path) entries in both tables: zk_watch_count. */
  get count(): number {
    let n = 0;
    for (const e of this.#data.values()) n += e.size;
    for (const e of this.#child.values()) n += e.size;
    return n;
  }

  /** Paths watched by a connection, in the data table (wchc). */
  pathsOf(connId: number, table: Table = "data"): string[] {
    return [...(this.#byConn.get(connId)?.[table] ?? [])];
  }

  /** Path -> watching connections in one table (wchp, wchs). */
  byPath(table: Table = "data"): Map<string, number[]> {
    const out = new Map<string, number[]>();
    for (const [path, entries] of this.#table(table)) out.set(path, [...entries.keys()]);
    return out;
  }

  connectionsWatching(table: Table = "data"): number[] {
    const out: number[] = [];
    for (const [connId, idx] of this.#byConn) if (idx[table].size > 0) out.push(connId);
    return out;
  }
}
