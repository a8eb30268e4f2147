/**
 * Dynamic reconfiguration of real zkd ensembles under client load: grow 3 -> 5, shrink back
 * removing the leader, swap a member, turn a participant into an observer and back, then
 * restart every member and find the same membership. Clients read /zookeeper/config (and a
 * watch on it fires) at each change; nothing acknowledged is lost.
 */

import assert from "node:assert/strict";
import { ZkClient } from "../../lib/client/client.ts";
import { ZkError } from "../../lib/client/errors.ts";
import { CreateFlag } from "../../lib/proto/ops.ts";
import { Err } from "../../lib/proto/errors.ts";
import { Ensemble } from "../support/ensemble.ts";
import { sleep } from "../interop/support/procs.ts";
import { SUPER_DIGEST } from "../interop/support/apache_zk.ts";
import { fourLetter, freePort } from "../interop/support/net.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const RECONFIG_CFG = {
  reconfigEnabled: "true",
  "DigestAuthenticationProvider.superDigest": SUPER_DIGEST,
};

async function superClient(hosts: string): Promise<ZkClient> {
  const c = await ZkClient.connect({ hosts, sessionTimeoutMs: 8_000, connectTimeoutMs: 20_000 });
  await c.addAuth("digest", "super:admin");
  return c;
}

/** server ids -> role in a /zookeeper/config text, and its version. */
function parseConfig(data: Uint8Array | null): { members: Map<number, string>; version: number } {
  const members = new Map<number, string>();
  let version = -1;
  for (const line of new TextDecoder().decode(data ?? new Uint8Array()).split("\n")) {
    const m = /^server\.(\d+)=[^;]*:(participant|observer)/.exec(line);
    if (m) members.set(Number(m[1]), m[2]);
    const v = /^version=([0-9a-f]+)$/.exec(line);
    if (v) version = parseInt(v[1], 16);
  }
  return { members, version };
}

async function configOn(e: Ensemble, id: number): Promise<ReturnType<typeof parseConfig>> {
  const c = await ZkClient.connect({ hosts: e.connectString([id]), connectTimeoutMs: 20_000 });
  try {
    await c.sync("/zookeeper/config");
    return parseConfig((await c.getData("/zookeeper/config")).data);
  } finally {
    await c.close();
  }
}

/** Writes until stopped; returns the acknowledged paths. */
function load(client: ZkClient, dir: string): { stop(): Promise<string[]> } {
  const acked: string[] = [];
  let stopped = false;
  const done = (async () => {
    while (!stopped) {
      try {
        acked.push(
          await client.create(`${dir}/n-`, "v", { mode: CreateFlag.persistentSequential }),
        );
      } catch (e) {
        if (!(e instanceof ZkError)) throw e;
        await sleep(20);
      }
    }
  })();
  return {
    async stop() {
      stopped = true;
      await done;
      return acked;
    },
  };
}

/**
 * A reconfig that a just-joined member may not be ready for yet: NEWCONFIGNOQUORUM (the new
 * voters' synced ones are no majority) is retried for a while, as an operator would.
 */
async function reconfigWhenSynced(
  client: ZkClient,
  change: Parameters<ZkClient["reconfig"]>[0],
): Promise<ReturnType<typeof parseConfig>> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      return parseConfig((await client.reconfig(change, -1)).data);
    } catch (e) {
      if (!(e instanceof ZkError) || e.code !== Err.NEWCONFIGNOQUORUM || Date.now() > deadline) {
        throw e;
      }
      await sleep(200);
    }
  }
}

async function waitMode(e: Ensemble, id: number, modes: (string | null)[], timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  let last: string | null = null;
  while (Date.now() < deadline) {
    last = await e.mode(id);
    if (modes.includes(last)) return last;
    await sleep(50);
  }
  throw new Error(`member ${id} is ${last}, expected ${modes.join("|")}`);
}

