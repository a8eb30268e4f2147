/**
 * The shell's commands, with zkCli 3.8's syntax, output streams and texts (ZooKeeperMain and
 * org.apache.zookeeper.cli.*). Results go to stdout; errors go to stderr, and so does zkCli's
 * "Created /path" line. Each command returns true on success and false on failure; the shell
 * turns that into the exit code.
 */

import { ZkClient } from "../../client/client.ts";
import { ZkError } from "../../client/errors.ts";
import { createRequest } from "../../client/requests.ts";
import { Err } from "../../proto/errors.ts";
import { AddWatchMode, CreateFlag, Perm, WatcherType } from "../../proto/ops.ts";
import type { Acl } from "../../proto/records.ts";
import { VERSION_LINE } from "../../version.ts";
import { parseAcl } from "./acl_parser.ts";
import { keeperErrorText, keeperExceptionMessage, statLines } from "./format.ts";
import { CliParseError, type OptionSpec, parseCommandOptions } from "./options.ts";
import { pathProblem } from "./path.ts";
import { tokenizeLine } from "./tokenize.ts";

/** What commands need from the shell around them. */
export interface Shell {
  /** The current session, or null before the first connect / after a failed one. */
  zk: ZkClient | null;
  /** The server list of the current (or last) connection. */
  host: string;
  printWatches: boolean;
  /** Set by quit/exit. */
  quitRequested: boolean;
  out(line: string): void;
  err(line: string): void;
  /** Closes the current session if any and connects to `host`; throws on failure. */
  connect(host: string): Promise<void>;
}

/** A failure whose lines go to stderr as they are. */
class CommandError extends Error {
  readonly lines: string[];
  constructor(...lines: string[]) {
    super(lines.join("\n"));
    this.lines = lines;
  }
}

