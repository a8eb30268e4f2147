/**
 * Jute records of the ZooKeeper client protocol (zookeeper.jute), each declared once with its
 * encoder and decoder side by side. The server and the client both use these.
 */

import { DecodeError, JuteReader, JuteWriter } from "./jute.ts";
import { Op } from "./ops.ts";

export interface Stat {
  czxid: number;
  mzxid: number;
  ctime: number;
  mtime: number;
  version: number;
  cversion: number;
  aversion: number;
  ephemeralOwner: bigint;
  dataLength: number;
  numChildren: number;
  pzxid: number;
}

export function writeStat(w: JuteWriter, s: Stat): void {
  w.long(s.czxid).long(s.mzxid).long(s.ctime).long(s.mtime);
  w.int(s.version).int(s.cversion).int(s.aversion);
  w.longBig(s.ephemeralOwner).int(s.dataLength).int(s.numChildren).long(s.pzxid);
}

export function readStat(r: JuteReader): Stat {
  return {
    czxid: r.long(),
    mzxid: r.long(),
    ctime: r.long(),
    mtime: r.long(),
    version: r.int(),
    cversion: r.int(),
    aversion: r.int(),
    ephemeralOwner: r.longBig(),
    dataLength: r.int(),
    numChildren: r.int(),
    pzxid: r.long(),
  };
}

/** An ACL entry, flattened: `{perms, id: {scheme, id}}` on the wire. */
export interface Acl {
  perms: number;
  scheme: string;
  id: string;
}

export function writeAcls(w: JuteWriter, acls: readonly Acl[] | null): void {
  if (acls === null) {
    w.int(-1);
    return;
  }
  w.int(acls.length);
  for (const a of acls) w.int(a.perms).ustring(a.scheme).ustring(a.id);
}

/** Reads an ACL vector; a null vector reads as null (INVALIDACL for the caller). */
export function readAcls(r: JuteReader): Acl[] | null {
  const n = r.vectorLength();
  if (n === -1) return null;
  const out: Acl[] = [];
  for (let i = 0; i < n; i++) out.push({ perms: r.int(), scheme: r.string(), id: r.string() });
  return out;
}

// ---------------------------------------------------------------- handshake

export interface ConnectRequest {
  protocolVersion: number;
  lastZxidSeen: number;
  timeOutMs: number;
  sessionId: bigint;
  passwd: Uint8Array;
  /** undefined when the client omitted the trailing byte (node-zookeeper-client). */
  readOnly: boolean | undefined;
}

export function readConnectRequest(r: JuteReader): ConnectRequest {
  const protocolVersion = r.int();
  const lastZxidSeen = r.long();
  const timeOutMs = r.int();
  const sessionId = r.longBig();
  const passwd = r.buffer() ?? new Uint8Array(0);
  const readOnly = r.remaining > 0 ? r.bool() : undefined;
  return { protocolVersion, lastZxidSeen, timeOutMs, sessionId, passwd, readOnly };
}

export function writeConnectRequest(w: JuteWriter, c: ConnectRequest): void {
  w.int(c.protocolVersion).long(c.lastZxidSeen).int(c.timeOutMs).longBig(c.sessionId);
  w.buffer(c.passwd);
  if (c.readOnly !== undefined) w.bool(c.readOnly);
}

export interface ConnectResponse {
  protocolVersion: number;
  timeOutMs: number;
  sessionId: bigint;
  passwd: Uint8Array;
  readOnly: boolean | undefined;
}

export function writeConnectResponse(w: JuteWriter, c: ConnectResponse): void {
  w.int(c.protocolVersion).int(c.timeOutMs).longBig(c.sessionId).buffer(c.passwd);
  if (c.readOnly !== undefined) w.bool(c.readOnly);
}

export function readConnectResponse(r: JuteReader): ConnectResponse {
  const protocolVersion = r.int();
  const timeOutMs = r.int();
  const sessionId = r.longBig();
  const passwd = r.buffer() ?? new Uint8Array(0);
  const readOnly = r.remaining > 0 ? r.bool() : undefined;
  return { protocolVersion, timeOutMs, sessionId, passwd, readOnly };
}

// ---------------------------------------------------------------- headers

export interface ReplyHeader {
  xid: number;
  zxid: number;
  err: number;
}

export function writeReplyHeader(w: JuteWriter, xid: number, zxid: number, err: number): void {
  w.int(xid).long(zxid).int(err);
}

export function readReplyHeader(r: JuteReader): ReplyHeader {
  return { xid: r.int(), zxid: r.long(), err: r.int() };
}

