/** A strict reader of Prometheus' text exposition format 0.0.4, for the tests. */

import assert from "node:assert/strict";

/**
 * Parses Prometheus text format 0.0.4 strictly enough to catch mistakes: every sample belongs
 * to the family declared just before it by HELP and TYPE, names are valid, values are numbers.
 */
export function parsePrometheus(text: string): Map<string, { type: string; value: number }> {
  assert.ok(text.endsWith("\n"), "the exposition ends with a newline");
  const out = new Map<string, { type: string; value: number }>();
  let family: { name: string; type: string } | null = null;
  let help: string | null = null;
  for (const line of text.slice(0, -1).split("\n")) {
    let m: RegExpExecArray | null;
    if ((m = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line))) {
      help = m[1];
    } else if (
      (m = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (gauge|counter|summary|untyped)$/.exec(line))
    ) {
      assert.equal(m[1], help, `TYPE ${m[1]} follows its HELP`);
      family = { name: m[1], type: m[2] };
    } else if ((m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line))) {
      assert.ok(family !== null && m[1].startsWith(family.name), `sample ${m[1]} has a family`);
      const value = Number(m[3].replace(/^\+Inf$/, "Infinity").replace(/^-Inf$/, "-Infinity"));
      assert.ok(!Number.isNaN(value) || m[3] === "NaN", `value of ${m[1]}: ${m[3]}`);
      assert.ok(!out.has(m[1] + (m[2] ?? "")), `duplicate sample ${m[1]}`);
      out.set(m[1] + (m[2] ?? ""), { type: family!.type, value });
    } else {
      assert.fail(`not a Prometheus 0.0.4 line: ${JSON.stringify(line)}`);
    }
  }
  return out;
}
