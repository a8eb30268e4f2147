/**
 * Real ensembles of zkd processes on loopback under client load, with the faults a
 * production ensemble meets: kill -9 of the leader and of a follower, SIGSTOP/SIGCONT,
 * restarts with data kept, and network partitions (per-link TCP proxies). Every test checks
 * from the outside: no acknowledged write is lost, every member ends with the same data,
 * sessions (and their ephemerals) survive a move to another member, and a new leader takes
 * writes quickly (the kill -> first acknowledged write time is printed; the README reports
 * the median).
 */

import assert from "node:assert/strict";
import { ZkClient } from "../../lib/client/client.ts";
import { ZkError } from "../../lib/client/errors.ts";
import { CreateFlag } from "../../lib/proto/ops.ts";
import { Err } from "../../lib/proto/errors.ts";
import { fourLetter } from "../interop/support/net.ts";
import { Ensemble } from "../support/ensemble.ts";
import { sleep } from "../interop/support/procs.ts";
import { RawConn } from "../support/raw_client.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

/** Keeps creating sequential znodes under `dir`; records each acknowledged one with its time. */
class WriteLoad {
  readonly acked: Array<{ path: string; sentAtMs: number; atMs: number }> = [];
  errors = 0;
  #stop = false;
  readonly done: Promise<void>;

  constructor(client: ZkClient, dir: string) {
    this.done = (async () => {
      while (!this.#stop) {
        const sentAtMs = Date.now();
        try {
          const path = await client.create(`${dir}/n-`, "v", {
            mode: CreateFlag.persistentSequential,
          });
          this.acked.push({ path, sentAtMs, atMs: Date.now() });
        } catch (e) {
          if (!(e instanceof ZkError)) throw e;
          this.errors++;
          await sleep(20);
        }
      }
    })();
  }

  /**
   * When the first write sent after `ms` was acknowledged. (A write in flight at `ms` may have
   * been committed by a leader killed at `ms`; it says nothing about the failover.)
   */
  firstAckAfter(ms: number): number | null {
    return this.acked.find((a) => a.sentAtMs > ms)?.atMs ?? null;
  }

  async stop(): Promise<void> {
    this.#stop = true;
    await this.done;
  }
}

async function connect(hosts: string, timeoutMs = 20_000): Promise<ZkClient> {
  return await ZkClient.connect({ hosts, sessionTimeoutMs: 6_000, connectTimeoutMs: timeoutMs });
}

/** Every member's view of `dir` (through a client pinned to that member, after sync). */
async function childrenOnEach(
  e: Ensemble,
  dir: string,
  ids: number[],
): Promise<Map<number, string[]>> {
  const out = new Map<number, string[]>();
  for (const id of ids) {
    const c = await connect(e.connectString([id]));
    try {
      await c.sync(dir);
      out.set(id, (await c.getChildren(dir)).sort());
    } finally {
      await c.close();
    }
  }
  return out;
}

async function assertConverged(
  e: Ensemble,
  dir: string,
  ids: number[],
  acked: string[],
): Promise<void> {
  const views = await childrenOnEach(e, dir, ids);
  const first = views.get(ids[0])!;
  for (const [id, kids] of views) {
    assert.deepEqual(kids, first, `member ${id} differs from member ${ids[0]}`);
  }
  const present = new Set(first.map((k) => `${dir}/${k}`));
  const lost = acked.filter((p) => !present.has(p));
  assert.deepEqual(lost, [], `acknowledged writes lost: ${lost.slice(0, 5).join(", ")}`);
}

Deno.test({
  name: "a 3-member ensemble replicates writes to every member and reports its modes",
  ...opts,
  fn: async () => {
    const e = await Ensemble.start({ participants: 3 });
    try {
      const leader = await e.waitForLeader(10_000);
      const modes = await Promise.all([1, 2, 3].map((id) => e.mode(id)));
      assert.equal(modes.filter((m) => m === "leader").length, 1);
      assert.equal(modes.filter((m) => m === "follower").length, 2);
      for (const id of [1, 2, 3]) {
        const c = await connect(e.connectString([id]));
        await c.create(`/from-${id}`, `written via ${id}`);
        await c.close();
      }
      const views = await childrenOnEach(e, "/", [1, 2, 3]);
      for (const kids of views.values()) {
        assert.deepEqual(kids.filter((k) => k.startsWith("from-")), ["from-1", "from-2", "from-3"]);
      }
      // A client that has seen more than a member holds is refused there (it must go elsewhere).
      const follower = [1, 2, 3].find((id) => id !== leader)!;
      const raw = await RawConn.open(e.member(follower).clientPort);
      const answered = await raw.handshake(3_000, 0x7fff_0000_0000).then(() => true, () => false);
      raw.close();
      assert.equal(answered, false, "a member must refuse a client whose lastZxidSeen is ahead");
    } finally {
      await e.stop();
    }
  },
});

