/**
 * zkd's admin API next to Apache ZooKeeper 3.8's AdminServer (Jetty, started here on a free
 * loopback port): the same command list, and for every command both servers share the same
 * JSON keys at every level (connections, server_stats, ...), the same value types, and equal
 * values where the state is the same (one session with an ephemeral and a data watch on each).
 * The differences are listed here, each for a reason: environment and system_properties
 * describe the runtime (JVM vs Deno), and monitor has only the metrics zkd measures, each under
 * a name ZooKeeper uses.
 */

import assert from "node:assert/strict";
import { ZkClient } from "../../lib/client/mod.ts";
import { CreateFlag } from "../../lib/proto/ops.ts";
import { FAST_JVM_FLAGS, javaPath, zkClasspath } from "../interop/support/apache_zk.ts";
import { freePort } from "../interop/support/net.ts";
import { spawnLogged } from "../interop/support/procs.ts";
import {
  makeHandle,
  prepareDirs,
  type ServerHandle,
  waitUntilServing,
} from "../interop/support/server.ts";
import { startZkd } from "../interop/support/zkd.ts";

const TIMEOUT_MS = 10_000;
/** Jetty needs the servlet API; Debian's libservlet-api-java comes with zookeeper's jetty. */
const SERVLET_JAR = "/usr/share/java/servlet-api.jar";

function adminCfg(port: number): Record<string, string> {
  return {
    "admin.enableServer": "true",
    "admin.serverAddress": "127.0.0.1",
    "admin.serverPort": String(port),
  };
}

/** Apache ZooKeeper standalone with its AdminServer on `adminPort` (zoo.cfg admin.* keys). */
async function startApacheWithAdmin(adminPort: number): Promise<ServerHandle> {
  const cp = zkClasspath();
  const java = javaPath();
  if (cp === undefined || java === undefined) {
    throw new Error("Apache ZooKeeper is not installed: apt-get install -y zookeeper");
  }
  const dirs = await prepareDirs("apache-zk-admin-", { cfg: adminCfg(adminPort) });
  const proc = spawnLogged([
    java,
    ...FAST_JVM_FLAGS,
    "-Dzookeeper.jmx.log4j.disable=true",
    "-cp",
    `${cp}:${SERVLET_JAR}`,
    "org.apache.zookeeper.server.ZooKeeperServerMain",
    dirs.cfgPath,
  ], { logPath: dirs.logPath, cwd: dirs.baseDir });
  await waitUntilServing("apache-zk", proc, dirs.port, 60_000);
  return makeHandle("apache-zk", dirs, proc);
}

async function fetchText(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  assert.equal(res.status, 200, url);
  return await res.text();
}

/** The same state on both servers: /a with an ephemeral child, a data watch on /a. */
async function populate(connectString: string): Promise<ZkClient> {
  const c = await ZkClient.connect({
    hosts: connectString,
    connectTimeoutMs: TIMEOUT_MS,
    reconnect: false,
  });
  await c.create("/a", "hello");
  await c.create("/a/eph", "x", { mode: CreateFlag.ephemeral });
  await c.getData("/a", true);
  return c;
}

type Shape = string | { [key: string]: Shape } | Shape[];

/**
 * The structure of a JSON value: leaves become their type, objects keep their keys (except
 * maps keyed by ids or paths, whose keys differ between servers: `*`, the shape of their first
 * entry that is not an empty list), arrays their first item.
 */
function shape(v: unknown, dynamicKeys = false): Shape {
  if (v === null) return "null";
  if (Array.isArray(v)) return v.length === 0 ? [] : [shape(v[0])];
  if (typeof v === "object") {
    const entries = Object.entries(v as Record<string, unknown>);
    if (dynamicKeys) {
      // The first entry that says something: ZooKeeper's expiry buckets linger empty for a
      // while after their sessions moved on (ExpiryQueue), and an empty list has no item type.
      const shapes = entries.map(([, x]) => shape(x));
      const telling = shapes.find((x) => !(Array.isArray(x) && x.length === 0));
      return entries.length === 0 ? {} : { "*": telling ?? shapes[0] };
    }
    return Object.fromEntries(
      entries.map(([k, x]) => [k, shape(x, DYNAMIC_MAPS.has(k))]),
    );
  }
  return typeof v;
}

/** Fields whose keys are session ids, expiry times or paths. */
const DYNAMIC_MAPS = new Set([
  "expiry_time_to_session_ids",
  "session_id_to_ephemeral_paths",
  "session_id_to_watched_paths",
  "path_to_session_ids",
]);

/** Commands whose answers describe the same state on both servers: equal values too. */
const SAME_VALUES = [
  "hash",
  "is_read_only",
  "leader",
  "observers",
  "ruok",
  "voting_view",
  "watch_summary",
  "zabstate",
  "connection_stat_reset",
  "stat_reset",
  "observer_connection_stat_reset",
];

