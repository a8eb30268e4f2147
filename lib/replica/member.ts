/**
 * One member of an ensemble, with no I/O: the replica (tree, sessions, watches, client
 * connections) driven by the Raft core. Client frames, peer messages, time and "this batch is
 * on disk" come in; frames for clients, messages for peers and batches to persist come out.
 * The server shell and the simulator (tests/sim) run exactly this class.
 *
 *   leader:    client write -> replica prepares txn -> raft.propose -> replicate -> commit
 *              -> replica.applyCommitted -> reply in the client's FIFO order
 *   follower:  client write -> forwarded to the leader (which prepares it) -> committed entry
 *              comes back through the log -> applied -> the waiting client is answered
 *   all:       reads are served from the local tree, in order with the client's writes
 */

import type { Config } from "../config/config.ts";
import type { EnsembleMember } from "../config/ensemble.ts";
import { membership } from "../quorum/membership.ts";
import { makeZxid } from "../quorum/zxid.ts";
import type { Request } from "../proto/records.ts";
import { Err } from "../proto/errors.ts";
import type { Txn } from "../tree/txn.ts";
import { CONFIG_NODE_PATH } from "../tree/data_tree.ts";
import { configText, parseConfigText, prepareReconfig } from "./reconfig.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
import type { EnsembleConfig } from "../config/ensemble.ts";
import type { RaftMessage } from "../quorum/messages.ts";
import {
  type HardState,
  type PersistBatch,
  RaftNode,
  type Role,
  type SnapshotData,
} from "../quorum/raft.ts";
import { RaftLog } from "../quorum/raft_log.ts";
import { loadSnapshot } from "../snapshot/loader.ts";
import { SnapshotWriter } from "../snapshot/writer.ts";
import { txnEntryBytesEstimate } from "../wal/txn_codec.ts";
import type { DataTree } from "../tree/data_tree.ts";
import type { TxnEntry } from "../tree/txn.ts";
import type { Random } from "../util/random.ts";
import { type Forward, Replica, type ReplicaIO, type ReplicaRole } from "./replica.ts";

/** Messages between members: Raft's own plus the request path's. */
export type PeerMessage =
  | RaftMessage
  | { type: "forward"; from: number; to: number; term: number; forward: Forward }
  | { type: "touch"; from: number; to: number; term: number; sessionIds: bigint[] };

/** What recovery rebuilt for an ensemble member: state as of the snapshot, plus the log. */
export interface RecoveredMember {
  /** The tree as of the newest snapshot (log entries after it are NOT applied yet). */
  tree: DataTree;
  sessions: ReadonlyArray<{ id: bigint; timeoutMs: number }>;
  /** Logged entries after the snapshot's zxid, committed or not. */
  log: readonly TxnEntry[];
  hardState: HardState;
}

export interface MemberTiming {
  /** One Raft tick. */
  raftTickMs: number;
  /** Election timeout in ticks (randomised up to twice that). */
  electionTicks: number;
  heartbeatTicks: number;
  /**
   * Znodes serialised per step while the leader prepares a snapshot for a member behind the
   * retained log (default TRANSFER_SLICE_NODES): bounds how long one step holds the loop.
   */
  transferSliceNodes?: number;
}

/**
 * Election timing from zoo.cfg: ZooKeeper's followers give up on a silent leader after
 * syncLimit ticks; zkd caps that at 400 ms so a failover takes well under a second.
 */
export function timingFor(config: Config, ensemble: EnsembleConfig): MemberTiming {
  const raftTickMs = 50;
  const electionMs = Math.min(ensemble.syncLimitTicks * config.tickMs, 400);
  const electionTicks = Math.max(4, Math.round(electionMs / raftTickMs));
  return { raftTickMs, electionTicks, heartbeatTicks: Math.max(1, Math.floor(electionTicks / 4)) };
}

/** Entries kept in memory beyond the newest snapshot, so a briefly absent member catches up from the log. */
const LOG_RETAIN_ENTRIES = 50_000;
/** Committed entries applied per step, so one step never stalls the event loop for long. */
const APPLY_BATCH_MAX = 20_000;
/**
 * Entries per append and unacknowledged per member, in bytes: a member far behind gets its
 * backlog in steps of about 1 MiB (a few ms of encoding each) instead of the whole of it in
 * one turn of the leader.
 */
