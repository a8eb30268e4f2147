/**
 * RaftNode in small, hand-driven clusters: a router delivers messages in order (or drops
 * them for cut links) and every node's persist batches are made durable at once unless a
 * test holds them. The seeded simulator (tests/sim) covers the random interleavings; these
 * pin down each rule by name.
 */

import assert from "node:assert/strict";
import { type PersistBatch, RaftNode } from "../../lib/quorum/raft.ts";
import { RaftLog } from "../../lib/quorum/raft_log.ts";
import type { RaftMessage } from "../../lib/quorum/messages.ts";
import { epochOf, makeZxid } from "../../lib/quorum/zxid.ts";
import type { TxnEntry } from "../../lib/tree/txn.ts";
import { SeededRandom } from "../../lib/util/random.ts";

function entry(zxid: number): TxnEntry {
  return { sessionId: 0n, cxid: 0, zxid, timeMs: 0, txn: { type: "error", err: 0 } };
}

/** A reconfig entry whose configuration has these voters (and observers). */
function reconfigEntry(zxid: number, voters: number[], observers: number[] = []): TxnEntry {
  const lines = [
    ...voters.map((id) => `server.${id}=127.0.0.1:${2000 + id}:${3000 + id}:participant`),
    ...observers.map((id) => `server.${id}=127.0.0.1:${2000 + id}:${3000 + id}:observer`),
    `version=${zxid.toString(16)}`,
  ];
  const data = new TextEncoder().encode(lines.join("\n"));
  return {
    sessionId: 0n,
    cxid: 0,
    zxid,
    timeMs: 0,
    txn: { type: "reconfig", data, version: zxid },
  };
}

function nextZxid(n: RaftNode): number {
  const last = n.log.lastZxid;
  return epochOf(last) === n.term ? last + 1 : makeZxid(n.term, 1);
}

class Cluster {
  readonly nodes = new Map<number, RaftNode>();
  readonly persisted = new Map<number, PersistBatch[]>();
  readonly cut = new Set<string>();
  /** Nodes whose batches are not made durable (a slow disk). */
  readonly holdDisk = new Set<number>();
  readonly #pending = new Map<number, PersistBatch[]>();
  snapshots = 0;
  /** The leader's answer to preferSnapshot (a snapshot although the log has the entries). */
  preferSnapshot = false;

  readonly #seed: number;

  constructor(voters: number[], observers: number[] = [], seed = 1) {
    this.#seed = seed;
    for (const id of [...voters, ...observers]) this.addNode(id, voters, observers);
  }

  /** A member started with its own view of the membership (a joiner lists itself). */
  addNode(id: number, voters: number[], observers: number[] = []): void {
    const seed = this.#seed;
    {
      this.nodes.set(
        id,
        new RaftNode({
          id,
          voters,
          observers,
          electionTicks: 10,
          heartbeatTicks: 2,
          random: new SeededRandom(seed * 100 + id),
          hardState: { term: 0, votedFor: null },
          log: new RaftLog(0),
          commitZxid: 0,
          makeSnapshot: () => {
            this.snapshots++;
            return { zxid: this.nodes.get(id)!.commitZxid, data: new Uint8Array([id]) };
          },
          preferSnapshot: () => this.preferSnapshot,
        }),
      );
      this.persisted.set(id, []);
      this.#pending.set(id, []);
    }
  }

  node(id: number): RaftNode {
    return this.nodes.get(id)!;
  }

