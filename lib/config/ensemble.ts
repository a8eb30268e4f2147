/**
 * The ensemble part of zoo.cfg, read as Apache ZooKeeper 3.8 reads it (QuorumPeerConfig,
 * QuorumPeer.QuorumServer, QuorumMaj), so a zoo.cfg written for a ZooKeeper ensemble
 * describes the same ensemble to zkd:
 *
 *     server.N=host:quorumPort:electionPort[:participant|:observer][;[clientAddress:]clientPort]
 *
 * N is the server id (a non-negative integer; zkd keeps ids as numbers, so up to 2^53-1), host
 * an IPv4 address, a hostname or a bracketed IPv6 address (`[::1]`), the role participant
 * unless `:observer` says otherwise, the client part optional (a bare port listens on
 * 0.0.0.0). This server's id is the first line of `dataDir/myid`; reading that file is the
 * shell's job (the `readMyId` callback), this module stays pure.
 *
 * When it is an ensemble (ZooKeeper's isDistributed): two or more participants, or any
 * participant with `standaloneEnabled=false`. Exactly one participant with
 * standaloneEnabled=true (the default) runs standalone, with a warning, as ZooKeeper does; no
 * server.N lines at all is standalone too (an error with standaloneEnabled=false). An
 * ensemble needs initLimit, syncLimit and a myid that names one of the servers.
 *
 * ZooKeeper's other rules kept here: electionAlg may only be 3; observers need a quorum of
 * participants; quorum and election port of a server must differ; this server's clientPort
 * must agree with the client part of its own server.N line, which wins (and supplies the
 * client port when clientPort is absent); a peerType that disagrees with the server list is a
 * warning and the list wins; an even number of participants, or fewer than three, is a
 * warning. Stricter than ZooKeeper, because each would start a broken ensemble: the same id
 * twice (server.1 and server.01), the same host:port used twice, hierarchical quorums
 * (group.N, weight.N), multiple addresses per server (`a|b`).
 * Host names are compared as written: zkd does not resolve them here.
 *
 * `dynamicConfigFile=PATH` (ZooKeeper 3.5+, written by reconfig): the membership comes from
 * that file instead, and zoo.cfg must then hold no server.N, group* or weight* key (ZooKeeper:
 * "must be in a separate dynamic config file"). The file holds only server.N lines (group* and
 * weight* too in ZooKeeper; zkd refuses them as above); any other key is an error, `version`
 * included: the version is the hex suffix of the file name (`zoo.cfg.dynamic.100000000` ->
 * 0x100000000; a name without a hex suffix means version 0), as QuorumPeerConfig
 * .getVersionFromFilename reads it. The path is used as written (relative to the working
 * directory, as Java opens it); the shell reads the file (the `readConfigFile` callback).
 * Without a dynamic file the version is 0, or the hex `version=` key of zoo.cfg when it has
 * one (QuorumMaj reads it from the static file too).
 *
 * `readonlymode.enabled` is a JVM system property in ZooKeeper; zkd also accepts it as a
 * zoo.cfg key (either spelling, with or without the `zookeeper.` prefix).
 */

// config.ts imports this module too: use ConfigError and parseProperties only inside
// functions, never at the top level, so the cycle is harmless whichever module loads first.
import { ConfigError, parseProperties } from "./config.ts";

export type MemberRole = "participant" | "observer";

export interface EnsembleMember {
  /** The N of server.N. */
  readonly id: number;
  /** Hostname or address, IPv6 without its brackets. */
  readonly host: string;
  /** Where the leader listens for followers (ZooKeeper's "quorum port", 2888 usually). */
  readonly quorumPort: number;
  /** Where leader election listens (3888 usually). */
  readonly electionPort: number;
  readonly role: MemberRole;
  /**
   * The client listening address from the server's line (0.0.0.0 for a bare port); for this
   * server, filled from clientPortAddress/clientPort when its line has no client part. Null
   * when unknown.
   */
  readonly clientAddress: string | null;
  readonly clientPort: number | null;
  /**
   * True when the client address was not on the server's line but comes from zoo.cfg's
   * clientPortAddress/clientPort (only ever this server's own entry: ZooKeeper's
   * isClientAddrFromStatic). /zookeeper/config then shows the line without a client part.
   */
  readonly clientAddressFromStatic: boolean;
}

