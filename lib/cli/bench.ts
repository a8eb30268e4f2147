/**
 * The benchmark (`deno task bench`, scripts/bench.ts): zkd and Apache ZooKeeper 3.8 side by
 * side, both with fsync on, each started here as a subprocess on loopback. Scenarios: the
 * mixes (getData only, setData only, 90/10 under the same pipelined load: throughput,
 * p50/p99, and the CPU the server and the load generator used, so a saturated generator is
 * visible); p99 during a snapshot of a 1M-znode tree (bench/big_tree.ts); restart time and
 * resident memory with that tree; 3-member ensembles of both (the mixes' load spread over
 * the members, then leader failovers: bench/ensemble.ts); on request, a member that lost its
 * disk catching up in such an ensemble (bench/catchup.ts). Prints one
 * markdown table per scenario with zkd/ZooKeeper ratios and the load average. It reports
 * numbers; it does not pass or fail.
 */

import { parseArgs } from "node:util";
import { parseHosts } from "../client/hosts.ts";
import { runBigTree } from "./bench/big_tree.ts";
import { measureMix, medianRow, prepareZnodes, type Target } from "./bench/measure.ts";
import { runEnsembleScenario } from "./bench/ensemble.ts";
import { catchupOnce, catchupReport, type CatchupSample } from "./bench/catchup.ts";
import {
  failoverReport,
  markdownReport,
  restartReport,
  type RestartRow,
  type Row,
  snapshotReport,
  type SnapshotRow,
} from "./bench/report.ts";
import {
  apacheZkInstalled,
  JVM_FLAGS_BENCH,
  JVM_FLAGS_BIG,
  type ServerProcess,
  startApacheZk,
  startZkd,
} from "./bench/server_process.ts";

const USAGE = `usage: deno task bench [options]

Scenarios (--scenarios, comma separated; default mixes,snapshot,restart,ensemble):
  mixes      read-only, write-only and 90/10 throughput and p50/p99 (closed loop, pipelined)
  ensemble   a 3-member zkd ensemble and a 3-member ZooKeeper ensemble side by side: the
             mixes' load with its connections spread evenly over the members (write-only and
             90/10), then --failovers times: kill -9 the leader under a write load, time until
             a write is acknowledged again, restart it and wait until it rejoins (about 2
             minutes with the defaults)
  snapshot   preload --big-znodes znodes, then a paced read+write load; p99 without vs during
             the snapshots the servers take every ~--snap-count txns (from their logs)
  restart    with the same preloaded tree: RSS, then stop and start again on the same data
             (--restarts times); time until srvr answers Mode:, RSS while and after starting
  (snapshot and restart share one preload per target; together about 2-3 minutes per target)
  catchup    not in the default list: a 3-member ensemble per target holding --catchup-znodes
             znodes; a follower loses its disk and rejoins (a full snapshot from the leader)
             while --catchup-writers sessions write through the leader: time until it caught
             up, the longest gap between acknowledged writes, and whether the leader changed
             (about 2 minutes per target with 1M znodes)

Both servers run on loopback with forceSync=yes, tickTime=2000, the same snapCount and a fresh
dataDir under the same temp directory; ZooKeeper runs with JVM flags ${JVM_FLAGS_BENCH.join(" ")}
for mixes and ensembles and ${JVM_FLAGS_BIG.join(" ")} for the 1M-znode scenarios.

Mixes:
  --connections N     sessions opened by the load generator (default 16)
  --inflight M        requests in flight per connection (default 32)
  --duration-s S      measured seconds per mix and target (default 10)
  --warmup-s S        unmeasured seconds before each measurement (default 3)
  --runs R            measure each mix and target R times (alternating); medians (default 1)
  --value-bytes B     znode value size (default 1024)
  --znodes K          znodes read and written (default 1000)
  --mixes LIST        read,write,mixed (default all three)
Ensembles (the mixes' options above apply too, except --mixes and --*-connect):
  --ensemble-mixes L  read,write,mixed (default write,mixed), or none (failovers only)
  --ensemble-tick-ms T  tickTime of every member (default 2000, with initLimit=10,
                      syncLimit=5: ZooKeeper's sample zoo.cfg); --snap-count applies
  --failovers N       leader kills per ensemble, alternating (default 3; 0 = mixes only)
  --failover-writers W  writer sessions during a failover (default 8)
1M-znode scenarios:
  --big-znodes N      znodes to preload (default 1000000)
  --big-value-bytes B their value size (default 100)
  --preload-batch K   creates per multi while preloading; 1 = plain creates (default 100)
  --snap-count C      snapCount for both servers (default 100000, both servers' default)
  --snapshot-rate R   paced load, requests/s (default 4000)
  --snapshot-writes F fraction of setData in the paced load (default 0.5)
  --snapshots N       the paced run ends once N snapshots have finished and
                      --snapshot-tail-s more seconds passed (default 1; more = steadier p99)
  --snapshot-tail-s S (default 10)
  --snapshot-max-s S  longest paced run, whatever was seen (default 240)
  --restarts N        restarts per target, median reported (default 3)
Catch-up (the ensemble timing, --big-value-bytes, --preload-batch and --snap-count apply):
  --catchup-znodes N  znodes in the tree (default 1000000)
  --catchup-writers W writer sessions on the leader during the catch-up (default 8)
Targets:
  --targets LIST      zkd,zk (default both; zk is skipped when not installed)
  --zkd-connect H:P   mixes only: use a running zkd instead of starting one
  --zk-connect H:P    mixes only: use a running ZooKeeper instead of starting one
  --zkd-deno-flags=F  extra space-separated \`deno run\` flags for the zkd processes started
                      here, e.g. --zkd-deno-flags="--v8-flags=--trace-gc" (note the =)
                      (relative paths resolve in the server's temp directory)
  --keep-dirs         1M-znode and ensemble scenarios: keep each server's temp directory
                      (log, data)`;

