/**
 * `zkd cli`: a ZooKeeper shell in the manner of zkCli.sh 3.8.
 *
 *   zkd cli [-server host:port,...] [-timeout ms] [-r] [-c "cmd args"] [cmd args...]
 *
 * With a command (-c, or words after the options as zkCli takes them) it connects, runs that
 * one command, closes the session and exits 0 on success or 1 on failure (the reason on
 * stderr). Without one it reads commands line by line from stdin; the prompt
 * "[zk: host:port(CONNECTED) N] " is shown when stdin is a terminal (zkCli without JLine shows
 * none either), and the exit code is that of the last command. A bad argument exits 2, an
 * unreachable server 1, each with one line on stderr.
 */

import { type ConnectOptions, ZkClient } from "../client/client.ts";
import { parseHosts } from "../client/hosts.ts";
import type { WatchedEvent } from "../client/watches.ts";
import { executeLine, executeWords, type Shell, usageText } from "./zkcli/commands.ts";
import { watchedEventText } from "./zkcli/format.ts";
import { tokenizeLine } from "./zkcli/tokenize.ts";

/** Where the shell reads and writes; tests substitute their own. */
export interface CliIo {
  /** Writes one line to stdout. */
  out(line: string): void;
  /** Writes one line to stderr. */
  err(line: string): void;
  /** Writes text to stdout with no newline (the prompt). */
  prompt(text: string): void;
  /** stdin, line by line. */
  lines(): AsyncIterable<string>;
  /** Whether stdin is a terminal (then the prompt is shown). */
  readonly isTerminal: boolean;
}

const SERVER_DEFAULT = "127.0.0.1:2181";
const TIMEOUT_MS_DEFAULT = 30_000;

const USAGE = 'usage: zkd cli [-server host:port,...] [-timeout ms] [-r] [-c "cmd args"] ' +
  "[cmd args...]";

class ArgError extends Error {}

interface CliArgs {
  server: string;
  timeoutMs: number;
  readOnly: boolean;
  /** The one-shot command's words, or null for the interactive shell. */
  command: string[] | null;
  help: boolean;
}

function parseCliArgs(args: readonly string[]): CliArgs {
  const out: CliArgs = {
    server: SERVER_DEFAULT,
    timeoutMs: TIMEOUT_MS_DEFAULT,
    readOnly: false,
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

export async function runCli(args: string[], io: CliIo = denoIo()): Promise<number> {
  let parsed: CliArgs;
  try {
    parsed = parseCliArgs(args);
  } catch (e) {
    if (!(e instanceof ArgError)) throw e;
    io.err(`zkd cli: ${e.message} (${USAGE})`);
    return 2;
  }
  if (parsed.help) {
    io.out(USAGE);
    for (const line of usageText()) io.out(line);
    return 0;
  }
  const interactive = parsed.command === null;
  const shell = new CliShell(io, parsed, interactive);
  if (!interactive) {
    try {
      await shell.connect(parsed.server);
    } catch (e) {
      io.err(`zkd cli: ${(e as Error).message}`);
      return 1;
    }
    const ok = await executeWords(shell, parsed.command!);
    await shell.zk?.close();
    return ok ? 0 : 1;
  }

  io.out(`Connecting to ${parsed.server}`);
  io.out("Welcome to ZooKeeper!");
  try {
    await shell.connect(parsed.server);
  } catch (e) {
    io.err(`zkd cli: ${(e as Error).message}`);
    return 1;
  }
  let ok = true;
  if (io.isTerminal) io.prompt(shell.prompt());
  for await (const line of io.lines()) {
    if (line.trim() !== "") {
      const result = await executeLine(shell, line);
      // zkCli exits from inside quit with the code of the command before it.
      if (!shell.quitRequested) ok = result;
      shell.commandCount++;
    }
    if (shell.quitRequested) break;
    if (io.isTerminal) io.prompt(shell.prompt());
  }
  await shell.zk?.close();
  return ok ? 0 : 1;
}

class CliShell implements Shell {
  zk: ZkClient | null = null;
  host: string;
  printWatches = true;
  quitRequested = false;
  commandCount = 0;
  readonly #io: CliIo;
  readonly #args: CliArgs;
  readonly #interactive: boolean;

  constructor(io: CliIo, args: CliArgs, interactive: boolean) {
    this.#io = io;
    this.#args = args;
    this.#interactive = interactive;
    this.host = args.server;
  }

  out(line: string): void {
    this.#io.out(line);
  }

  err(line: string): void {
    this.#io.err(line);
  }

  prompt(): string {
    const state = this.zk?.state ?? "CLOSED";
    return `[zk: ${this.host}(${state}) ${this.commandCount}] `;
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
      watcher: this.#interactive ? (e) => this.#onEvent(e) : undefined,
    };
    this.zk = null;
    this.zk = await ZkClient.connect(options);
  }

  #onEvent(e: WatchedEvent): void {
    if (!this.printWatches) return;
    // zkCli's printMessage puts a blank line before each of the two lines.
    this.#io.out("");
    this.#io.out("WATCHER::");
    this.#io.out("");
    this.#io.out(watchedEventText(e));
  }
}

/** The real stdin/stdout/stderr. Writes are synchronous so stdout and stderr stay in order. */
function denoIo(): CliIo {
  const encoder = new TextEncoder();
  const write = (file: typeof Deno.stdout, text: string) => {
    const bytes = encoder.encode(text);
    try {
      let off = 0;
      while (off < bytes.byteLength) off += file.writeSync(bytes.subarray(off));
    } catch (e) {
      // A closed pipe (e.g. `| head`) is not the shell's problem.
      if (!(e instanceof Deno.errors.BrokenPipe)) throw e;
    }
  };
  return {
    out: (line) => write(Deno.stdout, line + "\n"),
    err: (line) => write(Deno.stderr, line + "\n"),
    prompt: (text) => write(Deno.stdout, text),
    lines: () => readLines(Deno.stdin.readable),
    isTerminal: Deno.stdin.isTerminal(),
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
