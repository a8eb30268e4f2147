/**
 * `zkd status` without servers: lag behind the leader, the table and JSON, the command line.
 * tests/e2e/status_test.ts runs it against real servers.
 */

import assert from "node:assert/strict";
import {
  parseStatusArgs,
  renderJson,
  renderTable,
  type ServerStatus,
  withLag,
} from "../../lib/cli/status.ts";
import { UsageError } from "../../lib/cli/usage_error.ts";

function status(server: string, mode: string | null, zxid: bigint | null): ServerStatus {
  return {
    server,
    reachable: mode !== null,
    mode,
    zxid,
    sessions: mode === null ? null : 3,
    znodes: mode === null ? null : 12,
    via: mode === null ? null : "http",
    error: mode === null ? "Connection refused" : null,
  };
}

Deno.test("withLag() counts txns behind the leader within its epoch", () => {
  const epoch2 = 2n << 32n;
  const rows = withLag([
    status("a:1", "follower", epoch2 + 5n),
    status("b:1", "leader", epoch2 + 9n),
    status("c:1", "follower", (1n << 32n) + 100n),
    status("d:1", "observer", epoch2 + 9n),
    status("e:1", null, null),
  ]);
  assert.deepEqual(rows.map((r) => r.lag), [4n, 0n, null, 0n, null]);
});

Deno.test("withLag() has no lag for a standalone server or without a leader", () => {
  assert.deepEqual(withLag([status("a:1", "standalone", 7n)]).map((r) => r.lag), [null]);
  assert.deepEqual(withLag([status("a:1", "follower", 7n)]).map((r) => r.lag), [null]);
});

Deno.test("renderTable() aligns columns and marks what is unknown with -", () => {
  const table = renderTable(
    withLag([status("127.0.0.1:2181", "standalone", 0x1an), status("127.0.0.1:2182", null, null)]),
  );
  assert.equal(
    table,
    "SERVER          MODE         ZXID  LAG  SESSIONS  ZNODES  VIA\n" +
      "127.0.0.1:2181  standalone   0x1a  -    3         12      http\n" +
      "127.0.0.1:2182  unreachable  -     -    -         -       -\n",
  );
});

Deno.test("renderJson() gives zxids as hex text and lags as numbers", () => {
  const doc = JSON.parse(
    renderJson(withLag([status("a:1", "leader", 0x200000003n), status("b:1", null, null)])),
  );
  assert.deepEqual(doc.servers[0], {
    server: "a:1",
    reachable: true,
    mode: "leader",
    zxid: "0x200000003",
    lag: 0,
    sessions: 3,
    znodes: 12,
    via: "http",
    error: null,
  });
  assert.equal(doc.servers[1].reachable, false);
  assert.equal(doc.servers[1].error, "Connection refused");
});

Deno.test("parseStatusArgs() reads -server, --admin-port, --json, --timeout, --wait", () => {
  const a = parseStatusArgs([
    "-server",
    "h1:2181,[::1]:2182",
    "--admin-port",
    "9090",
    "--json",
    "--timeout",
    "100",
    "--wait",
    "2",
  ]);
  assert.notEqual(a, "help");
  if (a === "help") return;
  assert.deepEqual(a.hosts, [{ hostname: "h1", port: 2181 }, { hostname: "::1", port: 2182 }]);
  assert.deepEqual([a.adminPorts, a.json, a.timeoutMs, a.waitMs], [[9090, 9090], true, 100, 2000]);
  const d = parseStatusArgs([]);
  assert.ok(d !== "help" && d.hosts[0].port === 2181 && d.adminPorts[0] === 8080 && !d.json);
  const each = parseStatusArgs(["-server", "a:1,b:2", "--admin-port", "8081,8082"]);
  assert.ok(each !== "help");
  assert.deepEqual(each.adminPorts, [8081, 8082]);
  assert.throws(() => parseStatusArgs(["-server", "a:1,b:2", "--admin-port", "1,2,3"]), UsageError);
  assert.equal(parseStatusArgs(["--help"]), "help");
  assert.throws(() => parseStatusArgs(["--admin-port", "x"]), UsageError);
  assert.throws(() => parseStatusArgs(["--bogus"]), UsageError);
  assert.throws(() => parseStatusArgs(["-server", "h:99999"]), UsageError);
});
