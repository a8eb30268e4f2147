/**
 * `zkd start [--config PATH] [--log-level L] [--log-json]`: runs the server in the
 * foreground until SIGTERM/SIGINT, then stops accepting, finishes what is in flight and
 * returns 0. A bad config is one line naming the problem and a non-zero exit.
 */

import { parseArgs } from "node:util";
import {
  buildConfig,
  type Config,
  ConfigError,
  DEFAULT_ZOO_CFG,
  parseProperties,
} from "../config/config.ts";
import { ZkServer } from "../server/server.ts";
import {
  type HttpEndpoints,
  httpUrl,
  readInitialConfig,
  serverAdminContext,
  startHttpEndpoints,
} from "../admin/http_server.ts";
import { sdNotify } from "../server/sd_notify.ts";
import { createLogger, isLevel, type Logger } from "../server/log.ts";
import { VERSION } from "../version.ts";
import { UsageError } from "./usage_error.ts";

const encoder = new TextEncoder();

export function loadConfig(path: string | undefined): Config {
  let text = DEFAULT_ZOO_CFG;
  if (path !== undefined) {
    try {
      text = Deno.readTextFileSync(path);
    } catch (e) {
      throw new ConfigError(`cannot read config file ${path}: ${(e as Error).message}`);
    }
  }
  return buildConfig(parseProperties(text), { readMyId, readConfigFile });
}

/** The text of a file zoo.cfg names (its dynamicConfigFile), or null if there is none. */
function readConfigFile(path: string): string | null {
  try {
    return Deno.readTextFileSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw new ConfigError(`cannot read ${path}: ${(e as Error).message}`);
  }
}

/** The text of `<dataDir>/myid` (ZooKeeper's server id file), or null if there is none. */
function readMyId(dataDir: string): string | null {
  const path = `${dataDir}/myid`;
  try {
    return Deno.readTextFileSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw new ConfigError(`cannot read ${path}: ${(e as Error).message}`);
  }
}

export async function runStart(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        config: { type: "string", short: "c" },
        "log-level": { type: "string", default: "info" },
        "log-json": { type: "boolean", default: false },
      },
      allowPositionals: true,
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const level = parsed.values["log-level"]!;
  if (!isLevel(level)) {
    throw new UsageError(`invalid --log-level '${level}' (debug, info, warn, error)`);
  }
  // zkServer.sh-style positional config path is accepted too.
  const configPath = parsed.values.config ?? parsed.positionals[0];
  const log = createLogger({
    level,
    json: parsed.values["log-json"]!,
    write: (line) => Deno.stderr.writeSync(encoder.encode(line + "\n")),
  });

  const config = loadConfig(configPath);
  for (const { key, why } of config.ignored) log.info(`ignoring zoo.cfg key ${key}: ${why}`);
  for (const warning of config.warnings) log.warn(warning);
  Deno.mkdirSync(config.dataDir, { recursive: true });

  const server = new ZkServer(config, log, undefined, { configPath });
  log.info(server.core.recoverySummary);
  try {
    server.start();
  } catch (e) {
    const self = config.ensemble?.self;
    throw new ConfigError(
      `cannot listen on ${config.clientPortAddress}:${config.clientPort}` +
        (self ? ` or quorum port ${self.host}:${self.quorumPort}` : "") +
        `: ${(e as Error).message}`,
    );
  }
  banner(log, config, configPath, server);
  let stopping = false;
  let http: HttpEndpoints;
  try {
    const admin = serverAdminContext(server, {
      initialConfig: readInitialConfig(configPath),
      running: () => !stopping,
    });
    http = startHttpEndpoints(config, admin, log);
  } catch (e) {
    await server.stop(1000);
    throw e;
  }
  httpBanner(log, config, http);
  await sdNotify("READY=1", log);

  const stopped = Promise.withResolvers<void>();
  const onSignal = (name: string) => () => {
    log.info(`${name} received: stopping`);
    stopping = true;
    Promise.all([sdNotify("STOPPING=1", log), server.stop(), http.stop()]).then(() =>
      stopped.resolve()
    );
  };
  const term = onSignal("SIGTERM");
  const int = onSignal("SIGINT");
  Deno.addSignalListener("SIGTERM", term);
  Deno.addSignalListener("SIGINT", int);
  const failure = await Promise.race([stopped.promise, server.failed]).then(
    () => null,
    (e: Error) => e,
  );
  if (failure !== null) {
    // Fail-stop: after a failed fsync nothing written since can be trusted; restart recovers.
    log.error(`stopping after a write-ahead log failure: ${failure.message}`);
    await Promise.all([server.stop(1000), http.stop()]);
    return 1;
  }
  Deno.removeSignalListener("SIGTERM", term);
  Deno.removeSignalListener("SIGINT", int);
  log.info("stopped");
  return 0;
}

function banner(log: Logger, config: Config, path: string | undefined, server: ZkServer): void {
  const addr = server.address;
  const ensemble = config.ensemble;
  log.info(
    `zkd ${VERSION} ${ensemble ? `ensemble member ${ensemble.myId}` : "standalone"}, ` +
      `config ${path ?? "(embedded default)"}`,
  );
  if (ensemble) {
    log.info(
      `ensemble: ${
        ensemble.members.map((m) => `${m.id}=${m.host}:${m.quorumPort}(${m.role})`).join(" ")
      } initLimit=${ensemble.initLimitTicks} syncLimit=${ensemble.syncLimitTicks}`,
    );
  }
  log.info(
    `tickTime=${config.tickMs}ms dataDir=${config.dataDir} dataLogDir=${config.dataLogDir} ` +
      `sessionTimeout=${config.minSessionTimeoutMs}..${config.maxSessionTimeoutMs}ms ` +
      `maxClientCnxns=${config.maxClientCnxns} jute.maxbuffer=${config.frameBytesMax} ` +
      `4lw=${[...config.fourLetterWhitelist].join(",")} ` +
      `superDigest=${config.superDigest === null ? "unset" : "set"}`,
  );
  log.info(`zkd listening on ${addr.hostname}:${addr.port}`);
}

function httpBanner(log: Logger, config: Config, http: HttpEndpoints): void {
  if (http.admin !== null) {
    log.info(`admin server on ${httpUrl(http.admin, config.adminCommandUrl)}`);
  } else if (!config.adminServerEnabled) {
    log.info("admin server disabled (admin.enableServer=false)");
  }
  if (http.metrics !== null) log.info(`Prometheus metrics on ${httpUrl(http.metrics, "/metrics")}`);
}
