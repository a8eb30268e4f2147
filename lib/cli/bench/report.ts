/**
 * The benchmark's output: one markdown table (for the README) with a row per (mix, target)
 * and the zkd/ZooKeeper ratios on the zkd row.
 */

export interface Row {
  mix: string;
  target: string;
  opsPerS: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  /** Server CPU over the window, in % of one core; undefined when unknown. */
  serverCpuPct: number | undefined;
  loadGenCpuPct: number | undefined;
  /** Load average (1/5/15 min) when the measurement started. */
  load?: readonly number[];
  /** Something that makes the row suspect (e.g. an election during the window). */
  warning?: string;
}

export interface ReportHeader {
  connections: number;
  inflight: number;
  durationS: number;
  warmupS: number;
  valueBytes: number;
  znodes: number;
  cores: number;
  /** Measurements per (mix, target); the rows hold medians when more than one. */
  runs?: number;
  /** How the servers were configured, one sentence. */
  setup?: string;
  notes: string[];
}

function fmtInt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

function fmtMs(ms: number): string {
  return ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0);
}

function fmtPct(p: number | undefined): string {
  return p === undefined ? "n/a" : `${Math.round(p)}%`;
}

export function markdownReport(header: ReportHeader, rows: readonly Row[]): string {
  const lines: string[] = [];
  const withLoad = rows.some((r) => r.load !== undefined);
  lines.push(
    `Pipelined load: ${header.connections} connections x ${header.inflight} requests in ` +
      `flight, ${header.valueBytes}-byte values over ${header.znodes} znodes, ` +
      `${header.warmupS} s warm-up + ${header.durationS} s measured per mix, ` +
      `${header.cores} CPU cores shared by server and load generator.` +
      (header.runs !== undefined && header.runs > 1
        ? ` Median of ${header.runs} runs per row.`
        : "") +
      (header.setup !== undefined ? ` ${header.setup}` : ""),
  );
  lines.push("");
  lines.push(
    "| mix | target | ops/s | p50 ms | p99 ms | ops/s zkd/zk | p99 zkd/zk | server CPU | load-gen CPU |" +
      (withLoad ? " load avg 1/5/15 |" : ""),
  );
  lines.push("|---|---|---:|---:|---:|---:|---:|---:|---:|" + (withLoad ? "---|" : ""));
  for (const r of rows) {
    let ratioOps = "";
    let ratioP99 = "";
    if (r.target === "zkd") {
      const zk = rows.find((o) => o.mix === r.mix && o.target === "zk");
      if (zk !== undefined && zk.opsPerS > 0 && zk.p99Ms > 0) {
        ratioOps = (r.opsPerS / zk.opsPerS).toFixed(2);
        ratioP99 = (r.p99Ms / zk.p99Ms).toFixed(2);
      }
    }
    const errors = (r.errors > 0 ? ` (${fmtInt(r.errors)} errors!)` : "") +
      (r.warning !== undefined ? ` (${r.warning})` : "");
    lines.push(
      `| ${r.mix} | ${r.target}${errors} | ${fmtInt(r.opsPerS)} | ${fmtMs(r.p50Ms)} | ` +
        `${fmtMs(r.p99Ms)} | ${ratioOps} | ${ratioP99} | ${fmtPct(r.serverCpuPct)} | ` +
        `${fmtPct(r.loadGenCpuPct)} |` + (withLoad ? ` ${fmtLoad(r.load)} |` : ""),
    );
  }
  for (const note of header.notes) {
    lines.push("");
    lines.push(note);
  }
  return lines.join("\n");
}

/** The machine's load average (1, 5, 15 min) as text, for every measurement's caption. */
export function fmtLoad(load: readonly number[] | undefined): string {
  return load === undefined ? "n/a" : load.map((l) => l.toFixed(2)).join(" / ");
}

function fmtMiB(kb: number | undefined): string {
  return kb === undefined ? "n/a" : `${Math.round(kb / 1024)}`;
}

function ratio(a: number | undefined, b: number | undefined): string {
  return a === undefined || b === undefined || b <= 0 ? "" : (a / b).toFixed(2);
}

export interface SnapshotRow {
  target: string;
  snapshots: number;
  /** Mean snapshot duration, ms. */
  snapshotMeanMs: number;
  /** Node count of the last snapshot when the server logs it. */
  snapshotNodes: number | undefined;
  requests: number;
  opsPerS: number;
  p99WithoutMs: number;
  p99DuringMs: number;
  p99AfterMs: number;
  maxDuringMs: number;
  maxWithoutMs: number;
  errors: number;
  skipped: number;
  load: readonly number[] | undefined;
}

