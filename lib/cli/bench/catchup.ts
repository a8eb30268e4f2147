/**
 * The `catchup` scenario: a member that lost its disk rejoins a 3-member ensemble holding a
 * big tree, so it needs the whole state from the leader (ZooKeeper: a SNAP sync; zkd: a
 * snapshot the leader serialises for it), while writer sessions keep writing through the
 * leader. Measured from the restart: until the member's srvr shows at least the zxid the
 * leader had at the restart (caught up); the longest time no writer had a write
 * acknowledged; acknowledged writes per second meanwhile; and whether the leader changed.
 */

import { ZkClient } from "../../client/client.ts";
import { isZkError } from "../../client/errors.ts";
import { Err } from "../../proto/errors.ts";
import { type EnsembleKind, ServerEnsemble, srvr } from "./ensemble_process.ts";
import { preloadTree, type TreeShape } from "./preload.ts";
import { JVM_FLAGS_BIG } from "./server_process.ts";

export interface CatchupOptions {
  kind: EnsembleKind;
  repoRoot: string;
  zkdDenoFlags: readonly string[];
  keepDirs: boolean;
  /** zoo.cfg keys for every member. */
  cfg: Record<string, string>;
  znodes: number;
  value: Uint8Array;
  preloadBatch: number;
  writers: number;
  /** Give up waiting for the member to catch up after this long (ms). */
  timeoutMs: number;
  log: (line: string) => void;
}

export interface CatchupSample {
  target: EnsembleKind;
  znodes: number;
  preloadMs: number;
  /** Restart (spawn) -> the member's zxid reached the leader's at the restart; undefined: never. */
  caughtUpMs: number | undefined;
  /** Longest time without any acknowledged write, from the restart until caught up + 1 s. */
  longestGapMs: number;
  /** Acknowledged writes per second over that window, and over the second before it. */
  writesPerS: number;
  writesPerSBefore: number;
  errors: number;
  /** Leader elections in the window (the highest epoch moved, or another member leads). */
  leaderChanged: boolean;
}

const ROOT = "/zkd-bench-catchup";
const WRITES_ROOT = "/zkd-bench-catchup-writes";

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Every acknowledgement time (performance.now()) of writer sessions looping setData. */
class Writers {
  readonly acks: number[] = [];
  errors = 0;
  #stop = false;
  readonly #done: Promise<void>[] = [];

  constructor(clients: ZkClient[], paths: string[], value: Uint8Array) {
    clients.forEach((c, i) => this.#done.push(this.#run(c, paths[i], value)));
  }

  async #run(client: ZkClient, path: string, value: Uint8Array): Promise<void> {
    while (!this.#stop) {
      try {
        await client.setData(path, value);
        this.acks.push(performance.now());
      } catch {
        this.errors++;
        await sleep(5);
      }
    }
  }

  async stop(): Promise<void> {
    this.#stop = true;
    await Promise.all(this.#done);
  }
}

/** The highest epoch any member reports, and the leader's id (or undefined). */
async function leadership(e: ServerEnsemble): Promise<{ epoch: bigint; leader?: number }> {
  const infos = await Promise.all(e.members.map((m) => m.proc ? srvr(m.clientPort) : null));
  let epoch = 0n;
  let leader: number | undefined;
  infos.forEach((s, i) => {
    if (s === null) return;
    if (s.zxid >> 32n > epoch) epoch = s.zxid >> 32n;
    if (s.mode === "leader") leader = e.members[i].id;
  });
  return { epoch, leader };
}

/** Polls until every running member shows the same zxid (or the time is up). */
async function waitSameZxid(e: ServerEnsemble, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const infos = await Promise.all(e.members.map((m) => srvr(m.clientPort)));
    if (infos.every((s) => s !== null && s.zxid === infos[0]!.zxid)) return;
    await sleep(200);
  }
}

