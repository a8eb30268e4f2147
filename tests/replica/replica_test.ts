/**
 * The replica's request path, with no sockets: ZooKeeper's Stat rules, error precedence,
 * multi, FIFO order with pending writes, watches and their order, sessions and auth.
 * Expected values are Apache ZooKeeper 3.8's (see ../../../shared/docs/zk-protocol.md).
 */

import assert from "node:assert/strict";
import { Err } from "../../lib/proto/errors.ts";
import { CreateFlag, EventType, Op, WatcherType, Xid } from "../../lib/proto/ops.ts";
import type { CreateRequest, Stat } from "../../lib/proto/records.ts";
import { sessionPassword } from "../../lib/session/password.ts";
import { enc, OPEN, ReplicaHarness } from "../support/replica_harness.ts";

const create = (
  path: string,
  data = "",
  flags = 0,
  op: 1 | 15 | 19 = Op.create,
): CreateRequest => ({
  op,
  path,
  data: enc(data),
  acl: OPEN,
  flags,
  ttlMs: 0,
});

function stat(h: ReplicaHarness, connId: number, path: string): Stat {
  const r = h.reply(connId, 900, { op: Op.exists, path, watch: false });
  assert.equal(r.err, 0, `exists ${path}`);
  assert.ok(r.res.op === "stat");
  return r.res.stat;
}

Deno.test("fresh tree has ZooKeeper's system nodes and stats", () => {
  const h = new ReplicaHarness();
  const { connId } = h.session();
  const root = stat(h, connId, "/");
  assert.equal(root.cversion, -1);
  assert.equal(root.numChildren, 1);
  const zk = stat(h, connId, "/zookeeper");
  assert.equal(zk.cversion, -2);
  assert.equal(zk.numChildren, 2);
  assert.equal(stat(h, connId, "/zookeeper/config").aversion, -1);
  assert.equal(h.replica.tree.nodeCount, 5);
  const n = h.reply(connId, 1, { op: Op.getAllChildrenNumber, path: "/" });
  assert.ok(n.res.op === "count");
  assert.equal(n.res.count, 3);
});

Deno.test("first session takes zxid 1, first create zxid 2; failed writes use a zxid", () => {
  const h = new ReplicaHarness();
  const { connId } = h.session();
  assert.equal(h.replica.lastZxid, 1);
  const c = h.reply(connId, 1, create("/a"));
  assert.equal(c.err, 0);
  assert.equal(c.zxid, 2);
  const dup = h.reply(connId, 2, create("/a"));
  assert.equal(dup.err, Err.NODEEXISTS);
  assert.equal(dup.zxid, 3);
  const read = h.reply(connId, 3, { op: Op.getData, path: "/a", watch: false });
  assert.equal(read.zxid, 3, "reads do not use a zxid");
});

Deno.test("create and delete update the parent's cversion, pzxid and numChildren", () => {
  const h = new ReplicaHarness();
  const { connId } = h.session();
  h.reply(connId, 1, create("/p"));
  const created = h.reply(connId, 2, create("/p/a", "x", 0, Op.create2));
  assert.ok(created.res.op === "pathStat");
  assert.equal(created.res.stat.czxid, created.zxid);
  assert.equal(created.res.stat.pzxid, created.zxid);
  assert.equal(created.res.stat.dataLength, 1);
  let p = stat(h, connId, "/p");
  assert.equal(p.cversion, 1);
  assert.equal(p.pzxid, created.zxid);
  assert.equal(p.mzxid, p.czxid, "a child create does not touch mzxid");
  const del = h.reply(connId, 3, { op: Op.delete, path: "/p/a", version: -1 });
  assert.equal(del.err, 0);
  p = stat(h, connId, "/p");
  assert.equal(p.cversion, 2, "visible cversion counts deletes too");
  assert.equal(p.numChildren, 0);
  assert.equal(p.pzxid, del.zxid);
});