export interface EnsembleConfig {
  /** Every server.N, participants and observers, by increasing id. */
  readonly members: readonly EnsembleMember[];
  /** This server's id (dataDir/myid). */
  readonly myId: number;
  /** This server's own member entry. */
  readonly self: EnsembleMember;
  /** Ticks a follower may take to connect to and sync with the leader. */
  readonly initLimitTicks: number;
  /** Ticks a follower may fall behind (no answer) before the leader drops it. */
  readonly syncLimitTicks: number;
  /** A member cut off from the quorum serves reads (ZooKeeper's readonlymode.enabled). */
  readonly readOnlyModeEnabled: boolean;
  /** Listen for quorum and election traffic on all addresses, not only `host`. */
  readonly quorumListenOnAllIPs: boolean;
  /**
   * The configuration's version (ZooKeeper's QuorumVerifier version, a zxid once a
   * configuration has been committed): the hex suffix of the dynamic config file's name, or
   * zoo.cfg's `version=` key, or 0 for a purely static config.
   */
  readonly configVersion: number;
  /** The dynamicConfigFile the members were read from (as written in zoo.cfg), or null. */
  readonly dynamicConfigFile: string | null;
}

/** The zoo.cfg keys this module reads besides server.N (zookeeper.-prefixed spellings too). */
export const ENSEMBLE_KEYS: readonly string[] = [
  "initLimit",
  "syncLimit",
  "peerType",
  "electionAlg",
  "quorumListenOnAllIPs",
  "readonlymode.enabled",
  "standaloneEnabled",
  "dynamicConfigFile",
  "version",
];

export interface EnsembleInput {
  /**
   * The lines whose key starts with `server.`, `group.` or `weight.` (as written, no
   * `zookeeper.` prefix stripped), key -> value. group/weight lines are refused.
   */
  readonly lines: ReadonlyMap<string, string>;
  /** The value of one of ENSEMBLE_KEYS, or undefined when unset. */
  readonly get: (key: string) => string | undefined;
  readonly dataDir: string;
  /** The text of `dataDir/myid`, or null when there is no such file. */
  readonly readMyId: (dataDir: string) => string | null;
  /** The text of the file at `path` (the dynamicConfigFile), or null when it does not exist. */
  readonly readConfigFile: (path: string) => string | null;
  /** clientPort and clientPortAddress as set in the file (null: not set). */
  readonly clientPort: number | null;
  readonly clientPortAddress: string | null;
}

export interface EnsembleResult {
  /** Null: this server runs standalone. */
  readonly ensemble: EnsembleConfig | null;
  /** The client port and address to listen on (null port: none configured anywhere). */
  readonly clientPort: number | null;
  readonly clientPortAddress: string;
  /** Lines worth logging at start that do not stop it. */
  readonly warnings: readonly string[];
}

const WILDCARD_HOSTS = new Set(["0.0.0.0", "::", "0:0:0:0:0:0:0:0"]);
const HOSTNAME = /^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_.])?$/;
const IPV6 = /^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(%[A-Za-z0-9_.-]+)?$/;

function fail(key: string, value: string, why: string): never {
  throw new ConfigError(`invalid value for ${key}: '${value}' (${why})`);
}

/** Java's String.split: trailing empty strings are dropped. */
function javaSplit(s: string, sep: string): string[] {
  const parts = s.split(sep);
  while (parts.length > 1 && parts[parts.length - 1] === "") parts.pop();
  return parts;
}

/** ConfigUtils.getHostAndPort: `[v6]:a:b` -> [v6, a, b]; otherwise split on ':'. */
function hostAndPort(key: string, value: string, s: string): string[] {
  if (!s.startsWith("[")) return javaSplit(s, ":");
  const close = s.indexOf("]");
  if (close < 0) fail(key, value, `'${s}' starts with '[' but has no matching ']'`);
  if (close + 1 === s.length || s[close + 1] !== ":" || close + 2 === s.length) {
    fail(key, value, `'${s}' has no port after the address`);
  }
  return [s.slice(1, close), ...javaSplit(s.slice(close + 2), ":")];
}

