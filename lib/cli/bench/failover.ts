/**
 * Failover under a write load: several writers (lib/client ZkClient sessions, each given the
 * whole connect string starting at a different member, each looping setData on its own
 * znode) run against an ensemble; the leader (srvr Mode:) is killed with SIGKILL; the sample
 * is the time from the kill to the first acknowledged write that was sent after the kill
 * (a reply already on its way when the leader died does not count). Also measured: kill ->
 * a survivor's srvr says leader, kill -> every writer has had such a write acknowledged,
 * and restart of the killed member -> its srvr answers again (it rejoined); then every
 * member must reach the same zxid.
 */

import { ZkClient } from "../../client/client.ts";
import { isZkError } from "../../client/errors.ts";
import { Err } from "../../proto/errors.ts";
import { type ServerEnsemble, srvr } from "./ensemble_process.ts";

export interface FailoverOptions {
  writers: number;
  value: Uint8Array;
  /** Writes before the kill, to have a steady load (ms). */
  beforeMs: number;
  /** Give up waiting for a write after the kill (ms). */
  timeoutMs: number;
  sessionTimeoutMs: number;
  log: (line: string) => void;
}

export interface FailoverSample {
  target: string;
  killed: number;
  newLeader: number | undefined;
  /** Kill -> first write sent after the kill acknowledged; undefined when none in time. */
  firstAckMs: number | undefined;
  /** Kill -> the last writer's first such acknowledged write. */
  allWritersMs: number | undefined;
  /** Kill -> a surviving member's srvr says leader (polled every 20 ms). */
  electedMs: number | undefined;
  /** Restart spawn -> the restarted member's srvr answers with a Mode:. */
  rejoinMs: number;
  /** Acknowledged writes per second over the second before the kill. */
  writesPerSBefore: number;
  /** Writes that failed (connection loss while the leader was gone, ...). */
  errors: number;
  /** Distinct error messages, for the log. */
  errorKinds: string[];
  /** Members whose zxid still differed from the others after the writers stopped. */
  diverged: string | undefined;
}

const FAILOVER_ROOT = "/zkd-bench-failover";

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

class Writer {
  acks = 0;
  errors = 0;
  /** performance.now() of the first ack of a write sent after `probe.killedAt`. */
  firstAfterKill: number | undefined;
  readonly errorKinds = new Set<string>();
  #stop = false;
  #client: ZkClient;
  readonly done: Promise<void>;

  constructor(
    client: ZkClient,
    hosts: string,
    path: string,
    value: Uint8Array,
    probe: { killedAt: number | undefined },
    sessionTimeoutMs: number,
  ) {
    this.#client = client;
    this.done = this.#run(hosts, path, value, probe, sessionTimeoutMs);
  }

  async #run(
    hosts: string,
    path: string,
    value: Uint8Array,
    probe: { killedAt: number | undefined },
    sessionTimeoutMs: number,
  ): Promise<void> {
    while (!this.#stop) {
      const sentAt = performance.now();
      try {
        await this.#client.setData(path, value);
        const at = performance.now();
        this.acks++;
        const killedAt = probe.killedAt;
        if (this.firstAfterKill === undefined && killedAt !== undefined && sentAt > killedAt) {
          this.firstAfterKill = at;
        }
      } catch (e) {
        this.errors++;
        // One kind per error code, whatever the path.
        this.errorKinds.add(
          isZkError(e) ? e.message.replace(/ for \/\S*$/, "") : `${(e as Error).name}: ${e}`,
        );
        if (!this.#client.isAlive && !this.#stop) {
          // The session ended (expired?): a new one, so the load goes on.
          try {
            this.#client = await ZkClient.connect({ hosts, sessionTimeoutMs });
          } catch (e2) {
            this.errorKinds.add(`reconnect: ${(e2 as Error).message}`);
          }
        }
        await sleep(5);
      }
    }
  }

  async stop(): Promise<void> {
    this.#stop = true;
    await this.done;
    await this.#client.close();
  }
}

/** Creates FAILOVER_ROOT and one znode per writer. */
async function prepare(e: ServerEnsemble, writers: number, value: Uint8Array): Promise<string[]> {
  const zk = await ZkClient.connect({ hosts: e.connectString(), sessionTimeoutMs: 30_000 });
  const paths = Array.from({ length: writers }, (_, i) => `${FAILOVER_ROOT}/w${i}`);
  try {
    for (const p of [FAILOVER_ROOT, ...paths]) {
      await zk.create(p, value).catch((err) => {
        if (!isZkError(err, Err.NODEEXISTS)) throw err;
      });
    }
  } finally {
    await zk.close();
  }
  return paths;
}