interface Command {
  readonly name: string;
  /** The option string of zkCli's usage line ("[-s] [-w] path"). */
  readonly usage: string;
  readonly options: OptionSpec;
  /** Fewest words including the command name. */
  readonly argsMin: number;
  /** false for commands that work without a live session (connect, quit, help, ...). */
  readonly needsSession: boolean;
  run(shell: Shell, zk: ZkClient, args: string[], opts: Map<string, string>): Promise<void>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function usageLine(c: Command): string {
  return `${c.name} ${c.usage}`;
}

function checkPath(path: string, sequential = false): void {
  const problem = pathProblem(path, sequential);
  if (problem !== undefined) throw new CommandError(problem);
}

function parseVersion(text: string | undefined): number {
  if (text === undefined) return -1;
  if (!/^[+-]?[0-9]+$/.test(text) || Math.abs(Number(text)) > 2 ** 31) {
    throw new CommandError(`version must be an integer: ${text}`);
  }
  return Number(text);
}

/** zkCli's ZKUtil.getPermString order: c d r w a. */
function permString(perms: number): string {
  let s = "";
  if (perms & Perm.CREATE) s += "c";
  if (perms & Perm.DELETE) s += "d";
  if (perms & Perm.READ) s += "r";
  if (perms & Perm.WRITE) s += "w";
  if (perms & Perm.ADMIN) s += "a";
  return s;
}

function printAcl(shell: Shell, acl: readonly Acl[]): void {
  for (const a of acl) {
    shell.out(`'${a.scheme},'${a.id}`);
    shell.out(`: ${permString(a.perms)}`);
  }
}

/** The deprecated forms zkCli still accepts, and the text it prints when it sees one. */
const DEPRECATED: Readonly<Record<string, string>> = {
  ls: "'ls path [watch]' has been deprecated. Please use 'ls [-w] path' instead.",
  get: "'get path [watch]' has been deprecated. Please use 'get [-s] [-w] path' instead.",
  stat: "'stat path [watch]' has been deprecated. Please use 'stat [-w] path' instead.",
  delete: "'delete path [version]' has been deprecated. " +
    "Please use 'delete [-v version] path' instead.",
};

/**
 * zkCli's retainCompatibility: with more positional words than the command takes, the old
 * "cmd path watch" form is assumed (the third raw word becomes -w) and "delete path version"
 * becomes "delete -v version path". It rewrites raw words, quirks included.
 */
function rewriteDeprecated(shell: Shell, words: string[], positional: number): string[] | null {
  const name = words[0];
  const warning = DEPRECATED[name];
  if (warning === undefined || positional <= 2) return null;
  shell.err(warning);
  if (name === "delete") return [name, "-v", words[2], words[1]];
  const out = [...words];
  out[2] = "-w";
  return out;
}

const quit: Command = {
  name: "quit",
  usage: "",
  options: {},
  argsMin: 1,
  needsSession: false,
  async run(shell) {
    shell.quitRequested = true;
    await shell.zk?.close();
  },
};

const commands: Command[] = [
  {
    name: "connect",
    usage: "host:port",
    options: {},
    argsMin: 1,
    needsSession: false,
    async run(shell, _zk, args) {
      await shell.connect(args[1] ?? shell.host);
    },
  },
  {
    name: "close",
    usage: "",
    options: {},
    argsMin: 1,
    needsSession: true,
    async run(_shell, zk) {
      await zk.close();
    },
  },
  quit,
  { ...quit, name: "exit" },
  {
    name: "help",
    usage: "",
    options: {},
    argsMin: 1,
    needsSession: false,
    run(shell) {
      for (const line of usageText()) shell.out(line);
      return Promise.resolve();
    },
  },
  {
    name: "ls",
    usage: "[-s] [-w] [-R] path",
    options: { s: false, w: false, R: false, "?": false },
    argsMin: 2,
    needsSession: true,
    async run(shell, zk, args, opts) {
      const path = args[1];
      checkPath(path);
      const watch = opts.has("w");
      if (opts.has("R")) {
        await listRecursive(shell, zk, path, watch);
        return;
      }
      const { children, stat } = await zk.getChildren2(path, watch);
      shell.out(`[${[...children].sort(compareJava).join(", ")}]`);
      if (opts.has("s")) { for (const line of statLines(stat)) shell.out(line); }
    },
  },
  {
    name: "get",
    usage: "[-s] [-w] path",
    options: { s: false, w: false },
    argsMin: 2,
    needsSession: true,
    async run(shell, zk, args, opts) {
      const path = args[1];
      checkPath(path);
      const { data, stat } = await zk.getData(path, opts.has("w"));
      shell.out(data === null ? "null" : decoder.decode(data));
      if (opts.has("s")) { for (const line of statLines(stat)) shell.out(line); }
    },
  },
  {
    name: "stat",
    usage: "[-w] path",
    options: { w: false },
    argsMin: 2,
    needsSession: true,
    async run(shell, zk, args, opts) {
      const path = args[1];
      checkPath(path);
      const stat = await zk.exists(path, opts.has("w"));
      if (stat === null) throw new ZkError(Err.NONODE, path);
      for (const line of statLines(stat)) shell.out(line);
    },
  },
  {
    name: "set",
    usage: "[-s] [-v version] path data",
    options: { s: false, v: true },
    argsMin: 3,
    needsSession: true,
    async run(shell, zk, args, opts) {
      const path = args[1];
      const version = parseVersion(opts.get("v"));
      checkPath(path);
      const stat = await zk.setData(path, encoder.encode(args[2]), version);
      if (opts.has("s")) { for (const line of statLines(stat)) shell.out(line); }
    },
  },
  {
    name: "create",
    usage: "[-s] [-e] [-c] [-t ttl] path [data] [acl]",
    options: { e: false, s: false, c: false, t: true },
    argsMin: 2,
    needsSession: true,
    async run(shell, zk, args, opts) {
      await create(shell, zk, args, opts);
    },
  },
  {
    name: "delete",
    usage: "[-v version] path",
    options: { v: true },
    argsMin: 2,
    needsSession: true,
    async run(_shell, zk, args, opts) {
      const path = args[1];
      const version = parseVersion(opts.get("v"));
      checkPath(path);
      await zk.delete(path, version);
    },
  },
  {
    name: "sync",
    usage: "path",
    options: {},
    argsMin: 2,
    needsSession: true,
    async run(shell, zk, args) {
      checkPath(args[1]);
      await zk.sync(args[1]);
      shell.out("Sync is OK");
    },
  },
  {
    name: "getAcl",
    usage: "[-s] path",
    options: { s: false },
    argsMin: 2,
    needsSession: true,
    async run(shell, zk, args, opts) {
      checkPath(args[1]);
      const { acl, stat } = await zk.getACL(args[1]);
      printAcl(shell, acl);
      if (opts.has("s")) { for (const line of statLines(stat)) shell.out(line); }
    },
  },
  {
    name: "setAcl",
    usage: "[-s] [-v version] path acl",
    options: { s: false, v: true },
    argsMin: 3,
    needsSession: true,
    async run(shell, zk, args, opts) {
      const path = args[1];
      const version = parseVersion(opts.get("v"));
      checkPath(path);
      const parsed = parseAcl(args[2]);
      for (const w of parsed.warnings) shell.err(w);
      const stat = await zk.setACL(path, parsed.acl, version);
      if (opts.has("s")) { for (const line of statLines(stat)) shell.out(line); }
    },
  },
  {
    name: "addauth",
    usage: "scheme auth",
    options: {},
    argsMin: 2,
    needsSession: true,
    async run(_shell, zk, args) {
      await zk.addAuth(args[1], args[2] ?? "");
    },
  },
  {
    name: "whoami",
    usage: "",
    options: {},
    argsMin: 1,
    needsSession: true,
    async run(shell, zk) {
      const infos = await zk.whoAmI();
      shell.out("Auth scheme: User");
      for (const i of infos) shell.out(`${i.authScheme}: ${i.user}`);
    },
  },
  {
    name: "getAllChildrenNumber",
    usage: "path",
    options: {},
    argsMin: 2,
    needsSession: true,
    async run(shell, zk, args) {
      checkPath(args[1]);
      shell.out(String(await zk.getAllChildrenNumber(args[1])));
    },
  },
  {
    name: "getEphemerals",
    usage: "path",
    options: {},
    argsMin: 1,
    needsSession: true,
    async run(shell, zk, args) {
      const paths = await zk.getEphemerals(args[1] ?? "/");
      shell.out(`[${paths.join(", ")}]`);
    },
  },
  {
    name: "addWatch",
    usage: "[-m mode] path # optional mode is one of [PERSISTENT, PERSISTENT_RECURSIVE] - " +
      "default is PERSISTENT_RECURSIVE",
    options: { m: true },
    argsMin: 2,
    needsSession: true,
    async run(_shell, zk, args, opts) {
      const modeName = opts.get("m") ?? "PERSISTENT_RECURSIVE";
      const mode = modeName === "PERSISTENT"
        ? AddWatchMode.persistent
        : modeName === "PERSISTENT_RECURSIVE"
        ? AddWatchMode.persistentRecursive
        : undefined;
      if (mode === undefined) throw new CommandError(`Unsupported mode: ${modeName}`);
      checkPath(args[1]);
      await zk.addWatch(args[1], mode);
    },
  },
  {
    name: "removewatches",
    usage: "path [-c|-d|-a] [-l]",
    options: { c: false, d: false, a: false },
    argsMin: 2,
    needsSession: true,
    async run(_shell, zk, args, opts) {
      const type = opts.has("c")
        ? WatcherType.children
        : opts.has("d")
        ? WatcherType.data
        : WatcherType.any;
      checkPath(args[1]);
      await zk.removeWatches(args[1], type);
    },
  },
  {
    name: "printwatches",
    usage: "on|off",
    options: {},
    argsMin: 1,
    needsSession: false,
    run(shell, _zk, args) {
      if (args.length === 1) shell.out(`printwatches is ${shell.printWatches ? "on" : "off"}`);
      else shell.printWatches = args[1] === "on";
      return Promise.resolve();
    },
  },
  {
    name: "version",
    usage: "",
    options: {},
    argsMin: 1,
    needsSession: false,
    run(shell) {
      shell.out(`ZooKeeper CLI version: ${VERSION_LINE}`);
      return Promise.resolve();
    },
  },
];

const byName = new Map(commands.map((c) => [c.name, c]));

/** The usage block zkCli prints: one tab-indented line per command, sorted. */
export function usageText(): string[] {
  const lines = ['ZooKeeper -server host:port -timeout ms -c "cmd args"'];
  for (const c of [...commands].sort((a, b) => compareJava(a.name, b.name))) {
    lines.push(`\t${usageLine(c)}`);
  }
  return lines;
}

/** Java's String.compareTo: UTF-16 code unit order (JS's default sort order too). */
function compareJava(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

async function listRecursive(shell: Shell, zk: ZkClient, path: string, watch: boolean) {
  // ZKUtil.visitSubTreeDFS: the node, then each child subtree in sorted order.
  shell.out(path);
  const children = (await zk.getChildren(path, watch)).sort(compareJava);
  for (const child of children) {
    await listRecursive(shell, zk, path === "/" ? `/${child}` : `${path}/${child}`, watch);
  }
}

/** The largest TTL (EphemeralType.TTL's 40-bit field). */
const TTL_MS_MAX = 1099511627775;

async function create(shell: Shell, zk: ZkClient, args: string[], opts: Map<string, string>) {
  const hasE = opts.has("e");
  const hasS = opts.has("s");
  const hasC = opts.has("c");
  const hasT = opts.has("t");
  if (hasC && (hasE || hasS)) {
    throw new CommandError(
      "-c cannot be combined with -s or -e. Containers cannot be ephemeral or sequential.",
    );
  }
  let ttlMs = 0;
  if (hasT) {
    const text = opts.get("t")!;
    if (!/^[+-]?[0-9]+$/.test(text)) throw new CommandError("-t argument must be a long value");
    ttlMs = Number(text);
  }
  if (hasT && hasE) throw new CommandError("TTLs cannot be used with Ephemeral znodes");
  if (hasT && hasC) throw new CommandError("TTLs cannot be used with Container znodes");
  let mode: number;
  if (hasE && hasS) mode = CreateFlag.ephemeralSequential;
  else if (hasE) mode = CreateFlag.ephemeral;
  else if (hasS) {
    mode = hasT ? CreateFlag.persistentSequentialWithTtl : CreateFlag.persistentSequential;
  } else if (hasC) mode = CreateFlag.container;
  else mode = hasT ? CreateFlag.persistentWithTtl : CreateFlag.persistent;
  if (hasT && (ttlMs <= 0 || ttlMs > TTL_MS_MAX)) {
    throw new CommandError(`ttl must be positive and cannot be larger than: ${TTL_MS_MAX}`);
  }
  const path = args[1];
  const data = args.length > 2 ? encoder.encode(args[2]) : null;
  let acl: Acl[] | undefined;
  if (args.length > 3) {
    const parsed = parseAcl(args[3]);
    for (const w of parsed.warnings) shell.err(w);
    acl = parsed.acl;
  }
  checkPath(path, hasS);
  if (acl !== undefined && acl.length === 0) {
    // The Java client refuses an empty ACL itself, before sending, with no path attached.
    throw new CommandError(
      keeperExceptionMessage(Err.INVALIDACL, undefined),
      "Acl is not valid : null",
    );
  }
  // Validate the mode/ttl combination the way the client library would.
  createRequest(path, data, { mode, acl, ttlMs: hasT ? ttlMs : undefined });
  try {
    const created = await zk.create(path, data, { mode, acl, ttlMs: hasT ? ttlMs : undefined });
    shell.err(`Created ${created}`);
  } catch (e) {
    if (e instanceof ZkError && e.code === Err.INVALIDACL) {
      throw new CommandError(
        keeperExceptionMessage(e.code, e.path),
        keeperErrorText(e.code, e.path),
      );
    }
    if (e instanceof ZkError && e.code === Err.EPHEMERALONLOCALSESSION) {
      throw new CommandError(
        "Unable to create ephemeral node on a local session",
        keeperErrorText(e.code, e.path),
      );
    }
    throw e;
  }
}

/**
 * Runs one shell line. Returns true on success (or an empty line), false on failure after
 * printing the reason on stderr.
 */
export async function executeLine(shell: Shell, line: string): Promise<boolean> {
  const words = tokenizeLine(line);
  if (words.length === 0) return true;
  return await executeWords(shell, words);
}

export async function executeWords(shell: Shell, wordsIn: readonly string[]): Promise<boolean> {
  const name = wordsIn[0];
  const command = byName.get(name);
  if (command === undefined) {
    shell.err(`Command not found: Command not found ${name}`);
    return false;
  }
  try {
    const zk = shell.zk;
    if (command.needsSession && (zk === null || !zk.isAlive)) {
      shell.out("Not connected");
      return false;
    }
    let parsed = parseCommandOptions(wordsIn, command.options);
    const rewritten = rewriteDeprecated(shell, [...wordsIn], parsed.args.length);
    if (rewritten !== null) parsed = parseCommandOptions(rewritten, command.options);
    if (parsed.args.length < command.argsMin) throw new CliParseError(usageLine(command));
    await command.run(shell, zk!, parsed.args, parsed.options);
    return true;
  } catch (e) {
    for (const line of errorLines(e)) shell.err(line);
    return false;
  }
}

function errorLines(e: unknown): string[] {
  if (e instanceof CommandError) return e.lines;
  if (e instanceof CliParseError) return [e.message];
  if (e instanceof ZkError) return [keeperErrorText(e.code, e.path)];
  if (e instanceof Error) return [e.message];
  return [String(e)];
}
