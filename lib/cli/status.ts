/**
 * `zkd status [-server host:port,...] [--admin-port N[,N...]] [--json] [--timeout ms] [--wait s]`:
 * one line per server (mode, last zxid, lag behind the leader, sessions, znodes), read from
 * the admin HTTP API (`/commands/configuration`, `server_stats`, `monitor` on --admin-port,
 * default 8080: one port for every server, or one per server in -server's order) and, where that
 * does not answer for this server, from the `srvr` and `mntr` four-letter words on the client
 * port. Works against Apache ZooKeeper as well.
 *
 * Exit codes: 0 when every server answered, 1 when one did not (after --wait seconds of
 * retrying, if given: systemd's ExecStartPost uses that as a readiness check), 2 for a bad
 * command line.
 */

import { formatHostPort, type HostPort, parseHosts } from "../client/hosts.ts";
import { fourLetterWord } from "./bench/four_letter.ts";
import { UsageError } from "./usage_error.ts";

export interface ServerStatus {
  /** "host:port" of the client port, as given. */
  readonly server: string;
  readonly reachable: boolean;
  /** standalone, leader, follower, observer, "not serving", or null when unreachable. */
  readonly mode: string | null;
  readonly zxid: bigint | null;
  readonly sessions: number | null;
  readonly znodes: number | null;
  /** How the answer came: the admin API or the four-letter words. */
  readonly via: "http" | "4lw" | null;
  /** Why the server is unreachable (or what was odd about the answer). */
  readonly error: string | null;
}

export interface StatusRow extends ServerStatus {
  /** Txns behind the leader: 0 for the leader, null when there is none to compare with. */
  readonly lag: bigint | null;
}

export interface StatusOptions {
  adminPort: number;
  timeoutMs: number;
}

const NOT_SERVING = "This ZooKeeper instance is not currently serving requests";

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** A JSON number field read from the raw text, exactly (64-bit zxids exceed doubles). */
function rawInteger(text: string, key: string): bigint | null {
  const m = new RegExp(`"${key}"\\s*:\\s*(-?\\d+)`).exec(text);
  return m === null ? null : BigInt(m[1]);
}

async function getText(url: string, timeoutMs: number): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return text;
}

function adminBase(h: HostPort, adminPort: number): string {
  const host = h.hostname.includes(":") ? `[${h.hostname}]` : h.hostname;
  return `http://${host}:${adminPort}/commands`;
}

/**
 * The server's status from its admin API, or a string saying why the API cannot be used for
 * it (not listening, or the port belongs to another server on the same host).
 */
export async function probeHttp(
  h: HostPort,
  opts: StatusOptions,
): Promise<ServerStatus | string> {
  const base = adminBase(h, opts.adminPort);
  let texts: string[];
  try {
    texts = await Promise.all(
      ["configuration", "server_stats", "monitor"].map((c) =>
        getText(`${base}/${c}`, opts.timeoutMs)
      ),
    );
  } catch (e) {
    return `admin API on port ${opts.adminPort}: ${messageOf(e)}`;
  }
  let conf: Record<string, unknown>, stats: Record<string, unknown>;
  let mntr: Record<string, unknown>;
  try {
    [conf, stats, mntr] = texts.map((t) => JSON.parse(t));
  } catch {
    return `admin API on port ${opts.adminPort}: not ZooKeeper's JSON`;
  }
  const clientPort = conf.client_port;
  if (typeof clientPort === "number" && clientPort !== h.port) {
    return `admin port ${opts.adminPort} belongs to the server on client port ${clientPort}`;
  }
  const server = formatHostPort(h);
  if (stats.error === NOT_SERVING) {
    return {
      server,
      reachable: true,
      mode: "not serving",
      zxid: null,
      sessions: null,
      znodes: null,
      via: "http",
      error: null,
    };
  }
  const inner = (stats.server_stats ?? {}) as Record<string, unknown>;
  return {
    server,
    reachable: true,
    mode: typeof inner.server_state === "string" ? inner.server_state : null,
    zxid: rawInteger(texts[1], "last_processed_zxid"),
    sessions: typeof mntr.global_sessions === "number" ? mntr.global_sessions : null,
    znodes: typeof stats.node_count === "number" ? stats.node_count : null,
    via: "http",
    error: null,
  };
}