Deno.test({
  name:
    "kill -9 of the leader under load: a new leader takes writes fast, nothing acknowledged is lost, sessions and ephemerals survive",
  ...opts,
  fn: async () => {
    const e = await Ensemble.start({ participants: 3 });
    try {
      const failoversMs: number[] = [];
      const setup = await connect(e.connectString());
      await setup.create("/load", null);
      await setup.close();
      for (let round = 0; round < 2; round++) {
        const leader = await e.waitForLeader(15_000);
        // The watched session lives on a follower so that it survives; the load client may
        // be anywhere (it moves when its member dies).
        const owner = await connect(e.connectString([1, 2, 3].filter((id) => id !== leader)));
        const ephemeral = await owner.create(`/eph-${round}`, "mine", {
          mode: CreateFlag.ephemeral,
        });
        const sessionId = owner.sessionId;
        const client = await connect(e.connectString());
        const load = new WriteLoad(client, "/load");
        await sleep(500);
        const killedAt = Date.now();
        await e.kill(leader);
        const deadline = Date.now() + 15_000;
        while (load.firstAckAfter(killedAt) === null && Date.now() < deadline) await sleep(10);
        const first = load.firstAckAfter(killedAt);
        assert.notEqual(first, null, "no write was acknowledged within 15 s of killing the leader");
        failoversMs.push(first! - killedAt);
        await sleep(300);
        await load.stop();
        // The session of the surviving client is the same one and still owns its ephemeral.
        assert.equal(owner.sessionId, sessionId);
        const st = await owner.exists(ephemeral);
        assert.notEqual(st, null, "ephemeral vanished with the old leader");
        assert.equal(st!.ephemeralOwner, sessionId);
        await e.startMember(leader);
        await e.waitForLeader(15_000);
        const alive = [1, 2, 3];
        await assertConverged(e, "/load", alive, load.acked.map((a) => a.path));
        await client.close();
        await owner.close();
      }
      console.log(
        `failover (kill -9 leader -> first acknowledged write): ${failoversMs.join(", ")} ms`,
      );
      assert.ok(failoversMs.every((ms) => ms < 10_000));
    } finally {
      await e.stop();
    }
  },
});

Deno.test({
  name: "kill -9 of a follower and its restart with data kept: writes go on, it catches up",
  ...opts,
  fn: async () => {
    const e = await Ensemble.start({ participants: 3 });
    try {
      const leader = await e.waitForLeader(10_000);
      const follower = [1, 2, 3].find((id) => id !== leader)!;
      const c = await connect(e.connectString([leader]));
      await c.create("/f", null);
      const load = new WriteLoad(c, "/f");
      await sleep(300);
      await e.kill(follower);
      const before = load.acked.length;
      await sleep(700);
      assert.ok(load.acked.length > before, "writes stopped with one follower down");
      await e.startMember(follower);
      await sleep(700);
      await load.stop();
      await assertConverged(e, "/f", [1, 2, 3], load.acked.map((a) => a.path));
      await c.close();
    } finally {
      await e.stop();
    }
  },
});

Deno.test({
  name:
    "SIGSTOP of the leader: the others elect a new one; after SIGCONT the old leader follows and agrees",
  ...opts,
  fn: async () => {
    const e = await Ensemble.start({ participants: 3 });
    try {
      const leader = await e.waitForLeader(10_000);
      const others = [1, 2, 3].filter((id) => id !== leader);
      const c = await connect(e.connectString(others));
      await c.create("/s", null);
      const load = new WriteLoad(c, "/s");
      await sleep(300);
      e.signal(leader, "SIGSTOP");
      const newLeader = await e.waitForLeader(15_000, [leader]);
      assert.notEqual(newLeader, leader);
      await sleep(500);
      e.signal(leader, "SIGCONT");
      await sleep(1_000);
      await load.stop();
      assert.equal(await e.waitForLeader(10_000), newLeader);
      assert.equal(await e.mode(leader), "follower");
      await assertConverged(e, "/s", [1, 2, 3], load.acked.map((a) => a.path));
      await c.close();
    } finally {
      await e.stop();
    }
  },
});