const MIXES: Record<string, { label: string; readFraction: number }> = {
  read: { label: "read-only (getData)", readFraction: 1 },
  write: { label: "write-only (setData)", readFraction: 0 },
  mixed: { label: "90% read / 10% write", readFraction: 0.9 },
};

const SCENARIOS = ["mixes", "snapshot", "restart", "ensemble"];

/** Seconds after a snapshot whose requests count as neither "during" nor "without". */
const AFTER_SNAPSHOT_MS = 2000;
/** Seconds of the paced load not counted (JIT, connection set-up). */
const PACED_WARMUP_S = 5;
/** Seconds between a restarted server answering and the "settled" RSS sample. */
const SETTLE_S = 5;

class BenchArgError extends Error {}

interface BenchOptions {
  scenarios: string[];
  connections: number;
  inflight: number;
  durationS: number;
  warmupS: number;
  runs: number;
  valueBytes: number;
  znodes: number;
  mixes: string[];
  ensembleMixes: string[];
  ensembleTickMs: number;
  failovers: number;
  failoverWriters: number;
  targets: string[];
  connect: Record<string, string | undefined>;
  bigZnodes: number;
  bigValueBytes: number;
  preloadBatch: number;
  snapCount: number;
  snapshotRate: number;
  snapshotWrites: number;
  snapshotMaxS: number;
  snapshotTailS: number;
  snapshots: number;
  restarts: number;
  catchupZnodes: number;
  catchupWriters: number;
  zkdDenoFlags: string[];
  keepDirs: boolean;
}

function positiveInt(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^[0-9]+$/.test(text) || Number(text) <= 0) {
    throw new BenchArgError(`--${name} must be a positive integer, got '${text}'`);
  }
  return Number(text);
}

function wholeNumber(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^[0-9]+$/.test(text)) {
    throw new BenchArgError(`--${name} must be a whole number, got '${text}'`);
  }
  return Number(text);
}

function fraction(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const v = Number(text);
  if (text.trim() === "" || !Number.isFinite(v) || v < 0 || v > 1) {
    throw new BenchArgError(`--${name} must be a number from 0 to 1, got '${text}'`);
  }
  return v;
}

const STRING_OPTIONS = [
  "scenarios",
  "connections",
  "inflight",
  "duration-s",
  "warmup-s",
  "runs",
  "value-bytes",
  "znodes",
  "mixes",
  "ensemble-mixes",
  "ensemble-tick-ms",
  "failovers",
  "failover-writers",
  "targets",
  "zkd-connect",
  "zk-connect",
  "big-znodes",
  "big-value-bytes",
  "preload-batch",
  "snap-count",
  "snapshot-rate",
  "snapshot-writes",
  "snapshot-max-s",
  "snapshot-tail-s",
  "snapshots",
  "restarts",
  "catchup-znodes",
  "catchup-writers",
  "zkd-deno-flags",
] as const;

