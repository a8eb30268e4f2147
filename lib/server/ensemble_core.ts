/**
 * An ensemble member's core: the Member (replica + Raft) wired to its durable store and to
 * the quorum links. Each turn's output is split: messages go out at once (Raft already held
 * back those that need durability), persist batches queue for the store, which writes and
 * fsyncs them a group at a time and then reports them durable to Raft.
 */

import type { QuorumStatus } from "../admin/four_letter.ts";
import type { Config } from "../config/config.ts";
import type { PersistBatch } from "../quorum/raft.ts";
import { Member } from "../replica/member.ts";
import type { Replica } from "../replica/replica.ts";
import type { Storage } from "../storage/storage.ts";
import { SeededRandom } from "../util/random.ts";
import type { Logger } from "./log.ts";
import { MemberStore } from "./member_store.ts";
import { PeerLinks } from "./peer_links.ts";
import { persistDynamicConfig } from "./dynamic_config_file.ts";
import { CONFIG_NODE_PATH } from "../tree/data_tree.ts";
import { parseConfigData } from "../config/config_data.ts";
import type { CoreHooks, ServerCore } from "./server_core.ts";

/** How long a stopping leader waits for its successor to take over. */
const HANDOVER_WAIT_MS = 2000;

export class EnsembleCore implements ServerCore {
  readonly member: Member;
  readonly store: MemberStore;
  readonly links: PeerLinks;
  readonly recoverySummary: string;
  readonly #log: Logger;
  readonly #hooks: CoreHooks;
  readonly #failed = Promise.withResolvers<never>();
  #queued: PersistBatch[] = [];
  #persisting = false;
  #closed = false;
  #purgeTimer: ReturnType<typeof setInterval> | undefined;
  #lastRole = "";
  #linksMembershipVersion = -1;
  readonly #config: Config;
  readonly #storage: Storage;
  readonly #configPath: string | null;
  /** The configuration version the zoo.cfg files on disk describe. */
  #persistedConfigVersion: number;
  #preparingSnapshot = false;
  #configWrites: Promise<void> = Promise.resolve();

