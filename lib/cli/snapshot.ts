/**
 * `zkd snapshot inspect FILE` and `zkd snapshot dump FILE [--json]`: read-only tools over one
 * snapshot file. Both validate the whole file first (checksum and structure, exactly as
 * start-up does) and exit 1 with the file and byte offset if it is bad.
 *
 * - inspect: zxid, node/session/ACL counts, bytes, checksum, and the biggest subtrees by
 *   node count and by bytes (subtrees rooted at --depth, default 1; --top, default 10).
 * - dump: one line per node (path, kind, stat, data length), or with --json one JSON
 *   document: zxid, sessions, and every node with its persisted stat, ACL and base64 data.
 *   64-bit ids are hex strings, since JSON numbers lose precision past 2^53.
 */

import { type LoadedSnapshot, loadSnapshot } from "../snapshot/loader.ts";
import { SnapshotError } from "../snapshot/format.ts";
import type { ZNode } from "../tree/data_tree.ts";
import { kindOf, ttlOf } from "../tree/node_kind.ts";
import { hex64 } from "../util/hex.ts";
import { UsageError } from "./usage_error.ts";

const USAGE = "zkd snapshot inspect FILE [--depth N] [--top N] | zkd snapshot dump FILE [--json]";

/** Where output goes; tests capture it. */
export interface SnapshotIo {
  out(text: string): void;
  err(text: string): void;
}

const consoleIo: SnapshotIo = {
  out: (text) => console.log(text),
  err: (text) => console.error(text),
};

interface Options {
  command: "inspect" | "dump";
  file: string;
  json: boolean;
  depth: number;
  top: number;
}

function positiveInt(flag: string, value: string | undefined): number {
  if (value === undefined || !/^[1-9][0-9]{0,5}$/.test(value)) {
    throw new UsageError(`snapshot: ${flag} needs a positive integer, got '${value ?? ""}'`);
  }
  return Number(value);
}

function parseArgs(args: string[]): Options {
  const [command, ...rest] = args;
  if (command !== "inspect" && command !== "dump") {
    throw new UsageError(
      command === undefined
        ? `usage: ${USAGE}`
        : `unknown snapshot command '${command}' (${USAGE})`,
    );
  }
  const options: Options = { command, file: "", json: false, depth: 1, top: 10 };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (command === "dump" && a === "--json") options.json = true;
    else if (command === "inspect" && a === "--depth") options.depth = positiveInt(a, rest[++i]);
    else if (command === "inspect" && a === "--top") options.top = positiveInt(a, rest[++i]);
    else if (a.startsWith("-")) throw new UsageError(`snapshot ${command}: unknown option '${a}'`);
    else if (options.file === "") options.file = a;
    else throw new UsageError(`snapshot ${command}: unexpected argument '${a}'`);
  }
  if (options.file === "") throw new UsageError(`snapshot ${command}: missing FILE (${USAGE})`);
  return options;
}

/** Runs `zkd snapshot ...`; resolves to the exit code, rejects with UsageError on bad arguments. */
export function runSnapshot(args: string[], io: SnapshotIo = consoleIo): Promise<number> {
  // The work is synchronous (reads only); the executor turns a throw into a rejection.
  return new Promise((resolve) => resolve(runSync(args, io)));
}

function runSync(args: string[], io: SnapshotIo): number {
  const options = parseArgs(args);
  let snapshot: LoadedSnapshot;
  try {
    snapshot = load(options.file);
  } catch (e) {
    if (e instanceof SnapshotError) {
      io.err(`CORRUPT: ${e.file} at byte offset ${e.offset}: ${e.what}`);
      return 1;
    }
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.PermissionDenied) {
      io.err(`zkd snapshot: ${(e as Error).message}`);
      return 1;
    }
    if (e instanceof Deno.errors.IsADirectory) {
      io.err(`zkd snapshot: ${options.file} is a directory; give a snapshot.<zxid> file`);
      return 1;
    }
    throw e;
  }
  if (options.command === "inspect") inspect(options, snapshot, io);
  else if (options.json) dumpJson(options.file, snapshot, io);
  else dumpText(snapshot, io);
  return 0;
}

/** Reads through a read-only handle: a tool must not need write access to the data dir. */
function load(path: string): LoadedSnapshot {
  const file = Deno.openSync(path, { read: true });
  try {
    const info = file.statSync();
    if (info.isDirectory) throw new Deno.errors.IsADirectory(path);
    return loadSnapshot({
      size: () => info.size,
      readAt(offset: number, length: number): Uint8Array {
        const out = new Uint8Array(Math.max(0, Math.min(length, info.size - offset)));
        file.seekSync(offset, Deno.SeekMode.Start);
        let got = 0;
        while (got < out.length) {
          const n = file.readSync(out.subarray(got));
          if (n === null || n === 0) break;
          got += n;
        }
        return out.subarray(0, got);
      },
    }, path);
  } finally {
    file.close();
  }
}

function nodeBytes(path: string, node: ZNode): number {
  return (path === "/" ? 0 : path.length) + (node.data?.byteLength ?? 0);
}

interface Subtree {
  path: string;
  nodes: number;
  bytes: number;
}

/** The ancestor-or-self of `path` at `depth` ("/a" for "/a/b/c" at 1), or null if shallower. */
function subtreeRoot(path: string, depth: number): string | null {
  if (path === "/") return null;
  let end = 0;
  for (let level = 0; level < depth; level++) {
    if (end === path.length) return null;
    const next = path.indexOf("/", end + 1);
    end = next < 0 ? path.length : next;
  }
  return path.slice(0, end);
}

