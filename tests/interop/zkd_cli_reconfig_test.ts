// `config` and `reconfig` in `zkd cli` against a 3-member zkd ensemble versus Apache's zkCli.sh
// against a 3-member Apache ZooKeeper 3.8 ensemble (both with two spare members and a super
// user): the same shell lines go through both, in three sessions (the errors before the spares
// run; growing by the spares, one as an observer; shrinking with -v, -file and -members), and
// stdout, stderr and the exit codes must match once ports, config versions (zxids) and times
// are named or masked. Standalone servers give RECONFIGDISABLED and UNIMPLEMENTED.

import assert from "node:assert/strict";
import { Ensemble } from "../support/ensemble.ts";
import { startApacheZk, SUPER_DIGEST } from "./support/apache_zk.ts";
import { interopTest } from "./support/differential.ts";
import { sleep } from "./support/procs.ts";
import { startZkd } from "./support/zkd.ts";
import { runZkCliSh, runZkdCli, type ShellRun, zkCliShAvailable } from "./support/zkd_cli.ts";

const RECONFIG_CFG = {
  reconfigEnabled: "true",
  "DigestAuthenticationProvider.superDigest": SUPER_DIGEST,
};

/**
 * Debian's 3.8.0 package corrects a typo of every upstream 3.8 release in NEWCONFIGNOQUORUM's
 * zkCli text ("last commmitted config"); zkd prints the upstream 3.8 text.
 */
const DEBIAN_SPELLING: [string, string] = ["last committed config", "last commmitted config"];

interface Normalized {
  out: string[];
  err: string[];
  code: number;
}

/**
 * Names what differs between the two ensembles: ports become P<id>q/e/c, config versions (and
 * the mZxid and `config -c` prefix that carry them) V1, V2, ... by first appearance within one
 * ensemble, mtime a "?". Banner lines, WATCHER:: blocks and SLF4J warnings are dropped.
 */
class Normalizer {
  readonly #ports = new Map<string, string>();
  readonly #versions = new Map<string, string>();

  constructor(e: Ensemble) {
    for (const m of e.members) {
      this.#ports.set(String(m.quorumPort), `P${m.id}q`);
      this.#ports.set(String(m.electionPort), `P${m.id}e`);
      this.#ports.set(String(m.clientPort), `P${m.id}c`);
    }
  }