function parseOptions(args: string[]): BenchOptions | "help" {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        ...Object.fromEntries(STRING_OPTIONS.map((k) => [k, { type: "string" as const }])),
        help: { type: "boolean", short: "h" },
        "keep-dirs": { type: "boolean" },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (e) {
    throw new BenchArgError((e as Error).message);
  }
  const v = parsed.values as Partial<Record<(typeof STRING_OPTIONS)[number], string>> & {
    help?: boolean;
    "keep-dirs"?: boolean;
  };
  if (v.help) return "help";
  const list = (name: string, text: string | undefined, allowed: string[], fallback = allowed) => {
    const items = (text ?? fallback.join(",")).split(",").map((s) => s.trim()).filter((s) => s);
    for (const item of items) {
      if (!allowed.includes(item)) {
        throw new BenchArgError(`--${name}: unknown '${item}' (one of ${allowed.join(", ")})`);
      }
    }
    if (items.length === 0) throw new BenchArgError(`--${name} is empty`);
    return items;
  };
  const connect: Record<string, string | undefined> = {
    zkd: v["zkd-connect"],
    zk: v["zk-connect"],
  };
  for (const [target, hosts] of Object.entries(connect)) {
    if (hosts === undefined) continue;
    try {
      if (parseHosts(hosts).length !== 1) throw new Error("give exactly one host:port");
    } catch (e) {
      throw new BenchArgError(`--${target}-connect '${hosts}': ${(e as Error).message}`);
    }
  }
  const valueBytes = positiveInt("value-bytes", v["value-bytes"], 1024);
  if (valueBytes > 1_000_000) throw new BenchArgError(`--value-bytes at most 1000000`);
  const bigValueBytes = positiveInt("big-value-bytes", v["big-value-bytes"], 100);
  if (bigValueBytes > 100_000) throw new BenchArgError(`--big-value-bytes at most 100000`);
  const preloadBatch = positiveInt("preload-batch", v["preload-batch"], 100);
  if (preloadBatch * (bigValueBytes + 100) > 900_000) {
    throw new BenchArgError(`--preload-batch ${preloadBatch}: a multi would exceed jute.maxbuffer`);
  }
  const snapCount = positiveInt("snap-count", v["snap-count"], 100_000);
  if (snapCount < 2) throw new BenchArgError(`--snap-count must be at least 2`);
  return {
    scenarios: list("scenarios", v.scenarios, [...SCENARIOS, "catchup"], SCENARIOS),
    connections: positiveInt("connections", v.connections, 16),
    inflight: positiveInt("inflight", v.inflight, 32),
    durationS: positiveInt("duration-s", v["duration-s"], 10),
    warmupS: wholeNumber("warmup-s", v["warmup-s"], 3),
    runs: positiveInt("runs", v.runs, 1),
    valueBytes,
    znodes: positiveInt("znodes", v.znodes, 1000),
    mixes: list("mixes", v.mixes, Object.keys(MIXES)),
    ensembleMixes: v["ensemble-mixes"] === "none"
      ? []
      : list("ensemble-mixes", v["ensemble-mixes"], Object.keys(MIXES), ["write", "mixed"]),
    ensembleTickMs: positiveInt("ensemble-tick-ms", v["ensemble-tick-ms"], 2000),
    failovers: wholeNumber("failovers", v.failovers, 3),
    failoverWriters: positiveInt("failover-writers", v["failover-writers"], 8),
    targets: list("targets", v.targets, ["zkd", "zk"]),
    connect,
    bigZnodes: positiveInt("big-znodes", v["big-znodes"], 1_000_000),
    bigValueBytes,
    preloadBatch,
    snapCount,
    snapshotRate: positiveInt("snapshot-rate", v["snapshot-rate"], 4000),
    snapshotWrites: fraction("snapshot-writes", v["snapshot-writes"], 0.5),
    snapshotMaxS: positiveInt("snapshot-max-s", v["snapshot-max-s"], 240),
    snapshotTailS: wholeNumber("snapshot-tail-s", v["snapshot-tail-s"], 10),
    snapshots: positiveInt("snapshots", v.snapshots, 1),
    restarts: positiveInt("restarts", v.restarts, 3),
    catchupZnodes: positiveInt("catchup-znodes", v["catchup-znodes"], 1_000_000),
    catchupWriters: positiveInt("catchup-writers", v["catchup-writers"], 8),
    zkdDenoFlags: (v["zkd-deno-flags"] ?? "").split(" ").filter((f) => f !== ""),
    keepDirs: v["keep-dirs"] ?? false,
  };
}

