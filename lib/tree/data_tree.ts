/**
 * The in-memory znode tree and the single apply path for txns (live traffic and recovery
 * replay alike). apply() is idempotent in ZooKeeper's sense: a create that finds its node,
 * or a delete that misses it, still moves the parent's cversion/pzxid forward only.
 * Watch triggers come out as data for the watch manager; nothing here does I/O.
 */

import type { Acl, Stat } from "../proto/records.ts";
import { Err } from "../proto/errors.ts";
import { EventType } from "../proto/ops.ts";
import type { Txn, TxnEntry } from "./txn.ts";
import { OPEN_ACL_UNSAFE, READ_ACL_UNSAFE } from "./acl.ts";
import { CONTAINER_OWNER, kindOf, visibleOwner } from "./node_kind.ts";
import { baseName, parentOf } from "./path.ts";
import { AclCache } from "./acl_cache.ts";

export class ZNode {
  data: Uint8Array | null;
  acl: readonly Acl[];
  czxid: number;
  mzxid: number;
  pzxid: number;
  ctimeMs: number;
  mtimeMs: number;
  version: number;
  /** Persisted cversion: counts child creations over the node's life, never decremented. */
  cversion: number;
  aversion: number;
  ephemeralOwner: bigint;
  /** Child names; null until the first child (most znodes are leaves). */
  children: Set<string> | null = null;

  constructor(
    data: Uint8Array | null,
    acl: readonly Acl[],
    zxid: number,
    timeMs: number,
    ephemeralOwner: bigint,
  ) {
    this.data = data;
    this.acl = acl;
    this.czxid = this.mzxid = this.pzxid = zxid;
    this.ctimeMs = this.mtimeMs = timeMs;
    this.version = 0;
    this.cversion = 0;
    this.aversion = 0;
    this.ephemeralOwner = ephemeralOwner;
  }

  get numChildren(): number {
    return this.children === null ? 0 : this.children.size;
  }

  /** The Stat a client sees (DataNode.copyStat). */
  stat(): Stat {
    const numChildren = this.numChildren;
    return {
      czxid: this.czxid,
      mzxid: this.mzxid,
      ctime: this.ctimeMs,
      mtime: this.mtimeMs,
      version: this.version,
      cversion: this.cversion * 2 - numChildren,
      aversion: this.aversion,
      ephemeralOwner: visibleOwner(this.ephemeralOwner),
      dataLength: this.data === null ? 0 : this.data.byteLength,
      numChildren,
      pzxid: this.pzxid,
    };
  }
}

/** A watch to fire, as data: which table(s) at which path, with the ACL that filters it. */
export interface WatchTrigger {
  path: string;
  type: number;
  /** "both": data table, then child table for connections not already notified. */
  table: "data" | "child" | "both";
  acl: readonly Acl[];
}

/** Outcome of one (sub-)txn: err 0 and the node's stat after it, where one exists. */
export interface OpOutcome {
  err: number;
  path?: string;
  stat?: Stat;
}

export interface ApplyResult {
  /** One outcome per op; a multi has one per sub-txn. */
  outcomes: OpOutcome[];
  triggers: WatchTrigger[];
}

/** Where an ensemble's membership lives (ZooDefs.CONFIG_NODE). */
export const CONFIG_NODE_PATH = "/zookeeper/config";

/** Paths every tree holds and clients may not delete. */
export const SYSTEM_PATHS: ReadonlySet<string> = new Set([
  "/",
  "/zookeeper",
  "/zookeeper/quota",
  "/zookeeper/config",
]);

export class DataTree {
  readonly nodes = new Map<string, ZNode>();
  /** Session id -> paths of its ephemerals. */
  readonly ephemerals = new Map<bigint, Set<string>>();
  readonly containers = new Set<string>();
  readonly ttlNodes = new Set<string>();
  readonly aclCache = new AclCache();
  /** Sum of path and data bytes, as zk_approximate_data_size. */
  approximateDataBytes = 0;
  /** Zxid of the last txn applied. */
  lastZxid = 0;

