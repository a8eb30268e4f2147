/**
 * Servers run as child processes on loopback for the benchmark and the client tests: Apache
 * ZooKeeper 3.8 from Debian's `zookeeper` package, and zkd (`main.ts start`). Each gets a
 * fresh temp directory (zoo.cfg, dataDir, log file) and a free port, and counts as started
 * once the `srvr` four-letter word answers on its client port.
 */

import { fourLetterWord } from "./four_letter.ts";
import { rssKb } from "./proc_mem.ts";

export interface ServerProcess {
  /** "zk" or "zkd". */
  readonly name: string;
  readonly hostname: string;
  readonly port: number;
  /** "127.0.0.1:port" */
  readonly connectString: string;
  readonly baseDir: string;
  /** `<baseDir>/data`: the server's dataDir (snapshots and log under version-2). */
  readonly dataDir: string;
  readonly logPath: string;
  readonly pid: number;
  /** performance.now() when the process was spawned, and when `srvr` first said Mode:. */
  readonly spawnedAtMs: number;
  readonly readyAtMs: number;
  /** Highest RSS seen while waiting for `srvr` (only when StartOptions.sampleRss), KiB. */
  readonly startupPeakRssKb: number | undefined;
  /** The last lines of the server's log (stdout + stderr), for error messages. */
  logTail(lines?: number): string;
  /**
   * `signal` (SIGTERM by default), then SIGKILL after graceMs; removes the temp directory
   * unless keepDir (here or in StartOptions).
   */
  stop(graceMs?: number, opts?: { keepDir?: boolean; signal?: Deno.Signal }): Promise<void>;
}

export interface StartOptions {
  /** Client port; a free one by default. */
  port?: number;
  /** Extra zoo.cfg keys. */
  cfg?: Record<string, string>;
  startTimeoutMs?: number;
  /** Keep the temp directory after stop() (to read the log). */
  keepDir?: boolean;
  /**
   * Start in this directory (made by an earlier start with keepDir) instead of a fresh temp
   * one: a restart on the same dataDir. The zoo.cfg is written anew, the log appended to.
   */
  baseDir?: string;
  /** Called with every line the server prints (stdout or stderr) and performance.now(). */
  onLine?: (line: string, atMs: number) => void;
  /** How often to poll `srvr` while waiting for the server (default 100 ms). */
  readyPollMs?: number;
  /** Sample the RSS (ps) at every poll while starting, for startupPeakRssKb. */
  sampleRss?: boolean;
}

const JAVA_DIR = "/usr/share/java";

/** A loopback port that was free a moment ago. */
export function freeLoopbackPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

function fileExists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** The classpath for Debian's ZooKeeper (its jar's manifest names the rest), or undefined. */
export function apacheZkClasspath(): string | undefined {
  const jar = `${JAVA_DIR}/zookeeper.jar`;
  if (!fileExists(jar) || !fileExists("/usr/bin/java")) return undefined;
  const parts = [jar];
  // slf4j-simple turns "no binding" silence into warnings on stderr, which land in the log.
  if (fileExists(`${JAVA_DIR}/slf4j-simple.jar`)) parts.push(`${JAVA_DIR}/slf4j-simple.jar`);
  return parts.join(":");
}

export function apacheZkInstalled(): boolean {
  return apacheZkClasspath() !== undefined;
}

/** JVM flags for tests: a small JVM that starts fast (C1 only, serial GC). */
export const JVM_FLAGS_QUICK = [
  "-Xms32m",
  "-Xmx256m",
  "-XX:+UseSerialGC",
  "-XX:TieredStopAtLevel=1",
];

/** JVM flags for benchmarking: full JIT, G1, a fixed 1 GiB heap (what zkEnv.sh users run). */
export const JVM_FLAGS_BENCH = ["-Xms1g", "-Xmx1g", "-XX:+UseG1GC", "-XX:+AlwaysPreTouch"];

/**
 * JVM flags for the 1M-znode benchmarks: room for a million znodes plus a snapshot being
 * serialised (-Xmx2g), but no -Xms / pre-touch, so the resident memory measured is what the
 * JVM really uses rather than a heap reserved up front.
 */
export const JVM_FLAGS_BIG = ["-Xmx2g", "-XX:+UseG1GC"];

