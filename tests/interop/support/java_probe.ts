// Compiles and runs tests/interop/java/ZkProbe.java: a script runner around the real Apache
// ZooKeeper Java client (see the header of ZkProbe.java for the script language).

import { FAST_JVM_FLAGS, javaPath, zkClasspath } from "./apache_zk.ts";
import { runCommand } from "./procs.ts";

const JAVA_DIR = new URL("../java/", import.meta.url).pathname;
const SOURCE = `${JAVA_DIR}ZkProbe.java`;
const BUILD_DIR = `${JAVA_DIR}build`;
const CLASS_FILE = `${BUILD_DIR}/ZkProbe.class`;

let compiled: Promise<void> | undefined;

function mtimeMs(path: string): number | undefined {
  try {
    return Deno.statSync(path).mtime?.getTime();
  } catch {
    return undefined;
  }
}

/**
 * Compiles ZkProbe.java into tests/interop/java/build/ (gitignored) when the class file is
 * missing or older than the source. Compiles into a temp dir first and renames it into place,
 * so a half-written build is never used.
 */
export function ensureProbeCompiled(): Promise<void> {
  compiled ??= (async () => {
    const src = mtimeMs(SOURCE);
    const cls = mtimeMs(CLASS_FILE);
    if (src !== undefined && cls !== undefined && cls >= src) return;
    const cp = zkClasspath();
    if (!cp) throw new Error("Apache ZooKeeper jars missing: apt-get install -y zookeeper");
    const tmp = await Deno.makeTempDir({ dir: JAVA_DIR, prefix: ".build-" });
    try {
      const r = await runCommand("javac", ["-nowarn", "-d", tmp, "-cp", cp, SOURCE], {
        timeoutMs: 120_000,
      });
      if (r.code !== 0) throw new Error(`javac ZkProbe.java failed:\n${r.stdout}${r.stderr}`);
      await Deno.remove(BUILD_DIR, { recursive: true }).catch(() => {});
      await Deno.rename(tmp, BUILD_DIR);
    } finally {
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
    }
  })();
  return compiled;
}

/** One output line of the probe (a command result, an event, or a fatal error). */
export type ProbeLine = Record<string, unknown>;

export interface ProbeRun {
  /** Parsed output lines, raw values included. */
  lines: ProbeLine[];
  /** The normalized output: one JSON line per output line, without the "raw" fields. */
  text: string;
  exitCode: number;
  stderr: string;
}

/**
 * Runs a ZkProbe script against connectString. The probe itself stops after maxRunMs; the
 * process is killed after maxRunMs + 30 s in any case.
 */
export async function runProbe(
  connectString: string,
  script: string,
  opts: { maxRunMs?: number } = {},
): Promise<ProbeRun> {
  await ensureProbeCompiled();
  const cp = zkClasspath();
  const java = javaPath();
  if (!cp || !java) throw new Error("java or the Apache ZooKeeper jars are missing");
  const maxRunMs = opts.maxRunMs ?? 120_000;
  const r = await runCommand(java, [
    ...FAST_JVM_FLAGS,
    `-Dzkprobe.maxRunMs=${maxRunMs}`,
    "-cp",
    `${BUILD_DIR}:${cp}`,
    "ZkProbe",
    connectString,
  ], { stdin: dedent(script), timeoutMs: maxRunMs + 30_000 });
  const lines: ProbeLine[] = [];
  for (const l of r.stdout.split("\n")) {
    if (l.trim() === "") continue;
    try {
      lines.push(JSON.parse(l));
    } catch {
      lines.push({ unparsable: l });
    }
  }
  if (r.timedOut) lines.push({ fatal: `probe killed after ${maxRunMs + 30_000} ms` });
  return { lines, text: normalizedText(lines), exitCode: r.code, stderr: r.stderr };
}

/** Drops the "raw" fields (zxids, times, session ids as the server chose them). */
export function normalizedText(lines: ProbeLine[]): string {
  return lines.map((l) => {
    const { raw: _raw, ...rest } = l;
    return JSON.stringify(rest);
  }).join("\n");
}

/** Strips common indentation so scripts can be written as indented template literals. */
export function dedent(s: string): string {
  return s.split("\n").map((l) => l.trim()).filter((l) => l !== "").join("\n") + "\n";
}

/** The lines for one command kind, e.g. all "create" results, in order. */
export function linesOf(run: ProbeRun, cmd: string): ProbeLine[] {
  return run.lines.filter((l) => l.cmd === cmd);
}

/** The event lines (not the closing {"cmd":"events"} lines), in output order. */
export function eventsOf(run: ProbeRun): ProbeLine[] {
  return run.lines.filter((l) => "event" in l);
}
