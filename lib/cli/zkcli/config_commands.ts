/**
 * The shell's dynamic-configuration commands with zkCli 3.8's syntax, checks and texts
 * (GetConfigCommand, ReconfigCommand):
 *
 *   config [-c] [-w] [-s]
 *   reconfig [-s] [-v version] [[-file path] | [-members serverID=host:port1:port2;port3[,...]*]]
 *            | [-add serverId=host:port1:port2;port3[,...]]* [-remove serverId[,...]*]
 *
 * `reconfig` checks its options in zkCli's order (one of -file/-members/-add/-remove, then -v
 * as a hexadecimal long, then no mixing of the incremental and non-incremental forms), lower-
 * cases what -add, -remove and -members say, and reads a -file as a dynamic config file: its
 * server.N lines (and version) become the new member list, as QuorumMaj.toString writes it.
 * A committed change prints "Committed new configuration:" and the new /zookeeper/config text
 * (plus the Stat with -s). The Java client raises reconfig's errors without a path, so
 * NOAUTH reads "Insufficient permission : " as in zkCli.
 */

import { ZkError } from "../../client/errors.ts";
import { ConfigError, parseProperties } from "../../config/config.ts";
import { renderConfigData } from "../../config/config_data.ts";
import { type EnsembleMember, parseConfigVersion, parseServerLine } from "../../config/ensemble.ts";
import { clientConfigString } from "./client_config.ts";
import { type Command, emit, usageLine } from "./command.ts";
import { statLines } from "./format.ts";
import { statJson } from "./json_values.ts";
import { CliParseError } from "./options.ts";

const CONFIG_NODE = "/zookeeper/config";

function configText(data: Uint8Array | null): string {
  return data === null ? "null" : new TextDecoder().decode(data);
}

export const configCommand: Command = {
  name: "config",
  usage: "[-c] [-w] [-s]",
  options: { c: false, w: false, s: false },
  argsMin: 1,
  needsSession: true,
  async run({ shell, zk, opts }) {
    // ZooKeeper.getConfig is a getData of the config node (a watch on it is the config watch).
    const { data, stat } = await zk.getData(CONFIG_NODE, opts.has("w"));
    const text = configText(data);
    const clientConfig = clientConfigString(text);
    emit(shell, { config: text, clientConfig, stat: statJson(stat) }, () => [
      ...(opts.has("c") ? clientConfig : text).split("\n"),
      ...(opts.has("s") ? statLines(stat) : []),
    ]);
  },
};

const LONG_MIN = -(1n << 63n);
const LONG_MAX = (1n << 63n) - 1n;

/** -v as ReconfigCommand reads it: Long.parseLong(text, 16). */
export function parseConfigVersionOption(text: string): number {
  const m = /^([+-]?)([0-9A-Fa-f]+)$/.exec(text);
  const n = m === null ? null : (m[1] === "-" ? -1n : 1n) * BigInt(`0x${m[2]}`);
  if (n === null || n < LONG_MIN || n > LONG_MAX) {
    throw new CliParseError("-v must be followed by a long (configuration version)");
  }
  // Versions are zxids; beyond 2^53 the nearest double still matches no real version.
  return Number(n);
}

/**
 * The member list a `-file` gives, as ReconfigCommand builds it: the file is read as Java
 * properties and checked as QuorumPeerConfig.parseDynamicConfig checks a dynamic config
 * (only server.N and version keys; no observers without participants), then written as
 * QuorumMaj.toString writes it: one server.N line per member by id, then `version=` in hex
 * (the file's, or 0). Throws ConfigError with the reason (zkd's wording for a bad server line).
 */
export function membersFromDynamicConfig(text: string): string {
  const props = parseProperties(text);
  for (const rawKey of props.keys()) {
    const key = rawKey.trim();
    if (key.startsWith("group") || key.startsWith("weight")) {
      throw new ConfigError(
        `hierarchical quorums (${key}) are not supported by zkd; use server.N lines only`,
      );
    }
    if (!key.startsWith("server.") && key !== "version") {
      throw new ConfigError(`Unrecognised parameter: ${key}`);
    }
  }
  const byId = new Map<number, EnsembleMember>();
  let version = 0;
  for (const [rawKey, value] of props) {
    const key = rawKey.trim();
    if (key === "version") {
      version = parseConfigVersion(key, value);
    } else {
      const member = parseServerLine(key, value);
      byId.set(member.id, member);
    }
  }
  const members = [...byId.values()];
  const participants = members.filter((m) => m.role === "participant").length;
  const observers = members.length - participants;
  if (participants === 0 && observers > 0) {
    throw new ConfigError("Observers w/o participants is an invalid configuration");
  }
  if (participants === 1 && observers > 0) {
    throw new ConfigError("Observers w/o quorum is an invalid configuration");
  }
  return renderConfigData(members, version);
}

