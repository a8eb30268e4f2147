/**
 * The benchmark (`deno task bench`, scripts/bench.ts): zkd and Apache ZooKeeper 3.8 side by
 * side under the same pipelined load, three mixes (getData only, setData only, 90/10), each
 * target started here as a subprocess on loopback (or given with --zkd-connect /
 * --zk-connect). Prints a markdown table: throughput, p50/p99 latency, zkd/ZooKeeper ratios,
 * and the CPU the server and the load generator used, so a saturated generator is visible.
 * It reports numbers; it does not pass or fail.
 */

import { parseArgs } from "node:util";
import { ZkClient } from "../client/client.ts";
import { isZkError } from "../client/errors.ts";
import { Err } from "../proto/errors.ts";
import { parseHosts } from "../client/hosts.ts";
import { runLoad } from "./bench/load.ts";
import { processCpuTimeMs, selfCpuTimeMs } from "./bench/proc_cpu.ts";
import { markdownReport, type Row } from "./bench/report.ts";
import {
  apacheZkInstalled,
  JVM_FLAGS_BENCH,
  type ServerProcess,
  startApacheZk,
  startZkd,
} from "./bench/server_process.ts";

const USAGE = `usage: deno task bench [options]
  --connections N     sessions opened by the load generator (default 16)
  --inflight M        requests in flight per connection (default 32)
  --duration-s S      measured seconds per mix and target (default 10)
  --warmup-s S        unmeasured seconds before each measurement (default 3)
  --value-bytes B     znode value size (default 1024)
  --znodes K          znodes read and written (default 1000)
  --mixes LIST        read,write,mixed (default all three)
  --targets LIST      zkd,zk (default both; zk is skipped when not installed)
  --zkd-connect H:P   use a running zkd instead of starting one
  --zk-connect H:P    use a running ZooKeeper instead of starting one`;

const MIXES: Record<string, { label: string; readFraction: number }> = {
  read: { label: "read-only (getData)", readFraction: 1 },
  write: { label: "write-only (setData)", readFraction: 0 },
  mixed: { label: "90% read / 10% write", readFraction: 0.9 },
};

const ROOT = "/zkd-bench";

class BenchArgError extends Error {}

