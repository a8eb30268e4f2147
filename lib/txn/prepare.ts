/**
 * prepare(): turns a client write into a txn, checking it against the tree plus pending
 * changes in exactly ZooKeeper's order (PrepRequestProcessor), so the first failing check
 * decides the error code. A failed write still becomes a txn (an error txn) and uses a zxid,
 * as in ZooKeeper. Multi is all-or-nothing here: its ops run on a scratch layer that is
 * merged only when every op passed.
 */

import type { Acl, Request } from "../proto/records.ts";
import { Err } from "../proto/errors.ts";
import { CreateFlag, Op, Perm } from "../proto/ops.ts";
import { aclAllows, type AuthId, fixupAcl } from "../tree/acl.ts";
import { SYSTEM_PATHS } from "../tree/data_tree.ts";
import { CONTAINER_OWNER, kindOf, TTL_MAX_MS, ttlOwner } from "../tree/node_kind.ts";
import { invalidPathReason, parentOf } from "../tree/path.ts";
import type { Txn } from "../tree/txn.ts";
import { type NodeLookup, type NodeView, type PendingChanges, ScratchView } from "./pending.ts";

export interface PrepareContext {
  sessionId: bigint;
  authIds: readonly AuthId[];
  extendedTypesEnabled: boolean;
  /** zookeeper.skipACL=yes: every permission check passes. */
  skipAcl: boolean;
}

/** A scratch-layer writer: where prepared ops record their effects. */
interface ChangeSink extends NodeLookup {
  record(path: string, node: NodeView | null): void;
}

/**
 * Prepares a write request (create*, delete, setData, setACL, multi, check) at `zxid`.
 * On success the effects are recorded in `pending`; the returned txn may be an error txn.
 */
export function prepareWrite(
  request: Request,
  pending: PendingChanges,
  ctx: PrepareContext,
  zxid: number,
): Txn {
  const scratch = new ScratchView(pending);
  let txn: Txn;
  if (request.op === Op.multi) {
    const subs: Txn[] = [];
    let failedAt = -1;
    let failure: number = Err.OK;
    for (let i = 0; i < request.ops.length; i++) {
      const sub = prepareOp(request.ops[i], scratch, ctx);
      if (typeof sub === "number") {
        failedAt = i;
        failure = sub;
        break;
      }
      subs.push(sub);
    }
    if (failedAt >= 0) {
      // ZooKeeper: ops before the failure report 0, the failing op its code, the rest -2.
      const txns: Txn[] = request.ops.map((_, i) => ({
        type: "error",
        err: i < failedAt ? Err.OK : i === failedAt ? failure : Err.RUNTIMEINCONSISTENCY,
      }));
      return { type: "multi", txns };
    }
    txn = { type: "multi", txns: subs };
  } else {
    const t = prepareOp(request, scratch, ctx);
    if (typeof t === "number") return { type: "error", err: t };
    txn = t;
  }
  for (const [path, node] of scratch.changes) pending.record(zxid, path, node);
  return txn;
}

function allowed(ctx: PrepareContext, acl: readonly Acl[], perm: number): boolean {
  return ctx.skipAcl || aclAllows(acl, perm, ctx.authIds);
}

/** Java's String.format("%010d", n), including the sign for negative counters. */
export function sequenceSuffix(n: number): string {
  const digits = Math.abs(n).toString();
  return n < 0 ? "-" + digits.padStart(9, "0") : digits.padStart(10, "0");
}

function prepareOp(q: Request, view: ChangeSink, ctx: PrepareContext): Txn | number {
  switch (q.op) {
    case Op.create:
    case Op.create2:
    case Op.createContainer:
    case Op.createTTL:
      return prepareCreate(q, view, ctx);
    case Op.delete: {
      const path = q.path;
      if (!path.includes("/") || path.includes("\0") || SYSTEM_PATHS.has(path)) {
        return Err.BADARGUMENTS;
      }
      const parentPath = parentOf(path);
      const parent = view.lookup(parentPath);
      if (parent === null) return Err.NONODE;
      if (!allowed(ctx, parent.acl, Perm.DELETE)) return Err.NOAUTH;
      const node = view.lookup(path);
      if (node === null) return Err.NONODE;
      if (q.version !== -1 && q.version !== node.version) return Err.BADVERSION;
      if (node.numChildren > 0) return Err.NOTEMPTY;
      view.record(parentPath, { ...parent, numChildren: parent.numChildren - 1 });
      view.record(path, null);
      return { type: "delete", path };
    }
    case Op.setData: {
      if (invalidPathReason(q.path) !== null) return Err.BADARGUMENTS;
      const node = view.lookup(q.path);
      if (node === null) return Err.NONODE;
      if (!allowed(ctx, node.acl, Perm.WRITE)) return Err.NOAUTH;
      if (q.version !== -1 && q.version !== node.version) return Err.BADVERSION;
      const version = (node.version + 1) | 0;
      view.record(q.path, { ...node, version });
      return { type: "setData", path: q.path, data: q.data, version };
    }
    case Op.setACL: {
      if (invalidPathReason(q.path) !== null) return Err.BADARGUMENTS;
      const acl = fixupAcl(q.acl, ctx.authIds);
      if (typeof acl === "number") return acl;
      const node = view.lookup(q.path);
      if (node === null) return Err.NONODE;
      if (!allowed(ctx, node.acl, Perm.ADMIN)) return Err.NOAUTH;
      if (q.version !== -1 && q.version !== node.aversion) return Err.BADVERSION;
      const version = (node.aversion + 1) | 0;
      view.record(q.path, { ...node, aversion: version, acl });
      return { type: "setACL", path: q.path, acl, version };
    }
    case Op.check: {
      if (invalidPathReason(q.path) !== null) return Err.BADARGUMENTS;
      const node = view.lookup(q.path);
      if (node === null) return Err.NONODE;
      if (!allowed(ctx, node.acl, Perm.READ)) return Err.NOAUTH;
      if (q.version !== -1 && q.version !== node.version) return Err.BADVERSION;
      return { type: "check", path: q.path, version: q.version };
    }
    default:
      return Err.MARSHALLINGERROR;
  }
}

