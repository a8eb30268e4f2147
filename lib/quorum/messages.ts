/**
 * Messages between members of an ensemble. The consensus ones (Raft with pre-vote and
 * check-quorum) are produced and consumed by RaftNode; the request-path ones (forwarded
 * writes, session pings, ...) by the replica's member layer. All are plain data: the
 * simulator passes them as objects, the server encodes them (lib/replica/peer_codec.ts).
 */

import type { TxnEntry } from "../tree/txn.ts";

interface Envelope {
  from: number;
  to: number;
  term: number;
}

export type RaftMessage =
  | Envelope & {
    type: "append";
    /** The entry the receiver must already hold (or 0 / its snapshot). */
    prevZxid: number;
    entries: TxnEntry[];
    commitZxid: number;
  }
  | Envelope & {
    type: "appendResp";
    success: boolean;
    /** On success: the receiver holds everything up to here, durably, as the leader does. */
    matchZxid: number;
    /** On rejection: the largest zxid the receiver holds at or before the asked prevZxid. */
    hintZxid: number;
  }
  | Envelope & { type: "heartbeat"; commitZxid: number }
  | Envelope & { type: "heartbeatResp"; lastZxid: number }
  /** The commit point moved (sent in the turn it moves; not answered, unlike a heartbeat). */
  | Envelope & { type: "commit"; commitZxid: number }
  | Envelope & {
    type: "vote";
    /** Pre-vote: "would you vote for me at `term`?", changes no state. */
    pre: boolean;
    /** Sent on the leader's request (leadership transfer): ignores the leader lease. */
    transfer: boolean;
    lastZxid: number;
  }
  | Envelope & { type: "voteResp"; pre: boolean; granted: boolean }
  | Envelope & { type: "snapshot"; zxid: number; data: Uint8Array }
  | Envelope & { type: "timeoutNow" };

export type RaftMessageType = RaftMessage["type"];
