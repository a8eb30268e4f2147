// `zkd cli` against zkd versus Apache's zkCli.sh against Apache ZooKeeper 3.8: the same script
// of shell lines goes through both shells, each against its own server, and stdout, stderr and
// the exit code must match once what legitimately differs is masked (zxids, times, session ids,
// zkCli's banner and SLF4J noise). Watch notifications arrive asynchronously, so their blocks are
// compared as a multiset of node events rather than in place. One-shot commands are compared the
// same way, exit codes included.

import assert from "node:assert/strict";
import { startApacheZk } from "./support/apache_zk.ts";
import { interopTest } from "./support/differential.ts";
import type { ServerHandle } from "./support/server.ts";
import { startZkd } from "./support/zkd.ts";
import { runZkCliSh, runZkdCli, type ShellRun, zkCliShAvailable } from "./support/zkd_cli.ts";

const OPTS = { cfg: { extendedTypesEnabled: "true" } };

let apache: Promise<ServerHandle> | undefined;
let zkd: Promise<ServerHandle> | undefined;
Deno.test.afterAll(async () => {
  for (const p of [apache, zkd]) {
    if (p) await (await p).stop().catch(() => {});
  }
});
const servers = async () => {
  apache ??= startApacheZk(OPTS);
  zkd ??= startZkd(OPTS);
  return { apache: await apache, zkd: await zkd };
};

/** The commands both shells share, with their error paths; `host` is the shell's own server. */
function script(base: string, host: string): string[] {
  return [
    `create ${base}`,
    `create ${base}/a hello`,
    `create ${base}/a again`,
    `get ${base}/a`,
    `get -s ${base}/a`,
    `ls ${base}`,
    `ls -s ${base}`,
    `stat ${base}/a`,
    `set ${base}/a world`,
    `set -s ${base}/a world2`,
    `set -v 9 ${base}/a nope`,
    `get -w ${base}/a`,
    `set ${base}/a -v 2 yes`,
    `create ${base}/empty ""`,
    `get ${base}/empty`,
    `create ${base}/nodata`,
    `get ${base}/nodata`,
    `create -s ${base}/seq-`,
    `create -s ${base}/seq- x`,
    `create -e ${base}/eph`,
    `get -s ${base}/eph`,
    `create -e ${base}/eph/child`,
    `getEphemerals ${base}`,
    `getEphemerals`,
    `create -c ${base}/cont`,
    `create -t 60000 ${base}/ttl`,
    `create -t 0 ${base}/ttl0`,
    `create -c -e ${base}/x`,
    `create ${base}/acl x world:anyone:r`,
    `set ${base}/acl y`,
    `getAcl ${base}/acl`,
    `getAcl -s ${base}/acl`,
    `setAcl ${base}/acl world:anyone:rw`,
    `setAcl -s -v 1 ${base}/acl world:anyone:cdrwa`,
    `setAcl -v 7 ${base}/acl world:anyone:cdrwa`,
    `create ${base}/badacl x foo:bar`,
    `addauth digest alice:secret`,
    `whoami`,
    `create ${base}/mine x auth::cdrwa`,
    `getAcl ${base}/mine`,
    `create "${base}/has space" "hello world"`,
    `get "${base}/has space"`,
    `create ${base}/utf "héllo wörld"`,
    `get ${base}/utf`,
    `ls -w ${base}`,
    `create ${base}/b`,
    `stat -w ${base}/gone`,
    `create ${base}/gone`,
    `get ${base}/missing`,
    `ls ${base}/missing`,
    `delete ${base}`,
    `delete -v 7 ${base}/a`,
    `delete ${base}/a`,
    `get nopath`,
    `ls ${base}//b`,
    `get -x ${base}`,
    `ls`,
    `set ${base}/only`,
    `ls -R ${base}`,
    `sync ${base}`,
    `getAllChildrenNumber ${base}`,
    `addWatch ${base}/b`,
    `addWatch -m PERSISTENT ${base}/nodata`,
    `addWatch -m BOGUS ${base}/nodata`,
    `set ${base}/b changed`,
    `create ${base}/b/c`,
    `set ${base}/nodata changed`,
    `removewatches ${base}/nodata`,
    `removewatches ${base}/nodata`,
    `printwatches`,
    `printwatches off`,
    `printwatches`,
    `printwatches on`,
    `config`,
    `config -c`,
    `deleteall ${base}/b`,
    `deleteall ${base}/missing`,
    `deleteall -b x ${base}`,
    `create ${base}/d`,
    `create ${base}/d/e`,
    `deleteall ${base}/d -b 1`,
    `ls ${base}`,
    `history`,
    `redo 3`,
    `redo 999`,
    `close`,
    `ls ${base}`,
    `connect ${host}`,
    `ls ${base}`,
    `get ${base}/eph`,
    `history`,
    `quit`,
  ];
}

/** Lines of text, without the empty one after the last newline. */
function lines(text: string): string[] {
  const out = text.split("\n");
  if (out.at(-1) === "") out.pop();
  return out;
}

interface Normalized {
  out: string[];
  err: string[];
  /** "type:X path:Y" of every node event printed in a WATCHER:: block, sorted. */
  events: string[];
}

