/**
 * The shell's command table and dispatcher, with zkCli 3.8's syntax, output streams and texts
 * (ZooKeeperMain and org.apache.zookeeper.cli.*): results go to stdout; errors go to stderr,
 * one line each, and so does zkCli's "Created /path" line. In --json mode a result is one JSON
 * document on stdout and an error one JSON line on stderr. Each command returns true on
 * success and false on failure; the shell turns that into the exit code.
 */

import { ZkError } from "../../client/errors.ts";
import { aclCommands } from "./acl_commands.ts";
import { type Command, CommandError, emit, type Shell, usageLine } from "./command.ts";
import { configCommands } from "./config_commands.ts";
import { DataFormatError } from "./data_format.ts";
import { exportCommand, importCommand } from "./export_commands.ts";
import { keeperErrorText } from "./format.ts";
import { errorJson } from "./json_values.ts";
import { nodeCommands } from "./node_commands.ts";
import { CliParseError, parseCommandOptions } from "./options.ts";
import { sessionCommands } from "./session_commands.ts";
import { tokenizeLine } from "./tokenize.ts";
import { treeCommand } from "./tree_command.ts";
import { watchCommands } from "./watch_commands.ts";

export type { Shell } from "./command.ts";

const help: Command = {
  name: "help",
  usage: "",
  options: {},
  argsMin: 1,
  needsSession: false,
  run({ shell }) {
    emit(
      shell,
      { commands: sortedCommands().map((c) => ({ name: c.name, usage: helpLine(c) })) },
      usageText,
    );
    return Promise.resolve();
  },
};

const commands: readonly Command[] = [
  ...sessionCommands,
  help,
  ...nodeCommands,
  ...aclCommands,
  ...watchCommands,
  ...configCommands,
  treeCommand,
  exportCommand,
  importCommand,
];

const byName = new Map(commands.map((c) => [c.name, c]));

function sortedCommands(): Command[] {
  return [...commands].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function helpLine(c: Command): string {
  return c.usageExtra === undefined ? usageLine(c) : `${usageLine(c)} ${c.usageExtra}`;
}

/** The usage block zkCli prints: one tab-indented line per command, sorted. */
export function usageText(): string[] {
  return [
    'ZooKeeper -server host:port -timeout ms -c "cmd args"',
    ...sortedCommands().map((c) => `\t${helpLine(c)}`),
  ];
}

/** Every command name, sorted (Tab completion). */
export function commandNames(): string[] {
  return sortedCommands().map((c) => c.name);
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
  shell.err(shell.json ? JSON.stringify({ warning }) : warning);
  if (name === "delete") return [name, "-v", words[2], words[1]];
  const out = [...words];
  out[2] = "-w";
  return out;
}

/** Ctrl-C ended a command that does not stop by itself. */
class Interrupted extends Error {
  override name = "Interrupted";
  constructor() {
    super("Interrupted");
  }
}

/**
 * Runs one shell line. Returns true on success (or an empty line), false on failure after
 * printing the reason on stderr. `signal` is Ctrl-C.
 */
export async function executeLine(
  shell: Shell,
  line: string,
  signal: AbortSignal = new AbortController().signal,
): Promise<boolean> {
  const words = tokenizeLine(line);
  if (words.length === 0) return true;
  return await executeWords(shell, words, signal);
}

export async function executeWords(
  shell: Shell,
  wordsIn: readonly string[],
  signal: AbortSignal = new AbortController().signal,
): Promise<boolean> {
  const name = wordsIn[0];
  const command = byName.get(name);
  if (command === undefined) {
    report(shell, `Command not found: Command not found ${name}`, undefined);
    return false;
  }
  try {
    const zk = shell.zk;
    if (command.needsSession && (zk === null || !zk.isAlive)) {
      // zkCli prints this on stdout; as a failure it belongs on stderr in JSON mode.
      if (shell.json) report(shell, "Not connected", undefined);
      else shell.out("Not connected");
      return false;
    }
    let parsed = parseCommandOptions(wordsIn, command.options);
    const rewritten = rewriteDeprecated(shell, [...wordsIn], parsed.args.length);
    if (rewritten !== null) parsed = parseCommandOptions(rewritten, command.options);
    const n = parsed.args.length;
    if (n < command.argsMin || n > (command.argsMax ?? Infinity)) {
      throw new CliParseError(usageLine(command));
    }
    let abandoned = false;
    const ctx = {
      shell: muffled(shell, () => abandoned),
      zk: zk!,
      args: parsed.args,
      opts: parsed.options,
      signal,
    };
    try {
      await untilInterrupted(command.run(ctx), command.endsOnInterrupt ? undefined : signal);
    } catch (e) {
      // An interrupted command may still finish later; what it would print then is noise.
      if (e instanceof Interrupted) abandoned = true;
      throw e;
    }
    return true;
  } catch (e) {
    for (const line of errorLines(e)) report(shell, line, e);
    return false;
  }
}

/**
 * The command's promise, or an Interrupted rejection as soon as Ctrl-C comes. A request in
 * flight cannot be recalled; its late answer is dropped.
 */
function untilInterrupted(work: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (signal === undefined) return work;
  if (signal.aborted) {
    work.catch(() => {});
    return Promise.reject(new Interrupted());
  }
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      work.catch(() => {});
      reject(new Interrupted());
    };
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** `shell` for one command: what it prints after `silenced()` turns true is dropped. */
function muffled(shell: Shell, silenced: () => boolean): Shell {
  return {
    get zk() {
      return shell.zk;
    },
    set zk(zk) {
      shell.zk = zk;
    },
    get host() {
      return shell.host;
    },
    set host(host) {
      shell.host = host;
    },
    get printWatches() {
      return shell.printWatches;
    },
    set printWatches(on) {
      shell.printWatches = on;
    },
    get quitRequested() {
      return shell.quitRequested;
    },
    set quitRequested(quit) {
      shell.quitRequested = quit;
    },
    json: shell.json,
    isTerminal: shell.isTerminal,
    history: shell.history,
    get commandCount() {
      return shell.commandCount;
    },
    out: (line) => {
      if (!silenced()) shell.out(line);
    },
    err: (line) => {
      if (!silenced()) shell.err(line);
    },
    connect: (host) => shell.connect(host),
    executeLine: (line) => shell.executeLine(line),
  };
}

function report(shell: Shell, line: string, e: unknown): void {
  shell.err(shell.json ? JSON.stringify(errorJson(line, e)) : line);
}

function errorLines(e: unknown): string[] {
  if (e instanceof CommandError) return e.lines;
  if (e instanceof CliParseError) return [e.message];
  if (e instanceof ZkError) return [keeperErrorText(e.code, e.path)];
  if (e instanceof DataFormatError) return [e.message];
  if (e instanceof DOMException && e.name === "AbortError") return ["Interrupted"];
  if (e instanceof Error) return [e.message];
  return [String(e)];
}
