/**
 * The reconfig operation (opcode 16) as Apache ZooKeeper 3.8's leader prepares it
 * (PrepRequestProcessor): checks in ZooKeeper's order, then the new configuration as the
 * text /zookeeper/config will hold, versioned by the txn's zxid.
 *
 *   RECONFIGINPROGRESS  a reconfig is still uncommitted
 *   BADVERSION          curConfigId is neither -1 nor the last configuration's version
 *   BADARGUMENTS        a malformed member list, a joiner without its three ports, or fewer
 *                       than two voters left
 *   MARSHALLINGERROR    a server id that Java's Long.parseLong rejects (in the leaving list, a
 *                       joiner's `server.N` or a new member list): ZooKeeper's
 *                       NumberFormatException escapes its checks and becomes this catch-all
 *   NEWCONFIGNOQUORUM   the new voters that are connected and caught up are no majority
 *   NOAUTH              no WRITE on /zookeeper/config (checked last, as ZooKeeper does)
 *
 * RECONFIGDISABLED and UNIMPLEMENTED (standalone) are decided by the replica before this.
 */

import type { EnsembleMember } from "../config/ensemble.ts";
import { parseServerLine } from "../config/ensemble.ts";
import { Err } from "../proto/errors.ts";
import type { Request } from "../proto/records.ts";
import { ConfigError, parseProperties } from "../config/config.ts";
import { parseConfigData, renderConfigData } from "../config/config_data.ts";

type ReconfigRequest = Extract<Request, { op: 16 }>;

/** The membership a reconfig starts from, and what the leader knows about its followers. */
export interface ReconfigState {
  /** The newest configuration (the pending one while a reconfig is in flight). */
  members: readonly EnsembleMember[];
  version: number;
  inProgress: boolean;
  /** Members connected to the leader with everything committed (the leader included). */
  synced: ReadonlySet<number>;
  /** The caller holds WRITE on /zookeeper/config (or ACLs are off). */
  permitted: boolean;
}

export type ReconfigOutcome = { err: number } | { data: Uint8Array; members: EnsembleMember[] };

/** /zookeeper/config's text for `members` at `version` (ZooKeeper's QuorumMaj form). */
export function configText(members: readonly EnsembleMember[], version: number): string {
  return renderConfigData(members, version);
}

/** Reads /zookeeper/config's text back. */
export function parseConfigText(text: string): { members: EnsembleMember[]; version: number } {
  const data = parseConfigData(text);
  return { members: [...data.members], version: data.version };
}

class BadArguments extends Error {}

/** ZooKeeper's NumberFormatException from Long.parseLong: it answers MARSHALLINGERROR. */
class NotANumber extends Error {}

const LONG_MIN = -(1n << 63n);
const LONG_MAX = (1n << 63n) - 1n;

/** Java's Long.parseLong(text, radix), or NotANumber where it throws NumberFormatException. */
function javaLong(text: string, radix: 10 | 16 = 10): bigint {
  const m = (radix === 10 ? /^([+-]?)([0-9]+)$/ : /^([+-]?)([0-9A-Fa-f]+)$/).exec(text);
  const magnitude = m === null ? 0n : BigInt((radix === 16 ? "0x" : "") + m[2]);
  const n = m?.[1] === "-" ? -magnitude : magnitude;
  if (m === null || n < LONG_MIN || n > LONG_MAX) {
    throw new NotANumber(`'${text}' is not a number`);
  }
  return n;
}

function parseMember(key: string, value: string): EnsembleMember {
  try {
    return parseServerLine(key.trim(), value.trim());
  } catch (e) {
    if (e instanceof ConfigError) throw new BadArguments(e.message);
    throw e;
  }
}

/** Prepares a reconfig on the leader; `zxid` becomes the new configuration's version. */
export function prepareReconfig(
  req: ReconfigRequest,
  state: ReconfigState,
  zxid: number,
): ReconfigOutcome {
  if (state.inProgress) return { err: Err.RECONFIGINPROGRESS };
  if (req.curConfigId !== -1 && req.curConfigId !== state.version) return { err: Err.BADVERSION };
  let next: Map<number, EnsembleMember>;
  try {
    next = req.newMembers !== null
      ? nonIncremental(req.newMembers)
      : incremental(state.members, req.joiningServers, req.leavingServers);
  } catch (e) {
    if (e instanceof BadArguments) return { err: Err.BADARGUMENTS };
    if (e instanceof NotANumber) return { err: Err.MARSHALLINGERROR };
    throw e;
  }
  const members = [...next.values()];
  const voters = members.filter((m) => m.role === "participant");
  if (voters.length < 2) return { err: Err.BADARGUMENTS };
  const synced = voters.filter((m) => state.synced.has(m.id)).length;
  if (synced * 2 <= voters.length) return { err: Err.NEWCONFIGNOQUORUM };
  if (!state.permitted) return { err: Err.NOAUTH };
  return { data: new TextEncoder().encode(configText(members, zxid)), members };
}

/**
 * `newMembers`: the whole new list, comma or newline separated `server.N=spec` entries, read
 * as QuorumPeerConfig.parseDynamicConfig does: a key other than server.N or version is
 * BADARGUMENTS; then each N (and the version, which the txn's zxid replaces) goes through
 * Long.parseLong, so `server.+4` is server 4 and `server.x` is MARSHALLINGERROR.
 */
function nonIncremental(text: string): Map<number, EnsembleMember> {
  const props = parseProperties(text.replaceAll(",", "\n"));
  for (const key of props.keys()) {
    if (!key.startsWith("server.") && key !== "version") {
      throw new BadArguments(`unrecognised parameter ${key}`);
    }
  }
  let lines = "";
  for (const [key, value] of props) {
    if (key === "version") javaLong(value, 16);
    else lines += `server.${javaLong(key.slice(key.indexOf(".") + 1))}=${value}\n`;
  }
  try {
    return new Map(parseConfigData(lines).members.map((m) => [m.id, m]));
  } catch (e) {
    if (e instanceof ConfigError) throw new BadArguments(e.message);
    throw e;
  }
}

/**
 * Joining (`server.N=spec`, each with its client port) and leaving (ids) applied in turn, split
 * and parsed as PrepRequestProcessor does: lists split on ',' and '=' with blanks trimmed and
 * empty parts dropped, ids through Long.parseLong (a joiner's id is what follows the last '.'
 * of its key).
 */
function incremental(
  current: readonly EnsembleMember[],
  joining: string | null,
  leaving: string | null,
): Map<number, EnsembleMember> {
  const out = new Map(current.map((m) => [m.id, m]));
  for (const text of javaSplit(leaving ?? "", ",")) {
    const id = javaLong(text);
    if (id >= 0n && id <= BigInt(Number.MAX_SAFE_INTEGER)) out.delete(Number(id));
  }
  for (const raw of javaSplit(joining ?? "", ",")) {
    const parts = javaSplit(raw, "=");
    if (parts.length !== 2) throw new BadArguments("Wrong format of server string");
    const id = javaLong(parts[0].slice(parts[0].lastIndexOf(".") + 1));
    const m = parseMember(`server.${id}`, parts[1]);
    if (m.clientPort === null) {
      throw new BadArguments("each server should have 3 ports specified");
    }
    out.set(m.id, m);
  }
  return out;
}

/** ZooKeeper's StringUtils.split: split on `sep`, trim each part, drop the empty ones. */
function javaSplit(text: string, sep: string): string[] {
  return text.split(sep).map((s) => s.trim()).filter((s) => s !== "");
}
