/**
 * JSON as ZooKeeper's AdminServer writes it (Jackson's default pretty printer): `"key" : value`,
 * objects one key a line indented by two spaces per object level, arrays inline
 * (`[ 1, 2 ]`, `[ ]`), 64-bit ids as exact integers (a bigint here), and Java doubles always
 * with a fraction (`0.0`, `4.1667`). Parsers do not care about the layout; people diffing the
 * output of zkd and ZooKeeper do, and exact 64-bit session ids matter to both.
 */

/** A Java double: printed with a fraction even when whole (Jackson writes 0.0, not 0). */
export class JavaDouble {
  constructor(readonly value: number) {}
}

export type Json =
  | null
  | boolean
  | number
  | bigint
  | string
  | JavaDouble
  | readonly Json[]
  | { readonly [key: string]: Json };

/** Double.toString for the values the admin API prints (finite, moderate). */
export function javaDoubleText(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? "NaN" : x > 0 ? "Infinity" : "-Infinity";
  const abs = Math.abs(x);
  if (abs !== 0 && (abs >= 1e7 || abs < 1e-3)) {
    const [mantissa, exp] = x.toExponential().split("e");
    return `${mantissa.includes(".") ? mantissa : mantissa + ".0"}E${Number(exp)}`;
  }
  const s = String(x);
  return s.includes(".") ? s : `${s}.0`;
}

/** Pretty-prints `value` as Jackson's DefaultPrettyPrinter does (no trailing newline). */
export function jacksonJson(value: Json): string {
  return write(value, 0);
}

function write(value: Json, depth: number): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "number":
      return Number.isFinite(value) ? String(value) : "null";
    case "bigint":
      return value.toString();
    case "string":
      return JSON.stringify(value);
  }
  if (value instanceof JavaDouble) return javaDoubleText(value.value);
  if (Array.isArray(value)) {
    if (value.length === 0) return "[ ]";
    return "[ " + value.map((v) => write(v, depth)).join(", ") + " ]";
  }
  const entries = Object.entries(value as { [key: string]: Json });
  if (entries.length === 0) return "{ }";
  const pad = "  ".repeat(depth + 1);
  const body = entries.map(([k, v]) => `${pad}${JSON.stringify(k)} : ${write(v, depth + 1)}`);
  return "{\n" + body.join(",\n") + "\n" + "  ".repeat(depth) + "}";
}

/** A 64-bit id as Java prints a long (signed). */
export function javaLong(id: bigint | number): bigint {
  return BigInt.asIntN(64, BigInt(id));
}
