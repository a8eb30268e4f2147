/**
 * ZkClient across connection faults, through a TCP proxy in front of a real server: session
 * resume, CONNECTIONLOSS for requests in flight, watch re-arming with setWatches /
 * setWatches2 (including catch-up events for changes made while disconnected), auth re-sent,
 * the read timeout, pings that keep an idle session alive, and session expiry.
 */

import assert from "node:assert/strict";
import { ZkClient } from "../../lib/client/client.ts";
import { isZkError } from "../../lib/client/errors.ts";
import { CREATOR_ALL_ACL } from "../../lib/client/requests.ts";
import type { WatchedEvent } from "../../lib/client/watches.ts";
import { Err } from "../../lib/proto/errors.ts";
import { AddWatchMode, CreateFlag, EventType, KeeperState } from "../../lib/proto/ops.ts";
import { TcpProxy } from "./tcp_proxy.ts";
import { eventually, freshPath, startTestServer, within } from "./test_server.ts";

const server = await startTestServer();
const TEST_MS = 40_000;
/** The smallest timeout a tickTime=2000 server grants; keeps expiry tests short. */
const SHORT_TIMEOUT_MS = 4_000;

interface Rig {
  proxy: TcpProxy;
  zk: ZkClient;
  /** A second client straight to the server, to make changes and observe. */
  other: ZkClient;
  states: number[];
  events: WatchedEvent[];
}

function faultTest(name: string, timeoutMs: number, body: (rig: Rig) => Promise<void>): void {
  Deno.test(name, async () => {
    const proxy = TcpProxy.start(server.port);
    const states: number[] = [];
    const events: WatchedEvent[] = [];
    const zk = await within(
      TEST_MS,
      "connect",
      ZkClient.connect({
        hosts: proxy.connectString,
        sessionTimeoutMs: timeoutMs,
        watcher: (e) => (e.type === EventType.None ? states.push(e.state) : events.push(e)),
      }),
    );
    const other = await ZkClient.connect({ hosts: server.connectString, sessionTimeoutMs: 10_000 });
    try {
      await within(TEST_MS, name, body({ proxy, zk, other, states, events }));
    } finally {
      await zk.close();
      await other.close();
      await proxy.close();
    }
  });
}

async function reconnected(rig: Rig, sinceStates: number): Promise<void> {
  await eventually(
    15_000,
    "reconnect",
    () =>
      rig.states.slice(sinceStates).includes(KeeperState.SyncConnected) &&
      rig.zk.state === "CONNECTED",
  );
}

faultTest("a cut connection resumes the same session; ephemerals survive", 10_000, async (rig) => {
  const p = freshPath("resume");
  await rig.zk.create(p, null, { mode: CreateFlag.ephemeral });
  const sessionId = rig.zk.sessionId;
  const mark = rig.states.length;
  rig.proxy.cut();
  await reconnected(rig, mark);
  assert.deepEqual(rig.states.slice(mark), [KeeperState.Disconnected, KeeperState.SyncConnected]);
  assert.equal(rig.zk.sessionId, sessionId);
  assert.equal((await rig.other.exists(p))!.ephemeralOwner, sessionId);
  assert.ok((await rig.zk.exists(p)) !== null);
});

faultTest(
  "requests in flight when the connection drops fail with CONNECTIONLOSS",
  10_000,
  async (rig) => {
    const p = freshPath("inflight");
    await rig.zk.create(p);
    rig.proxy.stall();
    const inflight = rig.zk.getData(p);
    await new Promise((r) => setTimeout(r, 50));
    const mark = rig.states.length;
    rig.proxy.cut();
    rig.proxy.unstall();
    await assert.rejects(inflight, (e) => isZkError(e, Err.CONNECTIONLOSS));
    await reconnected(rig, mark);
    assert.equal((await rig.zk.getData(p)).stat.version, 0);
  },
);

faultTest("one-shot watches are re-armed after a reconnect", 10_000, async (rig) => {
  const p = freshPath("rearm");
  await rig.zk.create(p, "a");
  await rig.zk.getData(p, true);
  await rig.zk.getChildren(p, true);
  await rig.zk.exists(`${p}-new`, true);
  const mark = rig.states.length;
  rig.proxy.cut();
  await reconnected(rig, mark);
  await rig.other.setData(p, "b");
  await rig.other.create(`${p}/k`);
  await rig.other.create(`${p}-new`);
  await eventually(5000, "3 events", () => rig.events.length >= 3);
  assert.deepEqual(
    rig.events.map((e) => `${e.type}:${e.path}`).sort(),
    [
      `${EventType.NodeCreated}:${p}-new`,
      `${EventType.NodeDataChanged}:${p}`,
      `${EventType.NodeChildrenChanged}:${p}`,
    ].sort(),
  );
});