Deno.test("sequential names come from the parent's creation counter, %010d", () => {
  const h = new ReplicaHarness();
  const { connId } = h.session();
  h.reply(connId, 1, create("/q"));
  h.reply(connId, 2, create("/q/plain"));
  const s1 = h.reply(connId, 3, create("/q/lock-", "", CreateFlag.persistentSequential));
  assert.ok(s1.res.op === "path");
  assert.equal(s1.res.path, "/q/lock-0000000001");
  h.reply(connId, 4, { op: Op.delete, path: "/q/plain", version: -1 });
  const s2 = h.reply(connId, 5, create("/q/", "", CreateFlag.persistentSequential));
  assert.ok(s2.res.op === "path");
  assert.equal(s2.res.path, "/q/0000000002", "deletes do not lower the counter");
});

Deno.test("setData bumps version and mzxid; setACL bumps aversion only", () => {
  const h = new ReplicaHarness();
  const { connId } = h.session();
  h.reply(connId, 1, create("/d", "one"));
  const set = h.reply(connId, 2, { op: Op.setData, path: "/d", data: null, version: 0 });
  assert.ok(set.res.op === "stat");
  assert.equal(set.res.stat.version, 1);
  assert.equal(set.res.stat.mzxid, set.zxid);
  assert.equal(set.res.stat.dataLength, 0, "null data has length 0");
  const get = h.reply(connId, 3, { op: Op.getData, path: "/d", watch: false });
  assert.ok(get.res.op === "data");
  assert.equal(get.res.data, null, "null stays null");
  const bad = h.reply(connId, 4, { op: Op.setData, path: "/d", data: enc("x"), version: 0 });
  assert.equal(bad.err, Err.BADVERSION);
  const acl = h.reply(connId, 5, {
    op: Op.setACL,
    path: "/d",
    acl: [{ perms: 1, scheme: "world", id: "anyone" }],
    version: 0,
  });
  assert.ok(acl.res.op === "stat");
  assert.equal(acl.res.stat.aversion, 1);
  assert.equal(acl.res.stat.version, 1);
  assert.equal(acl.res.stat.mzxid, set.zxid);
});

Deno.test("path validation: creates and setData get BADARGUMENTS, reads get NONODE", () => {
  const h = new ReplicaHarness();
  const { connId } = h.session();
  h.reply(connId, 0, create("/v"));
  for (const path of ["/v/", "/v/..", "/v/.", "/\u0001", "/v\ud83d\ude00", "noslash"]) {
    assert.equal(h.reply(connId, 1, create(path)).err, Err.BADARGUMENTS, path);
  }
  assert.equal(h.reply(connId, 2, create("/a//b")).err, Err.NONODE, "parent /a/ is missing");
  assert.equal(h.reply(connId, 3, create("/")).err, Err.NODEEXISTS);
  assert.equal(
    h.reply(connId, 4, { op: Op.setData, path: "/x/", data: null, version: -1 }).err,
    Err.BADARGUMENTS,
  );
  assert.equal(h.reply(connId, 5, { op: Op.getData, path: "/x/", watch: false }).err, Err.NONODE);
  for (const p of ["/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config"]) {
    assert.equal(h.reply(connId, 6, { op: Op.delete, path: p, version: -1 }).err, Err.BADARGUMENTS);
  }
});

Deno.test("no children under ephemerals; ephemerals go with their session", () => {
  const h = new ReplicaHarness();
  const a = h.session();
  const b = h.session();
  h.reply(a.connId, 1, create("/e", "", CreateFlag.ephemeral));
  assert.equal(h.reply(a.connId, 2, create("/e/c")).err, Err.NOCHILDRENFOREPHEMERALS);
  assert.equal(stat(h, b.connId, "/e").ephemeralOwner, a.resp.sessionId);
  const eph = h.reply(a.connId, 3, { op: Op.getEphemerals, path: "/" });
  assert.ok(eph.res.op === "paths");
  assert.deepEqual(eph.res.paths, ["/e"]);
  h.reply(b.connId, 4, { op: Op.exists, path: "/e", watch: true });
  h.reply(a.connId, 5, { op: Op.closeSession });
  assert.equal(h.closed.get(a.connId), "client closed the session");
  const events = h.drain(b.connId);
  assert.deepEqual(events.map((e) => e.kind === "event" && e.type), [EventType.NodeDeleted]);
  assert.equal(h.reply(b.connId, 6, { op: Op.exists, path: "/e", watch: false }).err, Err.NONODE);
});

