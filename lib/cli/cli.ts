/**
 * `zkd cli`: a ZooKeeper shell in the manner of zkCli.sh 3.8.
 *
 *   zkd cli [-server host:port,...] [-timeout ms] [-r] [--json] [-c "cmd args"] [cmd args...]
 *
 * With a command (-c, or words after the options as zkCli takes them) it connects, runs that
 * one command, closes the session and exits 0 on success or 1 on failure (the reason on
 * stderr, one line). Watch notifications then go to stderr, so stdout holds only the result.
 * Without a command it is an interactive shell: on a terminal, a line editor with history
 * (~/.zkd_history) and Tab completion of commands and znode paths, and the prompt
 * "[zk: host:port(CONNECTED) N] "; with piped stdin it reads commands line by line and shows
 * no prompt (as zkCli without JLine). The exit code is that of the last command. --json makes
 * every result one JSON document on stdout and every error one JSON line on stderr. A bad
 * argument exits 2, an unreachable server 1, each with one line on stderr.
 */

import { type ConnectOptions, ZkClient } from "../client/client.ts";
import { parseHosts } from "../client/hosts.ts";
import type { WatchedEvent } from "../client/watches.ts";
import { EventType, KeeperState } from "../proto/ops.ts";
import { commandNames, executeLine, executeWords, usageText } from "./zkcli/commands.ts";
import type { Shell } from "./zkcli/command.ts";
import type { CompletionSource } from "./zkcli/completion.ts";
import { eventTypeName, keeperStateName, watchedEventText } from "./zkcli/format.ts";
import { defaultHistoryPath, HistoryFile } from "./zkcli/history_file.ts";
import { TerminalPrompt } from "./zkcli/terminal.ts";
import { tokenizeLine } from "./zkcli/tokenize.ts";

/** Where the shell reads and writes; tests substitute their own. */
export interface CliIo {
  /** Writes one line to stdout. */
  out(line: string): void;
  /** Writes one line to stderr. */
  err(line: string): void;
  /**
   * The next command line, after showing `prompt` where a person is typing; null at the end of
   * input. `completion` serves Tab on a terminal.
   */
  readLine(prompt: string, completion: CompletionSource): Promise<string | null>;
  /** Whether a person is typing at a terminal (prompt and hints are shown). */
  readonly isTerminal: boolean;
  /** Calls `handler` on Ctrl-C until the returned function is called. */
  onInterrupt(handler: () => void): () => void;
  /** Gives the terminal back as it was. */
  close(): void;
}

const SERVER_DEFAULT = "127.0.0.1:2181";
const TIMEOUT_MS_DEFAULT = 30_000;
/** Tab completion gives up on a server that does not answer within this. */
const COMPLETION_WAIT_MS = 2_000;

const USAGE =
  'usage: zkd cli [-server host:port,...] [-timeout ms] [-r] [--json] [-c "cmd args"] ' +
  "[cmd args...]";

class ArgError extends Error {}

interface CliArgs {
  server: string;
  timeoutMs: number;
  readOnly: boolean;
  json: boolean;
  /** The one-shot command's words, or null for the interactive shell. */
  command: string[] | null;
  help: boolean;
}

function parseCliArgs(args: readonly string[]): CliArgs {
  const out: CliArgs = {
    server: SERVER_DEFAULT,
    timeoutMs: TIMEOUT_MS_DEFAULT,
    readOnly: false,
    json: false,
    command: null,
    help: false,
  };
  const value = (i: number, name: string): string => {
    const v = args[i + 1];
    if (v === undefined) throw new ArgError(`missing value for ${name}`);
    return v;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    switch (a) {
      case "-server":
      case "--server":
        out.server = value(i++, a);
        try {
          parseHosts(out.server);
        } catch (e) {
          throw new ArgError(`bad ${a} value '${out.server}': ${(e as Error).message}`);
        }
        break;
      case "-timeout":
      case "--timeout": {
        const text = value(i++, a);
        if (!/^[0-9]+$/.test(text) || Number(text) <= 0 || Number(text) > 2 ** 31 - 1) {
          throw new ArgError(`bad ${a} value '${text}': a positive number of milliseconds`);
        }
        out.timeoutMs = Number(text);
        break;
      }
      case "-r":
      case "--readonly":
        out.readOnly = true;
        break;
      case "-json":
      case "--json":
        out.json = true;
        break;
      case "-c":
      case "--command": {
        const words = tokenizeLine(value(i++, a));
        if (words.length === 0) throw new ArgError(`empty ${a} command`);
        out.command = words;
        break;
      }
      case "-h":
      case "-help":
      case "--help":
        out.help = true;
        break;
      default:
        if (a.startsWith("-")) throw new ArgError(`unknown option '${a}'`);
        if (out.command !== null) throw new ArgError(`both -c and a command given: '${a}'`);
        // zkCli style: everything from the first word on is the command.
        out.command = args.slice(i);
        i = args.length;
    }
  }
  return out;
}

