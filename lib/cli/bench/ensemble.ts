/**
 * The `ensemble` scenario: a 3-member zkd ensemble and a 3-member Apache ZooKeeper 3.8
 * ensemble, both running side by side with the same zoo.cfg timing (tickTime, initLimit,
 * syncLimit), forceSync=yes and the same snapCount. First the pipelined load of the mixes
 * with its connections spread evenly over the members (write-only and 90/10 by default),
 * the targets alternating run by run; a row whose window saw the leader's epoch change (an
 * election) is flagged. Then failovers (failover.ts), alternating too.
 */

import { type EnsembleKind, ServerEnsemble, srvr } from "./ensemble_process.ts";
import { failoverOnce, type FailoverSample } from "./failover.ts";
import { measureMix, medianRow, type Mix, prepareZnodes, type Target } from "./measure.ts";
import type { Row } from "./report.ts";
import { JVM_FLAGS_BENCH } from "./server_process.ts";

export interface EnsembleScenarioOptions {
  targets: EnsembleKind[];
  repoRoot: string;
  zkdDenoFlags: readonly string[];
  keepDirs: boolean;
  /** zoo.cfg keys for every member of both ensembles. */
  cfg: Record<string, string>;
  mixes: Mix[];
  runs: number;
  connections: number;
  inflight: number;
  warmupS: number;
  durationS: number;
  znodes: number;
  value: Uint8Array;
  failovers: number;
  failoverWriters: number;
  log: (line: string) => void;
}

export interface FailoverResult extends FailoverSample {
  load: readonly number[];
}

export interface EnsembleScenarioResult {
  rows: Row[];
  failovers: FailoverResult[];
  /** zkd members' role changes ("member 2 is now leader in term 3") with their time. */
  roleChanges: string[];
  /** zkd members' WARN and ERROR lines (the first 50). */
  zkdWarnings: string[];
}

/** The highest epoch (zxid >> 32) any member reports, and the members' modes ("m1 leader"). */
async function stateOf(e: ServerEnsemble): Promise<{ epoch: bigint; modes: string }> {
  const infos = await Promise.all(e.members.map((m) => srvr(m.clientPort)));
  return {
    epoch: infos.reduce((a, s) => (s !== null && s.zxid >> 32n > a ? s.zxid >> 32n : a), 0n),
    modes: e.members.map((m, i) => `m${m.id} ${infos[i]?.mode ?? "-"}`).join(", "),
  };
}

