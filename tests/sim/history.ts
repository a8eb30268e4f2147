/**
 * The committed history as seen from outside the members: the one sequence of entries every
 * member must apply, built from what members apply, plus a reference tree that replays it.
 *
 * A member that applies an entry right after `prev` must apply exactly the entry the history
 * has after `prev` (same bytes), or, when it is the first to go past the history's head,
 * extend it. That single rule checks agreement (no two members commit different entries at a
 * zxid, no member skips one) and durability (an entry some member applied can never be
 * replaced by another: whoever applies next must apply it). The reference tree's digest after
 * every zxid lets a member's whole tree be compared at the zxid it has applied, and its node
 * states let a read be checked against the state as of the reply's zxid.
 */

import type { Stat } from "../../lib/proto/records.ts";
import { DataTree } from "../../lib/tree/data_tree.ts";
import { treeDigest } from "../../lib/tree/digest.ts";
import { kindOf } from "../../lib/tree/node_kind.ts";
import { parentOf } from "../../lib/tree/path.ts";
import type { Txn, TxnEntry } from "../../lib/tree/txn.ts";
import { encodeTxnEntry } from "../../lib/wal/txn_codec.ts";

/** A checked property does not hold: the run stops and prints its seed. */
export class Violation extends Error {
  override name = "Violation";
}

export function fail(message: string): never {
  throw new Violation(message);
}

export function hex(zxid: number): string {
  return "0x" + zxid.toString(16);
}

export function sid(id: bigint): string {
  return "0x" + BigInt.asUintN(64, id).toString(16);
}

/** A znode as a client could see it at some zxid (null: it did not exist). */
export interface NodeView {
  data: Uint8Array | null;
  stat: Stat;
  children: string[];
}

/** A client's one-shot watch, armed by a read answered at `armedZxid`. */
export interface WatchProgress {
  path: string;
  table: "data" | "child";
  armedZxid: number;
  /** History.watchFires' cursor. */
  next: number;
  fires: { zxid: number; type: number } | null;
}

interface Committed {
  entry: TxnEntry;
  bytes: Uint8Array;
  /** Position in the chain. */
  index: number;
  digest: bigint;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

function describe(e: TxnEntry): string {
  const t = e.txn;
  const what = "path" in t ? `${t.type} ${t.path}` : t.type === "error" ? `error ${t.err}` : t.type;
  return `${hex(e.zxid)} session ${sid(e.sessionId)} cxid ${e.cxid} ${what}`;
}

/** Paths whose client-visible state a txn may change (the node and its parent). */
function touched(txn: Txn, out: Set<string>): void {
  switch (txn.type) {
    case "create":
    case "delete":
      out.add(txn.path);
      out.add(parentOf(txn.path));
      return;
    case "setData":
    case "setACL":
      out.add(txn.path);
      return;
    case "closeSession":
      for (const p of txn.paths) {
        out.add(p);
        out.add(parentOf(p));
      }
      return;
    case "multi":
      for (const t of txn.txns) touched(t, out);
      return;
    default:
      return;
  }
}

export class History {
  /** The reference state: the history replayed by the same apply path as the members. */
  readonly ref = new DataTree();
  readonly #chain: number[] = [0];
  readonly #committed = new Map<number, Committed>();
  readonly #genesisDigest: bigint;
  readonly #views = new Map<string, Array<{ zxid: number; view: NodeView | null }>>();
  /** Per path, the txns whose apply fired a watch trigger: the first event type per table. */
  readonly #triggers = new Map<
    string,
    Array<{ zxid: number; data: number | null; child: number | null }>
  >();
  /** Session id -> zxid of its createSession / closeSession. */
  readonly sessionsCreated = new Map<bigint, number>();
  readonly sessionsClosed = new Map<bigint, number>();

  constructor() {
    this.#genesisDigest = treeDigest(this.ref);
  }

  get head(): number {
    return this.#chain[this.#chain.length - 1];
  }

  get length(): number {
    return this.#chain.length - 1;
  }

  has(zxid: number): boolean {
    return zxid === 0 || this.#committed.has(zxid);
  }

  entry(zxid: number): TxnEntry | undefined {
    return this.#committed.get(zxid)?.entry;
  }

  /** Digest of the reference tree right after `zxid` was applied (undefined: not committed). */
  digestAt(zxid: number): bigint | undefined {
    return zxid === 0 ? this.#genesisDigest : this.#committed.get(zxid)?.digest;
  }

