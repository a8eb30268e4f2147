/**
 * zoo.cfg -> a validated, frozen Config. Every limit lives here, with its unit in its name.
 * A zoo.cfg written for Apache ZooKeeper must start zkd unchanged: keys that only mean
 * something to the JVM server are reported as ignored, unknown keys likewise; a known key
 * with an invalid value is a ConfigError naming key and value.
 */

import { OperatorError } from "../util/operator_error.ts";
import { buildEnsemble, ENSEMBLE_KEYS, type EnsembleConfig } from "./ensemble.ts";

export type { EnsembleConfig, EnsembleMember, MemberRole } from "./ensemble.ts";

export class ConfigError extends OperatorError {
  override name = "ConfigError";
}

export interface Config {
  readonly tickMs: number;
  readonly dataDir: string;
  readonly dataLogDir: string;
  readonly clientPort: number;
  readonly clientPortAddress: string;
  /** Per client IP; 0 = no limit. */
  readonly maxClientCnxns: number;
  /** Server-wide; 0 = no limit. */
  readonly maxCnxns: number;
  readonly minSessionTimeoutMs: number;
  readonly maxSessionTimeoutMs: number;
  /** Four-letter words allowed; "*" allows all. Always contains srvr. */
  readonly fourLetterWhitelist: ReadonlySet<string>;
  /** Largest frame accepted (jute.maxbuffer), bytes. */
  readonly frameBytesMax: number;
  readonly extendedTypesEnabled: boolean;
  readonly containerCheckIntervalMs: number;
  /** `user:base64sha1` granting super, or null. */
  readonly superDigest: string | null;
  readonly skipAcl: boolean;
  /** Requests in flight across all connections before the server stops reading sockets. */
  readonly globalOutstandingLimit: number;
  /** Requests in flight on one connection before the server stops reading it. */
  readonly connectionOutstandingLimit: number;
  /** A connection that has not completed its handshake in this long is closed. */
  readonly handshakeTimeoutMs: number;
  readonly reconfigEnabled: boolean;
  readonly snapCount: number;
  readonly preAllocSizeKb: number;
  readonly forceSync: boolean;
  readonly autopurgeSnapRetainCount: number;
  /** How often old snapshots and logs are purged; 0 = never. */
  readonly autopurgePurgeIntervalMs: number;
  /** admin.enableServer: the admin HTTP API (ZooKeeper's AdminServer `/commands`). */
  readonly adminServerEnabled: boolean;
  readonly adminServerAddress: string;
  /** 0 picks a free port. */
  readonly adminServerPort: number;
  /** admin.commandURL: where the commands are served. */
  readonly adminCommandUrl: string;
  /** Prometheus `/metrics`: on when metricsProvider.className names ZooKeeper's provider. */
  readonly metricsPrometheusEnabled: boolean;
  readonly metricsHttpHost: string;
  /** 0 picks a free port. */
  readonly metricsHttpPort: number;
  /** The ensemble this server is a member of (server.N lines, myid), or null: standalone. */
  readonly ensemble: EnsembleConfig | null;
  /** Keys that were present but are ignored, with why (logged at start). */
  readonly ignored: ReadonlyArray<{ key: string; why: string }>;
  /** Doubtful but valid settings (an even ensemble, ...), logged at start as warnings. */
  readonly warnings: ReadonlyArray<string>;
}

/** Parses Java-properties text (the zoo.cfg format) into key/value pairs, in file order. */
export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i].trimStart();
    if (line === "" || line.startsWith("#") || line.startsWith("!")) continue;
    // A trailing backslash continues the value on the next line.
    while (line.endsWith("\\") && i + 1 < lines.length) {
      line = line.slice(0, -1) + lines[++i].trimStart();
    }
    const m = /^([^=:\s]+)\s*[=:\s]\s*(.*)$/.exec(line);
    if (m === null) out.set(line.trim(), "");
    else out.set(m[1], m[2].trim());
  }
  return out;
}

