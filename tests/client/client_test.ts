/**
 * ZkClient against a real server (Apache ZooKeeper 3.8 unless ZKD_TEST_SERVER says zkd):
 * every typed operation, error codes, create modes, multi, ACLs and auth, pipelining, large
 * values and one-shot / persistent watches.
 */

import assert from "node:assert/strict";
import { ConnectError, ZkClient } from "../../lib/client/client.ts";
import { isZkError, ZkError } from "../../lib/client/errors.ts";
import { CREATOR_ALL_ACL, MultiOp, READ_ACL_UNSAFE } from "../../lib/client/requests.ts";
import type { WatchedEvent } from "../../lib/client/watches.ts";
import { Err } from "../../lib/proto/errors.ts";
import { AddWatchMode, CreateFlag, EventType, Op, WatcherType } from "../../lib/proto/ops.ts";
import { eventually, freshPath, startTestServer, within } from "./test_server.ts";

const server = await startTestServer();
const TEST_MS = 30_000;
const text = new TextEncoder();
const untext = new TextDecoder();

function connect(extra: Partial<Parameters<typeof ZkClient.connect>[0]> = {}) {
  return within(
    TEST_MS,
    "connect",
    ZkClient.connect({ hosts: server.connectString, sessionTimeoutMs: 10_000, ...extra }),
  );
}

/** Runs `body` with a fresh client (closed afterwards), bounded by TEST_MS. */
function withClient(name: string, body: (zk: ZkClient) => Promise<void>): void {
  Deno.test(name, async () => {
    const zk = await connect();
    try {
      await within(TEST_MS, name, body(zk));
    } finally {
      await zk.close();
    }
  });
}

async function rejectsWith(work: Promise<unknown>, code: number): Promise<ZkError> {
  try {
    await work;
  } catch (e) {
    assert.ok(isZkError(e), `expected ZkError, got ${e}`);
    assert.equal(e.code, code, `expected code ${code}, got ${e.code} (${e.message})`);
    return e;
  }
  assert.fail(`expected ZkError ${code}, but it succeeded`);
}

/** Records every event a client's default listeners get. */
function recorder(zk: ZkClient): { events: WatchedEvent[]; stop: () => void } {
  const events: WatchedEvent[] = [];
  const stop = zk.addListener((e) => events.push(e));
  return { events, stop };
}

withClient("connect() negotiates a session with a 16-byte password", async (zk) => {
  assert.equal(zk.state, "CONNECTED");
  assert.notEqual(zk.sessionId, 0n);
  assert.equal(zk.passwd.byteLength, 16);
  assert.ok(zk.negotiatedTimeoutMs >= 4000 && zk.negotiatedTimeoutMs <= 40000);
  assert.deepEqual(await zk.getChildren("/zookeeper").then((c) => c.includes("quota")), true);
});

withClient(
  "create(), getData(), setData() and delete() round-trip data and versions",
  async (zk) => {
    const p = freshPath("crud");
    assert.equal(await zk.create(p, "hello"), p);
    const got = await zk.getData(p);
    assert.equal(untext.decode(got.data!), "hello");
    assert.equal(got.stat.version, 0);
    assert.equal(got.stat.dataLength, 5);
    const stat = await zk.setData(p, "bye", 0);
    assert.equal(stat.version, 1);
    assert.ok(stat.mzxid > stat.czxid);
    assert.ok(zk.lastZxidSeen >= stat.mzxid);
    await rejectsWith(zk.setData(p, "x", 0), Err.BADVERSION);
    await rejectsWith(zk.delete(p, 0), Err.BADVERSION);
    await zk.delete(p, 1);
    assert.equal(await zk.exists(p), null);
  },
);

withClient("null data stays null and empty data stays empty", async (zk) => {
  const p = freshPath("null");
  await zk.create(p);
  assert.equal((await zk.getData(p)).data, null);
  await zk.create(`${p}/e`, new Uint8Array(0));
  assert.deepEqual((await zk.getData(`${p}/e`)).data, new Uint8Array(0));
});

