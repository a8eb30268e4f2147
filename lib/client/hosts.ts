/**
 * Connect-string parsing: "host:port,host:port,..." as the Java client accepts it. A chroot
 * suffix ("/app") is rejected rather than silently ignored, because every path would then be
 * wrong.
 */

export interface HostPort {
  readonly hostname: string;
  readonly port: number;
}

const DEFAULT_PORT = 2181;

/** Parses a connect string; throws an Error naming the bad part. */
export function parseHosts(connectString: string): HostPort[] {
  const trimmed = connectString.trim();
  if (trimmed === "") throw new Error("empty server list");
  if (trimmed.includes("/")) {
    throw new Error(`chroot paths are not supported in the server list: ${connectString}`);
  }
  const out: HostPort[] = [];
  for (const part of trimmed.split(",")) {
    const item = part.trim();
    if (item === "") throw new Error(`empty entry in server list: ${connectString}`);
    out.push(parseHostPort(item));
  }
  return out;
}

function parseHostPort(item: string): HostPort {
  // "[::1]:2181" for IPv6 literals, else the last ':' separates the port.
  let hostname: string;
  let portText: string | undefined;
  if (item.startsWith("[")) {
    const close = item.indexOf("]");
    if (close < 0) throw new Error(`bad IPv6 address in server list: ${item}`);
    hostname = item.slice(1, close);
    const rest = item.slice(close + 1);
    if (rest !== "" && !rest.startsWith(":")) throw new Error(`bad server address: ${item}`);
    portText = rest === "" ? undefined : rest.slice(1);
  } else {
    const colon = item.lastIndexOf(":");
    hostname = colon < 0 ? item : item.slice(0, colon);
    portText = colon < 0 ? undefined : item.slice(colon + 1);
  }
  if (hostname === "") throw new Error(`missing host in server address: ${item}`);
  let port = DEFAULT_PORT;
  if (portText !== undefined) {
    if (!/^[0-9]{1,5}$/.test(portText)) throw new Error(`bad port in server address: ${item}`);
    port = Number(portText);
    if (port < 1 || port > 65535) throw new Error(`port out of range in server address: ${item}`);
  }
  return { hostname, port };
}

/** "host:port" as zkCli prints it. */
export function formatHostPort(h: HostPort): string {
  return h.hostname.includes(":") ? `[${h.hostname}]:${h.port}` : `${h.hostname}:${h.port}`;
}
