/**
 * `zkd cli`: one-shot commands, the interactive shell (prompt, watch events, close/connect),
 * argument errors and an unreachable server, both in-process through runCli() and as a real
 * `deno run main.ts cli` process (exit codes, one-line errors, no stack traces).
 */

import assert from "node:assert/strict";
import { runCli } from "../../lib/cli/cli.ts";
import { ZkClient } from "../../lib/client/client.ts";
import { freshPath, startTestServer, within } from "../client/test_server.ts";
import { scriptedIo } from "./scripted_io.ts";

const server = await startTestServer();
const S = server.connectString;
const repoRoot = new URL("../../", import.meta.url).pathname;

interface Captured {
  code: number;
  out: string[];
  err: string[];
  /** stdout with prompts, as a terminal would show it. */
  screen: string;
}

/** Runs runCli in-process with `input` as stdin lines (see scripted_io.ts). */
async function cli(args: string[], input: string[] = [], isTerminal = false): Promise<Captured> {
  const s = scriptedIo(input, { isTerminal, hooks: waitHooks });
  const code = await within(30_000, `cli ${args.join(" ")}`, runCli(args, s.io));
  return { code, out: s.out, err: s.err, screen: s.screen() };
}

/** Named pauses in an input script: the hook runs before the shell reads the next line. */
const waitHooks = new Map<string, () => Promise<void>>();

async function zkd(
  args: string[],
  stdin = "",
): Promise<{ code: number; out: string; err: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-sys",
      `${repoRoot}main.ts`,
      "cli",
      ...args,
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const killer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(stdin));
  await w.close();
  const r = await child.output();
  clearTimeout(killer);
  const d = new TextDecoder();
  return { code: r.code, out: d.decode(r.stdout), err: d.decode(r.stderr) };
}

function deadPort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

Deno.test("-c runs one command: create, get, ls and stat print zkCli's output", async () => {
  const p = freshPath("oneshot");
  const created = await cli(["-server", S, "-c", `create ${p} "some data"`]);
  assert.deepEqual(created, { code: 0, out: [], err: [`Created ${p}`], screen: "" });
  assert.deepEqual((await cli(["-server", S, "-c", `get ${p}`])).out, ["some data"]);
  await cli(["-server", S, "-c", `create ${p}/b`]);
  await cli(["-server", S, "-c", `create ${p}/a`]);
  assert.deepEqual((await cli(["-server", S, "-c", `ls ${p}`])).out, ["[a, b]"]);
  assert.deepEqual((await cli(["-server", S, "-c", `get ${p}/a`])).out, ["null"]);
  const stat = await cli(["-server", S, "-c", `stat ${p}`]);
  assert.equal(stat.code, 0);
  assert.equal(stat.out.length, 11);
  assert.match(stat.out[0], /^cZxid = 0x[0-9a-f]+$/);
  assert.match(stat.out[1], /^ctime = \w{3} \w{3} \d{2} \d{2}:\d{2}:\d{2} \S+ \d{4}$/);
  assert.equal(stat.out[5], "cversion = 2");
  assert.equal(stat.out[9], "dataLength = 9");
  assert.equal(stat.out[10], "numChildren = 2");
});

Deno.test("-c failures exit 1 with one line on stderr", async () => {
  const p = freshPath("fail");
  const cases: Array<[string, string]> = [
    [`get ${p}`, `Node does not exist: ${p}`],
    [`delete ${p}`, `Node does not exist: ${p}`],
    [`set -v 3 / x`, "version No is not valid : /"],
    [`create /zookeeper`, "Node already exists: /zookeeper"],
    [`delete /zookeeper`, "Arguments are not valid : /zookeeper"],
    [`get nopath`, "Path must start with / character"],
    [`frobnicate /`, "Command not found: Command not found frobnicate"],
    [`ls`, "ls [-s] [-w] [-R] path"],
  ];
  for (const [command, message] of cases) {
    const r = await cli(["-server", S, "-c", command]);
    assert.deepEqual(
      { code: r.code, out: r.out, err: r.err },
      { code: 1, out: [], err: [message] },
      command,
    );
  }
  await cli(["-server", S, "-c", `create ${p}`]);
  await cli(["-server", S, "-c", `create ${p}/c`]);
  const notEmpty = await cli(["-server", S, "-c", `delete ${p}`]);
  assert.deepEqual(notEmpty.err, [`Node not empty: ${p}`]);
});

Deno.test("a command after the options runs as a one-shot, as zkCli takes it", async () => {
  const p = freshPath("positional");
  assert.equal((await cli(["-server", S, "create", p, "v"])).code, 0);
  assert.deepEqual((await cli(["-server", S, "get", p])).out, ["v"]);
});

Deno.test("bad arguments exit 2 with one line naming the problem", async () => {
  const cases: Array<[string[], RegExp]> = [
    [["-timeout", "abc"], /bad -timeout value 'abc'/],
    [["-timeout"], /missing value for -timeout/],
    [["-server", "127.0.0.1:notaport"], /bad -server value '127.0.0.1:notaport'/],
    [["-bogus"], /unknown option '-bogus'/],
    [["-c", ""], /empty -c command/],
  ];
  for (const [args, message] of cases) {
    const r = await cli(args);
    assert.equal(r.code, 2, args.join(" "));
    assert.equal(r.err.length, 1);
    assert.match(r.err[0], message);
  }
});

