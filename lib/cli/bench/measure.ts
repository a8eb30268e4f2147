/**
 * One measurement of a mix against a target (a standalone server or an ensemble's members):
 * the pipelined load of load.ts, with the CPU the servers and the load generator used over
 * the measured window; and the medians over --runs measurements. Shared by the mixes and
 * the ensemble scenarios.
 */

import { ZkClient } from "../../client/client.ts";
import { isZkError } from "../../client/errors.ts";
import { Err } from "../../proto/errors.ts";
import { runLoad } from "./load.ts";
import { processCpuTimeMs, selfCpuTimeMs } from "./proc_cpu.ts";
import { fmtLoad, type Row } from "./report.ts";

export interface Target {
  name: string;
  hostname: string;
  /** Client ports: one for a standalone server, every member's for an ensemble. */
  ports: number[];
  /** The server processes started here (their CPU time is summed); empty otherwise. */
  pids: number[];
}

export interface Mix {
  label: string;
  readFraction: number;
}

export interface MeasureOptions {
  connections: number;
  inflight: number;
  warmupS: number;
  durationS: number;
}

export const BENCH_ROOT = "/zkd-bench";

/**
 * Creates (or resets) `count` znodes under BENCH_ROOT through the first port, then makes
 * sure every port's server has them (sync, then exists on the last one).
 */
export async function prepareZnodes(
  t: Target,
  count: number,
  value: Uint8Array,
): Promise<string[]> {
  const zk = await ZkClient.connect({
    hosts: `${t.hostname}:${t.ports[0]}`,
    sessionTimeoutMs: 30_000,
  });
  const paths = Array.from({ length: count }, (_, i) => `${BENCH_ROOT}/n${i}`);
  try {
    await zk.create(BENCH_ROOT).catch((e) => {
      if (!isZkError(e, Err.NODEEXISTS)) throw e;
    });
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
  } finally {
    await zk.close();
  }
  for (const port of t.ports.slice(1)) {
    const other = await ZkClient.connect({
      hosts: `${t.hostname}:${port}`,
      sessionTimeoutMs: 30_000,
    });
    try {
      await other.sync(BENCH_ROOT);
      if (await other.exists(paths[paths.length - 1]) === null) {
        throw new Error(`${t.name}: ${t.hostname}:${port} does not have the bench znodes`);
      }
    } finally {
      await other.close();
    }
  }
  return paths;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** CPU time of each process, ms; undefined when any is unknown (or there are none). */
async function cpuOf(pids: number[]): Promise<number[] | undefined> {
  if (pids.length === 0) return undefined;
  const times = await Promise.all(pids.map(processCpuTimeMs));
  if (times.some((t) => t === undefined)) return undefined;
  return times as number[];
}

const sum = (xs: readonly number[]) => xs.reduce((a, x) => a + x, 0);

/** Runs one mix against one target and makes its row. */
export async function measureMix(
  t: Target,
  mix: Mix,
  o: MeasureOptions,
  paths: readonly string[],
  value: Uint8Array,
  log: (line: string) => void,
  label: string,
): Promise<Row> {
  const load = Deno.loadavg();
  log(
    `${t.name}: ${mix.label}, ${label}, ${o.warmupS} s warm-up + ${o.durationS} s ` +
      `(load average ${fmtLoad(load)})`,
  );
  // CPU of the servers and of this process over the measured window (bracketed by the hooks).
  const sample = async () => ({
    wall: performance.now(),
    self: selfCpuTimeMs(),
    server: await cpuOf(t.pids),
  });
  let before = { wall: 0, self: 0, server: undefined as number[] | undefined };
  let after = before;
  const result = await runLoad({
    hostname: t.hostname,
    port: t.ports[0],
    ports: t.ports,
    connections: o.connections,
    inflight: o.inflight,
    readFraction: mix.readFraction,
    paths,
    value,
    warmupMs: o.warmupS * 1000,
    durationMs: o.durationS * 1000,
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
      : ((sum(after.server) - sum(before.server)) / wallMs) * 100,
    loadGenCpuPct: ((after.self - before.self) / wallMs) * 100,
    load,
  };
  // Several servers (an ensemble): each one's share, in the order of t.pids.
  const each = t.pids.length > 1 && after.server !== undefined && before.server !== undefined
    ? `, server CPU ${
      after.server.map((a, i) => `${Math.round(((a - before.server![i]) / wallMs) * 100)}%`)
        .join(" + ")
    }`
    : "";
  log(
    `${t.name}: ${Math.round(row.opsPerS)} ops/s, p50 ${row.p50Ms.toFixed(2)} ms, ` +
      `p99 ${row.p99Ms.toFixed(2)} ms, errors ${row.errors}${each}`,
  );
  return row;
}

/** One row of medians from the runs of one (mix, target); errors and warnings add up. */
export function medianRow(runs: readonly Row[]): Row {
  const pick = (f: (r: Row) => number | undefined) => {
    const xs = runs.map(f).filter((x): x is number => x !== undefined);
    return xs.length === 0 ? undefined : median(xs);
  };
  const warnings = runs.map((r) => r.warning).filter((w): w is string => w !== undefined);
  return {
    mix: runs[0].mix,
    target: runs[0].target,
    opsPerS: pick((r) => r.opsPerS)!,
    p50Ms: pick((r) => r.p50Ms)!,
    p99Ms: pick((r) => r.p99Ms)!,
    errors: runs.reduce((a, r) => a + r.errors, 0),
    serverCpuPct: pick((r) => r.serverCpuPct),
    loadGenCpuPct: pick((r) => r.loadGenCpuPct),
    load: runs[Math.floor(runs.length / 2)].load,
    ...(warnings.length > 0 ? { warning: warnings.join("; ") } : {}),
  };
}