interface StartedTarget extends Target {
  process: ServerProcess | undefined;
}

function log(line: string): void {
  Deno.stderr.writeSync(new TextEncoder().encode(`bench: ${line}\n`));
}

const REPO_ROOT = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");

/** The zoo.cfg keys both servers get for the mixes: fsync on, the default snapCount. */
const MIXES_CFG = { forceSync: "yes", snapCount: "100000" };

async function startTarget(name: string, opts: BenchOptions): Promise<StartedTarget> {
  const given = opts.connect[name];
  if (given !== undefined) {
    const { hostname, port } = parseHosts(given)[0];
    return { name, hostname, ports: [port], pids: [], process: undefined };
  }
  log(`starting ${name}`);
  const proc = name === "zkd"
    ? await startZkd({
      repoRoot: REPO_ROOT,
      args: ["--log-level", "warn"],
      cfg: MIXES_CFG,
      denoFlags: opts.zkdDenoFlags,
    })
    : await startApacheZk({ jvmFlags: JVM_FLAGS_BENCH, cfg: MIXES_CFG });
  log(`${name} serving on ${proc.connectString} (pid ${proc.pid}, log ${proc.logPath})`);
  return { name, hostname: proc.hostname, ports: [proc.port], pids: [proc.pid], process: proc };
}

/** The value every setData writes: `bytes` letters. */
function benchValue(bytes: number): Uint8Array {
  const value = new Uint8Array(bytes);
  for (let i = 0; i < value.length; i++) value[i] = 0x61 + (i % 26);
  return value;
}

/** The mixes: every (mix, target) measured opts.runs times; a row of medians each. */
async function runMixes(opts: BenchOptions, wanted: string[]): Promise<Row[]> {
  const value = benchValue(opts.valueBytes);
  const targets: StartedTarget[] = [];
  const measured = new Map<string, Row[]>();
  try {
    for (const name of wanted) targets.push(await startTarget(name, opts));
    const paths = new Map<string, string[]>();
    for (const t of targets) {
      log(`${t.name}: creating ${opts.znodes} znodes of ${opts.valueBytes} bytes`);
      paths.set(t.name, await prepareZnodes(t, opts.znodes, value));
    }
    // Targets alternate within each mix (and runs within it), so drift on the machine hits
    // both alike.
    for (const mixName of opts.mixes) {
      for (let run = 0; run < opts.runs; run++) {
        for (const t of targets) {
          const row = await measureMix(
            t,
            MIXES[mixName],
            opts,
            paths.get(t.name)!,
            value,
            log,
            `run ${run + 1}/${opts.runs}`,
          );
          const key = `${mixName}\u0000${t.name}`;
          measured.set(key, [...(measured.get(key) ?? []), row]);
        }
      }
    }
  } catch (e) {
    for (const t of targets) {
      if (t.process) console.error(`--- ${t.name} log tail ---\n${t.process.logTail(20)}`);
    }
    throw e;
  } finally {
    for (const t of targets) await t.process?.stop();
  }
  return [...measured.values()].map(medianRow);
}

/** The ensemble scenario's two tables (throughput by mix; failover). */
/** zoo.cfg keys of every ensemble member, zkd's and ZooKeeper's alike. */
function ensembleCfg(opts: BenchOptions): Record<string, string> {
  return {
    tickTime: String(opts.ensembleTickMs),
    initLimit: "10",
    syncLimit: "5",
    forceSync: "yes",
    snapCount: String(opts.snapCount),
  };
}