Deno.test({
  name:
    "reconfig: grow 3 -> 5 under load, shrink to 3 removing the leader, swap and demote, restart all",
  ...opts,
  fn: async () => {
    const e = await Ensemble.start({ participants: 3, spares: 3, cfg: RECONFIG_CFG });
    try {
      const admin = await superClient(e.connectString([1, 2, 3]));
      const watcher = await ZkClient.connect({ hosts: e.connectString([1, 2, 3]) });
      let configEvents = 0;
      const watchConfig = () =>
        watcher.getData("/zookeeper/config", () => {
          configEvents++;
          watchConfig().catch(() => {});
        });
      await watchConfig();
      const writer = await ZkClient.connect({
        hosts: e.connectString([1, 2, 3]),
        sessionTimeoutMs: 8_000,
      });
      await writer.create("/r", null);
      const w = load(writer, "/r");

      // Grow: 4 and 5 start (they know the ensemble), then join through reconfig.
      await e.startMember(4);
      await e.startMember(5);
      const before = await configOn(e, 1);
      assert.deepEqual([...before.members.keys()].sort(), [1, 2, 3]);
      // As ZooKeeper (ZOOKEEPER-1783): the first leader establishes the initial configuration
      // under its epoch zxid (0x<epoch>00000000) instead of version 0.
      assert.ok(before.version > 0 && before.version % 2 ** 32 === 0, `version ${before.version}`);
      const grown = await admin.reconfig(
        { joining: `${e.joinSpec(4)},${e.joinSpec(5)}` },
        before.version,
      );
      const g = parseConfig(grown.data);
      assert.deepEqual([...g.members.keys()].sort(), [1, 2, 3, 4, 5]);
      assert.equal(g.version, grown.stat.mzxid, "the version is the reconfig's zxid");
      await waitMode(e, 4, ["follower"]);
      await waitMode(e, 5, ["follower"]);
      for (const id of [1, 2, 3, 4, 5]) {
        assert.deepEqual((await configOn(e, id)).version, g.version, `member ${id} config`);
      }

      // A stale version is refused; a second change needs the current one.
      await assert.rejects(
        () => admin.reconfig({ leaving: "5" }, before.version),
        (err: unknown) => err instanceof ZkError && err.code === Err.BADVERSION,
      );

      // Shrink to 3, removing the leader (and one more).
      const leader = await e.waitForLeader(10_000);
      const other = [1, 2, 3].find((id) => id !== leader)!;
      const remaining = [1, 2, 3, 4, 5].filter((id) => id !== leader && id !== other);
      // Asked through a member that stays: the removed ones stop serving their clients.
      const stayer = await superClient(e.connectString(remaining));
      const shrunk = parseConfig(
        (await stayer.reconfig({ leaving: `${leader},${other}` }, -1)).data,
      );
      await stayer.close();
      assert.deepEqual([...shrunk.members.keys()].sort(), remaining);
      const newLeader = await e.waitForLeader(15_000, [leader, other]);
      assert.ok(remaining.includes(newLeader));
      await waitMode(e, leader, [null]);
      await waitMode(e, other, [null]);

      // Swap one member for the spare (6 in, one of the remaining out), all at once.
      await e.startMember(6);
      const out = remaining.find((id) => id !== newLeader)!;
      const kept = remaining.filter((id) => id !== out);
      const adminOn = await superClient(e.connectString(kept));
      const swapped = parseConfig(
        (await adminOn.reconfig({ joining: e.joinSpec(6), leaving: String(out) }, -1)).data,
      );
      assert.deepEqual([...swapped.members.keys()].sort(), [...kept, 6].sort());
      await waitMode(e, 6, ["follower", "leader"]);

      // Participant -> observer -> participant.
      const flip = kept.find((id) => id !== newLeader)!;
      const asObserver = await reconfigWhenSynced(adminOn, {
        joining: e.joinSpec(flip, "observer"),
      });
      assert.equal(asObserver.members.get(flip), "observer");
      await waitMode(e, flip, ["observer"]);
      const back = await reconfigWhenSynced(adminOn, { joining: e.joinSpec(flip) });
      assert.equal(back.members.get(flip), "participant");
      await waitMode(e, flip, ["follower", "leader"]);

      const finalMembers = [...back.members.keys()].sort();
      const acked = await w.stop();
      await writer.close();
      await admin.close();
      await adminOn.close();
      assert.ok(configEvents >= 1, "a watch on /zookeeper/config never fired");
      await watcher.close();

      // Restart every member of the final configuration: same membership, same data.
      for (const id of finalMembers) await e.kill(id);
      for (const id of finalMembers) await e.startMember(id);
      await e.waitForLeader(20_000, [1, 2, 3, 4, 5, 6].filter((id) => !finalMembers.includes(id)));
      for (const id of finalMembers) {
        const c = await configOn(e, id);
        assert.deepEqual([...c.members.keys()].sort(), finalMembers, `member ${id} after restart`);
        assert.equal(c.version, back.version);
      }
      const check = await ZkClient.connect({ hosts: e.connectString(finalMembers) });
      await check.sync("/r");
      const present = new Set((await check.getChildren("/r")).map((k) => `/r/${k}`));
      const lost = acked.filter((p) => !present.has(p));
      assert.deepEqual(lost, [], "acknowledged writes lost across reconfigs");
      await check.close();
    } finally {
      await e.stop();
    }
  },
});

