// Starts the real zkd server (main.ts) as a separate process, the way a user would run it.

import { spawnLogged } from "./procs.ts";
import {
  makeHandle,
  prepareDirs,
  type ServerHandle,
  type ServerOptions,
  waitUntilServing,
} from "./server.ts";

/** The repository root (this file is tests/interop/support/zkd.ts). */
export const REPO_ROOT = new URL("../../../", import.meta.url).pathname.replace(/\/$/, "");

/**
 * Starts `deno run ... main.ts start --config <zoo.cfg>` on a free loopback port with a fresh
 * dataDir, and waits until `srvr` answers with a Mode: line (default 20 s).
 * With `dataDir` set, reuses an existing data directory (for restart tests).
 */
export async function startZkd(
  opts: ServerOptions & { dataDir?: string } = {},
): Promise<ServerHandle> {
  const startTimeoutMs = opts.startTimeoutMs ?? 20_000;
  const cfg = { ...(opts.cfg ?? {}) };
  if (opts.dataDir) cfg.dataDir = opts.dataDir;
  const dirs = await prepareDirs("zkd-interop-", { ...opts, cfg });
  const mainTs = `${REPO_ROOT}/main.ts`;
  try {
    await Deno.stat(mainTs);
  } catch {
    throw new Error(`zkd is not runnable yet: ${mainTs} does not exist`);
  }
  const proc = spawnLogged([
    Deno.execPath(),
    "run",
    "--v8-flags=--no-memory-reducer",
    "--allow-net",
    "--allow-read",
    "--allow-write",
    "--allow-env",
    "--allow-sys",
    mainTs,
    "start",
    "--config",
    dirs.cfgPath,
  ], { logPath: dirs.logPath, cwd: REPO_ROOT, env: { NO_COLOR: "1" } });
  await waitUntilServing("zkd", proc, dirs.port, startTimeoutMs);
  return makeHandle("zkd", dirs, proc);
}
