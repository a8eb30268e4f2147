/**
 * Not a test: measures WAL append + fdatasync on the real disk, for batches of 1, 10 and 100
 * records of ~1 KiB, plus recovery read speed. Run:
 *
 *     deno run --allow-read --allow-write tests/wal/bench_append.ts [DIR] [SECONDS_PER_CASE]
 *
 * DIR defaults to a temp directory (put it on the disk you care about).
 */

import { DenoStorage } from "../../lib/storage/deno_storage.ts";
import type { TxnEntry } from "../../lib/tree/txn.ts";
import { crc32 } from "../../lib/util/crc32.ts";
import { readLog } from "../../lib/wal/recovery.ts";
import { logDirOf } from "../../lib/wal/segment.ts";
import { TxnLogWriter } from "../../lib/wal/txn_log_writer.ts";

const base = Deno.args[0] || Deno.makeTempDirSync({ prefix: "zkd-walbench-" });
const seconds = Number(Deno.args[1] ?? 3);
const DATA = new Uint8Array(1000).fill(0x61);

function entry(zxid: number): TxnEntry {
  return {
    sessionId: 0x1000000001n,
    cxid: zxid,
    zxid,
    timeMs: 1_700_000_000_000,
    txn: { type: "setData", path: `/bench/node-${zxid % 1000}`, data: DATA, version: zxid },
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

async function runCase(batch: number, forceSync: boolean): Promise<void> {
  const dir = `${base}/case-${batch}-${forceSync}`;
  const w = new TxnLogWriter(new DenoStorage(), logDirOf(dir), { forceSync });
  let zxid = 0;
  const latenciesMs: number[] = [];
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    const batchEntries: TxnEntry[] = [];
    for (let i = 0; i < batch; i++) batchEntries.push(entry(++zxid));
    const t0 = performance.now();
    w.append(batchEntries);
    await w.sync();
    latenciesMs.push(performance.now() - t0);
  }
  const elapsedS = (performance.now() - start) / 1000;
  w.close();
  latenciesMs.sort((a, b) => a - b);
  console.log(
    `batch ${String(batch).padStart(3)}  forceSync=${forceSync ? "yes" : "no "}  ` +
      `${Math.round(zxid / elapsedS).toString().padStart(7)} records/s  ` +
      `${Math.round(latenciesMs.length / elapsedS).toString().padStart(6)} syncs/s  ` +
      `${(zxid * 1.07 / 1024 / elapsedS).toFixed(1).padStart(6)} MiB/s  ` +
      `append+sync p50 ${percentile(latenciesMs, 0.5).toFixed(2)} ms, ` +
      `p99 ${percentile(latenciesMs, 0.99).toFixed(2)} ms`,
  );
}

/** Pipelined group commit as the server does it: keep appending while a sync is in flight. */
async function runPipelined(clients: number): Promise<void> {
  const dir = `${base}/pipelined-${clients}`;
  const w = new TxnLogWriter(new DenoStorage(), logDirOf(dir));
  let zxid = 0;
  const start = performance.now();
  const deadline = start + seconds * 1000;
  // Each "client" appends one record and waits for its sync; all share the writer.
  const client = async () => {
    while (performance.now() < deadline) {
      w.append([entry(++zxid)]);
      await w.sync();
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  const elapsedS = (performance.now() - start) / 1000;
  w.close();
  console.log(
    `${clients} concurrent writers, 1 record each, a sync() per record: ` +
      `${Math.round(zxid / elapsedS)} records/s`,
  );
}

function recoverySpeed(): void {
  const dir = logDirOf(`${base}/case-100-true`);
  const t0 = performance.now();
  const got = readLog(new DenoStorage(), dir, -1, { repair: false });
  const ms = performance.now() - t0;
  let bytes = 0;
  for (const s of got.segments) bytes += Deno.statSync(s.path).size;
  console.log(
    `recovery read: ${got.records} records in ${ms.toFixed(0)} ms ` +
      `(${Math.round(got.records / (ms / 1000))} records/s; ${got.segments.length} segment(s), ` +
      `${(bytes / 1048576).toFixed(0)} MiB on disk incl. preallocation)`,
  );
  const buf = new Uint8Array(64 * 1024 * 1024).fill(7);
  const c0 = performance.now();
  crc32(buf);
  console.log(`crc32: ${(64 / ((performance.now() - c0) / 1000)).toFixed(0)} MiB/s`);
}

console.log(`log directory base: ${base}; ${seconds} s per case; records ~1070 B framed`);
for (const batch of [1, 10, 100]) await runCase(batch, true);
for (const batch of [1, 100]) await runCase(batch, false);
await runPipelined(100);
recoverySpeed();
if (!Deno.args[0]) Deno.removeSync(base, { recursive: true });
