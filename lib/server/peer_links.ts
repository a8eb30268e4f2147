/**
 * The links between ensemble members: each member listens on its quorum port and dials every
 * other member's; a message travels on the sender's outbound connection. A connection opens
 * with a hello frame naming the sender; then each frame is one encoded PeerMessage. Messages
 * for a member that is not connected are dropped (Raft resends what matters; the member hears
 * of it, for client writes it forwarded cannot be resent), a connection that breaks is
 * redialled with a short backoff, and a malformed frame closes that link with a log line.
 */

import type { EnsembleConfig, EnsembleMember } from "../config/ensemble.ts";
import { DecodeError, JuteReader, JuteWriter } from "../proto/jute.ts";
import type { PeerMessage } from "../replica/member.ts";
import { decodePeerMessage, writePeerMessage, writeSnapshotHeader } from "../replica/peer_codec.ts";
import { FrameError } from "../proto/frame.ts";
import { ClientSocket } from "./client_socket.ts";
import type { Logger } from "./log.ts";

const HELLO_MAGIC = 0x5a4b4450; // "ZKDP"
/** 2: the hello carries the sender's quorum address, so a member can answer one it does not
 * know yet (a joiner learning its leader, before the log tells it the membership). */
const PROTOCOL_VERSION = 2;
/** Snapshot transfers are single frames, so the limit is generous. */
const PEER_FRAME_BYTES_MAX = 1024 * 1024 * 1024;
/** Output queued for a peer that is not reading before new messages to it are dropped. */
const PEER_OUTPUT_BYTES_MAX = 256 * 1024 * 1024;
const REDIAL_DELAY_MS = 100;
/** The frame writer's buffer is reused up to this size. */
const WRITER_BYTES_KEPT = 64 * 1024;
const CONNECT_TIMEOUT_MS = 1000;

interface Outbound {
  member: EnsembleMember;
  socket: ClientSocket | null;
  dialing: boolean;
  lastDialMs: number;
  /** Left the membership: kept a little longer so its last messages go out, then closed. */
  retiring: boolean;
}

/** How long a removed member's link stays up for the messages that tell it so. */
const RETIRE_AFTER_MS = 2000;

/** What the links report to the member that owns them. */
export interface PeerLinkEvents {
  message(m: PeerMessage): void;
  /** The inbound link from member `id` closed. */
  peerDown(id: number): void;
  /** A member outside the configuration said hello (a joiner). */
  peerIntroduced(id: number): void;
  /**
   * Something sent to member `id` may never arrive: its outbound link closed with output
   * perhaps unread, or a message was dropped for want of a link or of room in its queue.
   */
  sendLost(id: number): void;
}

export class PeerLinks {
  readonly #ensemble: EnsembleConfig;
  readonly #log: Logger;
  readonly #on: PeerLinkEvents;
  /** Members a message to which was lost since the last report. */
  readonly #lost = new Set<number>();
  readonly #outbound = new Map<number, Outbound>();
  readonly #inbound = new Set<ClientSocket>();
  /** Members with an open inbound link (id -> number of links). */
  readonly #inboundPeers = new Map<number, number>();
  #listener: Deno.TcpListener | null = null;
  #closed = false;
  #nextSocketId = 1;
  #writer = new JuteWriter(WRITER_BYTES_KEPT);