Deno.test({
  name:
    "reconfig: a member given a new client port moves its listener at once, keeps open connections, and keeps the port after a restart",
  ...opts,
  fn: async () => {
    const e = await Ensemble.start({ participants: 3, cfg: RECONFIG_CFG });
    try {
      await e.waitForLeader(10_000);
      const moved = e.member(3);
      const oldPort = moved.clientPort;
      const stay = await ZkClient.connect({
        hosts: e.connectString([3]),
        connectTimeoutMs: 20_000,
      });
      await stay.create("/moved", "here");
      const admin = await superClient(e.connectString([1, 2]));
      const newPort = freePort();
      const spec = `server.3=127.0.0.1:${moved.quorumPort}:${moved.electionPort}:participant;` +
        `127.0.0.1:${newPort}`;
      const reply = parseConfig((await admin.reconfig({ joining: spec }, -1)).data);
      assert.deepEqual([...reply.members.keys()].sort(), [1, 2, 3]);
      moved.clientPort = newPort;

      // ZooKeeper moves the listener when the member applies the change (cnxnFactory.reconfigure).
      const deadline = Date.now() + 10_000;
      let via: ZkClient | null = null;
      while (via === null && Date.now() < deadline) {
        via = await ZkClient.connect({
          hosts: `127.0.0.1:${newPort}`,
          connectTimeoutMs: 1_000,
          reconnect: false,
        }).catch(() => null);
        if (via === null) await sleep(100);
      }
      assert.ok(via !== null, `member 3 never listened on its new client port ${newPort}`);
      await via.sync("/moved");
      assert.equal(new TextDecoder().decode((await via.getData("/moved")).data!), "here");
      await via.close();
      const refused = await Deno.connect({ hostname: "127.0.0.1", port: oldPort }).then(
        (c) => {
          c.close();
          return false;
        },
        (err) => err instanceof Deno.errors.ConnectionRefused,
      );
      assert.ok(refused, `member 3 still accepts on its old client port ${oldPort}`);
      assert.match(await fourLetter(newPort, "conf"), new RegExp(`^clientPort=${newPort}$`, "m"));
      // The connection opened before the move is the same session, still served.
      await stay.setData("/moved", "still here");
      await stay.close();

      // The rewritten zoo.cfg and its dynamic file carry the new port across a restart.
      await e.kill(3);
      await e.startMember(3);
      await waitMode(e, 3, ["follower", "leader"]);
      assert.equal((await configOn(e, 3)).version, reply.version);
      await admin.close();
    } finally {
      await e.stop();
    }
  },
});

Deno.test({
  name:
    "reconfig errors: NOAUTH without super, BADARGUMENTS, NEWCONFIGNOQUORUM, RECONFIGDISABLED when off",
  ...opts,
  fn: async () => {
    const e = await Ensemble.start({ participants: 3, spares: 2, cfg: RECONFIG_CFG });
    try {
      const plain = await ZkClient.connect({ hosts: e.connectString([1, 2, 3]) });
      const code = (p: Promise<unknown>) =>
        p.then(() => Err.OK, (err) => err instanceof ZkError ? err.code : Promise.reject(err));
      assert.equal(await code(plain.reconfig({ leaving: "3" })), Err.NOAUTH);
      const admin = await superClient(e.connectString([1, 2, 3]));
      assert.equal(await code(admin.reconfig({ joining: "server.4=nonsense" })), Err.BADARGUMENTS);
      assert.equal(
        await code(admin.reconfig({ joining: "server.4=127.0.0.1:1:2:participant" })),
        Err.BADARGUMENTS,
        "a joiner without a client port",
      );
      assert.equal(
        await code(admin.reconfig({ leaving: "1,2" })),
        Err.BADARGUMENTS,
        "one voter left",
      );
      // 4 and 5 are not running: a new configuration of 1,4,5 has no synced majority.
      assert.equal(
        await code(
          admin.reconfig({ joining: `${e.joinSpec(4)},${e.joinSpec(5)}`, leaving: "2,3" }),
        ),
        Err.NEWCONFIGNOQUORUM,
      );
      await plain.close();
      await admin.close();
    } finally {
      await e.stop();
    }
    const off = await Ensemble.start({ participants: 3 });
    try {
      const c = await superClient(off.connectString());
      await assert.rejects(
        () => c.reconfig({ leaving: "3" }),
        (err: unknown) => err instanceof ZkError && err.code === Err.RECONFIGDISABLED,
      );
      await c.close();
    } finally {
      await off.stop();
    }
  },
});