  constructor() {
    const open = this.aclCache.intern(OPEN_ACL_UNSAFE);
    const root = new ZNode(new Uint8Array(0), open, 0, 0, 0n);
    this.nodes.set("/", root);
    this.#addSystemNode("/zookeeper", open);
    this.#addSystemNode("/zookeeper/quota", open);
    const config = this.#addSystemNode("/zookeeper/config", this.aclCache.intern(READ_ACL_UNSAFE));
    config.aversion = -1;
  }

  /**
   * Sets /zookeeper/config outside the log, as ZooKeeper does when a member starts with its
   * configuration (each member writes its own; reconfig txns change it through the log).
   */
  initConfigNode(data: Uint8Array, mzxid: number, timeMs: number): void {
    const node = this.nodes.get(CONFIG_NODE_PATH)!;
    this.approximateDataBytes += data.byteLength - (node.data?.byteLength ?? 0);
    node.data = data;
    node.version = -1;
    node.mzxid = mzxid;
    node.mtimeMs = timeMs;
  }

  #addSystemNode(path: string, acl: readonly Acl[]): ZNode {
    const node = new ZNode(new Uint8Array(0), acl, 0, 0, 0n);
    this.nodes.set(path, node);
    const parent = this.nodes.get(parentOf(path))!;
    (parent.children ??= new Set()).add(baseName(path));
    this.approximateDataBytes += path.length;
    return node;
  }

  get(path: string): ZNode | undefined {
    return this.nodes.get(path);
  }

  /** zk_znode_count: ZooKeeper stores the root under "" and "/", so it counts one more. */
  get nodeCount(): number {
    return this.nodes.size + 1;
  }

  get ephemeralCount(): number {
    let n = 0;
    for (const s of this.ephemerals.values()) n += s.size;
    return n;
  }

  /** Applies a committed txn. Never throws on state it does not expect: replay relies on it. */
  apply(entry: TxnEntry): ApplyResult {
    const result: ApplyResult = { outcomes: [], triggers: [] };
    this.#applyOne(entry.txn, entry, result);
    if (entry.zxid > this.lastZxid) this.lastZxid = entry.zxid;
    return result;
  }

  #applyOne(txn: Txn, entry: TxnEntry, out: ApplyResult): void {
    switch (txn.type) {
      case "create":
        out.outcomes.push(this.#create(txn, entry, out.triggers));
        return;
      case "delete":
        out.outcomes.push(this.#delete(txn.path, entry.zxid, out.triggers));
        return;
      case "setData": {
        const node = this.nodes.get(txn.path);
        if (node === undefined) {
          out.outcomes.push({ err: Err.NONODE });
          return;
        }
        this.approximateDataBytes += (txn.data?.byteLength ?? 0) - (node.data?.byteLength ?? 0);
        node.data = txn.data;
        node.version = txn.version;
        node.mzxid = entry.zxid;
        node.mtimeMs = entry.timeMs;
        out.triggers.push({
          path: txn.path,
          type: EventType.NodeDataChanged,
          table: "data",
          acl: node.acl,
        });
        out.outcomes.push({ err: Err.OK, stat: node.stat() });
        return;
      }
      case "reconfig": {
        const node = this.nodes.get(CONFIG_NODE_PATH)!;
        this.approximateDataBytes += txn.data.byteLength - (node.data?.byteLength ?? 0);
        node.data = txn.data;
        node.version = -1;
        node.mzxid = txn.version;
        node.mtimeMs = entry.timeMs;
        out.triggers.push({
          path: CONFIG_NODE_PATH,
          type: EventType.NodeDataChanged,
          table: "data",
          acl: node.acl,
        });
        out.outcomes.push({ err: Err.OK, stat: node.stat() });
        return;
      }
      case "setACL": {
        const node = this.nodes.get(txn.path);
        if (node === undefined) {
          out.outcomes.push({ err: Err.NONODE });
          return;
        }
        node.acl = this.aclCache.intern(txn.acl);
        node.aversion = txn.version;
        out.outcomes.push({ err: Err.OK, stat: node.stat() });
        return;
      }
      case "check":
        out.outcomes.push({ err: Err.OK });
        return;
      case "error":
        out.outcomes.push({ err: txn.err });
        return;
      case "createSession":
        out.outcomes.push({ err: Err.OK });
        return;
      case "closeSession":
        for (const path of txn.paths) this.#delete(path, entry.zxid, out.triggers);
        // Anything the txn did not list (it cannot, but replay must not leak) goes too.
        for (const path of this.ephemerals.get(entry.sessionId) ?? []) {
          this.#delete(path, entry.zxid, out.triggers);
        }
        this.ephemerals.delete(entry.sessionId);
        out.outcomes.push({ err: Err.OK });
        return;
      case "multi":
        for (const sub of txn.txns) this.#applyOne(sub, entry, out);
        return;
    }
  }

  #create(
    txn: Extract<Txn, { type: "create" }>,
    entry: TxnEntry,
    triggers: WatchTrigger[],
  ): OpOutcome {
    const parentPath = parentOf(txn.path);
    const parent = this.nodes.get(parentPath);
    if (parent === undefined) return { err: Err.NONODE };
    // Replay over a fuzzy snapshot: move the parent forward even if the child exists.
    if (txn.parentCversion > parent.cversion) {
      parent.cversion = txn.parentCversion;
      parent.pzxid = entry.zxid;
    }
    const name = baseName(txn.path);
    if (this.nodes.has(txn.path)) return { err: Err.NODEEXISTS };
    const acl = this.aclCache.intern(txn.acl);
    const node = new ZNode(txn.data, acl, entry.zxid, entry.timeMs, txn.ephemeralOwner);
    this.nodes.set(txn.path, node);
    (parent.children ??= new Set()).add(name);
    this.approximateDataBytes += txn.path.length + (txn.data?.byteLength ?? 0);
    switch (kindOf(txn.ephemeralOwner)) {
      case "ephemeral": {
        let set = this.ephemerals.get(txn.ephemeralOwner);
        if (set === undefined) this.ephemerals.set(txn.ephemeralOwner, set = new Set());
        set.add(txn.path);
        break;
      }
      case "container":
        this.containers.add(txn.path);
        break;
      case "ttl":
        this.ttlNodes.add(txn.path);
        break;
      case "persistent":
        break;
    }
    triggers.push({ path: txn.path, type: EventType.NodeCreated, table: "data", acl });
    triggers.push({
      path: parentPath,
      type: EventType.NodeChildrenChanged,
      table: "child",
      acl: parent.acl,
    });
    return { err: Err.OK, path: txn.path, stat: node.stat() };
  }

  #delete(path: string, zxid: number, triggers: WatchTrigger[]): OpOutcome {
    const parentPath = parentOf(path);
    const parent = this.nodes.get(parentPath);
    if (parent !== undefined && zxid > parent.pzxid) parent.pzxid = zxid;
    const node = this.nodes.get(path);
    if (node === undefined || parent === undefined) return { err: Err.NONODE };
    // Live, only empty nodes are deleted. Replayed over a fuzzy snapshot, the node may hold
    // children the snapshot caught after it was deleted and re-created; left in place they
    // would be orphans that make their own later create fail with NODEEXISTS, so the
    // re-created parent never lists them. Each is created again by a later txn in the log.
    if (node.children !== null && node.children.size > 0) {
      const prefix = path === "/" ? "/" : path + "/";
      for (const child of [...node.children]) this.#delete(prefix + child, zxid, triggers);
    }
    this.nodes.delete(path);
    parent.children?.delete(baseName(path));
    this.approximateDataBytes -= path.length + (node.data?.byteLength ?? 0);
    const owner = node.ephemeralOwner;
    if (owner === CONTAINER_OWNER) this.containers.delete(path);
    else if (owner !== 0n) {
      if (kindOf(owner) === "ttl") this.ttlNodes.delete(path);
      else {
        const set = this.ephemerals.get(owner);
        set?.delete(path);
        if (set?.size === 0) this.ephemerals.delete(owner);
      }
    }
    triggers.push({ path, type: EventType.NodeDeleted, table: "both", acl: node.acl });
    triggers.push({
      path: parentPath,
      type: EventType.NodeChildrenChanged,
      table: "child",
      acl: parent.acl,
    });
    return { err: Err.OK };
  }

  /** Number of descendants of `path` (not counting itself). */
  countDescendants(path: string): number {
    const node = this.nodes.get(path);
    if (node === undefined || node.children === null) return 0;
    let n = 0;
    const prefix = path === "/" ? "/" : path + "/";
    for (const child of node.children) n += 1 + this.countDescendants(prefix + child);
    return n;
  }
}