function checkHost(key: string, value: string, host: string, bracketed: boolean): string {
  const ok = bracketed ? IPV6.test(host) : HOSTNAME.test(host);
  if (!ok) {
    fail(
      key,
      value,
      host === "" ? "empty host" : bracketed ? `bad IPv6 address '${host}'` : `bad host '${host}'`,
    );
  }
  return host;
}

function port(key: string, value: string, text: string, what: string): number {
  const t = text.trim();
  const n = /^\d{1,5}$/.test(t) ? Number(t) : NaN;
  if (!(n >= 1 && n <= 65535)) fail(key, value, `bad ${what} port '${text}'`);
  return n;
}

function idValue(key: string, value: string, text: string, what: string): number {
  if (!/^\d+$/.test(text)) fail(key, value, `${what} is not a non-negative integer`);
  const n = Number(text);
  if (!Number.isSafeInteger(n)) {
    fail(key, value, `${what} is above 2^53-1, the largest zkd supports`);
  }
  return n;
}

/** The id N of a `server.N` key (leading zeros allowed, as Long.parseLong allows them). */
export function parseServerId(key: string): number {
  const m = /^server\.(.*)$/.exec(key);
  if (m === null) return fail(key, "", "not a server.N key");
  return idValue(key, m[1], m[1], "the server id");
}

/** Parses one `server.N` line. */
export function parseServerLine(key: string, value: string): EnsembleMember {
  const id = parseServerId(key);
  const serverClient = javaSplit(value, ";");
  if (serverClient.length > 2) fail(key, value, "more than one ';'");
  const server = serverClient[0].trim();
  if (server.includes("|")) {
    fail(key, value, "multiple addresses per server (multiAddress) are not supported");
  }
  const parts = hostAndPort(key, value, server);
  if (parts.length < 3 || parts.length > 4) {
    fail(key, value, "expected host:quorumPort:electionPort[:participant|:observer][;[host:]port]");
  }
  const host = checkHost(key, value, parts[0], server.startsWith("["));
  const quorumPort = port(key, value, parts[1], "quorum");
  const electionPort = port(key, value, parts[2], "election");
  if (quorumPort === electionPort) {
    fail(key, value, "quorum and election ports must differ");
  }
  let role: MemberRole = "participant";
  if (parts.length === 4) {
    const r = parts[3].trim().toLowerCase();
    if (r !== "participant" && r !== "observer") {
      fail(key, value, `unknown role '${parts[3]}' (participant or observer)`);
    }
    role = r;
  }
  let clientAddress: string | null = null;
  let clientPort: number | null = null;
  if (serverClient.length === 2) {
    const client = serverClient[1].trim();
    const cp = hostAndPort(key, value, client);
    if (cp.length > 2 || cp[0] === "" && cp.length === 1) {
      fail(key, value, `client part '${client}' is not port or host:port`);
    }
    clientAddress = cp.length === 2
      ? checkHost(key, value, cp[0], client.startsWith("["))
      : "0.0.0.0";
    clientPort = port(key, value, cp[cp.length - 1], "client");
  }
  return Object.freeze({
    id,
    host,
    quorumPort,
    electionPort,
    role,
    clientAddress,
    clientPort,
    clientAddressFromStatic: false,
  });
}

const LONG_MAX = (1n << 63n) - 1n;
const LONG_MIN = -(1n << 63n);

/** Java's Long.parseLong(text, 16), or null where it throws NumberFormatException. */
function javaParseHexLong(text: string): bigint | null {
  const m = /^([+-]?)([0-9A-Fa-f]+)$/.exec(text);
  if (m === null) return null;
  const magnitude = BigInt("0x" + m[2]);
  const n = m[1] === "-" ? -magnitude : magnitude;
  return n < LONG_MIN || n > LONG_MAX ? null : n;
}

function versionNumber(n: bigint, why: (reason: string) => never): number {
  if (n < 0n) why("a negative version");
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) why("above 2^53-1, the largest zkd supports");
  return Number(n);
}

/**
 * A configuration version as QuorumMaj reads the `version=` key: hex (Long.parseLong(v, 16)).
 * `key` names the key in the error.
 */
export function parseConfigVersion(key: string, value: string): number {
  const n = javaParseHexLong(value.trim());
  if (n === null) fail(key, value, "not a hexadecimal version");
  return versionNumber(n, (reason) => fail(key, value, reason));
}

