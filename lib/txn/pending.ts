/**
 * The view prepare() validates against: the applied tree plus the changes of txns that are
 * prepared but not applied yet (waiting for the log fsync or a quorum). ZooKeeper keeps the
 * same "outstanding changes" so that two pipelined writes see each other before either is
 * committed. Records are dropped once the txn that made them has been applied.
 */

import type { Acl } from "../proto/records.ts";
import type { DataTree } from "../tree/data_tree.ts";

/** What prepare needs to know about a node. */
export interface NodeView {
  version: number;
  aversion: number;
  /** Persisted cversion (child creations). */
  cversion: number;
  numChildren: number;
  ephemeralOwner: bigint;
  acl: readonly Acl[];
}

interface PendingRecord {
  zxid: number;
  path: string;
  /** null: deleted by a pending txn. */
  node: NodeView | null;
}

/** Read access to nodes as prepare sees them. */
export interface NodeLookup {
  lookup(path: string): NodeView | null;
}

export class PendingChanges implements NodeLookup {
  readonly #tree: DataTree;
  readonly #byPath = new Map<string, PendingRecord>();
  readonly #queue: PendingRecord[] = [];
  #queueHead = 0;

  constructor(tree: DataTree) {
    this.#tree = tree;
  }

  get size(): number {
    return this.#queue.length - this.#queueHead;
  }

  lookup(path: string): NodeView | null {
    const rec = this.#byPath.get(path);
    if (rec !== undefined) return rec.node;
    const n = this.#tree.get(path);
    if (n === undefined) return null;
    return {
      version: n.version,
      aversion: n.aversion,
      cversion: n.cversion,
      numChildren: n.numChildren,
      ephemeralOwner: n.ephemeralOwner,
      acl: n.acl,
    };
  }

  /** Records the effect of a prepared txn on `path`. */
  record(zxid: number, path: string, node: NodeView | null): void {
    const rec = { zxid, path, node };
    this.#byPath.set(path, rec);
    this.#queue.push(rec);
  }

  /** Paths of the session's ephemerals as they will be once pending txns apply. */
  ephemeralsOf(sessionId: bigint): string[] {
    const paths = new Set(this.#tree.ephemerals.get(sessionId) ?? []);
    for (const [path, rec] of this.#byPath) {
      if (rec.node === null) paths.delete(path);
      else if (rec.node.ephemeralOwner === sessionId) paths.add(path);
    }
    return [...paths];
  }

  /** Drops the records of txns up to and including `zxid`, now reflected in the tree. */
  applied(zxid: number): void {
    while (this.#queueHead < this.#queue.length && this.#queue[this.#queueHead].zxid <= zxid) {
      const rec = this.#queue[this.#queueHead++];
      if (this.#byPath.get(rec.path) === rec) this.#byPath.delete(rec.path);
    }
    if (this.#queueHead === this.#queue.length) {
      this.#queue.length = 0;
      this.#queueHead = 0;
    }
  }
}

/** A multi's private layer: its ops see each other; it is merged only if all succeed. */
export class ScratchView implements NodeLookup {
  readonly #base: NodeLookup;
  readonly changes = new Map<string, NodeView | null>();

  constructor(base: NodeLookup) {
    this.#base = base;
  }

  lookup(path: string): NodeView | null {
    return this.changes.has(path) ? this.changes.get(path)! : this.#base.lookup(path);
  }

  record(path: string, node: NodeView | null): void {
    this.changes.set(path, node);
  }
}
