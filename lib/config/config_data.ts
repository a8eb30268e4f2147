/**
 * The text of `/zookeeper/config`, as Apache ZooKeeper 3.8 writes it (QuorumMaj.toString):
 * one `server.N=...` line per member, then `version=<hex>`, no newline at the end:
 *
 *     server.1=zk1:2888:3888:participant;0.0.0.0:2181
 *     server.2=zk2:2888:3888:observer
 *     version=100000000
 *
 * Each line is QuorumServer.toString: `host:quorumPort:electionPort:participant|observer`,
 * then `;clientHost:clientPort` only when the client address came from the server's own line
 * (not from zoo.cfg's clientPort/clientPortAddress: isClientAddrFromStatic). Hosts are shown
 * as Java's InetSocketAddress.getHostString shows them: names as written, IPv4 literals as a
 * dotted quad, IPv6 literals in brackets and in Java's long form (`[::1]` is
 * `[0:0:0:0:0:0:0:1]`), IPv4-mapped IPv6 (`::ffff:10.0.0.1`) as the IPv4 address.
 *
 * Members are listed by increasing id. ZooKeeper lists them in HashMap order, which is the
 * same for every id smaller than the map's table (8 or 16 buckets for a small ensemble); with
 * larger ids its order depends on how the map was built and is not reproduced here.
 *
 * Pure: this is also what the dynamic config file holds (without the version line), so the
 * shell's writer and the reconfig code share it.
 */

import { ConfigError, parseProperties } from "./config.ts";
import { type EnsembleMember, parseConfigVersion, parseServerLine } from "./ensemble.ts";

/** A membership and its version, as /zookeeper/config carries them. */
export interface ConfigData {
  /** By increasing id; every clientAddressFromStatic is false (the text has no zoo.cfg). */
  readonly members: readonly EnsembleMember[];
  readonly version: number;
}

/** The /zookeeper/config text of `members` at `version` (QuorumMaj.toString). */
export function renderConfigData(members: readonly EnsembleMember[], version: number): string {
  if (!Number.isSafeInteger(version) || version < 0) {
    throw new RangeError(`config version ${version} is not a non-negative safe integer`);
  }
  const sorted = [...members].sort((a, b) => a.id - b.id);
  let out = "";
  for (const m of sorted) out += `server.${m.id}=${renderServer(m)}\n`;
  return out + `version=${version.toString(16)}`;
}

/** One member as QuorumServer.toString writes it (the value of its server.N line). */
export function renderServer(m: EnsembleMember): string {
  let s = `${javaHostString(m.host)}:${m.quorumPort}:${m.electionPort}:${m.role}`;
  if (m.clientPort !== null && m.clientAddress !== null && !m.clientAddressFromStatic) {
    s += `;${javaHostString(m.clientAddress)}:${m.clientPort}`;
  }
  return s;
}

/**
 * Reads /zookeeper/config text (or a reconfig's new membership, or a dynamic config file's
 * text) back into members and version, as QuorumPeer.configFromString does: only server.N
 * lines and `version` (hex; absent means 0) are allowed. Throws ConfigError naming the bad
 * line. The ensemble rules of zoo.cfg (participant counts, myid) are not checked here.
 */
export function parseConfigData(text: string): ConfigData {
  const byId = new Map<number, EnsembleMember>();
  let version = 0;
  for (const [key, value] of parseProperties(text)) {
    if (key === "version") {
      version = parseConfigVersion(key, value);
    } else if (key.startsWith("server.")) {
      const member = parseServerLine(key, value);
      if (byId.has(member.id)) {
        throw new ConfigError(
          `invalid value for ${key}: '${value}' (server id ${member.id} is defined twice)`,
        );
      }
      byId.set(member.id, member);
    } else if (key.startsWith("group") || key.startsWith("weight")) {
      throw new ConfigError(
        `invalid value for ${key}: '${value}' (hierarchical quorums (group.N, weight.N) are ` +
          `not supported)`,
      );
    } else {
      throw new ConfigError(`unknown key '${key}' in config data (server.N or version)`);
    }
  }
  const members = [...byId.values()].sort((a, b) => a.id - b.id);
  return Object.freeze({ members: Object.freeze(members), version });
}

