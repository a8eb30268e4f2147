/**
 * The admin API's commands, as ZooKeeper 3.8's AdminServer names and shapes them
 * (`/commands/<name>`, org.apache.zookeeper.server.admin.Commands): every answer is one JSON
 * object with the command's fields, then `command` (the primary name) and `error` (null, or a
 * message). Any alias works (`srvr` for server_stats, `mntr` for monitor, ...). The ensemble
 * commands (leader, voting_view, zabstate, observers) answer as a standalone ZooKeeper does on a
 * standalone server, and with the member's view in an ensemble.
 *
 * Facts about the host and the process come in through AdminContext, so the shapes are testable
 * without a server; http_server.ts builds the context from a running ZkServer.
 */

import type { Config, EnsembleConfig, EnsembleMember } from "../config/config.ts";
import type { Replica } from "../replica/replica.ts";
import type { FourLetterEnv } from "./four_letter.ts";
import { JavaDouble, javaLong, type Json } from "./json.ts";
import type { MetricsSnapshot } from "./metrics.ts";

export interface AdminContext {
  readonly replica: Replica;
  readonly config: Config;
  readonly env: FourLetterEnv;
  /** mntr's server_state: standalone, leader, follower, observer, read-only, looking. */
  serverState(): string;
  /** A member cut off from the quorum that serves reads (readonlymode.enabled). */
  readOnly(): boolean;
  /** The ensemble this server is a member of, or null: standalone. */
  readonly ensemble: EnsembleConfig | null;
  /** The id of the member the ensemble follows now, or null (standalone, or none). */
  leaderId(): number | null;
  /** False while the server cannot answer clients (stopping, or a member with no leader). */
  serving(): boolean;
  /** The metrics gathered now (monitor). */
  metrics(): MetricsSnapshot;
  /** The zoo.cfg text the server started from, secrets removed. */
  readonly initialConfig: string;
  /** The newest snapshot on disk: zxid and file time in seconds, or null if there is none. */
  lastSnapshot(): { zxid: number; timestampS: number } | null;
  /** Extra `environment` entries (user, memory) after those of env.environment. */
  extraEnvironment(): ReadonlyArray<readonly [string, string]>;
  /** State the commands keep between calls (the trace mask, which zkd does not use). */
  readonly state: { traceMask: bigint };
}

export interface CommandAnswer {
  /** The answer's fields in ZooKeeper's order, command and error included. */
  readonly body: { readonly [key: string]: Json };
}

type Fields = Record<string, Json>;

interface CommandDef {
  /** Primary name first, then aliases. */
  readonly names: readonly string[];
  /** Refused with "not currently serving requests" while the server is not serving. */
  readonly serverRequired: boolean;
  run(ctx: AdminContext, args: URLSearchParams): Fields;
}

const NOT_SERVING = "This ZooKeeper instance is not currently serving requests";