async function catchupSection(opts: BenchOptions, wanted: string[]): Promise<string> {
  const cfg = ensembleCfg(opts);
  const samples: CatchupSample[] = [];
  for (const kind of wanted.filter((t): t is "zkd" | "zk" => t === "zkd" || t === "zk")) {
    samples.push(
      await catchupOnce({
        kind,
        repoRoot: REPO_ROOT,
        zkdDenoFlags: opts.zkdDenoFlags,
        keepDirs: opts.keepDirs,
        cfg,
        znodes: opts.catchupZnodes,
        value: benchValue(opts.bigValueBytes),
        preloadBatch: opts.preloadBatch,
        writers: opts.catchupWriters,
        timeoutMs: 300_000,
        log,
      }),
    );
  }
  return "### 3-member ensembles: a member that lost its disk catches up\n\n" +
    catchupReport(samples, {
      setup: `${opts.catchupZnodes} znodes of ${opts.bigValueBytes} bytes; ` +
        `${opts.catchupWriters} writer sessions looping setData on the leader; every member ` +
        `with ${Object.entries(cfg).map(([k, v]) => `${k}=${v}`).join(", ")}; ZooKeeper ` +
        `members with JVM ${JVM_FLAGS_BIG.join(" ")}.`,
    });
}

async function ensembleSections(opts: BenchOptions, wanted: string[]): Promise<string> {
  const kinds = wanted.filter((t): t is "zkd" | "zk" => t === "zkd" || t === "zk");
  const cfg = ensembleCfg(opts);
  const r = await runEnsembleScenario({
    targets: kinds,
    repoRoot: REPO_ROOT,
    zkdDenoFlags: opts.zkdDenoFlags,
    keepDirs: opts.keepDirs,
    cfg,
    mixes: opts.ensembleMixes.map((m) => MIXES[m]),
    runs: opts.runs,
    connections: opts.connections,
    inflight: opts.inflight,
    warmupS: opts.warmupS,
    durationS: opts.durationS,
    znodes: opts.znodes,
    value: benchValue(opts.valueBytes),
    failovers: opts.failovers,
    failoverWriters: opts.failoverWriters,
    log,
  });
  const perMember = Array.from(
    { length: 3 },
    (_, i) => Math.floor(opts.connections / 3) + (i < opts.connections % 3 ? 1 : 0),
  ).join("/");
  const setup = `Both ensembles run side by side on loopback, 3 members each, every member ` +
    `with ${Object.entries(cfg).map(([k, v]) => `${k}=${v}`).join(", ")}; ZooKeeper members ` +
    `with JVM ${JVM_FLAGS_BENCH.join(" ")}.`;
  const parts: string[] = [];
  if (r.rows.length > 0) {
    parts.push(
      "### 3-member ensembles: throughput and latency\n\n" + markdownReport({
        connections: opts.connections,
        inflight: opts.inflight,
        durationS: opts.durationS,
        warmupS: opts.warmupS,
        valueBytes: opts.valueBytes,
        znodes: opts.znodes,
        cores: navigator.hardwareConcurrency,
        runs: opts.runs,
        setup: `${setup} The connections go round-robin to the members (${perMember}): reads ` +
          `are served by the member, writes go through the leader. Server CPU is the sum of the ` +
          `three members.`,
        notes: [],
      }, r.rows),
    );
  }
  if (r.failovers.length > 0) {
    parts.push(
      "### 3-member ensembles: failover\n\n" +
        failoverReport({ writers: opts.failoverWriters, timeoutS: 30, setup }, r.failovers),
    );
  }
  if (r.zkdWarnings.length > 0) {
    parts.push(
      "zkd members' warnings and errors (the first 50):\n\n```\n" + r.zkdWarnings.join("\n") +
        "\n```",
    );
  }
  if (r.roleChanges.length > 0) {
    parts.push(
      "zkd role changes seen in the members' logs (the failovers' included):\n\n```\n" +
        r.roleChanges.join("\n") + "\n```",
    );
  }
  return parts.join("\n\n");
}