/**
 * How Java's `new InetSocketAddress(host, port).getHostString()` shows `host`, bracketed when
 * it contains a ':' (QuorumServer.delimitedHostString).
 */
export function javaHostString(host: string): string {
  let shown = host;
  if (host.includes(":")) {
    const v6 = ipv6Bytes(host);
    if (v6 !== null) shown = v6;
  } else if (/^[0-9]/.test(host)) {
    const v4 = ipv4Bytes(host);
    if (v4 !== null) shown = v4.join(".");
  }
  return shown.includes(":") ? `[${shown}]` : shown;
}

/** Java's IPAddressUtil.textToNumericFormatV4: `a.b.c.d`, and the BSD forms `a.b.c`, `a.b`, `a`. */
function ipv4Bytes(text: string): number[] | null {
  if (text.length === 0 || text.length > 15) return null;
  const parts = text.split(".");
  if (parts.length > 4 || parts.some((p) => !/^[0-9]+$/.test(p))) return null;
  const values = parts.map(Number);
  const last = values.pop()!;
  if (values.some((v) => v > 0xff)) return null;
  const tailBytes = 4 - values.length;
  if (last >= 2 ** (8 * tailBytes)) return null;
  const out = [...values];
  for (let i = tailBytes - 1; i >= 0; i--) out.push(Math.floor(last / 2 ** (8 * i)) % 256);
  return out;
}

/**
 * An IPv6 literal as Java shows it (Inet6Address.getHostAddress: eight lowercase hex groups,
 * no `::`, the scope after `%` kept), or as IPv4 when it is IPv4-mapped; null when it is not a
 * valid literal (Java then keeps the unresolved name as written).
 */
function ipv6Bytes(text: string): string | null {
  const percent = text.indexOf("%");
  const addr = percent < 0 ? text : text.slice(0, percent);
  const scope = percent < 0 ? "" : text.slice(percent);
  if (percent >= 0 && scope.length === 1) return null;
  const halves = addr.split("::");
  if (halves.length > 2) return null;
  const groups = (s: string): number[] | null => {
    if (s === "") return [];
    const out: number[] = [];
    const parts = s.split(":");
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (i === parts.length - 1 && p.includes(".")) {
        const v4 = p.split(".").length === 4 ? ipv4Bytes(p) : null;
        if (v4 === null) return null;
        out.push(v4[0] * 256 + v4[1], v4[2] * 256 + v4[3]);
      } else if (/^[0-9A-Fa-f]{1,4}$/.test(p)) {
        out.push(parseInt(p, 16));
      } else {
        return null;
      }
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (head === null || tail === null) return null;
  let all: number[];
  if (halves.length === 2) {
    if (head.length + tail.length > 7) return null;
    all = [...head, ...new Array(8 - head.length - tail.length).fill(0), ...tail];
  } else {
    if (head.length !== 8) return null;
    all = head;
  }
  // IPv4-mapped (::ffff:a.b.c.d): Java makes it an Inet4Address.
  if (all.slice(0, 5).every((g) => g === 0) && all[5] === 0xffff) {
    return [all[6] >> 8, all[6] & 0xff, all[7] >> 8, all[7] & 0xff].join(".");
  }
  return all.map((g) => g.toString(16)).join(":") + scope;
}

/**
 * What ZooKeeper writes into `zoo.cfg.dynamic.<version>` for /zookeeper/config text
 * (QuorumPeerConfig.writeDynamicConfig): every `key=value` except the version, sorted as
 * strings (so server.10 comes before server.2), joined by newlines, no newline at the end.
 * With `keepVersion` (the `zoo.cfg.dynamic.next` file of a proposed configuration) the
 * version line stays.
 */
export function dynamicConfigFileText(configText: string, keepVersion = false): string {
  const lines: string[] = [];
  for (const [key, value] of parseProperties(configText)) {
    if (!keepVersion && key.startsWith("version")) continue;
    lines.push(`${key}=${value}`);
  }
  return lines.sort().join("\n");
}
