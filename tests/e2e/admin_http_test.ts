/**
 * The admin API and Prometheus /metrics of a real `zkd start` process, fetched over loopback
 * HTTP and parsed: every listed command answers JSON, values agree with the four-letter words,
 * /metrics is valid text format 0.0.4 with ZooKeeper's names. A busy admin port is a warning
 * (clients are still served); a busy metrics port stops start-up, as in ZooKeeper.
 */

import assert from "node:assert/strict";
import { PRIMARY_NAMES } from "../../lib/admin/commands.ts";
import { PROMETHEUS_PROVIDER } from "../../lib/config/config.ts";
import { ZkClient } from "../../lib/client/mod.ts";
import { CreateFlag } from "../../lib/proto/ops.ts";
import { fourLetter, freePort } from "../interop/support/net.ts";
import { REPO_ROOT, startZkd } from "../interop/support/zkd.ts";
import { parsePrometheus } from "../admin/prometheus_text.ts";

const TIMEOUT_MS = 5_000;

async function get(url: string): Promise<Response> {
  return await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
}

async function getJson(url: string): Promise<Record<string, unknown>> {
  const res = await get(url);
  assert.equal(res.status, 200, url);
  assert.equal(res.headers.get("content-type"), "application/json", url);
  return JSON.parse(await res.text());
}

