/** parseHosts(): connect strings as the Java client accepts them. */

import assert from "node:assert/strict";
import { formatHostPort, parseHosts } from "../../lib/client/hosts.ts";

Deno.test("parseHosts() splits host:port lists and defaults the port to 2181", () => {
  assert.deepEqual(parseHosts("127.0.0.1:2181, localhost ,[::1]:2182"), [
    { hostname: "127.0.0.1", port: 2181 },
    { hostname: "localhost", port: 2181 },
    { hostname: "::1", port: 2182 },
  ]);
  assert.equal(formatHostPort({ hostname: "::1", port: 2182 }), "[::1]:2182");
});

Deno.test("parseHosts() names the bad part of a bad list", () => {
  assert.throws(() => parseHosts(""), /empty server list/);
  assert.throws(() => parseHosts("a:1,,b:2"), /empty entry/);
  assert.throws(() => parseHosts("a:x"), /bad port in server address: a:x/);
  assert.throws(() => parseHosts("a:70000"), /port out of range/);
  assert.throws(() => parseHosts("a:1/chroot"), /chroot/);
});