/** Keys zkd reads (plus the zookeeper.-prefixed spelling some people write). */
const knownKeys = new Set([
  "tickTime",
  "dataDir",
  "dataLogDir",
  "clientPort",
  "clientPortAddress",
  "maxClientCnxns",
  "maxCnxns",
  "minSessionTimeout",
  "maxSessionTimeout",
  "4lw.commands.whitelist",
  "jute.maxbuffer",
  "extendedTypesEnabled",
  "znode.container.checkIntervalMs",
  "DigestAuthenticationProvider.superDigest",
  "skipACL",
  "globalOutstandingLimit",
  "connectionOutstandingLimit",
  "nio.sessionlessCnxnTimeout",
  "reconfigEnabled",
  "snapCount",
  "preAllocSize",
  "forceSync",
  "autopurge.snapRetainCount",
  "autopurge.purgeInterval",
  "admin.enableServer",
  "admin.serverAddress",
  "admin.serverPort",
  "admin.commandURL",
  "metricsProvider.className",
  "metricsProvider.httpHost",
  "metricsProvider.httpPort",
]);

/** metricsProvider.className values: ZooKeeper serves /metrics only for the Prometheus one. */
export const PROMETHEUS_PROVIDER =
  "org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider";
const NO_HTTP_PROVIDERS = [
  "org.apache.zookeeper.metrics.impl.DefaultMetricsProvider",
  "org.apache.zookeeper.metrics.impl.NullMetricsProvider",
];

/** Keys that configure parts zkd does not have (yet) or that only mean something to a JVM. */
const ignoredPrefixes: Array<[RegExp, string]> = [
  [/^myid$/, "the server id is read from dataDir/myid, as in ZooKeeper"],
  [
    /^(observerMasterPort|connectToLearnerMasterLimit|electionPortBindRetry|cnxTimeout|leaderServes|syncEnabled)$/,
    "quorum setting with no zkd equivalent",
  ],
  [
    /^(authProvider\.|sasl|kerberos|superUser|quorum\.|ssl|secureClientPort|portUnification|client\.secure|serverCnxnFactory|clientCnxnSocket)/,
    "JVM authentication/TLS setting",
  ],
  [/^admin\./, "Jetty/TLS setting of ZooKeeper's AdminServer with no zkd equivalent"],
  [
    /^(metricsProvider\.|jvm\.|audit\.|nio\.|netty\.|fsync\.|maxResponseCacheSize|maxGetChildrenResponseCacheSize|clientPortListenBacklog|multiAddress\.|localSessions|oraclePath|tcpKeepAlive|clientTcpKeepAlive|digest\.enabled|snapshot\.|serializeLastProcessedZxid|closeSessionTxn|snapSizeLimitInKb|txnLogSizeLimitInKb|commitLogCount|flushDelay|maxBatchSize|requestThrottle|largeRequest|connection|enforce|emulate353TTLNodes|enforceQuota|jute\.maxbuffer\.extrasize|DigestAuthenticationProvider\.(enabled|digestAlg))/,
    "JVM tuning setting with no zkd equivalent",
  ],
];

function fail(key: string, value: string, why: string): never {
  throw new ConfigError(`invalid value for ${key}: '${value}' (${why})`);
}