/** "host:port", IPv6 in brackets (QuorumServer.delimitedHostString). */
function hostPort(host: string, port: number): string {
  return `${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/** ServerCnxn.getConnectionInfo(brief). */
function connectionInfo(ctx: AdminContext, brief: boolean): Fields[] {
  const out: Fields[] = [];
  for (const c of ctx.replica.connections.values()) {
    const s = c.stats;
    const info: Fields = {
      remote_socket_address: `${c.remoteIp}:${c.remotePort}`,
      interest_ops: ctx.replica.shouldPause(c.id) ? 0 : 1,
      outstanding_requests: c.queue.length,
      packets_received: s.packetsReceived,
      packets_sent: s.packetsSent,
    };
    if (!brief) {
      Object.assign(info, {
        session_id: javaLong(c.sessionId),
        last_operation: s.lastOpTag,
        established: c.established ? c.establishedAtMs : c.openedAtMs,
        session_timeout: c.negotiatedTimeoutMs,
        last_cxid: s.lastCxid,
        last_zxid: s.lastZxid,
        last_response_time: s.lastResponseAtMs,
        last_latency: s.lastLatencyMs,
        min_latency: s.latencyCount === 0 ? 0 : s.latencyMinMs,
        avg_latency: s.latencyCount === 0 ? 0 : Math.floor(s.latencyTotalMs / s.latencyCount),
        max_latency: s.latencyMaxMs,
      });
    }
    out.push(info);
  }
  return out;
}

/** SrvrCommand: version, read_only, server_stats (ServerStats as a bean), client_response. */
function serverStats(ctx: AdminContext): Fields {
  const { replica, env } = ctx;
  const s = replica.stats;
  // zkd does not measure response sizes; -1 is what ZooKeeper reports before any response.
  const clientResponse = { last_buffer_size: -1, min_buffer_size: -1, max_buffer_size: -1 };
  return {
    version: env.versionLine,
    read_only: ctx.readOnly(),
    server_stats: {
      packets_sent: s.packetsSent,
      packets_received: s.packetsReceived,
      fsync_threshold_exceed_count: 0,
      client_response_stats: clientResponse,
      data_dir_size: env.dataDirBytes(),
      log_dir_size: env.dataLogDirBytes(),
      provider_null: false,
      server_state: ctx.serverState(),
      last_processed_zxid: replica.lastZxid,
      outstanding_requests: replica.outstanding,
      avg_latency: new JavaDouble(
        s.latencyCount === 0 ? 0 : Math.round((s.latencyTotalMs / s.latencyCount) * 1e4) / 1e4,
      ),
      max_latency: s.latencyMaxMs,
      min_latency: s.latencyCount === 0 ? 0 : s.latencyMinMs,
      num_alive_client_connections: replica.connections.size,
      uptime: env.nowMs() - replica.startedAtMs,
      auth_failed_count: s.authFailed,
      non_mtlsremote_conn_count: 0,
      non_mtlslocal_conn_count: 0,
    },
    client_response: { ...clientResponse },
    node_count: replica.tree.nodeCount,
  };
}

function sessionIdsOf(ctx: AdminContext, connIds: readonly number[]): bigint[] {
  return connIds.map((id) => javaLong(ctx.replica.connections.get(id)?.sessionId ?? 0n));
}

/** Java's Long.parseLong: an optional sign and decimal digits, within 64 bits. */
function parseJavaLong(text: string): bigint | null {
  if (!/^[+-]?\d{1,19}$/.test(text)) return null;
  const v = BigInt(text);
  return v === BigInt.asIntN(64, v) ? v : null;
}

const COMMANDS: readonly CommandDef[] = [
  {
    names: ["connection_stat_reset", "crst"],
    serverRequired: true,
    run(ctx) {
      for (const c of ctx.replica.connections.values()) c.stats.reset();
      return {};
    },
  },
  {
    names: ["configuration", "conf", "config"],
    serverRequired: true,
    run(ctx) {
      const c = ctx.config;
      return {
        client_port: ctx.env.clientAddress?.()?.port ?? c.clientPort,
        data_dir: `${c.dataDir}/version-2`,
        data_log_dir: `${c.dataLogDir}/version-2`,
        tick_time: c.tickMs,
        max_client_cnxns: c.maxClientCnxns,
        min_session_timeout: c.minSessionTimeoutMs,
        max_session_timeout: c.maxSessionTimeoutMs,
        server_id: ctx.ensemble?.myId ?? 0,
        client_port_listen_backlog: -1,
      };
    },
  },
  {
    names: ["connections", "cons"],
    serverRequired: true,
    run: (ctx) => ({ connections: connectionInfo(ctx, false), secure_connections: [] }),
  },
  {
    names: ["hash"],
    serverRequired: true,
    // ZooKeeper lists the digests it logged every 128 txns; zkd keeps no such log.
    run: () => ({ digests: [] }),
  },
  {
    names: ["dirs"],
    serverRequired: true,
    run: (ctx) => ({
      datadir_size: ctx.env.dataDirBytes(),
      logdir_size: ctx.env.dataLogDirBytes(),
    }),
  },
  {
    names: ["dump"],
    serverRequired: true,
    run(ctx) {
      const expiry: Record<string, Json> = {};
      for (const [at, ids] of ctx.replica.sessions.buckets()) {
        expiry[String(at)] = ids.map((id) => javaLong(id));
      }
      const ephemerals: Record<string, Json> = {};
      for (const [sid, paths] of ctx.replica.tree.ephemerals) {
        ephemerals[String(javaLong(sid))] = [...paths].sort();
      }
      return { expiry_time_to_session_ids: expiry, session_id_to_ephemeral_paths: ephemerals };
    },
  },
  {
    names: ["environment", "env", "envi"],
    serverRequired: false,
    run(ctx) {
      const out: Fields = { "zookeeper.version": ctx.env.versionLine };
      for (const [k, v] of [...ctx.env.environment, ...ctx.extraEnvironment()]) out[k] = v;
      return out;
    },
  },
  {
    names: ["get_trace_mask", "gtmk"],
    serverRequired: false,
    run: (ctx) => ({ tracemask: ctx.state.traceMask }),
  },
  {
    names: ["initial_configuration", "icfg"],
    serverRequired: true,
    run: (ctx) => ({ initial_configuration: ctx.initialConfig }),
  },
  {
    names: ["is_read_only", "isro"],
    serverRequired: true,
    run: (ctx) => ({ read_only: ctx.readOnly() }),
  },
  {
    names: ["last_snapshot", "lsnp"],
    serverRequired: true,
    run(ctx) {
      const info = ctx.lastSnapshot();
      return {
        zxid: info === null ? "ffffffffffffffff" : info.zxid.toString(16),
        timestamp: info === null ? -1 : info.timestampS,
      };
    },
  },
  {
    names: ["leader", "lead"],
    serverRequired: true,
    run(ctx): Fields {
      // A standalone server is not a QuorumZooKeeperServer: ZooKeeper answers exactly this.
      if (ctx.ensemble === null) return { error: "server is not initialized" };
      const id = ctx.leaderId();
      const leader = ctx.ensemble.members.find((m) => m.id === id);
      return {
        is_leader: id === ctx.ensemble.myId,
        leader_id: id ?? -1,
        leader_ip: leader?.host ?? "",
      };
    },
  },
  {
    names: ["monitor", "mntr"],
    serverRequired: false,
    run(ctx) {
      const snap = ctx.metrics();
      const out: Fields = { version: snap.version, server_state: snap.serverState };
      for (const m of snap.metrics) {
        out[m.name] = m.double && typeof m.value === "number" ? new JavaDouble(m.value) : m.value;
      }
      return out;
    },
  },
  {
    names: ["observer_connection_stat_reset", "orst"],
    serverRequired: true,
    run: () => ({}),
  },
  {
    names: ["ruok"],
    serverRequired: true,
    run: () => ({}),
  },
  {
    names: ["set_trace_mask", "stmk"],
    serverRequired: false,
    run(ctx, args): Fields {
      const text = args.get("traceMask");
      if (text === null) return { error: "setTraceMask requires long traceMask argument" };
      const mask = parseJavaLong(text);
      if (mask === null) {
        return { error: `setTraceMask requires long traceMask argument, got ${text}` };
      }
      ctx.state.traceMask = mask;
      return { tracemask: mask };
    },
  },
  {
    names: ["server_stats", "srvr"],
    serverRequired: true,
    run: serverStats,
  },
  {
    names: ["stats", "stat"],
    serverRequired: true,
    run: (ctx) => ({
      ...serverStats(ctx),
      connections: connectionInfo(ctx, true),
      secure_connections: [],
    }),
  },
  {
    names: ["stat_reset", "srst"],
    serverRequired: true,
    run(ctx) {
      ctx.replica.stats.reset();
      return {};
    },
  },
  {
    names: ["observers", "obsr"],
    serverRequired: true,
    // zkd does not list the observers' connections; the leader counts the synced ones.
    run: (ctx) => ({ synced_observers: ctx.env.quorum?.()?.syncedObservers ?? 0, observers: [] }),
  },
  {
    names: ["system_properties", "sysp"],
    serverRequired: false,
    // zkd has no Java system properties: the process facts of `environment`, sorted by key.
    run(ctx) {
      const entries = [...ctx.env.environment, ...ctx.extraEnvironment()]
        .map(([k, v]) => [k, v] as [string, string])
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return Object.fromEntries(entries);
    },
  },
  {
    names: ["voting_view"],
    serverRequired: true,
    run(ctx) {
      const view: Record<string, Json> = {};
      for (const m of ctx.ensemble?.members ?? []) {
        if (m.role !== "participant") continue;
        view[String(m.id)] = {
          serverAddresses: [hostPort(m.host, m.quorumPort)],
          electionAddresses: [hostPort(m.host, m.electionPort)],
          clientAddress: m.clientPort === null
            ? ""
            : hostPort(m.clientAddress ?? "0.0.0.0", m.clientPort),
          learnerType: m.role,
        };
      }
      return { current_config: view };
    },
  },
  {
    names: ["watches", "wchc"],
    serverRequired: true,
    run(ctx) {
      const out: Record<string, Json> = {};
      for (const c of ctx.replica.connections.values()) {
        const paths = ctx.replica.watches.pathsOf(c.id, "data");
        if (paths.length > 0) out[String(javaLong(c.sessionId))] = paths;
      }
      return { session_id_to_watched_paths: out };
    },
  },
  {
    names: ["watches_by_path", "wchp"],
    serverRequired: true,
    run(ctx) {
      const out: Record<string, Json> = {};
      for (const [path, connIds] of ctx.replica.watches.byPath("data")) {
        out[path] = sessionIdsOf(ctx, connIds);
      }
      return { path_to_session_ids: out };
    },
  },
  {
    names: ["watch_summary", "wchs"],
    serverRequired: true,
    run(ctx) {
      const byPath = ctx.replica.watches.byPath("data");
      let total = 0;
      for (const ids of byPath.values()) total += ids.length;
      return {
        num_connections: ctx.replica.watches.connectionsWatching("data").length,
        num_paths: byPath.size,
        num_total_watches: total,
      };
    },
  },
  {
    names: ["zabstate"],
    serverRequired: false,
    run(ctx): Fields {
      const e = ctx.ensemble;
      if (e === null) return { voting: false, zabstate: "" };
      const zxid = BigInt(ctx.replica.lastZxid);
      const self: EnsembleMember = e.self;
      const state = ctx.serverState();
      return {
        myid: e.myId,
        is_leader: state === "leader",
        quorum_address: hostPort(self.host, self.quorumPort),
        election_address: hostPort(self.host, self.electionPort),
        client_address: hostPort(
          ctx.env.clientAddress?.()?.hostname ?? ctx.config.clientPortAddress,
          ctx.env.clientAddress?.()?.port ?? ctx.config.clientPort,
        ),
        voting: self.role === "participant",
        last_zxid: `0x${zxid.toString(16)}`,
        zab_epoch: Number(zxid >> 32n),
        zab_counter: Number(zxid & 0xffffffffn),
        // Raft has no discovery/synchronization phases: a member serves, or it elects.
        zabstate: state === "looking" ? "election" : "broadcast",
      };
    },
  },
];

const BY_NAME = new Map<string, CommandDef>();
for (const c of COMMANDS) for (const n of c.names) BY_NAME.set(n, c);

/** Primary command names, sorted (the `/commands` listing). */
export const PRIMARY_NAMES: readonly string[] = COMMANDS.map((c) => c.names[0]).sort();

/** Every name a command answers to, aliases included. */
export const ALL_NAMES: readonly string[] = [...BY_NAME.keys()].sort();

/**
 * CommandResponse.toMap(): the command's fields, then `command` and `error`, except that a
 * field the command itself named `error` keeps its place and value (ZooKeeper's LinkedHashMap
 * order: `{"error": ..., "command": ...}` for leader on a standalone server).
 */
function response(command: string, error: string | null, fields: Fields): CommandAnswer {
  const body: Fields = { ...fields };
  body.command = command;
  if (!("error" in fields)) body.error = error;
  return { body };
}

/** Runs the command named `name` (any alias) with query arguments `args`. */
export function runCommand(
  name: string,
  ctx: AdminContext,
  args: URLSearchParams = new URLSearchParams(),
): CommandAnswer {
  const def = BY_NAME.get(name);
  if (def === undefined) return response(name, `Unknown command: ${name}`, {});
  if (def.serverRequired && !ctx.serving()) return response(name, NOT_SERVING, {});
  return response(def.names[0], null, def.run(ctx, args));
}

/** The `/commands` page: one link per primary name, as ZooKeeper's servlet prints them. */
export function commandLinks(commandUrl: string): string {
  return PRIMARY_NAMES.map((n) => `<a href="${commandUrl}/${n}">${n}</a>\n<br/>\n`).join("");
}
