/**
 * A client that pipelines far more than the server will buffer, and does not read its
 * replies, must not make the server grow without bound: the server stops reading that
 * socket. Once the client reads, every reply arrives, in order, and other clients were
 * served all along.
 */

import assert from "node:assert/strict";
import { Op } from "../../lib/proto/ops.ts";
import { JuteReader } from "../../lib/proto/jute.ts";
import { readReplyHeader } from "../../lib/proto/records.ts";
import { fourLetter } from "../interop/support/net.ts";
import { startZkd } from "../interop/support/zkd.ts";
import { RawConn } from "../support/raw_client.ts";

const VALUE_BYTES = 64 * 1024;
const REQUESTS = 5000; // 5000 x 64 KiB = 320 MiB of replies if nothing pushed back

/** Resident set size of a process, via ps (Deno reserves /proc for --allow-all). */
async function rssBytes(pid: number): Promise<number> {
  const out = await new Deno.Command("ps", { args: ["-o", "rss=", "-p", String(pid)] }).output();
  return Number(new TextDecoder().decode(out.stdout).trim()) * 1024;
}

Deno.test({
  name: "a client that does not read its replies is throttled, not buffered",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const zkd = await startZkd({ cfg: { connectionOutstandingLimit: "100" } });
    try {
      const c = await RawConn.open(zkd.port);
      await c.handshake();
      const created = await c.call(1, {
        op: Op.create,
        path: "/big",
        data: new Uint8Array(VALUE_BYTES),
        acl: [{ perms: 31, scheme: "world", id: "anyone" }],
        flags: 0,
        ttlMs: 0,
      });
      assert.equal(created.header.err, 0);
      const rssBefore = await rssBytes(zkd.pid);

      // Write every request without reading; the writer blocks once both sides' buffers fill.
      const one = RawConn.requestFrame(0, { op: Op.getData, path: "/big", watch: false });
      const all = new Uint8Array(one.byteLength * REQUESTS);
      for (let i = 0; i < REQUESTS; i++) {
        all.set(one, i * one.byteLength);
        new DataView(all.buffer).setInt32(i * one.byteLength + 4, i + 2); // xid
      }
      const writing = c.write(all);
      await new Promise((r) => setTimeout(r, 1500));

      // The server still answers others, and has not buffered the backlog in memory.
      assert.match(await fourLetter(zkd.port, "srvr"), /Mode: standalone/);
      const grownBytes = (await rssBytes(zkd.pid)) - rssBefore;
      assert.ok(
        grownBytes < 100 * 1024 * 1024,
        `server grew by ${grownBytes} bytes while throttling`,
      );

      // Now read everything: all replies arrive, in order.
      let expected = 2;
      while (expected < REQUESTS + 2) {
        const f = await c.frame(10000);
        assert.ok(f !== null, `reply ${expected} missing`);
        const h = readReplyHeader(new JuteReader(f));
        assert.equal(h.xid, expected);
        assert.equal(h.err, 0);
        expected++;
      }
      await writing;
      c.close();
    } finally {
      await zkd.stop();
    }
  },
});
