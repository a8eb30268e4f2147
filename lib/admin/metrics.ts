/**
 * One snapshot of the server's metrics under ZooKeeper's names, rendered three ways: the `mntr`
 * four-letter word (`zk_<name>\t<value>`), the admin API's `monitor` command (JSON) and
 * Prometheus' text exposition format 0.0.4 (`/metrics`, as ZooKeeper's PrometheusMetricsProvider
 * names them: no prefix, gauges named as in mntr without `zk_`).
 *
 * gatherMetrics() is the one place that decides what is measured, and it must say what the mntr
 * four-letter word says (tests/admin/metrics_test.ts compares them). An ensemble member adds
 * zk_peer_state and, on the leader, the learner counts (from FourLetterEnv.quorum); anything
 * else a caller measures can come in through MetricsSource.extra.
 */

import process from "node:process";
import type { Replica } from "../replica/replica.ts";
import type { FourLetterEnv } from "./four_letter.ts";
import { javaDoubleText } from "./json.ts";

export type MetricKind = "gauge" | "counter";

export interface Metric {
  /** ZooKeeper's name, without the `zk_` that mntr adds. */
  readonly name: string;
  readonly kind: MetricKind;
  /** A string (peer_state) is shown by mntr and monitor only, as ZooKeeper does. */
  readonly value: number | string;
  /** A Java double in ZooKeeper: mntr and monitor print it with a fraction (0.0, 4.1667). */
  readonly double?: boolean;
  /** Not exported to Prometheus (ZooKeeper shows its leader-only counts in mntr alone). */
  readonly mntrOnly?: boolean;
  /** `# HELP` text for Prometheus. */
  readonly help: string;
}

export interface MetricsSnapshot {
  /** The version line (mntr's zk_version). */
  readonly version: string;
  /** "standalone", "leader", "follower", "observer" (mntr's zk_server_state). */
  readonly serverState: string;
  readonly metrics: readonly Metric[];
}

export interface MetricsSource {
  readonly replica: Replica;
  /** Host facts, and `quorum()` on an ensemble member. */
  readonly env: FourLetterEnv;
  /** More values, listed last. */
  readonly extra?: () => readonly Metric[];
}

/**
 * mntr's zk_server_state: standalone, leader, follower, observer, read-only (a member cut off
 * from the quorum serving reads), or looking (no leader: ZooKeeper has no server to ask then).
 */
export function serverStateOf(replica: Replica, env: FourLetterEnv): string {
  if (replica.role === "readonly") return "read-only";
  if (replica.role === "looking") return "looking";
  return env.quorum?.()?.mode ?? "standalone";
}

/** ServerStats.getAvgLatency(): the mean rounded to 4 decimals. */
function roundedMean(total: number, count: number): number {
  return count === 0 ? 0 : Math.round((total / count) * 10000) / 10000;
}

const gauge = (name: string, value: number, help: string, double = false): Metric => ({
  name,
  kind: "gauge",
  value,
  help,
  ...(double ? { double: true } : {}),
});