/** Waits until every member's srvr shows the same zxid; a description of the last difference. */
async function waitConverged(e: ServerEnsemble, timeoutMs: number): Promise<string | undefined> {
  const deadline = performance.now() + timeoutMs;
  let last = "";
  while (performance.now() < deadline) {
    const infos = await Promise.all(e.members.map((m) => srvr(m.clientPort)));
    const zxids = infos.map((i) => i?.zxid);
    if (zxids.every((z) => z !== undefined && z === zxids[0])) return undefined;
    last = e.members.map((m, i) =>
      `${m.id}:${infos[i]?.mode ?? "-"}@0x${zxids[i]?.toString(16) ?? "?"}`
    ).join(" ");
    await sleep(100);
  }
  return last;
}

/** One failover of `e`: kill the leader under the write load, restart it, wait for it. */
export async function failoverOnce(
  target: string,
  e: ServerEnsemble,
  o: FailoverOptions,
): Promise<FailoverSample> {
  const paths = await prepare(e, o.writers, o.value);
  const leader = await e.waitForLeader(30_000);
  const probe: { killedAt: number | undefined } = { killedAt: undefined };
  const writers: Writer[] = [];
  try {
    for (let i = 0; i < o.writers; i++) {
      // Writer i starts at member i % n, so the sessions spread over the members.
      const hosts = e.connectString(e.members[i % e.members.length].id);
      const client = await ZkClient.connect({ hosts, sessionTimeoutMs: o.sessionTimeoutMs });
      writers.push(new Writer(client, hosts, paths[i], o.value, probe, o.sessionTimeoutMs));
    }
    await sleep(Math.max(0, o.beforeMs - 1000));
    const acks0 = writers.reduce((a, w) => a + w.acks, 0);
    const t0 = performance.now();
    await sleep(Math.min(1000, o.beforeMs));
    const writesPerSBefore = (writers.reduce((a, w) => a + w.acks, 0) - acks0) /
      ((performance.now() - t0) / 1000);
    const errorsBefore = writers.reduce((a, w) => a + w.errors, 0);

    // Kill the leader; watch the survivors for a new one meanwhile.
    const survivors = e.members.filter((m) => m.id !== leader);
    const killedAt = performance.now();
    probe.killedAt = killedAt;
    await e.kill(leader);
    let electedMs: number | undefined;
    let newLeader: number | undefined;
    const deadline = killedAt + o.timeoutMs;
    const watchElection = (async () => {
      while (newLeader === undefined && performance.now() < deadline) {
        const infos = await Promise.all(survivors.map((m) => srvr(m.clientPort, 500)));
        const i = infos.findIndex((s) => s?.mode === "leader");
        if (i >= 0) {
          electedMs = performance.now() - killedAt;
          newLeader = survivors[i].id;
        } else {
          await sleep(20);
        }
      }
    })();
    while (
      writers.some((w) => w.firstAfterKill === undefined) && performance.now() < deadline
    ) {
      await sleep(5);
    }
    await watchElection;
    const firsts = writers.map((w) => w.firstAfterKill);
    const acked = firsts.filter((t): t is number => t !== undefined);
    const firstAckMs = acked.length === 0 ? undefined : Math.min(...acked) - killedAt;
    const allWritersMs = acked.length < writers.length ? undefined : Math.max(...acked) - killedAt;

    // Restart the killed member on its data, under the same load, and wait for it.
    const restartAt = performance.now();
    await e.startMember(leader);
    const rejoinMs = performance.now() - restartAt;
    await e.waitForLeader(30_000);
    await sleep(500);
    const errors = writers.reduce((a, w) => a + w.errors, 0) - errorsBefore;
    const errorKinds = [...new Set(writers.flatMap((w) => [...w.errorKinds]))];
    await Promise.all(writers.splice(0).map((w) => w.stop()));
    const diverged = await waitConverged(e, 30_000);
    return {
      target,
      killed: leader,
      newLeader,
      firstAckMs,
      allWritersMs,
      electedMs,
      rejoinMs,
      writesPerSBefore,
      errors,
      errorKinds,
      diverged,
    };
  } finally {
    await Promise.all(writers.map((w) => w.stop()));
  }
}
