/**
 * `zkd status` as a process against real servers on loopback: through the admin API, through
 * the four-letter words when the API is off (or its port belongs to another server), against
 * Apache ZooKeeper, and exit 1 with a line per unreachable server.
 */

import assert from "node:assert/strict";
import { startApacheZk } from "../interop/support/apache_zk.ts";
import { freePort } from "../interop/support/net.ts";
import { REPO_ROOT, startZkd } from "../interop/support/zkd.ts";

async function status(args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      "--allow-read",
      "--allow-env",
      `${REPO_ROOT}/main.ts`,
      "status",
      ...args,
    ],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(30_000),
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test({
  name: "zkd status reads the admin API, falls back to srvr/mntr, and fails for a dead server",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const adminPort = freePort();
    const withHttp = await startZkd({
      cfg: { "admin.serverAddress": "127.0.0.1", "admin.serverPort": String(adminPort) },
    });
    const without = await startZkd({ cfg: { "admin.enableServer": "false" } });
    const dead = freePort();
    try {
      const one = await status([
        "-server",
        withHttp.connectString,
        "--admin-port",
        String(adminPort),
      ]);
      assert.equal(one.code, 0, one.stderr);
      const lines = one.stdout.trimEnd().split("\n");
      assert.match(lines[0], /^SERVER\s+MODE\s+ZXID\s+LAG\s+SESSIONS\s+ZNODES\s+VIA$/);
      assert.match(
        lines[1],
        new RegExp(
          `^${withHttp.connectString}\\s+standalone\\s+0x[0-9a-f]+\\s+-\\s+0\\s+\\d+\\s+http$`,
        ),
      );

      // Admin API off: srvr and mntr on the client port. The admin port answers for the other
      // server, so it must not be used for this one.
      const json = await status([
        "-server",
        `${without.connectString},${withHttp.connectString},127.0.0.1:${dead}`,
        "--admin-port",
        String(adminPort),
        "--json",
        "--timeout",
        "2000",
      ]);
      assert.equal(json.code, 1, json.stderr);
      const doc = JSON.parse(json.stdout);
      const [a, b, c] = doc.servers;
      assert.deepEqual(
        [a.server, a.reachable, a.mode, a.via, a.lag, a.sessions],
        [without.connectString, true, "standalone", "4lw", null, 0],
      );
      assert.match(a.zxid, /^0x[0-9a-f]+$/);
      assert.ok(a.znodes >= 4);
      assert.deepEqual([b.reachable, b.via], [true, "http"]);
      assert.deepEqual([c.reachable, c.mode, c.via], [false, null, null]);
      assert.match(c.error, /refused|connect/i);

      const table = await status(["-server", `127.0.0.1:${dead}`, "--admin-port", String(dead)]);
      assert.equal(table.code, 1);
      assert.match(table.stdout, /unreachable/);
      assert.match(table.stderr, new RegExp(`^zkd status: 127\\.0\\.0\\.1:${dead}: `));
    } finally {
      await Promise.all([withHttp.stop(), without.stop()]);
    }
  },
});

Deno.test({
  name: "zkd status --wait keeps probing until a server that starts later answers",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const port = freePort();
    const dir = await Deno.makeTempDir({ prefix: "zkd-status-wait-" });
    await Deno.writeTextFile(
      `${dir}/zoo.cfg`,
      `dataDir=${dir}/data\nclientPort=${port}\nclientPortAddress=127.0.0.1\n` +
        "admin.enableServer=false\n",
    );
    const started = Date.now();
    const waiting = status(["-server", `127.0.0.1:${port}`, "--wait", "60", "--timeout", "1000"]);
    await new Promise((r) => setTimeout(r, 1000));
    const server = new Deno.Command(Deno.execPath(), {
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
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      const r = await waiting;
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /standalone/);
      assert.ok(Date.now() - started < 60_000);
      // Without --wait, a server that is not there fails at once.
      const dead = await status(["-server", `127.0.0.1:${freePort()}`, "--admin-port", "1"]);
      assert.equal(dead.code, 1);
    } finally {
      server.kill("SIGTERM");
      assert.equal((await server.status).code, 0);
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "zkd status reads Apache ZooKeeper through its four-letter words",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const zk = await startApacheZk();
    try {
      const r = await status([
        "-server",
        zk.connectString,
        "--admin-port",
        String(freePort()),
        "--json",
      ]);
      assert.equal(r.code, 0, r.stderr);
      const [s] = JSON.parse(r.stdout).servers;
      assert.deepEqual([s.mode, s.via, s.sessions, s.znodes], ["standalone", "4lw", 0, 5]);
    } finally {
      await zk.stop();
    }
  },
});