Deno.test({
  name:
    "partitions: an isolated leader stops serving, the majority goes on, one-way cuts heal, all converge",
  ...opts,
  fn: async () => {
    const e = await Ensemble.start({ participants: 3, proxied: true });
    try {
      const leader = await e.waitForLeader(10_000);
      const others = [1, 2, 3].filter((id) => id !== leader);
      const c = await connect(e.connectString(others));
      await c.create("/p", null);
      const load = new WriteLoad(c, "/p");
      await sleep(300);
      e.isolate(leader);
      const newLeader = await e.waitForLeader(15_000, [leader]);
      assert.notEqual(newLeader, leader);
      // Check-quorum: the cut-off leader steps down and stops serving clients.
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && (await e.mode(leader)) !== null) await sleep(50);
      assert.equal(await e.mode(leader), null, "an isolated leader must stop serving");
      const during = load.acked.length;
      await sleep(500);
      assert.ok(load.acked.length > during, "the majority side must keep taking writes");
      e.isolate(leader, false);
      // One-way cut: the new leader cannot reach one follower, but that follower can reach
      // it. Pre-vote keeps the follower from disrupting the leader; once healed it catches up.
      const follower = [1, 2, 3].find((id) => id !== newLeader)!;
      e.cut(newLeader, follower);
      await sleep(1_000);
      e.cut(newLeader, follower, false);
      await sleep(1_000);
      await load.stop();
      await e.waitForLeader(10_000);
      await assertConverged(e, "/p", [1, 2, 3], load.acked.map((a) => a.path));
      await c.close();
    } finally {
      await e.stop();
    }
  },
});

Deno.test({
  name:
    "a write forwarded on a broken link to the leader fails at once with CONNECTIONLOSS, not after the read timeout",
  ...opts,
  fn: async () => {
    // A 30 s session: the client's read timeout is 20 s, so a lost forward that held its
    // replies (and pings) would show as 20 s of silence.
    const e = await Ensemble.start({
      participants: 3,
      proxied: true,
      cfg: { maxSessionTimeout: "30000" },
    });
    try {
      const leader = await e.waitForLeader(10_000);
      const follower = [1, 2, 3].find((id) => id !== leader)!;
      const c = await ZkClient.connect({
        hosts: e.connectString([follower]),
        sessionTimeoutMs: 30_000,
        connectTimeoutMs: 20_000,
      });
      await c.create("/lost", null);
      // Only the follower -> leader direction: the follower still hears its leader, stays a
      // follower and keeps its clients, but what it forwards cannot arrive.
      e.cut(follower, leader);
      await sleep(300);
      const sentAtMs = Date.now();
      const err = await c.create("/lost/a", "v").then(() => null, (x) => x);
      const failedAfterMs = Date.now() - sentAtMs;
      assert.ok(err instanceof ZkError, `expected a ZkError, got ${err}`);
      assert.equal(err.code, Err.CONNECTIONLOSS);
      assert.ok(failedAfterMs < 5_000, `CONNECTIONLOSS came after ${failedAfterMs} ms`);
      e.cut(follower, leader, false);
      const deadline = Date.now() + 15_000;
      let created = false;
      while (!created && Date.now() < deadline) {
        created = await c.create("/lost/b", "v").then(() => true, async (x) => {
          if (!(x instanceof ZkError)) throw x;
          if (x.code === Err.NODEEXISTS) return true; // an earlier try committed
          await sleep(100);
          return false;
        });
      }
      assert.ok(created, "writes through the follower must resume once the link is back");
      await assertConverged(e, "/lost", [1, 2, 3], ["/lost/b"]);
      await c.close();
    } finally {
      await e.stop();
    }
  },
});

