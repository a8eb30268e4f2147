/**
 * The benchmark's parts that must be right for its numbers to mean anything: the histogram's
 * percentiles, the report's ratios, and the load generator's bookkeeping against a real
 * server (every reply accounted for, none malformed). No timing is asserted.
 */

import assert from "node:assert/strict";
import { Histogram } from "../../lib/cli/bench/histogram.ts";
import { runLoad } from "../../lib/cli/bench/load.ts";
import { runPaced } from "../../lib/cli/bench/paced.ts";
import { leafPath, preloadTree } from "../../lib/cli/bench/preload.ts";
import {
  failoverReport,
  markdownReport,
  restartReport,
  snapshotReport,
} from "../../lib/cli/bench/report.ts";
import {
  perSecond,
  SnapshotLogWatcher,
  splitBySnapshots,
} from "../../lib/cli/bench/snapshot_windows.ts";
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

Deno.test("runLoad() with several ports spreads the connections over them", async () => {
  const root = freshPath("load-ports");
  const value = new TextEncoder().encode("v");
  const zk = await ZkClient.connect({ hosts: server.connectString });
  try {
    await zk.create(root);
    await zk.create(`${root}/a`, value);
    // A port nobody listens on as the second: its connection must be the one that fails.
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const dead = (listener.addr as Deno.NetAddr).port;
    listener.close();
    const load = (connections: number) =>
      runLoad({
        hostname: "127.0.0.1",
        port: dead,
        ports: [server.port, dead],
        connections,
        inflight: 2,
        readFraction: 1,
        paths: [`${root}/a`],
        value,
        warmupMs: 0,
        durationMs: 100,
      });
    const one = await within(30_000, "runLoad", load(1));
    assert.ok(one.ops > 0);
    assert.equal(one.errors, 0);
    await assert.rejects(within(30_000, "runLoad", load(2)));
  } finally {
    await zk.close();
  }
});

Deno.test("failoverReport() shows medians, every sample and the zkd/zk ratio", () => {
  const s = (target: string, firstAckMs: number | undefined) => ({
    target,
    firstAckMs,
    electedMs: 50,
    allWritersMs: undefined,
    rejoinMs: 1000,
    errors: 1,
    load: [1, 2, 3],
  });
  const text = failoverReport({ writers: 4, timeoutS: 30, setup: "" }, [
    s("zkd", 100),
    s("zk", 1000),
    s("zkd", 300),
    s("zk", 3000),
    s("zkd", undefined),
    s("zk", 2000),
  ]);
  const rows = text.split("\n").filter((l) => l.startsWith("| zk"));
  assert.deepEqual(rows, [
    "| zkd (1 without a write!) | 3 | 200 | 100, 300, none | 0.10 | 50 | none | 1,000 | 3 | " +
    "1.00 / 2.00 / 3.00 |",
    "| zk | 3 | 2,000 | 1,000, 3,000, 2,000 |  | 50 | none | 1,000 | 3 | 1.00 / 2.00 / 3.00 |",
  ]);
});

Deno.test("SnapshotLogWatcher reads zkd's and ZooKeeper's snapshot log lines", () => {
  const w = new SnapshotLogWatcher();
  w.line("2026-11-24T17:09:59.425Z INFO  recovered zxid 0x0 in 3 ms: snapshot 0x0", 10);
  w.line(
    "2026-11-24T17:10:00.000Z INFO  snapshot /d/version-2/snapshot.7af5 at zxid 0x7af5: " +
      "100105 nodes, 19488562 bytes in 171 ms",
    1000,
  );
  assert.deepEqual(w.intervals, [{ startMs: 829, endMs: 1000, nodes: 100105, bytes: 19488562 }]);
  w.line(
    "181 [Snapshot Thread] INFO org.apache.zookeeper.server.persistence.FileTxnSnapLog - " +
      "Snapshotting: 0x862e to /d/version-2/snapshot.862e",
    2000,
  );
  assert.equal(w.inProgress, true);
  w.line(
    "186 [Snapshot Thread] INFO org.apache.zookeeper.server.ZooKeeperServer - " +
      "Snapshot taken in 120 ms",
    2130,
  );
  assert.equal(w.inProgress, false);
  assert.deepEqual(w.intervals[1], { startMs: 2000, endMs: 2130 });
  // An end without a start line: the duration says when it began.
  w.line("Snapshot taken in 50 ms", 3000);
  assert.deepEqual(w.intervals[2], { startMs: 2950, endMs: 3000 });
  assert.equal(w.endedSince(2500).length, 1);
});

