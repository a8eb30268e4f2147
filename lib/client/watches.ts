/**
 * The client's record of the watches it holds, by kind and path, as the Java client's
 * ZKWatchManager keeps it. It decides which watchers a server notification reaches (and drops
 * the one-shot ones it used), and lists every path to re-arm with setWatches after a reconnect:
 * the server forgets a connection's watches when the connection drops (zk-protocol §5.1).
 */

import { EventType, KeeperState, WatcherType } from "../proto/ops.ts";

export interface WatchedEvent {
  /** An EventType value; None (-1) for session state changes. */
  readonly type: number;
  /** A KeeperState value; SyncConnected (3) for every server notification. */
  readonly state: number;
  /** The node's path; null for session state changes. */
  readonly path: string | null;
}

export type Watcher = (event: WatchedEvent) => void;

/**
 * data: getData watch; exist: exists watch (set also when the node is missing); child:
 * getChildren watch; persistent / persistentRecursive: addWatch modes 0 and 1.
 */
export type WatchKind = "data" | "exist" | "child" | "persistent" | "persistentRecursive";

export interface SetWatchesLists {
  data: string[];
  exist: string[];
  child: string[];
  persistent: string[];
  persistentRecursive: string[];
}

type Table = Map<string, Set<Watcher>>;

export class WatchRegistry {
  readonly #tables: Record<WatchKind, Table> = {
    data: new Map(),
    exist: new Map(),
    child: new Map(),
    persistent: new Map(),
    persistentRecursive: new Map(),
  };

  add(kind: WatchKind, path: string, watcher: Watcher): void {
    const table = this.#tables[kind];
    let set = table.get(path);
    if (set === undefined) {
      set = new Set();
      table.set(path, set);
    }
    set.add(watcher);
  }

  /** Number of (kind, path) entries held. */
  get size(): number {
    let n = 0;
    for (const table of Object.values(this.#tables)) n += table.size;
    return n;
  }

  /**
   * The watchers a notification reaches. One-shot watchers are removed; persistent ones stay.
   * A recursive watch on an ancestor sees every event below it except NodeChildrenChanged.
   */
  materialize(type: number, path: string): Set<Watcher> {
    const out = new Set<Watcher>();
    const t = this.#tables;
    const take = (table: Table) => {
      const set = table.get(path);
      if (set === undefined) return;
      table.delete(path);
      for (const w of set) out.add(w);
    };
    switch (type) {
      case EventType.NodeCreated:
      case EventType.NodeDataChanged:
        take(t.data);
        take(t.exist);
        break;
      case EventType.NodeChildrenChanged:
        take(t.child);
        break;
      case EventType.NodeDeleted:
        take(t.data);
        take(t.exist);
        take(t.child);
        break;
      default:
        return out;
    }
    for (const w of t.persistent.get(path) ?? []) out.add(w);
    if (type !== EventType.NodeChildrenChanged) {
      for (const prefix of ancestorsAndSelf(path)) {
        for (const w of t.persistentRecursive.get(prefix) ?? []) out.add(w);
      }
    }
    return out;
  }

  /** Whether a watch of the given WatcherType (1 children, 2 data, 3 any, 4, 5) is held. */
  has(path: string, watcherType: number): boolean {
    return this.#kindsFor(watcherType).some((kind) => this.#tables[kind].has(path));
  }

  /**
   * Drops the local watches of a WatcherType at `path` (after the server agreed to remove
   * them) and returns the event each removed watcher should get, as the Java client reports
   * DataWatchRemoved / ChildWatchRemoved / PersistentWatchRemoved.
   */
  remove(path: string, watcherType: number): Array<[Watcher, WatchedEvent]> {
    const out: Array<[Watcher, WatchedEvent]> = [];
    for (const kind of this.#kindsFor(watcherType)) {
      const set = this.#tables[kind].get(path);
      if (set === undefined) continue;
      this.#tables[kind].delete(path);
      const type = kind === "child"
        ? EventType.ChildWatchRemoved
        : kind === "data" || kind === "exist"
        ? EventType.DataWatchRemoved
        : EventType.PersistentWatchRemoved;
      for (const w of set) out.push([w, { type, state: KeeperState.SyncConnected, path }]);
    }
    return out;
  }

  #kindsFor(watcherType: number): WatchKind[] {
    switch (watcherType) {
      case WatcherType.children:
        return ["child"];
      case WatcherType.data:
        return ["data", "exist"];
      case WatcherType.persistent:
        return ["persistent"];
      case WatcherType.persistentRecursive:
        return ["persistentRecursive"];
      case WatcherType.any:
        return ["data", "exist", "child", "persistent", "persistentRecursive"];
      default:
        return [];
    }
  }

  /** Every watched path by kind, for setWatches / setWatches2 after a reconnect. */
  lists(): SetWatchesLists {
    const t = this.#tables;
    return {
      data: [...t.data.keys()],
      exist: [...t.exist.keys()],
      child: [...t.child.keys()],
      persistent: [...t.persistent.keys()],
      persistentRecursive: [...t.persistentRecursive.keys()],
    };
  }

  /** Forgets every watch (the session is gone). */
  clear(): void {
    for (const table of Object.values(this.#tables)) table.clear();
  }
}

/** "/a/b" -> ["/a/b", "/a", "/"]. */
function ancestorsAndSelf(path: string): string[] {
  const out = [path];
  let p = path;
  while (p.length > 1) {
    const slash = p.lastIndexOf("/");
    p = slash <= 0 ? "/" : p.slice(0, slash);
    out.push(p);
  }
  return out;
}

/**
 * Splits setWatches lists into packets of at most `pathCharsMax` path characters, as the Java
 * client does (128 K per packet), so a client with many watches never sends an oversized frame.
 */
export function splitSetWatches(
  lists: SetWatchesLists,
  pathCharsMax = 128 * 1024,
): SetWatchesLists[] {
  const out: SetWatchesLists[] = [];
  let cur = emptyLists();
  let chars = 0;
  const kinds: Array<keyof SetWatchesLists> = [
    "data",
    "exist",
    "child",
    "persistent",
    "persistentRecursive",
  ];
  for (const kind of kinds) {
    for (const path of lists[kind]) {
      if (chars > 0 && chars + path.length > pathCharsMax) {
        out.push(cur);
        cur = emptyLists();
        chars = 0;
      }
      cur[kind].push(path);
      chars += path.length;
    }
  }
  if (chars > 0) out.push(cur);
  return out;
}

function emptyLists(): SetWatchesLists {
  return { data: [], exist: [], child: [], persistent: [], persistentRecursive: [] };
}