/**
 * The version a dynamic config file's name carries, as QuorumPeerConfig.getVersionFromFilename
 * reads it: whatever follows the path's last '.', in hex (`zoo.cfg.dynamic.100000000` ->
 * 0x100000000). No '.' or no hex number there (`zoo.cfg.dynamic`) means version 0; so does any
 * hex-looking suffix (`zoo.dyn.bad` is version 0xbad). A negative suffix (`-1`) fails in
 * ZooKeeper (its hex string does not parse back) and here.
 */
export function versionFromFileName(path: string): number {
  const n = javaParseHexLong(path.slice(path.lastIndexOf(".") + 1));
  if (n === null || path.lastIndexOf(".") < 0) return 0;
  return versionNumber(n, (reason) => {
    throw new ConfigError(
      `dynamic config file ${path}: the version in its name is ${reason}`,
    );
  });
}

function boolValue(key: string, value: string): boolean {
  const v = value.toLowerCase();
  if (v === "true" || v === "yes") return true;
  if (v === "false" || v === "no") return false;
  return fail(key, value, "expected true or false");
}

function ticks(key: string, value: string | undefined): number | null {
  if (value === undefined) return null;
  if (!/^-?\d+$/.test(value)) fail(key, value, "not an integer");
  const n = Number(value);
  if (n < 0 || n > 0x7fffffff) fail(key, value, `must be between 1 and ${0x7fffffff}`);
  return n === 0 ? null : n; // ZooKeeper: 0 is "not set"
}

const isWildcard = (host: string | null) => host === null || WILDCARD_HOSTS.has(host);

/**
 * Every quorum, election and (specific) client address once: two servers cannot listen on
 * the same host:port. A wildcard client address clashes only with its own server's ports.
 */
function checkAddresses(members: readonly EnsembleMember[], lines: Map<number, string>): void {
  const seen = new Map<string, string>();
  for (const m of members) {
    const key = `server.${m.id}`;
    const value = lines.get(m.id)!;
    const claim = (host: string, p: number, what: string) => {
      const address = `${host.toLowerCase()}:${p}`;
      const owner = seen.get(address);
      if (owner !== undefined) {
        fail(key, value, `${what} address ${host}:${p} is also the ${owner}`);
      }
      seen.set(address, `${what} address of server.${m.id}`);
    };
    claim(m.host, m.quorumPort, "quorum");
    claim(m.host, m.electionPort, "election");
    if (m.clientPort !== null) {
      if (!isWildcard(m.clientAddress)) claim(m.clientAddress!, m.clientPort, "client");
      if (
        (isWildcard(m.clientAddress) || m.clientAddress === m.host) &&
        (m.clientPort === m.quorumPort || m.clientPort === m.electionPort)
      ) {
        fail(key, value, `client port ${m.clientPort} is also its quorum or election port`);
      }
    }
  }
}

/** Parses the first line of a myid file. */
export function parseMyId(text: string, path: string): number {
  const line = text.split(/\r?\n/)[0].trim();
  if (!/^\d+$/.test(line)) {
    throw new ConfigError(`invalid value for myid: '${line}' (in ${path}: not a server id)`);
  }
  const n = Number(line);
  if (!Number.isSafeInteger(n)) {
    throw new ConfigError(`invalid value for myid: '${line}' (in ${path}: above 2^53-1)`);
  }
  return n;
}

/**
 * Reads the ensemble keys: whether this server is an ensemble member and of which ensemble,
 * and the client port it listens on. Throws ConfigError naming key and value.
 */