/** Everything the server measures now, in mntr's order. */
export function gatherMetrics(src: MetricsSource): MetricsSnapshot {
  const { replica, env } = src;
  const s = replica.stats;
  const metrics: Metric[] = [
    gauge(
      "avg_latency",
      roundedMean(s.latencyTotalMs, s.latencyCount),
      "Mean request latency since the last stat reset, ms",
      true,
    ),
    gauge("max_latency", s.latencyMaxMs, "Largest request latency since the last stat reset, ms"),
    gauge(
      "min_latency",
      s.latencyCount === 0 ? 0 : s.latencyMinMs,
      "Smallest request latency since the last stat reset, ms",
    ),
    gauge("packets_received", s.packetsReceived, "Client packets received"),
    gauge("packets_sent", s.packetsSent, "Client packets sent"),
    gauge("num_alive_connections", replica.connections.size, "Open client connections"),
    gauge("outstanding_requests", replica.outstanding, "Requests received and not yet answered"),
    gauge("uptime", env.nowMs() - replica.startedAtMs, "Time since the server started, ms"),
    gauge("znode_count", replica.tree.nodeCount, "Znodes in the tree"),
    gauge("watch_count", replica.watches.count, "Watches set (data and child)"),
    gauge("ephemerals_count", replica.tree.ephemeralCount, "Ephemeral znodes"),
    gauge(
      "approximate_data_size",
      replica.tree.approximateDataBytes,
      "Bytes of znode paths and data, approximately",
    ),
    gauge("global_sessions", replica.sessions.size, "Live sessions"),
    gauge("local_sessions", 0, "Local sessions (zkd has none)"),
    gauge("open_file_descriptor_count", env.openFileDescriptors(), "Open file descriptors"),
    gauge("max_file_descriptor_count", env.maxFileDescriptors(), "File descriptor limit"),
    gauge("connection_drop_probability", 0, "Probability of dropping a new connection", true),
    gauge("outstanding_tls_handshake", 0, "TLS handshakes in progress (zkd has no TLS)"),
    gauge("auth_failed_count", s.authFailed, "Failed authentication attempts"),
    gauge("non_mtls_remote_conn_count", 0, "Non-mTLS remote connections (zkd has no TLS)"),
    gauge("non_mtls_local_conn_count", 0, "Non-mTLS local connections (zkd has no TLS)"),
  ];
  const q = env.quorum?.() ?? null;
  if (q !== null) {
    metrics.push({ name: "peer_state", kind: "gauge", value: q.peerState, help: "peer state" });
    if (q.mode === "leader") {
      metrics.push(
        gauge("learners", q.learners, "Followers and observers connected to the leader"),
        gauge("synced_followers", q.syncedFollowers, "Followers caught up with the leader"),
        gauge("synced_non_voting_followers", 0, "Non-voting followers (zkd has none)"),
        gauge("synced_observers", q.syncedObservers, "Observers caught up with the leader"),
        gauge("pending_syncs", q.pendingProposals, "Proposals not yet committed"),
      );
    }
  }
  metrics.push(...(src.extra?.() ?? []));
  return { version: env.versionLine, serverState: serverStateOf(replica, env), metrics };
}

/** A value as mntr and monitor print it: doubles as Java does, the rest as integers. */
function javaText(m: Metric): string {
  return m.double && typeof m.value === "number" ? javaDoubleText(m.value) : String(m.value);
}

/** The `mntr` four-letter word's text. */
export function renderMntr(snap: MetricsSnapshot): string {
  const lines = [`zk_version\t${snap.version}`, `zk_server_state\t${snap.serverState}`];
  for (const m of snap.metrics) lines.push(`zk_${m.name}\t${javaText(m)}`);
  return lines.map((l) => l + "\n").join("");
}

function promNumber(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? "+Inf" : "-Inf";
  return String(x);
}

function promHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** Prometheus text exposition format 0.0.4. `process` metrics (process_*) follow ZooKeeper's. */
export function renderPrometheus(
  snap: MetricsSnapshot,
  process: readonly Metric[] = [],
): string {
  let out = "";
  for (const m of [...snap.metrics, ...process]) {
    if (m.mntrOnly || typeof m.value !== "number") continue;
    out += `# HELP ${m.name} ${promHelp(m.help)}\n# TYPE ${m.name} ${m.kind}\n` +
      `${m.name} ${promNumber(m.value)}\n`;
  }
  return out;
}

/** Content-Type of the Prometheus text format. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

const PROCESS_START_S = performance.timeOrigin / 1000;

/**
 * The standard Prometheus process_* metrics (those ZooKeeper's JVM exports too) that Deno can
 * read with zkd's permissions; descriptor counts are left out where /proc cannot be read.
 */
export function processMetrics(env: FourLetterEnv): Metric[] {
  const cpu = process.cpuUsage();
  const out: Metric[] = [
    {
      name: "process_cpu_seconds_total",
      kind: "counter",
      value: (cpu.user + cpu.system) / 1e6,
      help: "Total user and system CPU time spent in seconds.",
    },
    gauge(
      "process_resident_memory_bytes",
      Deno.memoryUsage().rss,
      "Resident memory size in bytes.",
    ),
    gauge(
      "process_start_time_seconds",
      PROCESS_START_S,
      "Start time of the process since unix epoch in seconds.",
    ),
  ];
  const open = env.openFileDescriptors();
  if (open >= 0) out.push(gauge("process_open_fds", open, "Number of open file descriptors."));
  const max = env.maxFileDescriptors();
  if (max >= 0) out.push(gauge("process_max_fds", max, "Maximum number of open file descriptors."));
  return out;
}