export interface WatcherEvent {
  type: number;
  state: number;
  path: string;
}

// ---------------------------------------------------------------- requests

export type CreateOp = typeof Op.create | typeof Op.create2 | typeof Op.createContainer;
export type PathWatchOp =
  | typeof Op.exists
  | typeof Op.getData
  | typeof Op.getChildren
  | typeof Op.getChildren2;
export type PathOp =
  | typeof Op.getACL
  | typeof Op.sync
  | typeof Op.getEphemerals
  | typeof Op.getAllChildrenNumber;

export type CreateRequest = {
  op: CreateOp | typeof Op.createTTL;
  path: string;
  data: Uint8Array | null;
  acl: Acl[] | null;
  flags: number;
  /** Only createTTL carries a ttl; 0 for the others. */
  ttlMs: number;
};
export type DeleteRequest = { op: typeof Op.delete; path: string; version: number };
export type PathWatchRequest = { op: PathWatchOp; path: string; watch: boolean };
export type SetDataRequest = {
  op: typeof Op.setData;
  path: string;
  data: Uint8Array | null;
  version: number;
};
export type PathRequest = { op: PathOp; path: string };
export type SetAclRequest = {
  op: typeof Op.setACL;
  path: string;
  acl: Acl[] | null;
  version: number;
};
export type CheckRequest = { op: typeof Op.check; path: string; version: number };
export type MultiRequest = { op: typeof Op.multi | typeof Op.multiRead; ops: Request[] };
export type ReconfigRequest = {
  op: typeof Op.reconfig;
  joiningServers: string | null;
  leavingServers: string | null;
  newMembers: string | null;
  curConfigId: number;
};
export type WatchesRequest = {
  op: typeof Op.checkWatches | typeof Op.removeWatches;
  path: string;
  type: number;
};
export type AuthRequest = { op: typeof Op.auth; type: number; scheme: string; auth: Uint8Array };
export type SetWatchesRequest = {
  op: typeof Op.setWatches | typeof Op.setWatches2;
  relativeZxid: number;
  dataWatches: string[];
  existWatches: string[];
  childWatches: string[];
  persistentWatches: string[];
  persistentRecursiveWatches: string[];
};
export type SaslRequest = { op: typeof Op.sasl; token: Uint8Array | null };
export type AddWatchRequest = { op: typeof Op.addWatch; path: string; mode: number };
export type DeleteContainerRequest = { op: typeof Op.deleteContainer; path: string };
export type BareRequest = {
  op: typeof Op.ping | typeof Op.closeSession | typeof Op.whoAmI;
};

export type Request =
  | CreateRequest
  | DeleteRequest
  | PathWatchRequest
  | SetDataRequest
  | PathRequest
  | SetAclRequest
  | CheckRequest
  | MultiRequest
  | ReconfigRequest
  | WatchesRequest
  | AuthRequest
  | SetWatchesRequest
  | SaslRequest
  | AddWatchRequest
  | DeleteContainerRequest
  | BareRequest;

const multiWriteOps: ReadonlySet<number> = new Set([
  Op.create,
  Op.create2,
  Op.createContainer,
  Op.createTTL,
  Op.delete,
  Op.setData,
  Op.check,
]);
const multiReadOps: ReadonlySet<number> = new Set([Op.getChildren, Op.getData]);

/**
 * Decodes the request record for `op`. Throws DecodeError when the body does not fit
 * (the server answers MARSHALLINGERROR). The caller has already rejected unknown opcodes.
 */
