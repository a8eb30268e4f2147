/**
 * A state the simulator reached (seed 59, during reconfig runs): two voters, one a term ahead
 * with the shorter log, the other a term behind with the longer log. Each refused the other's
 * pre-vote forever: the one behind proposed the other's own term (never above it), the one
 * ahead had the shorter log. Pinned here with RaftNode alone, since later code changes send
 * the seed elsewhere.
 */

import assert from "node:assert/strict";
import { RaftNode } from "../../lib/quorum/raft.ts";
import { RaftLog } from "../../lib/quorum/raft_log.ts";
import type { RaftMessage } from "../../lib/quorum/messages.ts";
import { makeZxid } from "../../lib/quorum/zxid.ts";
import type { TxnEntry } from "../../lib/tree/txn.ts";
import { SeededRandom } from "../../lib/util/random.ts";

function entries(epoch: number, count: number): TxnEntry[] {
  const out: TxnEntry[] = [];
  for (let i = 1; i <= count; i++) {
    out.push({
      sessionId: 0n,
      cxid: 0,
      zxid: makeZxid(epoch, i),
      timeMs: 0,
      txn: { type: "error", err: 0 },
    });
  }
  return out;
}

function node(id: number, term: number, log: TxnEntry[]): RaftNode {
  return new RaftNode({
    id,
    voters: [1, 2, 3],
    observers: [],
    electionTicks: 8,
    heartbeatTicks: 2,
    random: new SeededRandom(id),
    hardState: { term, votedFor: null },
    log: new RaftLog(0, log),
    commitZxid: 0,
    makeSnapshot: () => ({ zxid: 0, data: new Uint8Array(0) }),
  });
}

Deno.test("RaftNode: a voter a term behind with the longer log gets elected by one a term ahead", () => {
  // Member 1 is down; 2 and 3 must agree. 2 is at term 5 with 4:1, 3 at term 4 with 4:1..4:13.
  const nodes = new Map([[2, node(2, 5, entries(4, 1))], [3, node(3, 4, entries(4, 13))]]);
  for (let tick = 0; tick < 400; tick++) {
    for (const n of nodes.values()) n.tick();
    for (let round = 0; round < 50; round++) {
      const inbox: RaftMessage[] = [];
      for (const n of nodes.values()) {
        const out = n.takeOutput();
        if (out.persist.length > 0) {
          n.persisted(out.persist[out.persist.length - 1].seq);
          inbox.push(...n.takeOutput().messages);
        }
        inbox.push(...out.messages);
      }
      if (inbox.length === 0) break;
      for (const m of inbox) nodes.get(m.to)?.step(m);
    }
    if ([...nodes.values()].some((n) => n.role === "leader")) break;
  }
  const leader = [...nodes.values()].find((n) => n.role === "leader");
  assert.ok(
    leader !== undefined,
    `no leader: ${[...nodes.values()].map((n) => `${n.id} ${n.role} term ${n.term}`).join(", ")}`,
  );
  assert.equal(leader.id, 3, "only the member with the longer log can win");
});
