/**
 * The bytes of one logged txn: ZooKeeper's TxnHeader{long clientId, int cxid, long zxid,
 * long time, int type} followed by the record for that type, in jute encoding.
 *
 * Records follow ZooKeeper's (§12.1 of the protocol notes) with one deliberate difference:
 * a create stores the full 64-bit ephemeralOwner where ZooKeeper stores a boolean and uses
 * separate record types for containers and TTL nodes. zkd's Txn has a single create whose
 * kind lives in the owner (a session, CONTAINER_OWNER or a TTL marker), so storing the owner
 * round-trips every kind exactly and does not depend on the header's session id matching it.
 *
 * | type | record                                                                    |
 * |------|---------------------------------------------------------------------------|
 * | -10  | createSession {int timeOut}                                               |
 * | -11  | closeSession  {vector<ustring> paths}                                     |
 * |   1  | create        {ustring path, buffer data, vector<ACL>, long owner, int pcv} |
 * |   2  | delete        {ustring path}                                              |
 * |   5  | setData       {ustring path, buffer data, int version}                    |
 * |   7  | setACL        {ustring path, vector<ACL>, int version}                    |
 * |  13  | check         {ustring path, int version}                                 |
 * |  -1  | error         {int err}                                                   |
 * |  14  | multi         {vector<{int type, buffer record}>}                         |
 *
 * Decoding is strict: unknown types, null where the Txn type has no null, and trailing bytes
 * are DecodeErrors. The record's checksum already passed when we get here, so a decode error
 * means a writer bug or a foreign file, and recovery reports it as corruption.
 */

import { beginFrame, DecodeError, endFrame, JuteReader, JuteWriter } from "../proto/jute.ts";
import { Op } from "../proto/ops.ts";
import { type Acl, readAcls, writeAcls } from "../proto/records.ts";
import type { Txn, TxnEntry } from "../tree/txn.ts";
import { unreachable } from "../util/assert.ts";

/** Multis do not nest in ZooKeeper; a little depth is allowed, unbounded recursion is not. */
const MULTI_DEPTH_MAX = 4;

/** The ZooKeeper txn type code logged for a txn. */
export function txnTypeCode(txn: Txn): number {
  switch (txn.type) {
    case "createSession":
      return Op.createSession;
    case "closeSession":
      return Op.closeSession;
    case "create":
      return Op.create;
    case "delete":
      return Op.delete;
    case "setData":
      return Op.setData;
    case "setACL":
      return Op.setACL;
    case "check":
      return Op.check;
    case "error":
      return Op.error;
    case "reconfig":
      return Op.reconfig;
    case "multi":
      return Op.multi;
    default:
      return unreachable(txn, "txn type");
  }
}

/** Appends the header and record of `entry` to `w` (the log writer encodes in place). */
export function writeTxnEntry(w: JuteWriter, entry: TxnEntry): void {
  w.longBig(entry.sessionId).int(entry.cxid).long(entry.zxid).long(entry.timeMs);
  w.int(txnTypeCode(entry.txn));
  writeTxnRecord(w, entry.txn);
}

export function encodeTxnEntry(entry: TxnEntry): Uint8Array {
  const w = new JuteWriter(128);
  writeTxnEntry(w, entry);
  return w.toBytes();
}

/**
 * About how many bytes writeTxnEntry writes for `entry` (paths counted as one byte a
 * character), without encoding it: for the leader's budget of bytes per append.
 */
export function txnEntryBytesEstimate(entry: TxnEntry): number {
  return 32 + txnBytesEstimate(entry.txn);
}

function txnBytesEstimate(txn: Txn): number {
  switch (txn.type) {
    case "create":
      return 32 + txn.path.length + (txn.data?.byteLength ?? 0) + 24 * txn.acl.length;
    case "setData":
      return 16 + txn.path.length + (txn.data?.byteLength ?? 0);
    case "setACL":
      return 16 + txn.path.length + 24 * txn.acl.length;
    case "delete":
    case "check":
      return 8 + txn.path.length;
    case "closeSession":
      return txn.paths.reduce((n, path) => n + 4 + path.length, 8);
    case "reconfig":
      return 16 + txn.data.byteLength;
    case "multi":
      return txn.txns.reduce((n, t) => n + 12 + txnBytesEstimate(t), 8);
    default:
      return 8;
  }
}