export async function runCli(args: string[], ioIn?: CliIo): Promise<number> {
  let parsed: CliArgs;
  try {
    parsed = parseCliArgs(args);
  } catch (e) {
    if (!(e instanceof ArgError)) throw e;
    (ioIn ?? lineIo()).err(`zkd cli: ${e.message} (${USAGE})`);
    return 2;
  }
  const interactive = parsed.command === null && !parsed.help;
  const io = ioIn ?? (interactive ? denoIo() : lineIo());
  try {
    if (parsed.help) {
      io.out(USAGE);
      for (const line of usageText()) io.out(line);
      return 0;
    }
    return interactive ? await runShell(io, parsed) : await runOneShot(io, parsed);
  } finally {
    io.close();
  }
}

async function runOneShot(io: CliIo, parsed: CliArgs): Promise<number> {
  const shell = new CliShell(io, parsed, false);
  try {
    await shell.connect(parsed.server);
  } catch (e) {
    shell.fail(`zkd cli: ${(e as Error).message}`);
    return 1;
  }
  const ok = await shell.run(() => executeWords(shell, parsed.command!, shell.signal));
  await shell.close();
  return ok ? 0 : 1;
}

async function runShell(io: CliIo, parsed: CliArgs): Promise<number> {
  const shell = new CliShell(io, parsed, true);
  if (!parsed.json) {
    io.out(`Connecting to ${parsed.server}`);
    io.out("Welcome to ZooKeeper!");
  }
  try {
    await shell.connect(parsed.server);
  } catch (e) {
    shell.fail(`zkd cli: ${(e as Error).message}`);
    return 1;
  }
  let ok = true;
  for (;;) {
    const line = await io.readLine(shell.prompt(), shell.completion);
    if (line === null) break;
    if (line.trim() !== "") {
      // As zkCli: the line is in the history (under the prompt's number) while it runs.
      shell.history.set(shell.commandCount, line);
      const result = await shell.run(() => executeLine(shell, line, shell.signal));
      // zkCli exits from inside quit with the code of the command before it.
      if (!shell.quitRequested) ok = result;
      shell.commandCount++;
    }
    if (shell.quitRequested) break;
  }
  await shell.close();
  return ok ? 0 : 1;
}

class CliShell implements Shell {
  zk: ZkClient | null = null;
  host: string;
  printWatches = true;
  quitRequested = false;
  commandCount = 0;
  readonly history = new Map<number, string>();
  readonly json: boolean;
  readonly #io: CliIo;
  readonly #args: CliArgs;
  readonly #interactive: boolean;
  #interrupt = new AbortController();
  /** Watch events before this many SyncConnected ones are the shell's own connecting. */
  #connectsExpected = 0;
  /** The shell is ending its session: the Closed event that follows is no news. */
  #closing = false;

  readonly completion: CompletionSource = {
    commands: commandNames(),
    children: (path) => this.#children(path),
  };

  constructor(io: CliIo, args: CliArgs, interactive: boolean) {
    this.#io = io;
    this.#args = args;
    this.#interactive = interactive;
    this.host = args.server;
    this.json = args.json;
  }

  get isTerminal(): boolean {
    return this.#io.isTerminal;
  }

  /** Ctrl-C during the command being run. */
  get signal(): AbortSignal {
    return this.#interrupt.signal;
  }

  out(line: string): void {
    this.#io.out(line);
  }

  err(line: string): void {
    this.#io.err(line);
  }

  /** A failure outside any command (cannot connect): one line, JSON in --json mode. */
  fail(message: string): void {
    this.err(this.json ? JSON.stringify({ error: message }) : message);
  }

  prompt(): string {
    const state = this.zk?.state ?? "CLOSED";
    return `[zk: ${this.host}(${state}) ${this.commandCount}] `;
  }

  /** Runs one top-level command with Ctrl-C wired to its signal. */
  async run(work: () => Promise<boolean>): Promise<boolean> {
    this.#interrupt = new AbortController();
    const stop = this.#io.onInterrupt(() => this.#interrupt.abort());
    try {
      return await work();
    } finally {
      stop();
    }
  }

  /** Ends the session as the shell ends. */
  async close(): Promise<void> {
    this.#closing = true;
    await this.zk?.close();
  }

  executeLine(line: string): Promise<boolean> {
    return executeLine(this, line, this.signal);
  }

