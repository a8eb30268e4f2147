/**
 * The JSON shapes of `zkd cli --json`: a Stat, an ACL entry, a watch event and an error, named
 * after the jute fields (as ZooKeeper's AdminServer names them) so scripts can rely on them.
 * Session ids do not fit a JSON number (53 bits), so ephemeralOwner is a "0x..." string.
 */

import { ZkError } from "../../client/errors.ts";
import { errName } from "../../proto/errors.ts";
import { Perm } from "../../proto/ops.ts";
import type { Acl, Stat } from "../../proto/records.ts";
import { javaHex } from "./format.ts";

export interface StatJson {
  czxid: number;
  mzxid: number;
  pzxid: number;
  /** Milliseconds since the epoch. */
  ctime: number;
  mtime: number;
  version: number;
  cversion: number;
  aversion: number;
  /** "0x0", or the owning session as hex. */
  ephemeralOwner: string;
  dataLength: number;
  numChildren: number;
}

export function statJson(s: Stat): StatJson {
  return {
    czxid: s.czxid,
    mzxid: s.mzxid,
    pzxid: s.pzxid,
    ctime: s.ctime,
    mtime: s.mtime,
    version: s.version,
    cversion: s.cversion,
    aversion: s.aversion,
    ephemeralOwner: `0x${javaHex(s.ephemeralOwner)}`,
    dataLength: s.dataLength,
    numChildren: s.numChildren,
  };
}

export interface AclJson {
  scheme: string;
  id: string;
  /** Letters from "cdrwa", in that order (zkCli's order). */
  perms: string;
}

/** zkCli's ZKUtil.getPermString order: c d r w a. */
export function permString(perms: number): string {
  let s = "";
  if (perms & Perm.CREATE) s += "c";
  if (perms & Perm.DELETE) s += "d";
  if (perms & Perm.READ) s += "r";
  if (perms & Perm.WRITE) s += "w";
  if (perms & Perm.ADMIN) s += "a";
  return s;
}

export function aclJson(acl: readonly Acl[]): AclJson[] {
  return acl.map((a) => ({ scheme: a.scheme, id: a.id, perms: permString(a.perms) }));
}

/** An error as one JSON line on stderr: the text zkCli would print, plus the code's name. */
export function errorJson(message: string, e: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = { error: message };
  if (e instanceof ZkError) {
    out.code = errName(e.code);
    // Reconfig errors come without a path (as the Java client raises them).
    if (e.path !== undefined && e.path !== "") out.path = e.path;
  }
  return out;
}