withClient("errors reject with ZkError carrying code, name and path", async (zk) => {
  const p = freshPath("err");
  const e = await rejectsWith(zk.getData(`${p}/missing`), Err.NONODE);
  assert.equal(e.name, "NONODE");
  assert.equal(e.path, `${p}/missing`);
  assert.equal(e.message, `KeeperErrorCode = NoNode for ${p}/missing`);
  await zk.create(p);
  await zk.create(`${p}/c`);
  await rejectsWith(zk.create(p), Err.NODEEXISTS);
  await rejectsWith(zk.delete(p), Err.NOTEMPTY);
  await rejectsWith(zk.create(`${p}/x/y`), Err.NONODE);
  await rejectsWith(zk.create("bad"), Err.BADARGUMENTS);
  await rejectsWith(zk.delete("/zookeeper"), Err.BADARGUMENTS);
});

withClient("exists() returns the Stat, or null for a missing node", async (zk) => {
  const p = freshPath("exists");
  assert.equal(await zk.exists(p), null);
  await zk.create(p, "x");
  const stat = await zk.exists(p);
  assert.ok(stat !== null);
  assert.equal(stat.dataLength, 1);
  assert.equal(stat.ephemeralOwner, 0n);
});

withClient("create() modes: sequential, ephemeral, container and TTL", async (zk) => {
  const p = freshPath("modes");
  await zk.create(p);
  const s1 = await zk.create(`${p}/s-`, null, { mode: CreateFlag.persistentSequential });
  const s2 = await zk.create(`${p}/s-`, null, { mode: CreateFlag.ephemeralSequential });
  assert.equal(s1, `${p}/s-0000000000`);
  assert.equal(s2, `${p}/s-0000000001`);
  const eph = await zk.create(`${p}/e`, null, { mode: CreateFlag.ephemeral });
  assert.equal((await zk.exists(eph))!.ephemeralOwner, zk.sessionId);
  assert.deepEqual((await zk.getEphemerals(p)).sort(), [`${p}/e`, s2].sort());
  await rejectsWith(zk.create(`${eph}/child`), Err.NOCHILDRENFOREPHEMERALS);
  const container = await zk.create2(`${p}/c`, null, { mode: CreateFlag.container });
  assert.equal(container.path, `${p}/c`);
  assert.equal(container.stat.ephemeralOwner, 0n);
  const ttl = await zk.create(`${p}/t`, "x", { mode: CreateFlag.persistentWithTtl, ttlMs: 60_000 });
  assert.equal(ttl, `${p}/t`);
  const ttlSeq = await zk.create2(`${p}/ts-`, null, {
    mode: CreateFlag.persistentSequentialWithTtl,
    ttlMs: 60_000,
  });
  assert.match(ttlSeq.path, /\/ts-\d{10}$/);
});

withClient("create2() returns the new node's Stat", async (zk) => {
  const p = freshPath("create2");
  const { path, stat } = await zk.create2(p, "abc");
  assert.equal(path, p);
  assert.equal(stat.dataLength, 3);
  assert.equal(stat.czxid, stat.mzxid);
  assert.equal(stat.version, 0);
});

withClient("getChildren() and getChildren2() list children and the parent Stat", async (zk) => {
  const p = freshPath("children");
  await zk.create(p);
  for (const c of ["b", "a", "c"]) await zk.create(`${p}/${c}`);
  assert.deepEqual((await zk.getChildren(p)).sort(), ["a", "b", "c"]);
  const { children, stat } = await zk.getChildren2(p);
  assert.deepEqual(children.sort(), ["a", "b", "c"]);
  assert.equal(stat.numChildren, 3);
  assert.equal(stat.cversion, 3);
  assert.equal(await zk.getAllChildrenNumber(p), 3);
  assert.equal(await zk.sync(p), p);
});

