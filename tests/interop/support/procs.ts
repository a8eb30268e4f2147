// Child-process bookkeeping for interop tests.
//
// Every long-lived process a test starts (zkd, Apache ZooKeeper) is registered here, so that a
// failing test, a thrown assertion or an aborted run cannot leave a server listening behind us:
// the `unload` handler SIGKILLs whatever is still registered when the test module goes away.

const live = new Set<Deno.ChildProcess>();

function killAllLeftovers(): void {
  for (const child of live) {
    try {
      child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
  }
  live.clear();
}

globalThis.addEventListener("unload", killAllLeftovers);

export interface LoggedProcess {
  child: Deno.ChildProcess;
  pid: number;
  logPath: string;
  /** Resolves when the process has exited (never rejects). */
  exited: Promise<Deno.CommandStatus>;
  /** True once the process has exited. */
  hasExited(): boolean;
  /** SIGTERM, then SIGKILL if it has not exited within graceMs. */
  stop(graceMs?: number): Promise<Deno.CommandStatus>;
  /** SIGKILL and wait. */
  kill(): Promise<Deno.CommandStatus>;
}

/**
 * Spawns `argv` with stdout and stderr appended to `logPath` and stdin closed.
 *
 * The redirection is done by `/bin/sh -c 'exec "$@" >>log 2>&1'`: `exec` replaces the shell, so
 * the pid we hold is the real program's pid (signals reach it directly), and no async pump runs
 * inside the test process (a pump would trip Deno's op sanitizer and could die with the test).
 */
export function spawnLogged(
  argv: string[],
  opts: { logPath: string; cwd?: string; env?: Record<string, string> },
): LoggedProcess {
  const child = new Deno.Command("/bin/sh", {
    args: ["-c", 'exec "$@" >>"$ZKD_TEST_LOG" 2>&1', "sh", ...argv],
    cwd: opts.cwd,
    env: { ...(opts.env ?? {}), ZKD_TEST_LOG: opts.logPath },
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  live.add(child);
  let done = false;
  const exited = child.status.then((s) => {
    done = true;
    live.delete(child);
    return s;
  });
  const signal = (sig: Deno.Signal) => {
    if (done) return;
    try {
      child.kill(sig);
    } catch {
      // Raced with exit.
    }
  };
  return {
    child,
    pid: child.pid,
    logPath: opts.logPath,
    exited,
    hasExited: () => done,
    async stop(graceMs = 10_000) {
      signal("SIGTERM");
      const timer = new Deadline(graceMs);
      const status = await Promise.race([exited, timer.promise]);
      timer.cancel();
      if (status === "timeout") {
        signal("SIGKILL");
        return await exited;
      }
      return status;
    },
    async kill() {
      signal("SIGKILL");
      return await exited;
    },
  };
}

/** A cancellable timer promise that resolves to "timeout" (cancel it to keep the op sanitizer happy). */
export class Deadline {
  readonly promise: Promise<"timeout">;
  #id: ReturnType<typeof setTimeout> | undefined;
  constructor(ms: number) {
    this.promise = new Promise((resolve) => {
      this.#id = setTimeout(() => resolve("timeout"), ms);
    });
  }
  cancel(): void {
    clearTimeout(this.#id);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Last `maxBytes` of a log file, for error messages. */
export async function tailFile(path: string, maxBytes = 4000): Promise<string> {
  try {
    const text = await Deno.readTextFile(path);
    return text.length > maxBytes ? "..." + text.slice(text.length - maxBytes) : text;
  } catch (e) {
    return `(could not read ${path}: ${e})`;
  }
}

/** Runs a short-lived command to completion with a hard timeout; returns its output as text. */
export async function runCommand(
  cmd: string,
  args: string[],
  opts: { stdin?: string; timeoutMs: number; cwd?: string; env?: Record<string, string> },
): Promise<{ code: number; stdout: string; stderr: string; timedOut: boolean }> {
  const child = new Deno.Command(cmd, {
    args,
    cwd: opts.cwd,
    env: opts.env,
    stdin: opts.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  live.add(child);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      child.kill("SIGKILL");
    } catch {
      // Already exited.
    }
  }, opts.timeoutMs);
  try {
    if (opts.stdin !== undefined) {
      const writer = child.stdin.getWriter();
      try {
        await writer.write(new TextEncoder().encode(opts.stdin));
        await writer.close();
      } catch {
        // The child may exit before reading all of stdin; its output tells what happened.
      }
    }
    const out = await child.output();
    const dec = new TextDecoder();
    return {
      code: out.code,
      stdout: dec.decode(out.stdout),
      stderr: dec.decode(out.stderr),
      timedOut,
    };
  } finally {
    clearTimeout(timer);
    live.delete(child);
  }
}
