// What zkd and Apache ZooKeeper have in common as test processes: a handle type, the zoo.cfg
// they both read, and the "is it serving yet" wait.

import { fourLetter, freePort, renderZooCfg } from "./net.ts";
import { type LoggedProcess, sleep, tailFile } from "./procs.ts";

export interface ServerOptions {
  /** Extra zoo.cfg keys; they override the defaults (tickTime, dataDir, clientPort, ...). */
  cfg?: Record<string, string>;
  /** How long to wait for `srvr` to answer with a Mode: line. */
  startTimeoutMs?: number;
}

export interface ServerHandle {
  /** "zkd" or "apache-zk", used in messages. */
  kind: string;
  port: number;
  /** "127.0.0.1:port" */
  connectString: string;
  dataDir: string;
  /** The temp dir holding zoo.cfg, dataDir and the log. */
  baseDir: string;
  cfgPath: string;
  logPath: string;
  pid: number;
  /** SIGTERM and wait (SIGKILL after a grace period). Removes the temp dir. */
  stop(): Promise<void>;
  /** SIGKILL and wait. Keeps the temp dir (a restart may reuse dataDir); stop() removes it. */
  kill(): Promise<void>;
  /** Last lines of the server log. */
  logTail(): Promise<string>;
}

/** The defaults every test server gets; opts.cfg entries are applied on top. */
export function baseCfg(dataDir: string, port: number): Record<string, string> {
  return {
    tickTime: "2000",
    dataDir,
    clientPort: String(port),
    clientPortAddress: "127.0.0.1",
    "4lw.commands.whitelist": "*",
    // The admin HTTP server on a port of its own (0: any free one), so parallel test servers
    // do not fight over 8080; tests of the admin API set their own.
    "admin.serverAddress": "127.0.0.1",
    "admin.serverPort": "0",
  };
}

export interface PreparedDirs {
  baseDir: string;
  dataDir: string;
  cfgPath: string;
  logPath: string;
  port: number;
  cfg: Record<string, string>;
}

export async function prepareDirs(prefix: string, opts: ServerOptions): Promise<PreparedDirs> {
  const baseDir = await Deno.makeTempDir({ prefix });
  const dataDir = `${baseDir}/data`;
  await Deno.mkdir(dataDir);
  const port = freePort();
  const cfg = { ...baseCfg(dataDir, port), ...(opts.cfg ?? {}) };
  const cfgPath = `${baseDir}/zoo.cfg`;
  await Deno.writeTextFile(cfgPath, renderZooCfg(cfg));
  return { baseDir, dataDir, cfgPath, logPath: `${baseDir}/server.log`, port, cfg };
}

/**
 * Polls `srvr` until it answers with a `Mode:` line. Fails early (with the log tail) if the
 * process exits, and after timeoutMs otherwise.
 */
export async function waitUntilServing(
  kind: string,
  proc: LoggedProcess,
  port: number,
  timeoutMs: number,
): Promise<void> {
  const start = Date.now();
  let lastError = "";
  while (Date.now() - start < timeoutMs) {
    if (proc.hasExited()) {
      const status = await proc.exited;
      throw new Error(
        `${kind} exited with code ${status.code} before serving on port ${port}; log:\n` +
          (await tailFile(proc.logPath)),
      );
    }
    try {
      const reply = await fourLetter(port, "srvr", 2_000);
      if (/^Mode: /m.test(reply)) return;
      lastError = `srvr reply without Mode: ${JSON.stringify(reply.slice(0, 200))}`;
    } catch (e) {
      lastError = String(e);
    }
    await sleep(100);
  }
  await proc.kill();
  throw new Error(
    `${kind} did not answer srvr with a Mode: line on port ${port} within ${timeoutMs} ms ` +
      `(last: ${lastError}); log:\n${await tailFile(proc.logPath)}`,
  );
}

export function makeHandle(
  kind: string,
  dirs: PreparedDirs,
  proc: LoggedProcess,
): ServerHandle {
  return {
    kind,
    port: dirs.port,
    connectString: `127.0.0.1:${dirs.port}`,
    dataDir: dirs.dataDir,
    baseDir: dirs.baseDir,
    cfgPath: dirs.cfgPath,
    logPath: dirs.logPath,
    pid: proc.pid,
    async stop() {
      await proc.stop();
      if (!Deno.env.get("ZKD_KEEP_TEST_DIRS")) {
        await Deno.remove(dirs.baseDir, { recursive: true }).catch(() => {});
      }
    },
    async kill() {
      await proc.kill();
    },
    logTail: () => tailFile(dirs.logPath),
  };
}
