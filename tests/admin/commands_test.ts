/**
 * The admin API's commands against a replica with no sockets: ZooKeeper's field names and
 * order, aliases, `command`/`error`, and the answers of the ensemble-only commands on a
 * standalone server. The key sets are also checked against a real Apache ZooKeeper in
 * tests/admin/apache_parity_test.ts.
 */

import assert from "node:assert/strict";
import {
  type AdminContext,
  ALL_NAMES,
  commandLinks,
  PRIMARY_NAMES,
  runCommand,
} from "../../lib/admin/commands.ts";
import type { FourLetterEnv } from "../../lib/admin/four_letter.ts";
import { jacksonJson, JavaDouble } from "../../lib/admin/json.ts";
import { gatherMetrics } from "../../lib/admin/metrics.ts";
import { adminHandler, redactConfig } from "../../lib/admin/http_server.ts";
import { CreateFlag, Op } from "../../lib/proto/ops.ts";
import { enc, OPEN, ReplicaHarness } from "../support/replica_harness.ts";

const env: FourLetterEnv = {
  versionLine: "3.8.4-zkd-test, built on 2026-11-24 00:00 UTC",
  environment: [["host.name", "h"], ["os.name", "linux"]],
  dataDirBytes: () => 10,
  dataLogDirBytes: () => 20,
  openFileDescriptors: () => 30,
  maxFileDescriptors: () => 40,
  nowMs: () => 1_700_000_005_000,
};

function context(h: ReplicaHarness, serving = true): AdminContext {
  return {
    replica: h.replica,
    config: h.config,
    env,
    serverState: () => "standalone",
    readOnly: () => false,
    ensemble: h.config.ensemble,
    leaderId: () => null,
    serving: () => serving,
    metrics: () => gatherMetrics({ replica: h.replica, env }),
    initialConfig: "tickTime=2000\n",
    lastSnapshot: () => ({ zxid: 0x1f, timestampS: 1_700_000_000 }),
    extraEnvironment: () => [["user.name", "zkd"]],
    state: { traceMask: 0n },
  };
}

function populated(): { h: ReplicaHarness; sid: bigint } {
  const h = new ReplicaHarness();
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
  return { h, sid: h.replica.connections.get(connId)!.sessionId };
}

const keys = (o: object) => Object.keys(o);

Deno.test("runCommand() answers every name and alias with command and error last", () => {
  const { h } = populated();
  const ctx = context(h);
  for (const name of ALL_NAMES) {
    const body = runCommand(name, ctx, new URLSearchParams({ traceMask: "0" })).body;
    const k = keys(body);
    assert.ok(PRIMARY_NAMES.includes(body.command as string), `${name}: ${body.command}`);
    if (body.command === "leader") continue; // its own error field comes first, as in ZooKeeper
    assert.deepEqual(k.slice(-2), ["command", "error"], name);
    assert.equal(body.error, null, name);
  }
  assert.equal(runCommand("srvr", ctx).body.command, "server_stats");
  assert.equal(runCommand("mntr", ctx).body.command, "monitor");
  assert.equal(runCommand("conf", ctx).body.command, "configuration");
});

Deno.test("runCommand() of an unknown name is ZooKeeper's error answer", () => {
  const { h } = populated();
  assert.equal(
    jacksonJson(runCommand("nosuch", context(h)).body),
    `{\n  "command" : "nosuch",\n  "error" : "Unknown command: nosuch"\n}`,
  );
});

Deno.test("runCommand() while not serving refuses the commands that need the server", () => {
  const { h } = populated();
  const ctx = context(h, false);
  assert.deepEqual(runCommand("srvr", ctx).body, {
    command: "srvr",
    error: "This ZooKeeper instance is not currently serving requests",
  });
  assert.equal(runCommand("mntr", ctx).body.error, null);
  assert.equal(runCommand("envi", ctx).body.error, null);
});

