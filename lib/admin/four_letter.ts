/**
 * Four-letter words on the client port, with ZooKeeper's output formats (tools such as
 * zkServer.sh status, kazoo's server_version() and monitoring scripts parse them).
 * Facts about the host come in through FourLetterEnv so the text is testable.
 */

import type { Replica } from "../replica/replica.ts";
import { hex64 } from "../util/hex.ts";

export const FOUR_LETTER_WORDS: ReadonlySet<string> = new Set([
  "conf",
  "cons",
  "crst",
  "dirs",
  "dump",
  "envi",
  "gtmk",
  "ruok",
  "stmk",
  "srst",
  "srvr",
  "stat",
  "wchc",
  "wchp",
  "wchs",
  "mntr",
  "isro",
  "hash",
]);

/** The first 4 bytes of a connection as a word, if they spell a known one. */
export function fourLetterWord(first4: number): string | null {
  const word = String.fromCharCode(
    (first4 >>> 24) & 0xff,
    (first4 >>> 16) & 0xff,
    (first4 >>> 8) & 0xff,
    first4 & 0xff,
  );
  return FOUR_LETTER_WORDS.has(word) ? word : null;
}

export interface FourLetterEnv {
  /** e.g. "3.8.4-zkd-0.1.0, built on 2026-11-24 00:00 UTC" */
  versionLine: string;
  /** Key/value lines for envi after zookeeper.version. */
  environment: Array<[string, string]>;
  dataDirBytes(): number;
  dataLogDirBytes(): number;
  openFileDescriptors(): number;
  maxFileDescriptors(): number;
  nowMs(): number;
  /** Ensemble members only: the member's place in the quorum. */
  quorum?(): QuorumStatus | null;
  /**
   * The client address actually listened on (a configured port 0 picks one, and a reconfig
   * may move it); without it, the configured one is reported.
   */
  clientAddress?(): Deno.NetAddr | null;
}

/** What an ensemble member reports about replication (srvr, mntr, the admin API). */
export interface QuorumStatus {
  mode: "leader" | "follower" | "observer";
  /** ZooKeeper's zk_peer_state, e.g. "leading - broadcast". */
  peerState: string;
  /** Leader only: followers and observers connected, and those caught up. */
  learners: number;
  syncedFollowers: number;
  syncedObservers: number;
  /** Leader only: txns proposed and not yet committed. */
  pendingProposals: number;
  term: number;
}

const NOT_SERVING = "This ZooKeeper instance is not currently serving requests\n";

function javaDouble(x: number): string {
  const r = Math.round(x * 10000) / 10000;
  return Number.isInteger(r) ? `${r}.0` : String(r);
}

function latencyLine(replica: Replica): string {
  const s = replica.stats;
  const min = s.latencyCount === 0 ? 0 : s.latencyMinMs;
  const avg = s.latencyCount === 0 ? 0 : s.latencyTotalMs / s.latencyCount;
  return `Latency min/avg/max: ${min}/${javaDouble(avg)}/${s.latencyMaxMs}\n`;
}

function serverSummary(replica: Replica, env: FourLetterEnv): string {
  const mode = replica.role === "readonly" ? "read-only" : env.quorum?.()?.mode ?? "standalone";
  return latencyLine(replica) +
    `Received: ${replica.stats.packetsReceived}\n` +
    `Sent: ${replica.stats.packetsSent}\n` +
    `Connections: ${replica.connections.size}\n` +
    `Outstanding: ${replica.outstanding}\n` +
    `Zxid: ${hex64(replica.lastZxid)}\n` +
    `Mode: ${mode}\n` +
    `Node count: ${replica.tree.nodeCount}\n`;
}

