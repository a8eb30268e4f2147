/**
 * ZooKeeper result codes (KeeperException.Code). They travel as values in reply headers and
 * multi results, never as exceptions through the pipeline. Never invent a code: clients
 * throw on values they do not know.
 */

export const Err = {
  OK: 0,
  SYSTEMERROR: -1,
  RUNTIMEINCONSISTENCY: -2,
  DATAINCONSISTENCY: -3,
  CONNECTIONLOSS: -4,
  MARSHALLINGERROR: -5,
  UNIMPLEMENTED: -6,
  OPERATIONTIMEOUT: -7,
  BADARGUMENTS: -8,
  UNKNOWNSESSION: -12,
  NEWCONFIGNOQUORUM: -13,
  RECONFIGINPROGRESS: -14,
  APIERROR: -100,
  NONODE: -101,
  NOAUTH: -102,
  BADVERSION: -103,
  NOCHILDRENFOREPHEMERALS: -108,
  NODEEXISTS: -110,
  NOTEMPTY: -111,
  SESSIONEXPIRED: -112,
  INVALIDCALLBACK: -113,
  INVALIDACL: -114,
  AUTHFAILED: -115,
  SESSIONMOVED: -118,
  NOTREADONLY: -119,
  EPHEMERALONLOCALSESSION: -120,
  NOWATCHER: -121,
  REQUESTTIMEOUT: -122,
  RECONFIGDISABLED: -123,
  SESSIONCLOSEDREQUIRESASLAUTH: -124,
  QUOTAEXCEEDED: -125,
  THROTTLEDOP: -127,
} as const;

export type ErrCode = (typeof Err)[keyof typeof Err];

const names = new Map<number, string>(Object.entries(Err).map(([k, v]) => [v, k]));

/** The code's name as ZooKeeper prints it (e.g. "NONODE"), or "UNKNOWN(n)". */
export function errName(code: number): string {
  return names.get(code) ?? `UNKNOWN(${code})`;
}

/** zkCli-style message, e.g. "KeeperErrorCode = NoNode". */
const messages: Record<number, string> = {
  [Err.OK]: "ok",
  [Err.SYSTEMERROR]: "SystemError",
  [Err.RUNTIMEINCONSISTENCY]: "RuntimeInconsistency",
  [Err.DATAINCONSISTENCY]: "DataInconsistency",
  [Err.CONNECTIONLOSS]: "ConnectionLoss",
  [Err.MARSHALLINGERROR]: "MarshallingError",
  [Err.UNIMPLEMENTED]: "Unimplemented",
  [Err.OPERATIONTIMEOUT]: "OperationTimeout",
  [Err.BADARGUMENTS]: "BadArguments",
  [Err.UNKNOWNSESSION]: "Unknown session",
  [Err.NEWCONFIGNOQUORUM]: "NewConfigNoQuorum",
  [Err.RECONFIGINPROGRESS]: "ReconfigInProgress",
  [Err.APIERROR]: "APIError",
  [Err.NONODE]: "NoNode",
  [Err.NOAUTH]: "NoAuth",
  [Err.BADVERSION]: "BadVersion",
  [Err.NOCHILDRENFOREPHEMERALS]: "NoChildrenForEphemerals",
  [Err.NODEEXISTS]: "NodeExists",
  [Err.NOTEMPTY]: "Directory not empty",
  [Err.SESSIONEXPIRED]: "Session expired",
  [Err.INVALIDCALLBACK]: "Invalid callback",
  [Err.INVALIDACL]: "InvalidACL",
  [Err.AUTHFAILED]: "AuthFailed",
  [Err.SESSIONMOVED]: "Session moved",
  [Err.NOTREADONLY]: "Not a read-only call",
  [Err.EPHEMERALONLOCALSESSION]: "Ephemeral node on local session",
  [Err.NOWATCHER]: "No such watcher",
  [Err.REQUESTTIMEOUT]: "Request timeout",
  [Err.RECONFIGDISABLED]: "Reconfig is disabled",
  [Err.SESSIONCLOSEDREQUIRESASLAUTH]: "Session closed because client failed to authenticate",
  [Err.QUOTAEXCEEDED]: "Quota has exceeded",
  [Err.THROTTLEDOP]: "Op throttled due to high load",
};

export function errMessage(code: number): string {
  return `KeeperErrorCode = ${messages[code] ?? `Unknown(${code})`}`;
}