  /** `who` applied `entry` right after applying `prev` (or loading a state at `prev`). */
  applied(who: string, prev: number, entry: TxnEntry): void {
    const bytes = encodeTxnEntry(entry);
    const known = this.#committed.get(entry.zxid);
    if (known !== undefined) {
      if (!bytesEqual(known.bytes, bytes)) {
        fail(
          `${who} applied ${describe(entry)} but ${hex(entry.zxid)} was committed as ` +
            describe(known.entry),
        );
      }
      const before = this.#chain[known.index - 1];
      if (before !== prev) {
        fail(
          `${who} applied ${hex(entry.zxid)} after ${hex(prev)}, but in the committed history ` +
            `${hex(before)} comes before it`,
        );
      }
      return;
    }
    if (prev !== this.head) {
      const next = this.#chain[(this.#committed.get(prev)?.index ?? 0) + 1];
      fail(
        `${who} applied ${describe(entry)} after ${hex(prev)}, but the committed history has ` +
          (next !== undefined ? `${hex(next)} there` : `no ${hex(prev)}`) +
          ` (head ${hex(this.head)}): a committed entry was lost or replaced`,
      );
    }
    if (entry.zxid <= prev) fail(`${who} applied ${hex(entry.zxid)} after ${hex(prev)}`);
    this.#extend(entry, bytes);
  }

  #extend(entry: TxnEntry, bytes: Uint8Array): void {
    const ref = this.ref;
    const fired = new Map<string, { zxid: number; data: number | null; child: number | null }>();
    for (const t of ref.apply(entry).triggers) {
      let f = fired.get(t.path);
      if (f === undefined) fired.set(t.path, f = { zxid: entry.zxid, data: null, child: null });
      if (t.table !== "child") f.data ??= t.type;
      if (t.table !== "data") f.child ??= t.type;
    }
    for (const [path, f] of fired) {
      let log = this.#triggers.get(path);
      if (log === undefined) this.#triggers.set(path, log = []);
      log.push(f);
    }
    const txn = entry.txn;
    if (txn.type === "createSession") {
      if (this.sessionsCreated.has(entry.sessionId)) {
        fail(`session ${sid(entry.sessionId)} created twice (again at ${hex(entry.zxid)})`);
      }
      this.sessionsCreated.set(entry.sessionId, entry.zxid);
    } else if (txn.type === "closeSession" && this.sessionsCreated.has(entry.sessionId)) {
      if (!this.sessionsClosed.has(entry.sessionId)) {
        this.sessionsClosed.set(entry.sessionId, entry.zxid);
      }
      const left = ref.ephemerals.get(entry.sessionId);
      if (left !== undefined && left.size > 0) {
        fail(
          `closeSession ${sid(entry.sessionId)} at ${hex(entry.zxid)} left its ephemerals ` +
            [...left].join(", "),
        );
      }
    }
    for (const [owner, paths] of ref.ephemerals) {
      if (paths.size === 0 || kindOf(owner) !== "ephemeral") continue;
      if (!this.sessionsCreated.has(owner) || this.sessionsClosed.has(owner)) {
        fail(
          `after ${describe(entry)}: ephemerals ${[...paths].join(", ")} owned by session ` +
            `${sid(owner)}, which ${
              this.sessionsClosed.has(owner) ? "is closed" : "never existed"
            }`,
        );
      }
    }
    const paths = new Set<string>();
    touched(txn, paths);
    for (const path of paths) {
      const node = ref.get(path);
      const view: NodeView | null = node === undefined ? null : {
        data: node.data === null ? null : node.data.slice(),
        stat: node.stat(),
        children: node.children === null ? [] : [...node.children].sort(),
      };
      let log = this.#views.get(path);
      if (log === undefined) this.#views.set(path, log = []);
      log.push({ zxid: entry.zxid, view });
    }
    this.#chain.push(entry.zxid);
    this.#committed.set(entry.zxid, {
      entry,
      bytes,
      index: this.#chain.length - 1,
      digest: treeDigest(ref),
    });
  }

  /**
   * Advances `w` to the first committed txn after `w.armedZxid` whose apply triggers a watch
   * of its table on its path (the reference tree's triggers: the same rules the members fire
   * by, so what is checked is the delivery). Resumes where the last call stopped.
   */
  watchFires(w: WatchProgress): { zxid: number; type: number } | null {
    if (w.fires !== null) return w.fires;
    const log = this.#triggers.get(w.path) ?? [];
    if (w.next < 0) {
      let i = 0;
      while (i < log.length && log[i].zxid <= w.armedZxid) i++;
      w.next = i;
    }
    for (; w.next < log.length; w.next++) {
      const t = log[w.next];
      const type = w.table === "data" ? t.data : t.child;
      if (type !== null) {
        w.fires = { zxid: t.zxid, type };
        return w.fires;
      }
    }
    return null;
  }

  /**
   * The node at `path` as of `zxid` (after applying it), for paths created by the workload;
   * undefined if `zxid` is not committed.
   */
  viewAt(path: string, zxid: number): NodeView | null | undefined {
    if (!this.has(zxid)) return undefined;
    const log = this.#views.get(path);
    if (log === undefined || log.length === 0 || log[0].zxid > zxid) return null;
    let lo = 0;
    let hi = log.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (log[mid].zxid <= zxid) lo = mid;
      else hi = mid - 1;
    }
    return log[lo].view;
  }
}
