/**
 * The benchmark's parts that must be right for its numbers to mean anything: the histogram's
 * percentiles, the report's ratios, and the load generator's bookkeeping against a real
 * server (every reply accounted for, none malformed). No timing is asserted.
 */

import assert from "node:assert/strict";
import { Histogram } from "../../lib/cli/bench/histogram.ts";
import { runLoad } from "../../lib/cli/bench/load.ts";
import { markdownReport } from "../../lib/cli/bench/report.ts";
import { ZkClient } from "../../lib/client/client.ts";
import { freshPath, startTestServer, within } from "../client/test_server.ts";

const server = await startTestServer();

Deno.test("Histogram.quantileUs() is within 2% of the exact percentile", () => {
  const h = new Histogram();
  const values: number[] = [];
  let x = 12345;
  for (let i = 0; i < 100_000; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const v = 10 + (x % 50_000) * (x % 7 === 0 ? 20 : 1);
    values.push(v);
    h.record(v);
  }
  values.sort((a, b) => a - b);
  for (const q of [0.5, 0.9, 0.99, 0.999]) {
    const exact = values[Math.ceil(q * values.length) - 1];
    const got = h.quantileUs(q);
    assert.ok(Math.abs(got - exact) / exact < 0.02, `q${q}: ${got} vs ${exact}`);
  }
  assert.equal(h.count, 100_000);
  assert.equal(h.maxUs, values.at(-1));
  const other = new Histogram();
  other.record(5);
  h.merge(other);
  assert.equal(h.count, 100_001);
  assert.equal(new Histogram().quantileUs(0.5), 0);
});

Deno.test("markdownReport() puts zkd/zk ratios on the zkd row", () => {
  const text = markdownReport(
    {
      connections: 2,
      inflight: 4,
      durationS: 1,
      warmupS: 0,
      valueBytes: 8,
      znodes: 10,
      cores: 2,
      notes: [],
    },
    [
      {
        mix: "m",
        target: "zkd",
        opsPerS: 300,
        p50Ms: 1,
        p99Ms: 2,
        errors: 0,
        serverCpuPct: 90,
        loadGenCpuPct: 10,
      },
      {
        mix: "m",
        target: "zk",
        opsPerS: 100,
        p50Ms: 2,
        p99Ms: 4,
        errors: 0,
        serverCpuPct: undefined,
        loadGenCpuPct: 5,
      },
    ],
  );
  const rows = text.split("\n").filter((l) => l.startsWith("| m |"));
  assert.deepEqual(rows, [
    "| m | zkd | 300 | 1.00 | 2.00 | 3.00 | 0.50 | 90% | 10% |",
    "| m | zk | 100 | 2.00 | 4.00 |  |  | n/a | 5% |",
  ]);
});

Deno.test("runLoad() accounts for every reply with no errors against a real server", async () => {
  const root = freshPath("load");
  const value = new TextEncoder().encode("0123456789abcdef");
  const zk = await ZkClient.connect({ hosts: server.connectString });
  const paths = [`${root}/a`, `${root}/b`, `${root}/c`];
  try {
    await zk.create(root);
    for (const p of paths) await zk.create(p, value);
    const result = await within(
      30_000,
      "runLoad",
      runLoad({
        hostname: "127.0.0.1",
        port: server.port,
        connections: 2,
        inflight: 8,
        readFraction: 0.5,
        paths,
        value,
        warmupMs: 100,
        durationMs: 400,
      }),
    );
    assert.ok(result.ops > 0);
    assert.equal(result.errors, 0);
    assert.equal(result.reads + result.writes, result.ops);
    assert.ok(result.reads > 0 && result.writes > 0);
    assert.equal(result.latency.count, result.ops);
    // The setData mix really wrote: every znode's version moved.
    for (const p of paths) assert.ok((await zk.exists(p))!.version > 0);
  } finally {
    await zk.close();
  }
});

Deno.test("stop the test server", async () => {
  await server.stop();
});