Deno.test("multi: all or nothing, per-op results, one zxid", () => {
  const h = new ReplicaHarness();
  const { connId } = h.session();
  h.reply(connId, 1, create("/m"));
  const ok = h.reply(connId, 2, {
    op: Op.multi,
    ops: [
      create("/m/1"),
      create("/m/1/x", "", 0, Op.create2),
      { op: Op.setData, path: "/m/1", data: enc("v"), version: 0 },
      { op: Op.check, path: "/m/1", version: 1 },
      create("/m/s-", "", CreateFlag.persistentSequential),
      create("/m/s-", "", CreateFlag.persistentSequential),
    ],
  });
  assert.ok(ok.res.op === "multi");
  assert.deepEqual(ok.res.results.map((r) => r.type), [1, 15, 5, 13, 1, 1]);
  const paths = ok.res.results.flatMap((r) => ("path" in r ? [r.path] : []));
  assert.deepEqual(paths, ["/m/1", "/m/1/x", "/m/s-0000000001", "/m/s-0000000002"]);
  assert.equal(stat(h, connId, "/m/1/x").czxid, ok.zxid);

  const failed = h.reply(connId, 3, {
    op: Op.multi,
    ops: [
      create("/m/2"),
      { op: Op.check, path: "/m/1", version: 7 },
      { op: Op.delete, path: "/m/1", version: -1 },
    ],
  });
  assert.equal(failed.err, 0, "a failed multi still has err 0 in the header");
  assert.ok(failed.res.op === "multi");
  assert.deepEqual(
    failed.res.results.map((r) => r.type === Op.error ? r.err : "ok"),
    [0, Err.BADVERSION, Err.RUNTIMEINCONSISTENCY],
  );
  assert.equal(failed.zxid, ok.zxid + 1, "a failed multi uses a zxid");
  assert.equal(h.reply(connId, 4, { op: Op.exists, path: "/m/2", watch: false }).err, Err.NONODE);
});

Deno.test("replies keep request order while writes wait for the log", () => {
  const h = new ReplicaHarness();
  const { connId } = h.session();
  const other = h.session();
  h.autoCommit = false;
  h.send(connId, 1, create("/w", "v1"));
  h.send(connId, 2, { op: Op.getData, path: "/w", watch: false });
  h.send(connId, 3, { op: Op.setData, path: "/w", data: enc("v2"), version: 0 });
  h.send(connId, 4, { op: Op.getData, path: "/w", watch: false });
  assert.deepEqual(h.drain(connId), [], "nothing answered before the commit");
  // Another connection does not see uncommitted data.
  assert.equal(
    h.reply(other.connId, 1, { op: Op.exists, path: "/w", watch: false }).err,
    Err.NONODE,
  );
  h.commit();
  const got = h.drain(connId);
  assert.deepEqual(got.map((r) => r.kind === "reply" && r.xid), [1, 2, 3, 4]);
  assert.ok(got.every((r) => r.kind === "reply" && r.err === 0));
});

Deno.test("watch notification arrives before the reply of the write that fired it", () => {
  const h = new ReplicaHarness();
  const { connId } = h.session();
  h.reply(connId, 1, create("/n", "a"));
  h.reply(connId, 2, { op: Op.getData, path: "/n", watch: true });
  const got = h.call(connId, 3, { op: Op.setData, path: "/n", data: enc("b"), version: -1 });
  assert.equal(got.length, 2);
  assert.ok(got[0].kind === "event" && got[0].type === EventType.NodeDataChanged);
  assert.ok(got[1].kind === "reply" && got[1].xid === 3);
  // One-shot: a second change fires nothing.
  assert.equal(
    h.call(connId, 4, { op: Op.setData, path: "/n", data: enc("c"), version: -1 }).length,
    1,
  );
});

