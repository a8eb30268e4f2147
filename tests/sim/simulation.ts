/**
 * The deterministic simulator: a whole zkd ensemble (3 or 5 voters, sometimes an observer)
 * and its clients in one process, on virtual time, driven by one seed. Everything random
 * (scenario, faults, latencies, election timeouts, torn writes) comes from generators seeded
 * by it, so `ZKD_SIM_SEED=<seed> deno test --allow-all tests/sim/` replays a run exactly.
 *
 * A run: members start empty, clients start working, and for `faultMs` faults are injected
 * (crashes with torn disks, power failures of the whole ensemble, partitions symmetric and
 * one-way, stopped processes, lossy/duplicating/reordering links, slow fsyncs, leadership
 * transfers). Then everything heals, and the ensemble must make progress within a bound and
 * converge. Checkers run after every event (see history.ts and sim_client.ts); the run
 * stops at the first violation with a SimFailure naming the seed and the command to replay.
 *
 * The seed also picks the scenario: 3 or 5 voters, sometimes an observer, 3 to 6 clients,
 * snapCount (local snapshots, hence snapshot transfers after restarts), readonlymode.enabled
 * in about 30% of runs, and with the reconfig option membership changes in about 30%.
 */

import { buildConfig, type Config, parseProperties } from "../../lib/config/config.ts";
import { decodePeerMessage, encodePeerMessage } from "../../lib/replica/peer_codec.ts";
import type { PeerMessage } from "../../lib/replica/member.ts";
import { parseConfigText } from "../../lib/replica/reconfig.ts";
import type { ReplicaIO } from "../../lib/replica/replica.ts";
import { CONFIG_NODE_PATH } from "../../lib/tree/data_tree.ts";
import { treeDigest } from "../../lib/tree/digest.ts";
import { type Random, randomBelow, SeededRandom } from "../../lib/util/random.ts";
import { EventQueue } from "./event_queue.ts";
import { fail, hex, History, sid, Violation } from "./history.ts";
import { between, CALM, chance, Network } from "./network.ts";
import { type ClientEnv, SimClient, type SimConn } from "./sim_client.ts";
import { type DynamicConfig, type HostEnv, SimHost } from "./sim_member.ts";

export interface SimOptions {
  seed: number;
  /** Virtual ms during which faults are injected. Default 20 s. */
  faultMs?: number;
  /** Virtual ms after the heal: progress, convergence, session expiry. Default 15 s. */
  quietMs?: number;
  /** Print every trace line as it happens. */
  trace?: boolean;
  /** Let about a third of the seeds change the membership (reconfig). Default false. */
  reconfig?: boolean;
}

export interface SimReport {
  seed: number;
  voters: number;
  observers: number;
  clients: number;
  events: number;
  virtualMs: number;
  committed: number;
  acked: number;
  reads: number;
  crashes: number;
  terms: number;
  sessionsExpired: number;
  /** Virtual ms from the heal to the first write acknowledged after it. */
  healToWriteMs: number;
}

/** The command that replays a seed. */
export function replayCommand(seed: number, reconfig = false): string {
  return `${
    reconfig ? "ZKD_SIM_RECONFIG=1 " : ""
  }ZKD_SIM_SEED=${seed} deno test --allow-all tests/sim/`;
}

export class SimFailure extends Error {
  override name = "SimFailure";
  readonly seed: number;

  constructor(seed: number, message: string) {
    super(message);
    this.seed = seed;
  }
}

/** After the heal, some write must be acknowledged within this much virtual time. */
export const PROGRESS_BOUND_MS = 10_000;
/** After the end, members must converge on the committed history within this. */
const CONVERGE_BOUND_MS = 5_000;
/** Clients stop issuing requests this long before the end, so the ensemble can settle. */
const OPS_STOP_BEFORE_END_MS = 4_000;
/** An abandoned session must be closed by the end if abandoned at least this long before. */
const EXPIRY_BOUND_MS = 7_000;
const TRACE_LINES = 400;
const START_MS = 1_700_000_000_000;

type Task = () => void | Promise<void>;

