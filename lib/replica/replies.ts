/**
 * Encoding of server-to-client frames: reply header + body, notifications, and the
 * ConnectResponse (valid or "session invalid"). Each function returns a whole frame with
 * its length prefix, ready for the socket.
 */

import { beginFrame, endFrame, JuteWriter } from "../proto/jute.ts";
import { KeeperState, Xid } from "../proto/ops.ts";
import { writeConnectResponse, writeReplyHeader } from "../proto/records.ts";

/** Shared scratch writer: frames are copied out, so one buffer serves every reply. */
const scratch = new JuteWriter(64 * 1024);

/** A reply frame; `body` writes the record after the header (omitted when err != 0). */
export function replyFrame(
  xid: number,
  zxid: number,
  err: number,
  body?: (w: JuteWriter) => void,
): Uint8Array {
  scratch.reset();
  const at = beginFrame(scratch);
  writeReplyHeader(scratch, xid, zxid, err);
  if (err === 0 && body !== undefined) body(scratch);
  endFrame(scratch, at);
  return scratch.toBytes();
}

export function notificationFrame(zxid: number, type: number, path: string): Uint8Array {
  scratch.reset();
  const at = beginFrame(scratch);
  writeReplyHeader(scratch, Xid.notification, zxid, 0);
  scratch.int(type).int(KeeperState.SyncConnected).ustring(path);
  endFrame(scratch, at);
  return scratch.toBytes();
}

const ZERO_PASSWORD = new Uint8Array(16);

export function connectResponseFrame(
  timeOutMs: number,
  sessionId: bigint,
  passwd: Uint8Array,
  readOnly: boolean | undefined,
): Uint8Array {
  scratch.reset();
  const at = beginFrame(scratch);
  writeConnectResponse(scratch, { protocolVersion: 0, timeOutMs, sessionId, passwd, readOnly });
  endFrame(scratch, at);
  return scratch.toBytes();
}

/** "Session expired or invalid": timeOut 0, id 0, 16 zero bytes (C checks the id, others 0). */
export function invalidSessionFrame(readOnly: boolean | undefined): Uint8Array {
  return connectResponseFrame(0, 0n, ZERO_PASSWORD, readOnly);
}