withClient(
  "multi() returns per-op results and does not throw when the transaction fails",
  async (zk) => {
    const p = freshPath("multi");
    const ok = await zk.multi([
      MultiOp.create(p, null),
      MultiOp.create2(`${p}/a`, text.encode("1")),
      MultiOp.setData(`${p}/a`, text.encode("2"), 0),
      MultiOp.check(`${p}/a`, 1),
      MultiOp.create(`${p}/s-`, null, { mode: CreateFlag.persistentSequential }),
      MultiOp.delete(`${p}/s-0000000001`),
    ]);
    // Apache ZooKeeper 3.8.0 reports a create2 sub-op as result type 1 (path only); the
    // protocol notes (zk-protocol §8.2) describe type 15 with a Stat. Accept both.
    assert.ok(ok[1].type === Op.create || ok[1].type === Op.create2);
    assert.deepEqual(ok.map((r, i) => i === 1 ? Op.create2 : r.type), [
      Op.create,
      Op.create2,
      Op.setData,
      Op.check,
      Op.create,
      Op.delete,
    ]);
    assert.deepEqual(ok[0], { type: Op.create, path: p });
    const failed = await zk.multi([
      MultiOp.create(`${p}/b`, null),
      MultiOp.check(`${p}/a`, 7),
      MultiOp.delete(`${p}/a`),
    ]);
    assert.deepEqual(failed, [
      { type: Op.error, err: 0 },
      { type: Op.error, err: Err.BADVERSION },
      { type: Op.error, err: Err.RUNTIMEINCONSISTENCY },
    ]);
    assert.equal(await zk.exists(`${p}/b`), null);
  },
);

withClient("multiRead() answers each read on its own", async (zk) => {
  const p = freshPath("multiread");
  await zk.create(p, "d");
  await zk.create(`${p}/k`);
  const results = await zk.multiRead([
    MultiOp.getData(p),
    MultiOp.getChildren(p),
    MultiOp.getData(`${p}/missing`),
  ]);
  assert.equal(results.length, 3);
  assert.ok(results[0].type === Op.getData && untext.decode(results[0].data!) === "d");
  assert.deepEqual(results[1], { type: Op.getChildren, children: ["k"] });
  assert.deepEqual(results[2], { type: Op.error, err: Err.NONODE });
});

withClient("getACL(), setACL(), addAuth() and whoAmI() follow the ACL rules", async (zk) => {
  const p = freshPath("acl");
  await zk.create(p, "x");
  const { acl, stat } = await zk.getACL(p);
  assert.deepEqual(acl, [{ perms: 31, scheme: "world", id: "anyone" }]);
  assert.equal(stat.aversion, 0);
  assert.equal((await zk.setACL(p, READ_ACL_UNSAFE, 0)).aversion, 1);
  await rejectsWith(zk.setData(p, "y"), Err.NOAUTH);
  await rejectsWith(zk.create(`${p}/c`), Err.NOAUTH);
  // ACL fix-up comes before the permission check, and "auth" needs an authenticated id.
  await rejectsWith(zk.create(`${p}/c`, null, { acl: CREATOR_ALL_ACL }), Err.INVALIDACL);

  await zk.addAuth("digest", "alice:secret");
  assert.deepEqual(
    (await zk.whoAmI()).map((i) => `${i.authScheme}:${i.user}`).sort(),
    ["digest:alice", "ip:127.0.0.1"],
  );
  await zk.create(`${p}-2`, "s", { acl: CREATOR_ALL_ACL });
  const mine = await zk.getACL(`${p}-2`);
  assert.equal(mine.acl.length, 1);
  assert.equal(mine.acl[0].scheme, "digest");
  assert.match(mine.acl[0].id, /^alice:/);

  const other = await connect();
  try {
    await rejectsWith(other.getData(`${p}-2`), Err.NOAUTH);
  } finally {
    await other.close();
  }
});

withClient("an unknown auth scheme fails the session with AUTHFAILED", async (zk) => {
  const events = recorder(zk).events;
  await rejectsWith(zk.addAuth("nosuchscheme", "x"), Err.AUTHFAILED);
  await eventually(5000, "AUTH_FAILED state", () => zk.state === "AUTH_FAILED");
  assert.ok(events.some((e) => e.type === EventType.None && e.state === 4));
  await rejectsWith(zk.exists("/"), Err.AUTHFAILED);
});

withClient("pipelined requests resolve in order, each with its own result", async (zk) => {
  const p = freshPath("pipe");
  await zk.create(p, "0");
  const count = 2000;
  const work: Promise<unknown>[] = [];
  for (let i = 1; i <= count; i++) {
    work.push(zk.setData(p, String(i)));
    work.push(zk.getData(p));
  }
  const results = await Promise.all(work);
  for (let i = 1; i <= count; i++) {
    const stat = results[2 * i - 2] as { version: number };
    const got = results[2 * i - 1] as { data: Uint8Array; stat: { version: number } };
    assert.equal(stat.version, i);
    // A read sees every write issued before it on the same session.
    assert.equal(untext.decode(got.data), String(i));
  }
});