Deno.test({
  name:
    "a follower that lost its data catches up from a snapshot the leader serialises while writes go on",
  ...opts,
  fn: async () => {
    // Small snapCount: members snapshot often, and after a restart a leader's log starts at
    // its snapshot, so a member with nothing needs the snapshot, not the log.
    const e = await Ensemble.start({ participants: 3, cfg: { snapCount: "400" } });
    try {
      let c = await connect(e.connectString());
      await c.create("/s", null);
      const first: Promise<string>[] = [];
      for (let i = 0; i < 3_000; i++) first.push(c.create(`/s/a${i}`, "v"));
      await Promise.all(first);
      await c.close();
      for (const id of [1, 2, 3]) await e.kill(id);
      for (const id of [1, 2, 3]) await e.startMember(id);
      const leader = await e.waitForLeader(15_000);
      const follower = [1, 2, 3].find((id) => id !== leader)!;
      await e.kill(follower);
      const dataDir = e.member(follower).dataDir;
      for await (const entry of Deno.readDir(dataDir)) {
        if (entry.name !== "myid") {
          await Deno.remove(`${dataDir}/${entry.name}`, { recursive: true });
        }
      }
      c = await connect(e.connectString([leader]));
      const load = new WriteLoad(c, "/s");
      await e.startMember(follower);
      // Caught up: the follower serves the znodes it had lost.
      const deadline = Date.now() + 30_000;
      let count = -1;
      while (Date.now() < deadline) {
        const f = await connect(e.connectString([follower])).catch(() => null);
        count = f === null
          ? -1
          : await f.exists("/s").then((st) => st?.numChildren ?? -1, () => -1);
        await f?.close();
        if (count >= 3_000) break;
        await sleep(200);
      }
      assert.ok(count >= 3_000, `the follower has ${count} of the 3000 znodes`);
      const leaderLog = await Deno.readTextFile(e.member(leader).logPath);
      assert.match(leaderLog, /snapshot at 0x[0-9a-f]+ for members behind the log/);
      await load.stop();
      await assertConverged(e, "/s", [1, 2, 3], load.acked.map((a) => a.path));
      await c.close();
    } finally {
      await e.stop();
    }
  },
});

Deno.test({
  name: "a 5-member ensemble with an observer survives two failures, stops at three, and recovers",
  ...opts,
  fn: async () => {
    const e = await Ensemble.start({ participants: 5, observers: 1 });
    try {
      const leader = await e.waitForLeader(15_000);
      const until = Date.now() + 10_000;
      while (Date.now() < until && (await e.mode(6)) !== "observer") await sleep(50);
      assert.equal(await e.mode(6), "observer");
      const c = await connect(e.connectString([6]));
      await c.create("/five", null);
      const load = new WriteLoad(c, "/five");
      const followers = [1, 2, 3, 4, 5].filter((id) => id !== leader);
      await e.kill(followers[0]);
      await e.kill(followers[1]);
      await sleep(500);
      const withTwoDown = load.acked.length;
      await sleep(500);
      assert.ok(load.acked.length > withTwoDown, "3 of 5 voters must still commit");
      await e.kill(followers[2]);
      await sleep(1_500); // the leader loses its quorum and steps down
      const stalled = load.acked.length;
      await sleep(1_000);
      assert.ok(load.acked.length <= stalled + 1, "2 of 5 voters must not commit");
      await e.startMember(followers[0]);
      await e.startMember(followers[1]);
      await e.startMember(followers[2]);
      await e.waitForLeader(20_000);
      const healed = load.acked.length;
      const resumeBy = Date.now() + 15_000;
      while (load.acked.length === healed && Date.now() < resumeBy) await sleep(50);
      assert.ok(load.acked.length > healed, "writes must resume once a quorum is back");
      await load.stop();
      await assertConverged(e, "/five", [1, 2, 3, 4, 5, 6], load.acked.map((a) => a.path));
      await c.close();
    } finally {
      await e.stop();
    }
  },
});

