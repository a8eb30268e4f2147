/**
 * `config` and `reconfig` in the shell without a server: a stub session records what the
 * reconfig request carries and answers with a configuration or a KeeperException, so zkCli's
 * option checks, its -file parsing, its output and its error texts (ReconfigCommand,
 * CliWrapperException) are checked one by one, in text and --json form. Tab completion knows
 * both commands. The interop test compares the same against zkCli.sh and real ensembles.
 */

import assert from "node:assert/strict";
import type { ZkClient } from "../../lib/client/client.ts";
import { ZkError } from "../../lib/client/errors.ts";
import { ConfigError } from "../../lib/config/config.ts";
import { commandNames, executeLine, type Shell } from "../../lib/cli/zkcli/commands.ts";
import { complete } from "../../lib/cli/zkcli/completion.ts";
import {
  membersFromDynamicConfig,
  parseConfigVersionOption,
} from "../../lib/cli/zkcli/config_commands.ts";
import { CliParseError } from "../../lib/cli/zkcli/options.ts";
import { Err } from "../../lib/proto/errors.ts";
import type { Stat } from "../../lib/proto/records.ts";

const CONFIG = "server.1=10.0.0.1:2888:3888:participant;0.0.0.0:2181\n" +
  "server.2=10.0.0.2:2888:3888:participant;0.0.0.0:2181\n" +
  "server.3=10.0.0.3:2888:3888:participant\n" +
  "version=100000004";

const STAT: Stat = {
  czxid: 0,
  mzxid: 0x100000004,
  ctime: 0,
  mtime: 1_700_000_000_000,
  version: -1,
  cversion: 0,
  aversion: -1,
  ephemeralOwner: 0n,
  dataLength: CONFIG.length,
  numChildren: 0,
  pzxid: 0,
};

interface ReconfigCall {
  change: { joining?: string; leaving?: string; newMembers?: string };
  fromConfig: number;
}

interface Stub {
  shell: Shell;
  out: string[];
  err: string[];
  calls: ReconfigCall[];
  getDataCalls: Array<{ path: string; watch: unknown }>;
}

/** A shell whose session answers reconfig with `answer` (a code: that KeeperException). */
function stubShell(answer: number | string = CONFIG, json = false): Stub {
  const out: string[] = [];
  const err: string[] = [];
  const calls: ReconfigCall[] = [];
  const getDataCalls: Stub["getDataCalls"] = [];
  const zk = {
    isAlive: true,
    reconfig(change: ReconfigCall["change"], fromConfig: number) {
      calls.push({ change: { ...change }, fromConfig });
      // The client raises reconfig errors with the config node as their path.
      if (typeof answer === "number") {
        return Promise.reject(new ZkError(answer, "/zookeeper/config"));
      }
      return Promise.resolve({ data: new TextEncoder().encode(answer), stat: STAT });
    },
    getData(path: string, watch: unknown) {
      getDataCalls.push({ path, watch });
      return Promise.resolve({ data: new TextEncoder().encode(CONFIG), stat: STAT });
    },
  } as unknown as ZkClient;
  const shell: Shell = {
    zk,
    host: "127.0.0.1:2181",
    printWatches: true,
    quitRequested: false,
    json,
    isTerminal: false,
    history: new Map(),
    commandCount: 0,
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    connect: () => Promise.resolve(),
    executeLine: (line) => executeLine(shell, line),
  };
  return { shell, out, err, calls, getDataCalls };
}

async function run(line: string, answer?: number | string, json = false) {
  const stub = stubShell(answer, json);
  const ok = await executeLine(stub.shell, line);
  return { ok, ...stub };
}

const USAGE = "reconfig [-s] [-v version] [[-file path] | " +
  "[-members serverID=host:port1:port2;port3[,...]*]] | " +
  "[-add serverId=host:port1:port2;port3[,...]]* [-remove serverId[,...]*]";

