/**
 * One simulated server: the real Member (replica + Raft) on the real MemberStore over a
 * MemoryStorage whose fsyncs complete only when the simulator says (virtual disk latency),
 * wired as lib/server/ensemble_core.ts wires them: messages go out at once, persist batches
 * queue and are written a group at a time, persisted(seq) follows the fsync, and a local
 * snapshot may follow a group. A crash loses what was not fsynced (a random prefix of it
 * survives, its last write possibly torn); a restart goes through MemberStore.recover().
 */

import { type Config, ConfigError } from "../../lib/config/config.ts";
import type { PersistBatch } from "../../lib/quorum/raft.ts";
import { Member, type PeerMessage, timingFor } from "../../lib/replica/member.ts";
import { parseConfigText } from "../../lib/replica/reconfig.ts";
import { CONFIG_NODE_PATH } from "../../lib/tree/data_tree.ts";
import { listSegments, logDirOf } from "../../lib/wal/segment.ts";
import type { ReplicaIO } from "../../lib/replica/replica.ts";
import type { Level, Logger } from "../../lib/server/log.ts";
import { type MemberRecovery, MemberStore } from "../../lib/server/member_store.ts";
import { MemoryStorage } from "../../lib/storage/memory_storage.ts";
import { type Random, SeededRandom } from "../../lib/util/random.ts";
import { fail } from "./history.ts";
import { between, chance } from "./network.ts";

/** What a host needs from the simulated world. */
export interface HostEnv {
  readonly random: Random;
  readonly seed: number;
  now(): number;
  /** Calls `fn` after `delayMs` if this incarnation of the host is still up. */
  later(host: SimHost, delayMs: number, fn: () => void | Promise<void>): void;
  sendPeer(m: PeerMessage): void;
  /** The process stopped itself (a failed fsync, as EnsembleCore does): crash and restart. */
  fatal(host: SimHost, reason: string): void;
  clientIO(host: SimHost): Omit<ReplicaIO, "forward">;
  trace(line: string): void;
}

export interface DiskFaults {
  /** Latency of one fsync round. */
  syncMinMs: number;
  syncMaxMs: number;
  /** Probability that an fsync takes up to stallMs more. */
  stall: number;
  stallMs: number;
}

/** Microtask turns to wait for the store's async code to reach its next fsync. */
const SETTLE_TURNS = 200;

/**
 * The membership a member's shell wrote to its dynamic config file (reconfig), as
 * EnsembleCore does: the server lines of the committed /zookeeper/config and its version.
 */
export interface DynamicConfig {
  lines: string;
  version: number;
}

export class SimHost {
  readonly index: number;
  readonly id: number;
  config: Config;
  readonly #configFor: (dynamic: DynamicConfig | null) => Config;
  /** Survives crashes (written atomically and fsynced by the real shell). */
  dynamic: DynamicConfig | null = null;
  #configMzxid = 0;
  readonly #env: HostEnv;
  storage = new MemoryStorage({ manualSync: true });
  store: MemberStore | null = null;
  member: Member | null = null;
  /** Bumped by every crash: callbacks of an older incarnation are ignored. */
  incarnation = 0;
  /** Until then the process is stopped (SIGSTOP): its events wait. */
  pausedUntilMs = 0;
  disk: DiskFaults = { syncMinMs: 1, syncMaxMs: 10, stall: 0, stallMs: 0 };
  readonly #logger: Logger;
  #queued: PersistBatch[] = [];
  #flight: { seq: number; done: boolean; error: unknown; rounds: number } | null = null;
  /**
   * What this incarnation promised on the wire that its disk holds: the vote it granted, the
   * highest zxid it acknowledged to a leader (in the newest term it acknowledged in).
   */
  promised = { voteTerm: -1, votedFor: -1, matchTerm: -1, matchZxid: 0 };
  /** What the checkers saw of this incarnation. */
  observed = { applied: 0, commit: 0, term: 0 };
  crashes = 0;

