/**
 * Raft as a pure state machine: tick() and step(message) in, persist batches and messages
 * out (takeOutput()), with pre-vote, check-quorum, observers (non-voting learners),
 * snapshot transfer to members behind the retained log, and leadership transfer.
 *
 * Entries are TxnEntries identified by zxid (see raft_log.ts); the leader's entries carry
 * its term as their epoch, so "an entry of the current term" is `epochOf(zxid) === term`.
 *
 * Durability rule: a message whose meaning depends on local state being on disk (a granted
 * vote, an append acknowledgement) is held until the shell reports the persist batch that
 * covers that state with persisted(seq). The leader may send entries before it has synced
 * them itself; its own match only counts once persisted.
 */

import type { TxnEntry } from "../tree/txn.ts";
import { assert } from "../util/assert.ts";
import { type Random, randomBelow } from "../util/random.ts";
import type { RaftMessage } from "./messages.ts";
import { RaftLog } from "./raft_log.ts";
import { EPOCH_MAX, epochOf } from "./zxid.ts";
import {
  isMajority,
  isMember,
  majorityValue,
  type Membership,
  membership,
  membershipOfConfigText,
} from "./membership.ts";

export type Role = "follower" | "preCandidate" | "candidate" | "leader" | "observer";

export interface HardState {
  term: number;
  votedFor: number | null;
}

export interface SnapshotData {
  zxid: number;
  data: Uint8Array;
}

/** What the shell must make durable, in `seq` order, before calling persisted(seq). */
export interface PersistBatch {
  seq: number;
  hardState: HardState | null;
  /** Install this snapshot first: the log restarts empty at its zxid. */
  snapshot: SnapshotData | null;
  /** Then drop logged entries with zxid greater than this. */
  truncateAfter: number | null;
  /** Then append these. */
  entries: TxnEntry[];
}

export interface RaftOutput {
  persist: PersistBatch[];
  messages: RaftMessage[];
}

export interface RaftOptions {
  id: number;
  /** The committed membership (a reconfig entry in the log after commitZxid is pending). */
  voters: readonly number[];
  observers: readonly number[];
  /** Ticks without hearing from a leader before a follower campaigns (randomised up to 2x). */
  electionTicks: number;
  heartbeatTicks: number;
  random: Random;
  hardState: HardState;
  log: RaftLog;
  /** Known committed (everything the local tree already holds). */
  commitZxid: number;
  /**
   * The committed state, at a zxid above `afterZxid`, for a member that is behind the
   * retained log (or better served by a snapshot: preferSnapshot), or null while one is
   * being prepared (serialising a large tree takes many event-loop turns); the leader then
   * waits for snapshotReady().
   */
  makeSnapshot(afterZxid: number): SnapshotData | null;
  /**
   * Whether a member that holds the log up to `zxid` should get a snapshot rather than the
   * entries after it, though the log still has them (ZooKeeper sends a SNAP when the log to
   * send outweighs a third of a snapshot). Asked when a member's catch-up starts.
   */
  preferSnapshot?(zxid: number): boolean;
  /** Largest number of entries in one append message. */
  appendEntriesMax?: number;
  /** Unacknowledged append messages per member before the leader waits. */
  inflightMax?: number;
  /**
   * Roughly how many bytes an entry takes on the wire. With it, an append carries at most
   * appendBytesMax of entries (at least one) and a member has at most inflightBytesMax
   * unacknowledged: a member far behind is fed in steps, not with hundreds of MiB encoded
   * in one turn of the leader.
   */
  entryBytes?(entry: TxnEntry): number;
  appendBytesMax?: number;
  inflightBytesMax?: number;
}

interface Progress {
  /** Highest zxid known to be durably held by the member (as the leader holds it). */
  match: number;
  /** prevZxid of the next append to send. */
  next: number;
  inflight: number;
  /** Estimated bytes of the unacknowledged appends, and each one's (oldest first). */
  inflightBytes: number;
  inflightSizes: number[];
  /** Heard from within the current check-quorum window. */
  recentActive: boolean;
  /** Ticks since the member last made progress (for resending lost appends). */
  idleTicks: number;
  /** Ticks since the member last answered anything. */
  silentTicks: number;
  /** The highest commit point this member was told (and can apply). */
  toldCommit: number;
  /** Behind the retained log, waiting for a snapshot to be prepared for it. */
  awaitingSnapshot: boolean;
  /**
   * Its log was just found to end at `next` (it rejected an append, or a heartbeat answer
   * said so): the moment to ask preferSnapshot.
   */
  logEndKnown: boolean;
}

interface Held {
  seq: number;
  message: RaftMessage;
}

export class RaftNode {
  readonly id: number;
  readonly log: RaftLog;
  readonly #o: RaftOptions;
  /** The committed membership. */
  #active: Membership;
  /**
   * A reconfig entry in the log that is not committed yet. Until it commits, everything
   * (commits, elections, check-quorum) needs a majority of both the old and the new voters,
   * so no two disjoint majorities can decide at any moment (joint consensus, one entry).
   */
  #pendingConfig: { zxid: number; members: Membership } | null = null;
  /** Connected servers outside every configuration (see addLearner). */
  readonly #learners = new Set<number>();
  /** Bumped whenever the membership (active or pending) changes. */
  #membershipVersion = 0;
  #role: Role;
  #term: number;
  #votedFor: number | null;
  #leaderId: number | null = null;
  #commit: number;
  /** Highest zxid matched with the current leader in the current term (follower side). */
  #leaderMatched: number;
  #electionElapsed = 0;
  #randomizedElectionTicks = 0;
  #heartbeatElapsed = 0;
  #votes = new Map<number, boolean>();
  #progress = new Map<number, Progress>();
  #transferTarget: number | null = null;

