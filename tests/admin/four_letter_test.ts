/**
 * Four-letter words in ZooKeeper's formats: the lines tools parse (Mode:, zk_* keys,
 * zookeeper.version=) and the whitelist refusal text.
 */

import assert from "node:assert/strict";
import {
  type FourLetterEnv,
  fourLetterReply,
  fourLetterWord,
  javaDate,
} from "../../lib/admin/four_letter.ts";
import { CreateFlag, Op } from "../../lib/proto/ops.ts";
import { enc, OPEN, ReplicaHarness } from "../support/replica_harness.ts";
import { fourLetter } from "../interop/support/net.ts";
import { startZkd } from "../interop/support/zkd.ts";

const env: FourLetterEnv = {
  versionLine: "3.8.4-zkd-test, built on 2026-11-24 00:00 UTC",
  environment: [["host.name", "h"]],
  dataDirBytes: () => 10,
  dataLogDirBytes: () => 20,
  openFileDescriptors: () => 30,
  maxFileDescriptors: () => 40,
  nowMs: () => 1_700_000_005_000,
};

function populated(): ReplicaHarness {
  const h = new ReplicaHarness({ "4lw.commands.whitelist": "*" });
  const { connId } = h.session();
  h.reply(connId, 1, { op: Op.create, path: "/a", data: enc("xy"), acl: OPEN, flags: 0, ttlMs: 0 });
  h.reply(connId, 2, {
    op: Op.create,
    path: "/e",
    data: null,
    acl: OPEN,
    flags: CreateFlag.ephemeral,
    ttlMs: 0,
  });
  h.reply(connId, 3, { op: Op.getData, path: "/a", watch: true });
  h.reply(connId, 4, { op: Op.getChildren, path: "/", watch: true });
  return h;
}

Deno.test("fourLetterWord() recognises only known words", () => {
  assert.equal(fourLetterWord(0x72756f6b), "ruok");
  assert.equal(fourLetterWord(0x00000010), null);
  assert.equal(fourLetterWord(0x61626364), null);
});

Deno.test("srvr and stat print the lines zkServer.sh and monitors parse", () => {
  const h = populated();
  const srvr = fourLetterReply("srvr", h.replica, env);
  assert.match(srvr, /^Zookeeper version: 3\.8\.4-zkd-test, built on 2026-11-24 00:00 UTC\n/);
  assert.match(srvr, /\nLatency min\/avg\/max: \d+\/\d+\.\d+\/\d+\n/);
  assert.match(srvr, /\nMode: standalone\n/);
  assert.match(srvr, /\nNode count: 7\n$/);
  assert.match(srvr, /\nZxid: 0x3\n/);
  const stat = fourLetterReply("stat", h.replica, env);
  assert.match(stat, /\nClients:\n \/127\.0\.0\.1:\d+\[1\]\(queued=0,recved=\d+,sent=\d+\)\n\n/);
});

Deno.test("mntr starts with version and state and has the classic keys", () => {
  const h = populated();
  const lines = fourLetterReply("mntr", h.replica, env).trimEnd().split("\n").map((l) =>
    l.split("\t")
  );
  assert.deepEqual(lines[0], ["zk_version", env.versionLine]);
  assert.deepEqual(lines[1], ["zk_server_state", "standalone"]);
  const m = new Map(lines.map(([k, v]) => [k, v]));
  assert.equal(m.get("zk_znode_count"), "7");
  assert.equal(m.get("zk_ephemerals_count"), "1");
  assert.equal(m.get("zk_watch_count"), "2");
  assert.equal(m.get("zk_num_alive_connections"), "1");
  assert.equal(m.get("zk_open_file_descriptor_count"), "30");
  for (
    const k of [
      "zk_avg_latency",
      "zk_packets_received",
      "zk_outstanding_requests",
      "zk_approximate_data_size",
    ]
  ) {
    assert.ok(m.has(k), k);
  }
});

Deno.test("watch and session dumps: wchs, wchc, wchp, dump, cons, conf, envi", () => {
  const h = populated();
  assert.equal(
    fourLetterReply("wchs", h.replica, env),
    "1 connections watching 1 paths\nTotal watches:1\n",
  );
  const sid = `0x${h.replica.connections.get(1)!.sessionId.toString(16)}`;
  assert.equal(fourLetterReply("wchc", h.replica, env), `${sid}\n\t/a\n`);
  assert.equal(fourLetterReply("wchp", h.replica, env), `/a\n\t${sid}\n`);
  const dump = fourLetterReply("dump", h.replica, env);
  assert.match(
    dump,
    /^SessionTracker dump:\nSession Sets \(1\)\/\(1\):\n1 expire at \w{3} \w{3} \d{2} \d{2}:\d{2}:\d{2} UTC \d{4}:\n\t0x/,
  );
  assert.match(dump, new RegExp(`Sessions with Ephemerals \\(1\\):\\n${sid}:\\n\\t/e\\n`));
  assert.match(fourLetterReply("cons", h.replica, env), new RegExp(`sid=${sid},lop=GETC,`));
  assert.match(fourLetterReply("conf", h.replica, env), /^clientPort=2181\n.*\ntickTime=2000\n/s);
  assert.match(
    fourLetterReply("envi", h.replica, env),
    /^Environment:\nzookeeper\.version=3\.8\.4-zkd-test/,
  );
  assert.equal(fourLetterReply("ruok", h.replica, env), "imok");
  assert.equal(fourLetterReply("isro", h.replica, env), "rw");
  assert.equal(fourLetterReply("dirs", h.replica, env), "datadir_size: 10\nlogdir_size: 20\n");
  assert.equal(javaDate(Date.UTC(2026, 10, 24, 16, 21, 0)), "Tue Nov 24 16:21:00 UTC 2026");
});

Deno.test("the whitelist defaults to srvr only", () => {
  const h = new ReplicaHarness();
  assert.equal(
    fourLetterReply("ruok", h.replica, env),
    "ruok is not executed because it is not in the whitelist.\n",
  );
  assert.match(fourLetterReply("srvr", h.replica, env), /Mode: standalone/);
});

Deno.test({
  name: "four-letter words over TCP: answered and closed; refused words say why",
  sanitizeResources: false,
  fn: async () => {
    const zkd = await startZkd({ cfg: { "4lw.commands.whitelist": "ruok" } });
    try {
      assert.equal(await fourLetter(zkd.port, "ruok"), "imok");
      assert.match(await fourLetter(zkd.port, "srvr"), /Mode: standalone/);
      assert.equal(
        await fourLetter(zkd.port, "mntr"),
        "mntr is not executed because it is not in the whitelist.\n",
      );
    } finally {
      await zkd.stop();
    }
  },
});