const APPEND_BYTES_MAX = 1024 * 1024;
/** A member fewer entries behind than this always catches up from the log. */
const PREFER_SNAPSHOT_LAG_MIN = 64;
/** A znode's bytes in a snapshot besides its data and path: stat, ACL ref, lengths. */
const SNAPSHOT_BYTES_PER_ZNODE = 64;
const INFLIGHT_BYTES_MAX = 8 * 1024 * 1024;
/** About 5-10 ms of serialising per step (a 1M-znode tree takes a couple of seconds). */
const TRANSFER_SLICE_NODES = 5_000;
/** Bytes of those slices joined into the snapshot per step. */
const TRANSFER_JOIN_BYTES = 8 * 1024 * 1024;

/**
 * A snapshot for members behind the retained log, serialised a slice per step, so
 * heartbeats, appends and commits go on and a big tree no longer freezes the leader into
 * losing its followers. Applying and new writes wait meanwhile, so the bytes are the
 * committed state at exactly `writer.zxid` and the member serves a consistent tree as soon
 * as it installed them. (ZooKeeper's leader serialises a fuzzy SNAP while commits go on and
 * its learner serves only once synced; zkd has no such barrier yet, hence the pause.)
 */
interface TransferSnapshot {
  writer: SnapshotWriter;
  slices: Uint8Array[];
  bytes: number;
  /** When the first slice was made (for the log line). */
  startedMs: number | null;
  /** The whole snapshot, filled from `slices` once the writer is done. */
  data: Uint8Array | null;
  /** Slices (and their bytes) copied into `data` so far. */
  joined: number;
  joinedBytes: number;
}

export class Member {
  readonly id: number;
  readonly replica: Replica;
  readonly raft: RaftNode;
  readonly timing: MemberTiming;
  #messages: PeerMessage[] = [];
  #persist: PersistBatch[] = [];
  #replicaRole: ReplicaRole = "looking";
  #leaderSeen: number | null = null;
  #termSeen = -1;
  #nextRaftTickMs: number;
  /** When tick() last ran (null before the first). */
  #lastTickMs: number | null = null;
  /** The last tick judged no session (it came after a stall). */
  #skippedExpiry = false;
  #stopped = false;
  readonly #staticMembers: readonly EnsembleMember[];
  readonly #io: Omit<ReplicaIO, "forward">;
  /** Removed by a committed reconfig and done applying it: serves nobody (sticky). */
  #gone = false;
  /** A reconfig txn was prepared and not yet handed to Raft (it is in flight already). */
  #reconfigUnproposed = false;
  /** Leader: the snapshot being serialised for members behind the retained log. */
  #transferring: TransferSnapshot | null = null;
  /** Leader: the last one prepared, kept for others while the log still reaches back to it. */
  #transferReady: SnapshotData | null = null;
  readonly #readOnlyModeEnabled: boolean;
  readonly #reconfigEnabled: boolean;