Deno.test("one-shot exists/data/child watches fire as in ZooKeeper's example", () => {
  const h = new ReplicaHarness();
  const w = h.session();
  const writer = h.session();
  const events = () =>
    h.drain(w.connId).flatMap((r) => r.kind === "event" ? [[r.type, r.path]] : []);
  assert.equal(h.reply(w.connId, 1, { op: Op.exists, path: "/o", watch: true }).err, Err.NONODE);
  h.reply(writer.connId, 1, create("/o"));
  assert.deepEqual(events(), [[EventType.NodeCreated, "/o"]]);
  h.reply(w.connId, 2, { op: Op.getData, path: "/o", watch: true });
  h.reply(w.connId, 3, { op: Op.getChildren, path: "/o", watch: true });
  h.reply(writer.connId, 2, { op: Op.setData, path: "/o", data: null, version: -1 });
  h.reply(writer.connId, 3, { op: Op.setData, path: "/o", data: null, version: -1 });
  assert.deepEqual(events(), [[EventType.NodeDataChanged, "/o"]]);
  h.reply(writer.connId, 4, create("/o/k"));
  assert.deepEqual(events(), [[EventType.NodeChildrenChanged, "/o"]]);
  h.reply(writer.connId, 5, { op: Op.delete, path: "/o/k", version: -1 });
  assert.deepEqual(events(), []);
});

Deno.test("persistent and recursive watches: event kinds and order", () => {
  const h = new ReplicaHarness();
  const w = h.session();
  const writer = h.session();
  const events = () =>
    h.drain(w.connId).flatMap((r) => r.kind === "event" ? [[r.type, r.path]] : []);
  const add = h.reply(w.connId, 1, { op: Op.addWatch, path: "/r", mode: 1 });
  assert.equal(add.err, 0);
  h.reply(writer.connId, 1, create("/r"));
  h.reply(writer.connId, 2, create("/r/y"));
  h.reply(writer.connId, 3, { op: Op.setData, path: "/r/y", data: null, version: -1 });
  h.reply(writer.connId, 4, { op: Op.setData, path: "/r/y", data: null, version: -1 });
  assert.deepEqual(events(), [
    [EventType.NodeCreated, "/r"],
    [EventType.NodeCreated, "/r/y"],
    [EventType.NodeDataChanged, "/r/y"],
    [EventType.NodeDataChanged, "/r/y"],
  ], "recursive watches never get NodeChildrenChanged");

  h.reply(w.connId, 2, { op: Op.addWatch, path: "/p", mode: 0 });
  h.reply(writer.connId, 5, create("/p"));
  h.reply(writer.connId, 6, create("/p/c"));
  h.reply(writer.connId, 7, { op: Op.delete, path: "/p/c", version: -1 });
  h.reply(writer.connId, 8, { op: Op.delete, path: "/p", version: -1 });
  h.reply(writer.connId, 9, create("/p"));
  assert.deepEqual(events(), [
    [EventType.NodeCreated, "/p"],
    [EventType.NodeChildrenChanged, "/p"],
    [EventType.NodeChildrenChanged, "/p"],
    [EventType.NodeDeleted, "/p"],
    [EventType.NodeCreated, "/p"],
  ], "a persistent watch survives deletion and gets one NodeDeleted");

  const check = h.reply(w.connId, 3, { op: Op.checkWatches, path: "/p", type: WatcherType.any });
  assert.equal(check.err, 0);
  assert.equal(
    h.reply(w.connId, 4, { op: Op.removeWatches, path: "/r", type: WatcherType.any }).err,
    0,
  );
  assert.equal(
    h.reply(w.connId, 5, { op: Op.removeWatches, path: "/r", type: WatcherType.any }).err,
    Err.NOWATCHER,
  );
  assert.equal(
    h.reply(w.connId, 6, { op: Op.addWatch, path: "/r", mode: 7 }).err,
    Err.MARSHALLINGERROR,
  );
});

Deno.test("setWatches fires what the client missed and re-arms the rest", () => {
  const h = new ReplicaHarness();
  const { connId } = h.session();
  h.reply(connId, 1, create("/s1"));
  h.reply(connId, 2, create("/s2"));
  const rel = h.replica.lastZxid;
  h.reply(connId, 3, { op: Op.setData, path: "/s1", data: null, version: -1 });
  h.reply(connId, 4, create("/s3"));
  const got = h.call(connId, 5, {
    op: Op.setWatches,
    relativeZxid: rel,
    dataWatches: ["/s1", "/s2", "/gone"],
    existWatches: ["/s3", "/s4"],
    childWatches: ["/s2"],
    persistentWatches: [],
    persistentRecursiveWatches: [],
  });
  const ev = got.flatMap((r) => r.kind === "event" ? [[r.type, r.path, r.zxid]] : []);
  assert.deepEqual(ev, [
    [EventType.NodeDataChanged, "/s1", -1],
    [EventType.NodeDeleted, "/gone", -1],
    [EventType.NodeCreated, "/s3", -1],
  ]);
  assert.ok(got[got.length - 1].kind === "reply");
  // /s2 (data and child) and /s4 (exist) are armed now.
  const fired = h.call(connId, 6, create("/s4"));
  assert.ok(fired[0].kind === "event" && fired[0].type === EventType.NodeCreated);
});

