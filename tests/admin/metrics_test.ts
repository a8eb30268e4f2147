/**
 * One metrics snapshot, three renderings: mntr (the same text as the four-letter word), the
 * monitor command, and Prometheus' text format 0.0.4 under ZooKeeper's metric names.
 */

import assert from "node:assert/strict";
import { type FourLetterEnv, fourLetterReply } from "../../lib/admin/four_letter.ts";
import {
  gatherMetrics,
  type Metric,
  processMetrics,
  renderMntr,
  renderPrometheus,
} from "../../lib/admin/metrics.ts";
import { CreateFlag, Op } from "../../lib/proto/ops.ts";
import { enc, OPEN, ReplicaHarness } from "../support/replica_harness.ts";
import { parsePrometheus } from "./prometheus_text.ts";

const env: FourLetterEnv = {
  versionLine: "3.8.4-zkd-test, built on 2026-11-24 00:00 UTC",
  environment: [["host.name", "h"]],
  dataDirBytes: () => 10,
  dataLogDirBytes: () => 20,
  openFileDescriptors: () => 30,
  maxFileDescriptors: () => 40,
  nowMs: () => 1_700_000_005_000,
};

function populated(): ReplicaHarness {
  const h = new ReplicaHarness({ "4lw.commands.whitelist": "*" });
  const { connId } = h.session();
  h.reply(connId, 1, { op: Op.create, path: "/a", data: enc("xy"), acl: OPEN, flags: 0, ttlMs: 0 });
  h.reply(connId, 2, {
    op: Op.create,
    path: "/e",
    data: null,
    acl: OPEN,
    flags: CreateFlag.ephemeral,
    ttlMs: 0,
  });
  h.reply(connId, 3, { op: Op.getData, path: "/a", watch: true });
  return h;
}

Deno.test("renderMntr() of gatherMetrics() is the mntr four-letter word's text", () => {
  const h = populated();
  const snap = gatherMetrics({ replica: h.replica, env });
  assert.equal(renderMntr(snap), fourLetterReply("mntr", h.replica, env));
});

Deno.test("renderPrometheus() uses ZooKeeper's names and values, in valid 0.0.4 text", () => {
  const h = populated();
  const snap = gatherMetrics({ replica: h.replica, env });
  const samples = parsePrometheus(renderPrometheus(snap, processMetrics(env)));
  const value = (n: string) => samples.get(n)?.value;
  assert.equal(value("znode_count"), h.replica.tree.nodeCount);
  assert.equal(value("ephemerals_count"), 1);
  assert.equal(value("watch_count"), 1);
  assert.equal(value("num_alive_connections"), 1);
  assert.equal(value("global_sessions"), 1);
  assert.equal(value("open_file_descriptor_count"), 30);
  assert.equal(value("max_file_descriptor_count"), 40);
  assert.equal(value("uptime"), 5000);
  assert.equal(value("approximate_data_size"), h.replica.tree.approximateDataBytes);
  assert.equal(value("packets_received"), h.replica.stats.packetsReceived);
  for (const n of ["avg_latency", "min_latency", "max_latency", "outstanding_requests"]) {
    assert.equal(samples.get(n)?.type, "gauge", n);
  }
  assert.equal(samples.get("process_cpu_seconds_total")?.type, "counter");
  assert.ok(value("process_resident_memory_bytes")! > 0);
  assert.ok(value("process_start_time_seconds")! > 1.6e9);
  // Strings (version, state) are not Prometheus samples, as in ZooKeeper.
  assert.equal(samples.has("version"), false);
});

Deno.test("an ensemble leader's mntr: state, peer_state and learner counts; Prometheus gets the numbers", () => {
  const h = populated();
  const leaderEnv: FourLetterEnv = {
    ...env,
    quorum: () => ({
      mode: "leader",
      peerState: "leading - broadcast",
      learners: 2,
      syncedFollowers: 2,
      syncedObservers: 0,
      pendingProposals: 1,
      term: 3,
    }),
  };
  const snap = gatherMetrics({ replica: h.replica, env: leaderEnv });
  assert.equal(snap.serverState, "leader");
  assert.equal(renderMntr(snap), fourLetterReply("mntr", h.replica, leaderEnv));
  const mntr = renderMntr(snap).trimEnd().split("\n");
  assert.deepEqual(mntr.slice(-6), [
    "zk_peer_state\tleading - broadcast",
    "zk_learners\t2",
    "zk_synced_followers\t2",
    "zk_synced_non_voting_followers\t0",
    "zk_synced_observers\t0",
    "zk_pending_syncs\t1",
  ]);
  const prom = parsePrometheus(renderPrometheus(snap));
  assert.equal(prom.has("peer_state"), false);
  assert.equal(prom.get("learners")?.value, 2);
  assert.equal(prom.get("pending_syncs")?.value, 1);
});

Deno.test("MetricsSource.extra appends values; mntrOnly ones stay out of Prometheus", () => {
  const h = populated();
  const extra: Metric[] = [
    { name: "learners_x", kind: "gauge", value: 2, mntrOnly: true, help: "x" },
    { name: "quorum_size", kind: "gauge", value: 3, help: "voting members" },
  ];
  const snap = gatherMetrics({ replica: h.replica, env, extra: () => extra });
  const mntr = renderMntr(snap).trimEnd().split("\n");
  assert.deepEqual(mntr.slice(-2), ["zk_learners_x\t2", "zk_quorum_size\t3"]);
  const prom = parsePrometheus(renderPrometheus(snap));
  assert.equal(prom.has("learners_x"), false);
  assert.equal(prom.get("quorum_size")?.value, 3);
});