export async function runBench(args: string[]): Promise<number> {
  let opts: BenchOptions | "help";
  try {
    opts = parseOptions(args);
  } catch (e) {
    if (!(e instanceof BenchArgError)) throw e;
    console.error(`bench: ${e.message}`);
    return 2;
  }
  if (opts === "help") {
    console.log(USAGE);
    return 0;
  }
  const notes: string[] = [];
  const wanted = opts.targets.filter((t) => {
    if (t === "zk" && opts.connect.zk === undefined && !apacheZkInstalled()) {
      notes.push(
        "Apache ZooKeeper was not measured: the Debian `zookeeper` package is not installed.",
      );
      log("Apache ZooKeeper not installed; measuring zkd only");
      return false;
    }
    return true;
  });
  const sections: string[] = [];
  const began = performance.now();
  try {
    if (opts.scenarios.includes("mixes")) {
      const rows = await runMixes(opts, wanted);
      sections.push(
        "### Throughput and latency by mix\n\n" + markdownReport({
          connections: opts.connections,
          inflight: opts.inflight,
          durationS: opts.durationS,
          warmupS: opts.warmupS,
          valueBytes: opts.valueBytes,
          znodes: opts.znodes,
          cores: navigator.hardwareConcurrency,
          runs: opts.runs,
          setup: `forceSync=yes and snapCount=100000 on both; ZooKeeper JVM ` +
            `${JVM_FLAGS_BENCH.join(" ")}.`,
          notes,
        }, rows),
      );
    }
    if (opts.scenarios.includes("ensemble")) {
      sections.push(await ensembleSections(opts, wanted));
    }
    if (opts.scenarios.includes("catchup")) {
      sections.push(await catchupSection(opts, wanted));
    }
    const snapshot = opts.scenarios.includes("snapshot");
    const restart = opts.scenarios.includes("restart");
    if (snapshot || restart) {
      const snapRows: SnapshotRow[] = [];
      const restartRows: RestartRow[] = [];
      for (const name of wanted) {
        if (opts.connect[name] !== undefined) {
          log(`${name}: the 1M-znode scenarios need a server started here; skipped`);
          continue;
        }
        const r = await runBigTree({
          target: name as "zkd" | "zk",
          repoRoot: REPO_ROOT,
          zkdDenoFlags: opts.zkdDenoFlags,
          keepDirs: opts.keepDirs,
          znodes: opts.bigZnodes,
          valueBytes: opts.bigValueBytes,
          preloadBatch: opts.preloadBatch,
          snapCount: opts.snapCount,
          snapshot,
          restart,
          rate: opts.snapshotRate,
          writeFraction: opts.snapshotWrites,
          maxS: opts.snapshotMaxS,
          tailS: opts.snapshotTailS,
          snapshots: opts.snapshots,
          warmupS: PACED_WARMUP_S,
          afterMs: AFTER_SNAPSHOT_MS,
          restarts: opts.restarts,
          settleS: SETTLE_S,
          log,
        });
        if (r.snapshot) snapRows.push(r.snapshot);
        if (r.restart) restartRows.push(r.restart);
      }
      if (snapshot) {
        sections.push(
          "### p99 during a snapshot\n\n" + snapshotReport({
            znodes: opts.bigZnodes,
            valueBytes: opts.bigValueBytes,
            ratePerS: opts.snapshotRate,
            writeFraction: opts.snapshotWrites,
            connections: 4,
            snapCount: opts.snapCount,
            afterMs: AFTER_SNAPSHOT_MS,
            warmupS: PACED_WARMUP_S,
          }, snapRows) +
            "\n\nNot the same work: ZooKeeper 3.8 does not fsync the snapshots it takes every " +
            "snapCount txns (SyncRequestProcessor calls takeSnapshot(syncSnap=false)), so their " +
            "writeback happens later, outside its snapshot window; zkd fsyncs the snapshot " +
            "file, renames it and fsyncs the directory before logging it.",
        );
      }
      if (restart) {
        sections.push(
          "### Restart time and resident memory\n\n" + restartReport({
            znodes: opts.bigZnodes,
            valueBytes: opts.bigValueBytes,
            settleS: SETTLE_S,
            zkJvmFlags: JVM_FLAGS_BIG.join(" "),
          }, restartRows) +
            "\n\nZooKeeper writes a snapshot at start-up before it serves (its restart time " +
            "includes it, see the server log column); zkd does not. The tree is built through " +
            "the wire during the preload and loaded from a snapshot after the restart, so " +
            '"RSS loaded" and "RSS settled" hold the same znodes in two layouts.',
        );
      }
    }
  } catch (e) {
    console.error(`bench: ${(e as Error).message}`);
    return 1;
  }
  log(`done in ${Math.round((performance.now() - began) / 1000)} s`);
  console.log(sections.join("\n\n"));
  return 0;
}
