/**
 * Reads and connection-local ops (exists, getData, getChildren*, getACL, multiRead, sync,
 * ping, watch bookkeeping, whoAmI, ...), served from the applied tree. Each returns the
 * reply frame; any notifications (setWatches catch-up) are sent first through `notify`.
 * Check order follows ZooKeeper: NONODE before NOAUTH, and exists checks ACLs only when the
 * node exists; reads do not validate paths (a bad path is just NONODE).
 */

import type { JuteWriter } from "../proto/jute.ts";
import { Err } from "../proto/errors.ts";
import { AddWatchMode, EventType, Op, Perm, Xid } from "../proto/ops.ts";
import {
  type MultiResult,
  type Request,
  type SetWatchesRequest,
  writeAcls,
  writeMultiResults,
  writeStat,
} from "../proto/records.ts";
import { aclAllows, redactDigests } from "../tree/acl.ts";
import type { DataTree, ZNode } from "../tree/data_tree.ts";
import { Mode, type WatchManager } from "../watch/watch_manager.ts";
import type { Connection } from "./connection.ts";
import { replyFrame } from "./replies.ts";

export interface ReadContext {
  tree: DataTree;
  watches: WatchManager;
  skipAcl: boolean;
  /** Sends a notification to the connection now (ahead of the reply being built). */
  notify(conn: Connection, zxid: number, type: number, path: string): void;
}

function canRead(ctx: ReadContext, conn: Connection, node: ZNode, perm: number): boolean {
  return ctx.skipAcl || aclAllows(node.acl, perm, conn.authIds);
}

function sortedChildren(node: ZNode): string[] {
  // ZooKeeper returns a HashSet's order; sorted is allowed and friendlier.
  return node.children === null ? [] : [...node.children].sort();
}

/** Executes a read or local op for `conn` and returns its reply frame. */
export function executeRead(
  ctx: ReadContext,
  conn: Connection,
  xid: number,
  q: Request,
): Uint8Array {
  const { tree, watches } = ctx;
  const zxid = () => tree.lastZxid;
  switch (q.op) {
    case Op.exists: {
      const node = tree.get(q.path);
      if (node === undefined) {
        if (q.path.includes("\0")) return replyFrame(xid, zxid(), Err.BADARGUMENTS);
        if (q.watch) watches.add(conn.id, q.path, "data", Mode.standard);
        return replyFrame(xid, zxid(), Err.NONODE);
      }
      if (!canRead(ctx, conn, node, Perm.READ)) return replyFrame(xid, zxid(), Err.NOAUTH);
      if (q.watch) watches.add(conn.id, q.path, "data", Mode.standard);
      return replyFrame(xid, zxid(), Err.OK, (w) => writeStat(w, node.stat()));
    }
    case Op.getData: {
      const node = tree.get(q.path);
      if (node === undefined) return replyFrame(xid, zxid(), Err.NONODE);
      if (!canRead(ctx, conn, node, Perm.READ)) return replyFrame(xid, zxid(), Err.NOAUTH);
      if (q.watch) watches.add(conn.id, q.path, "data", Mode.standard);
      return replyFrame(xid, zxid(), Err.OK, (w) => {
        w.buffer(node.data);
        writeStat(w, node.stat());
      });
    }
    case Op.getChildren:
    case Op.getChildren2: {
      const node = tree.get(q.path);
      if (node === undefined) return replyFrame(xid, zxid(), Err.NONODE);
      if (!canRead(ctx, conn, node, Perm.READ)) return replyFrame(xid, zxid(), Err.NOAUTH);
      if (q.watch) watches.add(conn.id, q.path, "child", Mode.standard);
      const withStat = q.op === Op.getChildren2;
      return replyFrame(xid, zxid(), Err.OK, (w) => {
        w.stringVector(sortedChildren(node));
        if (withStat) writeStat(w, node.stat());
      });
    }
    case Op.getACL: {
      const node = tree.get(q.path);
      if (node === undefined) return replyFrame(xid, zxid(), Err.NONODE);
      const admin = canRead(ctx, conn, node, Perm.ADMIN);
      if (!admin && !canRead(ctx, conn, node, Perm.READ)) {
        return replyFrame(xid, zxid(), Err.NOAUTH);
      }
      const acl = admin ? node.acl : redactDigests(node.acl);
      return replyFrame(xid, zxid(), Err.OK, (w) => {
        writeAcls(w, acl);
        writeStat(w, node.stat());
      });
    }
    case Op.getAllChildrenNumber: {
      const node = tree.get(q.path);
      if (node === undefined) return replyFrame(xid, zxid(), Err.NONODE);
      if (!canRead(ctx, conn, node, Perm.READ)) return replyFrame(xid, zxid(), Err.NOAUTH);
      const count = tree.countDescendants(q.path);
      return replyFrame(xid, zxid(), Err.OK, (w) => w.int(count));
    }
    case Op.getEphemerals: {
      const prefix = q.path;
      const all = [...(tree.ephemerals.get(conn.sessionId) ?? [])];
      const paths = prefix === "" || prefix === "/" ? all : all.filter((p) => p.startsWith(prefix));
      return replyFrame(xid, zxid(), Err.OK, (w) => w.stringVector(paths.sort()));
    }
    case Op.whoAmI:
      return replyFrame(xid, zxid(), Err.OK, (w) => writeWhoAmI(w, conn));
    case Op.multiRead: {
      const results: MultiResult[] = q.ops.map((sub) => readInMulti(ctx, conn, sub));
      return replyFrame(xid, zxid(), Err.OK, (w) => writeMultiResults(w, results));
    }
    case Op.sync:
      // Standalone: everything before it in this connection's FIFO has been applied.
      return replyFrame(xid, zxid(), Err.OK, (w) => w.ustring(q.path));
    case Op.ping:
      return replyFrame(Xid.ping, zxid(), Err.OK);
    case Op.setWatches:
    case Op.setWatches2:
      setWatches(ctx, conn, q);
      return replyFrame(xid, zxid(), Err.OK);
    case Op.addWatch: {
      if (q.mode === AddWatchMode.persistent) {
        watches.add(conn.id, q.path, "data", Mode.persistent);
        watches.add(conn.id, q.path, "child", Mode.persistent);
      } else if (q.mode === AddWatchMode.persistentRecursive) {
        watches.add(conn.id, q.path, "data", Mode.recursive);
      } else {
        return replyFrame(xid, zxid(), Err.MARSHALLINGERROR);
      }
      return replyFrame(xid, zxid(), Err.OK, (w) => w.int(0));
    }
    case Op.checkWatches:
    case Op.removeWatches: {
      if (q.type < 1 || q.type > 5) return replyFrame(xid, zxid(), Err.MARSHALLINGERROR);
      const found = q.op === Op.checkWatches
        ? watches.check(conn.id, q.path, q.type)
        : watches.remove(conn.id, q.path, q.type);
      return replyFrame(xid, zxid(), found ? Err.OK : Err.NOWATCHER);
    }
    default:
      return replyFrame(xid, zxid(), Err.MARSHALLINGERROR);
  }
}

