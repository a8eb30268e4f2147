// Dynamic reconfiguration through the real Apache Java client's admin API
// (ZooKeeperAdmin.reconfigure, ZooKeeper.getConfig with a watch; ZkProbe's `reconfig` and
// `getconfig`), against a 3-member Apache ZooKeeper 3.8 ensemble and a 3-member zkd ensemble,
// each with two spare members (started later, their zoo.cfg listing the ensemble plus
// themselves). The same requests go to both, in the same order, and the normalized replies must
// be the same: error codes, the returned configuration text (ports, versions and times named),
// its Stat, and the watch events. Where zkd differs on purpose or by a known gap, the line is
// listed as a deviation with the reason.

import assert from "node:assert/strict";
import { Ensemble } from "../support/ensemble.ts";
import { SUPER_DIGEST } from "./support/apache_zk.ts";
import {
  applyDeviations,
  assertProbeOk,
  type Deviation,
  expectLines,
  interopTest,
} from "./support/differential.ts";
import { type ProbeRun, runProbe } from "./support/java_probe.ts";
import { sleep, tailFile } from "./support/procs.ts";

const RECONFIG_CFG = {
  reconfigEnabled: "true",
  "DigestAuthenticationProvider.superDigest": SUPER_DIGEST,
};

/** Runs `script(e)` against both ensembles; the Apache run is checked by `checkApache` first. */
async function expectSameReconfig(
  pair: { zk: Ensemble; zkd: Ensemble },
  script: (e: Ensemble) => string,
  checkApache: (run: ProbeRun) => void,
  deviations: Deviation[] = [],
): Promise<{ apache: ProbeRun; zkd: ProbeRun }> {
  const serving = (e: Ensemble) => e.members.filter((m) => !m.spare).map((m) => m.id);
  const apache = await runProbe(pair.zk.connectString(serving(pair.zk)), script(pair.zk));
  assertProbeOk(apache, "Apache ZooKeeper");
  checkApache(apache);
  const zkd = await runProbe(pair.zkd.connectString(serving(pair.zkd)), script(pair.zkd));
  assertProbeOk(zkd, "zkd");
  const expected = applyDeviations(apache.text, deviations);
  try {
    assert.equal(zkd.text, expected);
  } catch (e) {
    if (e instanceof Error) {
      const tails = await Promise.all(
        pair.zkd.members.map(async (m) =>
          `--- zkd member ${m.id}\n${await tailFile(m.logPath, 1500)}`
        ),
      );
      e.message += `\n(actual = zkd, expected = Apache ZooKeeper 3.8)\n${tails.join("\n")}`;
    }
    throw e;
  }
  return { apache, zkd };
}

/** The server.N=... spec of member `id` without its client part (what a joiner must not lack). */
function specWithoutClient(e: Ensemble, id: number): string {
  const m = e.member(id);
  return `server.${id}=127.0.0.1:${m.quorumPort}:${m.electionPort}:participant`;
}

/** Member `id`'s quorum spec and client part, for specs with an unusual key. */
function value(e: Ensemble, id: number, role = "participant"): string {
  const m = e.member(id);
  return `127.0.0.1:${m.quorumPort}:${m.electionPort}:${role};127.0.0.1:${m.clientPort}`;
}

async function startPair(cfg: Record<string, string>, spares: number) {
  const [zk, zkd] = await Promise.allSettled([
    Ensemble.start({ kind: "zk", participants: 3, spares, cfg }),
    Ensemble.start({ kind: "zkd", participants: 3, spares, cfg }),
  ]);
  if (zk.status === "rejected" || zkd.status === "rejected") {
    for (const r of [zk, zkd]) if (r.status === "fulfilled") await r.value.stop();
    throw zk.status === "rejected" ? zk.reason : (zkd as PromiseRejectedResult).reason;
  }
  return { zk: zk.value, zkd: zkd.value };
}

