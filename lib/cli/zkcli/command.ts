/**
 * What a shell command is and what it may use: the Shell it runs in, its parsed words, an
 * AbortSignal that Ctrl-C fires, and the helpers every command shares to print a result in
 * zkCli's text form or as one JSON document (`--json`).
 */

import type { ZkClient } from "../../client/client.ts";
import { ZkError } from "../../client/errors.ts";
import { Err } from "../../proto/errors.ts";
import type { OptionSpec } from "./options.ts";
import { pathProblem } from "./path.ts";

/** What commands need from the shell around them. */
export interface Shell {
  /** The current session, or null before the first connect / after a failed one. */
  zk: ZkClient | null;
  /** The server list of the current (or last) connection. */
  host: string;
  printWatches: boolean;
  /** Set by quit/exit. */
  quitRequested: boolean;
  /** --json: every result is one JSON document on stdout, every error one JSON line on stderr. */
  readonly json: boolean;
  /** Commands come from a person at a terminal (hints such as "Ctrl-C to stop" are shown). */
  readonly isTerminal: boolean;
  /** zkCli's numbered history of this session: command number -> line. */
  readonly history: Map<number, string>;
  /** The number the next line gets (the prompt's counter). */
  readonly commandCount: number;
  out(line: string): void;
  err(line: string): void;
  /** Closes the current session if any and connects to `host`; throws on failure. */
  connect(host: string): Promise<void>;
  /** Runs one line as if typed (redo); returns the command's success. */
  executeLine(line: string): Promise<boolean>;
}

export interface CommandContext {
  shell: Shell;
  /** The live session; commands with needsSession false may get a dead or absent one. */
  zk: ZkClient;
  /** The positional words, the command name first. */
  args: string[];
  /** Option letter (or long name) -> value ("" for flags). */
  opts: Map<string, string>;
  /** Fires on Ctrl-C while the command runs. */
  signal: AbortSignal;
}

export interface Command {
  readonly name: string;
  /** The option string of zkCli's usage line ("[-s] [-w] path"), printed on a usage error. */
  readonly usage: string;
  /** zkd's options beyond zkCli's, shown by help after the usage. */
  readonly usageExtra?: string;
  readonly options: OptionSpec;
  /** Fewest words including the command name. */
  readonly argsMin: number;
  /** Most words including the command name (zkCli ignores extra words unless this is set). */
  readonly argsMax?: number;
  /** false for commands that work without a live session (connect, quit, help, ...). */
  readonly needsSession: boolean;
  /**
   * Ctrl-C is how the command normally ends (watch): it watches ctx.signal and finishes by
   * itself. Other commands are abandoned with "Interrupted" when Ctrl-C comes.
   */
  readonly endsOnInterrupt?: boolean;
  run(ctx: CommandContext): Promise<void>;
}

/** A failure whose lines go to stderr as they are (none: it has been reported already). */
export class CommandError extends Error {
  readonly lines: string[];
  constructor(...lines: string[]) {
    super(lines.join("\n"));
    this.lines = lines;
  }
}

export function usageLine(c: Command): string {
  return `${c.name} ${c.usage}`;
}

export function checkPath(path: string, sequential = false): void {
  const problem = pathProblem(path, sequential);
  if (problem !== undefined) throw new CommandError(problem);
}

export function parseVersion(text: string | undefined): number {
  if (text === undefined) return -1;
  if (!/^[+-]?[0-9]+$/.test(text) || Math.abs(Number(text)) > 2 ** 31) {
    throw new CommandError(`version must be an integer: ${text}`);
  }
  return Number(text);
}

/**
 * Prints a command's result: the JSON document in --json mode, else zkCli's text lines. The
 * text is built lazily so JSON mode does not format what it will not print.
 */
export function emit(shell: Shell, json: unknown, text: () => readonly string[]): void {
  if (shell.json) {
    shell.out(JSON.stringify(json));
    return;
  }
  for (const line of text()) shell.out(line);
}

/** A side remark on stderr (zkCli's warnings); a {"warning": ...} line in --json mode. */
export function warn(shell: Shell, text: string): void {
  shell.err(shell.json ? JSON.stringify({ warning: text }) : text);
}

/** The child's full path. */
export function childPath(parent: string, child: string): string {
  return parent === "/" ? `/${child}` : `${parent}/${child}`;
}

/** Java's String.compareTo: UTF-16 code unit order (JS's default sort order too). */
export function compareJava(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** True for ZooKeeper's own subtree, which export/tree callers leave out of user data. */
export function isSystemPath(path: string): boolean {
  return path === "/zookeeper" || path.startsWith("/zookeeper/");
}

/** A NONODE error for `path`, as the client would raise it. */
export function noNode(path: string): ZkError {
  return new ZkError(Err.NONODE, path);
}