Deno.test("splitBySnapshots() puts overlapping requests in during, later ones in after", () => {
  // Sent at 0, 100, ..., 900 ms; each takes 10 ms, except the one sent at 400 (50 ms).
  const n = 10;
  const samples = {
    sentAtMs: new Float64Array(n),
    latencyMs: new Float32Array(n),
    isWrite: new Uint8Array(n),
    count: n,
  };
  for (let i = 0; i < n; i++) {
    samples.sentAtMs[i] = i * 100;
    samples.latencyMs[i] = i === 4 ? 50 : 10;
  }
  // Snapshot 395..420 ms: the request sent at 400 overlaps; 395 is inside no other's span.
  // 495 overlaps nothing (500 starts after). After = sent within 250 ms after 420: 500, 600.
  const split = splitBySnapshots(samples, [{ startMs: 395, endMs: 420 }], 100, 1000, 250);
  assert.equal(split.during.count, 1);
  assert.equal(split.during.maxUs, 50_000);
  assert.equal(split.after.count, 2);
  assert.equal(split.without.count, 6); // 100, 200, 300, 700, 800, 900 (0 is before fromMs)
  assert.equal(split.snapshotMs, 25);
  const secs = perSecond(samples, 0, 1000);
  assert.equal(secs.length, 1);
  assert.equal(secs[0].count, 10);
  assert.equal(secs[0].maxMs, 50);
});

Deno.test("snapshotReport() and restartReport() put zkd/zk ratios on the zkd row", () => {
  const snap = {
    snapshots: 1,
    snapshotMeanMs: 100,
    snapshotNodes: undefined,
    requests: 1000,
    opsPerS: 100,
    p99AfterMs: 1,
    maxDuringMs: 9,
    maxWithoutMs: 3,
    errors: 0,
    skipped: 0,
    load: [0.5, 0.25, 0.125],
  };
  const text = snapshotReport(
    {
      znodes: 10,
      valueBytes: 1,
      ratePerS: 100,
      writeFraction: 0.5,
      connections: 1,
      snapCount: 10,
      afterMs: 2000,
      warmupS: 0,
    },
    [
      { ...snap, target: "zkd", p99WithoutMs: 2, p99DuringMs: 3 },
      { ...snap, target: "zk", p99WithoutMs: 2, p99DuringMs: 6 },
    ],
  );
  const rows = text.split("\n").filter((l) => l.startsWith("| zk"));
  assert.deepEqual(rows, [
    "| zkd | 1 | 100 | 1,000 | 2.00 | 3.00 | 1.50 | 1.00 | 3.00 | 9.00 | 0.50 | 0.50 / 0.25 / 0.13 |",
    "| zk | 1 | 100 | 1,000 | 2.00 | 6.00 | 3.00 | 1.00 | 3.00 | 9.00 |  | 0.50 / 0.25 / 0.13 |",
  ]);
  const restart = {
    preloadMs: 1000,
    restarts: 3,
    restartMinMs: 1,
    restartMaxMs: 9,
    serverSays: "s",
    rssPeakStartKb: 2048,
    rssReadyKb: 2048,
    nodeCount: 10,
    load: undefined,
  };
  const text2 = restartReport(
    { znodes: 10, valueBytes: 1, settleS: 5, zkJvmFlags: "-Xmx2g" },
    [
      {
        ...restart,
        target: "zkd",
        rssLoadedKb: 1024,
        restartMedianMs: 5,
        rssSettledKb: 1024,
      },
      { ...restart, target: "zk", rssLoadedKb: 4096, restartMedianMs: 10, rssSettledKb: 2048 },
    ],
  );
  const rows2 = text2.split("\n").filter((l) => l.startsWith("| zk"));
  assert.deepEqual(rows2, [
    "| zkd | 10 | 1.0 | 1 | 0.25 | 5 (1-9) | 0.50 | 2 | 2 | 1 | 0.50 | s | n/a |",
    "| zk | 10 | 1.0 | 4 |  | 10 (1-9) |  | 2 | 2 | 2 |  | s | n/a |",
  ]);
});

Deno.test("preloadTree() creates every leaf; runPaced() answers every request", async () => {
  const root = freshPath("big");
  const shape = { root, znodes: 250, fanout: 100 };
  const value = new TextEncoder().encode("v".repeat(100));
  for (const batch of [1, 40]) {
    const r = `${root}${batch}`;
    await within(
      30_000,
      "preloadTree",
      preloadTree({
        hostname: "127.0.0.1",
        port: server.port,
        ...shape,
        root: r,
        value,
        batch,
        connections: 2,
        inflight: 4,
      }),
    );
    const zk = await ZkClient.connect({ hosts: server.connectString });
    try {
      assert.deepEqual((await zk.getChildren(r)).length, 3);
      assert.equal((await zk.getChildren(`${r}/p2`)).length, 50);
      assert.deepEqual((await zk.getData(leafPath({ ...shape, root: r }, 249))).data, value);
    } finally {
      await zk.close();
    }
  }
  const paced = await within(
    30_000,
    "runPaced",
    runPaced({
      hostname: "127.0.0.1",
      port: server.port,
      connections: 2,
      ratePerS: 500,
      writeFraction: 0.5,
      shape: { ...shape, root: `${root}40` },
      value,
      maxDurationMs: 600,
    }),
  );
  assert.equal(paced.errors, 0);
  assert.equal(paced.skipped, 0);
  assert.ok(paced.samples.count >= 250 && paced.samples.count <= 301, `${paced.samples.count}`);
  const writes = paced.samples.isWrite.subarray(0, paced.samples.count).reduce((a, b) => a + b);
  assert.ok(writes > 0 && writes < paced.samples.count);
});

Deno.test("stop the test server", async () => {
  await server.stop();
});
