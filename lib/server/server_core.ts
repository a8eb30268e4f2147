/**
 * What the TCP shell (server.ts) drives: client connections in, replies out, time, and a
 * flush at the end of each event-loop turn. Standalone (replica + write-ahead log) and
 * ensemble members (replica + Raft + peer links) both implement it.
 */

import type { QuorumStatus } from "../admin/four_letter.ts";
import type { Replica, ReplicaIO } from "../replica/replica.ts";

export interface ServerCore {
  readonly replica: Replica;
  /** "standalone", or the member's current role (four-letter words, admin, logs). */
  readonly mode: string;
  /** One line for the start-up log: what recovery found. */
  readonly recoverySummary: string;
  /** Rejects if durability fails; the process must then stop and recover. */
  readonly failed: Promise<never>;
  connOpened(connId: number, remoteIp: string, remotePort: number, nowMs: number): boolean;
  connClosed(connId: number): void;
  frame(connId: number, body: Uint8Array, nowMs: number): void;
  shouldPause(connId: number): boolean;
  tick(nowMs: number): void;
  /** End of a turn of input: persist what was prepared, send what was produced. */
  flush(): void;
  /** Opens anything besides the client port (the quorum port). */
  start(): void;
  snapshot(): Promise<string>;
  /** Null on a standalone server. */
  quorumStatus(): QuorumStatus | null;
  /** Graceful stop: finish durable work (hand over leadership), then close files and links. */
  close(): Promise<void>;
}

export interface CoreHooks {
  io: ReplicaIO;
  /** Replies went out: paused sockets may read again. */
  onApplied(): void;
  /**
   * The committed configuration names this client address for this member (called for
   * every new configuration; the server moves its listener when the address differs).
   */
  clientAddressCommitted?(host: string, port: number): void;
}