export function readRequest(op: number, r: JuteReader): Request {
  switch (op) {
    case Op.create:
    case Op.create2:
    case Op.createContainer:
      return { op, path: r.string(), data: r.buffer(), acl: readAcls(r), flags: r.int(), ttlMs: 0 };
    case Op.createTTL:
      return {
        op,
        path: r.string(),
        data: r.buffer(),
        acl: readAcls(r),
        flags: r.int(),
        ttlMs: r.long(),
      };
    case Op.delete:
      return { op, path: r.string(), version: r.int() };
    case Op.exists:
    case Op.getData:
    case Op.getChildren:
    case Op.getChildren2:
      return { op, path: r.string(), watch: r.bool() };
    case Op.setData:
      return { op, path: r.string(), data: r.buffer(), version: r.int() };
    case Op.getACL:
    case Op.sync:
    case Op.getEphemerals:
    case Op.getAllChildrenNumber:
      return { op, path: r.string() };
    case Op.setACL:
      return { op, path: r.string(), acl: readAcls(r), version: r.int() };
    case Op.check:
      return { op, path: r.string(), version: r.int() };
    case Op.multi:
    case Op.multiRead:
      return { op, ops: readMultiOps(op, r) };
    case Op.reconfig:
      return {
        op,
        joiningServers: r.ustring(),
        leavingServers: r.ustring(),
        newMembers: r.ustring(),
        curConfigId: r.long(),
      };
    case Op.checkWatches:
    case Op.removeWatches:
      return { op, path: r.string(), type: r.int() };
    case Op.auth:
      return { op, type: r.int(), scheme: r.string(), auth: r.buffer() ?? new Uint8Array(0) };
    case Op.setWatches:
    case Op.setWatches2: {
      const relativeZxid = r.long();
      const dataWatches = r.stringVector();
      const existWatches = r.stringVector();
      const childWatches = r.stringVector();
      const persistentWatches = op === Op.setWatches2 ? r.stringVector() : [];
      const persistentRecursiveWatches = op === Op.setWatches2 ? r.stringVector() : [];
      return {
        op,
        relativeZxid,
        dataWatches,
        existWatches,
        childWatches,
        persistentWatches,
        persistentRecursiveWatches,
      };
    }
    case Op.sasl:
      return { op, token: r.buffer() };
    case Op.addWatch:
      return { op, path: r.string(), mode: r.int() };
    case Op.deleteContainer: {
      const bytes = r.buffer();
      return { op, path: bytes === null ? "" : new TextDecoder().decode(bytes) };
    }
    case Op.ping:
    case Op.closeSession:
    case Op.whoAmI:
      return { op };
    default:
      throw new DecodeError(`no request record for opcode ${op}`);
  }
}

function readMultiOps(op: typeof Op.multi | typeof Op.multiRead, r: JuteReader): Request[] {
  const allowed = op === Op.multi ? multiWriteOps : multiReadOps;
  const ops: Request[] = [];
  for (;;) {
    const type = r.int();
    const done = r.bool();
    r.int(); // err, always -1 in requests
    if (done) return ops;
    if (!allowed.has(type)) {
      throw new DecodeError(`op ${type} not allowed in ${op === Op.multi ? "multi" : "multiRead"}`);
    }
    ops.push(readRequest(type, r));
  }
}

/** Encodes a request record (no header). Used by the client. */
export function writeRequest(w: JuteWriter, q: Request): void {
  switch (q.op) {
    case Op.create:
    case Op.create2:
    case Op.createContainer:
      w.ustring(q.path).buffer(q.data);
      writeAcls(w, q.acl);
      w.int(q.flags);
      return;
    case Op.createTTL:
      w.ustring(q.path).buffer(q.data);
      writeAcls(w, q.acl);
      w.int(q.flags).long(q.ttlMs);
      return;
    case Op.delete:
    case Op.check:
      w.ustring(q.path).int(q.version);
      return;
    case Op.exists:
    case Op.getData:
    case Op.getChildren:
    case Op.getChildren2:
      w.ustring(q.path).bool(q.watch);
      return;
    case Op.setData:
      w.ustring(q.path).buffer(q.data).int(q.version);
      return;
    case Op.getACL:
    case Op.sync:
    case Op.getEphemerals:
    case Op.getAllChildrenNumber:
      w.ustring(q.path);
      return;
    case Op.setACL:
      w.ustring(q.path);
      writeAcls(w, q.acl);
      w.int(q.version);
      return;
    case Op.multi:
    case Op.multiRead:
      for (const sub of q.ops) {
        w.int(sub.op).bool(false).int(-1);
        writeRequest(w, sub);
      }
      w.int(-1).bool(true).int(-1);
      return;
    case Op.reconfig:
      w.ustring(q.joiningServers).ustring(q.leavingServers).ustring(q.newMembers);
      w.long(q.curConfigId);
      return;
    case Op.checkWatches:
    case Op.removeWatches:
      w.ustring(q.path).int(q.type);
      return;
    case Op.auth:
      w.int(q.type).ustring(q.scheme).buffer(q.auth);
      return;
    case Op.setWatches:
    case Op.setWatches2:
      w.long(q.relativeZxid);
      w.stringVector(q.dataWatches).stringVector(q.existWatches).stringVector(q.childWatches);
      if (q.op === Op.setWatches2) {
        w.stringVector(q.persistentWatches).stringVector(q.persistentRecursiveWatches);
      }
      return;
    case Op.sasl:
      w.buffer(q.token);
      return;
    case Op.addWatch:
      w.ustring(q.path).int(q.mode);
      return;
    case Op.deleteContainer:
      w.buffer(new TextEncoder().encode(q.path));
      return;
    case Op.ping:
    case Op.closeSession:
    case Op.whoAmI:
      return;
  }
}

