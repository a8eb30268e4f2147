/**
 * The architecture's one rule, enforced: the pure core (lib/util, proto, tree, txn, session,
 * watch, replica, config, snapshot) touches no Deno API, clock, timer or randomness, never
 * awaits, and imports only downward, so the simulator, the fuzzers and the tests run exactly the
 * code the server runs.
 */

import assert from "node:assert/strict";

const LIB = new URL("../lib/", import.meta.url).pathname;
const PURE = [
  "util",
  "proto",
  "tree",
  "txn",
  "session",
  "watch",
  "replica",
  "config",
  "snapshot",
  "wal",
  "quorum",
];
/** Allowed import targets per pure folder (besides itself). */
const ALLOWED: Record<string, string[]> = {
  util: [],
  proto: ["util"],
  config: ["util"],
  tree: ["util", "proto"],
  txn: ["util", "proto", "tree"],
  session: ["util", "proto"],
  watch: ["util", "proto"],
  quorum: ["util", "proto", "tree"],
  replica: [
    "util",
    "proto",
    "tree",
    "txn",
    "session",
    "watch",
    "config",
    "quorum",
    "snapshot",
    "wal",
  ],
  // storage: only the Storage/StorageFile interfaces (storage.ts), never the Deno adapter.
  snapshot: ["util", "proto", "tree", "storage"],
  wal: ["util", "proto", "tree", "storage"],
};
const BANNED: Array<[RegExp, string]> = [
  [/\bDeno\./, "Deno API"],
  [/\bDate\.now\(|\bnew Date\(/, "wall clock"],
  [/\bperformance\./, "clock"],
  [/\bMath\.random\(/, "unseeded randomness"],
  [/\bset(Timeout|Interval)\(/, "timer"],
  [/\bawait\b|\basync\b/, "async code"],
];

function* files(dir: string): Generator<string> {
  for (const e of Deno.readDirSync(dir)) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory) yield* files(p);
    else if (p.endsWith(".ts")) yield p;
  }
}

Deno.test("pure folders use no I/O, clocks, timers, randomness or async", () => {
  const problems: string[] = [];
  for (const folder of PURE) {
    for (const file of files(LIB + folder)) {
      const code = Deno.readTextFileSync(file).replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
      for (const [re, what] of BANNED) {
        if (re.test(code)) problems.push(`${file.slice(LIB.length)}: ${what}`);
      }
    }
  }
  assert.deepEqual(problems, []);
});

Deno.test("pure folders import only downward", () => {
  const problems: string[] = [];
  for (const folder of PURE) {
    for (const file of files(LIB + folder)) {
      for (const m of Deno.readTextFileSync(file).matchAll(/from "(\.\.\/[^"]+)"/g)) {
        const target = m[1].split("/")[1];
        const adapter = target === "storage" && !m[1].endsWith("/storage.ts");
        if (!ALLOWED[folder].includes(target) || adapter) {
          problems.push(`${file.slice(LIB.length)} imports ${m[1]}`);
        }
      }
    }
  }
  assert.deepEqual(problems, []);
});