Deno.test("digest auth, CREATOR_ALL_ACL expansion, NOAUTH and super", () => {
  const h = new ReplicaHarness({
    "zookeeper.DigestAuthenticationProvider.superDigest": "super:xQJmxLMiHGwaqBvst5y6rkB6HQs=",
  });
  const owner = h.session();
  const stranger = h.session();
  const auth = (connId: number, cred: string) =>
    h.call(connId, Xid.auth, { op: Op.auth, type: 0, scheme: "digest", auth: enc(cred) });
  assert.equal(
    h.reply(owner.connId, 1, { ...create("/c"), acl: [{ perms: 31, scheme: "auth", id: "" }] }).err,
    Err.INVALIDACL,
    "auth scheme with no authenticated id",
  );
  const authReply = auth(owner.connId, "user:password");
  assert.ok(
    authReply[0].kind === "reply" && authReply[0].xid === Xid.auth && authReply[0].zxid === 0,
  );
  h.reply(owner.connId, 2, {
    ...create("/c", "secret"),
    acl: [{ perms: 31, scheme: "auth", id: "" }],
  });
  const acl = h.reply(owner.connId, 3, { op: Op.getACL, path: "/c" });
  assert.ok(acl.res.op === "acl");
  assert.deepEqual(acl.res.acl, [{
    perms: 31,
    scheme: "digest",
    id: "user:tpUq/4Pn5A64fVZyQ0gOJ8ZWqkY=",
  }]);
  assert.equal(
    h.reply(stranger.connId, 1, { op: Op.getData, path: "/c", watch: false }).err,
    Err.NOAUTH,
  );
  assert.equal(h.reply(stranger.connId, 2, { op: Op.getACL, path: "/c" }).err, Err.NOAUTH);
  auth(stranger.connId, "super:admin");
  assert.equal(h.reply(stranger.connId, 3, { op: Op.getData, path: "/c", watch: false }).err, 0);
  const who = h.reply(stranger.connId, 4, { op: Op.whoAmI });
  assert.ok(who.res.op === "whoAmI");
  assert.deepEqual(who.res.clientInfo.map((c) => c.authScheme), ["ip", "super", "digest"]);
});

Deno.test("delete checks the parent's DELETE permission before the node's existence", () => {
  const h = new ReplicaHarness();
  const { connId } = h.session();
  h.reply(connId, 1, {
    ...create("/locked"),
    acl: [{ perms: 1 | 4, scheme: "world", id: "anyone" }],
  });
  assert.equal(
    h.reply(connId, 2, { op: Op.delete, path: "/locked/missing", version: -1 }).err,
    Err.NOAUTH,
  );
  assert.equal(h.reply(connId, 3, create("/locked/kid")).err, 0);
  assert.equal(
    h.reply(connId, 4, { op: Op.delete, path: "/locked/kid", version: -1 }).err,
    Err.NOAUTH,
  );
});

Deno.test("an unknown auth scheme gets AUTHFAILED and the connection closes", () => {
  const h = new ReplicaHarness();
  const { connId } = h.session();
  const got = h.call(connId, Xid.auth, {
    op: Op.auth,
    type: 0,
    scheme: "kerberos",
    auth: enc("x"),
  });
  assert.ok(got[0].kind === "reply" && got[0].err === Err.AUTHFAILED);
  assert.ok(h.closed.has(connId));
});