Deno.test("an unreachable server exits 1 with one line", async () => {
  const port = deadPort();
  const started = performance.now();
  const r = await cli(["-server", `127.0.0.1:${port}`, "-c", "ls /"]);
  assert.equal(r.code, 1);
  assert.deepEqual(r.err, [
    `zkd cli: cannot connect to 127.0.0.1:${port}: Connection refused (os error 111)`,
  ]);
  assert.ok(performance.now() - started < 5000);
  const interactive = await cli(["-server", `127.0.0.1:${port}`], ["ls /"]);
  assert.equal(interactive.code, 1);
  assert.equal(interactive.err.length, 1);
});

Deno.test("the interactive shell prompts on a terminal and counts commands", async () => {
  const p = freshPath("prompt");
  const r = await cli(
    ["-server", S],
    [`create ${p}`, "", `ls ${p}`, "close", `ls ${p}`, "quit"],
    true,
  );
  // The last command before quit could not run ("Not connected"), so the exit code is 1.
  assert.equal(r.code, 1);
  const prompts = [...r.screen.matchAll(/\[zk: [^\]]+\] /g)].map((m) => m[0]);
  assert.deepEqual(prompts, [
    `[zk: ${S}(CONNECTED) 0] `,
    `[zk: ${S}(CONNECTED) 1] `,
    `[zk: ${S}(CONNECTED) 1] `,
    `[zk: ${S}(CONNECTED) 2] `,
    `[zk: ${S}(CLOSED) 3] `,
    `[zk: ${S}(CLOSED) 4] `,
  ]);
  assert.ok(r.out.includes("[]"));
  assert.ok(r.out.includes("Not connected"));
  assert.deepEqual(r.err, [`Created ${p}`]);
});

Deno.test("the interactive shell prints WATCHER:: blocks for watch events", async () => {
  const p = freshPath("watcher");
  const other = await ZkClient.connect({ hosts: S });
  try {
    await other.create(p, "1");
    waitHooks.set("change", async () => {
      await other.setData(p, "2");
      await new Promise((r) => setTimeout(r, 200));
    });
    const r = await cli(["-server", S], [`get -w ${p}`, "@wait:change", "quit"]);
    const text = r.out.join("\n");
    assert.ok(text.includes("WATCHER::\n\nWatchedEvent state:SyncConnected type:None path:null"));
    assert.ok(
      text.includes(`WATCHER::\n\nWatchedEvent state:SyncConnected type:NodeDataChanged path:${p}`),
      text,
    );
  } finally {
    waitHooks.delete("change");
    await other.close();
  }
});

Deno.test("connect switches servers and ends the old session", async () => {
  const p = freshPath("connect");
  const r = await cli(["-server", S], [`create -e ${p}`, `connect ${S}`, `stat ${p}`, "quit"]);
  // The ephemeral belonged to the first session, which connect closed.
  assert.deepEqual(r.err, [`Created ${p}`, `Node does not exist: ${p}`]);
  assert.equal(r.code, 1);
});

Deno.test("help lists the commands; exit and quit end the shell", async () => {
  const r = await cli(["-server", S, "-c", "help"]);
  assert.equal(r.code, 0);
  assert.ok(
    r.out.some((l) =>
      l === "\tcreate [-s] [-e] [-c] [-t ttl] path [data] [acl] [--format text|hex|base64]"
    ),
  );
  assert.ok(r.out.some((l) => l === "\tls [-s] [-w] [-R] path"));
  const exit = await cli(["-server", S], ["exit", "ls /"]);
  assert.equal(exit.code, 0);
  assert.ok(!exit.out.includes("[zookeeper]"));
});

Deno.test("zkd cli as a process: exit codes, stdout and one-line stderr", async () => {
  const p = freshPath("process");
  const ok = await zkd(["-server", S, "-c", `create ${p} x`]);
  assert.deepEqual(ok, { code: 0, out: "", err: `Created ${p}\n` });
  assert.deepEqual(await zkd(["-server", S, "-c", `get ${p}`]), { code: 0, out: "x\n", err: "" });
  const missing = await zkd(["-server", S, "-c", `get ${p}/nope`]);
  assert.deepEqual(missing, { code: 1, out: "", err: `Node does not exist: ${p}/nope\n` });
  const bad = await zkd(["-timeout", "-5"]);
  assert.equal(bad.code, 2);
  assert.equal(bad.err.trim().split("\n").length, 1);
  const down = await zkd(["-server", `127.0.0.1:${deadPort()}`, "-c", "ls /"]);
  assert.equal(down.code, 1);
  assert.equal(down.err.trim().split("\n").length, 1);
  assert.ok(!/\bat \S+:\d+/.test(down.err), "no stack trace");
  const piped = await zkd(["-server", S], `get ${p}\nquit\n`);
  assert.equal(piped.code, 0);
  assert.ok(piped.out.includes("\nx\n"), piped.out);
});

Deno.test("stop the test server", async () => {
  await server.stop();
});
