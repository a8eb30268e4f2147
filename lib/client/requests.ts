/**
 * Request records the client sends, built the way the Apache Java client builds them: which
 * create opcode a mode needs (container -> 19, TTL -> 21), the default ACL, version -1 for
 * "any version". Shared by ZkClient's typed methods and by multi() op lists.
 */

import { CreateFlag, Op } from "../proto/ops.ts";
import type {
  Acl,
  CheckRequest,
  CreateRequest,
  DeleteRequest,
  PathWatchRequest,
  SetDataRequest,
} from "../proto/records.ts";

/** world:anyone with all permissions (ZooDefs.Ids.OPEN_ACL_UNSAFE). */
export const OPEN_ACL_UNSAFE: readonly Acl[] = Object.freeze([
  { perms: 31, scheme: "world", id: "anyone" },
]);
/** Everything for the creator's authenticated ids (ZooDefs.Ids.CREATOR_ALL_ACL). */
export const CREATOR_ALL_ACL: readonly Acl[] = Object.freeze([{
  perms: 31,
  scheme: "auth",
  id: "",
}]);
/** world:anyone read-only (ZooDefs.Ids.READ_ACL_UNSAFE). */
export const READ_ACL_UNSAFE: readonly Acl[] = Object.freeze([
  { perms: 1, scheme: "world", id: "anyone" },
]);

/** The largest TTL the server accepts: the ttl lives in the low 40 bits of ephemeralOwner. */
export const TTL_MS_MAX = 2 ** 40 - 1;

export interface CreateOptions {
  /** A CreateFlag value (CreateFlag.ephemeral, ...); persistent by default. */
  mode?: number;
  /** The node's ACL; OPEN_ACL_UNSAFE by default. */
  acl?: readonly Acl[];
  /** Required with the two TTL modes, forbidden otherwise. */
  ttlMs?: number;
}

function isTtlMode(mode: number): boolean {
  return mode === CreateFlag.persistentWithTtl || mode === CreateFlag.persistentSequentialWithTtl;
}

/**
 * A create request. `withStat` selects create2 (15) for the modes that would otherwise use
 * plain create (1); container and TTL modes always use their own opcodes (19, 21), whose reply
 * always carries the stat.
 */
export function createRequest(
  path: string,
  data: Uint8Array | null,
  options: CreateOptions = {},
  withStat = false,
): CreateRequest {
  const mode = options.mode ?? CreateFlag.persistent;
  if (!Number.isInteger(mode) || mode < 0 || mode > 6) {
    throw new RangeError(`unknown create mode ${mode}`);
  }
  const acl = [...(options.acl ?? OPEN_ACL_UNSAFE)];
  if (isTtlMode(mode)) {
    const ttlMs = options.ttlMs;
    if (ttlMs === undefined || !Number.isInteger(ttlMs) || ttlMs <= 0 || ttlMs > TTL_MS_MAX) {
      throw new RangeError(`TTL mode needs an integer ttlMs in 1..${TTL_MS_MAX}, got ${ttlMs}`);
    }
    return { op: Op.createTTL, path, data, acl, flags: mode, ttlMs };
  }
  if (options.ttlMs !== undefined && options.ttlMs !== 0) {
    throw new RangeError(`ttlMs is only valid with a TTL create mode (mode ${mode})`);
  }
  if (mode === CreateFlag.container) {
    return { op: Op.createContainer, path, data, acl, flags: mode, ttlMs: 0 };
  }
  return { op: withStat ? Op.create2 : Op.create, path, data, acl, flags: mode, ttlMs: 0 };
}

/**
 * Builders for multi() and multiRead() op lists, named after the Java client's Op factory.
 * Their results come back as MultiResult values in the same order.
 */
export const MultiOp = {
  create(path: string, data: Uint8Array | null, options: CreateOptions = {}): CreateRequest {
    return createRequest(path, data, options, false);
  },
  /** Like create, but the result carries the new node's Stat (result type 15). */
  create2(path: string, data: Uint8Array | null, options: CreateOptions = {}): CreateRequest {
    return createRequest(path, data, options, true);
  },
  delete(path: string, version = -1): DeleteRequest {
    return { op: Op.delete, path, version };
  },
  setData(path: string, data: Uint8Array | null, version = -1): SetDataRequest {
    return { op: Op.setData, path, data, version };
  },
  check(path: string, version: number): CheckRequest {
    return { op: Op.check, path, version };
  },
  /** multiRead only. */
  getData(path: string): PathWatchRequest {
    return { op: Op.getData, path, watch: false };
  },
  /** multiRead only. */
  getChildren(path: string): PathWatchRequest {
    return { op: Op.getChildren, path, watch: false };
  },
} as const;