function readInMulti(ctx: ReadContext, conn: Connection, sub: Request): MultiResult {
  if (sub.op !== Op.getData && sub.op !== Op.getChildren) {
    return { type: Op.error, err: Err.MARSHALLINGERROR };
  }
  const node = ctx.tree.get(sub.path);
  if (node === undefined) return { type: Op.error, err: Err.NONODE };
  if (!canRead(ctx, conn, node, Perm.READ)) return { type: Op.error, err: Err.NOAUTH };
  return sub.op === Op.getData
    ? { type: Op.getData, data: node.data, stat: node.stat() }
    : { type: Op.getChildren, children: sortedChildren(node) };
}

function writeWhoAmI(w: JuteWriter, conn: Connection): void {
  w.int(conn.authIds.length);
  for (const id of conn.authIds) {
    const user = id.scheme === "digest" ? id.id.split(":")[0] : id.scheme === "ip" ? id.id : "";
    w.ustring(id.scheme).ustring(user);
  }
}

/**
 * Re-arms watches after a reconnect. Events for what the client missed since relativeZxid
 * fire at once (and that one-shot watch is then not registered); catch-up events carry
 * zxid -1 and are not ACL-filtered, as in ZooKeeper.
 */
function setWatches(ctx: ReadContext, conn: Connection, q: SetWatchesRequest): void {
  const { tree, watches } = ctx;
  const rel = q.relativeZxid;
  for (const path of q.dataWatches) {
    const node = tree.get(path);
    if (node === undefined) ctx.notify(conn, -1, EventType.NodeDeleted, path);
    else if (node.mzxid > rel) ctx.notify(conn, -1, EventType.NodeDataChanged, path);
    else watches.add(conn.id, path, "data", Mode.standard);
  }
  for (const path of q.existWatches) {
    if (tree.get(path) !== undefined) ctx.notify(conn, -1, EventType.NodeCreated, path);
    else watches.add(conn.id, path, "data", Mode.standard);
  }
  for (const path of q.childWatches) {
    const node = tree.get(path);
    if (node === undefined) ctx.notify(conn, -1, EventType.NodeDeleted, path);
    else if (node.pzxid > rel) ctx.notify(conn, -1, EventType.NodeChildrenChanged, path);
    else watches.add(conn.id, path, "child", Mode.standard);
  }
  for (const path of q.persistentWatches) {
    watches.add(conn.id, path, "data", Mode.persistent);
    watches.add(conn.id, path, "child", Mode.persistent);
  }
  for (const path of q.persistentRecursiveWatches) {
    watches.add(conn.id, path, "data", Mode.recursive);
  }
}