  #version(hex: string): string {
    let name = this.#versions.get(hex);
    if (name === undefined) {
      name = `V${this.#versions.size + 1}`;
      this.#versions.set(hex, name);
    }
    return name;
  }

  #line(line: string): string {
    return line
      .replace(/:(\d+)/g, (all, port) => {
        const name = this.#ports.get(port);
        return name === undefined ? all : `:${name}`;
      })
      .replace(/^version=([0-9a-f]+)$/, (_, v) => `version=${this.#version(v)}`)
      .replace(/^mZxid = 0x([0-9a-f]+)$/, (_, v) => `mZxid = 0x${this.#version(v)}`)
      .replace(/^([0-9a-f]+) (?=\S*$)/, (_, v) => `${this.#version(v)} `)
      .replace(/^mtime = .*$/, "mtime = ?");
  }

  run(r: ShellRun): Normalized {
    const out = lines(r.stdout)
      .filter((l) =>
        !/^(Connecting to |Welcome to ZooKeeper!$|JLine support is |WATCHER::$)/.test(l)
      )
      .filter((l) => l !== "" && !l.startsWith("WatchedEvent "))
      .map((l) => this.#line(l));
    const err = lines(r.stderr)
      .filter((l) => !l.startsWith("SLF4J: "))
      .map((l) => this.#line(l.replace(...DEBIAN_SPELLING)));
    return { out, err, code: r.code };
  }
}

function lines(text: string): string[] {
  const out = text.split("\n");
  if (out.at(-1) === "") out.pop();
  return out;
}

/** The hex of the last `version=` line a run printed. */
function lastVersion(r: ShellRun): string {
  const all = [...r.stdout.matchAll(/^version=([0-9a-f]+)$/gm)];
  assert.ok(all.length > 0, `no version= line in:\n${r.stdout}`);
  return all.at(-1)![1];
}

async function waitServing(e: Ensemble, id: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  while ((await e.mode(id)) === null) {
    if (Date.now() > deadline) throw new Error(`${e.kind} member ${id} does not serve`);
    await sleep(100);
  }
}

interface Side {
  e: Ensemble;
  name: string;
  norm: Normalizer;
  run(args: string[], opts: { stdin: string }): Promise<ShellRun>;
}

/** Runs each side's script (built from its ensemble) and compares the normalized runs. */
async function same(
  sides: [Side, Side],
  script: (e: Ensemble) => string[],
  what: string,
): Promise<[ShellRun, ShellRun]> {
  const runs = await Promise.all(
    sides.map((s) =>
      s.run(["-server", s.e.connectString([1, 2, 3])], { stdin: script(s.e).join("\n") + "\n" })
    ),
  );
  const [theirs, ours] = runs.map((r, i) => sides[i].norm.run(r));
  try {
    assert.deepEqual(ours, theirs);
  } catch (e) {
    if (e instanceof Error) {
      e.message = `${what}: ${e.message}\n(actual = zkd cli, expected = zkCli.sh)\n` +
        `--- zkCli.sh stdout:\n${runs[0].stdout}\n--- zkCli.sh stderr:\n${runs[0].stderr}`;
    }
    throw e;
  }
  return [runs[0], runs[1]];
}

const NAME = "zkd cli config/reconfig print what zkCli.sh prints (3-member ZooKeeper 3.8 ensemble)";
const STANDALONE = "zkd cli reconfig on a standalone server: RECONFIGDISABLED, UNIMPLEMENTED";
if (!zkCliShAvailable()) {
  for (const name of [NAME, STANDALONE]) {
    Deno.test({
      name: `${name} (skipped: zkCli.sh is not installed; apt-get install zookeeper)`,
      ignore: true,
      fn() {},
    });
  }
} else {
  interopTest(NAME, async () => {
    const dir = await Deno.makeTempDir({ prefix: "zkcli-reconfig-" });
    const started = await Promise.allSettled([
      Ensemble.start({ kind: "zk", participants: 3, spares: 2, cfg: RECONFIG_CFG }),
      Ensemble.start({ kind: "zkd", participants: 3, spares: 2, cfg: RECONFIG_CFG }),
    ]);
    try {
      const [zk, zkd] = started.map((s) => {
        if (s.status === "rejected") throw s.reason;
        return s.value;
      });
      const sides: [Side, Side] = [
        { e: zk, name: "zkCli.sh", norm: new Normalizer(zk), run: runZkCliSh },
        { e: zkd, name: "zkd cli", norm: new Normalizer(zkd), run: runZkdCli },
      ];
      const missing = `${dir}/missing.cfg`;
      const unknownKey = `${dir}/unknown-key.cfg`;
      await Deno.writeTextFile(unknownKey, "server.1=127.0.0.1:2888:3888\ntickTime=2000\n");
      const observersOnly = `${dir}/observers-only.cfg`;
      await Deno.writeTextFile(observersOnly, "server.7=127.0.0.1:2888:3888:observer\n");

      // 1. Errors, before the spares run: client-side checks, then the server's answers.
      const [errors] = await same(sides, (e) => [
        "config",
        "config -c",
        `reconfig -add ${e.joinSpec(4)}`,
        "addauth digest super:admin",
        "reconfig",
        "reconfig -s",
        `reconfig -add ${e.joinSpec(4)} -members ${e.joinSpec(1)}`,
        `reconfig -file ${missing} -members ${e.joinSpec(1)}`,
        "reconfig -v zz -remove 3",
        "reconfig -v 1 -remove 3",
        "reconfig -x -remove 3",
        "reconfig -remove",
        "reconfig -add server.6=127.0.0.1:1234",
        "reconfig -remove 2,3",
        `reconfig -remove 2,3 -add ${e.joinSpec(4)},${e.joinSpec(5)}`,
        `reconfig -members ${e.joinSpec(1)},${e.joinSpec(4)},${e.joinSpec(5)}`,
        `reconfig -file ${missing}`,
        `reconfig -file ${unknownKey}`,
        `reconfig -file ${observersOnly}`,
        "quit",
      ], "errors");
      // What the script relies on, said of zkCli itself.
      for (
        const expected of [
          "Insufficient permission : ",
          "version No is not valid : ",
          "Arguments are not valid : ",
          "-v must be followed by a long (configuration version)",
          `Error processing ${missing}${missing} (No such file or directory)`,
          `Error processing ${unknownKey}Unrecognised parameter: tickTime`,
        ]
      ) {
        assert.ok(errors.stderr.split("\n").includes(expected), `${expected}\n${errors.stderr}`);
      }
      assert.match(errors.stderr, /^No quorum of new config is connected/m);

      // 2. The spares start (each knows the ensemble and itself) and join, one as an observer.
      for (const s of sides) {
        await s.e.startMember(4);
        await s.e.startMember(5);
      }
      // A ZooKeeper spare serves as a non-voting follower before it is added; a zkd spare
      // waits for the reconfig that adds it (neither is needed for the quorum of the adds).
      await waitServing(zk, 4);
      await waitServing(zk, 5);
      const [grown, grownZkd] = await same(sides, (e) => [
        "addauth digest super:admin",
        `reconfig -add ${e.joinSpec(4)}`,
        `reconfig -s -add ${e.joinSpec(5, "observer")}`,
        "config",
        "config -c",
        "config -s",
        "quit",
      ], "grow");
      assert.match(grown.stdout, /^server\.5=.*:observer;127\.0\.0\.1:\d+$/m);

      // 3. Shrink: -v with the current version (in capitals once), then a stale one; demote
      // 4 with -file; remove it with -members.
      const current = [lastVersion(grown), lastVersion(grownZkd)];
      const demote = [`${dir}/demote-zk.cfg`, `${dir}/demote-zkd.cfg`];
      for (const [i, s] of sides.entries()) {
        const e = s.e;
        await Deno.writeTextFile(
          demote[i],
          ["# 1-3 vote, 4 observes", e.joinSpec(1), e.joinSpec(2), e.joinSpec(3)]
            .concat(e.joinSpec(4, "observer"), "").join("\n"),
        );
      }
      const byKind = (e: Ensemble) => (e === zk ? 0 : 1);
      const [shrunk] = await same(sides, (e) => [
        "addauth digest super:admin",
        `reconfig -v ${current[byKind(e)].toUpperCase()} -remove 5`,
        `reconfig -v ${current[byKind(e)]} -remove 4`,
        `reconfig -file ${demote[byKind(e)]}`,
        `reconfig -s -members ${e.joinSpec(1)},${e.joinSpec(2)},${e.joinSpec(3)}`,
        "config -c",
        "quit",
      ], "shrink");
      assert.match(shrunk.stdout, /^server\.4=.*:observer;/m);
      assert.ok(shrunk.stderr.includes("version No is not valid : "), shrunk.stderr);

      // --json: the committed configuration and its Stat; an error with its code and no path.
      const json = await runZkdCli(["-server", zkd.connectString([1, 2, 3]), "--json"], {
        stdin: `addauth digest super:admin\nreconfig -remove 9\nreconfig -v 1 -remove 9\n`,
      });
      const docs = lines(json.stdout).map((l) => JSON.parse(l));
      assert.equal(docs.length, 2, json.stdout); // addauth's, reconfig's
      const doc = docs[1];
      assert.match(doc.config, /^server\.1=.*\nversion=[0-9a-f]+$/s);
      assert.equal(doc.stat.version, -1);
      assert.deepEqual(
        lines(json.stderr).map((l) => JSON.parse(l)),
        [{ error: "version No is not valid : ", code: "BADVERSION" }],
      );
    } finally {
      await Promise.all(started.map((s) => s.status === "fulfilled" ? s.value.stop() : null));
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  });

  interopTest(STANDALONE, async () => {
    const servers = await Promise.all([
      startApacheZk(),
      startZkd(),
      startApacheZk({ cfg: { reconfigEnabled: "true" } }),
      startZkd({ cfg: { reconfigEnabled: "true" } }),
    ]);
    try {
      for (
        const [zk, zkd, want] of [
          [servers[0], servers[1], "KeeperErrorCode = Reconfig is disabled"],
          [servers[2], servers[3], "KeeperErrorCode = Unimplemented"],
        ] as const
      ) {
        const command = ["reconfig", "-remove", "3"];
        const [theirs, ours] = await Promise.all([
          runZkCliSh(["-server", zk.connectString, ...command]),
          runZkdCli(["-server", zkd.connectString, ...command]),
        ]);
        const errLines = (r: ShellRun) => lines(r.stderr).filter((l) => !l.startsWith("SLF4J: "));
        assert.deepEqual(errLines(theirs), [want], theirs.stderr);
        assert.deepEqual(errLines(ours), [want]);
        assert.equal(ours.stdout, "");
        assert.equal(ours.code, theirs.code, want);
      }
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
    }
  });
}