  constructor(
    config: Config,
    io: Omit<ReplicaIO, "forward">,
    nowMs: number,
    recovered: RecoveredMember,
    random: Random,
    timing?: MemberTiming,
  ) {
    const ensemble = config.ensemble;
    if (ensemble === null) throw new Error("Member needs an ensemble configuration");
    this.id = ensemble.myId;
    this.#io = io;
    this.#readOnlyModeEnabled = ensemble.readOnlyModeEnabled;
    this.#reconfigEnabled = config.reconfigEnabled;
    this.timing = timing ?? timingFor(config, ensemble);
    this.#staticMembers = ensemble.members;
    this.replica = new Replica(
      config,
      { ...io, forward: (f) => this.#forward(f) },
      nowMs,
      { tree: recovered.tree, sessions: recovered.sessions },
      {
        serverId: this.id,
        ensemble: true,
        reconfig: (request, permitted, zxid) => this.#prepareReconfig(request, permitted, zxid),
        firstLeaderTxn: (epoch) => this.#establishConfigVersion(epoch),
      },
    );
    // /zookeeper/config: a committed reconfig (in the snapshot) wins over zoo.cfg; otherwise
    // this member's own configuration goes in, outside the log, as ZooKeeper does.
    const configNode = recovered.tree.get(CONFIG_NODE_PATH)!;
    // The zoo.cfg side (a dynamic config file written at a later commit) may be newer than
    // the snapshot; the newer of the two is the committed membership.
    const version = ensemble.configVersion;
    if (
      configNode.mzxid === 0 || configNode.mzxid < version || configNode.data === null ||
      configNode.data.byteLength === 0
    ) {
      recovered.tree.initConfigNode(
        encoder.encode(configText(ensemble.members, version)),
        version,
        nowMs,
      );
    }
    const committed = this.#committedMembers();
    const base = recovered.tree.lastZxid;
    const log = new RaftLog(base, recovered.log.filter((e) => e.zxid > base));
    this.raft = new RaftNode({
      id: this.id,
      voters: committed.filter((m) => m.role === "participant").map((m) => m.id),
      observers: committed.filter((m) => m.role === "observer").map((m) => m.id),
      electionTicks: this.timing.electionTicks,
      heartbeatTicks: this.timing.heartbeatTicks,
      random,
      hardState: recovered.hardState,
      log,
      commitZxid: base,
      makeSnapshot: (afterZxid) => this.#transferSnapshot(afterZxid),
      preferSnapshot: (zxid) => this.#preferSnapshot(zxid),
      entryBytes: txnEntryBytesEstimate,
      appendBytesMax: APPEND_BYTES_MAX,
      inflightBytesMax: INFLIGHT_BYTES_MAX,
    });
    this.#nextRaftTickMs = nowMs + this.timing.raftTickMs;
  }

  // ------------------------------------------------------------------ membership

  /** The committed membership with addresses, from /zookeeper/config. */
  #committedMembers(): EnsembleMember[] {
    const node = this.replica.tree.get(CONFIG_NODE_PATH);
    const parsed = node?.data ? parseConfigText(decoder.decode(node.data)).members : [];
    return parsed.length > 0 ? parsed : [...this.#staticMembers];
  }

  /** The newest configuration (the pending one while a reconfig is in flight), and its version. */
  #lastSeenConfig(): { members: EnsembleMember[]; version: number } {
    const pending = this.raft.pendingMembership;
    const entry = pending === null ? undefined : this.raft.log.get(pending.zxid);
    if (entry !== undefined && entry.txn.type === "reconfig") {
      return parseConfigText(decoder.decode(entry.txn.data));
    }
    const node = this.replica.tree.get(CONFIG_NODE_PATH);
    return node?.data
      ? parseConfigText(decoder.decode(node.data))
      : { members: [...this.#staticMembers], version: 0 };
  }

  /** Every member to keep a link to, with its address: the committed and the pending ones. */
  peerMembers(): EnsembleMember[] {
    const byId = new Map<number, EnsembleMember>();
    for (const m of this.#committedMembers()) byId.set(m.id, m);
    for (const m of this.#lastSeenConfig().members) byId.set(m.id, m);
    return [...byId.values()];
  }

  /** Changes whenever the membership (committed or pending) does. */
  get membershipVersion(): number {
    return this.raft.membershipVersion;
  }

  /** This member is in no configuration any more (a reconfig removed it): it does not serve. */
  get removed(): boolean {
    const m = this.raft.activeMembership;
    return this.raft.pendingMembership === null && !m.voters.has(this.id) &&
      !m.observers.has(this.id);
  }

  /**
   * ZooKeeper (ZOOKEEPER-1783): the configuration a first leader finds at version 0 (no
   * version given by anyone) is established under the leader's epoch zxid, so it outranks the
   * partial views of members about to join. zkd logs it as the new leader's first txn.
   */
  #establishConfigVersion(epoch: number): Txn | null {
    // Without reconfigEnabled ZooKeeper keeps version 0 (it never commits the new version).
    if (!this.#reconfigEnabled || this.raft.pendingMembership !== null) return null;
    const committed = this.#lastSeenConfig();
    if (committed.version !== 0) return null;
    const version = makeZxid(epoch, 0);
    return {
      type: "reconfig",
      data: encoder.encode(configText(committed.members, version)),
      version,
    };
  }

  #prepareReconfig(
    request: Extract<Request, { op: 16 }>,
    permitted: boolean,
    zxid: number,
  ): Txn {
    const seen = this.#lastSeenConfig();
    const out = prepareReconfig(request, {
      members: seen.members,
      version: seen.version,
      inProgress: this.raft.pendingMembership !== null || this.#reconfigUnproposed,
      synced: this.raft.syncedMembers(),
      permitted,
    }, zxid);
    if ("err" in out) {
      if (out.err === Err.NEWCONFIGNOQUORUM) {
        this.#io.log(
          "warn",
          `reconfig refused: no synced majority in the new configuration (synced: ${
            [...this.raft.syncedMembers()].join(",")
          })`,
        );
      }
      return { type: "error", err: out.err };
    }
    this.#reconfigUnproposed = true;
    return { type: "reconfig", data: out.data, version: zxid };
  }

  /** Raft's makeSnapshot: the prepared snapshot if still usable, else null (and prepare one). */
  #transferSnapshot(afterZxid: number): SnapshotData | null {
    const ready = this.#transferReady;
    if (ready !== null && ready.zxid >= this.raft.log.baseZxid && ready.zxid > afterZxid) {
      return ready;
    }
    if (this.#transferring === null) {
      this.#transferReady = null;
      this.replica.pauseWrites();
      this.#transferring = {
        writer: new SnapshotWriter(this.replica.tree, this.#sessionList()),
        slices: [],
        bytes: 0,
        startedMs: null,
        data: null,
        joined: 0,
        joinedBytes: 0,
      };
    }
    return null;
  }

  /**
   * Raft's preferSnapshot, ZooKeeper's rule (snapshotSizeFactor 0.33): a member whose missing
   * entries weigh more than a third of a snapshot gets the snapshot. A member that lost its
   * disk would otherwise get the whole history, entry by entry, each decoded and applied: for
   * 100,000 znodes created by multis, about ten times slower than loading their snapshot.
   */
  #preferSnapshot(zxid: number): boolean {
    const log = this.raft.log;
    if (log.countAfter(zxid) < PREFER_SNAPSHOT_LAG_MIN) return false;
    const tree = this.replica.tree;
    if (tree.lastZxid <= zxid) return false;
    const budget = (tree.nodeCount * SNAPSHOT_BYTES_PER_ZNODE + tree.approximateDataBytes) / 3;
    let bytes = 0;
    for (let from = zxid;;) {
      const entries = log.after(from, 4096);
      if (entries.length === 0) return false;
      for (const e of entries) {
        bytes += txnEntryBytesEstimate(e);
        if (bytes > budget) return true;
      }
      from = entries[entries.length - 1].zxid;
    }
  }

