// node-zookeeper-client 1.1.3 (a third-party pure-JavaScript client) against zkd, compared with
// Apache ZooKeeper 3.8. Runs in this Deno process through npm: compat.

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { differentialSuite, interopTest, isSubset } from "./support/differential.ts";
import { NodeRun, zk } from "./support/node_client.ts";

const suite = differentialSuite();
// The node client accepts only Node Buffers as data (a Uint8Array is "not a valid buffer").
const enc = (s: string) => Buffer.from(s, "utf8");

/** Runs `scenario` against Apache ZooKeeper (checked by `checkApache`), then zkd; logs must match. */
async function sameAsApache(
  scenario: (run: NodeRun, cs: string) => Promise<void>,
  checkApache: (log: Record<string, unknown>[]) => void,
) {
  const runOn = async (cs: string) => {
    const run = new NodeRun();
    try {
      await scenario(run, cs);
    } finally {
      await run.closeAll();
    }
    return run;
  };
  const apache = await runOn((await suite.apache()).connectString);
  checkApache(apache.log as Record<string, unknown>[]);
  if (Deno.env.get("ZKD_INTEROP_REFERENCE_ONLY") === "1") return;
  const zkdServer = await suite.zkd();
  const zkd = await runOn(zkdServer.connectString);
  try {
    assert.equal(zkd.text(), apache.text());
  } catch (e) {
    if (e instanceof Error) {
      e.message += `\n(actual = zkd, expected = Apache ZooKeeper 3.8)\n--- zkd log tail:\n` +
        (await zkdServer.logTail());
    }
    throw e;
  }
}

/** Asserts that each `expected` entry is a subset of some log line, in order. */
function expectInOrder(log: Record<string, unknown>[], expected: Record<string, unknown>[]) {
  let i = 0;
  for (const want of expected) {
    while (i < log.length && !isSubset(want, log[i])) i++;
    assert.ok(
      i < log.length,
      `missing ${JSON.stringify(want)} in:\n${log.map((l) => JSON.stringify(l)).join("\n")}`,
    );
    i++;
  }
}

interopTest("node-zookeeper-client: CRUD, sequential and ephemeral nodes, errors", async () => {
  await sameAsApache(async (run, cs) => {
    const a = await run.connect("A", cs);
    await a.create("/nd", null);
    await a.create("/nd/p", enc("hello"));
    await a.create("/nd/empty", Buffer.alloc(0));
    await a.getData("/nd");
    await a.getData("/nd/p");
    await a.getData("/nd/empty");
    await a.create("/nd/s-", null, zk.CreateMode.PERSISTENT_SEQUENTIAL);
    await a.create("/nd/e", enc("x"), zk.CreateMode.EPHEMERAL);
    await a.create("/nd/es-", enc("x"), zk.CreateMode.EPHEMERAL_SEQUENTIAL);
    await a.getData("/nd/e");
    await a.exists("/nd/missing");
    await a.exists("/nd/p");
    await a.setData("/nd/p", enc("v1"), 0);
    await a.setData("/nd/p", enc("v2"), 0);
    await a.getChildren("/nd");
    await a.remove("/nd");
    await a.remove("/nd/p", 7);
    await a.create("/nd/p", null);
    await a.create("/nd/missing/child", null);
    await a.create("/nd/e/child", null);
    await a.getData("/nd/missing");
    // Paths the node client does not check locally: the server must reject them.
    await a.create("/nd/ctl\u0001", null);
    await a.create("/nd/emoji-\u{1F600}", null);
    await a.mkdirp("/nd/deep/er/path");
    await a.getChildren("/nd/deep/er");
    await a.remove("/zookeeper");
    await a.getChildren("/zookeeper");
    const b = await run.connect("B", cs);
    await b.getData("/nd/e");
    await a.close();
    await b.exists("/nd/e");
    await b.getChildren("/nd");
  }, (log) =>
    expectInOrder(log, [
      { cmd: "getData", path: "/nd", data: null },
      { cmd: "getData", path: "/nd/p", data: "hello" },
      { cmd: "getData", path: "/nd/empty", data: "" },
      { cmd: "create", path: "/nd/s-", result: "/nd/s-0000000002" },
      { cmd: "create", path: "/nd/es-", result: "/nd/es-0000000004" },
      { cmd: "getData", path: "/nd/e", stat: { ephemeralOwner: "A" } },
      { cmd: "exists", path: "/nd/missing", rc: "OK", stat: null },
      { cmd: "setData", path: "/nd/p", rc: "OK" },
      { cmd: "setData", path: "/nd/p", rc: "BAD_VERSION" },
      { cmd: "remove", path: "/nd", rc: "NOT_EMPTY" },
      { cmd: "remove", path: "/nd/p", rc: "BAD_VERSION" },
      { cmd: "create", path: "/nd/p", rc: "NODE_EXISTS" },
      { cmd: "create", path: "/nd/missing/child", rc: "NO_NODE" },
      { cmd: "create", path: "/nd/e/child", rc: "NO_CHILDREN_FOR_EPHEMERALS" },
      { cmd: "getData", path: "/nd/missing", rc: "NO_NODE" },
      { cmd: "create", path: "/nd/ctl\u0001", rc: "BAD_ARGUMENTS" },
      { cmd: "create", path: "/nd/emoji-\u{1F600}", rc: "BAD_ARGUMENTS" },
      { cmd: "mkdirp", rc: "OK" },
      { cmd: "getChildren", path: "/nd/deep/er", children: ["path"] },
      { cmd: "remove", path: "/zookeeper", rc: "BAD_ARGUMENTS" },
      { cmd: "getChildren", path: "/zookeeper", children: ["config", "quota"] },
      { cmd: "getData", conn: "B", path: "/nd/e", stat: { ephemeralOwner: "A" } },
      // close() sent closeSession: A's ephemerals are gone for B straight away.
      { cmd: "exists", conn: "B", path: "/nd/e", stat: null },
    ]));
});

