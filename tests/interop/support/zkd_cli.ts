// Running the two shells as a user would: `zkd cli` (deno run main.ts cli, the permissions of
// `deno task cli`) and Apache ZooKeeper's own zkCli.sh from Debian's `zookeeper` package.

import { runCommand } from "./procs.ts";
import { REPO_ROOT } from "./zkd.ts";

export const ZKCLI_SH = "/usr/share/zookeeper/bin/zkCli.sh";

/** The argv that starts `zkd cli` (append the cli's own arguments). */
export function zkdCliArgv(): string[] {
  return [
    Deno.execPath(),
    "run",
    "--allow-net",
    "--allow-read",
    "--allow-write",
    "--allow-env",
    "--allow-sys",
    `${REPO_ROOT}/main.ts`,
    "cli",
  ];
}

export interface ShellRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `zkd cli ARGS` with `stdin` (none: stdin closed), bounded by timeoutMs. */
export async function runZkdCli(
  args: string[],
  opts: { stdin?: string; timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<ShellRun> {
  const [cmd, ...rest] = zkdCliArgv();
  const r = await runCommand(cmd, [...rest, ...args], {
    stdin: opts.stdin,
    timeoutMs: opts.timeoutMs ?? 60_000,
    env: { NO_COLOR: "1", ...(opts.env ?? {}) },
  });
  if (r.timedOut) throw new Error(`zkd cli ${args.join(" ")} did not finish; stderr:\n${r.stderr}`);
  return { code: r.code, stdout: r.stdout, stderr: r.stderr };
}

/** True when Debian's zkCli.sh (and so a JVM and the ZooKeeper jars) is installed. */
export function zkCliShAvailable(): boolean {
  try {
    Deno.statSync(ZKCLI_SH);
    return true;
  } catch {
    return false;
  }
}

/** Runs zkCli.sh ARGS with `stdin`, bounded by timeoutMs. */
export async function runZkCliSh(
  args: string[],
  opts: { stdin?: string; timeoutMs?: number } = {},
): Promise<ShellRun> {
  const r = await runCommand(ZKCLI_SH, args, {
    stdin: opts.stdin,
    timeoutMs: opts.timeoutMs ?? 90_000,
  });
  if (r.timedOut) {
    throw new Error(`zkCli.sh ${args.join(" ")} did not finish; stderr:\n${r.stderr}`);
  }
  return { code: r.code, stdout: r.stdout, stderr: r.stderr };
}