Deno.test("server_stats and stats have ZooKeeper's fields in its order", () => {
  const { h } = populated();
  const body = runCommand("server_stats", context(h)).body;
  assert.deepEqual(keys(body), [
    "version",
    "read_only",
    "server_stats",
    "client_response",
    "node_count",
    "command",
    "error",
  ]);
  const inner = body.server_stats as Record<string, unknown>;
  assert.deepEqual(keys(inner), [
    "packets_sent",
    "packets_received",
    "fsync_threshold_exceed_count",
    "client_response_stats",
    "data_dir_size",
    "log_dir_size",
    "provider_null",
    "server_state",
    "last_processed_zxid",
    "outstanding_requests",
    "avg_latency",
    "max_latency",
    "min_latency",
    "num_alive_client_connections",
    "uptime",
    "auth_failed_count",
    "non_mtlsremote_conn_count",
    "non_mtlslocal_conn_count",
  ]);
  assert.equal(inner.server_state, "standalone");
  assert.equal(inner.last_processed_zxid, h.replica.lastZxid);
  assert.equal(inner.data_dir_size, 10);
  assert.ok(inner.avg_latency instanceof JavaDouble);
  assert.equal(body.node_count, h.replica.tree.nodeCount);
  const stats = runCommand("stat", context(h)).body;
  const conns = stats.connections as Record<string, unknown>[];
  assert.equal(conns.length, 1);
  assert.deepEqual(keys(conns[0]), [
    "remote_socket_address",
    "interest_ops",
    "outstanding_requests",
    "packets_received",
    "packets_sent",
  ]);
});

Deno.test("connections, dump, watches: session ids as exact longs, paths as ZooKeeper groups them", () => {
  const { h, sid } = populated();
  const ctx = context(h);
  const cons = runCommand("cons", ctx).body;
  const c = (cons.connections as Record<string, unknown>[])[0];
  assert.equal(c.session_id, sid);
  assert.equal(c.last_operation, "GETC");
  assert.equal(c.session_timeout, h.replica.connections.get(1)!.negotiatedTimeoutMs);
  assert.deepEqual(cons.secure_connections, []);

  const dump = runCommand("dump", ctx).body;
  assert.deepEqual(dump.session_id_to_ephemeral_paths, { [String(sid)]: ["/e"] });
  const expiry = dump.expiry_time_to_session_ids as Record<string, unknown>;
  assert.deepEqual(Object.values(expiry), [[sid]]);

  // Data watches only, as ZooKeeper's DataTree.getWatches() reports them.
  assert.deepEqual(runCommand("wchc", ctx).body.session_id_to_watched_paths, {
    [String(sid)]: ["/a"],
  });
  assert.deepEqual(runCommand("wchp", ctx).body.path_to_session_ids, { "/a": [sid] });
  const wchs = runCommand("wchs", ctx).body;
  assert.deepEqual([wchs.num_connections, wchs.num_paths, wchs.num_total_watches], [1, 1, 1]);
});

Deno.test("configuration, dirs, environment, last_snapshot, initial_configuration", () => {
  const { h } = populated();
  const ctx = context(h);
  assert.deepEqual(runCommand("configuration", ctx).body, {
    client_port: 2181,
    data_dir: "/nonexistent/version-2",
    data_log_dir: "/nonexistent/version-2",
    tick_time: 2000,
    max_client_cnxns: 60,
    min_session_timeout: 4000,
    max_session_timeout: 40000,
    server_id: 0,
    client_port_listen_backlog: -1,
    command: "configuration",
    error: null,
  });
  assert.deepEqual(runCommand("dirs", ctx).body, {
    datadir_size: 10,
    logdir_size: 20,
    command: "dirs",
    error: null,
  });
  const envi = runCommand("environment", ctx).body;
  assert.deepEqual(keys(envi).slice(0, 4), [
    "zookeeper.version",
    "host.name",
    "os.name",
    "user.name",
  ]);
  assert.deepEqual(keys(runCommand("sysp", ctx).body).slice(0, 3), [
    "host.name",
    "os.name",
    "user.name",
  ]);
  assert.deepEqual(runCommand("lsnp", ctx).body, {
    zxid: "1f",
    timestamp: 1_700_000_000,
    command: "last_snapshot",
    error: null,
  });
  const none = { ...ctx, lastSnapshot: () => null };
  assert.equal(runCommand("lsnp", none).body.zxid, "ffffffffffffffff");
  assert.equal(runCommand("icfg", ctx).body.initial_configuration, "tickTime=2000\n");
  assert.equal(
    redactConfig("a=1\nDigestAuthenticationProvider.superDigest=super:abc=\nb=2\n"),
    "a=1\nDigestAuthenticationProvider.superDigest=<redacted>\nb=2\n",
  );
});