function prepareCreate(
  q: Extract<Request, { path: string; flags: number }>,
  view: ChangeSink,
  ctx: PrepareContext,
): Txn | number {
  const flags = q.flags;
  if (flags < 0 || flags > CreateFlag.persistentSequentialWithTtl) return Err.BADARGUMENTS;
  const ttlMode = flags === CreateFlag.persistentWithTtl ||
    flags === CreateFlag.persistentSequentialWithTtl;
  if (q.op === Op.createTTL) {
    if (!ctx.extendedTypesEnabled) return Err.UNIMPLEMENTED;
    if (!ttlMode || q.ttlMs <= 0 || q.ttlMs > TTL_MAX_MS) return Err.BADARGUMENTS;
  } else if (ttlMode) {
    return Err.BADARGUMENTS;
  }
  const path = q.path;
  const lastSlash = path.lastIndexOf("/");
  if (lastSlash < 0 || path.includes("\0")) return Err.BADARGUMENTS;
  const acl = fixupAcl(q.acl, ctx.authIds);
  if (typeof acl === "number") return acl;
  const parentPath = lastSlash === 0 ? "/" : path.slice(0, lastSlash);
  const parent = view.lookup(parentPath);
  if (parent === null) return Err.NONODE;
  if (!allowed(ctx, parent.acl, Perm.CREATE)) return Err.NOAUTH;
  const sequential = flags === CreateFlag.persistentSequential ||
    flags === CreateFlag.ephemeralSequential ||
    flags === CreateFlag.persistentSequentialWithTtl;
  const fullPath = sequential ? path + sequenceSuffix(parent.cversion) : path;
  if (invalidPathReason(fullPath) !== null) return Err.BADARGUMENTS;
  if (view.lookup(fullPath) !== null) return Err.NODEEXISTS;
  if (kindOf(parent.ephemeralOwner) === "ephemeral") return Err.NOCHILDRENFOREPHEMERALS;

  let ephemeralOwner = 0n;
  if (q.op === Op.createContainer) ephemeralOwner = CONTAINER_OWNER;
  else if (q.op === Op.createTTL) ephemeralOwner = ttlOwner(q.ttlMs);
  else if (flags === CreateFlag.ephemeral || flags === CreateFlag.ephemeralSequential) {
    ephemeralOwner = ctx.sessionId;
  }
  const parentCversion = (parent.cversion + 1) | 0;
  view.record(parentPath, {
    ...parent,
    cversion: parentCversion,
    numChildren: parent.numChildren + 1,
  });
  view.record(fullPath, {
    version: 0,
    aversion: 0,
    cversion: 0,
    numChildren: 0,
    ephemeralOwner,
    acl,
  });
  return { type: "create", path: fullPath, data: q.data, acl, ephemeralOwner, parentCversion };
}

/** closeSession: the txn lists the ephemerals to delete, as they will be when it applies. */
export function prepareCloseSession(
  pending: PendingChanges,
  sessionId: bigint,
  zxid: number,
): Txn {
  const paths = pending.ephemeralsOf(sessionId);
  for (const path of paths) {
    const parentPath = parentOf(path);
    const parent = pending.lookup(parentPath);
    if (parent !== null) {
      pending.record(zxid, parentPath, { ...parent, numChildren: parent.numChildren - 1 });
    }
    pending.record(zxid, path, null);
  }
  return { type: "closeSession", paths };
}

/**
 * Server-internal deletion of an empty container or expired TTL node. Returns null when the
 * node no longer qualifies (it got a child or vanished since the check).
 */
export function prepareDeleteContainer(
  pending: PendingChanges,
  path: string,
  zxid: number,
): Txn | null {
  const node = pending.lookup(path);
  if (node === null || node.numChildren > 0) return null;
  const kind = kindOf(node.ephemeralOwner);
  if (kind !== "container" && kind !== "ttl") return null;
  const parentPath = parentOf(path);
  const parent = pending.lookup(parentPath);
  if (parent !== null) {
    pending.record(zxid, parentPath, { ...parent, numChildren: parent.numChildren - 1 });
  }
  pending.record(zxid, path, null);
  return { type: "delete", path };
}