function connectionLine(replica: Replica, full: boolean, connId: number): string {
  const c = replica.connections.get(connId)!;
  const s = c.stats;
  let line = ` /${c.remoteIp}:${c.remotePort}[${c.established ? 1 : 0}](queued=${c.queue.length},` +
    `recved=${s.packetsReceived},sent=${s.packetsSent}`;
  if (full && c.established) {
    const avg = s.latencyCount === 0 ? 0 : s.latencyTotalMs / s.latencyCount;
    line += `,sid=${hex64(c.sessionId)},lop=${s.lastOpTag},est=${c.establishedAtMs},` +
      `to=${c.negotiatedTimeoutMs},` + (s.lastCxid >= 0 ? `lcxid=${hex64(s.lastCxid)},` : "") +
      `lzxid=${hex64(s.lastZxid)},lresp=${s.lastResponseAtMs},llat=${s.lastLatencyMs},` +
      `minlat=${s.latencyCount === 0 ? 0 : s.latencyMinMs},avglat=${javaDouble(avg)},` +
      `maxlat=${s.latencyMaxMs}`;
  }
  return line + ")\n";
}

/** The reply text for a whitelisted or refused word. */
export function fourLetterReply(word: string, replica: Replica, env: FourLetterEnv): string {
  const cfg = replica.config;
  if (!cfg.fourLetterWhitelist.has("*") && !cfg.fourLetterWhitelist.has(word)) {
    return `${word} is not executed because it is not in the whitelist.\n`;
  }
  const ids = [...replica.connections.keys()];
  // A member without a leader has no running server behind it, as in ZooKeeper.
  if (replica.role === "looking") {
    if (word === "ruok") return "imok";
    if (word === "isro") return "null";
    if (word !== "conf" && word !== "envi") return NOT_SERVING;
  }
  switch (word) {
    case "ruok":
      return "imok";
    case "isro":
      return replica.role === "readonly" ? "ro" : "rw";
    case "srvr":
      return `Zookeeper version: ${env.versionLine}\n` + serverSummary(replica, env);
    case "stat":
      return `Zookeeper version: ${env.versionLine}\nClients:\n` +
        ids.map((id) => connectionLine(replica, false, id)).join("") + "\n" +
        serverSummary(replica, env);
    case "cons":
      return ids.map((id) => connectionLine(replica, true, id)).join("") + "\n";
    case "crst":
      for (const c of replica.connections.values()) c.stats.reset();
      return "Connection stats reset.\n";
    case "srst":
      replica.stats.reset();
      return "Server stats reset.\n";
    case "conf":
      return [
        `clientPort=${env.clientAddress?.()?.port ?? cfg.clientPort}`,
        `secureClientPort=-1`,
        `dataDir=${cfg.dataDir}/version-2`,
        `dataDirSize=${env.dataDirBytes()}`,
        `dataLogDir=${cfg.dataLogDir}/version-2`,
        `dataLogSize=${env.dataLogDirBytes()}`,
        `tickTime=${cfg.tickMs}`,
        `maxClientCnxns=${cfg.maxClientCnxns}`,
        `minSessionTimeout=${cfg.minSessionTimeoutMs}`,
        `maxSessionTimeout=${cfg.maxSessionTimeoutMs}`,
        `clientPortListenBacklog=-1`,
        `serverId=0`,
      ].join("\n") + "\n";
    case "envi":
      return "Environment:\n" + `zookeeper.version=${env.versionLine}\n` +
        env.environment.map(([k, v]) => `${k}=${v}\n`).join("");
    case "dirs":
      return `datadir_size: ${env.dataDirBytes()}\nlogdir_size: ${env.dataLogDirBytes()}\n`;
    case "gtmk":
      return "0";
    case "stmk":
      return "0\n";
    case "hash":
      return "";
    case "wchs": {
      const byPath = replica.watches.byPath("data");
      let total = 0;
      for (const conns of byPath.values()) total += conns.length;
      const watching = replica.watches.connectionsWatching("data").length;
      return `${watching} connections watching ${byPath.size} paths\nTotal watches:${total}\n`;
    }
    case "wchc": {
      let out = "";
      for (const c of replica.connections.values()) {
        const paths = replica.watches.pathsOf(c.id, "data");
        if (paths.length === 0) continue;
        out += `${hex64(c.sessionId)}\n` + paths.map((p) => `\t${p}\n`).join("");
      }
      return out;
    }
    case "wchp": {
      let out = "";
      for (const [path, connIds] of replica.watches.byPath("data")) {
        out += `${path}\n`;
        for (const id of connIds) {
          out += `\t${hex64(replica.connections.get(id)?.sessionId ?? 0n)}\n`;
        }
      }
      return out;
    }
    case "dump": {
      const buckets = replica.sessions.buckets();
      let sessions = 0;
      for (const ids of buckets.values()) sessions += ids.length;
      let out = `SessionTracker dump:\nSession Sets (${buckets.size})/(${sessions}):\n`;
      for (const [at, ids] of buckets) {
        out += `${ids.length} expire at ${javaDate(at)}:\n` +
          ids.map((id) => `\t${hex64(id)}\n`).join("");
      }
      const eph = replica.tree.ephemerals;
      out += `ephemeral nodes dump:\nSessions with Ephemerals (${eph.size}):\n`;
      for (const [sid, paths] of eph) {
        out += `${hex64(sid)}:\n` + [...paths].sort().map((p) => `\t${p}\n`).join("");
      }
      out += `Connections dump:\nConnections Sets (0)/(${replica.connections.size}):\n`;
      return out;
    }
    case "mntr":
      return mntr(replica, env);
    default:
      return "";
  }
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** java.util.Date.toString() in UTC: "Tue Nov 24 16:21:00 UTC 2026". */
export function javaDate(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${p(d.getUTCDate())} ` +
    `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${
      p(d.getUTCSeconds())
    } UTC ${d.getUTCFullYear()}`;
}

function mntr(replica: Replica, env: FourLetterEnv): string {
  const s = replica.stats;
  const lines: Array<[string, string | number]> = [
    ["zk_version", env.versionLine],
    [
      "zk_server_state",
      replica.role === "readonly" ? "read-only" : env.quorum?.()?.mode ?? "standalone",
    ],
    ["zk_avg_latency", javaDouble(s.latencyCount === 0 ? 0 : s.latencyTotalMs / s.latencyCount)],
    ["zk_max_latency", s.latencyMaxMs],
    ["zk_min_latency", s.latencyCount === 0 ? 0 : s.latencyMinMs],
    ["zk_packets_received", s.packetsReceived],
    ["zk_packets_sent", s.packetsSent],
    ["zk_num_alive_connections", replica.connections.size],
    ["zk_outstanding_requests", replica.outstanding],
    ["zk_uptime", env.nowMs() - replica.startedAtMs],
    ["zk_znode_count", replica.tree.nodeCount],
    ["zk_watch_count", replica.watches.count],
    ["zk_ephemerals_count", replica.tree.ephemeralCount],
    ["zk_approximate_data_size", replica.tree.approximateDataBytes],
    ["zk_global_sessions", replica.sessions.size],
    ["zk_local_sessions", 0],
    ["zk_open_file_descriptor_count", env.openFileDescriptors()],
    ["zk_max_file_descriptor_count", env.maxFileDescriptors()],
    ["zk_connection_drop_probability", "0.0"],
    ["zk_outstanding_tls_handshake", 0],
    ["zk_auth_failed_count", s.authFailed],
    ["zk_non_mtls_remote_conn_count", 0],
    ["zk_non_mtls_local_conn_count", 0],
  ];
  const q = env.quorum?.() ?? null;
  if (q !== null) {
    lines.push(["zk_peer_state", q.peerState]);
    if (q.mode === "leader") {
      lines.push(
        ["zk_learners", q.learners],
        ["zk_synced_followers", q.syncedFollowers],
        ["zk_synced_non_voting_followers", 0],
        ["zk_synced_observers", q.syncedObservers],
        ["zk_pending_syncs", q.pendingProposals],
      );
    }
  }
  return lines.map(([k, v]) => `${k}\t${v}\n`).join("");
}