  constructor(ensemble: EnsembleConfig, log: Logger, on: PeerLinkEvents) {
    this.#ensemble = ensemble;
    this.#log = log;
    this.#on = on;
    for (const m of ensemble.members) {
      if (m.id !== ensemble.myId) {
        this.#outbound.set(m.id, {
          member: m,
          socket: null,
          dialing: false,
          lastDialMs: 0,
          retiring: false,
        });
      }
    }
  }

  /** Binds the quorum port (throws if it cannot) and starts dialling the others. */
  start(): void {
    const self = this.#ensemble.self;
    this.#listener = Deno.listen({
      hostname: this.#ensemble.quorumListenOnAllIPs ? "0.0.0.0" : self.host,
      port: self.quorumPort,
      transport: "tcp",
    });
    this.#accept(this.#listener);
    for (const o of this.#outbound.values()) this.#dial(o);
  }

  get address(): Deno.NetAddr | null {
    return this.#listener === null ? null : this.#listener.addr as Deno.NetAddr;
  }

  /** Members with an open outbound link (for mntr and status). */
  connectedPeers(): number[] {
    return [...this.#outbound.values()].filter((o) => o.socket !== null).map((o) => o.member.id);
  }

  send(m: PeerMessage): void {
    const o = this.#outbound.get(m.to);
    if (o === undefined || this.#closed) return;
    const s = o.socket;
    if (s === null || s.closed || s.closing) {
      this.#dial(o);
      this.#reportLost(m.to);
      return;
    }
    if (s.outputBytes > PEER_OUTPUT_BYTES_MAX) {
      this.#reportLost(m.to);
      return;
    }
    if (m.type === "snapshot") {
      // The data goes out as it is, after a frame header that counts it.
      const w = this.#writer;
      w.reset();
      w.int(0);
      writeSnapshotHeader(w, m);
      const header = w.toBytes();
      new DataView(header.buffer).setInt32(0, header.byteLength - 4 + m.data.byteLength);
      s.send(header);
      s.send(m.data);
      return;
    }
    s.send(this.#frame(m));
  }

  /**
   * Reported once per burst, and not from inside send(): the member is usually in the middle
   * of handing over its output when a message is dropped.
   */
  #reportLost(id: number): void {
    if (this.#lost.size === 0) {
      queueMicrotask(() => {
        const ids = [...this.#lost];
        this.#lost.clear();
        if (this.#closed) return;
        for (const lost of ids) this.#on.sendLost(lost);
      });
    }
    this.#lost.add(id);
  }

  #frame(m: PeerMessage): Uint8Array {
    const w = this.#writer;
    w.reset();
    w.int(0);
    writePeerMessage(w, m);
    let bytes: Uint8Array;
    if (w.offset > WRITER_BYTES_KEPT) {
      // A big append (a member catching up): its bytes are handed over, not copied, and the
      // writer starts afresh rather than keep a buffer that size.
      bytes = w.view();
      this.#writer = new JuteWriter(WRITER_BYTES_KEPT);
    } else {
      bytes = w.toBytes();
    }
    new DataView(bytes.buffer, bytes.byteOffset).setInt32(0, bytes.byteLength - 4);
    return bytes;
  }

  #dial(o: Outbound): void {
    if (o.dialing || this.#closed) return;
    const now = Date.now();
    const wait = Math.max(0, o.lastDialMs + REDIAL_DELAY_MS - now);
    o.dialing = true;
    setTimeout(() => this.#connect(o), wait);
  }

  async #connect(o: Outbound): Promise<void> {
    o.lastDialMs = Date.now();
    let conn: Deno.TcpConn | null = null;
    try {
      const timeout = AbortSignal.timeout(CONNECT_TIMEOUT_MS);
      conn = await Deno.connect(
        {
          hostname: o.member.host,
          port: o.member.quorumPort,
          signal: timeout,
        } as Deno.ConnectOptions,
      );
    } catch {
      conn = null;
    }
    o.dialing = false;
    if (conn === null) {
      // Keep trying: a follower rarely sends anything, yet its link must be up when it has
      // to campaign (a vote request dropped for want of a link costs a whole election).
      if (this.#outbound.get(o.member.id) === o) this.#dial(o);
      return;
    }
    if (this.#closed || this.#outbound.get(o.member.id) !== o) {
      conn.close();
      return;
    }
    const sock = new ClientSocket(this.#nextSocketId++, conn, PEER_FRAME_BYTES_MAX, () => {
      if (o.socket === sock) o.socket = null;
    });
    o.socket = sock;
    const self = this.#ensemble.self;
    const hello = new JuteWriter(64);
    hello.int(0).int(HELLO_MAGIC).int(PROTOCOL_VERSION).long(this.#ensemble.myId);
    hello.ustring(self.host).int(self.quorumPort);
    const bytes = hello.toBytes();
    new DataView(bytes.buffer).setInt32(0, bytes.byteLength - 4);
    sock.send(bytes);
    this.#log.info(`connected to member ${o.member.id} at ${o.member.host}:${o.member.quorumPort}`);
    // Outbound links carry no incoming frames; reading detects the peer going away.
    this.#drainOutbound(sock, o);
  }

  async #drainOutbound(sock: ClientSocket, o: Outbound): Promise<void> {
    const buf = new Uint8Array(1024);
    while (!sock.closed) {
      const n = await sock.read(buf);
      if (n === null || n === 0) break;
    }
    sock.destroy();
    if (this.#closed) return;
    this.#log.info(`link to member ${o.member.id} closed`);
    this.#reportLost(o.member.id);
    if (this.#outbound.get(o.member.id) === o && !o.retiring) this.#dial(o);
  }

  async #accept(listener: Deno.TcpListener): Promise<void> {
    for (;;) {
      let conn: Deno.TcpConn;
      try {
        conn = await listener.accept();
      } catch {
        return; // closed
      }
      if (this.#closed) {
        conn.close();
        return;
      }
      const sock = new ClientSocket(this.#nextSocketId++, conn, PEER_FRAME_BYTES_MAX, (s) => {
        this.#inbound.delete(s);
      });
      this.#inbound.add(sock);
      this.#serveInbound(sock);
    }
  }

  async #serveInbound(sock: ClientSocket): Promise<void> {
    const buf = ClientSocket.readBuffer();
    const remote = sock.conn.remoteAddr as Deno.NetAddr;
    let peer: number | null = null;
    try {
      while (!sock.closed && !this.#closed) {
        const n = await sock.read(buf);
        if (n === null || n === 0) break;
        sock.decoder.push(buf.subarray(0, n));
        for (let body = sock.decoder.next(); body !== undefined; body = sock.decoder.next()) {
          if (peer === null) {
            peer = this.#hello(body, remote);
            this.#inboundPeers.set(peer, (this.#inboundPeers.get(peer) ?? 0) + 1);
            continue;
          }
          const m = decodePeerMessage(body);
          if (m.from !== peer) {
            throw new DecodeError(`message from ${m.from} on member ${peer}'s link`);
          }
          this.#on.message(m);
        }
      }
    } catch (e) {
      if (!(e instanceof DecodeError || e instanceof FrameError)) throw e;
      this.#log.warn(`closing quorum link from ${remote.hostname}:${remote.port}: ${e.message}`);
    }
    sock.destroy();
    if (peer === null) return;
    const left = (this.#inboundPeers.get(peer) ?? 1) - 1;
    if (left > 0) this.#inboundPeers.set(peer, left);
    else this.#inboundPeers.delete(peer);
    if (!this.#closed) this.#on.peerDown(peer);
  }

  #hello(body: Uint8Array, remote: Deno.NetAddr): number {
    const r = new JuteReader(body, 1024);
    if (body.byteLength < 16 || r.int() !== HELLO_MAGIC) {
      throw new DecodeError("not a zkd quorum link (bad hello)");
    }
    const version = r.int();
    if (version !== PROTOCOL_VERSION) {
      throw new DecodeError(`unsupported quorum protocol ${version}`);
    }
    const id = r.long();
    // Any other member id is accepted: a member about to join (reconfig) dials the ensemble
    // before it is in the configuration, and Raft ignores messages from non-members.
    if (!Number.isSafeInteger(id) || id < 0 || id === this.#ensemble.myId) {
      throw new DecodeError(`bad member id ${id}`);
    }
    const host = r.ustring();
    const quorumPort = r.int();
    if (host === null || quorumPort <= 0 || quorumPort > 65535 || r.remaining !== 0) {
      throw new DecodeError("bad address in hello");
    }
    if (!this.#outbound.has(id)) {
      // A member we have no configuration for (yet): answer it where it says it listens
      // (a wildcard address means: where it connected from).
      const dialHost = host === "0.0.0.0" || host === "::" ? remote.hostname : host;
      this.#log.info(`quorum links: member ${id} introduced itself at ${dialHost}:${quorumPort}`);
      const o: Outbound = {
        member: {
          id,
          host: dialHost,
          quorumPort,
          electionPort: 0,
          role: "participant",
          clientAddress: null,
          clientPort: null,
          clientAddressFromStatic: false,
        },
        socket: null,
        dialing: false,
        lastDialMs: 0,
        retiring: false,
      };
      this.#outbound.set(id, o);
      this.#dial(o);
    }
    this.#on.peerIntroduced(id);
    return id;
  }

  /**
   * The membership changed (reconfig): dial new members, hang up on members that left, and
   * redial a member whose address changed.
   */
  setMembers(members: readonly EnsembleMember[]): void {
    const wanted = new Map(
      members.filter((m) => m.id !== this.#ensemble.myId).map((m) => [m.id, m]),
    );
    for (const [id, o] of [...this.#outbound]) {
      const m = wanted.get(id);
      // A member that talks to us keeps its link even if no configuration names it yet.
      if (m === undefined && this.#inboundPeers.has(id)) continue;
      // A member that stays keeps the address this member knows it by (its own zoo.cfg may
      // reach it differently from the leader's view, e.g. through a proxy); a reconfig that
      // moves a member to a new address takes effect here at the next start.
      if (m !== undefined) {
        o.retiring = false;
        continue;
      }
      if (!o.retiring) {
        o.retiring = true;
        setTimeout(() => {
          if (this.#outbound.get(id) !== o || !o.retiring) return;
          o.socket?.closeAfterFlush("member left the ensemble");
          this.#outbound.delete(id);
        }, RETIRE_AFTER_MS);
      }
    }
    const added = [...wanted.keys()].filter((id) => !this.#outbound.has(id));
    if (added.length > 0) this.#log.info(`quorum links: adding member(s) ${added.join(", ")}`);
    for (const [id, m] of wanted) {
      const existing = this.#outbound.get(id);
      if (existing !== undefined) {
        existing.retiring = false;
        continue;
      }
      const o: Outbound = {
        member: m,
        socket: null,
        dialing: false,
        lastDialMs: 0,
        retiring: false,
      };
      this.#outbound.set(id, o);
      if (this.#listener !== null) this.#dial(o);
    }
  }

  close(): void {
    this.#closed = true;
    try {
      this.#listener?.close();
    } catch { /* closed */ }
    for (const o of this.#outbound.values()) o.socket?.destroy();
    for (const s of [...this.#inbound]) s.destroy();
  }
}