Deno.test({
  name: "a real zkd serves every admin command as JSON and /metrics as Prometheus text",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const adminPort = freePort();
    const metricsPort = freePort();
    const zkd = await startZkd({
      cfg: {
        "admin.serverAddress": "127.0.0.1",
        "admin.serverPort": String(adminPort),
        "metricsProvider.className": PROMETHEUS_PROVIDER,
        "metricsProvider.httpHost": "127.0.0.1",
        "metricsProvider.httpPort": String(metricsPort),
      },
    });
    const client = await ZkClient.connect({
      hosts: zkd.connectString,
      connectTimeoutMs: TIMEOUT_MS,
      reconnect: false,
    });
    try {
      await client.create("/app", "x");
      await client.create("/app/eph", "y", { mode: CreateFlag.ephemeral });
      await client.getData("/app", true);
      const base = `http://127.0.0.1:${adminPort}/commands`;

      const listing = await (await get(base)).text();
      const linked = [...listing.matchAll(/<a href="\/commands\/([a-z_]+)">/g)].map((m) => m[1]);
      assert.deepEqual(linked, [...PRIMARY_NAMES]);

      const srvr = await fourLetter(zkd.port, "srvr");
      const nodes = Number(/^Node count: (\d+)$/m.exec(srvr)![1]);
      const zxid = BigInt(/^Zxid: (0x[0-9a-f]+)$/m.exec(srvr)![1]);
      const stats = await getJson(`${base}/srvr`);
      const inner = stats.server_stats as Record<string, unknown>;
      assert.equal(stats.node_count, nodes);
      assert.equal(BigInt(inner.last_processed_zxid as number), zxid);
      assert.equal(inner.server_state, "standalone");
      const mntr = await getJson(`${base}/mntr`);
      assert.equal(mntr.znode_count, nodes);
      assert.equal(mntr.ephemerals_count, 1);
      assert.equal(mntr.global_sessions, 1);
      const cons = await getJson(`${base}/cons`);
      assert.equal((cons.connections as unknown[]).length, 1);
      const dump = await getJson(`${base}/dump`);
      assert.deepEqual(Object.values(dump.session_id_to_ephemeral_paths as object), [["/app/eph"]]);
      assert.deepEqual(
        Object.keys((await getJson(`${base}/wchp`)).path_to_session_ids as object),
        ["/app"],
      );
      const conf = await getJson(`${base}/conf`);
      assert.equal(conf.client_port, zkd.port);
      assert.equal(conf.data_dir, `${zkd.dataDir}/version-2`);
      const icfg = await getJson(`${base}/icfg`);
      assert.equal(icfg.initial_configuration, await Deno.readTextFile(zkd.cfgPath));
      assert.equal((await getJson(`${base}/stmk?traceMask=7`)).tracemask, 7);
      assert.deepEqual(await getJson(`${base}/nosuch`), {
        command: "nosuch",
        error: "Unknown command: nosuch",
      });
      const post = await fetch(`${base}/ruok`, {
        method: "POST",
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      assert.equal(post.status, 405);
      await post.body?.cancel();
      const root = await get(`http://127.0.0.1:${adminPort}/`);
      assert.equal(root.status, 404);
      await root.body?.cancel();

      const res = await get(`http://127.0.0.1:${metricsPort}/metrics`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type")!, /^text\/plain; version=0\.0\.4/);
      const samples = parsePrometheus(await res.text());
      assert.equal(samples.get("znode_count")?.value, nodes);
      assert.equal(samples.get("ephemerals_count")?.value, 1);
      assert.equal(samples.get("global_sessions")?.value, 1);
      assert.equal(samples.get("num_alive_connections")?.value, 1);
      assert.ok(samples.get("packets_received")!.value >= 3);
      // -1 where the process may not read /proc (Deno without --allow-all), as ZooKeeper
      // reports a count it cannot read.
      assert.ok(samples.has("open_file_descriptor_count"));
      assert.ok(samples.get("process_cpu_seconds_total")!.value > 0);
      assert.ok(samples.get("process_resident_memory_bytes")!.value > 0);
      for (const n of ["avg_latency", "min_latency", "max_latency", "uptime", "watch_count"]) {
        assert.ok(samples.has(n), n);
      }
      const other = await get(`http://127.0.0.1:${metricsPort}/other`);
      assert.equal(other.status, 404);
      await other.body?.cancel();

      // Every command last: stat_reset and connection_stat_reset clear the counters above.
      for (const name of PRIMARY_NAMES) {
        const body = await getJson(`${base}/${name}`);
        assert.equal(body.command, name);
        if (name === "leader") assert.equal(body.error, "server is not initialized");
        else if (name === "set_trace_mask") assert.match(String(body.error), /traceMask/);
        else assert.equal(body.error, null, `${name}: ${body.error}`);
      }

      const log = await Deno.readTextFile(zkd.logPath);
      assert.match(log, new RegExp(`admin server on http://127\\.0\\.0\\.1:${adminPort}/commands`));
      assert.match(
        log,
        new RegExp(`Prometheus metrics on http://127\\.0\\.0\\.1:${metricsPort}/metrics`),
      );
    } finally {
      await client.close();
      await zkd.stop();
    }
    // Both HTTP servers went away with the process.
    await assert.rejects(() => get(`http://127.0.0.1:${adminPort}/commands/ruok`));
  },
});

Deno.test({
  name: "an admin port already in use is a warning: clients are served, the 4lw still answer",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (taken.addr as Deno.NetAddr).port;
    const zkd = await startZkd({
      cfg: { "admin.serverAddress": "127.0.0.1", "admin.serverPort": String(port) },
    });
    try {
      assert.match(await fourLetter(zkd.port, "srvr"), /Mode: standalone/);
      const log = await Deno.readTextFile(zkd.logPath);
      assert.match(
        log,
        new RegExp(`WARN  admin server not started: cannot listen on 127\\.0\\.0\\.1:${port}`),
      );
    } finally {
      await zkd.stop();
      taken.close();
    }
  },
});

Deno.test("a metrics port already in use stops start-up with one line and exit 1", async () => {
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (taken.addr as Deno.NetAddr).port;
  const dir = await Deno.makeTempDir({ prefix: "zkd-metrics-busy-" });
  try {
    const clientPort = freePort();
    await Deno.writeTextFile(
      `${dir}/zoo.cfg`,
      `dataDir=${dir}/data\nclientPort=${clientPort}\nclientPortAddress=127.0.0.1\n` +
        `admin.enableServer=false\nmetricsProvider.className=${PROMETHEUS_PROVIDER}\n` +
        `metricsProvider.httpHost=127.0.0.1\nmetricsProvider.httpPort=${port}\n`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-net",
        "--allow-read",
        "--allow-write",
        "--allow-env",
        "--allow-sys",
        `${REPO_ROOT}/main.ts`,
        "start",
        "--config",
        `${dir}/zoo.cfg`,
      ],
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(30_000),
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 1, stderr);
    const last = stderr.trimEnd().split("\n").at(-1)!;
    assert.match(
      last,
      new RegExp(`^zkd: cannot listen on 127\\.0\\.0\\.1:${port} for /metrics`),
    );
  } finally {
    taken.close();
    await Deno.remove(dir, { recursive: true });
  }
});