interface BenchOptions {
  connections: number;
  inflight: number;
  durationS: number;
  warmupS: number;
  valueBytes: number;
  znodes: number;
  mixes: string[];
  targets: string[];
  connect: Record<string, string | undefined>;
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

function parseOptions(args: string[]): BenchOptions | "help" {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        connections: { type: "string" },
        inflight: { type: "string" },
        "duration-s": { type: "string" },
        "warmup-s": { type: "string" },
        "value-bytes": { type: "string" },
        znodes: { type: "string" },
        mixes: { type: "string" },
        targets: { type: "string" },
        "zkd-connect": { type: "string" },
        "zk-connect": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (e) {
    throw new BenchArgError((e as Error).message);
  }
  const v = parsed.values;
  if (v.help) return "help";
  const list = (name: string, text: string | undefined, allowed: string[]) => {
    const items = (text ?? allowed.join(",")).split(",").map((s) => s.trim()).filter((s) => s);
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
  return {
    connections: positiveInt("connections", v.connections, 16),
    inflight: positiveInt("inflight", v.inflight, 32),
    durationS: positiveInt("duration-s", v["duration-s"], 10),
    warmupS: wholeNumber("warmup-s", v["warmup-s"], 3),
    valueBytes,
    znodes: positiveInt("znodes", v.znodes, 1000),
    mixes: list("mixes", v.mixes, Object.keys(MIXES)),
    targets: list("targets", v.targets, ["zkd", "zk"]),
    connect,
  };
}

interface Target {
  name: string;
  hostname: string;
  port: number;
  /** The server's pid when we started it (for its CPU time). */
  pid: number | undefined;
  process: ServerProcess | undefined;
}

function log(line: string): void {
  Deno.stderr.writeSync(new TextEncoder().encode(`bench: ${line}\n`));
}

async function startTarget(name: string, opts: BenchOptions): Promise<Target> {
  const given = opts.connect[name];
  if (given !== undefined) {
    const { hostname, port } = parseHosts(given)[0];
    return { name, hostname, port, pid: undefined, process: undefined };
  }
  log(`starting ${name}`);
  const proc = name === "zkd"
    ? await startZkd({
      repoRoot: new URL("../../", import.meta.url).pathname.replace(/\/$/, ""),
      args: ["--log-level", "warn"],
    })
    : await startApacheZk({ jvmFlags: JVM_FLAGS_BENCH });
  log(`${name} serving on ${proc.connectString} (pid ${proc.pid}, log ${proc.logPath})`);
  return { name, hostname: proc.hostname, port: proc.port, pid: proc.pid, process: proc };
}

/** Creates (or resets) the znodes the load reads and writes. */
async function prepareZnodes(t: Target, opts: BenchOptions, value: Uint8Array): Promise<string[]> {
  const zk = await ZkClient.connect({ hosts: `${t.hostname}:${t.port}`, sessionTimeoutMs: 30_000 });
  try {
    await zk.create(ROOT).catch((e) => {
      if (!isZkError(e, Err.NODEEXISTS)) throw e;
    });
    const paths = Array.from({ length: opts.znodes }, (_, i) => `${ROOT}/n${i}`);
    const batch = 500;
    for (let i = 0; i < paths.length; i += batch) {
      await Promise.all(
        paths.slice(i, i + batch).map((p) =>
          zk.create(p, value).catch(async (e) => {
            if (!isZkError(e, Err.NODEEXISTS)) throw e;
            await zk.setData(p, value);
          })
        ),
      );
    }
    return paths;
  } finally {
    await zk.close();
  }
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
  const value = new Uint8Array(opts.valueBytes);
  for (let i = 0; i < value.length; i++) value[i] = 0x61 + (i % 26);

  const targets: Target[] = [];
  const rows: Row[] = [];
  try {
    for (const name of wanted) targets.push(await startTarget(name, opts));
    const paths = new Map<string, string[]>();
    for (const t of targets) {
      log(`${t.name}: creating ${opts.znodes} znodes of ${opts.valueBytes} bytes`);
      paths.set(t.name, await prepareZnodes(t, opts, value));
    }
    // Targets alternate within each mix, so drift on the machine hits both alike.
    for (const mixName of opts.mixes) {
      const mix = MIXES[mixName];
      for (const t of targets) {
        log(`${t.name}: ${mix.label}, ${opts.warmupS} s warm-up + ${opts.durationS} s`);
        // CPU of both processes over the measured window (bracketed by the hooks).
        const cpu = { wall: 0, self: 0, server: undefined as number | undefined };
        const sample = async () => ({
          wall: performance.now(),
          self: selfCpuTimeMs(),
          server: t.pid === undefined ? undefined : await processCpuTimeMs(t.pid),
        });
        let before = cpu;
        let after = cpu;
        const result = await runLoad({
          hostname: t.hostname,
          port: t.port,
          connections: opts.connections,
          inflight: opts.inflight,
          readFraction: mix.readFraction,
          paths: paths.get(t.name)!,
          value,
          warmupMs: opts.warmupS * 1000,
          durationMs: opts.durationS * 1000,
        }, {
          start: async () => void (before = await sample()),
          end: async () => void (after = await sample()),
        });
        const wallMs = after.wall - before.wall;
        const seconds = result.elapsedMs / 1000;
        const row: Row = {
          mix: mix.label,
          target: t.name,
          opsPerS: result.ops / seconds,
          p50Ms: result.latency.quantileUs(0.5) / 1000,
          p99Ms: result.latency.quantileUs(0.99) / 1000,
          errors: result.errors,
          serverCpuPct: after.server === undefined || before.server === undefined
            ? undefined
            : ((after.server - before.server) / wallMs) * 100,
          loadGenCpuPct: ((after.self - before.self) / wallMs) * 100,
        };
        rows.push(row);
        log(
          `${t.name}: ${Math.round(row.opsPerS)} ops/s, p50 ${row.p50Ms.toFixed(2)} ms, ` +
            `p99 ${row.p99Ms.toFixed(2)} ms, errors ${row.errors}`,
        );
      }
    }
  } catch (e) {
    console.error(`bench: ${(e as Error).message}`);
    for (const t of targets) {
      if (t.process) console.error(`--- ${t.name} log tail ---\n${t.process.logTail(20)}`);
    }
    return 1;
  } finally {
    for (const t of targets) await t.process?.stop();
  }
  console.log(markdownReport({
    connections: opts.connections,
    inflight: opts.inflight,
    durationS: opts.durationS,
    warmupS: opts.warmupS,
    valueBytes: opts.valueBytes,
    znodes: opts.znodes,
    cores: navigator.hardwareConcurrency,
    notes,
  }, rows));
  return 0;
}