/** Decodes exactly one entry; throws DecodeError on anything else. */
export function decodeTxnEntry(bytes: Uint8Array): TxnEntry {
  const r = new JuteReader(bytes);
  const entry = readTxnEntry(r);
  if (r.remaining !== 0) throw new DecodeError(`${r.remaining} bytes after the txn record`);
  return entry;
}

/** Reads one entry written by writeTxnEntry from the middle of a larger record. */
export function readTxnEntry(r: JuteReader): TxnEntry {
  const sessionId = r.longBig();
  const cxid = r.int();
  const zxid = r.long();
  const timeMs = r.long();
  const txn = readTxnRecord(r, r.int(), 0);
  return { sessionId, cxid, zxid, timeMs, txn };
}

function writeTxnRecord(w: JuteWriter, txn: Txn): void {
  switch (txn.type) {
    case "createSession":
      w.int(txn.timeoutMs);
      return;
    case "closeSession":
      w.stringVector(txn.paths);
      return;
    case "create":
      w.ustring(txn.path).buffer(txn.data);
      writeAcls(w, txn.acl);
      w.longBig(txn.ephemeralOwner).int(txn.parentCversion);
      return;
    case "delete":
      w.ustring(txn.path);
      return;
    case "setData":
      w.ustring(txn.path).buffer(txn.data).int(txn.version);
      return;
    case "setACL":
      w.ustring(txn.path);
      writeAcls(w, txn.acl);
      w.int(txn.version);
      return;
    case "check":
      w.ustring(txn.path).int(txn.version);
      return;
    case "error":
      w.int(txn.err);
      return;
    case "reconfig":
      w.buffer(txn.data).long(txn.version);
      return;
    case "multi":
      w.int(txn.txns.length);
      for (const sub of txn.txns) {
        w.int(txnTypeCode(sub));
        const at = beginFrame(w);
        writeTxnRecord(w, sub);
        endFrame(w, at);
      }
      return;
    default:
      unreachable(txn, "txn type");
  }
}

function readTxnRecord(r: JuteReader, type: number, depth: number): Txn {
  switch (type) {
    case Op.createSession:
      return { type: "createSession", timeoutMs: r.int() };
    case Op.closeSession: {
      const n = readCount(r);
      const paths: string[] = [];
      for (let i = 0; i < n; i++) paths.push(readPath(r));
      return { type: "closeSession", paths };
    }
    case Op.create: {
      const path = readPath(r);
      const data = r.buffer();
      const acl = readAclList(r);
      const ephemeralOwner = r.longBig();
      return { type: "create", path, data, acl, ephemeralOwner, parentCversion: r.int() };
    }
    case Op.delete:
      return { type: "delete", path: readPath(r) };
    case Op.setData: {
      const path = readPath(r);
      const data = r.buffer();
      return { type: "setData", path, data, version: r.int() };
    }
    case Op.setACL: {
      const path = readPath(r);
      const acl = readAclList(r);
      return { type: "setACL", path, acl, version: r.int() };
    }
    case Op.check: {
      const path = readPath(r);
      return { type: "check", path, version: r.int() };
    }
    case Op.error:
      return { type: "error", err: r.int() };
    case Op.reconfig: {
      const data = r.buffer();
      if (data === null) throw new DecodeError("null configuration in a reconfig txn");
      return { type: "reconfig", data, version: r.long() };
    }
    case Op.multi: {
      if (depth >= MULTI_DEPTH_MAX) throw new DecodeError(`multi nested deeper than ${depth}`);
      const n = readCount(r);
      const txns: Txn[] = [];
      for (let i = 0; i < n; i++) {
        const subType = r.int();
        const bytes = r.buffer();
        if (bytes === null) throw new DecodeError("null sub-txn record in multi");
        const sub = new JuteReader(bytes);
        txns.push(readTxnRecord(sub, subType, depth + 1));
        if (sub.remaining !== 0) {
          throw new DecodeError(`${sub.remaining} bytes after sub-txn ${i} of multi`);
        }
      }
      return { type: "multi", txns };
    }
    default:
      throw new DecodeError(`unknown txn type ${type}`);
  }
}

/** A vector count; the writer never logs a null vector. */
function readCount(r: JuteReader): number {
  const n = r.vectorLength();
  if (n === -1) throw new DecodeError("null vector in txn");
  return n;
}

function readPath(r: JuteReader): string {
  const path = r.ustring();
  if (path === null) throw new DecodeError("null path in txn");
  return path;
}

function readAclList(r: JuteReader): Acl[] {
  const acl = readAcls(r);
  if (acl === null) throw new DecodeError("null ACL list in txn");
  return acl;
}
