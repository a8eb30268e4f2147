/**
 * Transactions: the idempotent, fully resolved form of a write. A txn records results, not
 * intent (the resulting version, the parent's resulting cversion, the ephemerals a close
 * deletes), so replaying it over a state that already holds some of its effects yields the
 * same tree. Produced by prepare(), consumed by DataTree.apply() for live traffic and replay.
 */

import type { Acl } from "../proto/records.ts";

export type Txn =
  | { type: "createSession"; timeoutMs: number }
  | { type: "closeSession"; paths: string[] }
  | {
    type: "create";
    path: string;
    data: Uint8Array | null;
    acl: Acl[];
    /** Session id, CONTAINER_OWNER, a TTL marker (see node_kind.ts), or 0n. */
    ephemeralOwner: bigint;
    /** The parent's persisted cversion after this create. */
    parentCversion: number;
  }
  | { type: "delete"; path: string }
  | { type: "setData"; path: string; data: Uint8Array | null; version: number }
  | { type: "setACL"; path: string; acl: Acl[]; version: number }
  | { type: "check"; path: string; version: number }
  | { type: "error"; err: number }
  /**
   * A committed change of ensemble membership: /zookeeper/config gets `data` (the new
   * configuration in ZooKeeper's text form) with version -1, as ZooKeeper's reconfig
   * SetDataTxn leaves it, and mzxid = `version`, the configuration's version (the txn's own
   * zxid, except for a first leader's ZOOKEEPER-1783 version, which is its epoch zxid).
   */
  | { type: "reconfig"; data: Uint8Array; version: number }
  | { type: "multi"; txns: Txn[] };

/** A txn with the header fields every log entry carries. */
export interface TxnEntry {
  /** Session that issued it; 0n for server-internal txns (container cleanup, expiry). */
  sessionId: bigint;
  cxid: number;
  zxid: number;
  /** Wall-clock ms of the server that prepared it; becomes ctime/mtime. */
  timeMs: number;
  txn: Txn;
}