export function buildEnsemble(input: EnsembleInput): EnsembleResult {
  const warnings: string[] = [];
  const get = input.get;

  const electionAlg = get("electionAlg");
  if (electionAlg !== undefined && electionAlg.trim() !== "3") {
    fail("electionAlg", electionAlg, "only 3 is supported");
  }
  const peerTypeText = get("peerType");
  let peerType: MemberRole | null = null;
  if (peerTypeText !== undefined) {
    const t = peerTypeText.trim().toLowerCase();
    if (t !== "participant" && t !== "observer") {
      fail("peerType", peerTypeText, "expected participant or observer");
    }
    peerType = t;
  }
  const flag = (key: string, dflt: boolean) => {
    const v = get(key);
    return v === undefined ? dflt : boolValue(key, v);
  };
  const standaloneEnabled = flag("standaloneEnabled", true);
  const quorumListenOnAllIPs = flag("quorumListenOnAllIPs", false);
  const readOnlyModeEnabled = flag("readonlymode.enabled", false);
  const initLimit = ticks("initLimit", get("initLimit"));
  const syncLimit = ticks("syncLimit", get("syncLimit"));

  // The membership: server.N lines of zoo.cfg, or of the dynamic config file it names.
  const dynamicConfigFile = get("dynamicConfigFile") ?? null;
  let lines = input.lines;
  let configVersion = 0;
  if (dynamicConfigFile !== null) {
    ({ lines, configVersion } = readDynamicConfig(dynamicConfigFile, input));
    if (get("version") !== undefined) {
      warnings.push(
        `version=${get("version")} in zoo.cfg is ignored: the version comes from the name of ` +
          `the dynamic config file ${dynamicConfigFile}`,
      );
    }
  } else if (get("version") !== undefined) {
    configVersion = parseConfigVersion("version", get("version")!);
  }
  // Errors about the members name the dynamic config file they came from.
  const inFile = <T>(f: () => T): T => {
    if (dynamicConfigFile === null) return f();
    try {
      return f();
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      throw new ConfigError(`${e.message} in dynamic config file ${dynamicConfigFile}`);
    }
  };

  // The server lines, each id once.
  const lineOf = new Map<number, string>();
  const byId = new Map<number, EnsembleMember>();
  inFile(() => {
    for (const [key, value] of lines) {
      if (!key.startsWith("server.")) {
        fail(key, value, "hierarchical quorums (group.N, weight.N) are not supported");
      }
      const member = parseServerLine(key, value);
      if (byId.has(member.id)) {
        fail(key, value, `server id ${member.id} is defined twice`);
      }
      byId.set(member.id, member);
      lineOf.set(member.id, value);
    }
  });
  let members = [...byId.values()].sort((a, b) => a.id - b.id);
  const participants = members.filter((m) => m.role === "participant").length;

  // QuorumPeerConfig.parseDynamicConfig and isDistributed().
  inFile(() => checkParticipants(members, participants, standaloneEnabled, get, warnings));
  const distributed = participants > 0 && (!standaloneEnabled || participants > 1);

  // dataDir/myid: read when there are server lines (ZooKeeper reads it whenever it exists).
  let myId: number | null = null;
  if (members.length > 0) {
    const text = input.readMyId(input.dataDir);
    if (text !== null) myId = parseMyId(text, `${input.dataDir}/myid`);
  }

  // QuorumPeerConfig.setupClientPort: the own line's client part wins, and must agree.
  let clientPort = input.clientPort;
  if (clientPort === null && input.clientPortAddress !== null) {
    fail("clientPortAddress", input.clientPortAddress, "clientPort is not set");
  }
  let clientPortAddress = input.clientPortAddress ?? "0.0.0.0";
  const own = myId === null ? undefined : byId.get(myId);
  if (own !== undefined && own.clientPort !== null) {
    if (clientPort !== null) {
      const agrees = isWildcard(clientPortAddress)
        ? clientPort === own.clientPort
        : clientPortAddress === own.clientAddress && clientPort === own.clientPort;
      if (!agrees) {
        inFile(() =>
          fail(
            `server.${own.id}`,
            lineOf.get(own.id)!,
            `its client address ${own.clientAddress}:${own.clientPort} differs from ` +
              `clientPortAddress/clientPort ${clientPortAddress}:${clientPort}`,
          )
        );
      }
    }
    clientPort = own.clientPort;
    clientPortAddress = own.clientAddress!;
  } else if (own !== undefined) {
    // ZooKeeper fills the own entry from the static keys and marks it isClientAddrFromStatic
    // (even when there is no clientPort either).
    const filled: EnsembleMember = Object.freeze({
      ...own,
      clientAddress: clientPort === null ? null : clientPortAddress,
      clientPort,
      clientAddressFromStatic: true,
    });
    byId.set(own.id, filled);
    members = members.map((m) => m.id === own.id ? filled : m);
  }

  if (!distributed) {
    return { ensemble: null, clientPort, clientPortAddress, warnings };
  }

  // QuorumPeerConfig.checkValidity and QuorumPeer.start.
  if (initLimit === null) throw new ConfigError("initLimit is not set (required for an ensemble)");
  if (syncLimit === null) throw new ConfigError("syncLimit is not set (required for an ensemble)");
  if (myId === null) {
    throw new ConfigError(
      `myid file is missing: ${input.dataDir}/myid must hold this server's id (one of ${
        members.map((m) => m.id).join(", ")
      })`,
    );
  }
  const self = inFile(() =>
    byId.get(myId!) ?? fail(
      "myid",
      String(myId),
      `from ${input.dataDir}/myid: there is no server.${myId} line (servers: ${
        members.map((m) => m.id).join(", ")
      })`,
    )
  );
  inFile(() => checkAddresses(members, lineOf));
  if (peerType !== null && peerType !== self.role) {
    warnings.push(
      `peerType=${peerType} does not match server.${myId}'s role ${self.role}: ` +
        `using the server list's role, as ZooKeeper does`,
    );
  }
  if (participants <= 2) {
    warnings.push(
      `the ensemble has ${participants} participant(s): no server failure will be tolerated; ` +
        `use at least 3`,
    );
  } else if (participants % 2 === 0) {
    warnings.push(
      `the ensemble has ${participants} participants: an even number tolerates no more ` +
        `failures than ${participants - 1}; consider an odd number`,
    );
  }
  const ensemble: EnsembleConfig = Object.freeze({
    members: Object.freeze(members),
    myId,
    self,
    initLimitTicks: initLimit,
    syncLimitTicks: syncLimit,
    readOnlyModeEnabled,
    quorumListenOnAllIPs,
    configVersion,
    dynamicConfigFile,
  });
  return { ensemble, clientPort, clientPortAddress, warnings };
}

