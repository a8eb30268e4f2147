/**
 * `zkd wal dump DIR` and `zkd wal verify DIR`: read-only tools over a transaction log. DIR is
 * a dataLogDir (the segments are in its version-2/) or the version-2 directory itself.
 *
 * - dump prints one line per record: zxid, session, cxid, time, txn type and a short
 *   description; it stops at corruption with the same message start-up would give.
 * - verify checks every record exactly as recovery does and prints a one-line summary, or
 *   the corruption (file and byte offset) and exits 1. A torn tail is reported but is not a
 *   failure: start-up truncates it, because nothing in it can have been acknowledged.
 *
 * Neither ever modifies the log.
 */

import { Err } from "../proto/errors.ts";
import { DenoStorage } from "../storage/deno_storage.ts";
import { kindOf, ttlOf } from "../tree/node_kind.ts";
import type { Txn, TxnEntry } from "../tree/txn.ts";
import { hex64 } from "../util/hex.ts";
import { type LogScan, scanLog } from "../wal/recovery.ts";
import { LOG_DIR_NAME } from "../wal/segment.ts";
import { WalCorruptionError } from "../wal/wal_corruption_error.ts";
import { UsageError } from "./usage_error.ts";

const USAGE = "zkd wal dump DIR | zkd wal verify DIR (DIR: dataLogDir or its version-2)";

/** Where output goes; tests capture it. */
export interface WalIo {
  out(text: string): void;
  err(text: string): void;
}

const consoleIo: WalIo = {
  out: (text) => console.log(text),
  err: (text) => console.error(text),
};

/** Runs `zkd wal ...`; resolves to the exit code, rejects with UsageError on bad arguments. */
export function runWal(args: string[], io: WalIo = consoleIo): Promise<number> {
  // The work is synchronous (reads only); the executor turns a throw into a rejection.
  return new Promise((resolve) => resolve(wal(args, io)));
}

function wal(args: string[], io: WalIo): number {
  const [command, dir, ...extra] = args;
  if (command !== "dump" && command !== "verify") {
    throw new UsageError(
      command === undefined ? `usage: ${USAGE}` : `unknown wal command '${command}' (${USAGE})`,
    );
  }
  if (dir === undefined) throw new UsageError(`wal ${command}: missing DIR (${USAGE})`);
  if (extra.length > 0) throw new UsageError(`wal ${command}: unexpected argument '${extra[0]}'`);
  const logDir = resolveLogDir(dir);
  const storage = new DenoStorage();

  // Dump output is batched: one console write per line is slow on big logs.
  const lines: string[] = [];
  const flush = () => {
    if (lines.length > 0) io.out(lines.join("\n"));
    lines.length = 0;
  };
  let scan: LogScan;
  try {
    scan = scanLog(storage, logDir, {
      repair: false,
      onEntry: command === "dump"
        ? (entry) => {
          lines.push(describeEntry(entry));
          if (lines.length >= 1000) flush();
        }
        : undefined,
    });
  } catch (e) {
    flush();
    if (e instanceof WalCorruptionError) {
      io.err(`CORRUPT: ${e.file} at byte offset ${e.offset}: ${e.reason}`);
      return 1;
    }
    if (e instanceof Deno.errors.PermissionDenied || e instanceof Deno.errors.NotFound) {
      io.err(`zkd wal: ${(e as Error).message}`);
      return 1;
    }
    throw e;
  }
  flush();
  // Both commands end by saying what a start-up would find.
  const tail = scan.truncatedTail;
  if (tail !== null) {
    io.err(
      `torn tail: ${tail.file} at byte offset ${tail.offset}: ${tail.reason}; start-up ${
        tail.removesFile ? "removes the segment" : "truncates it there"
      } (nothing there was acknowledged)`,
    );
  }
  if (command === "verify") io.out(summary(scan, logDir));
  return 0;
}

function summary(scan: LogScan, logDir: string): string {
  if (scan.segments.length === 0) return `0 records, 0 segments, OK (no log segments in ${logDir})`;
  const zxids = scan.records === 0
    ? "no zxids"
    : `zxids ${hex64(scan.firstZxid)}-${hex64(scan.lastZxid)}`;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  return `${plural(scan.records, "record")}, ${
    plural(scan.segments.length, "segment")
  }, ${zxids}, OK`;
}

/** DIR may be the dataLogDir or the version-2 directory inside it. */
function resolveLogDir(dir: string): string {
  const isDir = (path: string) => {
    try {
      return Deno.statSync(path).isDirectory;
    } catch {
      return false;
    }
  };
  if (!isDir(dir)) throw new UsageError(`wal: no such directory: ${dir}`);
  const nested = `${dir.replace(/\/+$/, "")}/${LOG_DIR_NAME}`;
  return isDir(nested) ? nested : dir;
}

/** One dump line: `0x5 session 0x1234 cxid 5 2023-11-14T22:13:20.005Z setData /a v3 8B`. */
export function describeEntry(entry: TxnEntry): string {
  const time = Number.isFinite(entry.timeMs) && Math.abs(entry.timeMs) < 8.64e15
    ? new Date(entry.timeMs).toISOString()
    : String(entry.timeMs);
  return `${hex64(entry.zxid)} session ${hex64(entry.sessionId)} cxid ${entry.cxid} ${time} ${
    describeTxn(entry.txn)
  }`;
}

function describeTxn(txn: Txn): string {
  switch (txn.type) {
    case "createSession":
      return `createSession timeout ${txn.timeoutMs}ms`;
    case "closeSession":
      return `closeSession deletes ${txn.paths.length}` +
        (txn.paths.length > 0 ? `: ${abbreviate(txn.paths)}` : "");
    case "create":
      return `create ${txn.path} ${dataSize(txn.data)} ${
        owner(txn.ephemeralOwner)
      } acl ${txn.acl.length} parent cversion ${txn.parentCversion}`;
    case "delete":
      return `delete ${txn.path}`;
    case "setData":
      return `setData ${txn.path} version ${txn.version} ${dataSize(txn.data)}`;
    case "setACL":
      return `setACL ${txn.path} aversion ${txn.version} acl ${txn.acl.length}`;
    case "check":
      return `check ${txn.path} version ${txn.version}`;
    case "error":
      return `error ${errorName(txn.err)}`;
    case "reconfig":
      return `reconfig ${dataSize(txn.data)}`;
    case "multi":
      return `multi ${txn.txns.length} ops [${txn.txns.map(describeTxn).join("; ")}]`;
  }
}

function dataSize(data: Uint8Array | null): string {
  return data === null ? "null data" : `${data.byteLength}B`;
}

function owner(ephemeralOwner: bigint): string {
  switch (kindOf(ephemeralOwner)) {
    case "persistent":
      return "persistent";
    case "container":
      return "container";
    case "ttl":
      return `ttl ${ttlOf(ephemeralOwner)}ms`;
    case "ephemeral":
      return `ephemeral ${hex64(ephemeralOwner)}`;
  }
}

function errorName(code: number): string {
  const name = Object.entries(Err).find(([, v]) => v === code)?.[0];
  return name === undefined ? String(code) : `${name} (${code})`;
}

function abbreviate(paths: string[]): string {
  const shown = paths.slice(0, 3).join(", ");
  return paths.length > 3 ? `${shown}, ... (${paths.length - 3} more)` : shown;
}