interface Conn extends SimConn {
  /** Incarnation of the member that accepted it (-1: not accepted yet). */
  inc: number;
  toMemberAt: number;
  toClientAt: number;
  memberOpen: boolean;
  clientOpen: boolean;
}

interface Scenario {
  voters: number;
  observers: number;
  snapCount: number;
  readOnlyMode: boolean;
  reconfig: boolean;
}

/** server.N lines of the initial membership (with client ports, as a reconfig names them). */
export function serverLines(sc: Scenario): string[] {
  const lines = [];
  for (let i = 1; i <= sc.voters + sc.observers; i++) {
    const role = i > sc.voters ? "observer" : "participant";
    lines.push(`server.${i}=10.0.0.${i}:2888:3888:${role};${2180 + i}`);
  }
  return lines;
}

/** Member `id`'s zoo.cfg: static server lines, or (after a reconfig) its dynamic file. */
function configFor(id: number, sc: Scenario, dynamic: DynamicConfig | null): Config {
  const lines = [
    `readonlymode.enabled=${sc.readOnlyMode}`,
    "tickTime=500",
    "initLimit=10",
    "syncLimit=2",
    "dataDir=/data",
    `clientPort=${2180 + id}`,
    `snapCount=${sc.snapCount}`,
    "preAllocSize=16",
    "autopurge.snapRetainCount=3",
  ];
  if (sc.reconfig) lines.push("reconfigEnabled=true", "skipACL=yes");
  const dynamicFile = dynamic === null
    ? null
    : `/conf/zoo.cfg.dynamic.${dynamic.version.toString(16)}`;
  if (dynamicFile !== null) lines.push(`dynamicConfigFile=${dynamicFile}`);
  else lines.push(...serverLines(sc));
  return buildConfig(parseProperties(lines.join("\n")), {
    readMyId: () => `${id}`,
    readConfigFile: (path) => path === dynamicFile ? dynamic!.lines : null,
  });
}

export class Simulation {
  readonly seed: number;
  readonly random: Random;
  readonly queue = new EventQueue<Task>(START_MS);
  readonly history = new History();
  readonly network: Network;
  readonly hosts: SimHost[] = [];
  readonly clients: SimClient[] = [];
  readonly voters: number;
  readonly observers: number;
  readonly readOnlyMode: boolean;
  readonly reconfig: boolean;
  /** After the heal (reconfig runs): the initial membership is to be restored. */
  /** Draws for scenario parts added later, so that older seeds keep their runs. */
  readonly #extra: Random;
  #restoring = false;
  #restored = false;
  readonly #initialLines: string[];
  readonly #conns = new Map<number, Conn>();
  #nextConnId = 1;
  readonly #trace: string[] = [];
  readonly #printTrace: boolean;
  readonly #faultMs: number;
  readonly #quietMs: number;
  readonly #healAtMs: number;
  readonly #endMs: number;
  #healed = false;
  #headAtHeal = 0;
  #firstWriteAfterHealMs: number | null = null;
  #maxAcked = 0;
  readonly #leaders = new Map<number, number>();
  readonly #abandoned = new Map<bigint, number>();
  readonly #toldExpired = new Set<bigint>();
  #events = 0;

