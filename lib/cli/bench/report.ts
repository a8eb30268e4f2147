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
}

export interface ReportHeader {
  connections: number;
  inflight: number;
  durationS: number;
  warmupS: number;
  valueBytes: number;
  znodes: number;
  cores: number;
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
  lines.push(
    `Pipelined load: ${header.connections} connections x ${header.inflight} requests in ` +
      `flight, ${header.valueBytes}-byte values over ${header.znodes} znodes, ` +
      `${header.warmupS} s warm-up + ${header.durationS} s measured per mix, ` +
      `${header.cores} CPU cores shared by server and load generator.`,
  );
  lines.push("");
  lines.push(
    "| mix | target | ops/s | p50 ms | p99 ms | ops/s zkd/zk | p99 zkd/zk | server CPU | load-gen CPU |",
  );
  lines.push("|---|---|---:|---:|---:|---:|---:|---:|---:|");
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
    const errors = r.errors > 0 ? ` (${fmtInt(r.errors)} errors!)` : "";
    lines.push(
      `| ${r.mix} | ${r.target}${errors} | ${fmtInt(r.opsPerS)} | ${fmtMs(r.p50Ms)} | ` +
        `${fmtMs(r.p99Ms)} | ${ratioOps} | ${ratioP99} | ${fmtPct(r.serverCpuPct)} | ` +
        `${fmtPct(r.loadGenCpuPct)} |`,
    );
  }
  for (const note of header.notes) {
    lines.push("");
    lines.push(note);
  }
  return lines.join("\n");
}
