/**
 * Bad input never takes the server down: for a bounded time, connections send random bytes,
 * lying length prefixes, oversize frames, garbage handshakes, silence, and valid sessions
 * followed by mutated request frames. Afterwards a normal client must still be served
 * correctly and every connection the fuzzer opened must have been closed or answered.
 * Seeded: a failure prints the seed; replay with ZKD_FUZZ_SEED=<seed>.
 */

import assert from "node:assert/strict";
import { Err } from "../../lib/proto/errors.ts";
import { Op } from "../../lib/proto/ops.ts";
import { readStat } from "../../lib/proto/records.ts";
import { randomBelow, SeededRandom } from "../../lib/util/random.ts";
import { startZkd } from "../interop/support/zkd.ts";
import { RawConn } from "../support/raw_client.ts";

const FUZZ_MS = Number(Deno.env.get("ZKD_FUZZ_MS") ?? 6000);

function randomBytes(rng: SeededRandom, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = rng.nextUint32() & 0xff;
  return b;
}

const validRequests = [
  RawConn.requestFrame(1, {
    op: Op.create,
    path: "/fz",
    data: new Uint8Array(8),
    acl: [{ perms: 31, scheme: "world", id: "anyone" }],
    flags: 0,
    ttlMs: 0,
  }),
  RawConn.requestFrame(2, { op: Op.getData, path: "/fz", watch: true }),
  RawConn.requestFrame(3, { op: Op.setData, path: "/fz", data: new Uint8Array(3), version: -1 }),
  RawConn.requestFrame(4, {
    op: Op.multi,
    ops: [{ op: Op.check, path: "/fz", version: 0 }, { op: Op.delete, path: "/fz", version: -1 }],
  }),
  RawConn.requestFrame(5, {
    op: Op.setWatches2,
    relativeZxid: 0,
    dataWatches: ["/a"],
    existWatches: ["/b"],
    childWatches: [],
    persistentWatches: ["/"],
    persistentRecursiveWatches: ["/x"],
  }),
  RawConn.requestFrame(6, { op: Op.getChildren2, path: "/", watch: false }),
];

function mutate(rng: SeededRandom, frame: Uint8Array): Uint8Array {
  const f = frame.slice();
  switch (randomBelow(rng, 5)) {
    case 0: // flip some bytes after the length prefix
      for (let i = 0; i < 1 + randomBelow(rng, 4); i++) {
        f[4 + randomBelow(rng, f.length - 4)] ^= 1 << randomBelow(rng, 8);
      }
      return f;
    case 1: { // truncate the body but keep the prefix consistent
      const n = 8 + randomBelow(rng, Math.max(1, f.length - 12));
      const out = f.slice(0, 4 + n);
      new DataView(out.buffer).setInt32(0, n);
      return out;
    }
    case 2: // random opcode
      new DataView(f.buffer).setInt32(8, rng.nextUint32() | 0);
      return f;
    case 3: // lying vector or string length inside the body
      new DataView(f.buffer).setInt32(12, 0x7ffffff0 - randomBelow(rng, 100));
      return f;
    default: // random tail
      return new Uint8Array([...f.subarray(0, 12), ...randomBytes(rng, randomBelow(rng, 64))]);
  }
}

async function fuzzOne(rng: SeededRandom, port: number): Promise<void> {
  const c = await RawConn.open(port);
  try {
    const kind = randomBelow(rng, 6);
    if (kind === 0) await c.write(randomBytes(rng, 1 + randomBelow(rng, 300)));
    else if (kind === 1) await c.write(new Uint8Array([0x7f, 0xff, 0xff, 0xff, 1, 2, 3])); // oversize
    else if (kind === 2) await c.write(new Uint8Array([0xff, 0xff, 0xff, 0xfe])); // negative length
    else if (kind === 3) { // a garbage handshake of plausible size
      const b = randomBytes(rng, 48);
      new DataView(b.buffer).setInt32(0, 44);
      await c.write(b);
    } else if (kind === 4) { // valid session, then mutated requests
      await c.handshake(4000);
      for (let i = 0; i < 1 + randomBelow(rng, 8); i++) {
        const base = validRequests[randomBelow(rng, validRequests.length)];
        await c.write(randomBelow(rng, 3) === 0 ? base : mutate(rng, base));
      }
    } // kind 5: say nothing at all
    await c.closedWithin(randomBelow(rng, 200));
  } catch {
    // The server may close on us at any point; that is the expected outcome.
  } finally {
    c.close();
  }
}

Deno.test({
  name: "fuzzed frames close only their own connection; the server keeps serving",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const seed = Number(Deno.env.get("ZKD_FUZZ_SEED") ?? Date.now() % 2 ** 31);
    console.log(`fuzz seed ${seed} (replay: ZKD_FUZZ_SEED=${seed})`);
    const rng = new SeededRandom(seed);
    const zkd = await startZkd({
      cfg: { "nio.sessionlessCnxnTimeout": "1000", maxClientCnxns: "0" },
    });
    try {
      // A well-behaved client that stays connected through the whole run.
      const steady = await RawConn.open(zkd.port);
      await steady.handshake(30000);
      const created = await steady.call(1, {
        op: Op.create,
        path: "/steady",
        data: new Uint8Array([1, 2, 3]),
        acl: [{ perms: 31, scheme: "world", id: "anyone" }],
        flags: 0,
        ttlMs: 0,
      });
      assert.equal(created.header.err, 0);

      // A client that connects and says nothing must be closed by the server.
      const silent = await RawConn.open(zkd.port);
      const silentClosed = silent.closedWithin(FUZZ_MS + 5000);

      const deadline = Date.now() + FUZZ_MS;
      let rounds = 0;
      while (Date.now() < deadline) {
        await Promise.all(Array.from({ length: 8 }, () => fuzzOne(rng, zkd.port)));
        rounds++;
        const ping = await steady.call(-2, { op: Op.ping });
        assert.equal(ping.header.err, 0, `seed ${seed}: steady client lost after ${rounds} rounds`);
      }

      // A fresh client after the storm: full round trip with correct results.
      const fresh = await RawConn.open(zkd.port);
      const resp = await fresh.handshake();
      assert.ok(resp.timeOutMs > 0, `seed ${seed}`);
      const got = await fresh.call(1, { op: Op.getData, path: "/steady", watch: false });
      assert.equal(got.header.err, 0, `seed ${seed}`);
      assert.deepEqual(got.body.buffer(), new Uint8Array([1, 2, 3]));
      assert.equal(readStat(got.body).version, 0);
      const missing = await fresh.call(2, { op: Op.getData, path: "/nope", watch: false });
      assert.equal(missing.header.err, Err.NONODE);
      fresh.close();
      steady.close();
      assert.ok(await silentClosed, "a silent connection is closed after the handshake timeout");
      silent.close();
      const log = await Deno.readTextFile(zkd.logPath);
      assert.match(log, /frame length .* outside/, "oversize frames are logged");
      assert.match(log, /no session request within 1000 ms/, "silent connections are closed");
      console.log(`fuzz: ${rounds} rounds of 8 connections`);
    } finally {
      await zkd.stop();
    }
  },
});
