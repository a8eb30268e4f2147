/**
 * `config -c`: the client connection string of a dynamic configuration, as ZooKeeper's
 * ConfigUtils.getClientConfigStr derives it from the /zookeeper/config data: the config's
 * version, a space, then the client address of every `server.N` line, comma separated
 * ("100000000 10.0.0.1:2181,10.0.0.2:2181"). A standalone server's empty config gives " ".
 */

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
 * The client address of a server line ("host:2888:3888[:role];[clientHost:]clientPort"), as
 * QuorumServer parses it: a bare port means every address (0.0.0.0); no ';' part, none.
 */
function clientAddress(value: string): string | undefined {
  const semi = value.indexOf(";");
  if (semi < 0) return undefined;
  const client = value.slice(semi + 1).trim();
  if (/^[0-9]+$/.test(client)) return `0.0.0.0:${client}`;
  const v6 = /^\[([^\]]+)\]:([0-9]+)$/.exec(client);
  if (v6 !== null) return `${v6[1]}:${v6[2]}`;
  return client;
}

export function clientConfigString(config: string): string {
  const props = properties(config);
  const servers = [...props.entries()]
    .filter(([key]) => key.startsWith("server."))
    .map(([key, value]) => ({ id: Number(key.slice("server.".length)), value }))
    // Java walks a Hashtable (no useful order); server id order is the readable one.
    .sort((a, b) => a.id - b.id)
    .map((s) => clientAddress(s.value) ?? "");
  return `${props.get("version") ?? ""} ${servers.join(",")}`;
}