  /** A snapshot for a member behind the retained log is being serialised (applying waits). */
  get preparingSnapshot(): boolean {
    return this.#transferring !== null;
  }

  /** Serialises one more slice of the snapshot being prepared; hands it to Raft when done. */
  prepareSnapshotStep(nowMs: number): void {
    const t = this.#transferring;
    if (t === null || this.#stopped) return;
    t.startedMs ??= nowMs;
    const slice = t.writer.nextSlice(this.timing.transferSliceNodes ?? TRANSFER_SLICE_NODES);
    if (slice !== null) {
      t.slices.push(slice);
      t.bytes += slice.byteLength;
      if (!t.writer.done) return;
    }
    // Then the slices are joined, a few MiB per step: fresh memory is slow to touch (page
    // faults), and a single copy of a 100 MB snapshot would stall the leader again.
    t.data ??= new Uint8Array(t.bytes);
    let copied = 0;
    while (t.joined < t.slices.length && copied < TRANSFER_JOIN_BYTES) {
      const s = t.slices[t.joined++];
      t.data.set(s, t.joinedBytes);
      t.joinedBytes += s.byteLength;
      copied += s.byteLength;
    }
    if (t.joined < t.slices.length) return;
    const data = t.data;
    this.#transferring = null;
    this.#transferReady = { zxid: t.writer.zxid, data };
    this.#io.log(
      "info",
      `snapshot at 0x${t.writer.zxid.toString(16)} for members behind the log: ` +
        `${t.writer.nodeRecords} znodes, ${data.byteLength} bytes in ${nowMs - t.startedMs} ms`,
    );
    this.raft.snapshotReady();
    // What committed meanwhile is applied first: writes held meanwhile may come from sessions
    // created in that time, which the session table knows only once applied.
    this.#process(nowMs);
    this.replica.resumeWrites();
    this.#process(nowMs);
  }

