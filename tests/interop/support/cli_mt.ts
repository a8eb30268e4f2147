// Drives the ZooKeeper C client's shell, cli_mt (Debian package zookeeper-bin), through stdin.
//
// cli_mt runs every command asynchronously and prints results from its completion thread, so
// to know where one command's output ends, each command is followed by a barrier: `sync` of a
// unique path. The C client completes requests in order, so once the barrier's completion line
// appears, everything the command (and any watch event it caused) printed is already there.

import { runCommand } from "./procs.ts";

export const CLI_MT = "/usr/lib/zookeeper/bin/cli_mt";

export function cliMtAvailable(): boolean {
  try {
    Deno.statSync(CLI_MT);
    return true;
  } catch {
    return false;
  }
}

export interface CliStep {
  cmd: string;
  /** Normalized output lines of this command (see normalizeCliOutput). */
  out: string[];
}

export interface CliRun {
  steps: CliStep[];
  /** "cmd\n  out line\n..." for all steps: what tests compare between servers. */
  transcript: string;
  /** Everything cli_mt printed, unnormalized. */
  rawOutput: string;
  sessionId: string;
}

/**
 * Runs `commands` through one cli_mt process connected to connectString. Commands whose names
 * are in `terminal` (default: quit) end the process; no barrier follows them.
 */
export async function runCliMt(
  connectString: string,
  commands: string[],
  opts: { stepTimeoutMs?: number } = {},
): Promise<CliRun> {
  const stepTimeoutMs = opts.stepTimeoutMs ?? 10_000;
  // Via sh so that stdout and stderr arrive as one ordered stream (cli_mt prints results to
  // stderr and `myid` to stdout).
  const child = new Deno.Command("/bin/sh", {
    args: ["-c", `exec "${CLI_MT}" "$0" 2>&1`, connectString],
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  let buf = "";
  let closed = false;
  const reader = (async () => {
    const dec = new TextDecoder();
    for await (const chunk of child.stdout) buf += dec.decode(chunk, { stream: true });
    closed = true;
  })();
  const writer = child.stdin.getWriter();
  const enc = new TextEncoder();
  const waitFor = async (pred: () => boolean, what: string) => {
    const start = Date.now();
    while (!pred()) {
      if (closed) throw new Error(`cli_mt exited while waiting for ${what}; output:\n${buf}`);
      if (Date.now() - start > stepTimeoutMs) {
        throw new Error(`cli_mt: no ${what} within ${stepTimeoutMs} ms; output:\n${buf}`);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  const steps: { cmd: string; raw: string }[] = [];
  try {
    await waitFor(() => /Got a new session id: 0x[0-9a-f]+\n/.test(buf), "session id");
    const sessionId = /Got a new session id: 0x([0-9a-f]+)/.exec(buf)![1];
    let barrier = 0;
    for (const cmd of commands) {
      const start = buf.length;
      if (cmd === "quit" || cmd.startsWith("quit ")) {
        await writer.write(enc.encode(cmd + "\n"));
        await waitFor(() => closed, "exit after quit");
        steps.push({ cmd, raw: buf.slice(start) });
        break;
      }
      const tag = `/__cli_barrier_${++barrier}`;
      await writer.write(enc.encode(`${cmd}\nsync ${tag}\n`));
      const done = `[${tag}]: rc = 0\n\tname = ${tag}\n`;
      await waitFor(() => buf.indexOf(done, start) >= 0, `barrier after "${cmd}"`);
      const end = buf.indexOf(`[${tag}]: rc = `, start);
      steps.push({ cmd, raw: buf.slice(start, end) });
    }
    if (!closed) {
      await writer.write(enc.encode("quit\n")).catch(() => {});
    }
    await writer.close().catch(() => {});
    const exitTimer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch {
        // exited
      }
    }, 10_000);
    await child.status;
    clearTimeout(exitTimer);
    await reader;
    const norm = new CliNormalizer(sessionId);
    const out = steps.map((s) => ({ cmd: s.cmd, out: norm.lines(s.raw) }));
    return {
      steps: out,
      transcript: out.map((s) => [s.cmd, ...s.out.map((l) => "  " + l)].join("\n")).join("\n"),
      rawOutput: buf,
      sessionId,
    };
  } catch (e) {
    try {
      child.kill("SIGKILL");
    } catch {
      // exited
    }
    await child.status;
    await reader.catch(() => {});
    throw e;
  }
}

/**
 * Makes cli_mt output comparable between servers: zxids (hex) become z1, z2, ... in order of
 * first appearance; dates become <time>; the client's own session id becomes <self>; timing
 * lines and the C client's own log lines (timestamped ZOO_* lines) are dropped.
 */
class CliNormalizer {
  #zxids = new Map<string, string>();
  constructor(readonly sessionHex: string) {}

  #zxid(hex: string): string {
    if (/^0+$/.test(hex)) return "0";
    let n = this.#zxids.get(hex);
    if (!n) {
      n = `z${this.#zxids.size + 1}`;
      this.#zxids.set(hex, n);
    }
    return n;
  }

  lines(raw: string): string[] {
    const out: string[] = [];
    for (let line of raw.split("\n")) {
      if (line.trim() === "") continue;
      if (/^time = -?\d+ msec$/.test(line)) continue;
      if (/ZOO_(ERROR|WARN|INFO|DEBUG)@/.test(line)) continue;
      line = line.replace(/^\tctime = .*$/, "\tctime = <time>");
      line = line.replace(/^\tmtime=.*$/, "\tmtime=<time>");
      line = line.replace(/^\t([cm]zxid)=([0-9a-f]+)$/, (_m, k, v) => `\t${k}=${this.#zxid(v)}`);
      line = line.replace(
        /^\tephemeralOwner = ([0-9a-f]+)$/,
        (_m, v) =>
          `\tephemeralOwner = ${
            v === this.sessionHex ? "<self>" : /^0+$/.test(v) ? "0" : "<other>"
          }`,
      );
      line = line.replace(
        /0x[0-9a-f]{6,16}/g,
        (v) => v.slice(2) === this.sessionHex ? "<self>" : "<session>",
      );
      out.push(line);
    }
    return out;
  }
}

/** Convenience for short one-off invocations (e.g. `cli_mt host cmd:ls /`). */
export function runCliMtBatch(connectString: string, cmd: string) {
  return runCommand(CLI_MT, [connectString, `cmd:${cmd}`], { timeoutMs: 20_000 });
}