/** The server's status from `srvr` (and `mntr`, when whitelisted) on its client port. */
export async function probeFourLetter(h: HostPort, opts: StatusOptions): Promise<ServerStatus> {
  const server = formatHostPort(h);
  let srvr: string;
  try {
    srvr = await fourLetterWord(h.hostname, h.port, "srvr", opts.timeoutMs);
  } catch (e) {
    return {
      server,
      reachable: false,
      mode: null,
      zxid: null,
      sessions: null,
      znodes: null,
      via: null,
      error: messageOf(e),
    };
  }
  const line = (re: RegExp) => re.exec(srvr)?.[1] ?? null;
  const mode = srvr.includes(NOT_SERVING) ? "not serving" : line(/^Mode: (\S+)/m);
  const zxidText = line(/^Zxid: (0x[0-9a-fA-F]+)/m);
  const nodes = line(/^Node count: (\d+)/m);
  let sessions: number | null = null;
  try {
    const mntr = await fourLetterWord(h.hostname, h.port, "mntr", opts.timeoutMs);
    const m = /^zk_global_sessions\t(\d+)/m.exec(mntr);
    if (m !== null) sessions = Number(m[1]);
  } catch { /* mntr is optional */ }
  return {
    server,
    reachable: true,
    mode,
    zxid: zxidText === null ? null : BigInt(zxidText),
    sessions,
    znodes: nodes === null ? null : Number(nodes),
    via: "4lw",
    error: mode === null ? `unexpected srvr reply: ${JSON.stringify(srvr.slice(0, 80))}` : null,
  };
}

/** HTTP first; the four-letter words when the admin API is off or answers for another server. */
export async function probe(h: HostPort, opts: StatusOptions): Promise<ServerStatus> {
  const viaHttp = await probeHttp(h, opts);
  if (typeof viaHttp !== "string") return viaHttp;
  const via4lw = await probeFourLetter(h, opts);
  return via4lw.reachable ? via4lw : { ...via4lw, error: `${via4lw.error}; ${viaHttp}` };
}

const epochOf = (zxid: bigint) => zxid >> 32n;

/**
 * Lag behind the leader: leader zxid minus the server's, when both are in the same epoch.
 * A standalone server, or an ensemble without a reachable leader, has no lag (null).
 */
export function withLag(statuses: readonly ServerStatus[]): StatusRow[] {
  const leader = statuses.find((s) => s.mode === "leader" && s.zxid !== null);
  return statuses.map((s) => {
    let lag: bigint | null = null;
    if (leader !== undefined && s.zxid !== null) {
      if (s === leader) lag = 0n;
      else if (
        (s.mode === "follower" || s.mode === "observer") &&
        epochOf(s.zxid) === epochOf(leader.zxid!)
      ) {
        lag = leader.zxid! > s.zxid ? leader.zxid! - s.zxid : 0n;
      }
    }
    return { ...s, lag };
  });
}

const dash = (v: unknown) => (v === null || v === undefined ? "-" : String(v));

