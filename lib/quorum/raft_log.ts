/**
 * The in-memory tail of the replicated log: entries after `baseZxid` (the zxid the newest
 * snapshot covers, or 0), sorted by zxid. Entries are identified by zxid alone: a zxid
 * carries the term of the leader that created it and one leader per term hands out each
 * counter once, so two logs holding the same zxid hold the same entry (Raft's log matching,
 * with (term, index) folded into one number).
 */

import type { TxnEntry } from "../tree/txn.ts";
import { assert } from "../util/assert.ts";

export class RaftLog {
  #base: number;
  #entries: TxnEntry[] = [];
  /** Entries before this position were compacted away (shifted out lazily). */
  #start = 0;

  constructor(baseZxid: number, entries: readonly TxnEntry[] = []) {
    this.#base = baseZxid;
    for (const e of entries) this.append(e);
  }

  get baseZxid(): number {
    return this.#base;
  }

  get lastZxid(): number {
    const n = this.#entries.length;
    return n > this.#start ? this.#entries[n - 1].zxid : this.#base;
  }

  get length(): number {
    return this.#entries.length - this.#start;
  }

  /** Position of `zxid` among the live entries, or -1. */
  #find(zxid: number): number {
    let lo = this.#start;
    let hi = this.#entries.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const z = this.#entries[mid].zxid;
      if (z === zxid) return mid;
      if (z < zxid) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** Position of the first live entry with a zxid greater than `zxid`. */
  #firstAfter(zxid: number): number {
    let lo = this.#start;
    let hi = this.#entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#entries[mid].zxid <= zxid) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** True if the log holds `zxid` (the base counts: it is covered by the snapshot). */
  has(zxid: number): boolean {
    return zxid === this.#base || this.#find(zxid) >= 0;
  }

  get(zxid: number): TxnEntry | undefined {
    const i = this.#find(zxid);
    return i < 0 ? undefined : this.#entries[i];
  }

  /** The largest zxid held (base included) that is <= `zxid`, or -1 if below the base. */
  floor(zxid: number): number {
    if (zxid < this.#base) return -1;
    const i = this.#firstAfter(zxid) - 1;
    return i >= this.#start ? this.#entries[i].zxid : this.#base;
  }

  /** Up to `max` entries after `zxid`, in order. */
  after(zxid: number, max: number): TxnEntry[] {
    const from = this.#firstAfter(zxid);
    return this.#entries.slice(from, Math.min(this.#entries.length, from + max));
  }

  /** How many entries come after `zxid`. */
  countAfter(zxid: number): number {
    return this.#entries.length - this.#firstAfter(zxid);
  }

  /** The zxid of the entry that has `n` entries after it (the base if there is none). */
  zxidBeforeLast(n: number): number {
    const i = this.#entries.length - 1 - n;
    return i >= this.#start ? this.#entries[i].zxid : this.#base;
  }

  append(entry: TxnEntry): void {
    assert(
      entry.zxid > this.lastZxid,
      `log append out of order: ${entry.zxid} after ${this.lastZxid}`,
    );
    this.#entries.push(entry);
  }

  /** Drops every entry after `zxid`. */
  truncateAfter(zxid: number): void {
    assert(zxid >= this.#base, `truncating below the snapshot: ${zxid} < ${this.#base}`);
    this.#entries.length = this.#firstAfter(zxid);
  }

  /** Forgets entries up to `zxid` (a snapshot covers them). */
  compact(zxid: number): void {
    if (zxid <= this.#base) return;
    const upTo = this.#firstAfter(Math.min(zxid, this.lastZxid));
    if (upTo > this.#start) this.#base = this.#entries[upTo - 1].zxid;
    this.#start = upTo;
    // Shift the array only when the dead prefix is large, so compaction stays amortised O(1).
    if (this.#start > 4096 && this.#start * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#start);
      this.#start = 0;
    }
  }

  /** Replaces everything with an empty log based at `zxid` (after installing a snapshot). */
  reset(zxid: number): void {
    this.#entries = [];
    this.#start = 0;
    this.#base = zxid;
  }
}