/**
 * QuorumPeerConfig.parseDynamicConfig's rules on the number of participants and observers
 * (isDistributed() follows from the same numbers).
 */
function checkParticipants(
  members: readonly EnsembleMember[],
  participants: number,
  standaloneEnabled: boolean,
  get: (key: string) => string | undefined,
  warnings: string[],
): void {
  const observers = members.length - participants;
  if (participants === 0) {
    if (!standaloneEnabled) {
      fail(
        "standaloneEnabled",
        get("standaloneEnabled")!,
        "an ensemble needs at least one participant server.N",
      );
    }
    if (observers > 0) {
      throw new ConfigError(
        `observers without participants: every server.N line is an observer (${
          members.map((m) => `server.${m.id}`).join(", ")
        })`,
      );
    }
  } else if (participants === 1 && standaloneEnabled) {
    if (observers > 0) {
      throw new ConfigError(
        "observers without a quorum: only one participant server.N line " +
          "(set standaloneEnabled=false for a one-participant ensemble)",
      );
    }
    warnings.push(
      "only one server.N line: running standalone, as ZooKeeper does with standaloneEnabled=true",
    );
  }
}

/**
 * The server lines and version of the dynamic config file `path` (QuorumPeerConfig.parse with
 * dynamicConfigFile set): zoo.cfg itself may then hold no server.N/group/weight key, the file
 * only those (no version: that is the name's suffix).
 */
function readDynamicConfig(
  path: string,
  input: EnsembleInput,
): { lines: ReadonlyMap<string, string>; configVersion: number } {
  if (path === "") fail("dynamicConfigFile", path, "empty path");
  for (const key of input.lines.keys()) {
    throw new ConfigError(
      `${key} must be in the dynamic config file ${path}, not in zoo.cfg ` +
        `(zoo.cfg sets dynamicConfigFile)`,
    );
  }
  const text = input.readConfigFile(path);
  if (text === null) {
    throw new ConfigError(`dynamic config file ${path} does not exist (dynamicConfigFile)`);
  }
  const lines = new Map<string, string>();
  for (const [key, value] of parseProperties(text)) {
    if (key === "version") {
      throw new ConfigError(
        `dynamic config file ${path} must not set version (the version is the hex suffix ` +
          `of the file's name)`,
      );
    }
    if (!key.startsWith("server.") && !key.startsWith("group") && !key.startsWith("weight")) {
      throw new ConfigError(
        `unknown key '${key}' in dynamic config file ${path} (only server.N lines belong there)`,
      );
    }
    lines.set(key, value);
  }
  return { lines, configVersion: versionFromFileName(path) };
}
