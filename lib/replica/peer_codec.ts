/**
 * PeerMessage <-> bytes for the links between members (one frame per message, the length
 * prefix added by the shell). Jute primitives, txn entries as the write-ahead log encodes
 * them. A frame that does not decode is a protocol error on that link (DecodeError).
 */

import { DecodeError, JuteReader, JuteWriter } from "../proto/jute.ts";
import type { AuthId } from "../tree/acl.ts";
import { readTxnEntry, writeTxnEntry } from "../wal/txn_codec.ts";
import type { PeerMessage } from "./member.ts";

const TYPE_CODES = {
  append: 1,
  appendResp: 2,
  heartbeat: 3,
  heartbeatResp: 4,
  vote: 5,
  voteResp: 6,
  snapshot: 7,
  timeoutNow: 8,
  forward: 9,
  touch: 10,
  commit: 11,
} as const;
const TYPE_NAMES = new Map<number, PeerMessage["type"]>(
  Object.entries(TYPE_CODES).map(([name, code]) => [code, name as PeerMessage["type"]]),
);

export function encodePeerMessage(m: PeerMessage): Uint8Array {
  const w = new JuteWriter(256);
  writePeerMessage(w, m);
  return w.toBytes();
}

/**
 * A snapshot message's encoding without its data bytes (which follow it on the wire), so a
 * link can send a snapshot of many MiB without copying it into a frame.
 */
export function writeSnapshotHeader(
  w: JuteWriter,
  m: Extract<PeerMessage, { type: "snapshot" }>,
): void {
  w.int(TYPE_CODES.snapshot).int(m.from).int(m.to).long(m.term);
  w.long(m.zxid).int(m.data.byteLength);
}

/** Appends the encoding of `m` to `w` (the link writes it after the length prefix). */
export function writePeerMessage(w: JuteWriter, m: PeerMessage): void {
  w.int(TYPE_CODES[m.type]).int(m.from).int(m.to).long(m.term);
  switch (m.type) {
    case "append":
      w.long(m.prevZxid).long(m.commitZxid).int(m.entries.length);
      for (const e of m.entries) writeTxnEntry(w, e);
      break;
    case "appendResp":
      w.bool(m.success).long(m.matchZxid).long(m.hintZxid);
      break;
    case "heartbeat":
    case "commit":
      w.long(m.commitZxid);
      break;
    case "heartbeatResp":
      w.long(m.lastZxid);
      break;
    case "vote":
      w.bool(m.pre).bool(m.transfer).long(m.lastZxid);
      break;
    case "voteResp":
      w.bool(m.pre).bool(m.granted);
      break;
    case "snapshot":
      w.long(m.zxid).buffer(m.data);
      break;
    case "timeoutNow":
      break;
    case "forward": {
      const f = m.forward;
      if (f.kind === "createSession") {
        w.int(1).longBig(f.sessionId).int(f.timeoutMs);
      } else {
        w.int(2).longBig(f.sessionId).int(f.cxid).buffer(f.body).int(f.authIds.length);
        for (const a of f.authIds) w.ustring(a.scheme).ustring(a.id);
      }
      break;
    }
    case "touch":
      w.int(m.sessionIds.length);
      for (const id of m.sessionIds) w.longBig(id);
      break;
  }
}

function count(r: JuteReader, what: string): number {
  const n = r.int();
  if (n < 0 || n > r.remaining) throw new DecodeError(`bad ${what} count ${n}`);
  return n;
}

export function decodePeerMessage(bytes: Uint8Array): PeerMessage {
  const r = new JuteReader(bytes);
  const code = r.int();
  const type = TYPE_NAMES.get(code);
  if (type === undefined) throw new DecodeError(`unknown peer message type ${code}`);
  const from = r.int();
  const to = r.int();
  const term = r.long();
  const env = { from, to, term };
  let m: PeerMessage;
  switch (type) {
    case "append": {
      const prevZxid = r.long();
      const commitZxid = r.long();
      const n = count(r, "entry");
      const entries = [];
      for (let i = 0; i < n; i++) entries.push(readTxnEntry(r));
      m = { type, ...env, prevZxid, commitZxid, entries };
      break;
    }
    case "appendResp":
      m = { type, ...env, success: r.bool(), matchZxid: r.long(), hintZxid: r.long() };
      break;
    case "heartbeat":
    case "commit":
      m = { type, ...env, commitZxid: r.long() };
      break;
    case "heartbeatResp":
      m = { type, ...env, lastZxid: r.long() };
      break;
    case "vote":
      m = { type, ...env, pre: r.bool(), transfer: r.bool(), lastZxid: r.long() };
      break;
    case "voteResp":
      m = { type, ...env, pre: r.bool(), granted: r.bool() };
      break;
    case "snapshot":
      m = { type, ...env, zxid: r.long(), data: r.buffer() ?? new Uint8Array(0) };
      break;
    case "timeoutNow":
      m = { type, ...env };
      break;
    case "forward": {
      const kind = r.int();
      if (kind === 1) {
        m = {
          type,
          ...env,
          forward: { kind: "createSession", sessionId: r.longBig(), timeoutMs: r.int() },
        };
      } else if (kind === 2) {
        const sessionId = r.longBig();
        const cxid = r.int();
        const body = r.buffer() ?? new Uint8Array(0);
        const n = count(r, "auth id");
        const authIds: AuthId[] = [];
        for (let i = 0; i < n; i++) {
          authIds.push({ scheme: r.ustring() ?? "", id: r.ustring() ?? "" });
        }
        m = { type, ...env, forward: { kind: "request", sessionId, cxid, body, authIds } };
      } else {
        throw new DecodeError(`unknown forward kind ${kind}`);
      }
      break;
    }
    case "touch": {
      const n = count(r, "session");
      const sessionIds: bigint[] = [];
      for (let i = 0; i < n; i++) sessionIds.push(r.longBig());
      m = { type, ...env, sessionIds };
      break;
    }
  }
  if (r.remaining !== 0) throw new DecodeError(`${r.remaining} bytes after a ${type} message`);
  return m;
}
