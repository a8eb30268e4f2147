/**
 * ACL checks and ACL fix-up, as ZooKeeper 3.8 does them (ZooKeeperServer.checkACL,
 * PrepRequestProcessor.fixupACL), for the built-in schemes world, auth, digest and ip.
 * The super user is an auth id {scheme: "super", id: ""} held by a connection.
 */

import type { Acl } from "../proto/records.ts";
import { Err } from "../proto/errors.ts";

/** An identity a connection holds (ip: added at accept; digest/super: from auth packets). */
export interface AuthId {
  readonly scheme: string;
  readonly id: string;
}

export const SUPER_ID: AuthId = Object.freeze({ scheme: "super", id: "" });

export const OPEN_ACL_UNSAFE: readonly Acl[] = Object.freeze([
  Object.freeze({ perms: 31, scheme: "world", id: "anyone" }),
]);
export const READ_ACL_UNSAFE: readonly Acl[] = Object.freeze([
  Object.freeze({ perms: 1, scheme: "world", id: "anyone" }),
]);

/** Schemes whose ids count as "authenticated" for `auth` expansion (ip does not). */
const authenticatedSchemes = new Set(["digest"]);

/** True if some entry of `acl` grants `perm` to one of `ids` (super and empty ACLs pass). */
export function aclAllows(acl: readonly Acl[], perm: number, ids: readonly AuthId[]): boolean {
  if (acl.length === 0) return true;
  for (const id of ids) if (id.scheme === "super") return true;
  for (const entry of acl) {
    if ((entry.perms & perm) === 0) continue;
    if (entry.scheme === "world") {
      if (entry.id === "anyone") return true;
      continue;
    }
    for (const id of ids) {
      if (id.scheme !== entry.scheme) continue;
      if (entry.scheme === "ip" ? ipMatches(entry.id, id.id) : entry.id === id.id) return true;
    }
  }
  return false;
}

/**
 * Validates and expands an ACL list for create/setACL: removes duplicates, expands `auth`
 * entries into the connection's authenticated ids, rejects unknown schemes and bad ids.
 */
export function fixupAcl(acl: readonly Acl[] | null, ids: readonly AuthId[]): Acl[] | number {
  if (acl === null || acl.length === 0) return Err.INVALIDACL;
  const seen = new Set<string>();
  const out: Acl[] = [];
  for (const entry of acl) {
    const key = `${entry.perms}\0${entry.scheme}\0${entry.id}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (entry.scheme === "world" && entry.id === "anyone") {
      out.push(entry);
    } else if (entry.scheme === "auth") {
      let expanded = false;
      for (const id of ids) {
        if (!authenticatedSchemes.has(id.scheme)) continue;
        expanded = true;
        out.push({ perms: entry.perms, scheme: id.scheme, id: id.id });
      }
      if (!expanded) return Err.INVALIDACL;
    } else if (entry.scheme === "digest" && isValidDigestId(entry.id)) {
      out.push(entry);
    } else if (entry.scheme === "ip" && parseIpPattern(entry.id) !== null) {
      out.push(entry);
    } else {
      return Err.INVALIDACL;
    }
  }
  return out;
}

/** Java's `id.split(":").length == 2`: trailing empty parts are dropped by split. */
function isValidDigestId(id: string): boolean {
  const parts = id.split(":");
  while (parts.length > 0 && parts[parts.length - 1] === "") parts.pop();
  return parts.length === 2;
}

interface IpPattern {
  bytes: Uint8Array;
  bits: number;
}

function parseIpv4(s: string): Uint8Array | null {
  const parts = s.split(".");
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    if (!/^\d{1,3}$/.test(parts[i])) return null;
    const v = Number(parts[i]);
    if (v > 255) return null;
    out[i] = v;
  }
  return out;
}

function parseIpv6(s: string): Uint8Array | null {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || s.length < 2) return null;
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const groups = (part: string): number[] | null => {
    if (part === "") return [];
    const out: number[] = [];
    for (const g of part.split(":")) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (head === null || tail === null) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const all = [...head, ...new Array(halves.length === 2 ? missing : 0).fill(0), ...tail];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

function parseIp(s: string): Uint8Array | null {
  return s.includes(":") ? parseIpv6(s) : parseIpv4(s);
}

/** `a.b.c.d`, `a.b.c.d/bits`, or an IPv6 address with optional `/bits`. */
export function parseIpPattern(id: string): IpPattern | null {
  const slash = id.indexOf("/");
  const addr = slash < 0 ? id : id.slice(0, slash);
  const bytes = parseIp(addr);
  if (bytes === null) return null;
  let bits = bytes.length * 8;
  if (slash >= 0) {
    const b = id.slice(slash + 1);
    if (!/^\d+$/.test(b)) return null;
    bits = Number(b);
    if (bits > bytes.length * 8) return null;
  }
  return { bytes, bits };
}

function ipMatches(pattern: string, address: string): boolean {
  const p = parseIpPattern(pattern);
  const a = parseIp(address);
  if (p === null || a === null || p.bytes.length !== a.length) return false;
  let bits = p.bits;
  for (let i = 0; i < a.length && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((p.bytes[i] & mask) !== (a[i] & mask)) return false;
  }
  return true;
}

/** getACL without ADMIN: digest ids come back as `user:x` (ZooKeeper 3.8.4+). */
export function redactDigests(acl: readonly Acl[]): Acl[] {
  return acl.map((a) =>
    a.scheme === "digest" ? { perms: a.perms, scheme: a.scheme, id: `${a.id.split(":")[0]}:x` } : a
  );
}