  // Output and durability tracking.
  #open: PersistBatch | null = null;
  #nextSeq = 1;
  #persistedSeq = 0;
  /** log.lastZxid at the moment each unpersisted batch was sealed. */
  #sealedLast = new Map<number, number>();
  /** Local log durable up to here (counts as the leader's own match). */
  #persistedZxid: number;
  #messages: RaftMessage[] = [];
  #held: Held[] = [];
  #pendingSnapshot: SnapshotData | null = null;

  constructor(options: RaftOptions) {
    this.#o = options;
    this.id = options.id;
    this.log = options.log;
    this.#active = membership(options.voters, options.observers);
    for (const e of this.log.after(options.commitZxid, this.log.length)) this.#noteAppended(e);
    this.#term = options.hardState.term;
    this.#votedFor = options.hardState.votedFor;
    this.#commit = options.commitZxid;
    this.#leaderMatched = options.commitZxid;
    this.#persistedZxid = this.log.lastZxid;
    this.#role = this.isVoter ? "follower" : "observer";
    this.#resetElectionTimer();
  }

  // ------------------------------------------------------------------ membership

  /** Voters of the newest membership (pending if there is one). */
  get voters(): ReadonlySet<number> {
    return (this.#pendingConfig?.members ?? this.#active).voters;
  }

  get observers(): ReadonlySet<number> {
    return (this.#pendingConfig?.members ?? this.#active).observers;
  }

  get activeMembership(): Membership {
    return this.#active;
  }

  get pendingMembership(): { zxid: number; members: Membership } | null {
    return this.#pendingConfig;
  }

  get membershipVersion(): number {
    return this.#membershipVersion;
  }

  /**
   * A server that is in no configuration yet but connected (about to be added by a
   * reconfig, as ZooKeeper syncs a joiner as a non-voting follower first): the leader
   * replicates to it, so that by the time the reconfig comes it counts as synced.
   */
  addLearner(id: number): void {
    if (id === this.id || this.#learners.has(id)) return;
    this.#learners.add(id);
    this.#afterMembershipChange();
  }

  removeLearner(id: number): void {
    if (!this.#learners.delete(id)) return;
    this.#afterMembershipChange();
  }

  /** Everyone the leader replicates to: the committed and pending members, and learners. */
  #allMembers(): Set<number> {
    const all = new Set<number>([
      ...this.#active.voters,
      ...this.#active.observers,
      ...this.#learners,
    ]);
    const p = this.#pendingConfig?.members;
    if (p) { for (const id of [...p.voters, ...p.observers]) all.add(id); }
    return all;
  }

  /** `acks` (ids) hold a majority of the committed voters, and of the pending ones. */
  #hasQuorum(acks: ReadonlySet<number>): boolean {
    if (!isMajority(this.#active.voters, acks)) return false;
    const p = this.#pendingConfig;
    return p === null || isMajority(p.members.voters, acks);
  }

  #isVoterAnywhere(id: number): boolean {
    return this.#active.voters.has(id) || (this.#pendingConfig?.members.voters.has(id) ?? false);
  }

  /** Replaces the committed membership (recovery, or a snapshot from the leader). */
  setMembership(m: Membership): void {
    this.#active = m;
    this.#pendingConfig = null;
    this.#membershipVersion++;
    this.#afterMembershipChange();
  }

  /** A reconfig entry joined the log: it is pending until committed. */
  #noteAppended(e: TxnEntry): void {
    if (e.txn.type !== "reconfig") return;
    const text = new TextDecoder().decode(e.txn.data);
    this.#pendingConfig = { zxid: e.zxid, members: membershipOfConfigText(text) };
    this.#membershipVersion++;
    this.#afterMembershipChange();
  }

  /** The log lost entries after `zxid`: a pending reconfig among them is gone too. */
  #noteTruncated(zxid: number): void {
    if (this.#pendingConfig !== null && this.#pendingConfig.zxid > zxid) {
      this.#pendingConfig = null;
      this.#membershipVersion++;
      this.#afterMembershipChange();
    }
  }

  /** The commit point moved: a pending reconfig it covers becomes the membership. */
  #noteCommitted(): void {
    const p = this.#pendingConfig;
    if (p === null || p.zxid > this.#commit) return;
    if (this.#role === "leader") {
      // Members that left still need to hear that their removal committed, or they would
      // wait for a leader forever; they get entries until they hold it (see #dropLeaver).
      for (const id of this.#allMembers()) {
        if (id !== this.id && !isMember(p.members, id)) this.#leaving.set(id, p.zxid);
      }
    }
    // One removed earlier and added back before it heard of its removal is not leaving any
    // more: #dropLeaver would forget it once it caught up, and it would never hear from us.
    for (const id of [...this.#leaving.keys()]) {
      if (isMember(p.members, id)) this.#leaving.delete(id);
    }
    this.#active = p.members;
    this.#pendingConfig = null;
    this.#membershipVersion++;
    this.#afterMembershipChange();
    for (const id of [...this.#leaving.keys()]) {
      const progress = this.#progress.get(id);
      if (progress !== undefined) this.#dropLeaver(id, progress);
    }
    if (this.#role === "leader" && !this.#active.voters.has(this.id)) {
      // A leader that removed itself hands over to the best remaining voter and steps down
      // once that one takes over (or at the next check-quorum, if nobody can) — after the
      // other removed members heard the news, or a short while, whichever comes first.
      this.#handOverAfterTicks = Math.max(2, Math.floor(this.#o.electionTicks / 2));
      this.#handOverTicksMin = 1;
    }
  }

  /** A self-removed leader: ticks left before it hands over even if leavers are silent. */
  #handOverAfterTicks: number | null = null;

  /** Ticks to wait at least, so the commit point reaches everyone before a new term starts. */
  #handOverTicksMin = 0;

  #maybeHandOver(): void {
    if (this.#handOverAfterTicks === null || this.#role !== "leader") return;
    if (this.#handOverTicksMin > 0) return;
    // Everyone who stays has the change, and everyone who leaves has heard: a new term now
    // costs no client its reconfig reply.
    let settled = this.#leaving.size === 0;
    for (const [id, p] of this.#progress) {
      if (isMember(this.#active, id) && p.toldCommit < this.#commit) settled = false;
    }
    if (!settled && this.#handOverAfterTicks > 0) return;
    this.#handOverAfterTicks = null;
    this.transferLeadership();
  }

  #afterMembershipChange(): void {
    if (this.#role === "observer" && this.isVoter) this.#role = "follower";
    else if (
      (this.#role === "follower" || this.#role === "preCandidate" || this.#role === "candidate") &&
      !this.isVoter
    ) {
      this.#role = "observer";
    }
    if (this.#role !== "leader") return;
    const all = this.#allMembers();
    for (const id of [...this.#progress.keys()]) {
      if (!all.has(id) && !this.#leaving.has(id)) this.#progress.delete(id);
    }
    for (const id of all) {
      if (id === this.id || this.#progress.has(id)) continue;
      this.#progress.set(id, this.#newProgress());
    }
  }

  /** What a leader knows of a member it has not heard from yet: nothing it holds. */
  #newProgress(): Progress {
    return {
      match: 0,
      next: this.log.lastZxid,
      inflight: 0,
      inflightBytes: 0,
      inflightSizes: [],
      recentActive: true,
      idleTicks: 0,
      silentTicks: 0,
      toldCommit: 0,
      awaitingSnapshot: false,
      logEndKnown: false,
    };
  }

  // ------------------------------------------------------------------ state

  get role(): Role {
    return this.#role;
  }
  get term(): number {
    return this.#term;
  }
  get leaderId(): number | null {
    return this.#leaderId;
  }
  get commitZxid(): number {
    return this.#commit;
  }
  get persistedZxid(): number {
    return this.#persistedZxid;
  }
  get transferring(): boolean {
    return this.#transferTarget !== null;
  }
  /** This member votes in the newest membership. */
  get isVoter(): boolean {
    return this.voters.has(this.id);
  }

  /** Per-member replication state on the leader (for mntr and `zkd status`). */
  progress(): ReadonlyMap<number, Readonly<Progress>> {
    return this.#progress;
  }

  /**
   * Leader: members connected and in sync — heard from within an election timeout and
   * holding at least what was committed when this leader took over (ZooKeeper's synced
   * learners). The leader itself included.
   */
  syncedMembers(): Set<number> {
    const out = new Set<number>();
    if (this.#role !== "leader") return out;
    out.add(this.id);
    for (const [id, p] of this.#progress) {
      if (p.silentTicks < this.#o.electionTicks && p.match >= this.#leaderStartCommit) out.add(id);
    }
    return out;
  }

  /** Members (voters) whose durable log matches the leader's last entry. */
  syncedVoters(): number {
    if (this.#role !== "leader") return 0;
    let n = 0;
    for (const [id, p] of this.#progress) {
      if (this.voters.has(id) && p.match >= this.log.lastZxid) n++;
    }
    return n;
  }

  // ------------------------------------------------------------------ output

  #batch(): PersistBatch {
    this.#open ??= {
      seq: this.#nextSeq++,
      hardState: null,
      snapshot: null,
      truncateAfter: null,
      entries: [],
    };
    return this.#open;
  }

  #seal(): void {
    if (this.#open === null) return;
    this.#sealedLast.set(this.#open.seq, this.log.lastZxid);
    this.#pendingPersist.push(this.#open);
    this.#open = null;
  }
  #pendingPersist: PersistBatch[] = [];
  /** Leader: removed members still to be told their removal committed -> its zxid. */
  #leaving = new Map<number, number>();
  /** Leader: the commit point when it took over (members at or past it have synced). */
  #leaderStartCommit = 0;

  #saveHardState(): void {
    this.#batch().hardState = { term: this.#term, votedFor: this.#votedFor };
  }

  #send(message: RaftMessage): void {
    this.#messages.push(message);
    if (message.type === "append" || message.type === "heartbeat" || message.type === "commit") {
      const p = this.#progress.get(message.to);
      if (p === undefined) return;
      // What the follower may apply from this message: the commit point, capped by what it
      // holds (for an append, up to the entries it carries).
      const held = message.type === "append"
        ? (message.entries.at(-1)?.zxid ?? message.prevZxid)
        : message.commitZxid;
      const told = Math.min(message.commitZxid, held);
      if (told > p.toldCommit) p.toldCommit = told;
    }
  }

  /** Sends once everything decided so far is on disk. */
  #sendDurable(message: RaftMessage): void {
    const seq = this.#open !== null ? this.#open.seq : this.#nextSeq - 1;
    if (seq <= this.#persistedSeq) this.#messages.push(message);
    else this.#held.push({ seq, message });
  }

  /** Everything to persist and send since the last call. */
  takeOutput(): RaftOutput {
    if (this.#role === "leader") {
      // Followers learn a new commit point now, not at the next heartbeat, so their clients'
      // forwarded writes are answered without waiting up to a heartbeat interval. At most one
      // message per member per turn, however many entries committed in it.
      for (const [id, p] of this.#progress) {
        const commitZxid = Math.min(p.match, this.#commit);
        if (commitZxid > p.toldCommit) {
          this.#send({ type: "commit", from: this.id, to: id, term: this.#term, commitZxid });
        }
      }
    }
    this.#seal();
    const out = { persist: this.#pendingPersist, messages: this.#messages };
    this.#pendingPersist = [];
    this.#messages = [];
    return out;
  }

  /** The snapshot received from the leader, for the replica to load (once). */
  takeSnapshotToInstall(): SnapshotData | null {
    const s = this.#pendingSnapshot;
    this.#pendingSnapshot = null;
    return s;
  }

  /** The shell made batch `seq` (and every earlier one) durable. */
  persisted(seq: number): void {
    if (seq <= this.#persistedSeq) return;
    this.#persistedSeq = seq;
    const last = this.#sealedLast.get(seq);
    for (const s of [...this.#sealedLast.keys()]) if (s <= seq) this.#sealedLast.delete(s);
    if (last !== undefined) {
      // A later truncation may have removed entries of this batch; never claim past them.
      this.#persistedZxid = Math.min(last, this.log.lastZxid);
    }
    if (this.#held.length > 0) {
      const keep: Held[] = [];
      for (const h of this.#held) {
        if (h.seq <= seq) this.#messages.push(h.message);
        else keep.push(h);
      }
      this.#held = keep;
    }
    if (this.#role === "leader") this.#maybeCommit();
  }

  // ------------------------------------------------------------------ time

  #resetElectionTimer(): void {
    this.#electionElapsed = 0;
    const e = this.#o.electionTicks;
    this.#randomizedElectionTicks = e + randomBelow(this.#o.random, e);
  }

  tick(): void {
    this.#electionElapsed++;
    if (this.#role === "leader") {
      if (this.#handOverAfterTicks !== null) {
        this.#handOverAfterTicks--;
        this.#handOverTicksMin--;
        this.#maybeHandOver();
      }
      this.#tickLeader();
      return;
    }
    if (this.#role === "observer") {
      // A non-voter cannot elect anyone; once its leader has been silent for an election
      // timeout it forgets it (and stops serving) until a leader speaks to it again.
      if (this.#leaderId !== null && this.#electionElapsed >= this.#randomizedElectionTicks) {
        this.#leaderId = null;
        this.#resetElectionTimer();
      }
      return;
    }
    if (this.#electionElapsed >= this.#randomizedElectionTicks) {
      this.#campaign(true, false);
    }
  }

  #tickLeader(): void {
    this.#heartbeatElapsed++;
    for (const p of this.#progress.values()) p.silentTicks++;
    if (this.#electionElapsed >= this.#o.electionTicks) {
      // Check-quorum: a leader that has not heard from a majority in an election timeout
      // steps down, so a partitioned leader stops serving instead of accepting writes it
      // can never commit.
      this.#electionElapsed = 0;
      const active = new Set<number>([this.id]);
      for (const [id, p] of this.#progress) {
        if (p.recentActive) active.add(id);
        p.recentActive = false;
      }
      if (!this.#hasQuorum(active)) {
        this.#becomeFollower(this.#term, null);
        return;
      }
      if (this.#transferTarget !== null) this.#transferTarget = null; // transfer timed out
    }
    if (this.#heartbeatElapsed >= this.#o.heartbeatTicks) {
      this.#heartbeatElapsed = 0;
      for (const [id, p] of this.#progress) {
        p.idleTicks += this.#o.heartbeatTicks;
        this.#send({
          type: "heartbeat",
          from: this.id,
          to: id,
          term: this.#term,
          commitZxid: Math.min(p.match, this.#commit),
        });
      }
    }
  }

  // ------------------------------------------------------------------ elections

  #campaign(pre: boolean, transfer: boolean): void {
    if (!this.isVoter) return;
    if (pre) {
      this.#role = "preCandidate";
    } else {
      this.#role = "candidate";
      assert(this.#term < EPOCH_MAX, "term exhausted");
      this.#term++;
      this.#votedFor = this.id;
      this.#saveHardState();
    }
    this.#leaderId = null;
    this.#resetElectionTimer();
    this.#votes = new Map([[this.id, true]]);
    if (this.#hasQuorum(new Set([this.id]))) {
      if (pre) this.#campaign(false, transfer);
      else this.#becomeLeader();
      return;
    }
    const term = pre ? this.#term + 1 : this.#term;
    const voters = new Set([
      ...this.#active.voters,
      ...(this.#pendingConfig?.members.voters ?? []),
    ]);
    for (const v of voters) {
      if (v === this.id) continue;
      // A real vote request waits for our own vote (term, votedFor) to be on disk.
      (pre ? (m: RaftMessage) => this.#send(m) : (m: RaftMessage) => this.#sendDurable(m))({
        type: "vote",
        from: this.id,
        to: v,
        term,
        pre,
        transfer,
        lastZxid: this.log.lastZxid,
      });
    }
  }

  #becomeFollower(term: number, leaderId: number | null): void {
    if (term > this.#term) {
      this.#term = term;
      this.#votedFor = null;
      this.#saveHardState();
    }
    if (this.#role === "leader" || leaderId !== this.#leaderId) {
      this.#leaderMatched = this.#commit;
    }
    this.#role = this.isVoter ? "follower" : "observer";
    this.#leaderId = leaderId;
    this.#progress.clear();
    this.#transferTarget = null;
    this.#resetElectionTimer();
  }

  #becomeLeader(): void {
    this.#role = "leader";
    this.#leaderId = this.id;
    this.#leaderStartCommit = this.#commit;
    this.#leaving.clear();
    this.#transferTarget = null;
    this.#electionElapsed = 0;
    this.#heartbeatElapsed = 0;
    this.#progress.clear();
    for (const m of this.#allMembers()) {
      if (m === this.id) continue;
      this.#progress.set(m, this.#newProgress());
    }
    // Tell everyone at once (followers learn the leader, candidates stand down).
    for (const id of this.#progress.keys()) {
      this.#send({ type: "heartbeat", from: this.id, to: id, term: this.#term, commitZxid: 0 });
    }
    // The member layer now proposes a no-op of this term: committing it commits everything
    // before it (Raft never counts replicas of an older term's entry).
  }

  #logUpToDate(lastZxid: number): boolean {
    return lastZxid >= this.log.lastZxid;
  }

  /** Heard from a live leader within the election timeout (the leader lease). */
  #inLease(): boolean {
    return this.#leaderId !== null && this.#electionElapsed < this.#o.electionTicks;
  }

  #onVote(m: Extract<RaftMessage, { type: "vote" }>): void {
    const reply = (granted: boolean, term: number) => {
      const msg: RaftMessage = {
        type: "voteResp",
        from: this.id,
        to: m.from,
        term,
        pre: m.pre,
        granted,
      };
      if (granted && !m.pre) this.#sendDurable(msg);
      else this.#send(msg);
    };
    // Any member answers (its own view of the membership may be behind: a voter that has not
    // yet seen the reconfig that made it one must still be able to elect); candidates count
    // only the voters of their configurations. A candidate that is no voter in ours (removed,
    // or not added yet) is ignored so it cannot disrupt the ensemble.
    if (!this.#isVoterAnywhere(m.from)) return;
    if (m.pre) {
      const ok = m.term > this.#term && this.#logUpToDate(m.lastZxid) &&
        (m.transfer || !this.#inLease() || this.#role === "preCandidate");
      // A rejection carries our own term: when it is newer than the candidate's (even if no
      // newer than the one proposed), the candidate adopts it and can propose above it.
      reply(ok, ok ? m.term : this.#term);
      return;
    }
    if (m.term < this.#term) {
      reply(false, this.#term);
      return;
    }
    if (m.term > this.#term) {
      if (!m.transfer && this.#inLease() && this.#role !== "leader") return; // sticky leader
      if (this.#role === "leader" && !m.transfer && this.#electionElapsed < this.#o.electionTicks) {
        // A leader that still has its quorum ignores disruptive candidates (check-quorum).
        return;
      }
      this.#becomeFollower(m.term, null);
    }
    const canVote = this.#votedFor === null || this.#votedFor === m.from;
    const granted = canVote && this.#logUpToDate(m.lastZxid);
    if (granted) {
      this.#votedFor = m.from;
      this.#saveHardState();
      this.#resetElectionTimer();
    }
    reply(granted, this.#term);
  }

  #onVoteResp(m: Extract<RaftMessage, { type: "voteResp" }>): void {
    if (!m.granted && m.term > this.#term) {
      // The voter is in a newer term: adopt it. A pre-candidate one term behind a voter that
      // refuses it would otherwise propose that voter's own term forever, never above it.
      this.#becomeFollower(m.term, null);
      return;
    }
    const expectedRole = m.pre ? "preCandidate" : "candidate";
    const expectedTerm = m.pre ? this.#term + 1 : this.#term;
    if (this.#role !== expectedRole || m.term !== expectedTerm) {
      if (m.term > this.#term && !m.granted) this.#becomeFollower(m.term, null);
      return;
    }
    this.#votes.set(m.from, m.granted);
    const yes = new Set<number>();
    const notNo = new Set<number>([
      ...this.#active.voters,
      ...(this.#pendingConfig?.members.voters ?? []),
    ]);
    for (const [id, g] of this.#votes) g ? yes.add(id) : notNo.delete(id);
    if (this.#hasQuorum(yes)) {
      if (m.pre) this.#campaign(false, false);
      else this.#becomeLeader();
    } else if (!this.#hasQuorum(notNo)) {
      this.#becomeFollower(this.#term, null);
    }
  }

  // ------------------------------------------------------------------ messages

  step(m: RaftMessage): void {
    if (m.to !== this.id) return;
    if (m.type === "vote") {
      this.#onVote(m);
      return;
    }
    if (m.type === "voteResp") {
      this.#onVoteResp(m);
      return;
    }
    if (m.term < this.#term) {
      // A stale leader learns the newer term from our reply and steps down.
      if (
        m.type === "append" || m.type === "heartbeat" || m.type === "commit" ||
        m.type === "snapshot"
      ) {
        this.#send({
          type: "appendResp",
          from: this.id,
          to: m.from,
          term: this.#term,
          success: false,
          matchZxid: 0,
          hintZxid: this.log.lastZxid,
        });
      }
      return;
    }
    if (m.term > this.#term) {
      const fromLeader = m.type === "append" || m.type === "heartbeat" || m.type === "commit" ||
        m.type === "snapshot";
      this.#becomeFollower(m.term, fromLeader ? m.from : null);
    }
    switch (m.type) {
      case "append":
        this.#heardFromLeader(m.from);
        this.#onAppend(m);
        return;
      case "heartbeat":
        this.#heardFromLeader(m.from);
        this.#advanceCommit(Math.min(m.commitZxid, this.#leaderMatched));
        this.#send({
          type: "heartbeatResp",
          from: this.id,
          to: m.from,
          term: this.#term,
          lastZxid: this.log.lastZxid,
        });
        return;
      case "commit":
        this.#heardFromLeader(m.from);
        this.#advanceCommit(Math.min(m.commitZxid, this.#leaderMatched));
        return;
      case "snapshot":
        this.#heardFromLeader(m.from);
        this.#onSnapshot(m);
        return;
      case "appendResp":
        this.#onAppendResp(m);
        return;
      case "heartbeatResp":
        this.#onHeartbeatResp(m);
        return;
      case "timeoutNow":
        if (this.#leaderId === m.from && this.isVoter) this.#campaign(false, true);
        return;
    }
  }

  #heardFromLeader(leader: number): void {
    if (this.#role !== "follower" && this.#role !== "observer") {
      this.#becomeFollower(this.#term, leader);
    }
    if (this.#leaderId !== leader) {
      this.#leaderId = leader;
      this.#leaderMatched = this.#commit;
    }
    this.#electionElapsed = 0;
  }

  #advanceCommit(zxid: number): void {
    if (zxid > this.#commit) {
      this.#commit = Math.min(zxid, this.log.lastZxid);
      this.#noteCommitted();
    }
  }

  #onAppend(m: Extract<RaftMessage, { type: "append" }>): void {
    let prev = m.prevZxid;
    let entries = m.entries;
    // Everything at or below the commit point (or the snapshot) is already equal everywhere.
    const floor = Math.max(this.#commit, this.log.baseZxid);
    if (prev < floor) {
      let skip = 0;
      while (skip < entries.length && entries[skip].zxid <= floor) skip++;
      if (skip === entries.length) {
        this.#ackAppend(m.from, m.commitZxid, entries.length > 0 ? entries[skip - 1].zxid : prev);
        return;
      }
      entries = entries.slice(skip);
      prev = floor;
    }
    if (!this.log.has(prev)) {
      const hint = prev > this.log.lastZxid ? this.log.lastZxid : Math.max(
        this.log.floor(prev - 1),
        this.log.baseZxid,
      );
      this.#send({
        type: "appendResp",
        from: this.id,
        to: m.from,
        term: this.#term,
        success: false,
        matchZxid: 0,
        hintZxid: hint,
      });
      return;
    }
    let i = 0;
    while (i < entries.length && this.log.has(entries[i].zxid)) i++;
    if (i < entries.length) {
      const keepUpTo = i === 0 ? prev : entries[i - 1].zxid;
      if (this.log.lastZxid > keepUpTo) {
        assert(keepUpTo >= this.#commit, `truncating committed entries after ${keepUpTo}`);
        this.log.truncateAfter(keepUpTo);
        this.#noteTruncated(keepUpTo);
        if (this.#persistedZxid > keepUpTo) this.#persistedZxid = keepUpTo;
        const b = this.#batch();
        if (b.entries.length > 0 || b.snapshot !== null) {
          this.#seal();
          this.#batch().truncateAfter = keepUpTo;
        } else {
          b.truncateAfter = b.truncateAfter === null
            ? keepUpTo
            : Math.min(b.truncateAfter, keepUpTo);
        }
      }
      const b = this.#batch();
      for (let j = i; j < entries.length; j++) {
        this.log.append(entries[j]);
        b.entries.push(entries[j]);
        this.#noteAppended(entries[j]);
      }
    }
    const matched = entries.length > 0 ? entries[entries.length - 1].zxid : prev;
    this.#ackAppend(m.from, m.commitZxid, matched);
  }

  #ackAppend(leader: number, leaderCommit: number, matched: number): void {
    if (matched > this.#leaderMatched) this.#leaderMatched = matched;
    this.#advanceCommit(Math.min(leaderCommit, this.#leaderMatched));
    this.#sendDurable({
      type: "appendResp",
      from: this.id,
      to: leader,
      term: this.#term,
      success: true,
      matchZxid: matched,
      hintZxid: 0,
    });
  }

  #onSnapshot(m: Extract<RaftMessage, { type: "snapshot" }>): void {
    if (m.zxid > this.#commit && this.log.has(m.zxid) && this.log.baseZxid < m.zxid) {
      // This member already logged the leader's entry at the snapshot's zxid (zxids are
      // unique to a term, so the logs agree up to it): its log may go on past it with entries
      // it acknowledged, which a reset would lose. It keeps its log and catches up from it.
      this.#leaderMatched = Math.max(this.#leaderMatched, m.zxid);
    } else if (m.zxid > this.#commit) {
      this.#seal();
      this.log.reset(m.zxid);
      this.#noteTruncated(m.zxid);
      this.#commit = m.zxid;
      this.#leaderMatched = m.zxid;
      this.#persistedZxid = Math.min(this.#persistedZxid, m.zxid);
      this.#batch().snapshot = { zxid: m.zxid, data: m.data };
      this.#seal();
      this.#pendingSnapshot = { zxid: m.zxid, data: m.data };
    }
    this.#sendDurable({
      type: "appendResp",
      from: this.id,
      to: m.from,
      term: this.#term,
      success: true,
      matchZxid: Math.max(m.zxid, Math.min(this.#commit, this.#leaderMatched)),
      hintZxid: 0,
    });
  }

  // ------------------------------------------------------------------ leader

  /** Appends entries created by the member layer (zxids in this term, increasing). */
  propose(entries: readonly TxnEntry[]): void {
    assert(this.#role === "leader", "propose on a member that is not the leader");
    if (entries.length === 0) return;
    const b = this.#batch();
    for (const e of entries) {
      assert(
        epochOf(e.zxid) === this.#term,
        `proposed zxid 0x${e.zxid.toString(16)} not in term ${this.#term}`,
      );
      assert(
        e.txn.type !== "reconfig" || this.#pendingConfig === null,
        "a second reconfig in flight",
      );
      this.log.append(e);
      b.entries.push(e);
      this.#noteAppended(e);
    }
    for (const id of this.#progress.keys()) this.#sendAppend(id);
    if (this.#progress.size === 0) this.#maybeCommit();
  }

  #sendAppend(id: number): void {
    const p = this.#progress.get(id)!;
    const inflightMax = this.#o.inflightMax ?? 64;
    if (p.inflight >= inflightMax) return;
    if (p.inflightBytes >= (this.#o.inflightBytesMax ?? Infinity)) return;
    let prev = p.next;
    if (!this.log.has(prev)) prev = this.log.floor(prev);
    // Asked only when a catch-up starts, not for every append. (A member that already
    // holds the snapshot's zxid keeps its log instead: see #onSnapshot.)
    const catchupStarts = p.logEndKnown;
    p.logEndKnown = false;
    if (
      prev < 0 || prev < this.log.baseZxid ||
      (catchupStarts && prev < this.#commit && this.#o.preferSnapshot?.(prev) === true)
    ) {
      this.#sendSnapshot(id, p, Math.max(prev, 0));
      return;
    }
    let entries = this.log.after(prev, this.#o.appendEntriesMax ?? 512);
    if (entries.length === 0 && prev === p.match && p.inflight > 0) return;
    let bytes = 0;
    const sizeOf = this.#o.entryBytes;
    if (sizeOf !== undefined) {
      const bytesMax = this.#o.appendBytesMax ?? Infinity;
      let n = 0;
      for (; n < entries.length; n++) {
        const size = sizeOf(entries[n]);
        if (n > 0 && bytes + size > bytesMax) break;
        bytes += size;
      }
      if (n < entries.length) entries = entries.slice(0, n);
    }
    p.inflight++;
    p.inflightBytes += bytes;
    p.inflightSizes.push(bytes);
    p.next = entries.length > 0 ? entries[entries.length - 1].zxid : prev;
    this.#send({
      type: "append",
      from: this.id,
      to: id,
      term: this.#term,
      prevZxid: prev,
      entries,
      commitZxid: this.#commit,
    });
  }

  /** Forgets the appends in flight (resent from p.next), or marks `n` as in flight. */
  #resetInflight(p: Progress, n = 0): void {
    p.inflight = n;
    p.inflightBytes = 0;
    p.inflightSizes.length = 0;
  }

  #sendSnapshot(id: number, p: Progress, afterZxid: number): void {
    const snap = this.#o.makeSnapshot(afterZxid);
    this.#resetInflight(p, this.#o.inflightMax ?? 64); // wait for the answer (or a resend timeout)
    p.awaitingSnapshot = snap === null;
    if (snap === null) return;
    p.next = snap.zxid;
    this.#send({ type: "snapshot", from: this.id, to: id, term: this.#term, ...snap });
  }

  /** The snapshot makeSnapshot() was preparing is ready: members waiting for it get it. */
  snapshotReady(): void {
    if (this.#role !== "leader") return;
    for (const [id, p] of this.#progress) {
      if (!p.awaitingSnapshot) continue;
      p.awaitingSnapshot = false;
      // Nothing was sent to it while it waited, so its log still ends at `next`.
      p.logEndKnown = p.inflight >= (this.#o.inflightMax ?? 64);
      this.#resetInflight(p);
      this.#sendAppend(id);
    }
  }

  #onAppendResp(m: Extract<RaftMessage, { type: "appendResp" }>): void {
    if (this.#role !== "leader" || m.term !== this.#term) return;
    const p = this.#progress.get(m.from);
    if (p === undefined) return;
    p.recentActive = true;
    p.silentTicks = 0;
    if (p.inflight > 0) p.inflight--;
    p.inflightBytes -= p.inflightSizes.shift() ?? 0;
    if (m.success) {
      if (m.matchZxid > p.match) {
        p.match = m.matchZxid;
        p.idleTicks = 0;
      }
      if (p.next < p.match) p.next = p.match;
      if (p.inflight >= (this.#o.inflightMax ?? 64)) this.#resetInflight(p); // snapshot answered
      if (this.#isVoterAnywhere(m.from)) this.#maybeCommit();
      // The commit just made may have been the reconfig that removed this member, and
      // #noteCommitted then already told it and forgot it.
      if (this.#progress.get(m.from) !== p) return;
      if (this.#dropLeaver(m.from, p)) return;
      if (this.#transferTarget === m.from && p.match >= this.log.lastZxid) {
        this.#send({ type: "timeoutNow", from: this.id, to: m.from, term: this.#term });
      }
    } else {
      // Back up to what both may share; every rejection moves strictly down.
      p.next = Math.min(p.next, m.hintZxid);
      this.#resetInflight(p);
      p.logEndKnown = true;
    }
    if (p.next < this.log.lastZxid || !m.success) this.#sendAppend(m.from);
  }

  /**
   * A removed member that holds the reconfig that removed it gets the commit point and is
   * then forgotten. Returns true if it was.
   */
  #dropLeaver(id: number, p: Progress): boolean {
    const zxid = this.#leaving.get(id);
    if (zxid === undefined || p.match < zxid) return false;
    this.#send({
      type: "heartbeat",
      from: this.id,
      to: id,
      term: this.#term,
      commitZxid: Math.min(p.match, this.#commit),
    });
    this.#leaving.delete(id);
    this.#progress.delete(id);
    this.#maybeHandOver();
    return true;
  }

  #onHeartbeatResp(m: Extract<RaftMessage, { type: "heartbeatResp" }>): void {
    if (this.#role !== "leader" || m.term !== this.#term) return;
    const p = this.#progress.get(m.from);
    if (p === undefined || this.#dropLeaver(m.from, p)) return;
    p.recentActive = true;
    p.silentTicks = 0;
    if (p.match < this.log.lastZxid && p.idleTicks >= 2 * this.#o.heartbeatTicks) {
      // No progress for two heartbeats while behind: an append was lost. Resend from what
      // the member is known to hold. (One waiting for a snapshot asks for it again, which
      // also starts a new one if the member layer dropped the one it was making.)
      p.next = p.match > 0 ? p.match : Math.min(p.next, m.lastZxid);
      this.#resetInflight(p);
      p.logEndKnown = true;
      p.idleTicks = 0;
      this.#sendAppend(m.from);
    }
  }

  #maybeCommit(): void {
    const matchOf = (v: number) =>
      v === this.id ? this.#persistedZxid : (this.#progress.get(v)?.match ?? 0);
    let candidate = majorityValue(this.#active.voters, matchOf);
    const p = this.#pendingConfig;
    if (p !== null) candidate = Math.min(candidate, majorityValue(p.members.voters, matchOf));
    if (candidate > this.#commit && epochOf(candidate) === this.#term) {
      this.#commit = candidate;
      this.#noteCommitted();
    }
  }

  /**
   * Hands leadership to the most up-to-date voter (graceful shutdown): it campaigns at once,
   * and peers grant it even inside the leader lease. Returns the target, or null.
   */
  transferLeadership(): number | null {
    if (this.#role !== "leader") return null;
    let best: number | null = null;
    let bestMatch = -1;
    for (const [id, p] of this.#progress) {
      if (this.#active.voters.has(id) && p.match > bestMatch) {
        best = id;
        bestMatch = p.match;
      }
    }
    if (best === null) return null;
    this.#transferTarget = best;
    this.#electionElapsed = 0;
    if (bestMatch >= this.log.lastZxid) {
      this.#send({ type: "timeoutNow", from: this.id, to: best, term: this.#term });
    } else {
      this.#sendAppend(best);
    }
    return best;
  }

  /**
   * The transport saw the leader's link break (usually a crash: the kernel closes a killed
   * process's sockets). Rather than wait out a whole election timeout, campaign within a
   * couple of ticks; the randomness keeps the followers from splitting the vote. If the
   * leader is in fact alive, pre-vote fails against members that still hear from it.
   */
  leaderUnreachable(): void {
    if (this.#role !== "follower" || this.#leaderId === null) return;
    // Staggered by rank among the other voters (by id), plus a little randomness: the
    // survivors of a crash all notice it at once, and campaigning in the same tick splits
    // the vote (a whole election timeout lost). The first to try wins if its log is as long
    // as anyone's; otherwise its pre-vote fails harmlessly and the next one goes.
    const others = [...this.voters].filter((v) => v !== this.#leaderId).sort((a, b) => a - b);
    const rank = Math.max(0, others.indexOf(this.id));
    this.#electionElapsed = Math.max(this.#electionElapsed, this.#o.electionTicks);
    this.#randomizedElectionTicks = this.#electionElapsed + 1 + 2 * rank +
      randomBelow(this.#o.random, 2);
  }

  /** Committed entries after `zxid` (what the replica has applied), up to `max`. */
  committedAfter(zxid: number, max: number): TxnEntry[] {
    if (zxid >= this.#commit) return [];
    const out = this.log.after(zxid, max);
    let n = out.length;
    while (n > 0 && out[n - 1].zxid > this.#commit) n--;
    out.length = n;
    return out;
  }
}