Deno.test("ip ACLs match by address and prefix", () => {
  const h = new ReplicaHarness();
  const local = h.session({ ip: "127.0.0.1" });
  const remote = h.session({ ip: "10.1.2.3" });
  h.reply(local.connId, 1, {
    ...create("/ip"),
    acl: [{ perms: 31, scheme: "ip", id: "127.0.0.0/8" }],
  });
  assert.equal(h.reply(local.connId, 2, { op: Op.getData, path: "/ip", watch: false }).err, 0);
  assert.equal(
    h.reply(remote.connId, 1, { op: Op.getData, path: "/ip", watch: false }).err,
    Err.NOAUTH,
  );
  assert.equal(
    h.reply(local.connId, 3, {
      ...create("/bad"),
      acl: [{ perms: 31, scheme: "ip", id: "1.2.3/8" }],
    }).err,
    Err.INVALIDACL,
  );
});

Deno.test("sessions expire on ticks; a late client gets the invalid-session reply", () => {
  const h = new ReplicaHarness();
  const a = h.session({ timeoutMs: 4000 });
  const watcher = h.session({ timeoutMs: 40000 });
  assert.equal(a.resp.timeOutMs, 4000);
  h.reply(a.connId, 1, create("/tmp", "", CreateFlag.ephemeral));
  h.reply(watcher.connId, 1, { op: Op.exists, path: "/tmp", watch: true });
  h.advance(3000);
  h.reply(watcher.connId, 2, { op: Op.ping });
  assert.equal(h.replica.sessions.size, 2, "not expired before its timeout");
  h.advance(3100); // past timeout + one tick bucket
  assert.equal(h.replica.sessions.size, 1);
  assert.ok(h.closed.has(a.connId));
  const ev = h.drain(watcher.connId).filter((r) => r.kind === "event");
  assert.equal(ev.length, 1);
  const late = h.open();
  const resp = h.connect(late, { sessionId: a.resp.sessionId, passwd: a.resp.passwd });
  assert.ok(resp !== undefined);
  assert.equal(resp.timeOutMs, 0);
  assert.equal(resp.sessionId, 0n);
  assert.deepEqual(resp.passwd, new Uint8Array(16));
  assert.ok(h.closed.has(late));
});

Deno.test("handshake: timeout clamped, readOnly byte mirrored, resume, wrong password", () => {
  const h = new ReplicaHarness();
  const c1 = h.open();
  const r1 = h.connect(c1, { timeoutMs: 100, readOnly: undefined });
  assert.ok(r1 !== undefined);
  assert.equal(r1.timeOutMs, 4000);
  assert.equal(r1.readOnly, undefined, "no readOnly byte back to a client that sent none");
  assert.deepEqual(r1.passwd, sessionPassword(r1.sessionId));
  h.reply(c1, 1, { op: Op.exists, path: "/x", watch: true });
  const c2 = h.open();
  const r2 = h.connect(c2, { sessionId: r1.sessionId, passwd: r1.passwd, timeoutMs: 1_000_000 });
  assert.ok(r2 !== undefined);
  assert.equal(r2.sessionId, r1.sessionId);
  assert.equal(r2.timeOutMs, 40000);
  assert.equal(r2.readOnly, false);
  assert.ok(h.closed.has(c1), "the older connection is closed when the session moves");
  assert.equal(h.replica.watches.count, 0, "its watches went with it");
  const c3 = h.open();
  const bad = h.connect(c3, { sessionId: r1.sessionId, passwd: new Uint8Array(16).fill(7) });
  assert.equal(bad?.timeOutMs, 0);
  assert.ok(h.closed.has(c3));
});

Deno.test("a client that has seen a newer zxid is refused without a reply", () => {
  const h = new ReplicaHarness();
  const c = h.open();
  assert.equal(h.connect(c, { lastZxidSeen: 1000 }), undefined);
  assert.match(h.closed.get(c)!, /client must try another server/);
});

Deno.test("bad requests: MARSHALLINGERROR keeps the connection, unknown opcode closes it", () => {
  const h = new ReplicaHarness();
  const { connId } = h.session();
  // getData with a truncated body.
  h.sendRaw(connId, new Uint8Array([0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 9, 0x2f]));
  const m = h.drain(connId);
  assert.ok(m[0].kind === "reply" && m[0].err === Err.MARSHALLINGERROR && m[0].xid === 1);
  assert.ok(!h.closed.has(connId));
  // multi mixing a read into a write multi
  h.send(connId, 2, { op: Op.multi, ops: [{ op: Op.getData, path: "/", watch: false }] });
  const mm = h.drain(connId);
  assert.ok(mm[0].kind === "reply" && mm[0].err === Err.MARSHALLINGERROR);
  h.sendRaw(connId, new Uint8Array([0, 0, 0, 3, 0, 0, 0, 99]));
  const u = h.drain(connId);
  assert.ok(u[0].kind === "reply" && u[0].err === Err.UNIMPLEMENTED && u[0].zxid === -1);
  assert.ok(h.closed.has(connId));
});

