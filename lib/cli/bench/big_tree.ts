/**
 * The 1M-znode scenarios for one target (zkd or Apache ZooKeeper), on one server started
 * here: preload the tree, note the RSS, run a paced load long enough to catch a snapshot and
 * split its latencies into windows with and without one (snapshot scenario), then stop and
 * start the server again on the same dataDir, timing until it serves and sampling its RSS
 * (restart scenario).
 */

import { fourLetterWord } from "./four_letter.ts";
import { runPaced } from "./paced.ts";
import { preloadTree, type TreeShape } from "./preload.ts";
import { rssKb } from "./proc_mem.ts";
import type { RestartRow, SnapshotRow } from "./report.ts";
import {
  JVM_FLAGS_BIG,
  type ServerProcess,
  startApacheZk,
  type StartOptions,
  startZkd,
} from "./server_process.ts";
import { perSecond, SnapshotLogWatcher, splitBySnapshots } from "./snapshot_windows.ts";

export interface BigTreeOptions {
  target: "zkd" | "zk";
  repoRoot: string;
  /** Extra `deno run` flags for zkd (profiling). */
  zkdDenoFlags: readonly string[];
  /** Leave the server's temp directory (log, data) in place at the end. */
  keepDirs: boolean;
  znodes: number;
  valueBytes: number;
  preloadBatch: number;
  snapCount: number;
  snapshot: boolean;
  restart: boolean;
  rate: number;
  writeFraction: number;
  maxS: number;
  tailS: number;
  /** Snapshots to wait for (ended after the warm-up) before the tail and the end. */
  snapshots: number;
  warmupS: number;
  afterMs: number;
  restarts: number;
  settleS: number;
  log: (line: string) => void;
}

export interface BigTreeResult {
  snapshot?: SnapshotRow;
  restart?: RestartRow;
}

const PACED_CONNECTIONS = 4;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The equivalent config both servers get (forceSync on, as both default to). */
export function bigTreeCfg(snapCount: number): Record<string, string> {
  return { forceSync: "yes", snapCount: String(snapCount) };
}

async function start(
  o: BigTreeOptions,
  extra: StartOptions,
): Promise<ServerProcess> {
  const common: StartOptions = {
    cfg: bigTreeCfg(o.snapCount),
    startTimeoutMs: 300_000,
    ...extra,
  };
  return o.target === "zkd"
    ? await startZkd({
      ...common,
      repoRoot: o.repoRoot,
      args: ["--log-level", "info"],
      denoFlags: o.zkdDenoFlags,
    })
    : await startApacheZk({ ...common, jvmFlags: JVM_FLAGS_BIG, logLevel: "info" });
}

async function nodeCount(proc: ServerProcess): Promise<number | undefined> {
  try {
    const m = /Node count: (\d+)/.exec(await fourLetterWord("127.0.0.1", proc.port, "srvr"));
    return m === null ? undefined : Number(m[1]);
  } catch {
    return undefined;
  }
}