Deno.test("reconfig checks its options in zkCli's order, with zkCli's texts", async () => {
  const cases: Array<[string, string]> = [
    ["reconfig", USAGE],
    ["reconfig -s -v 5", USAGE],
    ["reconfig -v zz -remove 3", "-v must be followed by a long (configuration version)"],
    // -v is read before the modes are checked.
    ["reconfig -v 0x10 -add a -members b", "-v must be followed by a long (configuration version)"],
    [
      "reconfig -add server.4=h:1:2;3 -members server.1=h:1:2;3",
      "Can't use -file or -members together with -add or -remove (mixing incremental and " +
      "non-incremental modes is not allowed)",
    ],
    [
      "reconfig -file /nonexistent -remove 2",
      "Can't use -file or -members together with -add or -remove (mixing incremental and " +
      "non-incremental modes is not allowed)",
    ],
    [
      "reconfig -file /nonexistent -members server.1=h:1:2",
      "Can't use -file and -members together (conflicting non-incremental modes)",
    ],
    [
      "reconfig -x -remove 3",
      "org.apache.commons.cli.UnrecognizedOptionException: Unrecognized option: -x",
    ],
    [
      "reconfig -remove",
      "org.apache.commons.cli.MissingArgumentException: Missing argument for option: remove",
    ],
    [
      "reconfig -file /nonexistent/zoo.cfg.dynamic",
      "Error processing /nonexistent/zoo.cfg.dynamic/nonexistent/zoo.cfg.dynamic " +
      "(No such file or directory)",
    ],
  ];
  for (const [line, message] of cases) {
    const r = await run(line);
    assert.equal(r.ok, false, line);
    assert.deepEqual(r.err, [message], line);
    assert.deepEqual(r.out, [], line);
    assert.deepEqual(r.calls, [], `${line}: nothing is sent`);
  }
});

Deno.test("reconfig sends what zkCli sends: lower-cased lists, -v in hex, absent fields", async () => {
  let r = await run("reconfig -add SERVER.4=Zk4:2888:3888;2181,server.5=zk5:2888:3888 -remove 1,2");
  assert.deepEqual(r.calls, [{
    change: { joining: "server.4=zk4:2888:3888;2181,server.5=zk5:2888:3888", leaving: "1,2" },
    fromConfig: -1,
  }]);
  r = await run("reconfig -v 1000000Ab -remove 3");
  assert.deepEqual(r.calls, [{ change: { leaving: "3" }, fromConfig: 0x1000000ab }]);
  r = await run("reconfig -members Server.1=ZK1:2888:3888;2181,server.2=zk2:2888:3888 -v -1");
  assert.deepEqual(r.calls, [{
    change: { newMembers: "server.1=zk1:2888:3888;2181,server.2=zk2:2888:3888" },
    fromConfig: -1,
  }]);
  // Options after other words and glued values, as commons-cli takes them.
  r = await run("reconfig extra -v5 -add server.6=h:1:2:observer;3");
  assert.deepEqual(r.calls, [{ change: { joining: "server.6=h:1:2:observer;3" }, fromConfig: 5 }]);
});