Deno.test("createTTL needs extendedTypesEnabled; containers are cleaned once emptied", () => {
  const off = new ReplicaHarness();
  const s = off.session();
  const ttlReq: CreateRequest = { ...create("/t"), op: Op.createTTL, flags: 5, ttlMs: 1000 };
  assert.equal(off.reply(s.connId, 1, ttlReq).err, Err.UNIMPLEMENTED);

  const h = new ReplicaHarness({
    extendedTypesEnabled: "true",
    "znode.container.checkIntervalMs": "100",
  });
  const { connId } = h.session();
  assert.equal(h.reply(connId, 1, ttlReq).err, 0);
  assert.equal(h.reply(connId, 2, { ...ttlReq, flags: 0 }).err, Err.BADARGUMENTS);
  assert.equal(h.reply(connId, 3, { ...create("/t2"), flags: 5 }).err, Err.BADARGUMENTS);
  const c = h.reply(connId, 4, { ...create("/box", "", CreateFlag.container, Op.createContainer) });
  assert.ok(c.res.op === "pathStat");
  assert.equal(c.res.stat.ephemeralOwner, 0n);
  h.advance(200);
  assert.equal(
    h.reply(connId, 5, { op: Op.exists, path: "/box", watch: false }).err,
    0,
    "never used",
  );
  h.reply(connId, 6, create("/box/kid"));
  h.reply(connId, 7, { op: Op.delete, path: "/box/kid", version: -1 });
  h.advance(200);
  assert.equal(h.reply(connId, 8, { op: Op.exists, path: "/box", watch: false }).err, Err.NONODE);
  assert.equal(h.reply(connId, 9, { op: Op.exists, path: "/t", watch: false }).err, 0, "ttl alive");
  h.advance(1000);
  assert.equal(h.reply(connId, 10, { op: Op.exists, path: "/t", watch: false }).err, Err.NONODE);
});

Deno.test("maxClientCnxns limits connections per IP", () => {
  const h = new ReplicaHarness({ maxClientCnxns: "2" });
  assert.ok(h.open("10.0.0.1") > 0);
  assert.ok(h.open("10.0.0.1") > 0);
  assert.equal(h.open("10.0.0.1"), -1);
  assert.ok(h.open("10.0.0.2") > 0);
});

Deno.test("reconfig is RECONFIGDISABLED by default, sasl answers a null token", () => {
  const h = new ReplicaHarness();
  const { connId } = h.session();
  const r = h.reply(connId, 1, {
    op: Op.reconfig,
    joiningServers: null,
    leavingServers: null,
    newMembers: null,
    curConfigId: -1,
  });
  assert.equal(r.err, Err.RECONFIGDISABLED);
  const s = h.call(connId, 2, { op: Op.sasl, token: new Uint8Array(0) });
  assert.ok(s[0].kind === "reply" && s[0].err === 0 && s[0].zxid === 0);
  assert.ok(!h.closed.has(connId));
});

Deno.test("multiRead returns per-op results and errors", () => {
  const h = new ReplicaHarness();
  const { connId } = h.session();
  h.reply(connId, 1, create("/mr", "d"));
  const r = h.reply(connId, 2, {
    op: Op.multiRead,
    ops: [
      { op: Op.getData, path: "/mr", watch: false },
      { op: Op.getChildren, path: "/", watch: false },
      { op: Op.getData, path: "/none", watch: false },
    ],
  });
  assert.ok(r.res.op === "multi");
  assert.deepEqual(r.res.results.map((x) => x.type), [Op.getData, Op.getChildren, Op.error]);
  const last = r.res.results[2];
  assert.ok(last.type === Op.error && last.err === Err.NONODE);
});