export async function runEnsembleScenario(
  o: EnsembleScenarioOptions,
): Promise<EnsembleScenarioResult> {
  const log = o.log;
  const began = performance.now();
  const roleChanges: string[] = [];
  const zkdWarnings: string[] = [];
  const ensembles = new Map<EnsembleKind, ServerEnsemble>();
  const measured = new Map<string, Row[]>();
  const failovers: FailoverResult[] = [];
  try {
    for (const kind of o.targets) {
      log(`starting a 3-member ${kind} ensemble`);
      const e = await ServerEnsemble.start({
        kind,
        cfg: o.cfg,
        repoRoot: o.repoRoot,
        // info: zkd logs each role change ("member 2 is now leader in term 3").
        zkdArgs: ["--log-level", "info"],
        zkdDenoFlags: o.zkdDenoFlags,
        jvmFlags: JVM_FLAGS_BENCH,
        keepDirs: o.keepDirs,
        onLine: kind !== "zkd" ? undefined : (id, line, atMs) => {
          const at = `+${((atMs - began) / 1000).toFixed(1)} s m${id}:`;
          // "<ISO time> LEVEL message"
          const m = /^\S+ (\w+)\s+(.*)$/.exec(line);
          if (m !== null && / is now \w+ in term /.test(m[2])) roleChanges.push(`${at} ${m[2]}`);
          if (m === null || m[1] === "WARN" || m[1] === "ERROR") {
            if (zkdWarnings.length < 50) zkdWarnings.push(`${at} ${line}`);
          }
        },
      });
      ensembles.set(kind, e);
      const leader = await e.waitForLeader(60_000);
      log(
        `${kind} ensemble serving on ${e.connectString()} (leader: member ${leader}, ` +
          `directory ${e.rootDir})`,
      );
    }
    const targets = new Map<EnsembleKind, Target>();
    const paths = new Map<EnsembleKind, string[]>();
    for (const [kind, e] of ensembles) {
      const t: Target = { name: kind, hostname: "127.0.0.1", ports: e.ports, pids: e.pids };
      targets.set(kind, t);
      if (o.mixes.length === 0) continue;
      log(`${kind}: creating ${o.znodes} znodes of ${o.value.byteLength} bytes`);
      paths.set(kind, await prepareZnodes(t, o.znodes, o.value));
    }
    for (const mix of o.mixes) {
      for (let run = 0; run < o.runs; run++) {
        for (const [kind, e] of ensembles) {
          const t = targets.get(kind)!;
          const { epoch: epochBefore, modes } = await stateOf(e);
          log(`${kind}: ${modes}`);
          const changesBefore = roleChanges.length;
          const warningsBefore = zkdWarnings.length;
          const row = await measureMix(
            t,
            mix,
            o,
            paths.get(kind)!,
            o.value,
            log,
            `run ${run + 1}/${o.runs}`,
          );
          const epochAfter = (await stateOf(e)).epoch;
          if (epochAfter !== epochBefore) {
            row.warning = `epoch 0x${epochBefore.toString(16)} -> 0x${epochAfter.toString(16)}: ` +
              `election during the load!`;
            log(`${kind}: ${row.warning}`);
          }
          for (const c of roleChanges.slice(changesBefore)) log(`${kind}: ${c}`);
          for (const w of zkdWarnings.slice(warningsBefore)) log(`${kind}: ${w}`);
          const key = `${mix.label}\u0000${kind}`;
          measured.set(key, [...(measured.get(key) ?? []), row]);
        }
      }
    }
    for (let i = 0; i < o.failovers; i++) {
      for (const [kind, e] of ensembles) {
        const load = Deno.loadavg();
        log(
          `${kind}: failover ${i + 1}/${o.failovers} (load average ${
            load.map((l) => l.toFixed(2)).join(" / ")
          })`,
        );
        const s = await failoverOnce(kind, e, {
          writers: o.failoverWriters,
          value: o.value,
          beforeMs: 2000,
          timeoutMs: 30_000,
          sessionTimeoutMs: 10_000,
          log,
        });
        const ms = (x: number | undefined) => x === undefined ? "none" : `${Math.round(x)} ms`;
        log(
          `${kind}: killed member ${s.killed} (leader), new leader ${s.newLeader ?? "?"}: ` +
            `first write ${ms(s.firstAckMs)}, elected (srvr) ${ms(s.electedMs)}, ` +
            `all ${o.failoverWriters} writers ${ms(s.allWritersMs)}, rejoin ${ms(s.rejoinMs)}, ` +
            `${Math.round(s.writesPerSBefore)} writes/s before, ${s.errors} failed writes` +
            (s.errorKinds.length > 0 ? ` (${s.errorKinds.join("; ")})` : ""),
        );
        if (s.diverged !== undefined) {
          log(`${kind}: members still differ 30 s after the writers stopped: ${s.diverged}`);
        }
        failovers.push({ ...s, load });
      }
    }
  } catch (e) {
    for (const [kind, ens] of ensembles) {
      for (const m of ens.members) {
        console.error(`--- ${kind} member ${m.id} log tail ---\n${ens.logTail(m.id, 20)}`);
      }
    }
    throw e;
  } finally {
    for (const e of ensembles.values()) await e.stop();
  }
  return { rows: [...measured.values()].map(medianRow), failovers, roleChanges, zkdWarnings };
}
