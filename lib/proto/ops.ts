/**
 * The one opcode table: every ZooKeeper 3.8 opcode with its name, the four-letter tag the
 * `cons` command prints for it, and how the server treats it (read, write, session control,
 * watch bookkeeping, out-of-band).
 */

export const Op = {
  notification: 0,
  create: 1,
  delete: 2,
  exists: 3,
  getData: 4,
  setData: 5,
  getACL: 6,
  setACL: 7,
  getChildren: 8,
  sync: 9,
  ping: 11,
  getChildren2: 12,
  check: 13,
  multi: 14,
  create2: 15,
  reconfig: 16,
  checkWatches: 17,
  removeWatches: 18,
  createContainer: 19,
  deleteContainer: 20,
  createTTL: 21,
  multiRead: 22,
  auth: 100,
  setWatches: 101,
  sasl: 102,
  getEphemerals: 103,
  getAllChildrenNumber: 104,
  setWatches2: 105,
  addWatch: 106,
  whoAmI: 107,
  createSession: -10,
  closeSession: -11,
  error: -1,
} as const;

export type OpCode = (typeof Op)[keyof typeof Op];

/**
 * How the request pipeline handles an op:
 * - write: becomes a txn (uses a zxid), ordered through the log;
 * - read: served from the tree, in order behind the session's pending writes;
 * - local: answered in order without touching the tree (sync, ping, watch bookkeeping);
 * - oob: handled at once in the network layer (auth, sasl), may overtake earlier replies.
 */
export type OpKind = "write" | "read" | "local" | "oob";

export interface OpInfo {
  readonly name: string;
  readonly kind: OpKind;
  /** The tag `cons` prints as lop=... */
  readonly tag: string;
}

const table: ReadonlyMap<number, OpInfo> = new Map<number, OpInfo>([
  [Op.create, { name: "create", kind: "write", tag: "CREA" }],
  [Op.create2, { name: "create2", kind: "write", tag: "CREA" }],
  [Op.createContainer, { name: "createContainer", kind: "write", tag: "CREA" }],
  [Op.createTTL, { name: "createTTL", kind: "write", tag: "CREA" }],
  [Op.delete, { name: "delete", kind: "write", tag: "DELE" }],
  [Op.deleteContainer, { name: "deleteContainer", kind: "write", tag: "DELE" }],
  [Op.setData, { name: "setData", kind: "write", tag: "SETD" }],
  [Op.setACL, { name: "setACL", kind: "write", tag: "SETA" }],
  [Op.multi, { name: "multi", kind: "write", tag: "MULT" }],
  [Op.reconfig, { name: "reconfig", kind: "write", tag: "RECO" }],
  [Op.closeSession, { name: "closeSession", kind: "write", tag: "CLOS" }],
  [Op.check, { name: "check", kind: "write", tag: "CHEC" }],
  [Op.exists, { name: "exists", kind: "read", tag: "EXIS" }],
  [Op.getData, { name: "getData", kind: "read", tag: "GETD" }],
  [Op.getACL, { name: "getACL", kind: "read", tag: "GETA" }],
  [Op.getChildren, { name: "getChildren", kind: "read", tag: "GETC" }],
  [Op.getChildren2, { name: "getChildren2", kind: "read", tag: "GETC" }],
  [Op.multiRead, { name: "multiRead", kind: "read", tag: "MLTR" }],
  [Op.getEphemerals, { name: "getEphemerals", kind: "read", tag: "GETE" }],
  [Op.getAllChildrenNumber, { name: "getAllChildrenNumber", kind: "read", tag: "GETACN" }],
  [Op.whoAmI, { name: "whoAmI", kind: "read", tag: "HOMI" }],
  [Op.sync, { name: "sync", kind: "local", tag: "SYNC" }],
  [Op.ping, { name: "ping", kind: "local", tag: "PING" }],
  [Op.setWatches, { name: "setWatches", kind: "local", tag: "SETW" }],
  [Op.setWatches2, { name: "setWatches2", kind: "local", tag: "STW2" }],
  [Op.addWatch, { name: "addWatch", kind: "local", tag: "ADDW" }],
  [Op.checkWatches, { name: "checkWatches", kind: "local", tag: "CHKW" }],
  [Op.removeWatches, { name: "removeWatches", kind: "local", tag: "REMW" }],
  [Op.auth, { name: "auth", kind: "oob", tag: "AUTH" }],
  [Op.sasl, { name: "sasl", kind: "oob", tag: "SASL" }],
]);

/** The op's entry, or undefined for an opcode a client may not send. */
export function opInfo(op: number): OpInfo | undefined {
  return table.get(op);
}

/** Create flags (CreateMode) as the wire carries them. */
export const CreateFlag = {
  persistent: 0,
  ephemeral: 1,
  persistentSequential: 2,
  ephemeralSequential: 3,
  container: 4,
  persistentWithTtl: 5,
  persistentSequentialWithTtl: 6,
} as const;

/** Watch event types (Watcher.Event.EventType). */
export const EventType = {
  None: -1,
  NodeCreated: 1,
  NodeDeleted: 2,
  NodeDataChanged: 3,
  NodeChildrenChanged: 4,
  DataWatchRemoved: 5,
  ChildWatchRemoved: 6,
  PersistentWatchRemoved: 7,
} as const;

export const eventTypeName: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(EventType).map(([k, v]) => [v, k]),
);

/** Keeper states (Watcher.Event.KeeperState); the server only ever sends SyncConnected. */
export const KeeperState = {
  Disconnected: 0,
  SyncConnected: 3,
  AuthFailed: 4,
  ConnectedReadOnly: 5,
  Expired: -112,
  Closed: 7,
} as const;

/** addWatch modes (AddWatchMode). */
export const AddWatchMode = { persistent: 0, persistentRecursive: 1 } as const;

/** checkWatches / removeWatches watcher types (WatcherType). */
export const WatcherType = {
  children: 1,
  data: 2,
  any: 3,
  persistent: 4,
  persistentRecursive: 5,
} as const;

/** Permission bits (ZooDefs.Perms). */
export const Perm = { READ: 1, WRITE: 2, CREATE: 4, DELETE: 8, ADMIN: 16, ALL: 31 } as const;

/** Special xids. */
export const Xid = { notification: -1, ping: -2, auth: -4, setWatches: -8 } as const;