/** How Java's FileInputStream words a file it cannot open: "PATH (No such file or directory)". */
function openProblem(path: string, e: unknown): string {
  if (e instanceof Deno.errors.NotFound) return `${path} (No such file or directory)`;
  if (e instanceof Deno.errors.PermissionDenied) return `${path} (Permission denied)`;
  if (e instanceof Deno.errors.IsADirectory) return `${path} (Is a directory)`;
  return e instanceof Error ? e.message : String(e);
}

async function membersFromFile(path: string): Promise<string> {
  try {
    return membersFromDynamicConfig(await Deno.readTextFile(path));
  } catch (e) {
    // zkCli glues the path and the reason together ("Error processing f.cfgUnrecognised ...").
    const why = e instanceof ConfigError ? e.message : openProblem(path, e);
    throw new CliParseError(`Error processing ${path}${why}`);
  }
}

/** What the reconfig request carries (null: the field is absent, as zkCli sends it). */
export interface ReconfigArgs {
  joining?: string;
  leaving?: string;
  newMembers?: string;
  fromConfig: number;
}

/** ReconfigCommand.parse: the request `opts` asks for, or a CliParseError with zkCli's text. */
export async function reconfigArgs(opts: Map<string, string>): Promise<ReconfigArgs> {
  const nonIncremental = opts.has("file") || opts.has("members");
  const incremental = opts.has("add") || opts.has("remove");
  if (!nonIncremental && !incremental) throw new CliParseError(usageLine(reconfigCommand));
  const v = opts.get("v");
  const fromConfig = v === undefined ? -1 : parseConfigVersionOption(v);
  if (nonIncremental && incremental) {
    throw new CliParseError(
      "Can't use -file or -members together with -add or -remove (mixing incremental and " +
        "non-incremental modes is not allowed)",
    );
  }
  if (opts.has("file") && opts.has("members")) {
    throw new CliParseError(
      "Can't use -file and -members together (conflicting non-incremental modes)",
    );
  }
  const out: ReconfigArgs = { fromConfig };
  if (opts.has("add")) out.joining = opts.get("add")!.toLowerCase();
  if (opts.has("remove")) out.leaving = opts.get("remove")!.toLowerCase();
  if (opts.has("members")) out.newMembers = opts.get("members")!.toLowerCase();
  if (opts.has("file")) out.newMembers = await membersFromFile(opts.get("file")!);
  return out;
}

export const reconfigCommand: Command = {
  name: "reconfig",
  usage: "[-s] [-v version] [[-file path] | [-members serverID=host:port1:port2;port3[,...]*]] | " +
    "[-add serverId=host:port1:port2;port3[,...]]* [-remove serverId[,...]*]",
  options: { s: false, v: true, file: true, members: true, add: true, remove: true },
  argsMin: 1,
  needsSession: true,
  async run({ shell, zk, opts }) {
    const { fromConfig, ...change } = await reconfigArgs(opts);
    let reply: Awaited<ReturnType<typeof zk.reconfig>>;
    try {
      reply = await zk.reconfig(change, fromConfig);
    } catch (e) {
      // ZooKeeperAdmin.reconfigure raises KeeperException.create(code, ""): no path.
      if (e instanceof ZkError) throw new ZkError(e.code, "");
      throw e;
    }
    const text = configText(reply.data);
    emit(
      shell,
      { config: text, clientConfig: clientConfigString(text), stat: statJson(reply.stat) },
      () => [
        "Committed new configuration:",
        ...text.split("\n"),
        ...(opts.has("s") ? statLines(reply.stat) : []),
      ],
    );
  },
};

export const configCommands: readonly Command[] = [configCommand, reconfigCommand];
