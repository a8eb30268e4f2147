/**
 * The admin API, /metrics and `zkd status` on a real 3-member zkd ensemble (loopback): each
 * member reports its role, the leader and the voting view; the leader's metrics count its
 * learners; `zkd status` shows one leader, two followers and their lag.
 */

import assert from "node:assert/strict";
import { PROMETHEUS_PROVIDER } from "../../lib/config/config.ts";
import { ZkClient } from "../../lib/client/mod.ts";
import { Ensemble } from "../support/ensemble.ts";
import { REPO_ROOT } from "../interop/support/zkd.ts";
import { parsePrometheus } from "../admin/prometheus_text.ts";

async function getJson(url: string): Promise<Record<string, unknown>> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  assert.equal(res.status, 200, url);
  return await res.json();
}

/** The port a member's log says its admin API (or /metrics) listens on. */
async function portFromLog(logPath: string, what: RegExp): Promise<number> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const m = what.exec(await Deno.readTextFile(logPath).catch(() => ""));
    if (m !== null) return Number(m[1]);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${logPath}: no ${what}`);
}

Deno.test({
  name: "a 3-member ensemble: admin commands, metrics and zkd status per member",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const ensemble = await Ensemble.start({
      participants: 3,
      cfg: {
        "admin.enableServer": "true",
        "admin.serverAddress": "127.0.0.1",
        "admin.serverPort": "0",
        "metricsProvider.className": PROMETHEUS_PROVIDER,
        "metricsProvider.httpHost": "127.0.0.1",
        "metricsProvider.httpPort": "0",
      },
    });
    let client: ZkClient | undefined;
    try {
      const admin = new Map<number, number>();
      const metrics = new Map<number, number>();
      for (const m of ensemble.members) {
        admin.set(
          m.id,
          await portFromLog(m.logPath, /admin server on http:\/\/127\.0\.0\.1:(\d+)\//),
        );
        metrics.set(
          m.id,
          await portFromLog(m.logPath, /Prometheus metrics on http:\/\/127\.0\.0\.1:(\d+)\//),
        );
      }
      client = await ZkClient.connect({
        hosts: ensemble.connectString(),
        connectTimeoutMs: 20_000,
      });
      await client.create("/e", "x");
      await client.sync("/e");

      const ids = ensemble.members.map((m) => m.id);
      const base = (id: number) => `http://127.0.0.1:${admin.get(id)}/commands`;
      // Wait until every member names the same leader and the leader counts both followers.
      let leaderId = -1;
      const deadline = Date.now() + 30_000;
      for (;;) {
        const answers = await Promise.all(ids.map((id) => getJson(`${base(id)}/leader`)));
        const leaders = new Set(answers.map((a) => a.leader_id));
        if (leaders.size === 1 && answers.every((a) => a.error === null)) {
          leaderId = answers[0].leader_id as number;
          const mon = await getJson(`${base(leaderId)}/monitor`);
          if (mon.synced_followers === 2) break;
        }
        assert.ok(Date.now() < deadline, `no stable leader: ${JSON.stringify(answers)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      for (const id of ids) {
        const leader = await getJson(`${base(id)}/leader`);
        assert.equal(leader.is_leader, id === leaderId);
        assert.equal(leader.leader_ip, "127.0.0.1");
        const stats = await getJson(`${base(id)}/srvr`);
        const state = (stats.server_stats as Record<string, unknown>).server_state;
        assert.equal(state, id === leaderId ? "leader" : "follower");
        const conf = await getJson(`${base(id)}/conf`);
        assert.equal(conf.server_id, id);
        const zab = await getJson(`${base(id)}/zabstate`);
        assert.deepEqual([zab.myid, zab.voting, zab.zabstate, zab.is_leader], [
          id,
          true,
          "broadcast",
          id === leaderId,
        ]);
        const view = (await getJson(`${base(id)}/voting_view`)).current_config as Record<
          string,
          Record<string, unknown>
        >;
        assert.deepEqual(Object.keys(view).sort(), ["1", "2", "3"]);
        assert.equal(view[String(id)].learnerType, "participant");
        const mon = await getJson(`${base(id)}/mntr`);
        assert.equal(mon.server_state, id === leaderId ? "leader" : "follower");
        assert.match(String(mon.peer_state), id === leaderId ? /^leading/ : /^following/);
      }
      const res = await fetch(`http://127.0.0.1:${metrics.get(leaderId)}/metrics`, {
        signal: AbortSignal.timeout(5_000),
      });
      const prom = parsePrometheus(await res.text());
      assert.equal(prom.get("learners")?.value, 2);
      assert.equal(prom.get("synced_followers")?.value, 2);

      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-net",
          "--allow-read",
          "--allow-env",
          `${REPO_ROOT}/main.ts`,
          "status",
          "-server",
          ensemble.connectString(),
          "--admin-port",
          ids.map((id) => admin.get(id)).join(","),
          "--json",
        ],
        stdout: "piped",
        stderr: "piped",
        signal: AbortSignal.timeout(30_000),
      }).output();
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      const servers = JSON.parse(new TextDecoder().decode(out.stdout)).servers as Array<
        Record<string, unknown>
      >;
      assert.deepEqual(
        servers.map((s) => s.mode),
        ids.map((id) => (id === leaderId ? "leader" : "follower")),
      );
      for (const s of servers) {
        assert.equal(s.via, "http");
        assert.equal(typeof s.lag, "number");
        assert.ok((s.lag as number) >= 0);
        assert.equal(s.sessions, 1);
      }
      assert.equal(servers[ids.indexOf(leaderId)].lag, 0);
    } finally {
      await client?.close().catch(() => {});
      await ensemble.stop();
    }
  },
});