interopTest("node-zookeeper-client: watches, ACLs, auth and transactions", async () => {
  await sameAsApache(async (run, cs) => {
    const a = await run.connect("A", cs);
    const b = await run.connect("B", cs);
    await a.create("/nw", enc("x"));
    await a.exists("/nw/c", "ex");
    await a.getData("/nw", "data");
    await a.getChildren("/nw", "child");
    await b.create("/nw/c", enc("1"));
    await b.setData("/nw", enc("2"));
    await b.setData("/nw", enc("3"));
    await b.remove("/nw/c");
    await run.events(3);
    // Transactions: success, and failure with per-op results.
    await a.transaction([["create", "/nw/t1", enc("a")], ["set", "/nw/t1", enc("b"), 0], [
      "check",
      "/nw",
      2,
    ]]);
    await a.transaction([["create", "/nw/t2"], ["check", "/nw", 99], ["remove", "/nw/t1"]]);
    await a.exists("/nw/t2");
    await a.getData("/nw/t1");
    // Digest ACLs.
    const bob = new zk.ACL(
      zk.Permission.ALL,
      new zk.Id("digest", "bob:fyVmFCwVbTJYrznoSu1koqYEYF0="),
    );
    a.addAuthInfo("digest", "bob:secret");
    await a.create("/nw/secret", enc("s"), 0, [bob]);
    await a.getACL("/nw/secret");
    await b.getData("/nw/secret");
    await b.setACL("/nw/secret", zk.ACL.OPEN_ACL_UNSAFE);
    b.addAuthInfo("digest", "bob:secret");
    await b.getData("/nw/secret");
    await b.setACL("/nw/secret", zk.ACL.READ_ACL_UNSAFE, 0);
    await b.getACL("/nw/secret");
    await a.setData("/nw/secret", enc("t"));
  }, (log) =>
    expectInOrder(log, [
      { event: "NODE_CREATED", path: "/nw/c", conn: "A", watcher: "ex" },
      { event: "NODE_CHILDREN_CHANGED", path: "/nw", conn: "A", watcher: "child" },
      { event: "NODE_DATA_CHANGED", path: "/nw", conn: "A", watcher: "data" },
      { cmd: "events", count: 3 },
      {
        cmd: "transaction",
        rc: "OK",
        results: [{ type: 1, path: "/nw/t1" }, { type: 5 }, { type: 13 }],
      },
      {
        cmd: "transaction",
        rc: "BAD_VERSION",
        results: [{ type: -1, err: 0 }, { type: -1, err: -103 }, { type: -1, err: -2 }],
      },
      { cmd: "exists", path: "/nw/t2", stat: null },
      { cmd: "getData", path: "/nw/t1", data: "b" },
      { cmd: "getACL", acl: ["digest:bob:fyVmFCwVbTJYrznoSu1koqYEYF0=:31"] },
      { cmd: "getData", conn: "B", path: "/nw/secret", rc: "NO_AUTH" },
      { cmd: "setACL", conn: "B", rc: "NO_AUTH" },
      { cmd: "getData", conn: "B", path: "/nw/secret", rc: "OK", data: "s" },
      { cmd: "setACL", conn: "B", rc: "OK", stat: { aversion: 1 } },
      { cmd: "getACL", conn: "B", acl: ["world:anyone:1"] },
      { cmd: "setData", conn: "A", rc: "NO_AUTH" },
    ]));
});