export async function catchupOnce(o: CatchupOptions): Promise<CatchupSample> {
  const e = await ServerEnsemble.start({
    kind: o.kind,
    cfg: o.cfg,
    repoRoot: o.repoRoot,
    zkdDenoFlags: o.zkdDenoFlags,
    jvmFlags: JVM_FLAGS_BIG,
    keepDirs: o.keepDirs,
  });
  const clients: ZkClient[] = [];
  try {
    const leader = await e.waitForLeader(60_000);
    const leaderPort = e.member(leader).clientPort;
    const shape: TreeShape = { root: ROOT, znodes: o.znodes, fanout: 1000 };
    o.log(`${o.kind} ensemble: preloading ${o.znodes} znodes through the leader (m${leader})`);
    const preloadMs = await preloadTree({
      hostname: "127.0.0.1",
      port: leaderPort,
      ...shape,
      value: o.value,
      batch: o.preloadBatch,
      connections: 4,
      inflight: 8,
      onProgress: (n) => o.log(`${o.kind} ensemble: ${n} created`),
    });
    await waitSameZxid(e, 120_000);

    const hosts = `127.0.0.1:${leaderPort}`;
    const paths = Array.from({ length: o.writers }, (_, i) => `${WRITES_ROOT}/w${i}`);
    for (let i = 0; i < o.writers; i++) {
      clients.push(await ZkClient.connect({ hosts, sessionTimeoutMs: 30_000 }));
    }
    for (const p of [WRITES_ROOT, ...paths]) {
      await clients[0].create(p, o.value).catch((err) => {
        if (!isZkError(err, Err.NODEEXISTS)) throw err;
      });
    }

    // The member loses its disk: killed, its data gone but for myid.
    const lost = e.members.find((m) => m.id !== leader)!;
    await e.kill(lost.id);
    for await (const entry of Deno.readDir(`${lost.baseDir}/data`)) {
      if (entry.name !== "myid") {
        await Deno.remove(`${lost.baseDir}/data/${entry.name}`, { recursive: true });
      }
    }
    const writers = new Writers(clients, paths, o.value);
    await sleep(1_000);
    const before = await leadership(e);
    const target = (await srvr(leaderPort))?.zxid ?? 0n;
    const restartAt = performance.now();
    o.log(`${o.kind} ensemble: m${lost.id} restarts with no data (leader m${leader})`);
    const started = e.startMember(lost.id);
    let caughtUpAt: number | undefined;
    while (performance.now() - restartAt < o.timeoutMs) {
      const s = lost.proc === null ? null : await srvr(lost.clientPort, 500);
      if (s !== null && s.zxid >= target) {
        caughtUpAt = performance.now();
        break;
      }
      await sleep(20);
    }
    await started.catch((err) => o.log(`${o.kind}: restart: ${(err as Error).message}`));
    const windowEnd = (caughtUpAt ?? performance.now()) + 1_000;
    while (performance.now() < windowEnd) await sleep(50);
    await writers.stop();
    const after = await leadership(e);

    let longestGapMs = 0;
    let last = restartAt;
    let inWindow = 0;
    let inSecondBefore = 0;
    for (const at of writers.acks) {
      if (at >= restartAt - 1_000 && at < restartAt) inSecondBefore++;
      if (at < restartAt || at > windowEnd) continue;
      inWindow++;
      longestGapMs = Math.max(longestGapMs, at - last);
      last = at;
    }
    longestGapMs = Math.max(longestGapMs, windowEnd - last);
    const sample: CatchupSample = {
      target: o.kind,
      znodes: o.znodes,
      preloadMs,
      caughtUpMs: caughtUpAt === undefined ? undefined : caughtUpAt - restartAt,
      longestGapMs,
      writesPerS: inWindow / ((windowEnd - restartAt) / 1000),
      writesPerSBefore: inSecondBefore,
      errors: writers.errors,
      leaderChanged: after.epoch !== before.epoch || after.leader !== before.leader,
    };
    o.log(
      `${o.kind} ensemble: caught up in ${
        sample.caughtUpMs === undefined ? "(never)" : `${Math.round(sample.caughtUpMs)} ms`
      }, longest write gap ${Math.round(longestGapMs)} ms, ` +
        `${Math.round(sample.writesPerS)} writes/s (before: ${inSecondBefore}), ` +
        `${writers.errors} errors, leader ${sample.leaderChanged ? "CHANGED" : "kept"}`,
    );
    return sample;
  } finally {
    for (const c of clients) await c.close().catch(() => {});
    await e.stop();
  }
}

/** A markdown table, zkd and ZooKeeper side by side (a ratio where both were measured). */
export function catchupReport(samples: readonly CatchupSample[], o: { setup: string }): string {
  const zkd = samples.find((s) => s.target === "zkd");
  const zk = samples.find((s) => s.target === "zk");
  const ms = (v: number | undefined) =>
    v === undefined ? "never" : Math.round(v).toLocaleString("en-US");
  const ratio = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined || b === 0 ? "" : (a / b).toFixed(2);
  const rows: Array<
    [string, (s: CatchupSample) => string, number | undefined, number | undefined]
  > = [
    ["restart until caught up, ms", (s) => ms(s.caughtUpMs), zkd?.caughtUpMs, zk?.caughtUpMs],
    [
      "longest gap between acknowledged writes, ms",
      (s) => ms(s.longestGapMs),
      zkd?.longestGapMs,
      zk?.longestGapMs,
    ],
    ["acknowledged writes/s meanwhile", (s) => ms(s.writesPerS), zkd?.writesPerS, zk?.writesPerS],
    [
      "acknowledged writes/s the second before",
      (s) => ms(s.writesPerSBefore),
      zkd?.writesPerSBefore,
      zk?.writesPerSBefore,
    ],
    ["write errors", (s) => String(s.errors), undefined, undefined],
    ["leader changed", (s) => s.leaderChanged ? "yes" : "no", undefined, undefined],
    ["preload, s", (s) => (s.preloadMs / 1000).toFixed(1), zkd?.preloadMs, zk?.preloadMs],
  ];
  const cell = (s: CatchupSample | undefined, f: (s: CatchupSample) => string) =>
    s === undefined ? "-" : f(s);
  const lines = [
    "| | zkd | ZooKeeper | zkd / ZooKeeper |",
    "| --- | ---: | ---: | ---: |",
    ...rows.map(([label, f, a, b]) =>
      `| ${label} | ${cell(zkd, f)} | ${cell(zk, f)} | ${ratio(a, b)} |`
    ),
  ];
  return lines.join("\n") +
    `\n\n${o.setup} Load average ${Deno.loadavg().map((l) => l.toFixed(2)).join(" / ")}.`;
}