/** A snapshot being written right now: zkd writes `snapshot.<zxid>.tmp` and renames it. */
function snapshotTempFile(dataDir: string): boolean {
  try {
    for (const e of Deno.readDirSync(`${dataDir}/version-2`)) {
      if (e.name.startsWith("snapshot.") && e.name.endsWith(".tmp")) return true;
    }
  } catch {
    // No directory yet.
  }
  return false;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** What the server logs about loading its state at start. */
const LOAD_LINES = [
  /recovered zxid \S+ in \d+ ms: .*/, // zkd
  /Snapshot loaded in \d+ ms, highest zxid is 0x[0-9a-f]+/, // ZooKeeper
  /\d+ txns loaded in \d+ ms/, // ZooKeeper (log replay)
  /Snapshot taken in \d+ ms/, // ZooKeeper snapshots at start-up
];

export async function runBigTree(o: BigTreeOptions): Promise<BigTreeResult> {
  const result: BigTreeResult = {};
  const watcher = new SnapshotLogWatcher();
  let proc = await start(o, { onLine: (l, at) => watcher.line(l, at) });
  const shape: TreeShape = { root: "/zkd-bench-big", znodes: o.znodes, fanout: 1000 };
  const value = new Uint8Array(o.valueBytes);
  for (let i = 0; i < value.length; i++) value[i] = 0x61 + (i % 26);
  try {
    o.log(`${o.target}: preloading ${o.znodes} znodes (pid ${proc.pid}, log ${proc.logPath})`);
    const preloadMs = await preloadTree({
      hostname: proc.hostname,
      port: proc.port,
      ...shape,
      value,
      batch: o.preloadBatch,
      connections: 4,
      inflight: 8,
      onProgress: (n) => o.log(`${o.target}: ${n} created`),
    });
    const count = await nodeCount(proc);
    o.log(
      `${o.target}: preloaded in ${(preloadMs / 1000).toFixed(1)} s ` +
        `(${Math.round(o.znodes / (preloadMs / 1000))} znodes/s), srvr node count ${count}, ` +
        `${watcher.intervals.length} snapshots so far`,
    );
    await sleep(2000);
    let rssLoadedKb = await rssKb(proc.pid);
    o.log(`${o.target}: RSS ${Math.round((rssLoadedKb ?? 0) / 1024)} MiB with the tree loaded`);

    if (o.snapshot) {
      const load = Deno.loadavg();
      const warmupMs = o.warmupS * 1000;
      let runStart = 0;
      let peakRss = rssLoadedKb ?? 0;
      const sampler = setInterval(async () => {
        const r = await rssKb(proc.pid);
        if (r !== undefined) peakRss = Math.max(peakRss, r);
      }, 1000);
      o.log(
        `${o.target}: paced load ${o.rate}/s until ${o.snapshots} snapshot(s) finished and ` +
          `${o.tailS} s passed (at most ${o.maxS} s)`,
      );
      const paced = await runPaced({
        hostname: proc.hostname,
        port: proc.port,
        connections: PACED_CONNECTIONS,
        ratePerS: o.rate,
        writeFraction: o.writeFraction,
        shape,
        value,
        maxDurationMs: o.maxS * 1000,
        done: (elapsed) => {
          if (runStart === 0) runStart = performance.now() - elapsed;
          const ended = watcher.endedSince(runStart + warmupMs);
          return ended.length >= o.snapshots &&
            performance.now() - ended[ended.length - 1].endMs > o.tailS * 1000 &&
            !watcher.inProgress && !snapshotTempFile(proc.dataDir);
        },
      });
      clearInterval(sampler);
      const from = paced.startMs + warmupMs;
      const to = paced.endMs;
      const snaps = watcher.intervals.filter((s) => s.endMs > from && s.startMs < to);
      const split = splitBySnapshots(paced.samples, snaps, from, to, o.afterMs);
      const seconds = perSecond(paced.samples, paced.startMs, to);
      for (const s of seconds) {
        const t0 = paced.startMs + s.second * 1000;
        const inSnap = snaps.some((x) => x.startMs < t0 + 1000 && x.endMs > t0);
        o.log(
          `${o.target}: t=${String(s.second).padStart(3)} s n=${s.count} p99 ` +
            `${s.p99Ms.toFixed(1)} ms max ${s.maxMs.toFixed(1)} ms${inSnap ? "  [snapshot]" : ""}`,
        );
      }
      for (const s of snaps) {
        o.log(
          `${o.target}: snapshot from t=${((s.startMs - paced.startMs) / 1000).toFixed(1)} s ` +
            `to t=${((s.endMs - paced.startMs) / 1000).toFixed(1)} s ` +
            `(${Math.round(s.endMs - s.startMs)} ms${
              s.nodes !== undefined ? `, ${s.nodes} nodes, ${s.bytes} bytes` : ""
            })`,
        );
      }
      const requests = split.without.count + split.during.count + split.after.count;
      const row: SnapshotRow = {
        target: o.target,
        snapshots: snaps.length,
        snapshotMeanMs: snaps.length === 0
          ? 0
          : snaps.reduce((a, s) => a + s.endMs - s.startMs, 0) / snaps.length,
        snapshotNodes: snaps.at(-1)?.nodes,
        requests,
        opsPerS: requests / ((to - from) / 1000),
        p99WithoutMs: split.without.quantileUs(0.99) / 1000,
        p99DuringMs: split.during.quantileUs(0.99) / 1000,
        p99AfterMs: split.after.quantileUs(0.99) / 1000,
        maxDuringMs: split.during.maxUs / 1000,
        maxWithoutMs: split.without.maxUs / 1000,
        errors: paced.errors,
        skipped: paced.skipped,
        load,
      };
      result.snapshot = row;
      o.log(
        `${o.target}: ${snaps.length} snapshot(s) in the window; p99 without ` +
          `${row.p99WithoutMs.toFixed(2)} ms (${split.without.count} requests), during ` +
          `${row.p99DuringMs.toFixed(2)} ms (${split.during.count}), after ` +
          `${row.p99AfterMs.toFixed(2)} ms (${split.after.count}); peak RSS under load ` +
          `${Math.round(peakRss / 1024)} MiB`,
      );
      rssLoadedKb = await rssKb(proc.pid);
    }

    if (o.restart) {
      const load = Deno.loadavg();
      const times: number[] = [];
      let last: {
        says: string;
        peak?: number;
        ready?: number;
        settled?: number;
        count?: number;
      } = { says: "" };
      // Nothing must still be writing a snapshot when the server is stopped.
      for (let i = 0; i < 600 && watcher.inProgress; i++) await sleep(100);
      for (let r = 0; r < o.restarts; r++) {
        await proc.stop(60_000, { keepDir: true });
        const says: string[] = [];
        proc = await start(o, {
          baseDir: proc.baseDir,
          readyPollMs: 10,
          sampleRss: true,
          onLine: (line) => {
            for (const re of LOAD_LINES) {
              const m = re.exec(line);
              if (m !== null) says.push(m[0]);
            }
          },
        });
        const ms = proc.readyAtMs - proc.spawnedAtMs;
        times.push(ms);
        const ready = await rssKb(proc.pid);
        await sleep(o.settleS * 1000);
        const settled = await rssKb(proc.pid);
        const count = await nodeCount(proc);
        last = { says: says.join("; "), peak: proc.startupPeakRssKb, ready, settled, count };
        o.log(
          `${o.target}: restart ${r + 1}: serving after ${Math.round(ms)} ms, ${count} znodes, ` +
            `RSS peak ${Math.round((proc.startupPeakRssKb ?? 0) / 1024)} / ready ` +
            `${Math.round((ready ?? 0) / 1024)} / +${o.settleS} s ` +
            `${Math.round((settled ?? 0) / 1024)} MiB; ${last.says}`,
        );
      }
      result.restart = {
        target: o.target,
        preloadMs,
        rssLoadedKb,
        restarts: times.length,
        restartMedianMs: median(times),
        restartMinMs: Math.min(...times),
        restartMaxMs: Math.max(...times),
        serverSays: last.says,
        rssPeakStartKb: last.peak,
        rssReadyKb: last.ready,
        rssSettledKb: last.settled,
        nodeCount: last.count,
        load,
      };
    }
  } catch (e) {
    o.log(`${o.target}: failed; log tail:\n${proc.logTail(30)}`);
    throw e;
  } finally {
    await proc.stop(60_000, { keepDir: o.keepDirs });
    if (o.keepDirs) o.log(`${o.target}: kept ${proc.baseDir}`);
  }
  return result;
}
