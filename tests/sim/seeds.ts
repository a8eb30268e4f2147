/**
 * Seeds the simulator runs on every test run. Every seed that ever failed stays here, with a
 * line saying what it found, even after the fix: a seed is a whole scenario (ensemble size,
 * faults, timings), and replaying it guards against the bug coming back. Changes to the code
 * under test change what a seed does, so a seed keeps its value as a varied scenario rather
 * than as an exact reproduction.
 *
 * Replay one with `ZKD_SIM_SEED=<seed> deno test --allow-all tests/sim/` (add
 * ZKD_SIM_TRACE=1 for the whole trace).
 */

export interface SeedCase {
  seed: number;
  /** What the seed found, or what it covers. */
  why: string;
}

export const SEEDS: readonly SeedCase[] = [
  {
    seed: 1,
    why:
      "5 voters, 7 clients; found a simulator bug: an early unpause reordered a stopped member's input",
  },
  { seed: 3, why: "3 voters + observer, power failure, torn WAL tail cut at recovery" },
  // A follower or observer that had not applied a session's createSession yet answered a
  // reconnect with "session expired" (the session was alive): fixed in Replica.#connect.
  {
    seed: 118,
    why: "false session expiry on a lagging follower; later (read-only mode) on a member " +
      "without a leader that had not applied the session: fixed in Replica.#connectReadOnly",
  },
  { seed: 136, why: "false session expiry on a lagging follower" },
  { seed: 218, why: "false session expiry on a follower of a new leader" },
  { seed: 248, why: "false session expiry on a lagging follower" },
  { seed: 518, why: "false session expiry on a lagging follower" },
  { seed: 522, why: "false session expiry on a lagging observer" },
  // A leader that lost its term before its expiry (closeSession) committed kept the session
  // marked closing: never expired again, and refused as expired: fixed in Replica.setRole.
  { seed: 119, why: "session told expired, never closed" },
  { seed: 428, why: "session told expired, never closed" },
  { seed: 217, why: "abandoned session never expired" },
  { seed: 516, why: "abandoned session never expired" },
  // sync forwarded for a session the leader had expired was answered OK although its entry
  // is SESSIONEXPIRED: fixed in Replica.#writeReply.
  { seed: 412, why: "sync answered OK for an expired session" },
  {
    seed: 3054,
    why: "checker bug: a node created and deleted while the client was away fires no catch-up",
  },
  { seed: 4003, why: "read-only mode: members without a leader serve read-only clients" },
  {
    seed: 6029,
    why: "ephemeral created after its session's close: a closeSession and a create held by a " +
      "new leader were released unchecked (fixed in Replica.applyCommitted)",
  },
];

/**
 * Seeds run with ZKD_SIM_RECONFIG=1 (membership changes in about a third of the runs; these
 * are among them). Found while dynamic reconfiguration was being written.
 */
export const RECONFIG_SEEDS: readonly SeedCase[] = [
  {
    seed: 1,
    why: "a self-removed leader flips back to leader in the same term (the removal test " +
      "depends on applied >= commit), restarts its zxid counter: log append out of order",
  },
  { seed: 27, why: "as seed 1: log append out of order after removing the leader" },
  { seed: 89, why: "as seed 1: log append out of order after removing the leader" },
  {
    seed: 59,
    why: "no leader after the heal: pre-candidate one term behind proposed the voter's own " +
      "term forever (fixed in raft.ts; see prevote_liveness_test.ts)",
  },
  { seed: 74, why: "no write within 10 s after the heal (as seed 59)" },
  {
    seed: 7,
    why: "removed members cannot restart; the operator re-adds them one at a time (it also " +
      "caught a leader preparing writes against its session table while applying waited for " +
      "a snapshot being serialised)",
  },
  {
    seed: 6055,
    why: "a member removed, then added back before it caught up, was forgotten by the leader " +
      "once it did (fixed in raft.ts: it is no longer a leaver)",
  },
  { seed: 125, why: "simulator: a reconfig sent before the heal committed after the restore" },
  {
    seed: 30039,
    why: "no leader ever again (at d8ed60e): voters {2,3,5} with 3 far behind; '-2' left " +
      "pending {3,5}; 3, not knowing it is a voter, ignored vote requests (fixed: any member " +
      "answers a candidate its configuration names as a voter)",
  },
  { seed: 40201, why: "simulator: a member that stopped after the heal was not re-added" },
  {
    seed: 20202,
    why: "not reconfig-specific: a SESSIONEXPIRED framed on arrival left behind a pending " +
      "write with an older zxid (fixed in Replica.#enqueueError)",
  },
  {
    seed: 4127303822,
    why: "leader crash (failed CI at a8c0ffd): an append ack committed the reconfig removing " +
      "its sender, which was told and forgotten, then sent to (fixed in #onAppendResp)",
  },
  {
    seed: 410890918,
    why: "a leader waking from a pause expired every session before it read the queued " +
      "messages deposing it, and told a reconnecting client so (fixed: no expiry right after " +
      "a stall)",
  },
  {
    seed: 2291376197,
    why: "writes held while a snapshot was serialised were released before what committed " +
      "meanwhile was applied: a new session's first write got SESSIONEXPIRED",
  },
  {
    seed: 2882078885,
    why: "simulator: a client whose closeSession was cut off reconnected and was told " +
      "'expired' by the leader that had prepared it, which then crashed (the client asked " +
      "for it, as with ZooKeeper; the checker now knows)",
  },
  {
    seed: 3273781266,
    why: "simulator: a member crashed between an injected fsync failure and the fsync, and " +
      "its next process met the failure meant for the old one (MemoryStorage.crash forgets it)",
  },
];