withClient("a 1,000,000-byte value round-trips", async (zk) => {
  const p = freshPath("big");
  const value = new Uint8Array(1_000_000);
  for (let i = 0; i < value.length; i++) value[i] = i % 251;
  await zk.create(p, value);
  const got = await zk.getData(p);
  assert.equal(got.stat.dataLength, 1_000_000);
  assert.deepEqual(got.data, value);
});

withClient(
  "one-shot watches fire once, before the reply of the write that fired them",
  async (zk) => {
    const p = freshPath("watch");
    const seen: string[] = [];
    zk.addListener((e) => seen.push(`${e.type}:${e.path}`));
    assert.equal(await zk.exists(p, true), null);
    await zk.create(p, "a");
    // The notification is queued before the create's reply (zk-protocol §5.7).
    assert.deepEqual(seen, [`${EventType.NodeCreated}:${p}`]);
    await zk.getData(p, true);
    await zk.getChildren(p, true);
    await zk.setData(p, "b");
    await zk.setData(p, "c");
    await zk.create(`${p}/k`);
    await zk.sync(p);
    assert.deepEqual(seen, [
      `${EventType.NodeCreated}:${p}`,
      `${EventType.NodeDataChanged}:${p}`,
      `${EventType.NodeChildrenChanged}:${p}`,
    ]);
  },
);

withClient("a watcher function gets only its own watch's events", async (zk) => {
  const p = freshPath("watcherfn");
  await zk.create(p, "a");
  const mine: WatchedEvent[] = [];
  const all = recorder(zk).events;
  await zk.getData(p, (e) => mine.push(e));
  await zk.setData(p, "b");
  assert.deepEqual(mine, [{ type: EventType.NodeDataChanged, state: 3, path: p }]);
  assert.deepEqual(all, []);
});

withClient("addWatch() recursive watches see descendants until removeWatches()", async (zk) => {
  const p = freshPath("persist");
  await zk.create(p);
  const events: WatchedEvent[] = [];
  await zk.addWatch(p, AddWatchMode.persistentRecursive, (e) => events.push(e));
  assert.ok(zk.hasWatch(p, WatcherType.any));
  await zk.checkWatches(p, WatcherType.any);
  await zk.create(`${p}/a`);
  await zk.create(`${p}/a/b`, "1");
  await zk.setData(`${p}/a/b`, "2");
  await zk.setData(`${p}/a/b`, "3");
  await zk.sync(p);
  assert.deepEqual(events.map((e) => `${e.type}:${e.path}`), [
    `${EventType.NodeCreated}:${p}/a`,
    `${EventType.NodeCreated}:${p}/a/b`,
    `${EventType.NodeDataChanged}:${p}/a/b`,
    `${EventType.NodeDataChanged}:${p}/a/b`,
  ]);
  await zk.removeWatches(p, WatcherType.any);
  assert.equal(events.at(-1)!.type, EventType.PersistentWatchRemoved);
  const before = events.length;
  await zk.setData(`${p}/a/b`, "4");
  await zk.sync(p);
  assert.equal(events.length, before);
  await rejectsWith(zk.checkWatches(p, WatcherType.any), Err.NOWATCHER);
});

withClient("addWatch() persistent watches survive their trigger", async (zk) => {
  const p = freshPath("persist1");
  const events: WatchedEvent[] = [];
  await zk.addWatch(p, AddWatchMode.persistent, (e) => events.push(e));
  await zk.create(p);
  await zk.create(`${p}/c`);
  await zk.setData(p, "x");
  await zk.delete(`${p}/c`);
  await zk.sync(p);
  assert.deepEqual(events.map((e) => e.type), [
    EventType.NodeCreated,
    EventType.NodeChildrenChanged,
    EventType.NodeDataChanged,
    EventType.NodeChildrenChanged,
  ]);
});

