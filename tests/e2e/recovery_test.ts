/**
 * Recovery with real processes and real files: a torn tail is cut with a log line and the
 * server starts with everything before it; corruption before the tail stops start-up with one
 * line naming file and offset (never a silent start on half the data); sessions and their
 * ephemerals survive kill -9 and expire only if their clients do not come back in time.
 */

import assert from "node:assert/strict";
import { Err } from "../../lib/proto/errors.ts";
import { CreateFlag, Op } from "../../lib/proto/ops.ts";
import { REPO_ROOT, startZkd } from "../interop/support/zkd.ts";
import { RawConn } from "../support/raw_client.ts";

const OPEN = [{ perms: 31, scheme: "world", id: "anyone" }];
const enc = (s: string) => new TextEncoder().encode(s);

async function createMany(port: number, n: number): Promise<void> {
  const c = await RawConn.open(port);
  await c.handshake();
  for (let i = 0; i < n; i++) {
    const r = await c.call(i + 1, {
      op: Op.create,
      path: `/r${i}`,
      data: enc(`v${i}`),
      acl: OPEN,
      flags: 0,
      ttlMs: 0,
    });
    assert.equal(r.header.err, 0);
  }
  c.close();
}

function lastSegment(dataDir: string): string {
  const names = [...Deno.readDirSync(`${dataDir}/version-2`)].map((e) => e.name)
    .filter((n) => n.startsWith("log.")).sort((a, b) =>
      parseInt(a.slice(4), 16) - parseInt(b.slice(4), 16)
    );
  return `${dataDir}/version-2/${names[names.length - 1]}`;
}

/** Offset just past the last non-zero byte (the end of the written records). */
function endOfData(bytes: Uint8Array): number {
  let i = bytes.length - 1;
  while (i >= 0 && bytes[i] === 0) i--;
  return i + 1;
}

Deno.test({
  name: "a torn last record is cut with a log line; everything before it is served",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    let zkd = await startZkd();
    const dataDir = zkd.dataDir;
    try {
      await createMany(zkd.port, 20);
      await zkd.kill();
      const seg = lastSegment(dataDir);
      const bytes = await Deno.readFile(seg);
      const end = endOfData(bytes);
      // A record header claiming 200 payload bytes, then only part of them: a torn write.
      const torn = new Uint8Array(40);
      new DataView(torn.buffer).setInt32(0, 200);
      torn.fill(0xab, 4);
      const f = await Deno.open(seg, { write: true });
      await f.seek(end, Deno.SeekMode.Start);
      await f.write(torn);
      f.close();
      zkd = await startZkd({ dataDir });
      const log = await Deno.readTextFile(zkd.logPath);
      assert.match(log, new RegExp(`torn tail cut at ${seg} offset ${end}`));
      const c = await RawConn.open(zkd.port);
      await c.handshake();
      for (const i of [0, 19]) {
        const r = await c.call(i + 1, { op: Op.getData, path: `/r${i}`, watch: false });
        assert.equal(r.header.err, 0, `/r${i} survives`);
      }
      c.close();
    } finally {
      await zkd.stop();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name: "corruption before the tail stops start-up with the file and offset",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const zkd = await startZkd();
    const dataDir = zkd.dataDir;
    try {
      await createMany(zkd.port, 20);
      await zkd.kill();
      const seg = lastSegment(dataDir);
      const bytes = await Deno.readFile(seg);
      const at = Math.floor(endOfData(bytes) / 2); // inside some record in the middle
      bytes[at] ^= 0x5a;
      await Deno.writeFile(seg, bytes);
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
          zkd.cfgPath,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 1, stderr);
      const last = stderr.trim().split("\n").at(-1)!;
      assert.match(last, new RegExp(`^zkd: .*${seg.replace(/[.]/g, "\\.")}.*offset \\d+`), stderr);
      assert.doesNotMatch(stderr, /listening on/, "it must not start on half the data");
    } finally {
      await zkd.stop();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name: "sessions and ephemerals survive kill -9; only clients that do not return expire",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    let zkd = await startZkd({ cfg: { tickTime: "500", minSessionTimeout: "2000" } });
    const dataDir = zkd.dataDir;
    try {
      const back = await RawConn.open(zkd.port);
      const backResp = await back.handshake(2000);
      const gone = await RawConn.open(zkd.port);
      await gone.handshake(2000);
      for (const [c, path] of [[back, "/eph-back"], [gone, "/eph-gone"]] as const) {
        const r = await c.call(1, {
          op: Op.create,
          path,
          data: null,
          acl: OPEN,
          flags: CreateFlag.ephemeral,
          ttlMs: 0,
        });
        assert.equal(r.header.err, 0);
      }
      await zkd.kill();
      back.close();
      gone.close();
      zkd = await startZkd({ cfg: { tickTime: "500", minSessionTimeout: "2000" }, dataDir });
      const again = await RawConn.open(zkd.port);
      const resp = await again.handshake(2000, 0, {
        sessionId: backResp.sessionId,
        passwd: backResp.passwd,
      });
      assert.equal(resp.sessionId, backResp.sessionId, "the session is resumed after the restart");
      assert.equal(
        (await again.call(1, { op: Op.exists, path: "/eph-back", watch: false })).header.err,
        0,
      );
      assert.equal(
        (await again.call(2, { op: Op.exists, path: "/eph-gone", watch: false })).header.err,
        0,
        "kept until its session expires",
      );
      // Keep the returning session alive with pings past the other one's timeout.
      const deadline = Date.now() + 4000;
      let xid = 3;
      while (Date.now() < deadline) {
        await again.call(-2, { op: Op.ping });
        await new Promise((r) => setTimeout(r, 300));
      }
      assert.equal(
        (await again.call(xid++, { op: Op.exists, path: "/eph-gone", watch: false })).header.err,
        Err.NONODE,
      );
      assert.equal(
        (await again.call(xid++, { op: Op.exists, path: "/eph-back", watch: false })).header.err,
        0,
      );
      again.close();
    } finally {
      await zkd.stop();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name: "autopurge keeps the newest snapshots and the log they need; restart still recovers",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const cfg = {
      snapCount: "200",
      preAllocSize: "64",
      "autopurge.snapRetainCount": "3",
      "autopurge.purgeInterval": "1s",
    };
    let zkd = await startZkd({ cfg });
    const dataDir = zkd.dataDir;
    try {
      await createMany(zkd.port, 1500);
      await new Promise((r) => setTimeout(r, 1500));
      const names = [...Deno.readDirSync(`${dataDir}/version-2`)].map((e) => e.name);
      const snaps = names.filter((n) => /^snapshot\.[0-9a-f]+$/.test(n));
      const logs = names.filter((n) => n.startsWith("log."));
      assert.equal(snaps.length, 3, names.join(" "));
      assert.ok(logs.length <= 5, `old log segments purged: ${logs.join(" ")}`);
      await zkd.kill();
      zkd = await startZkd({ cfg, dataDir });
      const c = await RawConn.open(zkd.port);
      await c.handshake();
      const n = await c.call(1, { op: Op.getAllChildrenNumber, path: "/" });
      assert.equal(n.body.int(), 1500 + 3);
      c.close();
    } finally {
      await zkd.stop();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
});