  /**
   * `configPath`: the zoo.cfg to rewrite (with a zoo.cfg.dynamic.<version> beside it) when a
   * reconfig commits, as ZooKeeper does, so a restart comes back with the current membership.
   */
  constructor(
    config: Config,
    log: Logger,
    storage: Storage,
    hooks: CoreHooks,
    configPath?: string,
  ) {
    const ensemble = config.ensemble!;
    this.#config = config;
    this.#storage = storage;
    this.#configPath = configPath ?? null;
    this.#persistedConfigVersion = ensemble.configVersion;
    this.#log = log;
    this.#hooks = hooks;
    const startedMs = Date.now();
    this.store = new MemberStore(storage, config, log);
    const r = this.store.recover();
    // Election timeouts are randomised; a seed from the OS keeps members apart.
    const seed = crypto.getRandomValues(new Uint32Array(1))[0];
    this.member = new Member(config, hooks.io, Date.now(), r, new SeededRandom(seed));
    this.links = new PeerLinks(ensemble, log, {
      message: (m) => {
        this.member.peerMessage(m, Date.now());
        this.flush();
      },
      peerDown: (id) => {
        this.member.peerDown(id, Date.now());
        this.flush();
      },
      peerIntroduced: (id) => {
        this.member.peerIntroduced(id, Date.now());
        this.flush();
      },
      sendLost: (id) => {
        this.member.sendLost(id, Date.now());
        this.flush();
      },
    });
    this.recoverySummary = `recovered in ${Date.now() - startedMs} ms: snapshot ` +
      `0x${r.snapshotZxid.toString(16)} with ${r.tree.nodeCount} znodes, ${r.log.length} logged ` +
      `txns up to 0x${r.lastZxid.toString(16)} (applied once the leader confirms them), ` +
      `term ${r.hardState.term}`;
    this.#failed.promise.catch(() => {});
    if (config.autopurgePurgeIntervalMs > 0) {
      this.#purgeTimer = setInterval(() => {
        try {
          this.store.purge();
        } catch (e) {
          log.warn(`purge failed: ${(e as Error).message}`);
        }
      }, config.autopurgePurgeIntervalMs);
    }
  }

  get replica(): Replica {
    return this.member.replica;
  }

  get mode(): string {
    const r = this.member.replica.role;
    return r === "looking" ? "looking" : r;
  }

  get failed(): Promise<never> {
    return this.#failed.promise;
  }

  connOpened(connId: number, remoteIp: string, remotePort: number, nowMs: number): boolean {
    return this.member.connOpened(connId, remoteIp, remotePort, nowMs);
  }
  connClosed(connId: number): void {
    this.member.connClosed(connId);
  }
  frame(connId: number, body: Uint8Array, nowMs: number): void {
    this.member.frame(connId, body, nowMs);
  }
  shouldPause(connId: number): boolean {
    return this.member.shouldPause(connId);
  }
  tick(nowMs: number): void {
    this.member.tick(nowMs);
    this.flush();
  }

  start(): void {
    this.links.start();
  }

  flush(): void {
    if (this.#closed) return;
    if (this.member.membershipVersion !== this.#linksMembershipVersion) {
      this.#linksMembershipVersion = this.member.membershipVersion;
      this.links.setMembers(this.member.peerMembers());
    }
    const out = this.member.takeOutput();
    for (const m of out.messages) this.links.send(m);
    if (out.persist.length > 0) {
      for (const b of out.persist) this.#queued.push(b);
      this.#drain();
    }
    this.#persistCommittedConfig();
    const mode = this.mode;
    if (mode !== this.#lastRole) {
      this.#lastRole = mode;
      const leader = this.member.leaderId;
      this.#log.info(
        `member ${this.member.id} is now ${mode} in term ${this.member.raft.term}` +
          (leader !== null && mode !== "leader" ? ` (leader: member ${leader})` : ""),
      );
    }
    this.#hooks.onApplied();
    if (this.member.preparingSnapshot) this.#prepareSnapshot();
  }

  /**
   * Serialises the snapshot a member behind the log needs a slice per event-loop turn, so
   * heartbeats and client I/O go on between slices (Member.tick alone would take one slice
   * per tick).
   */
  async #prepareSnapshot(): Promise<void> {
    if (this.#preparingSnapshot) return;
    this.#preparingSnapshot = true;
    try {
      while (!this.#closed && this.member.preparingSnapshot) {
        await new Promise((r) => setTimeout(r, 0));
        this.member.prepareSnapshotStep(Date.now());
        this.flush();
      }
    } finally {
      this.#preparingSnapshot = false;
    }
  }

  async #drain(): Promise<void> {
    if (this.#persisting) return;
    this.#persisting = true;
    try {
      while (this.#queued.length > 0 && !this.#closed) {
        const batches = this.#queued;
        this.#queued = [];
        await this.store.persist(batches);
        this.member.persisted(batches[batches.length - 1].seq, Date.now());
        this.flush();
      }
    } catch (e) {
      this.#log.error(`write-ahead log failed, stopping: ${(e as Error).message}`);
      this.#closed = true;
      this.member.stop();
      this.#failed.reject(e as Error);
      return;
    } finally {
      this.#persisting = false;
    }
    const snap = this.store.maybeSnapshot(
      this.replica.tree,
      () => [...this.replica.sessions.all()].map((s) => ({ id: s.id, timeoutMs: s.timeoutMs })),
    );
    snap?.then((zxid) => this.member.snapshotTaken(zxid), (e) => {
      this.#log.warn(`snapshot failed: ${(e as Error).message}`);
    });
  }

  /**
   * A reconfig was applied: write zoo.cfg.dynamic.<version> and point zoo.cfg at it, and move
   * the client port if this member's client address changed.
   */
  #persistCommittedConfig(): void {
    if (!this.#config.reconfigEnabled) return;
    const node = this.replica.tree.get(CONFIG_NODE_PATH);
    if (node === undefined || node.data === null || node.mzxid <= this.#persistedConfigVersion) {
      return;
    }
    // /zookeeper/config's mzxid is its configuration's version (reconfig txns and the start-up
    // configuration both set it so), as ZooKeeper keeps it.
    const version = node.mzxid;
    this.#persistedConfigVersion = version;
    const text = new TextDecoder().decode(node.data);
    this.#moveClientPort(text);
    if (this.#configPath === null) return;
    const path = this.#configPath;
    const myId = this.member.id;
    this.#configWrites = this.#configWrites.then(() =>
      persistDynamicConfig(this.#storage, path, text, version, { myId })
    ).then(
      (r) =>
        this.#log.info(`configuration 0x${version.toString(16)} written to ${r.dynamicConfigFile}`),
      (e) => this.#log.warn(`could not write the new configuration: ${(e as Error).message}`),
    );
  }

  /**
   * ZooKeeper's QuorumPeer.processReconfig: when the committed configuration gives this
   * member another client address, the client listener moves there (connections already
   * open stay). A line without a client part leaves the listener alone, as there.
   */
  #moveClientPort(configText: string): void {
    let self;
    try {
      self = parseConfigData(configText).members.find((m) => m.id === this.member.id);
    } catch (e) {
      this.#log.warn(`committed configuration not understood: ${(e as Error).message}`);
      return;
    }
    if (self === undefined || self.clientPort === null) return;
    this.#hooks.clientAddressCommitted?.(self.clientAddress ?? "0.0.0.0", self.clientPort);
  }

  quorumStatus(): QuorumStatus | null {
    const role = this.member.replica.role;
    if (role !== "leader" && role !== "follower" && role !== "observer") return null;
    const raft = this.member.raft;
    let learners = 0;
    let syncedFollowers = 0;
    let syncedObservers = 0;
    if (role === "leader") {
      const connected = new Set(this.links.connectedPeers());
      for (const [id, p] of raft.progress()) {
        if (!connected.has(id)) continue;
        learners++;
        if (p.match < raft.commitZxid) continue;
        if (raft.voters.has(id)) syncedFollowers++;
        else syncedObservers++;
      }
    }
    return {
      mode: role,
      peerState: `${
        role === "leader" ? "leading" : role === "follower" ? "following" : "observing"
      } - broadcast`,
      learners,
      syncedFollowers,
      syncedObservers,
      pendingProposals: role === "leader" ? raft.log.countAfter(raft.commitZxid) : 0,
      term: raft.term,
    };
  }

  snapshot(): Promise<string> {
    return Promise.reject(new Error("on-demand snapshots are taken by standalone servers only"));
  }

  async close(): Promise<void> {
    clearInterval(this.#purgeTimer);
    if (this.member.raft.role === "leader") {
      const target = this.member.transferLeadership(Date.now());
      this.flush();
      if (target !== null) {
        this.#log.info(`handing leadership to member ${target}`);
        const deadline = Date.now() + HANDOVER_WAIT_MS;
        while (Date.now() < deadline && this.member.raft.role === "leader") {
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    }
    while (this.#persisting) await new Promise((r) => setTimeout(r, 5));
    this.#closed = true;
    this.member.stop();
    this.links.close();
    await this.#configWrites;
    await this.store.close();
  }
}
