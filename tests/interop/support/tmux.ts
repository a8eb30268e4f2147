// A real terminal for tests: a program run inside tmux, driven with send-keys and read back with
// capture-pane. Each session gets its own tmux server (a private socket in a temp dir), so tests
// never touch a user's tmux or each other's. Waits poll the screen against a deadline instead of
// sleeping, so a slow machine only makes them slower, not flaky.

import { runCommand, sleep } from "./procs.ts";

const TMUX = "tmux";
const POLL_MS = 50;

/** True when a tmux binary runs here. */
export async function tmuxAvailable(): Promise<boolean> {
  try {
    const r = await runCommand(TMUX, ["-V"], { timeoutMs: 5_000 });
    return r.code === 0;
  } catch {
    return false;
  }
}

export interface TmuxOptions {
  /** The program and its arguments (run directly, no shell). */
  argv: string[];
  /** Extra environment for the program. */
  env?: Record<string, string>;
  cwd?: string;
  columns?: number;
  rows?: number;
}

export class TmuxSession {
  readonly #dir: string;
  readonly #socket: string;
  readonly #target = "t";
  readonly #killOnUnload = () => this.#killServerSync();

  private constructor(dir: string) {
    this.#dir = dir;
    this.#socket = `${dir}/tmux.sock`;
  }

  get #statusPath(): string {
    return `${this.#dir}/exit-status`;
  }

  static async start(opts: TmuxOptions): Promise<TmuxSession> {
    const dir = await Deno.makeTempDir({ prefix: "zkd-tmux-" });
    const session = new TmuxSession(dir);
    // remain-on-exit keeps the pane, and its last screen, after the program ends.
    const conf = `${dir}/tmux.conf`;
    await Deno.writeTextFile(conf, "set -g remain-on-exit on\nset -g history-limit 5000\n");
    // The exit status goes to a file: tmux 3.3 can lose it when the pane's process ends while
    // tmux runs its utmp helper (the pane shows dead with no status).
    const env = { ...(opts.env ?? {}), ZKD_TMUX_STATUS: session.#statusPath };
    const envArgs = Object.entries(env).flatMap(([k, v]) => ["-e", `${k}=${v}`]);
    await session.#tmux([
      "-f",
      conf,
      "new-session",
      "-d",
      "-s",
      session.#target,
      "-x",
      String(opts.columns ?? 120),
      "-y",
      String(opts.rows ?? 40),
      ...(opts.cwd ? ["-c", opts.cwd] : []),
      ...envArgs,
      "/bin/sh",
      "-c",
      '"$@"; echo $? >"$ZKD_TMUX_STATUS"',
      "sh",
      ...opts.argv,
    ]);
    globalThis.addEventListener("unload", session.#killOnUnload);
    return session;
  }

  async #tmux(args: string[]): Promise<string> {
    const r = await runCommand(TMUX, ["-S", this.#socket, ...args], { timeoutMs: 15_000 });
    if (r.code !== 0) {
      throw new Error(`tmux ${args.join(" ")} failed (${r.code}): ${r.stderr.trim()}`);
    }
    return r.stdout;
  }

  /** Types `text` literally (no key names). */
  async type(text: string): Promise<void> {
    await this.#tmux(["send-keys", "-t", this.#target, "-l", text]);
  }

  /** Presses named keys: "Enter", "Tab", "Up", "Down", "Left", "BSpace", "C-a", "C-c", ... */
  async press(...keys: string[]): Promise<void> {
    await this.#tmux(["send-keys", "-t", this.#target, ...keys]);
  }

  /** The visible screen, trailing blank lines dropped. */
  async screen(): Promise<string> {
    const text = await this.#tmux(["capture-pane", "-p", "-t", this.#target]);
    return text.replace(/\n+$/, "");
  }

  /** The screen's last non-blank line (usually the prompt being edited). */
  async lastLine(): Promise<string> {
    return (await this.screen()).split("\n").at(-1) ?? "";
  }

  /**
   * Polls the screen until `accept` returns true; fails after `timeoutMs` with `what` and the
   * screen as it was.
   */
  async waitFor(
    what: string,
    accept: (screen: string) => boolean,
    timeoutMs = 30_000,
  ): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let screen = "";
    while (Date.now() < deadline) {
      screen = await this.screen();
      if (accept(screen)) return screen;
      await sleep(POLL_MS);
    }
    throw new Error(`terminal: no ${what} within ${timeoutMs} ms; screen:\n${screen}`);
  }

  /** The program's exit status once it has ended (null while it runs). */
  async exitStatus(): Promise<number | null> {
    try {
      const text = (await Deno.readTextFile(this.#statusPath)).trim();
      return /^[0-9]+$/.test(text) ? Number(text) : null;
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return null;
      throw e;
    }
  }

  /** Waits for the program to end and returns its exit status. */
  async waitForExit(timeoutMs = 30_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const status = await this.exitStatus();
      if (status !== null) return status;
      await sleep(POLL_MS);
    }
    throw new Error(
      `terminal: the program did not exit within ${timeoutMs} ms; screen:\n` +
        (await this.screen()),
    );
  }

  /** Ends the tmux server (and the program, if still running) and removes the temp dir. */
  async close(): Promise<void> {
    globalThis.removeEventListener("unload", this.#killOnUnload);
    await this.#tmux(["kill-server"]).catch(() => {});
    await Deno.remove(this.#dir, { recursive: true }).catch(() => {});
  }

  #killServerSync(): void {
    try {
      new Deno.Command(TMUX, { args: ["-S", this.#socket, "kill-server"] }).outputSync();
    } catch {
      // Already gone.
    }
  }
}
