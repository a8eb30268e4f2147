/**
 * A seeded random write workload driven through the real request path, minus sockets:
 * prepareWrite / prepareCloseSession / prepareDeleteContainer against the tree plus pending
 * changes (several txns prepared ahead of the apply, as the replica pipelines them), then
 * DataTree.apply in zxid order, with the session table updated on apply as the replica does.
 * Every applied entry is kept in `log`, so a test can replay any suffix of it.
 *
 * Names come from a small alphabet so creates collide, deletes hit, sequential nodes pile up
 * under the same parents and multis fail part-way.
 */

import { CreateFlag, Op } from "../../lib/proto/ops.ts";
import type { Acl, Request } from "../../lib/proto/records.ts";
import { SessionTable } from "../../lib/session/session_table.ts";
import type { AuthId } from "../../lib/tree/acl.ts";
import { DataTree } from "../../lib/tree/data_tree.ts";
import { kindOf } from "../../lib/tree/node_kind.ts";
import type { TxnEntry } from "../../lib/tree/txn.ts";
import { PendingChanges } from "../../lib/txn/pending.ts";
import {
  prepareCloseSession,
  type PrepareContext,
  prepareDeleteContainer,
  prepareWrite,
} from "../../lib/txn/prepare.ts";
import { randomBelow, SeededRandom } from "../../lib/util/random.ts";

const NAMES = ["a", "b", "c", "d", "e", "f"];
const USER: AuthId = { scheme: "digest", id: "u:hash" };
const OPEN: Acl[] = [{ perms: 31, scheme: "world", id: "anyone" }];
/** Mostly open, so most writes pass; the rest make some sessions fail with NOAUTH. */
const ACLS: Acl[][] = [
  OPEN,
  OPEN,
  OPEN,
  OPEN,
  OPEN,
  OPEN,
  [{ perms: 31, scheme: "digest", id: "u:hash" }],
  [{ perms: 31, scheme: "auth", id: "" }],
  [{ perms: 1, scheme: "world", id: "anyone" }, { perms: 30, scheme: "digest", id: "u:hash" }],
  [{ perms: 3, scheme: "world", id: "anyone" }],
];

function isSystem(path: string): boolean {
  return path === "/zookeeper" || path.startsWith("/zookeeper/");
}

interface LiveSession {
  id: bigint;
  authIds: AuthId[];
}

export interface WorkloadOptions {
  /** Most txns prepared but not yet applied at once. */
  pipelineDepthMax?: number;
}

export class Workload {
  readonly random: SeededRandom;
  readonly tree = new DataTree();
  readonly pending = new PendingChanges(this.tree);
  readonly sessions: SessionTable;
  /** Applied entries, in zxid order. */
  readonly log: TxnEntry[] = [];
  /** Prepared, not yet applied. */
  readonly queue: TxnEntry[] = [];
  readonly #live: LiveSession[] = [];
  readonly #pipelineDepthMax: number;
  nowMs = 1_700_000_000_000;
  /** Debug hook: every client request and the txn prepare made of it. */
  onPrepared?: (request: Request, txn: TxnEntry["txn"]) => void;
  #lastPreparedZxid = 0;

  constructor(seed: number, options: WorkloadOptions = {}) {
    this.random = new SeededRandom(seed);
    this.sessions = new SessionTable(2000, 1, this.nowMs);
    this.#pipelineDepthMax = options.pipelineDepthMax ?? 4;
  }

  below(n: number): number {
    return randomBelow(this.random, n);
  }

  chance(p: number): boolean {
    return this.random.nextUint32() / 4294967296 < p;
  }

  /** Session ids and timeouts as the session table holds them (what a snapshot records). */
  sessionMap(): Map<bigint, number> {
    const out = new Map<bigint, number>();
    for (const s of this.sessions.all()) out.set(s.id, s.timeoutMs);
    return out;
  }

  /** One step: prepare a new txn or apply the oldest prepared one. */
  step(): void {
    const mustApply = this.queue.length >= this.#pipelineDepthMax;
    if (this.queue.length > 0 && (mustApply || this.chance(0.5))) this.applyOne();
    else this.prepareOne();
  }

  /** Applies everything prepared. */
  drain(): void {
    while (this.queue.length > 0) this.applyOne();
  }

  applyOne(): void {
    const entry = this.queue.shift()!;
    this.tree.apply(entry);
    this.pending.applied(entry.zxid);
    if (entry.txn.type === "createSession") {
      this.sessions.add(entry.sessionId, entry.txn.timeoutMs, entry.timeMs);
    } else if (entry.txn.type === "closeSession") {
      this.sessions.remove(entry.sessionId);
    }
    this.log.push(entry);
  }