export interface ApacheZkOptions extends StartOptions {
  jvmFlags?: readonly string[];
  /** slf4j-simple's default level (default warn); info shows snapshots and loading. */
  logLevel?: "warn" | "info" | "debug";
  /**
   * The main class: ZooKeeperServerMain (standalone, the default) or QuorumPeerMain (an
   * ensemble member: cfg holds server.N lines and dataDir/myid exists).
   */
  mainClass?: string;
}

function zooCfg(dataDir: string, port: number, extra: Record<string, string>): string {
  const cfg: Record<string, string> = {
    tickTime: "2000",
    dataDir,
    clientPort: String(port),
    clientPortAddress: "127.0.0.1",
    "admin.enableServer": "false",
    "4lw.commands.whitelist": "*",
    maxClientCnxns: "0",
    extendedTypesEnabled: "true",
    ...extra,
  };
  return Object.entries(cfg).map(([k, v]) => `${k}=${v}`).join("\n") + "\n";
}

/** Starts Apache ZooKeeper standalone (ZooKeeperServerMain) on 127.0.0.1. */
export async function startApacheZk(opts: ApacheZkOptions = {}): Promise<ServerProcess> {
  const cp = apacheZkClasspath();
  if (cp === undefined) {
    throw new Error("Apache ZooKeeper is not installed (/usr/share/java/zookeeper.jar, java)");
  }
  const port = opts.port ?? freeLoopbackPort();
  const baseDir = opts.baseDir ?? await Deno.makeTempDir({ prefix: "zkd-apache-zk-" });
  const dataDir = `${baseDir}/data`;
  await Deno.mkdir(dataDir, { recursive: true });
  const cfgPath = `${baseDir}/zoo.cfg`;
  const extra = opts.cfg ?? {};
  await Deno.writeTextFile(cfgPath, zooCfg(dataDir, port, extra));
  // zoo.cfg keys ZooKeeper does not parse itself become zookeeper.<key> system properties only
  // in some code paths; passing them as -D too makes them take effect everywhere.
  const props = [
    "-Dzookeeper.extendedTypesEnabled=true",
    "-Dzookeeper.admin.enableServer=false",
    "-Dzookeeper.4lw.commands.whitelist=*",
    `-Dorg.slf4j.simpleLogger.defaultLogLevel=${opts.logLevel ?? "warn"}`,
    // A quorum member would otherwise try to register log4j MBeans (log4j is not installed).
    "-Dzookeeper.jmx.log4j.disable=true",
    // server.N lines are membership, which only zoo.cfg carries.
    ...Object.entries(extra).filter(([k]) => !/^server\.\d+$/.test(k))
      .map(([k, v]) => `-Dzookeeper.${k}=${v}`),
  ];
  const args = [
    ...(opts.jvmFlags ?? JVM_FLAGS_QUICK),
    ...props,
    "-cp",
    cp,
    opts.mainClass ?? "org.apache.zookeeper.server.ZooKeeperServerMain",
    cfgPath,
  ];
  return await launch("zk", "/usr/bin/java", args, baseDir, port, opts);
}

export interface ZkdOptions extends StartOptions {
  /** The repository root holding main.ts. */
  repoRoot: string;
  /** Extra `zkd start` arguments (e.g. --log-level warn). */
  args?: readonly string[];
  /** Extra `deno run` flags (e.g. --cpu-prof, --v8-flags=--trace-gc), before main.ts. */
  denoFlags?: readonly string[];
}

/** Starts zkd (`deno run ... main.ts start --config <tmp cfg>`) on 127.0.0.1. */
export async function startZkd(opts: ZkdOptions): Promise<ServerProcess> {
  const port = opts.port ?? freeLoopbackPort();
  const baseDir = opts.baseDir ?? await Deno.makeTempDir({ prefix: "zkd-zkd-" });
  const dataDir = `${baseDir}/data`;
  await Deno.mkdir(dataDir, { recursive: true });
  const cfgPath = `${baseDir}/zoo.cfg`;
  await Deno.writeTextFile(cfgPath, zooCfg(dataDir, port, opts.cfg ?? {}));
  const args = [
    "run",
    "--allow-net",
    "--allow-read",
    "--allow-write",
    "--allow-env",
    "--allow-sys",
    // As `deno task start` runs it: V8's memory reducer stops the world for 0.4-0.5 s on a
    // 1M-znode heap under steady writes.
    "--v8-flags=--no-memory-reducer",
    ...(opts.denoFlags ?? []),
    `${opts.repoRoot}/main.ts`,
    "start",
    "--config",
    cfgPath,
    ...(opts.args ?? []),
  ];
  return await launch("zkd", Deno.execPath(), args, baseDir, port, opts);
}

