// The ZooKeeper C client (cli_mt from Debian's zookeeper-bin) against zkd, compared with Apache
// ZooKeeper 3.8. The C client differs from the Java one in ways a server can trip over: it
// validates replies strictly in xid order, reads a fixed 16-byte password, sends SetWatches with
// xid -8, and prints Stats with hex zxids.

import assert from "node:assert/strict";
import { type CliRun, runCliMt } from "./support/cli_mt.ts";
import { differentialSuite, interopTest } from "./support/differential.ts";

const suite = differentialSuite({ cfg: { extendedTypesEnabled: "true" } });

/** Runs the commands on Apache ZooKeeper, checks that run, then on zkd; transcripts must match. */
async function sameAsApache(commands: string[], checkApache: (run: CliRun) => void) {
  const apache = await runCliMt((await suite.apache()).connectString, commands);
  checkApache(apache);
  if (Deno.env.get("ZKD_INTEROP_REFERENCE_ONLY") === "1") return;
  const zkdServer = await suite.zkd();
  const zkd = await runCliMt(zkdServer.connectString, commands);
  try {
    assert.equal(zkd.transcript, apache.transcript);
  } catch (e) {
    if (e instanceof Error) {
      e.message += `\n(actual = zkd, expected = Apache ZooKeeper 3.8)\n--- zkd log tail:\n` +
        (await zkdServer.logTail());
    }
    throw e;
  }
}

/** Output of the nth (0-based) step whose command is `cmd`. */
function stepOut(run: CliRun, cmd: string, nth = 0): string {
  const step = run.steps.filter((s) => s.cmd === cmd)[nth];
  assert.ok(step, `no step ${cmd} in:\n${run.transcript}`);
  return step.out.join("\n");
}

interopTest(
  "c client: create/get/set/ls/ls2/delete, watches, sequential and ephemeral nodes",
  async () => {
    await sameAsApache(
      [
        "create /cc1",
        "create2 /cc2",
        "get /cc1",
        "set /cc1 hello",
        "ls /cc1",
        "create /cc1/k",
        "ls2 /cc1",
        "create +e /cc1/e",
        "get /cc1/e",
        "create +s /cc1/s-",
        "create2 +es /cc1/es-",
        "delete /cc1/k",
        "delete /cc1",
        "get /missing",
        "create /cc1",
        "exists /cc1",
        "wexists /cc1/new",
        "create /cc1/new",
        "create +c /cc3",
        "create2 +t=60000 /cc4",
        "addauth digest bob:secret",
        "get /cc2",
        "sync /cc1",
        "delete /cc1/e",
        "ls /cc1",
      ],
      (run) => {
        // cli_mt creates nodes with the data "new".
        assert.match(stepOut(run, "get /cc1"), /\/cc1: rc = 0\n value_len = 3\nnew\nStat:/);
        // get set a watch: the set fires it, before the set's own completion.
        assert.match(
          stepOut(run, "set /cc1 hello"),
          /^Watcher CHANGED_EVENT state = CONNECTED_STATE for path \/cc1\n\/cc1: rc = 0 Stat:/,
        );
        assert.match(stepOut(run, "create /cc1/k"), /Watcher CHILD_EVENT .* for path \/cc1\n/);
        assert.match(stepOut(run, "get /cc1/e"), /ephemeralOwner = <self>/);
        assert.match(stepOut(run, "create +s /cc1/s-"), /name = \/cc1\/s-0000000002/);
        assert.match(stepOut(run, "create2 +es /cc1/es-"), /name = \/cc1\/es-0000000003/);
        assert.match(stepOut(run, "delete /cc1"), /\/cc1: rc = -111/); // NOTEMPTY
        assert.match(stepOut(run, "get /missing"), /\/missing: rc = -101/); // NONODE
        assert.match(stepOut(run, "create /cc1", 1), /\[\/cc1\]: rc = -110/); // NODEEXISTS
        assert.match(stepOut(run, "wexists /cc1/new"), /Error -101 for \/cc1\/new/);
        assert.match(stepOut(run, "create /cc1/new"), /Watcher CREATED_EVENT .* \/cc1\/new/);
        assert.match(stepOut(run, "create +c /cc3"), /\[\/cc3\]: rc = 0/); // container
        assert.match(stepOut(run, "create2 +t=60000 /cc4"), /\[\/cc4\]: rc = 0/); // TTL
        assert.match(stepOut(run, "sync /cc1"), /\[\/cc1\]: rc = 0\n\tname = \/cc1/);
        assert.match(stepOut(run, "delete /cc1/e"), /Watcher DELETED_EVENT .* \/cc1\/e\n/);
        assert.equal(
          stepOut(run, "ls /cc1", 1),
          "/cc1: rc = 0\n\tes-0000000003\n\tnew\n\ts-0000000002",
        );
      },
    );
  },
);

interopTest(
  "c client: a second client sees the first one's ephemerals go when it quits",
  async () => {
    const commandsA = ["create /cq", "create +e /cq/e", "quit"];
    for (const server of [await suite.apache(), await suite.zkd()]) {
      const a = await runCliMt(server.connectString, commandsA);
      assert.match(a.steps[1].out.join("\n"), /\[\/cq\/e\]: rc = 0/);
      // quit closes the session (closeSession); the ephemeral is gone straight away.
      const b = await runCliMt(server.connectString, ["ls /cq", "get /cq/e", "delete /cq"]);
      assert.equal(
        b.transcript,
        "ls /cq\n  /cq: rc = 0\nget /cq/e\n  /cq/e: rc = -101\n  Stat:\n  null\n" +
          // ls left a child watch on /cq, which the delete fires (NodeDeleted) before completing.
          "delete /cq\n  Watcher DELETED_EVENT state = CONNECTED_STATE for path /cq\n  /cq: rc = 0",
        `against ${server.kind}`,
      );
    }
  },
);
