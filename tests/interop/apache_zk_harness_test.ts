// Proves the process harness itself against the reference server: if this fails, every
// differential test's "expected" side is suspect, so it is worth a separate, cheap check.

import assert from "node:assert/strict";
import { startApacheZk } from "./support/apache_zk.ts";
import { fourLetter } from "./support/net.ts";

Deno.test("startApacheZk() serves srvr with Mode: standalone and stops cleanly", async () => {
  const zk = await startApacheZk();
  try {
    const srvr = await fourLetter(zk.port, "srvr");
    assert.match(srvr, /^Zookeeper version: 3\.8\./m);
    assert.match(srvr, /^Mode: standalone$/m);
    // A fresh server has /, /zookeeper, /zookeeper/quota, /zookeeper/config, and the root is
    // counted twice (stored under "" and "/"), hence 5.
    assert.match(srvr, /^Node count: 5$/m);
    // The whitelist from zoo.cfg/-D is in effect: ruok is not in the default (srvr-only) list.
    assert.equal(await fourLetter(zk.port, "ruok"), "imok");
  } finally {
    await zk.stop();
  }
  // After stop() the port no longer accepts connections.
  await assert.rejects(() => fourLetter(zk.port, "srvr", 2_000));
});
