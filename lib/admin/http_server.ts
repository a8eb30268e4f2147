/**
 * The two HTTP endpoints of a running server, on Deno.serve:
 *
 * - the admin API (admin.enableServer, admin.serverAddress:admin.serverPort, default
 *   0.0.0.0:8080): `GET <admin.commandURL>` lists the commands, `GET <admin.commandURL>/<name>`
 *   runs one (commands.ts). As in ZooKeeper, a port that cannot be bound is a warning: the
 *   server goes on serving clients without it.
 * - Prometheus `/metrics` (metricsProvider.className = ZooKeeper's PrometheusMetricsProvider,
 *   metricsProvider.httpHost:httpPort, default 0.0.0.0:7000). As in ZooKeeper, a metrics port
 *   that cannot be bound stops start-up: the operator asked for it.
 */

import { type Config, ConfigError, DEFAULT_ZOO_CFG } from "../config/config.ts";
import type { ZkServer } from "../server/server.ts";
import type { Logger } from "../server/log.ts";
import { hostEnvironment } from "../server/host_env.ts";
import { parseSnapshotFileName, snapshotDir } from "../snapshot/files.ts";
import { type AdminContext, commandLinks, runCommand } from "./commands.ts";
import { jacksonJson } from "./json.ts";
import type { FourLetterEnv } from "./four_letter.ts";
import {
  gatherMetrics,
  type MetricsSnapshot,
  processMetrics,
  PROMETHEUS_CONTENT_TYPE,
  renderPrometheus,
  serverStateOf,
} from "./metrics.ts";
import { EnsembleCore } from "../server/ensemble_core.ts";

export interface HttpEndpoints {
  /** Where the admin API listens, or null (disabled, or the port could not be bound). */
  readonly admin: Deno.NetAddr | null;
  /** Where /metrics listens, or null (Prometheus not configured). */
  readonly metrics: Deno.NetAddr | null;
  /** Stops both servers; requests in flight are answered first. */
  stop(): Promise<void>;
}

function textResponse(status: number, text: string): Response {
  return new Response(text, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}

/** The commandURL without a trailing slash ("/commands"); "/" becomes "". */
function normalizeBase(url: string): string {
  const withSlash = url.startsWith("/") ? url : `/${url}`;
  return withSlash.replace(/\/+$/, "");
}

/** The admin API's request handler (exported for tests that do not need a socket). */
export function adminHandler(
  ctx: AdminContext,
  commandUrl: string,
): (req: Request) => Response {
  const base = normalizeBase(commandUrl);
  return (req) => {
    const url = new URL(req.url);
    const path = url.pathname;
    if (path !== base && !path.startsWith(`${base}/`)) return textResponse(404, "Not Found\n");
    if (req.method !== "GET" && req.method !== "HEAD") {
      return new Response(`HTTP method ${req.method} is not supported by this URL\n`, {
        status: 405,
        headers: { allow: "GET, HEAD", "content-type": "text/plain; charset=utf-8" },
      });
    }
    const rest = path.slice(base.length);
    if (rest === "" || rest === "/") {
      return new Response(commandLinks(base), {
        headers: { "content-type": "text/html; charset=utf-8" },
      });
    }
    let name: string;
    try {
      name = decodeURIComponent(rest.slice(1));
    } catch {
      name = rest.slice(1);
    }
    const answer = runCommand(name, ctx, url.searchParams);
    return new Response(jacksonJson(answer.body), {
      headers: { "content-type": "application/json" },
    });
  };
}

/** The /metrics request handler. */
export function metricsHandler(
  snapshot: () => MetricsSnapshot,
  process: () => ReturnType<typeof processMetrics>,
): (req: Request) => Response {
  return (req) => {
    const url = new URL(req.url);
    if (url.pathname !== "/metrics") return textResponse(404, "Not Found\n");
    if (req.method !== "GET" && req.method !== "HEAD") {
      return textResponse(405, `HTTP method ${req.method} is not supported by this URL\n`);
    }
    return new Response(renderPrometheus(snapshot(), process()), {
      headers: { "content-type": PROMETHEUS_CONTENT_TYPE },
    });
  };
}

/** The newest snapshot file in dataDir: its zxid, and its mtime in seconds. */
export function newestSnapshot(dataDir: string): { zxid: number; timestampS: number } | null {
  const dir = snapshotDir(dataDir);
  let best: { zxid: number; name: string } | null = null;
  try {
    for (const e of Deno.readDirSync(dir)) {
      const zxid = e.isFile ? parseSnapshotFileName(e.name) : null;
      if (zxid !== null && (best === null || zxid > best.zxid)) best = { zxid, name: e.name };
    }
    if (best === null) return null;
    const mtime = Deno.statSync(`${dir}/${best.name}`).mtime;
    return { zxid: best.zxid, timestampS: Math.floor((mtime?.getTime() ?? 0) / 1000) };
  } catch {
    return null;
  }
}

/** The zoo.cfg text a server starts from (initial_configuration); "" if it cannot be read. */
export function readInitialConfig(path: string | undefined): string {
  if (path === undefined) return DEFAULT_ZOO_CFG;
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return "";
  }
}