function intValue(key: string, value: string, min: number, max = 0x7fffffff): number {
  if (!/^-?\d+$/.test(value)) fail(key, value, "not an integer");
  const n = Number(value);
  if (n < min || n > max) fail(key, value, `must be between ${min} and ${max}`);
  return n;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A duration: a bare integer counts in `bareUnitMs` (hours for autopurge.purgeInterval, as in
 * ZooKeeper 3.8); a number with a unit suffix (ms, s, m, h, d) is accepted as ZooKeeper 3.10 does.
 */
function durationMs(key: string, value: string, bareUnitMs: number): number {
  const m = /^(\d+)(ms|s|m|h|d)?$/.exec(value.trim());
  if (m === null) return fail(key, value, "expected an integer, optionally with ms, s, m, h or d");
  return Number(m[1]) * (m[2] === undefined ? bareUnitMs : UNIT_MS[m[2]]);
}

function boolValue(key: string, value: string): boolean {
  const v = value.toLowerCase();
  if (v === "true" || v === "yes") return true;
  if (v === "false" || v === "no") return false;
  return fail(key, value, "expected true or false");
}

export interface ConfigDefaults {
  /** Used when the file sets no dataDir (the embedded default config). */
  dataDir?: string;
  /**
   * The text of `<dataDir>/myid`, or null when the file does not exist; called only when the
   * config has server.N lines. The shell reads the file (start.ts); default: no file.
   */
  readMyId?: (dataDir: string) => string | null;
  /**
   * The text of a file the config names (the dynamicConfigFile), or null when it does not
   * exist; called only when zoo.cfg sets dynamicConfigFile. The shell reads the file
   * (start.ts); default: no file.
   */
  readConfigFile?: (path: string) => string | null;
}

/**
 * Builds a Config from zoo.cfg properties. `defaults` fill gaps for the embedded default
 * configuration only; a real zoo.cfg must name dataDir, as ZooKeeper requires.
 */
export function buildConfig(props: Map<string, string>, defaults: ConfigDefaults = {}): Config {
  const values = new Map<string, string>();
  const ignored: Array<{ key: string; why: string }> = [];
  const quorumLines = new Map<string, string>();
  for (const [rawKey, value] of props) {
    if (/^(server|group|weight)\./.test(rawKey)) {
      quorumLines.set(rawKey, value);
      continue;
    }
    const key = rawKey.startsWith("zookeeper.") ? rawKey.slice("zookeeper.".length) : rawKey;
    // ENSEMBLE_KEYS only at call time: ensemble.ts imports ConfigError from here (a cycle).
    if (knownKeys.has(key) || ENSEMBLE_KEYS.includes(key)) {
      values.set(key, value);
      continue;
    }
    const hit = ignoredPrefixes.find(([re]) => re.test(key));
    ignored.push({ key: rawKey, why: hit ? hit[1] : "unknown key" });
  }
  const get = (k: string) => values.get(k);

  const tickMs = get("tickTime") !== undefined ? intValue("tickTime", get("tickTime")!, 1) : 3000;
  const dataDir = get("dataDir") ?? defaults.dataDir;
  if (dataDir === undefined || dataDir === "") {
    throw new ConfigError("dataDir is not set");
  }
  const clientPortText = get("clientPort");
  const client = buildEnsemble({
    lines: quorumLines,
    get,
    dataDir,
    readMyId: defaults.readMyId ?? (() => null),
    readConfigFile: defaults.readConfigFile ?? (() => null),
    clientPort: clientPortText === undefined
      ? null
      : intValue("clientPort", clientPortText, 1, 65535),
    clientPortAddress: get("clientPortAddress") ?? null,
  });
  if (client.clientPort === null) throw new ConfigError("clientPort is not set");
  const clientPort = client.clientPort;
  const minSessionTimeoutMs = get("minSessionTimeout") !== undefined
    ? intValue("minSessionTimeout", get("minSessionTimeout")!, -1)
    : -1;
  const maxSessionTimeoutMs = get("maxSessionTimeout") !== undefined
    ? intValue("maxSessionTimeout", get("maxSessionTimeout")!, -1)
    : -1;
  // ZooKeeper: -1 (or absent) means the default of 2 and 20 ticks.
  const minMs = minSessionTimeoutMs === -1 ? 2 * tickMs : minSessionTimeoutMs;
  const maxMs = maxSessionTimeoutMs === -1 ? 20 * tickMs : maxSessionTimeoutMs;
  if (minMs > maxMs) {
    throw new ConfigError(
      `invalid value for minSessionTimeout: '${minMs}' (must not be greater than maxSessionTimeout ${maxMs})`,
    );
  }

  const whitelistText = get("4lw.commands.whitelist");
  const whitelist = new Set<string>(["srvr"]);
  if (whitelistText !== undefined) {
    for (const w of whitelistText.split(",").map((s) => s.trim()).filter((s) => s !== "")) {
      if (w !== "*" && !/^[a-z]{4}$/.test(w)) {
        fail("4lw.commands.whitelist", whitelistText, `'${w}' is not a four-letter word`);
      }
      whitelist.add(w);
    }
  }

  const superDigest = get("DigestAuthenticationProvider.superDigest") ?? null;
  if (superDigest !== null && !/^[^:]+:[A-Za-z0-9+/=]+$/.test(superDigest)) {
    fail("DigestAuthenticationProvider.superDigest", superDigest, "expected user:base64sha1");
  }
  const metricsProvider = get("metricsProvider.className");
  if (
    metricsProvider !== undefined && metricsProvider !== PROMETHEUS_PROVIDER &&
    !NO_HTTP_PROVIDERS.includes(metricsProvider)
  ) {
    fail("metricsProvider.className", metricsProvider, `zkd provides ${PROMETHEUS_PROVIDER}`);
  }
  const globalOutstandingLimit = get("globalOutstandingLimit") !== undefined
    ? intValue("globalOutstandingLimit", get("globalOutstandingLimit")!, 1)
    : 1000;

  return Object.freeze({
    tickMs,
    dataDir,
    dataLogDir: get("dataLogDir") ?? dataDir,
    clientPort,
    clientPortAddress: client.clientPortAddress,
    maxClientCnxns: get("maxClientCnxns") !== undefined
      ? intValue("maxClientCnxns", get("maxClientCnxns")!, 0)
      : 60,
    maxCnxns: get("maxCnxns") !== undefined ? intValue("maxCnxns", get("maxCnxns")!, 0) : 0,
    minSessionTimeoutMs: minMs,
    maxSessionTimeoutMs: maxMs,
    fourLetterWhitelist: whitelist,
    frameBytesMax: get("jute.maxbuffer") !== undefined
      ? intValue("jute.maxbuffer", get("jute.maxbuffer")!, 1024)
      : 0xfffff,
    extendedTypesEnabled: get("extendedTypesEnabled") !== undefined
      ? boolValue("extendedTypesEnabled", get("extendedTypesEnabled")!)
      : false,
    containerCheckIntervalMs: get("znode.container.checkIntervalMs") !== undefined
      ? intValue("znode.container.checkIntervalMs", get("znode.container.checkIntervalMs")!, 1)
      : 60000,
    superDigest,
    // ZooKeeper honours only the exact string "yes".
    skipAcl: get("skipACL") === "yes",
    globalOutstandingLimit,
    connectionOutstandingLimit: get("connectionOutstandingLimit") !== undefined
      ? intValue("connectionOutstandingLimit", get("connectionOutstandingLimit")!, 1)
      : globalOutstandingLimit,
    handshakeTimeoutMs: get("nio.sessionlessCnxnTimeout") !== undefined
      ? intValue("nio.sessionlessCnxnTimeout", get("nio.sessionlessCnxnTimeout")!, 1)
      : 10000,
    reconfigEnabled: get("reconfigEnabled") !== undefined
      ? boolValue("reconfigEnabled", get("reconfigEnabled")!)
      : false,
    snapCount: get("snapCount") !== undefined
      ? intValue("snapCount", get("snapCount")!, 2)
      : 100000,
    preAllocSizeKb: get("preAllocSize") !== undefined
      ? intValue("preAllocSize", get("preAllocSize")!, 1)
      : 65536,
    forceSync: get("forceSync") !== undefined ? boolValue("forceSync", get("forceSync")!) : true,
    autopurgeSnapRetainCount: get("autopurge.snapRetainCount") !== undefined
      ? Math.max(3, intValue("autopurge.snapRetainCount", get("autopurge.snapRetainCount")!, 1))
      : 3,
    autopurgePurgeIntervalMs: get("autopurge.purgeInterval") !== undefined
      ? durationMs("autopurge.purgeInterval", get("autopurge.purgeInterval")!, 3600 * 1000)
      : 0,
    adminServerEnabled: get("admin.enableServer") !== undefined
      ? boolValue("admin.enableServer", get("admin.enableServer")!)
      : true,
    adminServerAddress: get("admin.serverAddress") ?? "0.0.0.0",
    adminServerPort: get("admin.serverPort") !== undefined
      ? intValue("admin.serverPort", get("admin.serverPort")!, 0, 65535)
      : 8080,
    adminCommandUrl: get("admin.commandURL") ?? "/commands",
    metricsPrometheusEnabled: metricsProvider === PROMETHEUS_PROVIDER,
    metricsHttpHost: get("metricsProvider.httpHost") ?? "0.0.0.0",
    metricsHttpPort: get("metricsProvider.httpPort") !== undefined
      ? intValue("metricsProvider.httpPort", get("metricsProvider.httpPort")!, 0, 65535)
      : 7000,
    ensemble: client.ensemble,
    ignored,
    warnings: client.warnings,
  });
}

/** The embedded default: standalone on 127.0.0.1:2181 with data under ./data. */
export const DEFAULT_ZOO_CFG = `tickTime=2000
dataDir=./data
clientPort=2181
clientPortAddress=127.0.0.1
admin.serverAddress=127.0.0.1
`;
