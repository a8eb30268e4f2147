/**
 * `zkd cli` against the real zkCli.sh 3.8 (Debian's ZooKeeperMain): the same script of shell
 * lines goes to both, against the same server under two different base paths, and stdout and
 * stderr must match line for line once the parts that legitimately differ are masked (base
 * path, zxids, times, session ids, zkCli's banner and its asynchronous WATCHER:: blocks).
 */

import assert from "node:assert/strict";
import { runCli } from "../../lib/cli/cli.ts";
import { apacheZkClasspath, JVM_FLAGS_QUICK } from "../../lib/cli/bench/server_process.ts";
import { freshPath, startTestServer } from "../client/test_server.ts";
import { scriptedIo } from "./scripted_io.ts";

const server = await startTestServer();

function script(base: string, hostPort: string): string[] {
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
    `set ${base}/a -v 2 yes`,
    `get ${base}/a`,
    `create ${base}/empty ""`,
    `get ${base}/empty`,
    `create ${base}/nodata`,
    `get ${base}/nodata`,
    `create -s ${base}/seq-`,
    `create -s ${base}/seq- x`,
    `create -s ${base}/`,
    `create -e ${base}/eph`,
    `get -s ${base}/eph`,
    `create -e ${base}/eph/child`,
    `create -c ${base}/cont`,
    `create -t 60000 ${base}/ttl`,
    `create -t 0 ${base}/ttl0`,
    `create -c -e ${base}/x`,
    `create -t abc ${base}/x`,
    `create -t 100 -e ${base}/x`,
    `create ${base}/acl x world:anyone:r`,
    `set ${base}/acl y`,
    `create ${base}/acl/c`,
    `create ${base}/badacl x foo:bar`,
    `create ${base}/badacl2 x world:anyone:rz`,
    `create "${base}/has space" "hello world"`,
    `get "${base}/has space"`,
    `ls ${base}/has space`,
    `create ${base}/utf "héllo wörld"`,
    `get ${base}/utf`,
    `get ${base}/missing`,
    `ls ${base}/missing`,
    `stat ${base}/missing`,
    `set ${base}/missing x`,
    `delete ${base}/missing`,
    `delete ${base}`,
    `delete -v 7 ${base}/a`,
    `delete -v 3 ${base}/a`,
    `get ${base}/a`,
    `create ${base}/x/y`,
    `get nopath`,
    `create ${base}/trail/`,
    `ls ${base}//b`,
    `get -x ${base}`,
    `ls`,
    `get`,
    `set ${base}/only`,
    `create`,
    `delete`,
    `stat`,
    `ls -R ${base}`,
    `getAcl ${base}/acl`,
    `sync ${base}`,
    `getAllChildrenNumber ${base}`,
    `create /`,
    `delete /`,
    `delete /zookeeper`,
    `close`,
    `ls ${base}`,
    `connect ${hostPort}`,
    `ls ${base}`,
    `get ${base}/eph`,
    `quit`,
  ];
}

/** zkCli's asynchronous "\nWATCHER::\n\nWatchedEvent ..." blocks and its banner go. */
function normalize(lines: string[], base: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] === "" && lines[i + 1] === "WATCHER::" && lines[i + 2] === "") {
      i += 3;
      continue;
    }
    const line = lines[i];
    if (/^(Connecting to |Welcome to ZooKeeper!|JLine support is |SLF4J: )/.test(line)) continue;
    out.push(
      line.replaceAll(base, "/BASE")
        .replace(/^(cZxid|mZxid|pZxid) = 0x[0-9a-f]+$/, "$1 = 0x?")
        .replace(/^(ctime|mtime) = .*$/, "$1 = ?")
        .replace(/^ephemeralOwner = 0x(?!0$)[0-9a-f]+$/, "ephemeralOwner = 0x<session>"),
    );
  }
  return out;
}

function splitLines(text: string): string[] {
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines;
}

async function runZkCli(lines: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const cp = apacheZkClasspath();
  assert.ok(cp !== undefined, "Apache ZooKeeper (Debian package zookeeper) is not installed");
  const child = new Deno.Command("/usr/bin/java", {
    args: [
      ...JVM_FLAGS_QUICK,
      // Silence slf4j-simple's client INFO lines, as zkCli's log4j setup sends them to a file.
      "-Dorg.slf4j.simpleLogger.defaultLogLevel=off",
      "-cp",
      cp,
      "org.apache.zookeeper.ZooKeeperMain",
      "-server",
      server.connectString,
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const killer = setTimeout(() => child.kill("SIGKILL"), 90_000);
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(lines.join("\n") + "\n"));
  await writer.close();
  const result = await child.output();
  clearTimeout(killer);
  const dec = new TextDecoder();
  return {
    code: result.code,
    out: splitLines(dec.decode(result.stdout)),
    err: splitLines(dec.decode(result.stderr)),
  };
}

async function runOurs(lines: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const { io, out, err } = scriptedIo(lines);
  const code = await runCli(["-server", server.connectString], io);
  return { code, out, err };
}

Deno.test("zkd cli prints what zkCli 3.8 prints, line for line", async () => {
  // Equal lengths: zkCli's path errors give character offsets.
  const base = freshPath("parity");
  const zkBase = `${base}-a`;
  const ourBase = `${base}-b`;
  const theirs = await runZkCli(script(zkBase, server.connectString));
  const ours = await runOurs(script(ourBase, server.connectString));
  assert.deepEqual(normalize(ours.out, ourBase), normalize(theirs.out, zkBase));
  assert.deepEqual(normalize(ours.err, ourBase), normalize(theirs.err, zkBase));
  assert.equal(ours.code, theirs.code);
});

Deno.test("stop the test server", async () => {
  await server.stop();
});