Deno.test("events() yields notifications and ends when the client closes", async () => {
  const zk = await connect();
  const p = freshPath("iter");
  const iterator = zk.events();
  await zk.exists(p, true);
  await zk.create(p);
  const first = await within(5000, "first event", iterator.next());
  assert.deepEqual(first.value, { type: EventType.NodeCreated, state: 3, path: p });
  await zk.close();
  const rest: WatchedEvent[] = [];
  for await (const e of iterator) rest.push(e);
  assert.deepEqual(rest, [{ type: EventType.None, state: 7, path: null }]);
});

Deno.test("close() deletes the session's ephemerals before it resolves", async () => {
  const zk = await connect();
  const other = await connect();
  try {
    const p = freshPath("close");
    await zk.create(p, null, { mode: CreateFlag.ephemeral });
    assert.ok((await other.exists(p)) !== null);
    await zk.close();
    assert.equal(zk.state, "CLOSED");
    assert.equal(await other.exists(p), null);
    await rejectsWith(zk.getData(p), Err.SESSIONEXPIRED);
    await zk.close(); // twice is fine
  } finally {
    await other.close();
  }
});

withClient("request() sends any opcode; an unknown one gets UNIMPLEMENTED", async (zk) => {
  const p = freshPath("raw");
  const reply = await zk.request(Op.create, {
    op: Op.create,
    path: p,
    data: null,
    acl: [{ perms: 31, scheme: "world", id: "anyone" }],
    flags: 0,
    ttlMs: 0,
  });
  assert.deepEqual(reply.response, { op: "path", path: p });
  assert.ok(reply.zxid > 0);
  const sessionId = zk.sessionId;
  const disconnected = new Promise<void>((resolve) => {
    zk.addListener((e) => e.type === EventType.None && e.state === 0 && resolve());
  });
  await rejectsWith(zk.request(999, new Uint8Array(0)), Err.UNIMPLEMENTED);
  // The server closes the connection after UNIMPLEMENTED; the client resumes the session.
  await within(5000, "disconnect", disconnected);
  assert.ok((await zk.exists(p)) !== null);
  assert.equal(zk.sessionId, sessionId);
  assert.equal(zk.state, "CONNECTED");
});

Deno.test("connect() with sessionId and passwd resumes a live session", async () => {
  const first = await connect({ reconnect: false });
  const p = freshPath("takeover");
  await first.create(p, null, { mode: CreateFlag.ephemeral });
  const firstEnded = new Promise<void>((resolve) => {
    first.addListener((e) => e.type === EventType.None && e.state === 7 && resolve());
  });
  const second = await connect({ sessionId: first.sessionId, passwd: first.passwd });
  try {
    assert.equal(second.sessionId, first.sessionId);
    assert.deepEqual(await second.getEphemerals(p), [p]);
    // The server closed the first connection; without reconnect, that client is done.
    await within(10_000, "first client closed", firstEnded);
    assert.equal(first.state, "CLOSED");
    assert.equal((await second.exists(p))!.ephemeralOwner, second.sessionId);
  } finally {
    await first.close();
    await second.close();
  }
});

Deno.test("connect() with a session the server does not know fails with SESSIONEXPIRED", async () => {
  await rejectsWith(
    ZkClient.connect({
      hosts: server.connectString,
      sessionTimeoutMs: 10_000,
      sessionId: 0x7eadbeef00000001n,
      passwd: new Uint8Array(16),
    }),
    Err.SESSIONEXPIRED,
  );
});

Deno.test("connect() to a port nobody listens on fails fast with ConnectError", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const started = performance.now();
  await assert.rejects(
    ZkClient.connect({ hosts: `127.0.0.1:${port}`, connectAttemptsMax: 1 }),
    (e: unknown) => e instanceof ConnectError && /Connection refused/i.test(e.message),
  );
  assert.ok(performance.now() - started < 5000);
});

Deno.test("connect() skips a dead host and uses the next one", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const dead = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const zk = await within(
    TEST_MS,
    "connect",
    ZkClient.connect({
      hosts: `127.0.0.1:${dead},${server.connectString}`,
      sessionTimeoutMs: 10_000,
    }),
  );
  try {
    assert.equal(zk.currentHost, server.connectString);
    assert.ok((await zk.exists("/")) !== null);
  } finally {
    await zk.close();
  }
});

Deno.test("stop the test server", async () => {
  await server.stop();
});