  #sessionList(): Array<{ id: bigint; timeoutMs: number }> {
    return [...this.replica.sessions.all()].map((s) => ({ id: s.id, timeoutMs: s.timeoutMs }));
  }

  get role(): Role {
    return this.raft.role;
  }

  get leaderId(): number | null {
    return this.raft.leaderId;
  }

  // ------------------------------------------------------------------ clients

  connOpened(connId: number, remoteIp: string, remotePort: number, nowMs: number): boolean {
    return this.replica.connOpened(connId, remoteIp, remotePort, nowMs);
  }

  connClosed(connId: number): void {
    this.replica.connClosed(connId);
  }

  frame(connId: number, body: Uint8Array, nowMs: number): void {
    this.replica.frame(connId, body, nowMs);
    this.#process(nowMs);
  }

  shouldPause(connId: number): boolean {
    return this.replica.shouldPause(connId);
  }

  // ------------------------------------------------------------------ peers and time

  #forward(f: Forward): void {
    const leader = this.raft.leaderId;
    // Without a leader there is nobody to ask; the connection is closed on the role change.
    if (leader === null || leader === this.id) return;
    this.#messages.push({
      type: "forward",
      from: this.id,
      to: leader,
      term: this.raft.term,
      forward: f,
    });
  }

  peerMessage(m: PeerMessage, nowMs: number): void {
    if (this.#stopped || m.to !== this.id) return;
    switch (m.type) {
      case "forward":
        if (m.term === this.raft.term) this.replica.forwarded(m.forward, nowMs);
        break;
      case "touch":
        if (m.term === this.raft.term) this.replica.touchSessions(m.sessionIds, nowMs);
        break;
      default:
        this.raft.step(m);
    }
    this.#process(nowMs);
  }

  /** A server outside the configuration connected (a joiner): replicate to it. */
  peerIntroduced(id: number, nowMs: number): void {
    if (this.#stopped) return;
    const m = this.raft.activeMembership;
    const pending = this.raft.pendingMembership?.members;
    const known = m.voters.has(id) || m.observers.has(id) || pending?.voters.has(id) ||
      pending?.observers.has(id);
    if (!known) this.raft.addLearner(id);
    this.#process(nowMs);
  }

  /**
   * A message to member `id` may be lost (the shell's transport noticed). Raft resends its
   * own; client writes forwarded to the leader cannot be, so their connections are closed.
   */
  sendLost(id: number, nowMs: number): void {
    if (this.#stopped || id !== this.raft.leaderId) return;
    this.replica.forwardsLost();
    this.#process(nowMs);
  }

  /** The link to member `id` broke (the shell's transport noticed). */
  peerDown(id: number, nowMs: number): void {
    if (this.#stopped) return;
    this.raft.removeLearner(id);
    if (id === this.raft.leaderId) this.raft.leaderUnreachable();
    this.#process(nowMs);
  }

  tick(nowMs: number): void {
    if (this.#stopped) return;
    // Raft counts ticks, not milliseconds. After a stall (a long apply, GC, SIGSTOP) at most
    // two ticks are made up: the leader's messages that arrived meanwhile are still queued
    // behind this timer, and counting the whole stall would call an election against a
    // leader that is fine.
    let n = 0;
    while (nowMs >= this.#nextRaftTickMs && n < 2) {
      this.raft.tick();
      this.#nextRaftTickMs += this.timing.raftTickMs;
      n++;
    }
    if (nowMs >= this.#nextRaftTickMs) this.#nextRaftTickMs = nowMs + this.timing.raftTickMs;
    // Likewise, sessions are not judged in the first tick after a stall: the followers'
    // touches (or a new leader's term) that came meanwhile are still queued, and expiring
    // now would blame the clients for a silence that was this member's own. Never twice in
    // a row, so a member whose every tick is late (overloaded) still expires sessions.
    const late = this.#lastTickMs !== null && nowMs - this.#lastTickMs > this.timing.raftTickMs;
    const skipExpiry = late && !this.#skippedExpiry;
    this.#skippedExpiry = skipExpiry;
    this.#lastTickMs = nowMs;
    this.replica.tick(nowMs, !skipExpiry);
    this.prepareSnapshotStep(nowMs);
    const leader = this.raft.leaderId;
    const touched = this.replica.takeTouched();
    if (touched.length > 0 && leader !== null && leader !== this.id) {
      this.#messages.push({
        type: "touch",
        from: this.id,
        to: leader,
        term: this.raft.term,
        sessionIds: touched,
      });
    }
    this.#process(nowMs);
  }

  /** The shell made batch `seq` and every earlier one durable. */
  persisted(seq: number, nowMs: number): void {
    if (this.#stopped) return;
    this.raft.persisted(seq);
    this.#process(nowMs);
  }

  /** Batches to persist (in order) and messages to send, since the last call. */
  takeOutput(): { persist: PersistBatch[]; messages: PeerMessage[] } {
    const out = { persist: this.#persist, messages: this.#messages };
    this.#persist = [];
    this.#messages = [];
    return out;
  }

  /** Graceful shutdown of a leader: hand leadership to the most up-to-date voter. */
  transferLeadership(nowMs: number): number | null {
    const target = this.raft.transferLeadership();
    this.#process(nowMs);
    return target;
  }

  /** Stops reacting to anything (the simulator's crash; the shell's stop). */
  stop(): void {
    this.#stopped = true;
  }

  /** A local snapshot covering `zxid` is durable: the in-memory log before it can go. */
  snapshotTaken(zxid: number): void {
    const log = this.raft.log;
    if (log.length <= LOG_RETAIN_ENTRIES) return;
    const upTo = log.zxidBeforeLast(LOG_RETAIN_ENTRIES);
    log.compact(Math.min(zxid, upTo, this.replica.tree.lastZxid));
    // A prepared snapshot the log no longer reaches back to is of no use to anyone.
    if (this.#transferReady !== null && this.#transferReady.zxid < log.baseZxid) {
      this.#transferReady = null;
    }
  }

  // ------------------------------------------------------------------ the loop

  #syncRole(nowMs: number): void {
    const raftRole = this.raft.role;
    const leader = this.raft.leaderId;
    // A removed member stops serving once it has applied the change (so the reply to the
    // reconfig, if a client of this member asked for it, still goes out).
    if (!this.removed) this.#gone = false;
    else if (this.replica.tree.lastZxid >= this.raft.commitZxid) this.#gone = true;
    const role: ReplicaRole = this.#gone
      ? "looking"
      : raftRole === "leader"
      ? "leader"
      : leader === null
      ? (this.#readOnlyModeEnabled ? "readonly" : "looking")
      : raftRole === "observer"
      ? "observer"
      : "follower";
    const term = this.raft.term;
    // A new term always means a new reign, even with the same leader re-elected: what was
    // forwarded or prepared under the old one may be lost, so the replica starts over.
    if (role === this.#replicaRole && leader === this.#leaderSeen && term === this.#termSeen) {
      return;
    }
    const learner = (r: ReplicaRole) => r === "follower" || r === "observer";
    const sameReign = leader === this.#leaderSeen && term === this.#termSeen;
    this.#replicaRole = role;
    this.#leaderSeen = leader;
    this.#termSeen = term;
    if (sameReign && learner(role) && learner(this.replica.role)) {
      // Promoted or demoted by a reconfig under the same leader: clients keep their connection.
      this.replica.setLearnerRole(role as "follower" | "observer");
      return;
    }
    // A snapshot made for the old reign is moot (and the new role resumes writes).
    this.#transferring = null;
    this.#transferReady = null;
    this.replica.setRole(role, term, nowMs, this.raft.log.lastZxid);
  }

  #process(nowMs: number): void {
    for (let round = 0; round < 64; round++) {
      this.#syncRole(nowMs);
      const snapshot = this.raft.takeSnapshotToInstall();
      if (snapshot !== null) {
        const loaded = loadSnapshot(
          snapshot.data,
          `snapshot from the leader at 0x${snapshot.zxid.toString(16)}`,
        );
        this.replica.installSnapshot(loaded.tree, loaded.sessions, nowMs);
        const members = this.#committedMembers();
        this.raft.setMembership(membership(
          members.filter((m) => m.role === "participant").map((m) => m.id),
          members.filter((m) => m.role === "observer").map((m) => m.id),
        ));
      }
      let progressed = false;
      if (
        this.raft.role === "leader" && this.replica.role === "leader" && !this.raft.transferring
      ) {
        const entries = this.replica.takeUnpersisted();
        if (entries.length > 0) {
          this.raft.propose(entries);
          progressed = true;
        }
        this.#reconfigUnproposed = false;
      }
      const committed = this.#transferring !== null
        ? []
        : this.raft.committedAfter(this.replica.tree.lastZxid, APPLY_BATCH_MAX);
      if (committed.length > 0) {
        this.replica.applyCommitted(committed, nowMs);
        progressed = true;
      }
      const out = this.raft.takeOutput();
      for (const b of out.persist) this.#persist.push(b);
      for (const m of out.messages) this.#messages.push(m);
      if (!progressed && out.messages.length === 0 && out.persist.length === 0) return;
    }
  }
}