async function waitFor(what: string, cond: () => Promise<boolean>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

// ---------------------------------------------------------------------------------------------

interopTest(
  "reconfig without reconfigEnabled: RECONFIGDISABLED before any other check",
  async () => {
    const pair = await startPair({ "DigestAuthenticationProvider.superDigest": SUPER_DIGEST }, 0);
    try {
      await expectSameReconfig(
        pair,
        (e) =>
          `conn P
        reconfig remove=3
        reconfig add=server.4=nonsense from=1
        conn S
        addauth digest super:admin
        reconfig remove=3
        reconfig add=server.4=nonsense
        reconfig members=${e.joinSpec(1)},${e.joinSpec(2)}
        getconfig`,
        (run) =>
          expectLines(run, [
            { cmd: "reconfig", conn: "P", remove: "3", rc: "RECONFIGDISABLED" },
            { cmd: "reconfig", conn: "P", from: "1", rc: "RECONFIGDISABLED" },
            { cmd: "reconfig", conn: "S", remove: "3", rc: "RECONFIGDISABLED" },
            { cmd: "reconfig", conn: "S", rc: "RECONFIGDISABLED" },
            { cmd: "reconfig", conn: "S", rc: "RECONFIGDISABLED" },
            // Without reconfig the static configuration keeps version 0 in ZooKeeper too.
            {
              cmd: "getconfig",
              rc: "OK",
              config: [1, 2, 3].map((id) => `server.${id}=127.0.0.1:<q${id}>:<e${id}>:participant`)
                .concat("version=0"),
              stat: { version: -1, mzxid: 0 },
            },
          ]),
      );
    } finally {
      await Promise.all([pair.zk.stop(), pair.zkd.stop()]);
    }
  },
);

// The main pair (reconfigEnabled, a super user, two spares) serves the remaining tests in order.
let main: Promise<{ zk: Ensemble; zkd: Ensemble }> | undefined;
const mainPair = () => main ??= startPair(RECONFIG_CFG, 2);
Deno.test.afterAll(async () => {
  if (main === undefined) return;
  const pair = await main.catch(() => null);
  if (pair !== null) await Promise.all([pair.zk.stop(), pair.zkd.stop()]);
});

interopTest(
  "reconfig errors: NOAUTH, BADVERSION, BADARGUMENTS, MARSHALLINGERROR, NEWCONFIGNOQUORUM; nothing changes",
  async () => {
    await expectSameReconfig(
      await mainPair(),
      (e) => {
        const all = [1, 2, 3].map((id) => e.joinSpec(id)).join(",");
        return `conn P
        getconfig
        # Valid changes from a client without WRITE on /zookeeper/config: NOAUTH, checked last.
        reconfig remove=3
        reconfig remove=3 from=last
        reconfig add=${e.joinSpec(4, "observer")}
        reconfig members=${e.joinSpec(1)},${e.joinSpec(2)}
        # Everything else comes first: the version, the arguments, the synced quorum.
        reconfig remove=3 from=1
        reconfig add=server.4=nonsense
        reconfig add=${specWithoutClient(e, 4)}
        reconfig add=server.4=${value(e, 4, "bogus")}
        reconfig add=server.4=127.0.0.1:${e.member(4).quorumPort}:${
          e.member(4).quorumPort
        }:participant;127.0.0.1:${e.member(4).clientPort}
        reconfig members=${all},foo.4=${value(e, 4)}
        reconfig remove=1,2
        reconfig add=${e.joinSpec(4)},${e.joinSpec(5)} remove=2,3
        # Server ids go through Java's Long.parseLong: what it rejects is MARSHALLINGERROR.
        reconfig remove=x
        reconfig "remove=3, x"
        reconfig remove=99999999999999999999
        reconfig add=server.x=${value(e, 4)}
        reconfig members=${all},server.x=${value(e, 4)}
        reconfig remove=+3
        reconfig add=foo.4=${value(e, 4)}
        reconfig add=server.4==${value(e, 4)}
        reconfig add=server.-4=${value(e, 4)}
        conn S
        addauth digest super:admin
        reconfig remove=3 from=1
        reconfig add=server.4=nonsense
        reconfig add=${specWithoutClient(e, 4)}
        reconfig remove=1,2
        reconfig remove=1,2,3
        reconfig remove=x
        reconfig add=${e.joinSpec(4)},${e.joinSpec(5)} remove=2,3
        reconfig members=${e.joinSpec(1)},${e.joinSpec(4)},${e.joinSpec(5)}
        getconfig`;
      },
      (run) =>
        expectLines(run, [
          { cmd: "getconfig", rc: "OK", stat: { version: -1, mzxid: "e1", aversion: -1 } },
          { cmd: "reconfig", conn: "P", rc: "NOAUTH" },
          { cmd: "reconfig", conn: "P", from: "last", rc: "NOAUTH" },
          { cmd: "reconfig", conn: "P", rc: "NOAUTH" },
          { cmd: "reconfig", conn: "P", rc: "NOAUTH" },
          { cmd: "reconfig", conn: "P", from: "1", rc: "BADVERSION" },
          { cmd: "reconfig", conn: "P", add: ["server.4=nonsense"], rc: "BADARGUMENTS" },
          { cmd: "reconfig", conn: "P", rc: "BADARGUMENTS" },
          { cmd: "reconfig", conn: "P", rc: "BADARGUMENTS" },
          { cmd: "reconfig", conn: "P", rc: "BADARGUMENTS" },
          { cmd: "reconfig", conn: "P", rc: "BADARGUMENTS" },
          { cmd: "reconfig", conn: "P", remove: "1,2", rc: "BADARGUMENTS" },
          { cmd: "reconfig", conn: "P", remove: "2,3", rc: "NEWCONFIGNOQUORUM" },
          { cmd: "reconfig", conn: "P", remove: "x", rc: "MARSHALLINGERROR" },
          { cmd: "reconfig", conn: "P", rc: "MARSHALLINGERROR" },
          { cmd: "reconfig", conn: "P", rc: "MARSHALLINGERROR" },
          { cmd: "reconfig", conn: "P", rc: "MARSHALLINGERROR" },
          { cmd: "reconfig", conn: "P", rc: "MARSHALLINGERROR" },
          { cmd: "reconfig", conn: "P", remove: "+3", rc: "NOAUTH" },
          { cmd: "reconfig", conn: "P", rc: "NOAUTH" },
          { cmd: "reconfig", conn: "P", rc: "NOAUTH" },
          { cmd: "reconfig", conn: "P", rc: "NOAUTH" },
          { cmd: "reconfig", conn: "S", from: "1", rc: "BADVERSION" },
          { cmd: "reconfig", conn: "S", rc: "BADARGUMENTS" },
          { cmd: "reconfig", conn: "S", rc: "BADARGUMENTS" },
          { cmd: "reconfig", conn: "S", remove: "1,2", rc: "BADARGUMENTS" },
          { cmd: "reconfig", conn: "S", remove: "1,2,3", rc: "BADARGUMENTS" },
          { cmd: "reconfig", conn: "S", remove: "x", rc: "MARSHALLINGERROR" },
          { cmd: "reconfig", conn: "S", rc: "NEWCONFIGNOQUORUM" },
          { cmd: "reconfig", conn: "S", rc: "NEWCONFIGNOQUORUM" },
          { cmd: "getconfig", conn: "S", rc: "OK", stat: { mzxid: "e1" } },
        ]),
      [{
        apache: {
          cmd: "reconfig",
          add: ["server.-4=127.0.0.1:<q-4>:<e-4>:participant;127.0.0.1:<c-4>"],
        },
        zkd: {
          cmd: "reconfig",
          conn: "P",
          add: ["server.-4=127.0.0.1:<q-4>:<e-4>:participant;127.0.0.1:<c-4>"],
          from: "-1",
          rc: "BADARGUMENTS",
        },
        why: "zkd takes no negative server ids (zoo.cfg, myid, /zookeeper/config); ZooKeeper " +
          "parses a joiner's id with Long.parseLong and would add a server -4",
      }],
    );
  },
);

interopTest(
  "reconfig: the spares join in one change, one leaves, then a whole new member list; replies, getConfig and its watch agree",
  async () => {
    const pair = await mainPair();
    // The spares start knowing the ensemble plus themselves. Both sync them as non-voting
    // followers before any reconfig, so they count toward a new configuration's synced
    // quorum; for zkd we wait until the client port accepts.
    for (const e of [pair.zk, pair.zkd]) {
      await e.startMember(4);
      await e.startMember(5);
    }
    for (const id of [4, 5]) {
      await waitFor(
        `Apache member ${id} to follow`,
        async () => await pair.zk.mode(id) === "follower",
      );
      await waitFor(`zkd member ${id} to listen`, async () => {
        try {
          const port = pair.zkd.member(id).clientPort;
          (await Deno.connect({ hostname: "127.0.0.1", port })).close();
          return true;
        } catch {
          return false;
        }
      });
    }
    const { apache, zkd } = await expectSameReconfig(
      pair,
      (e) =>
        `conn P
        reconfig add=${e.joinSpec(4)},${e.joinSpec(5)} remove=2,3
        conn W
        getconfig watch=cfg
        conn S
        addauth digest super:admin
        reconfig add=${e.joinSpec(4)},${e.joinSpec(5)} from=last
        events wait=1
        use W
        getconfig watch=cfg
        use S
        reconfig remove=4 from=1
        reconfig remove=5 from=last
        events wait=1
        use W
        getconfig watch=cfg
        use S
        reconfig members=${[1, 2, 3, 4].map((id) => e.joinSpec(id)).join(",")} from=last
        events wait=1
        use W
        getconfig`,
      (run) => {
        const servers = (ids: number[], clients: number[]) =>
          ids.map((id) =>
            `server.${id}=127.0.0.1:<q${id}>:<e${id}>:participant` +
            (clients.includes(id) ? `;127.0.0.1:<c${id}>` : "")
          );
        const stat = (mzxid: string) => ({
          czxid: 0,
          mzxid,
          ctime: 0,
          mtime: "t",
          version: -1,
          cversion: 0,
          aversion: -1,
          ephemeralOwner: 0,
          numChildren: 0,
          pzxid: 0,
        });
        const changed = { event: "NodeDataChanged", path: "/zookeeper/config", watcher: "cfg" };
        expectLines(run, [
          { cmd: "reconfig", conn: "P", rc: "NOAUTH" },
          { cmd: "getconfig", config: [...servers([1, 2, 3], []), "version=e1"] },
          {
            cmd: "reconfig",
            conn: "S",
            rc: "OK",
            config: [...servers([1, 2, 3, 4, 5], [4, 5]), "version=z1"],
            stat: stat("z1"),
          },
          { ...changed, conn: "W" },
          { cmd: "getconfig", config: [...servers([1, 2, 3, 4, 5], [4, 5]), "version=z1"] },
          { cmd: "reconfig", conn: "S", remove: "4", rc: "BADVERSION" },
          {
            cmd: "reconfig",
            rc: "OK",
            config: [...servers([1, 2, 3, 4], [4]), "version=z2"],
            stat: stat("z2"),
          },
          { ...changed, conn: "W" },
          { cmd: "getconfig", config: [...servers([1, 2, 3, 4], [4]), "version=z2"] },
          {
            cmd: "reconfig",
            rc: "OK",
            config: [...servers([1, 2, 3, 4], [1, 2, 3, 4]), "version=z3"],
            stat: stat("z3"),
          },
          { ...changed, conn: "W" },
          {
            cmd: "getconfig",
            config: [...servers([1, 2, 3, 4], [1, 2, 3, 4]), "version=z3"],
            stat: stat("z3"),
          },
        ]);
      },
    );
    // The ports behind the names: the joiners' specs are in the reply as they were sent.
    for (const [run, e] of [[apache, pair.zk], [zkd, pair.zkd]] as const) {
      const added = run.lines.find((l) => l.cmd === "reconfig" && l.rc === "OK")!;
      const text = (added.raw as { config: string }).config;
      for (const id of [4, 5]) assert.ok(text.includes(e.joinSpec(id)), text);
      // Member 4 joined for real: it follows (or leads) in both.
      await waitFor(
        `${e.kind} member 4 to serve`,
        async () => ["follower", "leader"].includes(await e.mode(4) ?? ""),
      );
    }
  },
);