  constructor(options: SimOptions) {
    this.seed = options.seed >>> 0;
    this.random = new SeededRandom(this.seed);
    this.#extra = new SeededRandom(this.seed ^ 0x2545f491);
    this.network = new Network(new SeededRandom(this.seed ^ 0x5bd1e995));
    this.#printTrace = options.trace ?? false;
    this.#faultMs = options.faultMs ?? 20_000;
    this.#quietMs = options.quietMs ?? 15_000;
    this.#healAtMs = START_MS + this.#faultMs;
    this.#endMs = this.#healAtMs + this.#quietMs;
    const r = this.random;
    this.voters = chance(r, 0.55) ? 3 : 5;
    this.observers = chance(r, 0.3) ? 1 : 0;
    const snapCount = between(r, 20, 200);
    // Later additions to the scenario draw from their own generator, so the runs of older
    // seeds stay what they were.
    const extra = this.#extra;
    this.readOnlyMode = chance(r, 0.3);
    this.reconfig = chance(extra, 0.3) && (options.reconfig ?? false);
    const sc: Scenario = {
      voters: this.voters,
      observers: this.observers,
      snapCount,
      readOnlyMode: this.readOnlyMode,
      reconfig: this.reconfig,
    };
    this.#initialLines = serverLines(sc);
    const hostEnv: HostEnv = {
      random: r,
      seed: this.seed,
      now: () => this.queue.nowMs,
      later: (host, delayMs, fn) => this.#later(host, delayMs, fn),
      sendPeer: (m) => this.#sendPeer(m),
      fatal: (host, reason) => {
        this.trace(`member ${host.id} stops: ${reason}`);
        this.#crash(host, between(this.random, 100, 2000));
      },
      clientIO: (host) => this.#clientIO(host),
      trace: (line) => this.trace(line),
    };
    for (let i = 0; i < this.voters + this.observers; i++) {
      this.hosts.push(new SimHost(i, (dynamic) => configFor(i + 1, sc, dynamic), hostEnv));
    }
    const clients = between(r, 3, 6);
    for (let i = 0; i < clients; i++) this.#addClient();
  }

  get nowMs(): number {
    return this.queue.nowMs;
  }

  trace(line: string): void {
    const t = ((this.queue.nowMs - START_MS) / 1000).toFixed(3).padStart(8);
    const s = `${t} ${line}`;
    if (this.#printTrace) console.log(s);
    this.#trace.push(s);
    if (this.#trace.length > TRACE_LINES * 2) this.#trace.splice(0, TRACE_LINES);
  }

  // ------------------------------------------------------------------ scheduling

  /** Runs `fn` after `delayMs` on `host`'s current incarnation; waits while it is paused. */
  #later(host: SimHost, delayMs: number, fn: () => void | Promise<void>): void {
    const inc = host.incarnation;
    const task: Task = () => {
      if (host.incarnation !== inc || !host.up) return;
      if (host.pausedUntilMs > this.nowMs) {
        this.queue.at(host.pausedUntilMs, task);
        return;
      }
      return fn();
    };
    this.queue.after(delayMs, task);
  }

  #hostById(id: number): SimHost {
    return this.hosts[id - 1];
  }

  // ------------------------------------------------------------------ peers