Deno.test({
  name: "admin API: the same commands, keys and value types as Apache ZooKeeper 3.8",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const zkAdmin = freePort();
    const zkdAdmin = freePort();
    const [zk, zkd] = await Promise.all([
      startApacheWithAdmin(zkAdmin),
      startZkd({ cfg: adminCfg(zkdAdmin) }),
    ]);
    const clients: ZkClient[] = [];
    try {
      clients.push(await populate(zk.connectString), await populate(zkd.connectString));
      const zkBase = `http://127.0.0.1:${zkAdmin}/commands`;
      const zkdBase = `http://127.0.0.1:${zkdAdmin}/commands`;

      // The listing, byte for byte.
      const zkList = await fetchText(zkBase);
      assert.equal(await fetchText(zkdBase), zkList);
      const names = [...zkList.matchAll(/<a href="\/commands\/([a-z_]+)">/g)].map((m) => m[1]);
      assert.equal(names.length, 26);

      const differences: string[] = [];
      for (const name of names) {
        const query = name === "set_trace_mask" ? "?traceMask=0" : "";
        const [a, b] = await Promise.all([
          fetchText(`${zkBase}/${name}${query}`),
          fetchText(`${zkdBase}/${name}${query}`),
        ]);
        const want = JSON.parse(a);
        const got = JSON.parse(b);
        if (name === "environment" || name === "system_properties" || name === "monitor") continue;
        try {
          assert.deepEqual(shape(got), shape(want));
          if (SAME_VALUES.includes(name)) assert.equal(b, a);
        } catch (e) {
          differences.push(`${name}: ${(e as Error).message}`);
        }
      }
      assert.deepEqual(differences, []);

      // Layout too, where the values agree: Jackson's pretty printer, no trailing newline.
      assert.equal(
        await fetchText(`${zkdBase}/isro`),
        await fetchText(`${zkBase}/isro`),
      );
      assert.equal(
        await fetchText(`${zkdBase}/nosuch`),
        await fetchText(`${zkBase}/nosuch`),
      );
      assert.equal(
        await fetchText(`${zkdBase}/stmk?traceMask=x`),
        await fetchText(`${zkBase}/stmk?traceMask=x`),
      );

      // Equal configuration values for the settings both were given.
      const [zkConf, zkdConf] = await Promise.all(
        [zkBase, zkdBase].map(async (b) => JSON.parse(await fetchText(`${b}/conf`))),
      );
      for (const k of ["tick_time", "max_client_cnxns", "min_session_timeout", "server_id"]) {
        assert.equal(zkdConf[k], zkConf[k], k);
      }

      // monitor: every zkd metric is one of ZooKeeper's, and ZooKeeper's server gauges
      // (ZooKeeperServer.registerMetrics, the mntr classics) are all there.
      const [zkMon, zkdMon] = await Promise.all(
        [zkBase, zkdBase].map(async (b) => JSON.parse(await fetchText(`${b}/monitor`))),
      );
      const extra = Object.keys(zkdMon).filter((k) => !(k in zkMon));
      assert.deepEqual(extra, []);
      for (
        const k of [
          "version",
          "server_state",
          "avg_latency",
          "max_latency",
          "min_latency",
          "packets_received",
          "packets_sent",
          "num_alive_connections",
          "outstanding_requests",
          "uptime",
          "znode_count",
          "watch_count",
          "ephemerals_count",
          "approximate_data_size",
          "global_sessions",
          "local_sessions",
          "open_file_descriptor_count",
          "max_file_descriptor_count",
          "connection_drop_probability",
          "outstanding_tls_handshake",
          "auth_failed_count",
          "non_mtls_remote_conn_count",
          "non_mtls_local_conn_count",
        ]
      ) {
        assert.ok(k in zkdMon, k);
        assert.equal(typeof zkdMon[k], typeof zkMon[k], k);
      }
      for (const k of ["znode_count", "ephemerals_count", "global_sessions", "watch_count"]) {
        assert.equal(zkdMon[k], zkMon[k], k);
      }

      // environment: the keys that are not about the JVM.
      const [zkEnv, zkdEnv] = await Promise.all(
        [zkBase, zkdBase].map(async (b) => JSON.parse(await fetchText(`${b}/envi`))),
      );
      for (
        const k of [
          "zookeeper.version",
          "host.name",
          "os.name",
          "os.arch",
          "os.version",
          "user.name",
          "user.home",
          "user.dir",
          "os.memory.free",
          "os.memory.total",
        ]
      ) {
        assert.ok(k in zkEnv && k in zkdEnv, k);
      }
    } finally {
      for (const c of clients) await c.close().catch(() => {});
      await Promise.all([zk.stop(), zkd.stop()]);
    }
  },
});
