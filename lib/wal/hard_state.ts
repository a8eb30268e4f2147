/**
 * Raft's hard state: the current term and the vote cast in it, which must survive a crash
 * before a member answers a vote request or accepts a leader (otherwise it could vote twice
 * in one term). ZooKeeper keeps the same facts as two text files, `currentEpoch` and
 * `acceptedEpoch`; zkd keeps its own small binary file next to the log segments:
 *
 *     <dataLogDir>/version-2/raftState          28 bytes, big-endian:
 *       int32  magic      0x5a4b5253 ("ZKRS")
 *       int32  version    1
 *       int64  term       >= 0
 *       int64  votedFor   server id, or -1 for none
 *       uint32 crc32      of the 24 bytes before it
 *
 * A write goes to `raftState.tmp`, which is fsynced, renamed over `raftState`, and then the
 * directory is fsynced: a crash leaves the old state or the new one, never a mix. A missing
 * file is the state of a member that never voted (term 0, no vote). A file that fails any
 * check (size, magic, version, checksum, values) stops start-up with HardStateCorruptionError
 * naming the file: guessing could make a member vote twice in a term.
 *
 * One write at a time: await the previous writeHardState() before starting the next (they
 * share the temp file).
 */

import type { Storage } from "../storage/storage.ts";
import { assert } from "../util/assert.ts";
import { crc32 } from "../util/crc32.ts";
import { OperatorError } from "../util/operator_error.ts";

export interface HardState {
  readonly term: number;
  readonly votedFor: number | null;
}

export const HARD_STATE_FILE = "raftState";
export const HARD_STATE_MAGIC = 0x5a4b5253; // "ZKRS"
export const HARD_STATE_VERSION = 1;
export const HARD_STATE_BYTES = 28;
const TEMP_SUFFIX = ".tmp";
const NO_VOTE = -1;

/** The hard state file is damaged: start-up stops, naming it. */
export class HardStateCorruptionError extends OperatorError {
  override name = "HardStateCorruptionError";
  readonly file: string;
  readonly reason: string;

  constructor(file: string, reason: string) {
    super(`Raft state file corrupt: ${file}: ${reason}`);
    this.file = file;
    this.reason = reason;
  }
}

/** `<logDir>/raftState`, logDir being the log's `version-2` directory (see logDirOf). */
export function hardStatePath(logDir: string): string {
  return `${logDir.replace(/\/+$/, "")}/${HARD_STATE_FILE}`;
}

function isId(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

export function encodeHardState(state: HardState): Uint8Array {
  assert(isId(state.term), `bad term ${state.term}`);
  assert(state.votedFor === null || isId(state.votedFor), `bad votedFor ${state.votedFor}`);
  const bytes = new Uint8Array(HARD_STATE_BYTES);
  const view = new DataView(bytes.buffer);
  view.setInt32(0, HARD_STATE_MAGIC);
  view.setInt32(4, HARD_STATE_VERSION);
  view.setBigInt64(8, BigInt(state.term));
  view.setBigInt64(16, BigInt(state.votedFor ?? NO_VOTE));
  view.setUint32(24, crc32(bytes.subarray(0, 24)));
  return bytes;
}

/** Decodes the file's bytes, or returns why they are not a hard state. */
export function decodeHardState(bytes: Uint8Array): HardState | string {
  if (bytes.byteLength !== HARD_STATE_BYTES) {
    return `${bytes.byteLength} bytes, expected ${HARD_STATE_BYTES}`;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  if (magic !== HARD_STATE_MAGIC) return `bad magic 0x${magic.toString(16)}`;
  const crc = view.getUint32(24);
  const expected = crc32(bytes.subarray(0, 24));
  if (crc !== expected) {
    return `checksum mismatch (stored 0x${crc.toString(16)}, computed 0x${expected.toString(16)})`;
  }
  const version = view.getInt32(4);
  if (version !== HARD_STATE_VERSION) return `unsupported version ${version}`;
  const term = Number(view.getBigInt64(8));
  const vote = Number(view.getBigInt64(16));
  if (!isId(term)) return `bad term ${view.getBigInt64(8)}`;
  if (vote !== NO_VOTE && !isId(vote)) return `bad votedFor ${view.getBigInt64(16)}`;
  return { term, votedFor: vote === NO_VOTE ? null : vote };
}

/** The stored hard state; term 0 and no vote when the file does not exist. */
export function readHardState(storage: Storage, logDir: string): HardState {
  const path = hardStatePath(logDir);
  if (!storage.exists(path)) return { term: 0, votedFor: null };
  const file = storage.open(path);
  let bytes: Uint8Array;
  try {
    // One byte more than a valid file, so a longer file is caught too.
    bytes = file.readAt(0, HARD_STATE_BYTES + 1);
  } finally {
    file.close();
  }
  const state = decodeHardState(bytes);
  if (typeof state === "string") throw new HardStateCorruptionError(path, state);
  return state;
}

/**
 * Replaces the stored hard state atomically (temp file, fsync, rename, directory fsync).
 * Resolves once the new state is durable; only then may the member act on it.
 */
export function writeHardState(storage: Storage, logDir: string, state: HardState): Promise<void> {
  const bytes = encodeHardState(state);
  const dir = logDir.replace(/\/+$/, "");
  const path = hardStatePath(dir);
  const tempPath = path + TEMP_SUFFIX;
  // A new directory's own entry must be durable too (as TxnLogWriter does for the log).
  let parent: string | null = null;
  if (!storage.exists(dir)) {
    storage.mkdirp(dir);
    const p = dir.replace(/\/+[^/]*$/, "");
    if (p !== "" && p !== dir) parent = p;
  }
  const file = storage.open(tempPath, { create: true });
  try {
    file.truncate(0);
    file.writeAt(0, bytes);
  } catch (e) {
    file.close();
    throw e;
  }
  return file.sync()
    .then(() => {
      file.close();
      storage.rename(tempPath, path);
      return storage.syncDir(dir);
    }, (e) => {
      file.close();
      throw e;
    })
    .then(() => parent === null ? undefined : storage.syncDir(parent));
}
