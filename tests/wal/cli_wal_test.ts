/** `zkd wal dump|verify` on real log directories (runWal with captured output). */

import assert from "node:assert/strict";
import { runWal, type WalIo } from "../../lib/cli/wal.ts";
import { UsageError } from "../../lib/cli/usage_error.ts";
import { DenoStorage } from "../../lib/storage/deno_storage.ts";
import { CONTAINER_OWNER, ttlOwner } from "../../lib/tree/node_kind.ts";
import type { TxnEntry } from "../../lib/tree/txn.ts";
import { scanLog } from "../../lib/wal/recovery.ts";
import { logDirOf } from "../../lib/wal/segment.ts";
import { TxnLogWriter } from "../../lib/wal/txn_log_writer.ts";
import { entries } from "./wal_fixtures.ts";

function capture(): WalIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => stdout.push(t), err: (t) => stderr.push(t) };
}

async function withLog(
  batches: TxnEntry[][],
  fn: (dataLogDir: string) => Promise<void>,
): Promise<void> {
  const dataLogDir = Deno.makeTempDirSync({ prefix: "zkd-walcli-" });
  try {
    const w = new TxnLogWriter(new DenoStorage(), logDirOf(dataLogDir), {
      preAllocSizeBytes: 65536,
    });
    for (const [i, batch] of batches.entries()) {
      if (i > 0) w.roll();
      w.append(batch);
    }
    await w.sync();
    w.close();
    await fn(dataLogDir);
  } finally {
    Deno.removeSync(dataLogDir, { recursive: true });
  }
}

const OPEN = [{ perms: 31, scheme: "world", id: "anyone" }];
const SAMPLE: TxnEntry[] = [
  {
    sessionId: 0x100n,
    cxid: 0,
    zxid: 1,
    timeMs: 0,
    txn: { type: "createSession", timeoutMs: 30000 },
  },
  {
    sessionId: 0x100n,
    cxid: 1,
    zxid: 2,
    timeMs: 1000,
    txn: {
      type: "create",
      path: "/e",
      data: null,
      acl: OPEN,
      ephemeralOwner: 0x100n,
      parentCversion: 1,
    },
  },
  {
    sessionId: 0x100n,
    cxid: 2,
    zxid: 3,
    timeMs: 2000,
    txn: {
      type: "multi",
      txns: [
        {
          type: "create",
          path: "/c",
          data: new Uint8Array(3),
          acl: OPEN,
          ephemeralOwner: CONTAINER_OWNER,
          parentCversion: 2,
        },
        {
          type: "create",
          path: "/t",
          data: null,
          acl: OPEN,
          ephemeralOwner: ttlOwner(5000),
          parentCversion: 3,
        },
      ],
    },
  },
  { sessionId: 0x100n, cxid: 3, zxid: 4, timeMs: 3000, txn: { type: "error", err: -101 } },
  { sessionId: 0n, cxid: 0, zxid: 5, timeMs: 4000, txn: { type: "closeSession", paths: ["/e"] } },
];

Deno.test("zkd wal dump prints one line per record", async () => {
  await withLog([SAMPLE.slice(0, 3), SAMPLE.slice(3)], async (dir) => {
    const io = capture();
    assert.equal(await runWal(["dump", dir], io), 0);
    const lines = io.stdout.join("\n").split("\n");
    assert.deepEqual(lines, [
      "0x1 session 0x100 cxid 0 1970-01-01T00:00:00.000Z createSession timeout 30000ms",
      "0x2 session 0x100 cxid 1 1970-01-01T00:00:01.000Z create /e null data ephemeral 0x100 acl 1 parent cversion 1",
      "0x3 session 0x100 cxid 2 1970-01-01T00:00:02.000Z multi 2 ops [create /c 3B container acl 1 parent cversion 2; create /t null data ttl 5000ms acl 1 parent cversion 3]",
      "0x4 session 0x100 cxid 3 1970-01-01T00:00:03.000Z error NONODE (-101)",
      "0x5 session 0x0 cxid 0 1970-01-01T00:00:04.000Z closeSession deletes 1: /e",
    ]);
    assert.deepEqual(io.stderr, []);
  });
});

Deno.test("zkd wal verify prints a summary; DIR may be the version-2 directory itself", async () => {
  await withLog([entries(1, 10), entries(11, 22)], async (dir) => {
    for (const d of [dir, logDirOf(dir)]) {
      const io = capture();
      assert.equal(await runWal(["verify", d], io), 0);
      assert.deepEqual(io.stdout, ["32 records, 2 segments, zxids 0x1-0x20, OK"]);
    }
  });
});

Deno.test("zkd wal verify reports corruption with file and offset and exits 1", async () => {
  await withLog([entries(1, 10)], async (dir) => {
    const positions: number[] = [];
    scanLog(new DenoStorage(), logDirOf(dir), { onEntry: (_, p) => positions.push(p.offset) });
    const path = `${logDirOf(dir)}/log.1`;
    const f = Deno.openSync(path, { read: true, write: true });
    f.seekSync(positions[4] + 20, Deno.SeekMode.Start);
    f.writeSync(Uint8Array.of(0xee));
    f.close();
    const io = capture();
    assert.equal(await runWal(["verify", dir], io), 1);
    assert.deepEqual(io.stdout, []);
    assert.equal(io.stderr.length, 1);
    assert.match(
      io.stderr[0],
      new RegExp(`^CORRUPT: ${path} at byte offset ${positions[4]}: checksum`),
    );
    const dump = capture();
    assert.equal(await runWal(["dump", dir], dump), 1);
    assert.equal(dump.stdout.join("\n").split("\n").length, 4, "records before the damage");
  });
});

Deno.test("zkd wal verify reports a torn tail without failing or repairing", async () => {
  await withLog([entries(1, 3)], async (dir) => {
    const positions: number[] = [];
    scanLog(new DenoStorage(), logDirOf(dir), { onEntry: (_, p) => positions.push(p.offset) });
    const path = `${logDirOf(dir)}/log.1`;
    const f = Deno.openSync(path, { read: true, write: true });
    f.seekSync(positions[2] + 30, Deno.SeekMode.Start);
    f.writeSync(new Uint8Array(40));
    f.close();
    const before = Deno.readFileSync(path);
    const io = capture();
    assert.equal(await runWal(["verify", dir], io), 0);
    assert.deepEqual(io.stdout, ["2 records, 1 segment, zxids 0x1-0x2, OK"]);
    assert.match(io.stderr[0], new RegExp(`^torn tail: ${path} at byte offset ${positions[2]}`));
    assert.deepEqual(Deno.readFileSync(path), before, "verify never modifies the log");
  });
});

Deno.test("zkd wal verify on an empty directory says there is nothing", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    const io = capture();
    assert.equal(await runWal(["verify", dir], io), 0);
    assert.match(io.stdout[0], /^0 records, 0 segments, OK \(no log segments in /);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("zkd wal rejects bad arguments with a one-line UsageError", async () => {
  for (
    const [args, message] of [
      [[], /^usage: zkd wal dump DIR/],
      [["frob", "/tmp"], /^unknown wal command 'frob'/],
      [["dump"], /^wal dump: missing DIR/],
      [["verify", "/tmp", "x"], /^wal verify: unexpected argument 'x'/],
      [["verify", "/definitely/not/here"], /^wal: no such directory: \/definitely\/not\/here$/],
    ] as const
  ) {
    await assert.rejects(runWal([...args], capture()), (e: unknown) => {
      assert.ok(e instanceof UsageError);
      assert.match(e.message, message);
      assert.ok(!e.message.includes("\n"));
      return true;
    });
  }
});