faultTest("changes made while disconnected arrive as catch-up events", 10_000, async (rig) => {
  const p = freshPath("catchup");
  await rig.zk.create(p, "a");
  await rig.zk.getData(p, true);
  rig.proxy.refuse(true);
  const mark = rig.states.length;
  rig.proxy.cut();
  await eventually(5000, "disconnected", () => rig.states.includes(KeeperState.Disconnected));
  await rig.other.setData(p, "changed while away");
  rig.proxy.refuse(false);
  await reconnected(rig, mark);
  await eventually(5000, "catch-up event", () => rig.events.length >= 1);
  assert.deepEqual(rig.events, [{ type: EventType.NodeDataChanged, state: 3, path: p }]);
});

faultTest("persistent recursive watches survive a reconnect (setWatches2)", 10_000, async (rig) => {
  const p = freshPath("rearm2");
  await rig.zk.create(p);
  await rig.zk.addWatch(p, AddWatchMode.persistentRecursive);
  const mark = rig.states.length;
  rig.proxy.cut();
  await reconnected(rig, mark);
  await rig.other.create(`${p}/a`);
  await rig.other.setData(`${p}/a`, "x");
  await eventually(5000, "2 events", () => rig.events.length >= 2);
  assert.deepEqual(rig.events.map((e) => `${e.type}:${e.path}`), [
    `${EventType.NodeCreated}:${p}/a`,
    `${EventType.NodeDataChanged}:${p}/a`,
  ]);
});

faultTest("auth is re-sent on every new connection", 10_000, async (rig) => {
  const p = freshPath("reauth");
  await rig.zk.addAuth("digest", "bob:secret");
  await rig.zk.create(p, "mine", { acl: CREATOR_ALL_ACL });
  const mark = rig.states.length;
  rig.proxy.cut();
  await reconnected(rig, mark);
  assert.equal(new TextDecoder().decode((await rig.zk.getData(p)).data!), "mine");
  await assert.rejects(rig.other.getData(p), (e) => isZkError(e, Err.NOAUTH));
});

faultTest("a silent server is dropped after 2/3 of the timeout", SHORT_TIMEOUT_MS, async (rig) => {
  const negotiated = rig.zk.negotiatedTimeoutMs;
  const started = performance.now();
  rig.proxy.stall();
  await eventually(
    negotiated * 2,
    "disconnect",
    () => rig.states.includes(KeeperState.Disconnected),
  );
  const elapsed = performance.now() - started;
  assert.ok(elapsed >= negotiated / 2, `dropped too early: ${elapsed} ms`);
  rig.proxy.unstall();
  await reconnected(rig, rig.states.indexOf(KeeperState.Disconnected));
});

faultTest("pings keep an idle session alive past its timeout", SHORT_TIMEOUT_MS, async (rig) => {
  const p = freshPath("idle");
  await rig.zk.create(p, null, { mode: CreateFlag.ephemeral });
  await new Promise((r) => setTimeout(r, rig.zk.negotiatedTimeoutMs * 1.5));
  assert.equal(rig.zk.state, "CONNECTED");
  assert.deepEqual(rig.states, [KeeperState.SyncConnected]);
  assert.ok((await rig.other.exists(p)) !== null);
});

faultTest(
  "a session that expired while disconnected ends the client",
  SHORT_TIMEOUT_MS,
  async (rig) => {
    const p = freshPath("expire");
    await rig.zk.create(p, null, { mode: CreateFlag.ephemeral });
    rig.proxy.refuse(true);
    rig.proxy.cut();
    // The server expires the session between timeout and timeout + tickTime after last contact.
    await eventually(20_000, "ephemeral gone", async () => (await rig.other.exists(p)) === null);
    rig.proxy.refuse(false);
    await eventually(15_000, "expired", () => rig.states.includes(KeeperState.Expired));
    assert.equal(rig.zk.state, "CLOSED");
    assert.equal(rig.zk.isAlive, false);
    await assert.rejects(rig.zk.exists("/"), (e) => isZkError(e, Err.SESSIONEXPIRED));
  },
);

faultTest("requests made while disconnected wait for the reconnect", 10_000, async (rig) => {
  const p = freshPath("queued");
  await rig.zk.create(p, "v");
  rig.proxy.stall();
  const mark = rig.states.length;
  rig.proxy.cut();
  await eventually(5000, "disconnected", () => rig.states.includes(KeeperState.Disconnected));
  const queued = rig.zk.getData(p);
  rig.proxy.unstall();
  await reconnected(rig, mark);
  assert.equal(new TextDecoder().decode((await queued).data!), "v");
});

Deno.test("stop the test server", async () => {
  await server.stop();
});