// ---------------------------------------------------------------- responses

export interface ClientInfo {
  authScheme: string;
  user: string;
}

/** One result inside a multi / multiRead reply. */
export type MultiResult =
  | { type: typeof Op.create; path: string }
  | { type: typeof Op.create2; path: string; stat: Stat }
  | { type: typeof Op.delete }
  | { type: typeof Op.setData; stat: Stat }
  | { type: typeof Op.check }
  | { type: typeof Op.getData; data: Uint8Array | null; stat: Stat }
  | { type: typeof Op.getChildren; children: string[] }
  | { type: typeof Op.error; err: number };

export function writeMultiResults(w: JuteWriter, results: readonly MultiResult[]): void {
  for (const res of results) {
    w.int(res.type).bool(false).int(res.type === Op.error ? res.err : 0);
    switch (res.type) {
      case Op.create:
        w.ustring(res.path);
        break;
      case Op.create2:
        w.ustring(res.path);
        writeStat(w, res.stat);
        break;
      case Op.setData:
        writeStat(w, res.stat);
        break;
      case Op.getData:
        w.buffer(res.data);
        writeStat(w, res.stat);
        break;
      case Op.getChildren:
        w.stringVector(res.children);
        break;
      case Op.error:
        w.int(res.err);
        break;
      case Op.delete:
      case Op.check:
        break;
    }
  }
  w.int(-1).bool(true).int(-1);
}

export function readMultiResults(r: JuteReader): MultiResult[] {
  const out: MultiResult[] = [];
  for (;;) {
    const type = r.int();
    const done = r.bool();
    r.int();
    if (done) return out;
    switch (type) {
      case Op.create:
        out.push({ type, path: r.string() });
        break;
      case Op.create2:
        out.push({ type, path: r.string(), stat: readStat(r) });
        break;
      case Op.delete:
      case Op.check:
        out.push({ type });
        break;
      case Op.setData:
        out.push({ type, stat: readStat(r) });
        break;
      case Op.getData:
        out.push({ type, data: r.buffer(), stat: readStat(r) });
        break;
      case Op.getChildren:
        out.push({ type, children: r.stringVector() });
        break;
      case Op.error:
        out.push({ type, err: r.int() });
        break;
      default:
        throw new DecodeError(`unknown multi result type ${type}`);
    }
  }
}

/** Decoded success body of a reply, by request op. Used by the client. */
export type Response =
  | { op: "path"; path: string }
  | { op: "pathStat"; path: string; stat: Stat }
  | { op: "stat"; stat: Stat }
  | { op: "data"; data: Uint8Array | null; stat: Stat }
  | { op: "acl"; acl: Acl[]; stat: Stat }
  | { op: "children"; children: string[]; stat: Stat | null }
  | { op: "multi"; results: MultiResult[] }
  | { op: "count"; count: number }
  | { op: "paths"; paths: string[] }
  | { op: "whoAmI"; clientInfo: ClientInfo[] }
  | { op: "sasl"; token: Uint8Array | null }
  | { op: "none" };

export function readResponse(op: number, r: JuteReader): Response {
  switch (op) {
    case Op.create:
    case Op.sync:
      return { op: "path", path: r.string() };
    case Op.create2:
    case Op.createContainer:
    case Op.createTTL:
      return { op: "pathStat", path: r.string(), stat: readStat(r) };
    case Op.exists:
    case Op.setData:
    case Op.setACL:
      return { op: "stat", stat: readStat(r) };
    case Op.getData:
    case Op.reconfig:
      return { op: "data", data: r.buffer(), stat: readStat(r) };
    case Op.getACL:
      return { op: "acl", acl: readAcls(r) ?? [], stat: readStat(r) };
    case Op.getChildren:
      return { op: "children", children: r.stringVector(), stat: null };
    case Op.getChildren2:
      return { op: "children", children: r.stringVector(), stat: readStat(r) };
    case Op.multi:
    case Op.multiRead:
      return { op: "multi", results: readMultiResults(r) };
    case Op.getAllChildrenNumber:
      return { op: "count", count: r.int() };
    case Op.getEphemerals:
      return { op: "paths", paths: r.stringVector() };
    case Op.whoAmI: {
      const n = r.vectorLength();
      const clientInfo: ClientInfo[] = [];
      for (let i = 0; i < n; i++) clientInfo.push({ authScheme: r.string(), user: r.string() });
      return { op: "whoAmI", clientInfo };
    }
    case Op.sasl:
      return { op: "sasl", token: r.buffer() };
    default:
      return { op: "none" };
  }
}