export interface SnapshotHeader {
  znodes: number;
  valueBytes: number;
  ratePerS: number;
  writeFraction: number;
  connections: number;
  snapCount: number;
  afterMs: number;
  warmupS: number;
}

export function snapshotReport(h: SnapshotHeader, rows: readonly SnapshotRow[]): string {
  const lines: string[] = [];
  lines.push(
    `p99 during a snapshot of ${h.znodes.toLocaleString("en-US")} znodes ` +
      `(${h.valueBytes}-byte values): open-loop load of ${h.ratePerS} requests/s ` +
      `(${Math.round(h.writeFraction * 100)}% setData, the rest getData, random znodes) over ` +
      `${h.connections} sessions, snapCount=${h.snapCount}, first ${h.warmupS} s not counted. ` +
      `"during" = requests whose send..reply overlaps a snapshot (from the server's log); ` +
      `"after" = sent within ${h.afterMs / 1000} s after one ended; "without" = the rest.`,
  );
  lines.push("");
  lines.push(
    "| target | snapshots | mean snapshot ms | requests | p99 without ms | p99 during ms | " +
      "during/without | p99 after ms | max without ms | max during ms | p99 during zkd/zk | " +
      "load avg 1/5/15 |",
  );
  lines.push("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
  const zk = rows.find((r) => r.target === "zk");
  for (const r of rows) {
    const flags = [
      r.errors > 0 ? `${r.errors} errors!` : "",
      r.skipped > 0 ? `${r.skipped} sends skipped!` : "",
    ].filter((s) => s).join(", ");
    lines.push(
      `| ${r.target}${flags ? ` (${flags})` : ""} | ${r.snapshots}` +
        `${r.snapshotNodes !== undefined ? ` (${fmtInt(r.snapshotNodes)} nodes)` : ""} | ` +
        `${r.snapshots > 0 ? fmtInt(r.snapshotMeanMs) : "n/a"} | ${fmtInt(r.requests)} | ` +
        `${fmtMs(r.p99WithoutMs)} | ${r.snapshots > 0 ? fmtMs(r.p99DuringMs) : "n/a"} | ` +
        `${r.snapshots > 0 ? ratio(r.p99DuringMs, r.p99WithoutMs) : ""} | ` +
        `${r.snapshots > 0 ? fmtMs(r.p99AfterMs) : "n/a"} | ${fmtMs(r.maxWithoutMs)} | ` +
        `${r.snapshots > 0 ? fmtMs(r.maxDuringMs) : "n/a"} | ` +
        `${
          r.target === "zkd" && zk && zk.snapshots > 0 ? ratio(r.p99DuringMs, zk.p99DuringMs) : ""
        }` +
        ` | ${fmtLoad(r.load)} |`,
    );
  }
  return lines.join("\n");
}

export interface RestartRow {
  target: string;
  preloadMs: number;
  /** RSS of the running server with the tree loaded (after the preload and any load). */
  rssLoadedKb: number | undefined;
  restarts: number;
  /** Median, min and max of process start -> `srvr` answers Mode:. */
  restartMedianMs: number;
  restartMinMs: number;
  restartMaxMs: number;
  /** The server's own account of loading, from its log (last restart). */
  serverSays: string;
  rssPeakStartKb: number | undefined;
  rssReadyKb: number | undefined;
  rssSettledKb: number | undefined;
  nodeCount: number | undefined;
  load: readonly number[] | undefined;
}

export function restartReport(
  h: { znodes: number; valueBytes: number; settleS: number; zkJvmFlags: string },
  rows: readonly RestartRow[],
): string {
  const lines: string[] = [];
  lines.push(
    `Restart and resident memory with ${h.znodes.toLocaleString("en-US")} znodes ` +
      `(${h.valueBytes}-byte values): stop (SIGTERM), start again on the same dataDir; restart ` +
      `= process spawn until \`srvr\` answers with Mode: (median, min-max). RSS from ` +
      `\`ps -o rss=\` in MiB: the running server with the tree loaded before the restart; ` +
      `peak while starting; at ready; ${h.settleS} s after ready. ZooKeeper JVM: ` +
      `${h.zkJvmFlags}.`,
  );
  lines.push("");
  lines.push(
    "| target | znodes | preload s | RSS loaded | RSS loaded zkd/zk | restart ms (min-max) | " +
      "restart zkd/zk | " +
      "RSS peak at start | RSS at ready | RSS settled | RSS settled zkd/zk | server log | " +
      "load avg 1/5/15 |",
  );
  lines.push("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|");
  const zk = rows.find((r) => r.target === "zk");
  for (const r of rows) {
    const isZkd = r.target === "zkd" && zk !== undefined;
    lines.push(
      `| ${r.target} | ${r.nodeCount === undefined ? "n/a" : fmtInt(r.nodeCount)} | ` +
        `${(r.preloadMs / 1000).toFixed(1)} | ${fmtMiB(r.rssLoadedKb)} | ` +
        `${isZkd ? ratio(r.rssLoadedKb, zk.rssLoadedKb) : ""} | ` +
        `${fmtInt(r.restartMedianMs)} (${fmtInt(r.restartMinMs)}-${fmtInt(r.restartMaxMs)}) | ` +
        `${isZkd ? ratio(r.restartMedianMs, zk.restartMedianMs) : ""} | ` +
        `${fmtMiB(r.rssPeakStartKb)} | ${fmtMiB(r.rssReadyKb)} | ${fmtMiB(r.rssSettledKb)} | ` +
        `${isZkd ? ratio(r.rssSettledKb, zk.rssSettledKb) : ""} | ${r.serverSays} | ` +
        `${fmtLoad(r.load)} |`,
    );
  }
  return lines.join("\n");
}

export interface FailoverRow {
  target: string;
  /** Kill -> first write sent after the kill acknowledged, ms; undefined = none in time. */
  firstAckMs: number | undefined;
  electedMs: number | undefined;
  allWritersMs: number | undefined;
  rejoinMs: number;
  errors: number;
  load: readonly number[] | undefined;
}

function medianOf(xs: readonly (number | undefined)[]): number | undefined {
  const d = xs.filter((x): x is number => x !== undefined).sort((a, b) => a - b);
  if (d.length === 0) return undefined;
  const mid = Math.floor(d.length / 2);
  return d.length % 2 === 1 ? d[mid] : (d[mid - 1] + d[mid]) / 2;
}

function fmtMaybeMs(ms: number | undefined): string {
  return ms === undefined ? "none" : fmtInt(ms);
}

/** One row per target: medians over its failovers, and every first-write sample. */
export function failoverReport(
  h: { writers: number; timeoutS: number; setup: string },
  samples: readonly FailoverRow[],
): string {
  const lines: string[] = [];
  lines.push(
    `Failover: ${h.writers} writers (ZkClient sessions given every member, each looping ` +
      `setData on its own znode) run against the ensemble; the leader (\`srvr\` Mode:) is ` +
      `killed with SIGKILL. "first write" = kill until the first write sent after the kill is ` +
      `acknowledged (none within ${h.timeoutS} s counts as missing); "new leader" = kill until ` +
      `a survivor's \`srvr\` says leader (polled every 20 ms); "all writers" = kill until every ` +
      `writer had such a write acknowledged; "rejoin" = restart of the killed member until its ` +
      `\`srvr\` answers again, under the same writes. Medians, then every first-write sample in ` +
      `order. ${h.setup}`,
  );
  lines.push("");
  lines.push(
    "| target | failovers | first write ms | samples ms | first write zkd/zk | new leader ms | " +
      "all writers ms | rejoin ms | failed writes | load avg 1/5/15 |",
  );
  lines.push("|---|---:|---:|---|---:|---:|---:|---:|---:|---|");
  const targets = [...new Set(samples.map((s) => s.target))];
  const first = new Map(targets.map((t) => [
    t,
    medianOf(samples.filter((s) => s.target === t).map((s) => s.firstAckMs)),
  ]));
  for (const t of targets) {
    const mine = samples.filter((s) => s.target === t);
    const missing = mine.filter((s) => s.firstAckMs === undefined).length;
    lines.push(
      `| ${t}${missing > 0 ? ` (${missing} without a write!)` : ""} | ${mine.length} | ` +
        `${fmtMaybeMs(first.get(t))} | ${mine.map((s) => fmtMaybeMs(s.firstAckMs)).join(", ")} | ` +
        `${t === "zkd" ? ratio(first.get("zkd"), first.get("zk")) : ""} | ` +
        `${fmtMaybeMs(medianOf(mine.map((s) => s.electedMs)))} | ` +
        `${fmtMaybeMs(medianOf(mine.map((s) => s.allWritersMs)))} | ` +
        `${fmtMaybeMs(medianOf(mine.map((s) => s.rejoinMs)))} | ` +
        `${mine.reduce((a, s) => a + s.errors, 0)} | ${fmtLoad(mine[0]?.load)} |`,
    );
  }
  return lines.join("\n");
}
