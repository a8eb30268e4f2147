/**
 * A client process for fault tests: connects to `hosts`, creates the ephemeral `path`, prints
 * "ready" and then keeps its session alive until it is killed (kill -9: no closeSession, so
 * the server must expire the session).
 *
 *   deno run --allow-net tests/support/ephemeral_holder.ts HOSTS PATH SESSION_TIMEOUT_MS
 */

import { ZkClient } from "../../lib/client/client.ts";
import { CreateFlag } from "../../lib/proto/ops.ts";

const [hosts, path, timeoutText] = Deno.args;
const client = await ZkClient.connect({
  hosts,
  sessionTimeoutMs: Number(timeoutText ?? "4000"),
  connectTimeoutMs: 20_000,
});
await client.create(path, "held", { mode: CreateFlag.ephemeral });
console.log("ready");
// The client's own pings keep the session; wait to be killed.
await new Promise(() => {});
