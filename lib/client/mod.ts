/**
 * lib/client's public surface: the ZooKeeper client used by `zkd cli`, the benchmark and the
 * tests. Import from here rather than from the individual files.
 */

export {
  type ClientState,
  ConnectError,
  type ConnectOptions,
  type ReplyInfo,
  type WatchArg,
  ZkClient,
} from "./client.ts";
export { isZkError, ZkError } from "./errors.ts";
export { formatHostPort, type HostPort, parseHosts } from "./hosts.ts";
export {
  ClientProtocol,
  FRAME_BYTES_MAX_DEFAULT,
  ProtocolError,
  type ProtocolEvent,
} from "./protocol.ts";
export {
  type CreateOptions,
  createRequest,
  CREATOR_ALL_ACL,
  MultiOp,
  OPEN_ACL_UNSAFE,
  READ_ACL_UNSAFE,
  TTL_MS_MAX,
} from "./requests.ts";
export { type WatchedEvent, type Watcher, type WatchKind, WatchRegistry } from "./watches.ts";
