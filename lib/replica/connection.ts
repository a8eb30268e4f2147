/**
 * What the replica knows about one client connection: its session, its auth ids, its FIFO
 * of requests not answered yet, and the counters the four-letter words report.
 */

import type { Request } from "../proto/records.ts";
import type { AuthId } from "../tree/acl.ts";

/** One request in a connection's FIFO, answered strictly in arrival order. */
export interface PendingItem {
  xid: number;
  op: number;
  /** A read or local op waiting for earlier items; executed when it reaches the head. */
  deferred: Request | null;
  /** The encoded reply frame, once known. */
  reply: Uint8Array | null;
  /** Close the connection after this reply is sent (closeSession, unknown opcode). */
  closeAfter: string | null;
  receivedAtMs: number;
}

export class ConnectionStats {
  packetsReceived = 0;
  packetsSent = 0;
  lastOpTag = "NA";
  lastCxid = -1;
  lastZxid = -1;
  lastResponseAtMs = 0;
  lastLatencyMs = 0;
  latencyMinMs = Number.MAX_SAFE_INTEGER;
  latencyMaxMs = 0;
  latencyTotalMs = 0;
  latencyCount = 0;

  recordLatency(ms: number): void {
    this.lastLatencyMs = ms;
    if (ms < this.latencyMinMs) this.latencyMinMs = ms;
    if (ms > this.latencyMaxMs) this.latencyMaxMs = ms;
    this.latencyTotalMs += ms;
    this.latencyCount++;
  }

  reset(): void {
    this.packetsReceived = this.packetsSent = 0;
    this.lastOpTag = "NA";
    this.lastCxid = this.lastZxid = -1;
    this.lastLatencyMs =
      this.latencyMaxMs =
      this.latencyTotalMs =
      this.latencyCount =
        0;
    this.latencyMinMs = Number.MAX_SAFE_INTEGER;
  }
}

export class Connection {
  readonly id: number;
  readonly remoteIp: string;
  readonly remotePort: number;
  readonly openedAtMs: number;
  /** 0n until the handshake completes. */
  sessionId = 0n;
  established = false;
  /** Whether the client sent the trailing readOnly byte (mirrored in the ConnectResponse). */
  sentReadOnlyByte = false;
  negotiatedTimeoutMs = 0;
  establishedAtMs = 0;
  /** A ConnectRequest is being processed (createSession waiting for its commit). */
  handshaking = false;
  /** Frames that arrived before the handshake completed, processed right after it. */
  readonly early: Uint8Array[] = [];
  readonly authIds: AuthId[];
  readonly queue: PendingItem[] = [];
  /** Set once the connection is being closed: nothing more is read or answered. */
  closed = false;
  readonly stats = new ConnectionStats();

  constructor(id: number, remoteIp: string, remotePort: number, nowMs: number) {
    this.id = id;
    this.remoteIp = remoteIp;
    this.remotePort = remotePort;
    this.openedAtMs = nowMs;
    // Every connection holds its address as an ip id from the start (ZooKeeper does too).
    this.authIds = [{ scheme: "ip", id: remoteIp }];
  }

  addAuthId(id: AuthId): void {
    if (!this.authIds.some((a) => a.scheme === id.scheme && a.id === id.id)) this.authIds.push(id);
  }
}