/** The table `zkd status` prints. */
export function renderTable(rows: readonly StatusRow[]): string {
  const header = ["SERVER", "MODE", "ZXID", "LAG", "SESSIONS", "ZNODES", "VIA"];
  const cells = rows.map((r) => [
    r.server,
    r.reachable ? dash(r.mode) : "unreachable",
    r.zxid === null ? "-" : `0x${r.zxid.toString(16)}`,
    dash(r.lag),
    dash(r.sessions),
    dash(r.znodes),
    dash(r.via),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  return [header, ...cells]
    .map((c) => c.map((v, i) => (i === c.length - 1 ? v : v.padEnd(widths[i]))).join("  "))
    .join("\n") + "\n";
}

/** The `--json` document: zxid as "0x..." text, lag as a number. */
export function renderJson(rows: readonly StatusRow[]): string {
  return JSON.stringify(
    {
      servers: rows.map((r) => ({
        server: r.server,
        reachable: r.reachable,
        mode: r.mode,
        zxid: r.zxid === null ? null : `0x${r.zxid.toString(16)}`,
        lag: r.lag === null ? null : Number(r.lag),
        sessions: r.sessions,
        znodes: r.znodes,
        via: r.via,
        error: r.error,
      })),
    },
    null,
    2,
  ) + "\n";
}

export interface StatusArgs {
  hosts: HostPort[];
  /** One per host. */
  adminPorts: number[];
  json: boolean;
  timeoutMs: number;
  waitMs: number;
}

const USAGE = "usage: zkd status [-server host:port,...] [--admin-port N[,N...]] [--json] " +
  "[--timeout ms] [--wait s]";

function intArg(name: string, text: string | undefined, min: number, max: number): number {
  if (text === undefined || !/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new UsageError(`${name} needs an integer between ${min} and ${max}, got '${text}'`);
  }
  return Number(text);
}

export function parseStatusArgs(args: readonly string[]): StatusArgs | "help" {
  let server = "127.0.0.1:2181";
  let adminPorts = [8080];
  const out = { json: false, timeoutMs: 3000, waitMs: 0 };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    switch (a) {
      case "-server":
      case "--server":
        if (args[i + 1] === undefined) throw new UsageError(`${a} needs host:port[,host:port...]`);
        server = args[++i];
        break;
      case "--admin-port": {
        const text = args[++i];
        adminPorts = (text ?? "").split(",").map((p) =>
          intArg(a, p === "" ? undefined : p, 1, 65535)
        );
        break;
      }
      case "--json":
        out.json = true;
        break;
      case "--timeout":
        out.timeoutMs = intArg(a, args[++i], 1, 600_000);
        break;
      case "--wait":
        out.waitMs = intArg(a, args[++i], 0, 86_400) * 1000;
        break;
      case "-h":
      case "--help":
        return "help";
      default:
        throw new UsageError(`unknown option '${a}'; ${USAGE}`);
    }
  }
  let hosts: HostPort[];
  try {
    hosts = parseHosts(server);
  } catch (e) {
    throw new UsageError(messageOf(e));
  }
  if (adminPorts.length === 1) adminPorts = hosts.map(() => adminPorts[0]);
  if (adminPorts.length !== hosts.length) {
    throw new UsageError(
      `--admin-port lists ${adminPorts.length} ports for ${hosts.length} servers (give one, or one per server)`,
    );
  }
  return { hosts, adminPorts, ...out };
}

/** Probes every server (retrying unreachable ones until waitMs has passed). */
export async function collectStatus(args: StatusArgs): Promise<StatusRow[]> {
  const deadline = Date.now() + args.waitMs;
  for (;;) {
    const statuses = await Promise.all(
      args.hosts.map((h, i) =>
        probe(h, { adminPort: args.adminPorts[i], timeoutMs: args.timeoutMs })
      ),
    );
    if (statuses.every((s) => s.reachable) || Date.now() >= deadline) return withLag(statuses);
    await new Promise((r) => setTimeout(r, Math.min(500, Math.max(0, deadline - Date.now()))));
  }
}

export async function runStatus(args: string[]): Promise<number> {
  const parsed = parseStatusArgs(args);
  if (parsed === "help") {
    console.log(USAGE);
    return 0;
  }
  const rows = await collectStatus(parsed);
  console.log((parsed.json ? renderJson(rows) : renderTable(rows)).trimEnd());
  let ok = true;
  for (const r of rows) {
    if (r.reachable) continue;
    ok = false;
    if (!parsed.json) console.error(`zkd status: ${r.server}: ${r.error}`);
  }
  return ok ? 0 : 1;
}
