// `zkd cli` one-shot mode as scripts use it, as real processes against a real zkd: exit codes
// (0 done, 1 failed, 2 bad command line), one error line on stderr, nothing but the result on
// stdout, --json output that parses, and `watch` streaming JSON lines until SIGINT.

import assert from "node:assert/strict";
import { ZkClient } from "../../lib/client/client.ts";
import { interopTest } from "./support/differential.ts";
import { freePort } from "./support/net.ts";
import type { ServerHandle } from "./support/server.ts";
import { startZkd } from "./support/zkd.ts";
import { runZkdCli, zkdCliArgv } from "./support/zkd_cli.ts";

let zkd: Promise<ServerHandle> | undefined;
const server = () => zkd ??= startZkd();
Deno.test.afterAll(async () => {
  if (zkd) await (await zkd).stop().catch(() => {});
});

function oneJson(stdout: string, what: string): Record<string, unknown> {
  const lines = stdout.split("\n").filter((l) => l !== "");
  assert.equal(lines.length, 1, `${what}: expected one JSON line, got:\n${stdout}`);
  return JSON.parse(lines[0]);
}

interopTest(
  "zkd cli one-shot: exit codes, one-line errors, stdout holds only the result",
  async () => {
    const { connectString: cs } = await server();
    const p = "/oneshot-codes";
    const created = await runZkdCli(["-server", cs, "-c", `create ${p} "some data"`]);
    assert.deepEqual(created, { code: 0, stdout: "", stderr: `Created ${p}\n` });
    // A watch set by a one-shot command prints no WATCHER:: block on stdout (zkCli's does).
    const got = await runZkdCli(["-server", cs, "get", "-w", p]);
    assert.deepEqual(got, { code: 0, stdout: "some data\n", stderr: "" });
    const failures: Array<[string[], string]> = [
      [["get", `${p}/missing`], `Node does not exist: ${p}/missing\n`],
      [["-c", `create ${p}`], `Node already exists: ${p}\n`],
      [["set", "-v", "5", p, "x"], `version No is not valid : ${p}\n`],
      [["frobnicate"], "Command not found: Command not found frobnicate\n"],
      [["get", "--format", "octal", p], "unknown data format 'octal' (use text, hex, base64)\n"],
    ];
    for (const [args, stderr] of failures) {
      const r = await runZkdCli(["-server", cs, ...args]);
      assert.deepEqual(r, { code: 1, stdout: "", stderr }, args.join(" "));
    }
    const badArgs = await runZkdCli(["-server", cs, "-timeout", "soon", "ls", "/"]);
    assert.equal(badArgs.code, 2);
    assert.equal(badArgs.stdout, "");
    assert.match(badArgs.stderr, /^zkd cli: bad -timeout value 'soon': [^\n]+\n$/);
    const down = await runZkdCli(["-server", `127.0.0.1:${freePort()}`, "ls", "/"]);
    assert.equal(down.code, 1);
    assert.match(down.stderr, /^zkd cli: cannot connect to 127\.0\.0\.1:\d+: [^\n]+\n$/);
  },
);

interopTest(
  "zkd cli --json one-shot: every result parses, failures are JSON on stderr",
  async () => {
    const { connectString: cs } = await server();
    const p = "/oneshot-json";
    const json = (...command: string[]) => runZkdCli(["-server", cs, "--json", ...command]);

    const create = await json("create", p, "hello");
    assert.equal(create.code, 0);
    assert.deepEqual(oneJson(create.stdout, "create"), { path: p });
    assert.equal(create.stderr, "");
    await json("-c", `create ${p}/child 1`);

    const get = oneJson((await json("get", "--format", "hex", p)).stdout, "get");
    assert.equal(get.data, "68656c6c6f");
    assert.equal(get.format, "hex");
    const stat = get.stat as Record<string, unknown>;
    assert.equal(stat.dataLength, 5);
    assert.equal(stat.numChildren, 1);
    assert.equal(typeof stat.mzxid, "number");

    assert.deepEqual(oneJson((await json("ls", p)).stdout, "ls").children, ["child"]);
    assert.deepEqual(oneJson((await json("getAllChildrenNumber", p)).stdout, "count"), {
      path: p,
      count: 1,
    });
    const tree = oneJson((await json("tree", p)).stdout, "tree");
    assert.equal(tree.descendants, 1);
    assert.equal((tree.children as Array<Record<string, unknown>>)[0].path, `${p}/child`);
    const exported = oneJson((await json("export", p)).stdout, "export");
    assert.equal(exported.format, "zkd-export");
    assert.equal((exported.nodes as unknown[]).length, 2);

    const missing = await json("get", `${p}/nope`);
    assert.equal(missing.code, 1);
    assert.equal(missing.stdout, "");
    assert.deepEqual(oneJson(missing.stderr, "error"), {
      error: `Node does not exist: ${p}/nope`,
      code: "NONODE",
      path: `${p}/nope`,
    });
    const down = await runZkdCli(["--json", "-server", `127.0.0.1:${freePort()}`, "ls", "/"]);
    assert.equal(down.code, 1);
    assert.match(String(oneJson(down.stderr, "connect error").error), /^zkd cli: cannot connect/);
    assert.equal((await json("deleteall", p)).code, 0);
  },
);

interopTest(
  "zkd cli --json watch streams one JSON line per event until SIGINT, then exits 0",
  async () => {
    const { connectString: cs } = await server();
    const p = "/oneshot-watch";
    const zk = await ZkClient.connect({ hosts: cs });
    const [cmd, ...args] = zkdCliArgv();
    const child = new Deno.Command(cmd, {
      args: [...args, "-server", cs, "--json", "watch", "-r", p],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).spawn();
    const killer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    const stderr = new Response(child.stderr).text();
    const lines: string[] = [];
    const reading = (async () => {
      let pending = "";
      for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
        pending += chunk;
        const parts = pending.split("\n");
        pending = parts.pop()!;
        lines.push(...parts);
      }
    })();
    try {
      await zk.create(p, "0");
      // The watch is in place once the shell has connected and addWatch is answered: write until
      // an event comes back.
      for (let i = 1; lines.length === 0; i++) {
        assert.ok(i < 300, "no event from zkd cli watch within 30 s");
        await zk.setData(p, String(i));
        await new Promise((r) => setTimeout(r, 100));
      }
      await zk.create(`${p}/c`);
      await zk.delete(`${p}/c`);
      for (let i = 0; !lines.some((l) => l.includes("NodeDeleted")); i++) {
        assert.ok(i < 300, `no NodeDeleted within 30 s; got:\n${lines.join("\n")}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      child.kill("SIGINT");
      const status = await child.status;
      await reading;
      assert.equal(status.code, 0);
      assert.equal(await stderr, "");
      const events = lines.map((l) => JSON.parse(l));
      assert.deepEqual(
        events.slice(-2).map((e) => [e.type, e.path]),
        [["NodeCreated", `${p}/c`], ["NodeDeleted", `${p}/c`]],
      );
      for (const e of events.slice(0, -2)) {
        assert.deepEqual([e.type, e.path], [
          "NodeDataChanged",
          p,
        ]);
      }
      for (const e of events) assert.match(e.time, /^\d{4}-\d\d-\d\dT/);
    } finally {
      clearTimeout(killer);
      try {
        child.kill("SIGKILL");
      } catch {
        // Already exited.
      }
      await zk.close();
    }
  },
);