Deno.test({
  name:
    "readonlymode.enabled: a member cut off from the quorum serves reads to read-only clients and refuses writes with NOTREADONLY",
  ...opts,
  fn: async () => {
    const e = await Ensemble.start({ participants: 3, cfg: { "readonlymode.enabled": "true" } });
    try {
      const writer = await connect(e.connectString());
      await writer.create("/ro", "before the split");
      await writer.close();
      const leader = await e.waitForLeader(10_000);
      const survivor = [1, 2, 3].find((id) => id !== leader)!;
      for (const id of [1, 2, 3]) if (id !== survivor) await e.kill(id);
      const port = e.member(survivor).clientPort;
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && (await e.mode(survivor)) !== "read-only") await sleep(50);
      assert.equal(await e.mode(survivor), "read-only");
      assert.equal(await fourLetter(port, "isro"), "ro");
      const ro = await ZkClient.connect({
        hosts: `127.0.0.1:${port}`,
        readOnly: true,
        sessionTimeoutMs: 6_000,
        connectTimeoutMs: 10_000,
      });
      const { data } = await ro.getData("/ro");
      assert.equal(new TextDecoder().decode(data!), "before the split");
      await assert.rejects(
        () => ro.create("/ro/new", "x"),
        (err: unknown) => err instanceof ZkError && err.code === Err.NOTREADONLY,
      );
      await ro.close();
      // A client that does not accept a read-only server is turned away.
      const rw = ZkClient.connect({
        hosts: `127.0.0.1:${port}`,
        sessionTimeoutMs: 6_000,
        connectTimeoutMs: 2_000,
        connectAttemptsMax: 3,
      });
      await assert.rejects(rw);
    } finally {
      await e.stop();
    }
  },
});

Deno.test({
  name:
    "sessions through the log: pings seen by a follower keep a session alive on the leader; a dead client's ephemerals go everywhere",
  ...opts,
  fn: async () => {
    const e = await Ensemble.start({ participants: 3 });
    try {
      const leader = await e.waitForLeader(10_000);
      const follower = [1, 2, 3].find((id) => id !== leader)!;
      // tickTime 200: a 4 s session; the client pings its follower, never the leader.
      const idle = await ZkClient.connect({
        hosts: e.connectString([follower]),
        sessionTimeoutMs: 4_000,
        connectTimeoutMs: 10_000,
      });
      await idle.create("/alive", "x", { mode: CreateFlag.ephemeral });
      // A client in another process, killed with SIGKILL: no closeSession ever comes, so the
      // leader must expire its session from the missing pings.
      const holder = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-net",
          new URL("../support/ephemeral_holder.ts", import.meta.url).pathname,
          e.connectString([follower]),
          "/doomed",
          "4000",
        ],
        stdout: "piped",
        stderr: "inherit",
      }).spawn();
      const reader = holder.stdout.getReader();
      const first = await reader.read();
      assert.match(new TextDecoder().decode(first.value), /ready/);
      holder.kill("SIGKILL");
      await holder.status;
      reader.releaseLock();
      await holder.stdout.cancel().catch(() => {});
      await sleep(6_000);
      for (const id of [1, 2, 3]) {
        const c = await connect(e.connectString([id]));
        await c.sync("/");
        assert.notEqual(await c.exists("/alive"), null, `member ${id} lost a live session's node`);
        assert.equal(
          await c.exists("/doomed"),
          null,
          `member ${id} kept an expired session's node`,
        );
        await c.close();
      }
      await idle.close();
    } finally {
      await e.stop();
    }
  },
});

Deno.test({
  name: "SIGTERM of the leader hands leadership over before it exits 0",
  ...opts,
  fn: async () => {
    const e = await Ensemble.start({ participants: 3 });
    try {
      const leader = await e.waitForLeader(10_000);
      const c = await connect(e.connectString([1, 2, 3].filter((id) => id !== leader)));
      await c.create("/t", null);
      const load = new WriteLoad(c, "/t");
      await sleep(300);
      const stoppedAt = Date.now();
      const status = await e.member(leader).proc!.stop(10_000);
      assert.equal(status.code, 0, "a stopped leader exits 0");
      const newLeader = await e.waitForLeader(10_000, [leader]);
      assert.notEqual(newLeader, leader);
      const deadline = Date.now() + 10_000;
      while (load.firstAckAfter(stoppedAt) === null && Date.now() < deadline) await sleep(10);
      assert.notEqual(load.firstAckAfter(stoppedAt), null);
      await load.stop();
      await e.startMember(leader);
      await e.waitForLeader(10_000);
      await assertConverged(e, "/t", [1, 2, 3], load.acked.map((a) => a.path));
      await c.close();
    } finally {
      await e.stop();
    }
  },
});