/** zoo.cfg text with the super user's digest replaced: the admin API never shows secrets. */
export function redactConfig(text: string): string {
  return text.replace(
    /^(\s*(?:zookeeper\.)?DigestAuthenticationProvider\.superDigest\s*[=:\s]\s*).*$/gm,
    "$1<redacted>",
  );
}

function envOrUnknown(name: string): string {
  try {
    return Deno.env.get(name) ?? "<NA>";
  } catch {
    return "<NA>";
  }
}

/** Memory in ZooKeeper's envi style ("17MB"), from V8's heap. */
function processEnvironment(): Array<[string, string]> {
  const mb = (bytes: number) => `${Math.round(bytes / (1024 * 1024))}MB`;
  const m = Deno.memoryUsage();
  return [
    ["user.name", envOrUnknown("USER")],
    ["user.home", envOrUnknown("HOME")],
    ["os.memory.free", mb(m.heapTotal - m.heapUsed)],
    ["os.memory.total", mb(m.heapTotal)],
    ["os.memory.rss", mb(m.rss)],
  ];
}

export interface ServerAdminOptions {
  /** The zoo.cfg text the server started from (redacted here). */
  initialConfig: string;
  /** False once the process is stopping. */
  running: () => boolean;
}

/** The admin context of a running ZkServer, standalone or ensemble member. */
export function serverAdminContext(server: ZkServer, opts: ServerAdminOptions): AdminContext {
  const config = server.config;
  const core = server.core;
  const env: FourLetterEnv = {
    ...hostEnvironment(config),
    quorum: () => core.quorumStatus(),
    clientAddress: () => server.listening,
  };
  const replica = server.replica;
  return {
    replica,
    config,
    env,
    serverState: () => serverStateOf(replica, env),
    readOnly: () => replica.role === "readonly",
    ensemble: config.ensemble,
    leaderId: () => core instanceof EnsembleCore ? core.member.raft.leaderId : null,
    serving: () => opts.running() && replica.role !== "looking",
    metrics: () => gatherMetrics({ replica, env }),
    initialConfig: redactConfig(opts.initialConfig),
    lastSnapshot: () => newestSnapshot(config.dataDir),
    extraEnvironment: processEnvironment,
    state: { traceMask: 0n },
  };
}

function serve(
  hostname: string,
  port: number,
  handler: (req: Request) => Response,
  log: Logger,
  what: string,
): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve({
    hostname,
    port,
    onListen: () => {},
    onError: (e) => {
      log.error(`${what}: ${(e as Error).message}`);
      return textResponse(500, "Internal Server Error\n");
    },
  }, handler);
}

/**
 * Starts the endpoints the config enables. Throws ConfigError when /metrics cannot listen (after
 * stopping the admin server); an admin port that cannot be bound is logged and skipped.
 */
export function startHttpEndpoints(
  config: Config,
  ctx: AdminContext,
  log: Logger,
): HttpEndpoints {
  const servers: Deno.HttpServer<Deno.NetAddr>[] = [];
  let admin: Deno.NetAddr | null = null;
  let metrics: Deno.NetAddr | null = null;
  if (config.adminServerEnabled) {
    try {
      const s = serve(
        config.adminServerAddress,
        config.adminServerPort,
        adminHandler(ctx, config.adminCommandUrl),
        log,
        "admin server",
      );
      servers.push(s);
      admin = s.addr;
    } catch (e) {
      log.warn(
        `admin server not started: cannot listen on ${config.adminServerAddress}:` +
          `${config.adminServerPort}: ${(e as Error).message}; clients are served as usual ` +
          `(set admin.serverPort, or admin.enableServer=false)`,
      );
    }
  }
  if (config.metricsPrometheusEnabled) {
    try {
      const s = serve(
        config.metricsHttpHost,
        config.metricsHttpPort,
        metricsHandler(ctx.metrics, () => processMetrics(ctx.env)),
        log,
        "metrics server",
      );
      servers.push(s);
      metrics = s.addr;
    } catch (e) {
      for (const s of servers) s.shutdown().catch(() => {});
      throw new ConfigError(
        `cannot listen on ${config.metricsHttpHost}:${config.metricsHttpPort} for /metrics ` +
          `(metricsProvider.httpPort): ${(e as Error).message}`,
      );
    }
  }
  return {
    admin,
    metrics,
    async stop() {
      await Promise.all(servers.map((s) => s.shutdown().catch(() => {})));
    },
  };
}

/** "http://host:port" for a log line (IPv6 in brackets). */
export function httpUrl(addr: Deno.NetAddr, path: string): string {
  const host = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
  return `http://${host}:${addr.port}${path}`;
}