async function launch(
  name: string,
  command: string,
  args: string[],
  baseDir: string,
  port: number,
  opts: StartOptions,
): Promise<ServerProcess> {
  const logPath = `${baseDir}/server.log`;
  // A restart (opts.baseDir) appends to the log of the earlier run.
  const log = await Deno.open(logPath, {
    write: true,
    create: true,
    truncate: opts.baseDir === undefined,
    append: opts.baseDir !== undefined,
  });
  const spawnedAtMs = performance.now();
  const child = new Deno.Command(command, {
    args,
    cwd: baseDir,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  // Both streams into one log file; the writes interleave at chunk granularity.
  const logWriter = log.writable.getWriter();
  const onLine = opts.onLine;
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    // Lines are split per stream, so stdout and stderr never mix within one line.
    const decoder = new TextDecoder();
    let partial = "";
    for await (const chunk of stream) {
      if (onLine !== undefined) {
        const atMs = performance.now();
        const lines = (partial + decoder.decode(chunk, { stream: true })).split("\n");
        partial = lines.pop()!;
        for (const line of lines) onLine(line, atMs);
      }
      await logWriter.write(chunk);
    }
    if (onLine !== undefined && partial !== "") onLine(partial, performance.now());
  };
  const pumps = Promise.allSettled([pump(child.stdout), pump(child.stderr)]).then(async () => {
    await logWriter.close().catch(() => {});
  });
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });

  const logTail = (lines = 30) => {
    try {
      return Deno.readTextFileSync(logPath).split("\n").slice(-lines).join("\n");
    } catch {
      return "(no log)";
    }
  };
  let stopped = false;
  const stop = async (
    graceMs = 5_000,
    how: { keepDir?: boolean; signal?: Deno.Signal } = {},
  ) => {
    if (stopped) return;
    stopped = true;
    if (!exited) {
      try {
        child.kill(how.signal ?? "SIGTERM");
      } catch {
        // Exited meanwhile.
      }
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch {
          // Exited meanwhile.
        }
      }, graceMs);
      await status;
      clearTimeout(timer);
    } else {
      await status;
    }
    await pumps;
    if (!(how.keepDir ?? opts.keepDir)) {
      await Deno.remove(baseDir, { recursive: true }).catch(() => {});
    }
  };

  const startTimeoutMs = opts.startTimeoutMs ?? 60_000;
  const deadline = performance.now() + startTimeoutMs;
  let startupPeakRssKb: number | undefined;
  for (;;) {
    if (opts.sampleRss) {
      const rss = await rssKb(child.pid);
      if (rss !== undefined) startupPeakRssKb = Math.max(startupPeakRssKb ?? 0, rss);
    }
    if (exited) {
      const tail = logTail();
      await stop();
      throw new Error(`${name} exited during startup; log tail:\n${tail}`);
    }
    try {
      const reply = await fourLetterWord("127.0.0.1", port, "srvr", 2_000);
      if (reply.includes("Mode:")) break;
    } catch {
      // Not listening yet.
    }
    if (performance.now() > deadline) {
      const tail = logTail();
      await stop();
      throw new Error(
        `${name} did not answer srvr on port ${port} within ${startTimeoutMs} ms:\n${tail}`,
      );
    }
    await new Promise((r) => setTimeout(r, opts.readyPollMs ?? 100));
  }
  const readyAtMs = performance.now();
  return {
    name,
    hostname: "127.0.0.1",
    port,
    connectString: `127.0.0.1:${port}`,
    baseDir,
    dataDir: `${baseDir}/data`,
    logPath,
    pid: child.pid,
    spawnedAtMs,
    readyAtMs,
    startupPeakRssKb,
    logTail,
    stop,
  };
}
