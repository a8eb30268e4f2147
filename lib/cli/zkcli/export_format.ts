/**
 * The JSON file `export` writes and `import` reads: a subtree as a list of nodes, parents
 * before children, each with its data (base64, null for null data) and ACL.
 *
 *   {"format": "zkd-export", "version": 1, "root": "/app", "exportedAt": "...", "note": "...",
 *    "nodes": [{"path": "/app", "data": "aGk=", "acl": [{"scheme": "world", "id": "anyone",
 *               "perms": "cdrwa"}]}, ...]}
 *
 * What the file cannot carry: ZooKeeper's protocol shows containers and TTL nodes to clients
 * exactly like persistent nodes (ephemeralOwner 0), so they come back as persistent nodes.
 * Ephemeral nodes are listed (marked "ephemeral": true) but import skips them: they belong to a
 * session. Sequential nodes keep the name they had.
 */

import { Buffer } from "node:buffer";
import { Perm } from "../../proto/ops.ts";
import type { Acl } from "../../proto/records.ts";
import type { AclJson } from "./json_values.ts";
import { pathProblem } from "./path.ts";

export const EXPORT_FORMAT = "zkd-export";
export const EXPORT_VERSION = 1;
export const EXPORT_NOTE = "Containers and TTL nodes look persistent to clients and are " +
  "exported as persistent nodes; ephemeral nodes are marked and import skips them.";

export interface ExportedNode {
  path: string;
  /** base64, or null for a node with null data. */
  data: string | null;
  acl: AclJson[];
  ephemeral?: true;
}

export interface ExportDocument {
  format: typeof EXPORT_FORMAT;
  version: typeof EXPORT_VERSION;
  root: string;
  exportedAt: string;
  note: string;
  nodes: ExportedNode[];
}

/** A file import cannot use; the message names the file and the problem, on one line. */
export class ExportFormatError extends Error {
  override name = "ExportFormatError";
}

const PERM_BY_LETTER: Readonly<Record<string, number>> = {
  c: Perm.CREATE,
  d: Perm.DELETE,
  r: Perm.READ,
  w: Perm.WRITE,
  a: Perm.ADMIN,
};

export function aclFromJson(acl: readonly AclJson[]): Acl[] {
  return acl.map((a) => {
    let perms = 0;
    for (const letter of a.perms) perms |= PERM_BY_LETTER[letter];
    return { scheme: a.scheme, id: a.id, perms };
  });
}

export function encodeData(data: Uint8Array | null): string | null {
  return data === null
    ? null
    : Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("base64");
}

export function decodeData(data: string | null): Uint8Array | null {
  return data === null ? null : new Uint8Array(Buffer.from(data, "base64"));
}

function parentOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash <= 0 ? "/" : path.slice(0, slash);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Parses and checks an export file's text; `source` names it in error messages. */
export function parseExport(text: string, source: string): ExportDocument {
  const fail = (why: string): never => {
    throw new ExportFormatError(`${source}: ${why}`);
  };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return fail(`not JSON (${(e as Error).message})`);
  }
  if (!isObject(doc) || doc.format !== EXPORT_FORMAT) {
    return fail(`not a zkd export (no "format": "${EXPORT_FORMAT}")`);
  }
  if (doc.version !== EXPORT_VERSION) {
    return fail(`export version ${JSON.stringify(doc.version)} is not supported (only 1)`);
  }
  const root = doc.root;
  if (typeof root !== "string" || pathProblem(root) !== undefined) {
    return fail(`bad root ${JSON.stringify(root)}`);
  }
  if (!Array.isArray(doc.nodes) || doc.nodes.length === 0) return fail("no nodes");
  const seen = new Set<string>();
  const nodes: ExportedNode[] = doc.nodes.map((n: unknown, i: number) => {
    const where = `node ${i}`;
    if (!isObject(n) || typeof n.path !== "string") return fail(`${where}: no path`);
    const path = n.path;
    if (pathProblem(path) !== undefined) return fail(`${where}: bad path ${JSON.stringify(path)}`);
    if (i === 0 && path !== root) return fail(`${where}: the first node must be the root ${root}`);
    if (seen.has(path)) return fail(`${where}: ${path} is listed twice`);
    if (i > 0 && !seen.has(parentOf(path))) {
      return fail(`${where}: ${path} comes before its parent (or is outside ${root})`);
    }
    seen.add(path);
    if (n.data !== null && (typeof n.data !== "string" || !BASE64.test(n.data))) {
      return fail(`${where}: data of ${path} is neither null nor base64`);
    }
    if (!Array.isArray(n.acl)) return fail(`${where}: acl of ${path} is not a list`);
    const acl = n.acl.map((a: unknown): AclJson => {
      if (
        !isObject(a) || typeof a.scheme !== "string" || typeof a.id !== "string" ||
        typeof a.perms !== "string" || !/^[cdrwa]*$/.test(a.perms)
      ) {
        return fail(`${where}: bad acl entry ${JSON.stringify(a)} of ${path}`);
      }
      return { scheme: a.scheme, id: a.id, perms: a.perms };
    });
    const out: ExportedNode = { path, data: n.data as string | null, acl };
    if (n.ephemeral === true) out.ephemeral = true;
    return out;
  });
  return {
    format: EXPORT_FORMAT,
    version: EXPORT_VERSION,
    root,
    exportedAt: typeof doc.exportedAt === "string" ? doc.exportedAt : "",
    note: typeof doc.note === "string" ? doc.note : "",
    nodes,
  };
}

/** Where an exported path lands when the subtree is imported under `target`. */
export function relocate(path: string, root: string, target: string): string {
  const rest = path === root ? "" : root === "/" ? path : path.slice(root.length);
  if (target === "/") return rest === "" ? "/" : rest;
  return target + rest;
}