  async connect(host: string): Promise<void> {
    if (this.zk !== null && this.zk.isAlive) await this.zk.close();
    this.host = host;
    const hosts = parseHosts(host);
    const options: ConnectOptions = {
      hosts: host,
      sessionTimeoutMs: this.#args.timeoutMs,
      readOnly: this.#args.readOnly,
      connectTimeoutMs: this.#args.timeoutMs,
      // A shell should say "unreachable" at once rather than retry for the whole timeout.
      connectAttemptsMax: hosts.length,
      watcher: (e) => this.#onEvent(e),
    };
    this.zk = null;
    this.#connectsExpected = 1;
    this.zk = await ZkClient.connect(options);
  }

  async #children(path: string): Promise<string[] | null> {
    const zk = this.zk;
    if (zk === null || !zk.isAlive) return null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), COMPLETION_WAIT_MS);
    });
    const children = zk.getChildren(path).catch(() => null);
    try {
      return await Promise.race([children, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Watch notifications and session changes. Interactive text mode prints zkCli's WATCHER::
   * block on stdout. A one-shot command sends them to stderr (stdout is its result) and --json
   * prints one JSON line on stderr; both leave out the SyncConnected and Closed that the shell's
   * own connecting and closing cause.
   */
  #onEvent(e: WatchedEvent): void {
    const ownConnect = e.type === EventType.None && e.state === KeeperState.SyncConnected &&
      this.#connectsExpected > 0;
    if (ownConnect) this.#connectsExpected--;
    const own = ownConnect || (this.#closing && e.state === KeeperState.Closed);
    if (!this.printWatches) return;
    if (this.json) {
      if (own) return;
      const event = { type: eventTypeName(e.type), state: keeperStateName(e.state), path: e.path };
      this.#io.err(JSON.stringify({ watcher: event }));
      return;
    }
    if (!this.#interactive) {
      if (!own) this.#io.err(`WATCHER:: ${watchedEventText(e)}`);
      return;
    }
    // zkCli's printMessage puts a blank line before each of the two lines.
    this.#io.out("");
    this.#io.out("WATCHER::");
    this.#io.out("");
    this.#io.out(watchedEventText(e));
  }
}

const encoder = new TextEncoder();

function write(file: typeof Deno.stdout, text: string): void {
  const bytes = encoder.encode(text);
  try {
    let off = 0;
    while (off < bytes.byteLength) off += file.writeSync(bytes.subarray(off));
  } catch (e) {
    // A closed pipe (e.g. `| head`) is not the shell's problem.
    if (!(e instanceof Deno.errors.BrokenPipe)) throw e;
  }
}

/**
 * The real terminal when a person is typing at one (stdin and stdout both terminals), else
 * line-by-line stdin.
 */
function denoIo(): CliIo {
  if (!Deno.stdin.isTerminal() || !Deno.stdout.isTerminal()) return lineIo();
  const history = HistoryFile.open(defaultHistoryPath(), (m) => write(Deno.stderr, m + "\n"));
  const terminal = new TerminalPrompt(history);
  return {
    out: (line) => terminal.out(line),
    err: (line) => terminal.err(line),
    readLine: (prompt, completion) => terminal.readLine(prompt, completion),
    isTerminal: true,
    onInterrupt: (handler) => terminal.onInterrupt(handler),
    close: () => terminal.close(),
  };
}

/**
 * stdin line by line, stdout and stderr written synchronously so they stay in order; Ctrl-C
 * is SIGINT. The prompt is shown when stdin is a terminal (without the line editor: stdout is
 * not one).
 */
function lineIo(): CliIo {
  const isTerminal = Deno.stdin.isTerminal();
  let lines: AsyncIterator<string> | null = null;
  return {
    out: (line) => write(Deno.stdout, line + "\n"),
    err: (line) => write(Deno.stderr, line + "\n"),
    async readLine(prompt) {
      if (isTerminal) write(Deno.stdout, prompt);
      lines ??= readLines(Deno.stdin.readable)[Symbol.asyncIterator]();
      const next = await lines.next();
      return next.done ? null : next.value;
    },
    isTerminal,
    onInterrupt(handler) {
      // While a listener is installed SIGINT no longer ends the process: only during commands.
      Deno.addSignalListener("SIGINT", handler);
      return () => Deno.removeSignalListener("SIGINT", handler);
    },
    close() {},
  };
}

async function* readLines(stream: ReadableStream<Uint8Array>): AsyncIterable<string> {
  let pending = "";
  for await (const text of stream.pipeThrough(new TextDecoderStream())) {
    pending += text;
    let nl: number;
    while ((nl = pending.indexOf("\n")) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      yield line.endsWith("\r") ? line.slice(0, -1) : line;
    }
  }
  if (pending !== "") yield pending;
}