  #sendPeer(m: PeerMessage): void {
    this.#hostById(m.from).sent(m);
    if (m.type === "vote" || m.type === "voteResp" || m.type === "timeoutNow") {
      const what = m.type === "vote"
        ? `${m.pre ? "pre-" : ""}vote request, last ${hex(m.lastZxid)}`
        : m.type === "voteResp"
        ? `${m.pre ? "pre-" : ""}vote ${m.granted ? "granted" : "refused"}`
        : "timeoutNow";
      this.trace(`member ${m.from} -> ${m.to}: ${what} (term ${m.term})`);
    }
    const times = this.network.plan(m, this.nowMs);
    if (times.length === 0) {
      // A message lost on a live link is a TCP connection that broke: the sender's transport
      // notices (a cut link, by contrast, is silent until the peer's timeouts fire).
      if (!this.network.isCut(m.from, m.to)) {
        const host = this.#hostById(m.from);
        this.#later(host, 1, () => {
          host.member!.sendLost(m.to, this.nowMs);
          host.flush();
        });
      }
      return;
    }
    const bytes = encodePeerMessage(m);
    for (const at of times) {
      const deliver: Task = () => {
        const to = this.#hostById(m.to);
        if (!to.up || this.network.isCut(m.from, m.to)) return;
        if (to.pausedUntilMs > this.nowMs) {
          this.queue.at(to.pausedUntilMs, deliver);
          return;
        }
        to.member!.peerMessage(decodePeerMessage(bytes), this.nowMs);
        to.flush();
      };
      this.queue.at(at, deliver);
    }
  }

  // ------------------------------------------------------------------ client connections

  #clientDelay(): number {
    return between(this.random, 1, 4);
  }

  #clientIO(host: SimHost): Omit<ReplicaIO, "forward"> {
    return {
      send: (connId, frame) => {
        const conn = this.#conns.get(connId);
        if (conn === undefined || !conn.clientOpen) return;
        const body = frame.slice(4);
        const at = Math.max(this.nowMs + this.#clientDelay(), conn.toClientAt);
        conn.toClientAt = at;
        this.queue.at(at, () => {
          if (conn.clientOpen) conn.client.frame(conn, body);
        });
      },
      close: (connId, reason) => {
        const conn = this.#conns.get(connId);
        if (conn === undefined) return;
        this.trace(`member ${host.id} closes conn ${connId}: ${reason}`);
        conn.memberOpen = false;
        this.#closeToClient(conn);
      },
      log: (level, message) => {
        if (level !== "debug") this.trace(`member ${host.id} ${level}: ${message}`);
      },
    };
  }

  #closeToClient(conn: Conn): void {
    const at = Math.max(this.nowMs + this.#clientDelay(), conn.toClientAt);
    conn.toClientAt = at;
    this.queue.at(at, () => {
      if (!conn.clientOpen) return;
      conn.clientOpen = false;
      this.#conns.delete(conn.id);
      conn.client.closed(conn);
    });
  }

  /** Runs `fn` on the member behind `conn` if it still is the incarnation that accepted it. */
  #atMember(conn: Conn, fn: (host: SimHost) => void): Task {
    const task: Task = () => {
      const host = this.hosts[conn.host];
      if (!conn.memberOpen || host.incarnation !== conn.inc || !host.up) return;
      if (host.pausedUntilMs > this.nowMs) {
        this.queue.at(host.pausedUntilMs, task);
        return;
      }
      fn(host);
      host.flush();
    };
    return task;
  }

  #open(client: SimClient, hostIndex: number): SimConn {
    const conn: Conn = {
      id: this.#nextConnId++,
      host: hostIndex,
      client,
      inc: -1,
      toMemberAt: this.nowMs + this.#clientDelay(),
      toClientAt: 0,
      memberOpen: false,
      clientOpen: true,
    };
    this.#conns.set(conn.id, conn);
    const accept: Task = () => {
      const host = this.hosts[hostIndex];
      if (!conn.clientOpen) return;
      if (!host.up) {
        this.#closeToClient(conn); // connection refused
        return;
      }
      if (host.pausedUntilMs > this.nowMs) {
        this.queue.at(host.pausedUntilMs, accept);
        return;
      }
      conn.inc = host.incarnation;
      conn.memberOpen = true;
      if (!host.member!.connOpened(conn.id, client.ip, 40000 + conn.id, this.nowMs)) {
        conn.memberOpen = false;
        this.#closeToClient(conn);
      }
      host.flush();
    };
    this.queue.at(conn.toMemberAt, accept);
    return conn;
  }

  #send(c: SimConn, body: Uint8Array): void {
    const conn = c as Conn;
    if (!conn.clientOpen) return;
    const at = Math.max(this.nowMs + this.#clientDelay(), conn.toMemberAt);
    conn.toMemberAt = at;
    this.queue.at(
      at,
      this.#atMember(conn, (host) => host.member!.frame(conn.id, body, this.nowMs)),
    );
  }

  #clientClose(c: SimConn): void {
    const conn = c as Conn;
    if (!conn.clientOpen) return;
    conn.clientOpen = false;
    this.#conns.delete(conn.id);
    const at = Math.max(this.nowMs + this.#clientDelay(), conn.toMemberAt);
    this.queue.at(
      at,
      this.#atMember(conn, (host) => {
        conn.memberOpen = false;
        host.member!.connClosed(conn.id);
      }),
    );
  }

  // ------------------------------------------------------------------ clients

  #addClient(): void {
    const env: ClientEnv = {
      random: this.random,
      readOnlyMode: this.readOnlyMode,
      reconfig: this.reconfig,
      reconfigAllowed: () => !this.#healed,
      restoreStep: () => this.#restoreStep(),
      history: this.history,
      now: () => this.nowMs,
      hostCount: () => this.hosts.length,
      open: (client, host) => this.#open(client, host),
      send: (conn, body) => this.#send(conn, body),
      close: (conn) => this.#clientClose(conn),
      acked: (zxid) => {
        if (zxid > this.#maxAcked) this.#maxAcked = zxid;
        if (this.#healed && this.#firstWriteAfterHealMs === null && zxid > this.#headAtHeal) {
          this.#firstWriteAfterHealMs = this.nowMs - this.#healAtMs;
          this.trace(`first write after the heal acknowledged at ${hex(zxid)}`);
        }
      },
      maxAcked: () => this.#maxAcked,
      sessionGone: (id) =>
        this.history.sessionsClosed.has(id) ||
        this.hosts.some((h) => h.up && h.member!.replica.sessions.get(id)?.closing === true),
      abandoned: (id) => this.#abandoned.set(id, this.nowMs),
      toldExpired: (id) => this.#toldExpired.add(id),
      opsAllowed: () => this.nowMs < this.#endMs - OPS_STOP_BEFORE_END_MS,
      trace: (line) => this.trace(line),
    };
    const client = new SimClient(this.clients.length, env);
    this.clients.push(client);
    const act: Task = () => {
      client.act();
      this.queue.after(between(this.random, 5, 30), act);
    };
    this.queue.after(between(this.random, 0, 30), act);
  }

  // ------------------------------------------------------------------ faults

  #upHosts(): SimHost[] {
    return this.hosts.filter((h) => h.up);
  }

  #leader(): SimHost | undefined {
    return this.hosts.find((h) => h.up && h.member!.role === "leader");
  }

  #pick<T>(items: T[]): T | undefined {
    return items.length === 0 ? undefined : items[randomBelow(this.random, items.length)];
  }

  #crash(host: SimHost, restartAfterMs: number): void {
    if (!host.up) return;
    host.crash();
    for (const conn of this.#conns.values()) {
      if (conn.host === host.index && conn.memberOpen) {
        conn.memberOpen = false;
        this.#closeToClient(conn);
      }
    }
    // A killed process's sockets are closed by its kernel: usually the others notice at once.
    for (const other of this.hosts) {
      if (other === host || !other.up || !chance(this.random, 0.8)) continue;
      this.#later(other, between(this.random, 1, 20), () => {
        other.member!.peerDown(host.id, this.nowMs);
        other.flush();
      });
    }
    const crashes = host.crashes;
    this.queue.after(restartAfterMs, () => {
      if (host.up || host.crashes !== crashes) return;
      // After the heal the operator sees to it that it does start (see #operatorStart).
      if (this.#healed) this.#operatorStart(host);
      else host.start();
    });
  }

  #scheduleFault(): void {
    this.queue.after(between(this.random, 200, 2500), () => {
      if (this.#healed) return;
      this.#fault();
      this.#scheduleFault();
    });
  }

  /** Cuts `links` now and heals exactly them after `ms`. */
  #partition(what: string, links: Array<[number, number]>, ms: number): void {
    this.trace(`partition (${what}) for ${ms} ms: ${links.map(([a, b]) => `${a}>${b}`).join(" ")}`);
    for (const [a, b] of links) this.network.cut(a, b);
    this.queue.after(ms, () => {
      if (this.#healed) return;
      this.trace(`partition (${what}) heals`);
      for (const [a, b] of links) this.network.uncut(a, b);
    });
  }

  #fault(): void {
    const r = this.random;
    const ids = this.hosts.map((h) => h.id);
    const pick = randomBelow(r, 100);
    if (pick < 18) {
      const h = this.#pick(this.#upHosts());
      if (h !== undefined) this.#crash(h, between(r, 100, 5000));
    } else if (pick < 25) {
      const h = this.#leader();
      if (h !== undefined) this.#crash(h, between(r, 100, 3000));
    } else if (pick < 30) {
      this.trace("power failure: every member crashes");
      for (const h of this.hosts) this.#crash(h, between(r, 50, 2000));
    } else if (pick < 35) {
      // Aimed at durability: whoever has writes not yet fsynced, plus others up to a majority.
      const victims = this.#upHosts().filter((h) => h.unsynced || chance(r, 0.3));
      this.trace(`members ${victims.map((h) => h.id).join(", ")} crash together`);
      for (const h of victims) this.#crash(h, between(r, 50, 3000));
    } else if (pick < 45) {
      const h = this.#pick(this.hosts)!;
      const links: Array<[number, number]> = [];
      for (const o of ids) if (o !== h.id) links.push([h.id, o], [o, h.id]);
      this.#partition(`member ${h.id} isolated`, links, between(r, 300, 5000));
    } else if (pick < 53) {
      const side = new Set(ids.filter(() => chance(r, 0.5)));
      const links: Array<[number, number]> = [];
      for (const a of side) for (const b of ids) if (!side.has(b)) links.push([a, b], [b, a]);
      if (links.length > 0) this.#partition("split", links, between(r, 300, 5000));
    } else if (pick < 60) {
      const leader = this.#leader();
      const from = leader !== undefined && chance(r, 0.6) ? leader.id : this.#pick(ids)!;
      const links: Array<[number, number]> = [];
      for (const o of ids) {
        if (o !== from && chance(r, 0.7)) links.push(chance(r, 0.5) ? [from, o] : [o, from]);
      }
      if (links.length > 0) this.#partition(`one-way around ${from}`, links, between(r, 300, 4000));
    } else if (pick < 67) {
      const h = this.#pick(this.#upHosts());
      if (h !== undefined && h.pausedUntilMs <= this.nowMs) {
        h.pausedUntilMs = this.nowMs + between(r, 100, 3000);
        this.trace(
          `member ${h.id} stopped until ${((h.pausedUntilMs - START_MS) / 1000).toFixed(3)}`,
        );
      }
    } else if (pick < 73) {
      const h = this.#leader();
      if (h !== undefined) {
        const target = h.member!.transferLeadership(this.nowMs);
        this.trace(`member ${h.id} hands leadership to ${target}`);
        h.flush();
        if (chance(r, 0.5)) {
          // A graceful restart: the old leader stops shortly after handing over.
          const crashes = h.crashes;
          this.queue.after(between(r, 50, 500), () => {
            if (h.up && h.crashes === crashes) this.#crash(h, between(r, 100, 1000));
          });
        }
      }
    } else if (pick < 88) {
      const drop = chance(r, 0.3) ? 0 : r.nextUint32() / 4294967296 * 0.15;
      this.network.faults = {
        drop,
        duplicate: chance(r, 0.5) ? 0 : r.nextUint32() / 4294967296 * 0.1,
        delayMinMs: between(r, 1, 5),
        delayMaxMs: between(r, 5, 60),
        spike: chance(r, 0.5) ? 0 : 0.05,
        spikeMs: between(r, 50, 800),
      };
      this.trace(`network now ${JSON.stringify(this.network.faults)}`);
    } else {
      const h = this.#pick(this.hosts)!;
      // Drawn from the second generator, so older seeds keep their runs.
      if (chance(this.#extra, 0.3) && h.failNextLogSync()) {
        this.trace(`member ${h.id}: the next fsync of its log fails`);
      }
      h.disk = {
        syncMinMs: between(r, 1, 10),
        syncMaxMs: between(r, 10, 60),
        stall: chance(r, 0.5) ? 0 : 0.1,
        stallMs: between(r, 50, 1000),
      };
      this.trace(`member ${h.id} disk now ${JSON.stringify(h.disk)}`);
    }
  }

  #heal(): void {
    this.#healed = true;
    this.trace("heal: links restored, network calm, every member up");
    this.network.healAll();
    this.network.faults = CALM;
    for (const h of this.hosts) {
      // A stopped member resumes when its pause ends (at most 3 s): ending it early would
      // let new input overtake what waits for it.
      h.disk = { syncMinMs: 1, syncMaxMs: 10, stall: 0, stallMs: 0 };
      if (!h.up) this.#operatorStart(h);
    }
    this.#headAtHeal = this.history.head;
    this.#restoring = this.reconfig;
    this.#addClient();
    this.queue.after(PROGRESS_BOUND_MS, () => {
      if (this.#firstWriteAfterHealMs === null) {
        fail(`no write was acknowledged within ${PROGRESS_BOUND_MS} ms after the heal`);
      }
      if (this.#restoreStep() !== null) {
        fail(
          `the initial membership was not restored within ${PROGRESS_BOUND_MS} ms after the heal`,
        );
      }
    });
  }

  /**
   * After the heal, the next reconfig that brings the committed membership back to the
   * initial one: a joiningServers line for the first member missing or in the wrong role
   * (one at a time, so each new configuration has a synced majority), or null when done.
   */
  #restoreStep(): string | null {
    if (!this.#restoring) return null;
    const node = this.history.ref.get(CONFIG_NODE_PATH);
    const roles = new Map<number, string>();
    if (node?.data && node.data.byteLength > 0) {
      for (const m of parseConfigText(new TextDecoder().decode(node.data)).members) {
        roles.set(m.id, m.role);
      }
    } else {
      return null; // no reconfig ever committed: still the initial membership
    }
    for (const [i, line] of this.#initialLines.entries()) {
      const role = i < this.voters ? "participant" : "observer";
      if (roles.get(i + 1) !== role) {
        this.#restored = false;
        return line;
      }
    }
    // Still watched after this: a reconfig sent before the heal may commit later.
    if (!this.#restored) this.trace("the initial membership is back");
    this.#restored = true;
    return null;
  }

  /**
   * Starts a member after the heal. One that a reconfig removed cannot start on its own
   * configuration file; once the initial membership is restored, the operator gives it the
   * committed configuration (as when adding a server) and starts it.
   */
  #operatorStart(h: SimHost): void {
    if (h.up || h.start()) return;
    const retry = () => {
      if (h.up) return;
      const newest = this.hosts.filter((o) => o.dynamic !== null)
        .sort((a, b) => b.dynamic!.version - a.dynamic!.version)[0]?.dynamic ?? null;
      const named = newest !== null &&
        parseProperties(newest.lines).has(`server.${h.id}`);
      if (named) {
        h.dynamic = newest;
        this.trace(`operator: member ${h.id} gets configuration 0x${newest.version.toString(16)}`);
        if (h.start()) return;
      }
      this.queue.after(200, retry);
    };
    this.queue.after(200, retry);
  }

  // ------------------------------------------------------------------ checkers

  #observe(h: SimHost): void {
    const m = h.member;
    if (m === null) return;
    const o = h.observed;
    const who = `member ${h.id}`;
    const tree = m.replica.tree;
    const cur = tree.lastZxid;
    if (cur !== o.applied) {
      if (cur < o.applied) {
        fail(`${who}: applied zxid went back from ${hex(o.applied)} to ${hex(cur)}`);
      }
      const log = m.raft.log;
      let prev = o.applied;
      if (log.baseZxid > prev) {
        // A snapshot from the leader replaced the state.
        if (!this.history.has(log.baseZxid)) {
          fail(`${who} installed a snapshot at ${hex(log.baseZxid)}, which is not committed`);
        }
        prev = log.baseZxid;
      }
      for (const e of log.after(prev, Number.MAX_SAFE_INTEGER)) {
        if (e.zxid > cur) break;
        this.history.applied(who, prev, e);
        prev = e.zxid;
      }
      if (prev !== cur) {
        fail(`${who} applied ${hex(cur)} but its log goes from ${hex(o.applied)} to ${hex(prev)}`);
      }
      o.applied = cur;
      const want = this.history.digestAt(cur);
      const got = treeDigest(tree);
      if (want !== got) {
        fail(
          `${who}: tree at ${hex(cur)} differs from the committed state (digest ${got} != ${want})`,
        );
      }
    }
    const commit = m.raft.commitZxid;
    if (commit < o.commit) fail(`${who}: commit went back from ${hex(o.commit)} to ${hex(commit)}`);
    o.commit = commit;
    const term = m.raft.term;
    if (term < o.term) fail(`${who}: term went back from ${o.term} to ${term}`);
    o.term = term;
    if (m.role === "leader") {
      const other = this.#leaders.get(term);
      if (other === undefined) {
        this.#leaders.set(term, h.id);
        this.trace(`member ${h.id} leads term ${term}`);
      } else if (other !== h.id) {
        fail(`two leaders in term ${term}: members ${other} and ${h.id}`);
      }
    }
  }

  #converged(): boolean {
    const head = this.history.head;
    return this.hosts.every((h) => h.up && h.observed.applied === head);
  }

  #finalChecks(): void {
    for (const id of this.#toldExpired) {
      if (!this.history.sessionsClosed.has(id)) {
        fail(`a client was told session ${sid(id)} expired, but it was never closed`);
      }
    }
    for (const [id, at] of this.#abandoned) {
      if (at < this.#endMs - EXPIRY_BOUND_MS && !this.history.sessionsClosed.has(id)) {
        fail(
          `session ${sid(id)} abandoned at ${((at - START_MS) / 1000).toFixed(3)} s was never ` +
            `expired`,
        );
      }
    }
    for (const h of this.hosts) {
      const m = h.member!;
      for (const owner of m.replica.tree.ephemerals.keys()) {
        if (this.history.sessionsClosed.has(owner)) {
          fail(`member ${h.id} still holds ephemerals of closed session ${sid(owner)}`);
        }
      }
    }
  }

  // ------------------------------------------------------------------ run

  async run(): Promise<SimReport> {
    try {
      return await this.#run();
    } catch (e) {
      const kind = e instanceof Violation ? "violation" : "crash of the code under test";
      const text = e instanceof Violation ? e.message : (e as Error).stack ?? String(e);
      throw new SimFailure(
        this.seed,
        `simulation seed ${this.seed} failed at ${((this.nowMs - START_MS) / 1000).toFixed(3)} s ` +
          `(${kind}): ${text}\n` +
          `ensemble: ${this.voters} voters, ${this.observers} observers, ${this.clients.length} ` +
          `clients${this.readOnlyMode ? ", read-only mode" : ""}` +
          `${this.reconfig ? ", reconfig" : ""}\n` +
          `last trace lines:\n${this.#trace.slice(-80).join("\n")}\n` +
          `replay: ${replayCommand(this.seed, this.reconfig)}\n` +
          `(ZKD_SIM_TRACE=1 prints the whole trace)`,
      );
    }
  }

  async #run(): Promise<SimReport> {
    this.trace(
      `seed ${this.seed}: ${this.voters} voters, ${this.observers} observers, ` +
        `${this.clients.length} clients${this.readOnlyMode ? ", read-only mode" : ""}` +
        `${this.reconfig ? ", reconfig" : ""}`,
    );
    for (const h of this.hosts) h.start();
    this.#scheduleFault();
    this.queue.at(this.#healAtMs, () => this.#heal());
    const step = async (until: number): Promise<boolean> => {
      const task = this.queue.next(until);
      if (task === undefined) return false;
      this.#events++;
      const p = task();
      if (p !== undefined) await p;
      for (const h of this.hosts) this.#observe(h);
      return true;
    };
    while (await step(this.#endMs)) { /* run */ }
    const deadline = this.#endMs + CONVERGE_BOUND_MS;
    while (!this.#converged()) {
      if (!await step(deadline)) {
        const state = this.hosts.map((h) =>
          `member ${h.id}: ${
            h.up ? `${h.member!.role} applied ${hex(h.observed.applied)}` : "down"
          }`
        );
        fail(
          `members did not converge on the committed head ${hex(this.history.head)} within ` +
            `${CONVERGE_BOUND_MS} ms after the end: ${state.join(", ")}`,
        );
      }
    }
    this.#finalChecks();
    let acked = 0;
    let reads = 0;
    let expired = 0;
    for (const c of this.clients) {
      acked += c.stats.acked;
      reads += c.stats.reads;
      expired += c.stats.expired;
    }
    return {
      seed: this.seed,
      voters: this.voters,
      observers: this.observers,
      clients: this.clients.length,
      events: this.#events,
      virtualMs: this.nowMs - START_MS,
      committed: this.history.length,
      acked,
      reads,
      crashes: this.hosts.reduce((n, h) => n + h.crashes, 0),
      terms: this.#leaders.size,
      sessionsExpired: expired,
      healToWriteMs: this.#firstWriteAfterHealMs ?? -1,
    };
  }
}

export function runSimulation(options: SimOptions): Promise<SimReport> {
  return new Simulation(options).run();
}