  constructor(index: number, configFor: (dynamic: DynamicConfig | null) => Config, env: HostEnv) {
    this.index = index;
    this.#configFor = configFor;
    this.config = configFor(null);
    this.id = this.config.ensemble!.myId;
    this.#env = env;
    const log = (level: Level, m: string) => env.trace(`member ${this.id} ${level}: ${m}`);
    this.#logger = {
      log,
      debug: (m) => log("debug", m),
      info: (m) => log("info", m),
      warn: (m) => log("warn", m),
      error: (m) => log("error", m),
    };
  }

  /** Persist batches written or queued but not yet reported durable. */
  get unsynced(): boolean {
    return this.#flight !== null || this.#queued.length > 0;
  }

  get up(): boolean {
    return this.member !== null;
  }

  /**
   * Starts the process: recovery from the disk, then a fresh Member. False when its
   * configuration file no longer names it (a reconfig removed it): like the real server it
   * does not start, and waits for the operator.
   */
  start(): boolean {
    const env = this.#env;
    try {
      this.config = this.#configFor(this.dynamic);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      env.trace(`member ${this.id} cannot start: ${e.message}`);
      return false;
    }
    this.#configMzxid = 0;
    const store = new MemberStore(this.storage, this.config, this.#logger);
    let recovered;
    try {
      recovered = store.recover();
    } catch (e) {
      fail(`member ${this.id} failed to recover after a crash: ${(e as Error).message}`);
    }
    this.#checkPromises(recovered);
    this.store = store;
    const random = new SeededRandom((env.seed ^ (this.id * 0x9e3779b1) ^ this.incarnation) >>> 0);
    // A few znodes per step: a snapshot for a member behind the log takes several ticks, as
    // a big tree does for real, and the ensemble goes on meanwhile.
    const timing = { ...timingFor(this.config, this.config.ensemble!), transferSliceNodes: 3 };
    this.member = new Member(this.config, env.clientIO(this), env.now(), recovered, random, timing);
    this.observed = {
      applied: recovered.tree.lastZxid,
      commit: this.member.raft.commitZxid,
      term: recovered.hardState.term,
    };
    env.trace(
      `member ${this.id} starts (incarnation ${this.incarnation}): snapshot ` +
        `0x${recovered.snapshotZxid.toString(16)}, ${recovered.log.length} logged entries up to ` +
        `0x${recovered.lastZxid.toString(16)}, term ${recovered.hardState.term} ` +
        `vote ${recovered.hardState.votedFor}`,
    );
    this.#scheduleTick();
    return true;
  }

  #syncFailureInjected = false;

  /** The next fsync of the newest log segment fails (EIO); false if there is none yet. */
  failNextLogSync(): boolean {
    const segments = listSegments(this.storage, logDirOf(this.config.dataLogDir));
    const newest = segments[segments.length - 1];
    if (newest === undefined || !this.up) return false;
    this.storage.failNextSync(newest.path);
    this.#syncFailureInjected = true;
    return true;
  }

  /** Sent a message: note what it promises about the disk. */
  sent(m: PeerMessage): void {
    const p = this.promised;
    if (m.type === "voteResp" && m.granted && !m.pre && m.term >= p.voteTerm) {
      p.voteTerm = m.term;
      p.votedFor = m.to;
    } else if (m.type === "appendResp" && m.success) {
      if (m.term > p.matchTerm) {
        p.matchTerm = m.term;
        p.matchZxid = m.matchZxid;
      } else if (m.term === p.matchTerm && m.matchZxid > p.matchZxid) {
        p.matchZxid = m.matchZxid;
      }
    }
  }

  /**
   * What a crashed incarnation promised must have survived: a granted vote (else the member
   * could vote twice in a term) and every entry it acknowledged, unless a newer term (a new
   * leader, which may truncate) reached its disk since.
   */
  #checkPromises(r: MemberRecovery): void {
    const p = this.promised;
    const who = `member ${this.id}`;
    const hs = r.hardState;
    if (hs.term < p.voteTerm || (hs.term === p.voteTerm && hs.votedFor !== p.votedFor)) {
      fail(
        `${who} granted its vote in term ${p.voteTerm} to ${p.votedFor}, but after the crash ` +
          `its disk says term ${hs.term}, vote ${hs.votedFor}`,
      );
    }
    if (hs.term < p.matchTerm) {
      fail(`${who} acknowledged appends in term ${p.matchTerm}, but recovered term ${hs.term}`);
    }
    if (hs.term === p.matchTerm && p.matchZxid > r.snapshotZxid) {
      const held = r.log.some((e) => e.zxid === p.matchZxid);
      if (!held) {
        fail(
          `${who} acknowledged 0x${p.matchZxid.toString(16)} in term ${p.matchTerm}, but ` +
            `recovered only up to 0x${r.lastZxid.toString(16)} (snapshot ` +
            `0x${r.snapshotZxid.toString(16)})`,
        );
      }
    }
    this.promised = { voteTerm: -1, votedFor: -1, matchTerm: -1, matchZxid: 0 };
  }

  /** A power cut: the process is gone and the disk keeps what it had made durable. */
  crash(): void {
    const inFlight = this.#flight !== null ? `batch ${this.#flight.seq} in flight` : "disk idle";
    this.member?.stop();
    this.member = null;
    this.store = null;
    this.storage = this.storage.crash({ random: this.#env.random });
    this.#syncFailureInjected = false;
    this.incarnation++;
    this.crashes++;
    this.#env.trace(`member ${this.id} crashes (${inFlight}, ${this.#queued.length} queued)`);
    this.#queued = [];
    this.#flight = null;
    this.pausedUntilMs = 0;
  }

  #scheduleTick(): void {
    this.#env.later(this, 10, () => {
      this.member!.tick(this.#env.now());
      this.flush();
      this.#scheduleTick();
    });
  }

  /** Takes the member's output after an input, as EnsembleCore.flush() does. */
  flush(): void {
    const m = this.member;
    if (m === null) return;
    const out = m.takeOutput();
    for (const msg of out.messages) this.#env.sendPeer(msg);
    if (out.persist.length > 0) {
      for (const b of out.persist) this.#queued.push(b);
      this.#drain();
    }
    if (this.config.reconfigEnabled) this.#persistCommittedConfig(m);
  }

  /** EnsembleCore.#persistCommittedConfig: a newer committed membership goes to the file. */
  #persistCommittedConfig(m: Member): void {
    const node = m.replica.tree.get(CONFIG_NODE_PATH);
    if (node === undefined || node.data === null || node.mzxid <= this.#configMzxid) return;
    this.#configMzxid = node.mzxid;
    const text = new TextDecoder().decode(node.data);
    const version = parseConfigText(text).version;
    if (version <= (this.dynamic?.version ?? 0)) return;
    const lines = text.split("\n").filter((l) => !l.startsWith("version=")).join("\n");
    this.dynamic = { lines, version };
    this.#env.trace(`member ${this.id} writes configuration 0x${version.toString(16)}`);
  }

  #syncDelay(): number {
    const r = this.#env.random;
    const d = this.disk;
    return between(r, d.syncMinMs, d.syncMaxMs) +
      (chance(r, d.stall) ? between(r, 0, d.stallMs) : 0);
  }

  #drain(): void {
    if (this.#flight !== null || this.#queued.length === 0 || this.store === null) return;
    const batches = this.#queued;
    this.#queued = [];
    const flight = { seq: batches[batches.length - 1].seq, done: false, error: null, rounds: 0 };
    this.#flight = flight;
    this.store.persist(batches).then(
      () => flight.done = true,
      (e) => {
        flight.done = true;
        flight.error = e;
      },
    );
    this.#env.later(this, this.#syncDelay(), () => this.#syncRound());
  }

  /** One fsync round finishes: the store's code runs on to its next fsync or to the end. */
  async #syncRound(): Promise<void> {
    const flight = this.#flight!;
    const storage = this.storage;
    const inc = this.incarnation;
    storage.completeSyncs();
    for (let i = 0; i < SETTLE_TURNS && !flight.done && storage.pendingSyncCount === 0; i++) {
      await Promise.resolve();
    }
    if (inc !== this.incarnation) return;
    if (!flight.done) {
      if (++flight.rounds > 1000) fail(`member ${this.id}: persist makes no progress`);
      this.#env.later(this, this.#syncDelay(), () => this.#syncRound());
      return;
    }
    if (flight.error !== null) {
      const message = (flight.error as Error).message;
      if (!this.#syncFailureInjected || !message.startsWith("injected sync failure")) {
        fail(`member ${this.id}: persist failed: ${(flight.error as Error).stack}`);
      }
      this.#env.fatal(this, `write-ahead log failed, stopping: ${message}`);
      return;
    }
    this.#flight = null;
    this.member!.persisted(flight.seq, this.#env.now());
    this.flush();
    if (this.#flight === null) await this.#maybeSnapshot();
    this.#drain();
  }

  /**
   * A local fuzzy snapshot when the store says one is due (after snapCount txns), run to
   * completion at once: the store's slices yield to the event loop with setTimeout(0), so it
   * is awaited here, with nothing else of the simulation running meanwhile.
   */
  async #maybeSnapshot(): Promise<void> {
    const m = this.member!;
    const storage = this.storage;
    const inc = this.incarnation;
    const tree = m.replica.tree;
    const sessions = () =>
      [...m.replica.sessions.all()].map((s) => ({ id: s.id, timeoutMs: s.timeoutMs }));
    const snap = this.store!.maybeSnapshot(tree, sessions);
    if (snap === null) return;
    let state: { zxid: number } | { error: unknown } | null = null;
    snap.then((zxid) => state = { zxid }, (error) => state = { error });
    for (let spins = 0; state === null; spins++) {
      if (spins > 10_000) fail(`member ${this.id}: snapshot never finishes`);
      storage.completeSyncs();
      for (let i = 0; i < SETTLE_TURNS && state === null && storage.pendingSyncCount === 0; i++) {
        await Promise.resolve();
      }
      // Only the writer's pause between slices needs a real turn of the event loop.
      if (state === null && storage.pendingSyncCount === 0) {
        await new Promise((r) => setTimeout(r, 0));
      }
    }
    if (inc !== this.incarnation) return;
    const s = state as { zxid: number } | { error: unknown };
    if ("error" in s) {
      const message = (s.error as Error).message;
      // EnsembleCore logs a failed snapshot and goes on; one that hit an injected fsync
      // failure is expected, and the log's next sync fails the process anyway.
      if (!this.#syncFailureInjected || !message.startsWith("injected sync failure")) {
        fail(`member ${this.id}: snapshot failed: ${message}`);
      }
      this.#env.trace(`member ${this.id} warn: snapshot failed: ${message}`);
      return;
    }
    this.#env.trace(`member ${this.id} snapshot at 0x${s.zxid.toString(16)}`);
    m.snapshotTaken(s.zxid);
    if (chance(this.#env.random, 0.5)) this.store!.purge();
  }
}
