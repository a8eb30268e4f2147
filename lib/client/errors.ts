/**
 * The errors a ZkClient rejects with. A ZooKeeper result code (NONODE, BADVERSION, ...) becomes
 * a ZkError carrying the code, its name and the path the request was about; client-side
 * conditions that Java reports with made-up codes (CONNECTIONLOSS, SESSIONEXPIRED,
 * OPERATIONTIMEOUT) use the same class, so callers switch on one `code` field.
 */

import { errMessage, errName } from "../proto/errors.ts";

export class ZkError extends Error {
  /** The ZooKeeper result code, e.g. -101 for NONODE. */
  readonly code: number;
  /** The path of the request that failed, when it had one. */
  readonly path: string | undefined;

  constructor(code: number, path?: string, detail?: string) {
    // Same text as Java's KeeperException.getMessage(): "KeeperErrorCode = NoNode for /x".
    const where = path === undefined || path === "" ? "" : ` for ${path}`;
    super(errMessage(code) + where + (detail === undefined ? "" : ` (${detail})`));
    this.code = code;
    this.path = path;
    // The code's name ("NONODE") rather than "ZkError", so a printed error says what happened.
    this.name = errName(code);
  }
}

/** True when `e` is a ZkError with the given code. */
export function isZkError(e: unknown, code?: number): e is ZkError {
  return e instanceof ZkError && (code === undefined || e.code === code);
}