  prepareOne(): void {
    this.nowMs += this.below(5);
    const zxid = this.#lastPreparedZxid + 1;
    const roll = this.below(100);
    if (this.#live.length === 0 || roll < 6) return this.#createSession();
    const session = this.#live[this.below(this.#live.length)];
    if (roll < 11) {
      this.#live.splice(this.#live.indexOf(session), 1);
      return this.#push(session.id, prepareCloseSession(this.pending, session.id, zxid));
    }
    if (roll < 16) {
      const candidates = [...this.tree.containers, ...this.tree.ttlNodes];
      if (candidates.length > 0) {
        const path = candidates[this.below(candidates.length)];
        const txn = prepareDeleteContainer(this.pending, path, zxid);
        if (txn !== null) return this.#push(0n, txn);
      }
    }
    const ctx: PrepareContext = {
      sessionId: session.id,
      authIds: session.authIds,
      extendedTypesEnabled: true,
      skipAcl: false,
    };
    const request = roll < 28 ? this.#multi() : this.#op(false);
    const txn = prepareWrite(request, this.pending, ctx, zxid);
    this.onPrepared?.(request, txn);
    this.#push(session.id, txn);
  }

  #createSession(): void {
    const id = this.sessions.allocateId();
    this.#live.push({ id, authIds: this.chance(0.6) ? [USER] : [] });
    const timeoutMs = 2000 * (1 + this.below(20));
    this.#push(id, { type: "createSession", timeoutMs });
  }

  #push(sessionId: bigint, txn: TxnEntry["txn"]): void {
    const zxid = ++this.#lastPreparedZxid;
    this.queue.push({ sessionId, cxid: zxid, zxid, timeMs: this.nowMs, txn });
  }

  /** A path that exists now (most of the time) or a made-up one; never the system nodes. */
  #path(): string {
    if (this.chance(0.92)) {
      const keys = [...this.tree.nodes.keys()].filter((p) => p !== "/" && !isSystem(p));
      if (keys.length > 0) return keys[this.below(keys.length)];
    }
    let p = "";
    const depth = 1 + this.below(3);
    for (let i = 0; i < depth; i++) p += "/" + NAMES[this.below(NAMES.length)];
    return p;
  }

  #childPath(): string {
    const parent = this.chance(0.3) ? "/" : this.#path();
    return (parent === "/" ? "" : parent) + "/" + NAMES[this.below(NAMES.length)];
  }

  #data(): Uint8Array | null {
    const r = this.below(10);
    if (r < 2) return null;
    if (r < 4) return new Uint8Array(0);
    const out = new Uint8Array(1 + this.below(24));
    for (let i = 0; i < out.length; i++) out[i] = this.below(256);
    return out;
  }

  #acl(): Acl[] {
    return ACLS[this.below(ACLS.length)];
  }

  #version(path: string): number {
    const r = this.below(10);
    if (r < 6) return -1;
    const node = this.tree.get(path);
    return (node?.version ?? 0) + (r < 9 ? 0 : 1);
  }

  #op(inMulti: boolean): Request {
    const r = this.below(100);
    if (r < 55) {
      const kind = this.below(8);
      const base = { path: this.#childPath(), data: this.#data(), acl: this.#acl(), ttlMs: 0 };
      switch (kind) {
        case 0:
          return { op: Op.create, flags: CreateFlag.persistent, ...base };
        case 1:
          return { op: Op.create2, flags: CreateFlag.ephemeral, ...base };
        case 2:
          return { op: Op.create, flags: CreateFlag.persistentSequential, ...base };
        case 3:
          return { op: Op.create2, flags: CreateFlag.ephemeralSequential, ...base };
        case 4:
          return { op: Op.createContainer, flags: CreateFlag.container, ...base };
        case 5:
          return {
            op: Op.createTTL,
            flags: this.chance(0.5)
              ? CreateFlag.persistentWithTtl
              : CreateFlag.persistentSequentialWithTtl,
            ...base,
            ttlMs: 1 + this.below(100_000),
          };
        default:
          return { op: Op.create, flags: CreateFlag.persistent, ...base };
      }
    }
    const path = this.#path();
    if (r < 65) return { op: Op.delete, path, version: this.#version(path) };
    if (r < 85) return { op: Op.setData, path, data: this.#data(), version: this.#version(path) };
    if (r < 93 || !inMulti) {
      const node = this.tree.get(path);
      const version = this.chance(0.7) ? -1 : (node?.aversion ?? 0);
      return { op: Op.setACL, path, acl: this.#acl(), version };
    }
    return { op: Op.check, path, version: this.#version(path) };
  }

  #multi(): Request {
    const n = 1 + this.below(4);
    const ops: Request[] = [];
    for (let i = 0; i < n; i++) ops.push(this.#op(true));
    return { op: Op.multi, ops };
  }
}

/** Counts of node kinds, to check a workload exercises them all. */
export function kindCounts(tree: DataTree): Record<string, number> {
  const out: Record<string, number> = { persistent: 0, ephemeral: 0, container: 0, ttl: 0 };
  for (const n of tree.nodes.values()) out[kindOf(n.ephemeralOwner)]++;
  return out;
}