/** Node and byte totals of the subtrees rooted at `depth` (1: the children of "/"). */
export function subtreeTotals(snapshot: LoadedSnapshot, depth: number): Subtree[] {
  const totals = new Map<string, Subtree>();
  for (const [path, node] of snapshot.tree.nodes) {
    const root = subtreeRoot(path, depth);
    if (root === null) continue;
    let t = totals.get(root);
    if (t === undefined) totals.set(root, t = { path: root, nodes: 0, bytes: 0 });
    t.nodes++;
    t.bytes += nodeBytes(path, node);
  }
  return [...totals.values()];
}

function inspect(options: Options, s: LoadedSnapshot, io: SnapshotIo): void {
  const tree = s.tree;
  let ephemerals = 0;
  for (const set of tree.ephemerals.values()) ephemerals += set.size;
  const lines = [
    `file          ${options.file}`,
    `zxid          ${hex64(s.zxid)}`,
    `bytes         ${s.bytes}`,
    `checksum      0x${s.crc.toString(16).padStart(8, "0")} OK`,
    `nodes         ${tree.nodes.size}` +
    (s.nodeRecords !== tree.nodes.size ? ` (${s.nodeRecords} records)` : ""),
    `sessions      ${s.sessions.length}`,
    `ephemerals    ${ephemerals}`,
    `containers    ${tree.containers.size}`,
    `ttl nodes     ${tree.ttlNodes.size}`,
    `acl lists     ${tree.aclCache.size}`,
    `data size     ${tree.approximateDataBytes} (paths + data, as zk_approximate_data_size)`,
  ];
  const subtrees = subtreeTotals(s, options.depth);
  const table = (title: string, rows: Subtree[]) => {
    lines.push("", `${title} (subtrees at depth ${options.depth}, top ${options.top}):`);
    lines.push(`  ${"nodes".padStart(10)} ${"bytes".padStart(14)}  path`);
    for (const r of rows.slice(0, options.top)) {
      lines.push(`  ${String(r.nodes).padStart(10)} ${String(r.bytes).padStart(14)}  ${r.path}`);
    }
    if (rows.length === 0) lines.push("  (none)");
  };
  const byPath = (a: Subtree, b: Subtree) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  table("biggest by node count", subtrees.sort((a, b) => b.nodes - a.nodes || byPath(a, b)));
  table("biggest by bytes", subtrees.sort((a, b) => b.bytes - a.bytes || byPath(a, b)));
  io.out(lines.join("\n"));
}

function kindFields(owner: bigint): Record<string, unknown> {
  const kind = kindOf(owner);
  return kind === "ttl" ? { kind, ttlMs: ttlOf(owner) } : { kind };
}

function base64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

function dumpJson(file: string, s: LoadedSnapshot, io: SnapshotIo): void {
  // Streamed in batches: a 1M-node dump must not build one giant string.
  const head = {
    file,
    zxid: s.zxid,
    zxidHex: hex64(s.zxid),
    bytes: s.bytes,
    checksum: s.crc,
    nodeCount: s.tree.nodes.size,
    sessions: s.sessions.map((x) => ({ id: hex64(x.id), timeoutMs: x.timeoutMs })),
  };
  const headJson = JSON.stringify(head);
  const lines: string[] = [headJson.slice(0, -1) + ',"nodes":['];
  let first = true;
  for (const [path, n] of s.tree.nodes) {
    const node = {
      path,
      ...kindFields(n.ephemeralOwner),
      data: n.data === null ? null : base64(n.data),
      acl: n.acl,
      czxid: n.czxid,
      mzxid: n.mzxid,
      pzxid: n.pzxid,
      ctime: n.ctimeMs,
      mtime: n.mtimeMs,
      version: n.version,
      cversion: n.cversion,
      aversion: n.aversion,
      ephemeralOwner: hex64(n.ephemeralOwner),
      dataLength: n.data?.byteLength ?? 0,
      numChildren: n.numChildren,
    };
    lines.push((first ? "" : ",") + JSON.stringify(node));
    first = false;
    if (lines.length >= 1000) {
      io.out(lines.join("\n"));
      lines.length = 0;
    }
  }
  lines.push("]}");
  io.out(lines.join("\n"));
}

function dumpText(s: LoadedSnapshot, io: SnapshotIo): void {
  const lines: string[] = [
    `zxid ${hex64(s.zxid)}, ${s.tree.nodes.size} nodes, ${s.sessions.length} sessions`,
  ];
  for (const x of s.sessions) lines.push(`session ${hex64(x.id)} timeout ${x.timeoutMs} ms`);
  for (const [path, n] of s.tree.nodes) {
    const k = kindFields(n.ephemeralOwner);
    const kind = k.kind === "ephemeral"
      ? `ephemeral(${hex64(n.ephemeralOwner)})`
      : k.kind === "ttl"
      ? `ttl(${k.ttlMs} ms)`
      : String(k.kind);
    lines.push(
      `${path} ${kind} czxid=${hex64(n.czxid)} mzxid=${hex64(n.mzxid)} ` +
        `pzxid=${hex64(n.pzxid)} version=${n.version} cversion=${n.cversion} ` +
        `aversion=${n.aversion} data=${n.data === null ? "null" : n.data.byteLength + "B"} ` +
        `children=${n.numChildren}`,
    );
    if (lines.length >= 1000) {
      io.out(lines.join("\n"));
      lines.length = 0;
    }
  }
  if (lines.length > 0) io.out(lines.join("\n"));
}