  /** Delivers messages and persists batches until nothing moves. */
  settle(): void {
    for (let round = 0; round < 1000; round++) {
      const inbox: RaftMessage[] = [];
      for (const [id, n] of this.nodes) {
        const out = n.takeOutput();
        const pending = this.#pending.get(id)!;
        pending.push(...out.persist);
        if (!this.holdDisk.has(id) && pending.length > 0) {
          this.persisted.get(id)!.push(...pending);
          const last = pending[pending.length - 1].seq;
          pending.length = 0;
          n.persisted(last);
          inbox.push(...n.takeOutput().messages);
        }
        inbox.push(...out.messages);
      }
      const deliverable = inbox.filter((m) => !this.cut.has(`${m.from}->${m.to}`));
      if (
        deliverable.length === 0 &&
        [...this.#pending.entries()].every(([id, p]) => p.length === 0 || this.holdDisk.has(id))
      ) return;
      for (const m of deliverable) this.nodes.get(m.to)?.step(m);
    }
    throw new Error("cluster did not settle");
  }

  tick(times: number, ids?: number[]): void {
    for (let i = 0; i < times; i++) {
      for (const [id, n] of this.nodes) if (ids === undefined || ids.includes(id)) n.tick();
      this.settle();
    }
  }

  leaders(): number[] {
    return [...this.nodes].filter(([, n]) => n.role === "leader").map(([id]) => id);
  }

  electLeader(): number {
    for (let i = 0; i < 100 && this.leaders().length !== 1; i++) this.tick(1);
    const [leader] = this.leaders();
    assert.ok(leader !== undefined, "no leader elected");
    return leader;
  }

  isolate(id: number, down = true): void {
    for (const other of this.nodes.keys()) {
      if (other === id) continue;
      for (const k of [`${id}->${other}`, `${other}->${id}`]) {
        down ? this.cut.add(k) : this.cut.delete(k);
      }
    }
  }

  propose(leader: number, count: number): number[] {
    const n = this.node(leader);
    const zxids: number[] = [];
    let last = n.log.lastZxid;
    for (let i = 0; i < count; i++) {
      const zxid = epochOf(last) === n.term ? last + 1 : makeZxid(n.term, 1);
      n.propose([entry(zxid)]);
      zxids.push(zxid);
      last = zxid;
    }
    this.settle();
    return zxids;
  }
}

Deno.test("RaftNode elects exactly one leader and persists its vote before asking for votes", () => {
  const c = new Cluster([1, 2, 3]);
  const leader = c.electLeader();
  assert.equal(c.leaders().length, 1);
  const n = c.node(leader);
  assert.ok(n.term >= 1);
  const hs = c.persisted.get(leader)!.find((b) => b.hardState?.term === n.term);
  assert.deepEqual(hs?.hardState, { term: n.term, votedFor: leader });
  for (const id of [1, 2, 3]) assert.equal(c.node(id).leaderId, leader);
});

Deno.test("RaftNode commits an entry once a majority holds it durably, and not before", () => {
  const c = new Cluster([1, 2, 3]);
  const leader = c.electLeader();
  const [f1, f2] = [1, 2, 3].filter((id) => id !== leader);
  c.holdDisk.add(f1);
  c.holdDisk.add(f2);
  const [z] = c.propose(leader, 1);
  assert.ok(c.node(leader).commitZxid < z, "committed with only the leader's copy on disk");
  c.holdDisk.delete(f1);
  c.settle();
  assert.equal(c.node(leader).commitZxid, z);
  c.tick(3); // heartbeats carry the commit point
  assert.equal(c.node(f1).commitZxid, z);
  assert.deepEqual(c.node(leader).committedAfter(0, 10).map((e) => e.zxid), [z]);
});

Deno.test("RaftNode zxids carry the leader's term in the high 32 bits", () => {
  const c = new Cluster([1, 2, 3]);
  const leader = c.electLeader();
  const zxids = c.propose(leader, 3);
  for (const z of zxids) assert.equal(epochOf(z), c.node(leader).term);
});

Deno.test("RaftNode check-quorum: a leader cut off from the majority steps down; the rest elect a new one", () => {
  const c = new Cluster([1, 2, 3]);
  const leader = c.electLeader();
  c.isolate(leader);
  c.tick(40);
  assert.notEqual(c.node(leader).role, "leader");
  const others = [1, 2, 3].filter((id) => id !== leader);
  assert.equal(others.filter((id) => c.node(id).role === "leader").length, 1);
});

Deno.test("RaftNode pre-vote: a partitioned follower does not inflate the term or disrupt the leader on return", () => {
  const c = new Cluster([1, 2, 3]);
  const leader = c.electLeader();
  const term = c.node(leader).term;
  const f = [1, 2, 3].find((id) => id !== leader)!;
  c.isolate(f);
  c.tick(100, [f]);
  assert.equal(c.node(f).term, term, "pre-vote must keep the term while no one answers");
  c.isolate(f, false);
  c.tick(5);
  assert.equal(c.node(leader).role, "leader");
  assert.equal(c.node(leader).term, term);
});

Deno.test("RaftNode truncates a follower's uncommitted entries that a new leader does not have", () => {
  const c = new Cluster([1, 2, 3]);
  const leader = c.electLeader();
  c.propose(leader, 2);
  // The old leader appends entries nobody else gets.
  c.isolate(leader);
  const stale = c.propose(leader, 3);
  c.tick(40, [1, 2, 3].filter((id) => id !== leader));
  const newLeader = c.leaders().find((id) => id !== leader)!;
  const fresh = c.propose(newLeader, 2);
  c.isolate(leader, false);
  c.tick(10);
  const old = c.node(leader);
  assert.equal(old.role, "follower");
  assert.ok(
    c.persisted.get(leader)!.some((b) => b.truncateAfter !== null),
    "no truncation was persisted",
  );
  for (const z of stale) assert.equal(old.log.has(z), false);
  for (const z of fresh) assert.equal(old.log.has(z), true);
  assert.equal(old.commitZxid, c.node(newLeader).commitZxid);
});

Deno.test("RaftNode sends a snapshot to a member behind the retained log", () => {
  const c = new Cluster([1, 2, 3]);
  const leader = c.electLeader();
  const lagging = [1, 2, 3].find((id) => id !== leader)!;
  c.isolate(lagging);
  const zxids = c.propose(leader, 5);
  c.node(leader).log.compact(zxids[3]);
  c.isolate(lagging, false);
  c.tick(10);
  assert.ok(c.snapshots >= 1);
  const installed = c.persisted.get(lagging)!.find((b) => b.snapshot !== null);
  assert.ok(installed, "the lagging member installed no snapshot");
  assert.equal(c.node(lagging).takeSnapshotToInstall()?.zxid, installed.snapshot!.zxid);
  assert.equal(c.node(lagging).log.lastZxid, zxids[4]);
});

for (const prefer of [true, false]) {
  Deno.test(`RaftNode: a member with an empty log gets ${prefer ? "a snapshot" : "the log"} when preferSnapshot says ${prefer}`, () => {
    const c = new Cluster([1, 2, 3]);
    const leader = c.electLeader();
    const lagging = [1, 2, 3].find((id) => id !== leader)!;
    c.isolate(lagging);
    const zxids = c.propose(leader, 5);
    // The lagging member lost its disk: a new node with the same id and nothing logged.
    c.addNode(lagging, [1, 2, 3]);
    c.preferSnapshot = prefer;
    c.isolate(lagging, false);
    c.tick(10);
    const installed = c.persisted.get(lagging)!.find((b) => b.snapshot !== null);
    assert.equal(installed !== undefined, prefer);
    assert.equal(c.snapshots > 0, prefer);
    assert.equal(c.node(lagging).log.lastZxid, zxids[4]);
    assert.equal(c.node(lagging).commitZxid, c.node(leader).commitZxid);
  });
}

for (const logged of [true, false]) {
  Deno.test(`RaftNode: a snapshot at a zxid the member ${logged ? "already logged keeps" : "never logged replaces"} its log`, () => {
    // Member 1 follows member 2 in term 1 with entries 1..5 logged (or only 1..2), nothing
    // known committed. An acknowledgement of 5 may be on its way to the leader, so a
    // snapshot at 3 must not drop 4 and 5.
    const zxids = [1, 2, 3, 4, 5].map((i) => makeZxid(1, i));
    const n = new RaftNode({
      id: 1,
      voters: [1, 2, 3],
      observers: [],
      electionTicks: 10,
      heartbeatTicks: 2,
      random: new SeededRandom(7),
      hardState: { term: 1, votedFor: 2 },
      log: new RaftLog(0, (logged ? zxids : zxids.slice(0, 2)).map(entry)),
      commitZxid: 0,
      makeSnapshot: () => null,
    });
    n.step({
      type: "snapshot",
      from: 2,
      to: 1,
      term: 1,
      zxid: zxids[2],
      data: new Uint8Array([9]),
    });
    if (logged) {
      assert.equal(n.log.lastZxid, zxids[4]);
      assert.equal(n.takeSnapshotToInstall(), null);
    } else {
      assert.equal(n.log.lastZxid, zxids[2]);
      assert.equal(n.takeSnapshotToInstall()?.zxid, zxids[2]);
    }
  });
}

Deno.test("RaftNode transfers leadership to the most up-to-date voter", () => {
  const c = new Cluster([1, 2, 3]);
  const leader = c.electLeader();
  c.propose(leader, 3);
  const target = c.node(leader).transferLeadership();
  assert.notEqual(target, null);
  c.settle();
  c.tick(2);
  assert.deepEqual(c.leaders(), [target]);
});

Deno.test("RaftNode observers replicate but never vote, campaign or count toward a commit", () => {
  const c = new Cluster([1, 2, 3], [4]);
  const leader = c.electLeader();
  const [f1, f2] = [1, 2, 3].filter((id) => id !== leader);
  c.holdDisk.add(f1);
  c.holdDisk.add(f2);
  const [z] = c.propose(leader, 1);
  assert.ok(c.node(leader).commitZxid < z, "an observer's copy must not count");
  assert.equal(c.node(4).log.has(z), true);
  c.holdDisk.clear();
  c.settle();
  c.isolate(4);
  c.tick(100, [4]);
  assert.equal(c.node(4).role, "observer");
  assert.equal(c.node(4).term, c.node(leader).term);
});

Deno.test("RaftNode reconfig: while a new membership is pending, commits need a majority of the old and of the new voters", () => {
  const c = new Cluster([1, 2, 3]);
  c.addNode(4, [1, 2, 3, 4, 5]);
  c.addNode(5, [1, 2, 3, 4, 5]);
  const leader = c.electLeader();
  const n = c.node(leader);
  const [f1, f2] = [1, 2, 3].filter((id) => id !== leader);
  // Only the leader and one old follower write to disk: a majority of {1,2,3} but only two
  // of five, so neither the reconfig nor anything after it may commit.
  c.holdDisk.add(f2);
  c.holdDisk.add(4);
  c.holdDisk.add(5);
  const r = nextZxid(n);
  n.propose([reconfigEntry(r, [1, 2, 3, 4, 5])]);
  c.settle();
  assert.deepEqual([...n.voters].sort(), [1, 2, 3, 4, 5]);
  assert.equal(n.pendingMembership?.zxid, r);
  assert.ok(n.commitZxid < r, "committed on an old majority alone");
  c.holdDisk.delete(4); // leader, f1, 4: majority of both
  c.settle();
  assert.equal(n.commitZxid, r);
  assert.equal(n.pendingMembership, null);
  assert.deepEqual([...n.activeMembership.voters].sort(), [1, 2, 3, 4, 5]);
  assert.ok(n.progress().has(5), "the leader replicates to every new member");
  c.holdDisk.clear();
  c.tick(4);
  assert.equal(c.node(5).commitZxid, r);
  assert.equal(c.node(f1).activeMembership.voters.size, 5);
});

Deno.test("RaftNode reconfig: a leader that removes itself hands over and stops leading", () => {
  const c = new Cluster([1, 2, 3]);
  const leader = c.electLeader();
  const n = c.node(leader);
  const rest = [1, 2, 3].filter((id) => id !== leader);
  n.propose([reconfigEntry(nextZxid(n), rest)]);
  c.settle();
  c.tick(30);
  const leaders = c.leaders();
  assert.equal(leaders.length, 1);
  assert.ok(rest.includes(leaders[0]), `leader ${leaders[0]} is not among the remaining voters`);
  assert.equal(n.isVoter, false);
  assert.notEqual(n.role, "leader");
  // The removed member never campaigns again.
  c.isolate(leader);
  const term = n.term;
  c.tick(60, [leader]);
  assert.equal(n.term, term);
});

Deno.test("RaftNode reconfig: a pending membership that a new leader truncates is forgotten", () => {
  const c = new Cluster([1, 2, 3]);
  const leader = c.electLeader();
  const n = c.node(leader);
  c.isolate(leader);
  n.propose([reconfigEntry(nextZxid(n), [1, 2, 3], [])]);
  n.propose([entry(nextZxid(n))]);
  assert.notEqual(n.pendingMembership, null);
  c.tick(40, [1, 2, 3].filter((id) => id !== leader));
  const newLeader = c.leaders().find((id) => id !== leader)!;
  c.propose(newLeader, 1);
  c.isolate(leader, false);
  c.tick(10);
  assert.equal(n.pendingMembership, null);
  assert.equal(n.role, "follower");
});

Deno.test("RaftNode reconfig: an observer promoted to participant votes, and a demoted participant stops", () => {
  const c = new Cluster([1, 2, 3], [4]);
  const leader = c.electLeader();
  const n = c.node(leader);
  const demoted = [1, 2, 3].find((id) => id !== leader)!;
  const voters = [1, 2, 3, 4].filter((id) => id !== demoted);
  n.propose([reconfigEntry(nextZxid(n), voters, [demoted])]);
  c.settle();
  c.tick(4);
  assert.equal(c.node(4).role, "follower");
  assert.equal(c.node(4).isVoter, true);
  assert.equal(c.node(demoted).role, "observer");
  // The new voters alone keep the ensemble going when the demoted member is gone.
  c.isolate(demoted);
  const zxids = c.propose(leader, 2);
  assert.equal(n.commitZxid, zxids[1]);
});

Deno.test("RaftLog counts and locates entries from the end without copying", () => {
  const log = new RaftLog(10, [11, 12, 13, 14].map(entry));
  assert.equal(log.countAfter(12), 2);
  assert.equal(log.countAfter(10), 4);
  assert.equal(log.zxidBeforeLast(1), 13);
  assert.equal(log.zxidBeforeLast(4), 10);
  log.compact(12);
  assert.equal(log.countAfter(0), 2);
  assert.equal(log.zxidBeforeLast(2), 12);
});
