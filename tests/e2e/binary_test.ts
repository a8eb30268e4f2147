/**
 * The single binary: `deno task compile` names every permission (never -A), and the smoke test
 * CI runs on the compiled ./zkd (scripts/smoke_binary.ts: version, start, status, cli, SIGTERM)
 * passes here against the very same entry point and flags run by `deno run`. Compiling needs a
 * denort runtime (DENORT_BIN offline), so .ci/run compiles and smoke-tests the real binary when
 * DENORT_BIN is set.
 */

import assert from "node:assert/strict";
import { smoke } from "../../scripts/smoke_binary.ts";
import { REPO_ROOT } from "../interop/support/zkd.ts";

const tasks: Record<string, string> = JSON.parse(
  Deno.readTextFileSync(`${REPO_ROOT}/deno.json`),
).tasks;

/** The runtime flags of the compile task: permissions, unstable features, V8 flags. */
function compileFlags(): string[] {
  return tasks.compile.split(/\s+/).filter((w) => /^--(allow|unstable|v8-flags)/.test(w));
}

Deno.test("deno task compile builds ./zkd from main.ts with an explicit permission list", () => {
  const words = tasks.compile.split(/\s+/);
  assert.deepEqual(words.slice(0, 2), ["deno", "compile"]);
  assert.ok(!words.includes("-A") && !words.includes("--allow-all"), tasks.compile);
  assert.ok(!words.some((w) => w.startsWith("--allow-run") || w.startsWith("--allow-ffi")));
  for (const p of ["--allow-net", "--allow-read", "--allow-write", "--allow-env", "--allow-sys"]) {
    assert.ok(words.includes(p), p);
  }
  // sd_notify (Type=notify under systemd) sends a unix datagram: Deno.listenDatagram.
  assert.ok(words.includes("--unstable-net"));
  assert.equal(words[words.indexOf("--output") + 1], "zkd");
  assert.equal(words.at(-1), "main.ts");
  // `deno task start` runs with the same permissions as the binary.
  for (const p of tasks.start.split(/\s+/).filter((w) => w.startsWith("--allow"))) {
    assert.ok(words.includes(p), `start has ${p}, compile does not`);
  }
});

Deno.test({
  name: "the binary smoke test passes on main.ts run with the compile task's flags",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "zkd-fake-bin-" });
    try {
      // A stand-in for the compiled binary: same entry point, same flags.
      const bin = `${dir}/zkd`;
      const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
      await Deno.writeTextFile(
        bin,
        `#!/bin/sh\nexec ${quote(Deno.execPath())} run ${compileFlags().map(quote).join(" ")} ` +
          `${quote(`${REPO_ROOT}/main.ts`)} "$@"\n`,
      );
      await Deno.chmod(bin, 0o755);
      const lines: string[] = [];
      const ok = await smoke(bin, (l) => lines.push(l));
      assert.ok(ok, lines.join("\n"));
      assert.equal(lines.filter((l) => l.startsWith("smoke: ok")).length, 5, lines.join("\n"));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
