// The real Apache ZooKeeper Java client against a 3-member zkd ensemble: it connects through
// a multi-host connect string, and when the member serving it is killed (kill -9) it moves to
// another member on its own, keeping its session, its ephemeral node and its watch, exactly
// as it does with an Apache ZooKeeper ensemble.

import assert from "node:assert/strict";
import { interopTest } from "./support/differential.ts";
import { runProbe } from "./support/java_probe.ts";
import { fourLetter } from "./support/net.ts";
import { sleep } from "./support/procs.ts";
import { Ensemble } from "../support/ensemble.ts";

/** The member holding an established client connection (from `cons`), or null. */
async function memberServingClient(e: Ensemble, ids: number[]): Promise<number | null> {
  for (const id of ids) {
    const cons = await fourLetter(e.member(id).clientPort, "cons").catch(() => "");
    if (/\[1\]\(.*sid=0x/.test(cons)) return id;
  }
  return null;
}

interopTest(
  "java client: the session, its ephemeral and its watch move with it to another member after kill -9",
  async () => {
    const e = await Ensemble.start({ participants: 3 });
    try {
      // The client is given two members; the one it picked dies under it.
      const ids = [1, 2];
      const script = `conn A timeoutMs=8000
      create /moving x mode=ephemeral
      create /watched x
      exists /watched watch
      sleep 4000
      waitstate SyncConnected timeoutMs=20000
      exists /moving
      set /watched y
      events wait=1 timeoutMs=10000
      create /after x
      session`;
      const probe = runProbe(e.connectString(ids), script, { maxRunMs: 60_000 });
      let serving: number | null = null;
      const deadline = Date.now() + 20_000;
      while (serving === null && Date.now() < deadline) {
        serving = await memberServingClient(e, ids);
        if (serving === null) await sleep(100);
      }
      assert.notEqual(serving, null, "the Java client never connected");
      await sleep(500); // let it create its nodes and set its watch first
      await e.kill(serving!);
      const run = await probe;
      const lines = run.lines;
      const exists = lines.find((l) => l.cmd === "exists" && l.path === "/moving");
      assert.ok(exists, `no exists line: ${run.text}`);
      assert.equal(exists.rc, "OK", run.text);
      assert.equal((exists.stat as Record<string, unknown>).ephemeralOwner, "A", run.text);
      const event = lines.find((l) => l.event === "NodeDataChanged" && l.path === "/watched");
      assert.ok(event, `the watch did not survive the move: ${run.text}`);
      assert.equal(
        lines.find((l) => l.cmd === "create" && l.path === "/after")?.rc,
        "OK",
        run.text,
      );
      assert.ok(!lines.some((l) => l.state === "Expired" || l.event === "Expired"), run.text);
    } finally {
      await e.stop();
    }
  },
);
