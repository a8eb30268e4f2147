/**
 * `config -c`: the client connection string of a dynamic configuration, as ZooKeeper's
 * ConfigUtils.getClientConfigStr derives it from the /zookeeper/config data: the config's
 * version, a space, then the client address of every `server.N` line, comma separated
 * ("100000000 10.0.0.1:2181,10.0.0.2:2181"). A server line without a client address gives an
 * empty entry ("100000000 ,,10.0.0.4:2181"). A standalone server's empty config gives " ".
 *
 * The servers come in the order Java's Properties iterates its keys, which is what zkCli
 * prints: since Java 9 a Properties is a ConcurrentHashMap, so the order is that of the hash
 * table's bins (javaPropertiesOrder), e.g. server.2, server.1, server.5, server.4, server.3.
 */

import { ConfigError } from "../../config/config.ts";
import { javaHostString } from "../../config/config_data.ts";
import { type EnsembleMember, parseServerLine } from "../../config/ensemble.ts";

/** zoo.cfg-style `key=value` lines (Java properties: `=` or `:` separates, `#`/`!` comments). */
function properties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith("!")) continue;
    const m = /^([^=:\s]+)\s*[=:\s]\s*(.*)$/.exec(line);
    if (m === null) out.set(line, "");
    else out.set(m[1], m[2].trim());
  }
  return out;
}

/**
 * The client address of a server line ("host:2888:3888[:role];[clientHost:]clientPort") as
 * `new QuorumServer(-1, value).clientAddr` shows it (getHostString, then the port): a bare
 * port means every address (0.0.0.0), IP literals in Java's form (`::1` is `0:0:0:0:0:0:0:1`);
 * "" when the line has no client part; undefined when the line does not parse (Java then
 * leaves the server out).
 */
function clientAddress(value: string): string | undefined {
  let m: EnsembleMember;
  try {
    m = parseServerLine("server.0", value);
  } catch (e) {
    if (e instanceof ConfigError) return undefined;
    throw e;
  }
  if (m.clientAddress === null || m.clientPort === null) return "";
  const host = javaHostString(m.clientAddress).replace(/^\[(.*)\]$/, "$1");
  return `${host}:${m.clientPort}`;
}

export function clientConfigString(config: string): string {
  const props = properties(config);
  const servers = javaPropertiesOrder([...props.keys()])
    .filter((key) => key.startsWith("server."))
    .map((key) => clientAddress(props.get(key)!))
    .filter((address) => address !== undefined);
  return `${props.get("version") ?? ""} ${servers.join(",")}`;
}

/** Java's String.hashCode. */
function javaHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

interface HashNode {
  readonly hash: number;
  readonly key: string;
}

/**
 * The order in which Java 9+'s Properties (a ConcurrentHashMap created for 8 entries: 16
 * bins) iterates keys put in the order given: by bin, and within a bin as the map's lists
 * hold them, including how a resize (at 3/4 full) splits and partly reverses a bin. A key put
 * again keeps its place. (Bins of 8 or more keys, which the map turns into trees, are not
 * modelled; a configuration would need dozens of servers to make one likely.)
 */
export function javaPropertiesOrder(keys: readonly string[]): string[] {
  let table: HashNode[][] = Array.from({ length: 16 }, () => []);
  let count = 0;
  for (const key of keys) {
    const h = javaHashCode(key);
    const hash = (h ^ (h >>> 16)) & 0x7fffffff;
    const bin = table[hash & (table.length - 1)];
    if (bin.some((node) => node.key === key)) continue;
    bin.push({ hash, key });
    count++;
    if (count >= table.length - (table.length >>> 2)) table = resized(table);
  }
  return table.flat().map((node) => node.key);
}

/** ConcurrentHashMap.transfer for list bins: each bin splits into bin i and bin i + n. */
function resized(table: HashNode[][]): HashNode[][] {
  const n = table.length;
  const next: HashNode[][] = Array.from({ length: 2 * n }, () => []);
  for (let i = 0; i < n; i++) {
    const bin = table[i];
    if (bin.length === 0) continue;
    // The tail whose nodes all go the same way moves as it is; the nodes before it are
    // prepended one by one to their new bins.
    let runBit = bin[0].hash & n;
    let lastRun = 0;
    for (let p = 1; p < bin.length; p++) {
      const b = bin[p].hash & n;
      if (b !== runBit) {
        runBit = b;
        lastRun = p;
      }
    }
    let low = runBit === 0 ? bin.slice(lastRun) : [];
    let high = runBit === 0 ? [] : bin.slice(lastRun);
    for (let p = 0; p < lastRun; p++) {
      if ((bin[p].hash & n) === 0) low = [bin[p], ...low];
      else high = [bin[p], ...high];
    }
    next[i] = low;
    next[i + n] = high;
  }
  return next;
}