Deno.test("reconfig -file sends the file's members as QuorumMaj.toString writes them", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zkcli-reconfig-" });
  try {
    const file = `${dir}/zoo.cfg.dynamic.100000000`;
    await Deno.writeTextFile(
      file,
      "# written by hand\nserver.3=ZK3:2888:3888:observer;2181\n" +
        "server.1 = zk1:2888:3888;10.0.0.1:2181\nserver.2=zk2:2888:3888:participant\n",
    );
    const r = await run(`reconfig -file ${file}`);
    assert.deepEqual(r.err, []);
    // Not lower-cased (zkCli lower-cases only -add, -remove and -members); version 0.
    assert.deepEqual(r.calls, [{
      change: {
        newMembers: "server.1=zk1:2888:3888:participant;10.0.0.1:2181\n" +
          "server.2=zk2:2888:3888:participant\n" +
          "server.3=ZK3:2888:3888:observer;0.0.0.0:2181\nversion=0",
      },
      fromConfig: -1,
    }]);
    const bad = `${dir}/bad.cfg`;
    await Deno.writeTextFile(bad, "server.1=zk1:2888:3888\nclientPort=2181\n");
    const e = await run(`reconfig -file ${bad}`);
    assert.deepEqual(e.err, [`Error processing ${bad}Unrecognised parameter: clientPort`]);
    const d = await run(`reconfig -file ${dir}`);
    assert.deepEqual(d.err, [`Error processing ${dir}${dir} (Is a directory)`]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("membersFromDynamicConfig() checks a dynamic config as parseDynamicConfig does", () => {
  assert.equal(membersFromDynamicConfig(""), "version=0");
  assert.equal(
    membersFromDynamicConfig("server.2=h2:1:2\nversion=1A\nserver.1=h1:1:2;h1:3\n"),
    "server.1=h1:1:2:participant;h1:3\nserver.2=h2:1:2:participant\nversion=1a",
  );
  const fails: Array<[string, RegExp]> = [
    ["server.1=h:1:2\ntickTime=2000\n", /^Unrecognised parameter: tickTime$/],
    ["server.1=h:1:2\ngroup.1=1\n", /hierarchical quorums \(group\.1\) are not supported/],
    ["server.1=h:1:2:observer\n", /^Observers w\/o participants is an invalid configuration$/],
    [
      "server.1=h:1:2\nserver.2=h:3:4:observer\n",
      /^Observers w\/o quorum is an invalid configuration$/,
    ],
    ["server.1=h:1\n", /^invalid value for server\.1: 'h:1'/],
    ["server.x=h:1:2\n", /^invalid value for server\.x/],
    ["server.1=h:1:2\nversion=zz\n", /^invalid value for version: 'zz'/],
  ];
  for (const [text, message] of fails) {
    assert.throws(() => membersFromDynamicConfig(text), (e: unknown) => {
      assert.ok(e instanceof ConfigError, String(e));
      assert.match(e.message, message);
      return true;
    }, text);
  }
});

Deno.test("parseConfigVersionOption() reads -v as Long.parseLong(v, 16)", () => {
  assert.equal(parseConfigVersionOption("100000000"), 0x100000000);
  assert.equal(parseConfigVersionOption("Ff"), 255);
  assert.equal(parseConfigVersionOption("+10"), 16);
  assert.equal(parseConfigVersionOption("-1"), -1);
  assert.equal(parseConfigVersionOption("7fffffffffffffff"), 2 ** 63);
  for (const bad of ["", "0x10", "1.5", "g", "8000000000000000", "-"]) {
    assert.throws(
      () => parseConfigVersionOption(bad),
      new CliParseError("-v must be followed by a long (configuration version)"),
      bad,
    );
  }
});

Deno.test("reconfig prints the committed configuration, and its Stat with -s", async () => {
  let r = await run("reconfig -remove 4");
  assert.equal(r.ok, true);
  assert.deepEqual(r.out, ["Committed new configuration:", ...CONFIG.split("\n")]);
  assert.deepEqual(r.err, []);
  r = await run("reconfig -s -remove 4");
  assert.deepEqual(r.out.slice(0, 5), ["Committed new configuration:", ...CONFIG.split("\n")]);
  assert.deepEqual(r.out.slice(5).map((l) => l.split(" = ")[0]), [
    "cZxid",
    "ctime",
    "mZxid",
    "mtime",
    "pZxid",
    "cversion",
    "dataVersion",
    "aclVersion",
    "ephemeralOwner",
    "dataLength",
    "numChildren",
  ]);
  assert.equal(r.out[7], "mZxid = 0x100000004");
  assert.equal(r.out[11], "dataVersion = -1");
});

Deno.test("reconfig words each KeeperException as zkCli's CliWrapperException", async () => {
  const texts: Array<[number, string, string]> = [
    [
      Err.NEWCONFIGNOQUORUM,
      "NEWCONFIGNOQUORUM",
      "No quorum of new config is connected and up-to-date with the leader of last commmitted " +
      "config - try invoking reconfiguration after new servers are connected and synced",
    ],
    [
      Err.RECONFIGINPROGRESS,
      "RECONFIGINPROGRESS",
      "Another reconfiguration is in progress -- concurrent reconfigs not supported (yet)",
    ],
    // The Java client raises these without a path: "... : " and nothing after it.
    [Err.BADVERSION, "BADVERSION", "version No is not valid : "],
    [Err.NOAUTH, "NOAUTH", "Insufficient permission : "],
    [Err.BADARGUMENTS, "BADARGUMENTS", "Arguments are not valid : "],
    [Err.RECONFIGDISABLED, "RECONFIGDISABLED", "KeeperErrorCode = Reconfig is disabled"],
    [Err.UNIMPLEMENTED, "UNIMPLEMENTED", "KeeperErrorCode = Unimplemented"],
    [Err.CONNECTIONLOSS, "CONNECTIONLOSS", "KeeperErrorCode = ConnectionLoss"],
  ];
  for (const [code, name, text] of texts) {
    const r = await run("reconfig -v 1 -remove 3", code);
    assert.equal(r.ok, false, name);
    assert.deepEqual(r.err, [text], name);
    assert.deepEqual(r.out, [], name);
    const j = await run("reconfig -v 1 -remove 3", code, true);
    assert.deepEqual(j.err.map((l) => JSON.parse(l)), [{ error: text, code: name }], name);
    assert.deepEqual(j.out, [], name);
  }
});

Deno.test("reconfig and config --json: the configuration, its client string and Stat", async () => {
  const r = await run("reconfig -s -add server.4=h:1:2;2181", CONFIG, true);
  assert.equal(r.out.length, 1);
  const doc = JSON.parse(r.out[0]);
  assert.equal(doc.config, CONFIG);
  assert.equal(doc.clientConfig, "100000004 0.0.0.0:2181,0.0.0.0:2181,");
  assert.equal(doc.stat.mzxid, 0x100000004);
  assert.equal(doc.stat.version, -1);
  const c = await run("config -s", CONFIG, true);
  assert.deepEqual(JSON.parse(c.out[0]), doc);
  const usage = await run("reconfig", CONFIG, true);
  assert.deepEqual(usage.err.map((l) => JSON.parse(l)), [{ error: USAGE }]);
});

Deno.test("config [-c] [-w] [-s] as zkCli's GetConfigCommand", async () => {
  let r = await run("config");
  assert.deepEqual(r.out, CONFIG.split("\n"));
  assert.deepEqual(r.getDataCalls, [{ path: "/zookeeper/config", watch: false }]);
  r = await run("config -c -w");
  // Java's Properties order: server.2, server.1, server.3.
  assert.deepEqual(r.out, ["100000004 0.0.0.0:2181,0.0.0.0:2181,"]);
  assert.deepEqual(r.getDataCalls, [{ path: "/zookeeper/config", watch: true }]);
  r = await run("config -s extra words");
  assert.equal(r.out.length, 4 + 11);
  assert.equal(r.out[4], "cZxid = 0x0");
  r = await run("config -x");
  assert.deepEqual(r.err, [
    "org.apache.commons.cli.UnrecognizedOptionException: Unrecognized option: -x",
  ]);
});

Deno.test("reconfig and config need a session, and Tab completes their names", async () => {
  const stub = stubShell();
  stub.shell.zk = null;
  assert.equal(await executeLine(stub.shell, "reconfig -remove 3"), false);
  assert.deepEqual(stub.out, ["Not connected"]);
  assert.ok(commandNames().includes("reconfig") && commandNames().includes("config"));
  const source = { commands: commandNames(), children: () => Promise.resolve(null) };
  assert.deepEqual(await complete("reco", source), {
    replace: 4,
    insert: "reconfig ",
    candidates: [],
  });
  assert.deepEqual(await complete("conf", source), {
    replace: 4,
    insert: "config ",
    candidates: [],
  });
  const help = stubShell();
  await executeLine(help.shell, "help");
  assert.ok(help.out.includes(`\t${USAGE}`), help.out.join("\n"));
  assert.ok(help.out.includes("\tconfig [-c] [-w] [-s]"));
});