Deno.test("ensemble-only commands answer as a standalone ZooKeeper does", () => {
  const { h } = populated();
  const ctx = context(h);
  assert.equal(
    jacksonJson(runCommand("leader", ctx).body),
    `{\n  "error" : "server is not initialized",\n  "command" : "leader"\n}`,
  );
  assert.deepEqual(runCommand("obsr", ctx).body, {
    synced_observers: 0,
    observers: [],
    command: "observers",
    error: null,
  });
  assert.deepEqual(runCommand("voting_view", ctx).body.current_config, {});
  assert.deepEqual(runCommand("zabstate", ctx).body, {
    voting: false,
    zabstate: "",
    command: "zabstate",
    error: null,
  });
  assert.equal(runCommand("isro", ctx).body.read_only, false);
  assert.deepEqual(runCommand("hash", ctx).body.digests, []);
});

Deno.test("set_trace_mask validates its argument as ZooKeeper does and get_trace_mask reads it", () => {
  const { h } = populated();
  const ctx = context(h);
  assert.deepEqual(runCommand("stmk", ctx).body, {
    error: "setTraceMask requires long traceMask argument",
    command: "set_trace_mask",
  });
  assert.deepEqual(runCommand("stmk", ctx, new URLSearchParams({ traceMask: "abc" })).body, {
    error: "setTraceMask requires long traceMask argument, got abc",
    command: "set_trace_mask",
  });
  assert.equal(
    runCommand("stmk", ctx, new URLSearchParams({ traceMask: "12" })).body.tracemask,
    12n,
  );
  assert.equal(runCommand("gtmk", ctx).body.tracemask, 12n);
});

Deno.test("stat_reset and connection_stat_reset reset the counters", () => {
  const { h } = populated();
  const ctx = context(h);
  assert.ok(h.replica.stats.packetsReceived > 0);
  runCommand("srst", ctx);
  assert.equal(h.replica.stats.packetsReceived, 0);
  runCommand("crst", ctx);
  assert.equal(h.replica.connections.get(1)!.stats.packetsReceived, 0);
});

Deno.test("monitor lists version, state and the mntr metrics, doubles as doubles", () => {
  const { h } = populated();
  const body = runCommand("monitor", context(h)).body;
  assert.deepEqual(keys(body).slice(0, 3), ["version", "server_state", "avg_latency"]);
  assert.ok(body.avg_latency instanceof JavaDouble);
  assert.equal(body.znode_count, h.replica.tree.nodeCount);
  assert.equal(body.ephemerals_count, 1);
  assert.equal(body.open_file_descriptor_count, 30);
});

Deno.test("adminHandler() serves the listing, commands, 404 and 405", async () => {
  const { h } = populated();
  const handle = adminHandler(context(h), "/commands");
  const links = handle(new Request("http://x/commands"));
  assert.equal(links.status, 200);
  assert.equal(await links.text(), commandLinks("/commands"));
  assert.match(
    commandLinks("/commands"),
    /^<a href="\/commands\/configuration">configuration<\/a>\n<br\/>\n/,
  );
  const ruok = handle(new Request("http://x/commands/ruok"));
  assert.equal(ruok.headers.get("content-type"), "application/json");
  assert.deepEqual(JSON.parse(await ruok.text()), { command: "ruok", error: null });
  const nested = await handle(new Request("http://x/commands/ruok/x")).json();
  assert.equal(nested.error, "Unknown command: ruok/x");
  const other = handle(new Request("http://x/"));
  assert.equal(other.status, 404);
  await other.body?.cancel();
  const post = handle(new Request("http://x/commands/ruok", { method: "POST" }));
  assert.equal(post.status, 405);
  await post.body?.cancel();
  const custom = adminHandler(context(h), "/admin/");
  assert.deepEqual(await custom(new Request("http://x/admin/isro")).json(), {
    read_only: false,
    command: "is_read_only",
    error: null,
  });
});