/**
 * Masks what legitimately differs: zxids, times, session ids, the server's address, zkCli's
 * banner, SLF4J's warnings and the order of whoami's ids (the server's hash order in Java).
 */
function normalize(run: ShellRun, host: string): Normalized {
  const out: string[] = [];
  const events: string[] = [];
  const raw = lines(run.stdout);
  for (let i = 0; i < raw.length; i++) {
    // zkCli prints a notification as two printlns, "\nWATCHER::" and "\nWatchedEvent ...",
    // from its event thread: other output can come between them, so each goes on its own.
    if (raw[i] === "" && raw[i + 1] === "WATCHER::") {
      i += 1;
      continue;
    }
    if (raw[i] === "" && raw[i + 1]?.startsWith("WatchedEvent ")) {
      const m = /^WatchedEvent state:\S+ (type:(?!None)\S+ path:\S+)$/.exec(raw[i + 1]);
      if (m !== null) events.push(m[1]);
      i += 1;
      continue;
    }
    const line = raw[i];
    if (/^(Connecting to |Welcome to ZooKeeper!$|JLine support is )/.test(line)) continue;
    out.push(
      line
        .replaceAll(host, "HOST")
        .replace(/^(cZxid|mZxid|pZxid) = 0x[0-9a-f]+$/, "$1 = 0x?")
        .replace(/^(ctime|mtime) = .*$/, "$1 = ?")
        .replace(/^ephemeralOwner = 0x(?!0$)[0-9a-f]+$/, "ephemeralOwner = 0x<session>"),
    );
  }
  for (let i = 0; i < out.length; i++) {
    if (out[i] !== "Auth scheme: User") continue;
    let end = i + 1;
    while (end < out.length && /^\w+: \S+$/.test(out[end])) end++;
    out.splice(i + 1, end - i - 1, ...out.slice(i + 1, end).sort());
  }
  // SLF4J's "no binding" warnings come from the JVM, not from the shell.
  const err = lines(run.stderr).filter((l) => !l.startsWith("SLF4J: "));
  return { out, err, events: events.sort() };
}

function skipped(name: string): void {
  Deno.test({
    name: `${name} (skipped: zkCli.sh is not installed; apt-get install zookeeper)`,
    ignore: true,
    fn() {},
  });
}

const SCRIPT = "zkd cli prints what zkCli.sh prints for the shared commands (Apache ZooKeeper 3.8)";
if (!zkCliShAvailable()) {
  skipped(SCRIPT);
} else {
  interopTest(SCRIPT, async () => {
    const { apache, zkd } = await servers();
    const base = "/zkcli-diff";
    const [theirs, ours] = await Promise.all([
      runZkCliSh(["-server", apache.connectString], {
        stdin: script(base, apache.connectString).join("\n") + "\n",
      }),
      runZkdCli(["-server", zkd.connectString], {
        stdin: script(base, zkd.connectString).join("\n") + "\n",
      }),
    ]);
    const a = normalize(theirs, apache.connectString);
    const z = normalize(ours, zkd.connectString);
    // What the script relies on, said of zkCli itself, so a broken script cannot pass quietly.
    assert.ok(a.out.includes("hello"), theirs.stdout);
    assert.ok(a.err.includes(`Created ${base}/a`), theirs.stderr);
    assert.ok(a.err.includes("Command index out of range"), theirs.stderr);
    assert.ok(a.events.includes(`type:NodeDataChanged path:${base}/a`), theirs.stdout);
    try {
      assert.deepEqual(z.out, a.out);
      assert.deepEqual(z.err, a.err);
      assert.deepEqual(z.events, a.events);
      assert.equal(ours.code, theirs.code);
    } catch (e) {
      if (e instanceof Error) {
        e.message += "\n(actual = zkd cli, expected = zkCli.sh)\n--- zkd log tail:\n" +
          (await zkd.logTail());
      }
      throw e;
    }
  });
}

const ONE_SHOT = "zkd cli one-shot commands exit and print as zkCli.sh's do";
if (!zkCliShAvailable()) {
  skipped(ONE_SHOT);
} else {
  interopTest(ONE_SHOT, async () => {
    const { apache, zkd } = await servers();
    const base = "/zkcli-oneshot";
    const commands: string[][] = [
      ["create", base, "v1"],
      ["get", base],
      ["get", "-s", base],
      ["ls", base],
      ["set", base, "v2"],
      ["get", `${base}/missing`],
      ["create", base],
      ["delete", "-v", "9", base],
      ["ls"],
      ["get", "nopath"],
      ["stat", base],
      ["delete", base],
    ];
    for (const command of commands) {
      const [theirs, ours] = await Promise.all([
        runZkCliSh(["-server", apache.connectString, ...command]),
        runZkdCli(["-server", zkd.connectString, ...command]),
      ]);
      const a = normalize(theirs, apache.connectString);
      const z = normalize(ours, zkd.connectString);
      const what = command.join(" ");
      assert.deepEqual(z.out, a.out, what);
      assert.deepEqual(z.err, a.err, what);
      assert.equal(ours.code, theirs.code, what);
      // zkd's stdout is the result alone: no banner, no WATCHER:: block.
      assert.ok(!/Connecting to|WATCHER::/.test(ours.stdout), `${what}: ${ours.stdout}`);
    }
  });
}
