// Differential testing: the same ZkProbe script runs against real Apache ZooKeeper 3.8 (the
// reference) and against zkd, and the normalized outputs must be identical.
//
// Each test file makes one suite: one Apache ZooKeeper and one zkd, started lazily on first use
// and stopped after the file's last test. Scripts use distinct paths per test, so tests do not
// see each other's nodes. The Apache run is checked first (no script errors, plus explicit
// assertions that document what ZooKeeper does), so a wrong script cannot silently turn into
// an "expected" output.

import assert from "node:assert/strict";
import { startApacheZk } from "./apache_zk.ts";
import { type ProbeRun, runProbe } from "./java_probe.ts";
import type { ServerHandle, ServerOptions } from "./server.ts";
import { startZkd } from "./zkd.ts";

/**
 * Developer switch for writing new scripts: ZKD_INTEROP_REFERENCE_ONLY=1 runs each script against
 * Apache ZooKeeper only (with its explicit checks) and skips zkd. .ci/run unsets it.
 */
const REFERENCE_ONLY = Deno.env.get("ZKD_INTEROP_REFERENCE_ONLY") === "1";

export interface DiffSuite {
  apache(): Promise<ServerHandle>;
  zkd(): Promise<ServerHandle>;
}

/**
 * Registers an afterAll hook that stops whatever servers the file started. A failed start is
 * cached, so every test of the file fails quickly with the same startup error instead of each
 * waiting for its own startup timeout.
 */
export function differentialSuite(opts: ServerOptions = {}): DiffSuite {
  let apache: Promise<ServerHandle> | undefined;
  let zkd: Promise<ServerHandle> | undefined;
  Deno.test.afterAll(async () => {
    for (const p of [apache, zkd]) {
      if (!p) continue;
      try {
        await (await p).stop();
      } catch {
        // It never started; nothing to stop.
      }
    }
  });
  return {
    apache: () => apache ??= startApacheZk(opts),
    zkd: () => zkd ??= startZkd(opts),
  };
}

/**
 * Asserts that `expected` appears in the run's lines as a subsequence, each expected object
 * being a subset of the matching line (recursively: objects may omit keys, arrays must have the same length, values are equal). This is how
 * tests state the facts about Apache ZooKeeper's behaviour that a script relies on.
 */
export function expectLines(run: ProbeRun, expected: Record<string, unknown>[]): void {
  let i = 0;
  for (const want of expected) {
    while (i < run.lines.length && !isSubset(want, run.lines[i])) i++;
    if (i === run.lines.length) {
      throw new Error(
        `expected line ${JSON.stringify(want)} (in order) not found in output:\n${run.text}`,
      );
    }
    i++;
  }
}

/** True when `want` is a subset of `got` in the sense of expectLines. */
export function isSubset(want: unknown, got: unknown): boolean {
  if (isPlainObject(want) && isPlainObject(got)) {
    return Object.entries(want).every(([k, v]) => isSubset(v, got[k]));
  }
  if (Array.isArray(want) && Array.isArray(got)) {
    return want.length === got.length && want.every((v, i) => isSubset(v, got[i]));
  }
  return JSON.stringify(want) === JSON.stringify(got);
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/** Deno.test with sanitizers off: the suite's servers outlive any single test by design. */
export function interopTest(name: string, fn: () => Promise<void>): void {
  Deno.test({ name, sanitizeOps: false, sanitizeResources: false, fn });
}

/** Fails with the probe's own output if the script hit a fatal error (a script bug, or a hang). */
export function assertProbeOk(run: ProbeRun, where: string): void {
  const fatal = run.lines.find((l) => "fatal" in l || "unparsable" in l);
  if (fatal || run.exitCode !== 0) {
    throw new Error(
      `ZkProbe failed against ${where} (exit ${run.exitCode}): ${JSON.stringify(fatal)}\n` +
        `output:\n${run.text}\nstderr:\n${run.stderr.slice(-3000)}`,
    );
  }
}

/**
 * A place where zkd deliberately follows a later 3.8.x release than the Debian 3.8.0 the
 * tests run: each Apache output line matching `apache` (subset match) must appear in zkd's
 * output as exactly `zkd` instead. Keep the list short and say why for each.
 */
export interface Deviation {
  apache: Record<string, unknown>;
  zkd: Record<string, unknown>;
  why: string;
}

/** Apache's normalized output with each deviation's line put in place of the lines it matches. */
export function applyDeviations(text: string, deviations: Deviation[]): string {
  if (deviations.length === 0) return text;
  const used = new Set<Deviation>();
  const out = text.split("\n").map((line) => {
    if (line.trim() === "") return line;
    const parsed = JSON.parse(line);
    const d = deviations.find((d) => isSubset(d.apache, parsed));
    if (d === undefined) return line;
    used.add(d);
    return JSON.stringify(d.zkd);
  }).join("\n");
  for (const d of deviations) {
    assert.ok(used.has(d), `deviation never matched Apache's output: ${JSON.stringify(d.apache)}`);
  }
  return out;
}

/**
 * Runs `script` against Apache ZooKeeper, checks that run with `checkApache` (explicit
 * expectations, so the reference output is known to mean what the test says), then runs it
 * against zkd and asserts that the normalized outputs are identical line for line.
 * Returns both runs for any extra checks.
 */
export async function expectSameAsApache(
  suite: DiffSuite,
  script: string,
  checkApache: (run: ProbeRun) => void,
  opts: { maxRunMs?: number; deviations?: Deviation[] } = {},
): Promise<{ apache: ProbeRun; zkd: ProbeRun }> {
  const apacheServer = await suite.apache();
  const apache = await runProbe(apacheServer.connectString, script, opts);
  assertProbeOk(apache, "Apache ZooKeeper");
  checkApache(apache);
  if (REFERENCE_ONLY) {
    console.warn("ZKD_INTEROP_REFERENCE_ONLY=1: script checked against Apache ZooKeeper only");
    return { apache, zkd: apache };
  }

  const zkdServer = await suite.zkd();
  const zkd = await runProbe(zkdServer.connectString, script, opts);
  try {
    assert.equal(zkd.text, applyDeviations(apache.text, opts.deviations ?? []));
  } catch (e) {
    if (e instanceof Error) {
      e.message += `\n(actual = zkd, expected = Apache ZooKeeper 3.8)\n--- zkd log tail:\n` +
        (await zkdServer.logTail()) + `\n--- probe stderr (zkd run):\n${zkd.stderr.slice(-2000)}`;
    }
    throw e;
  }
  return { apache, zkd };
}

/** Finds the single output line matching `pred`, failing with the whole output otherwise. */
export function only(run: ProbeRun, pred: (l: Record<string, unknown>) => boolean) {
  const found = run.lines.filter(pred);
  assert.equal(found.length, 1, `expected exactly one matching line in:\n${run.text}`);
  return found[0];
}
