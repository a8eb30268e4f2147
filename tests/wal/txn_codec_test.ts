/** The txn codec: every Txn variant round-trips exactly; the layout is ZooKeeper's TxnHeader. */

import assert from "node:assert/strict";
import { DecodeError, JuteWriter } from "../../lib/proto/jute.ts";
import type { Txn, TxnEntry } from "../../lib/tree/txn.ts";
import { CONTAINER_OWNER, ttlOwner } from "../../lib/tree/node_kind.ts";
import { type Random, randomBelow, SeededRandom } from "../../lib/util/random.ts";
import { decodeTxnEntry, encodeTxnEntry, txnTypeCode } from "../../lib/wal/txn_codec.ts";

const OPEN = [{ perms: 31, scheme: "world", id: "anyone" }];
const bytes = (...b: number[]) => new Uint8Array(b);

function entry(txn: Txn, overrides: Partial<TxnEntry> = {}): TxnEntry {
  return {
    sessionId: 0x1000abcdn,
    cxid: 7,
    zxid: 0x100000005,
    timeMs: 1_700_000_000_123,
    txn,
    ...overrides,
  };
}

function roundTrip(e: TxnEntry): void {
  assert.deepEqual(decodeTxnEntry(encodeTxnEntry(e)), e);
}

const VARIANTS: Record<string, Txn> = {
  createSession: { type: "createSession", timeoutMs: 30000 },
  closeSession: { type: "closeSession", paths: ["/e1", "/a/e2", "/ünïcödé"] },
  closeSessionNoPaths: { type: "closeSession", paths: [] },
  create: {
    type: "create",
    path: "/a",
    data: bytes(1, 2, 3),
    acl: OPEN,
    ephemeralOwner: 0n,
    parentCversion: 4,
  },
  createEphemeral: {
    type: "create",
    path: "/eph",
    data: bytes(),
    acl: [{ perms: 1, scheme: "digest", id: "u:hash=" }, ...OPEN],
    ephemeralOwner: 0x7fffffffffffffffn,
    parentCversion: 1,
  },
  createNegativeSession: {
    type: "create",
    path: "/eph",
    data: null,
    acl: OPEN,
    ephemeralOwner: -0x123456789abcdefn,
    parentCversion: 0,
  },
  createContainer: {
    type: "create",
    path: "/c",
    data: null,
    acl: OPEN,
    ephemeralOwner: CONTAINER_OWNER,
    parentCversion: 2,
  },
  createTtl: {
    type: "create",
    path: "/t",
    data: bytes(0),
    acl: OPEN,
    ephemeralOwner: ttlOwner(0xffffffffff),
    parentCversion: -1,
  },
  delete: { type: "delete", path: "/a/b" },
  setData: { type: "setData", path: "/a", data: bytes(9, 9), version: 3 },
  setDataNull: { type: "setData", path: "/a", data: null, version: 0x7fffffff },
  setDataEmpty: { type: "setData", path: "/a", data: bytes(), version: 1 },
  setACL: { type: "setACL", path: "/a", acl: [], version: 2 },
  check: { type: "check", path: "/a", version: -1 },
  error: { type: "error", err: -101 },
  multi: {
    type: "multi",
    txns: [
      { type: "create", path: "/m", data: null, acl: OPEN, ephemeralOwner: 0n, parentCversion: 9 },
      { type: "check", path: "/m", version: 0 },
      { type: "setData", path: "/m", data: bytes(), version: 1 },
      { type: "setACL", path: "/m", acl: OPEN, version: 1 },
      { type: "delete", path: "/m" },
    ],
  },
  multiFailed: {
    type: "multi",
    txns: [{ type: "error", err: 0 }, { type: "error", err: -101 }, { type: "error", err: -2 }],
  },
  multiEmpty: { type: "multi", txns: [] },
};

for (const [name, txn] of Object.entries(VARIANTS)) {
  Deno.test(`decodeTxnEntry(encodeTxnEntry()) round-trips ${name}`, () => roundTrip(entry(txn)));
}

Deno.test("decodeTxnEntry() keeps null data and empty data apart", () => {
  const nullData = decodeTxnEntry(encodeTxnEntry(entry(VARIANTS.setDataNull)));
  const emptyData = decodeTxnEntry(encodeTxnEntry(entry(VARIANTS.setDataEmpty)));
  assert.equal((nullData.txn as { data: Uint8Array | null }).data, null);
  assert.deepEqual((emptyData.txn as { data: Uint8Array | null }).data, new Uint8Array(0));
});

Deno.test("encodeTxnEntry() header round-trips extreme session ids, zxids and times", () => {
  for (const sessionId of [0n, 1n, -1n, 0x7fffffffffffffffn, -0x8000000000000000n]) {
    roundTrip(entry(VARIANTS.delete, { sessionId }));
  }
  for (const zxid of [1, 0xffffffff, 0x100000000, Number.MAX_SAFE_INTEGER]) {
    roundTrip(entry(VARIANTS.delete, { zxid }));
  }
  for (const cxid of [0, -2, 0x7fffffff, -0x80000000]) roundTrip(entry(VARIANTS.delete, { cxid }));
  roundTrip(entry(VARIANTS.delete, { timeMs: 0 }));
});

Deno.test("encodeTxnEntry() lays out ZooKeeper's TxnHeader then the record", () => {
  const e: TxnEntry = {
    sessionId: -2n,
    cxid: 5,
    zxid: 0x100000002,
    timeMs: 0x0102030405,
    txn: { type: "createSession", timeoutMs: 30000 },
  };
  const hex = [...encodeTxnEntry(e)].map((b) => b.toString(16).padStart(2, "0")).join(" ");
  assert.equal(
    hex,
    "ff ff ff ff ff ff ff fe " + // clientId
      "00 00 00 05 " + // cxid
      "00 00 00 01 00 00 00 02 " + // zxid
      "00 00 00 01 02 03 04 05 " + // time
      "ff ff ff f6 " + // type -10
      "00 00 75 30", // CreateSessionTxn{timeOut}
  );
});

Deno.test("encodeTxnEntry() frames each multi sub-txn as {int type, buffer record}", () => {
  const encoded = encodeTxnEntry(entry({ type: "multi", txns: [{ type: "error", err: -101 }] }));
  const record = encoded.subarray(32);
  const hex = [...record].map((b) => b.toString(16).padStart(2, "0")).join(" ");
  assert.equal(hex, "00 00 00 01 ff ff ff ff 00 00 00 04 ff ff ff 9b");
});

Deno.test("txnTypeCode() uses ZooKeeper's op codes", () => {
  assert.equal(txnTypeCode(VARIANTS.createSession), -10);
  assert.equal(txnTypeCode(VARIANTS.closeSession), -11);
  assert.equal(txnTypeCode(VARIANTS.create), 1);
  assert.equal(txnTypeCode(VARIANTS.delete), 2);
  assert.equal(txnTypeCode(VARIANTS.setData), 5);
  assert.equal(txnTypeCode(VARIANTS.setACL), 7);
  assert.equal(txnTypeCode(VARIANTS.check), 13);
  assert.equal(txnTypeCode(VARIANTS.multi), 14);
  assert.equal(txnTypeCode(VARIANTS.error), -1);
});

Deno.test("decodeTxnEntry() rejects trailing bytes, truncation, unknown types and nulls", () => {
  const good = encodeTxnEntry(entry(VARIANTS.delete));
  const trailing = new Uint8Array(good.length + 1);
  trailing.set(good);
  assert.throws(() => decodeTxnEntry(trailing), DecodeError);
  for (let cut = 0; cut < good.length; cut++) {
    assert.throws(() => decodeTxnEntry(good.subarray(0, cut)), DecodeError, `cut at ${cut}`);
  }
  const header = (type: number) => new JuteWriter().longBig(1n).int(1).long(1).long(1).int(type);
  assert.throws(() => decodeTxnEntry(header(99).toBytes()), /unknown txn type 99/);
  assert.throws(() => decodeTxnEntry(header(2).ustring(null).toBytes()), /null path/);
  assert.throws(() => decodeTxnEntry(header(-11).int(-1).toBytes()), /null vector/);
  const nullAcl = header(7).ustring("/a").int(-1).int(0).toBytes();
  assert.throws(() => decodeTxnEntry(nullAcl), /null ACL/);
  const nullSub = header(14).int(1).int(2).int(-1).toBytes();
  assert.throws(() => decodeTxnEntry(nullSub), /null sub-txn/);
  const subTrailing = header(14).int(1).int(-1).int(5).int(0).raw(bytes(1)).toBytes();
  assert.throws(() => decodeTxnEntry(subTrailing), /after sub-txn 0/);
});

Deno.test("decodeTxnEntry() bounds multi nesting", () => {
  let txn: Txn = { type: "error", err: 0 };
  for (let i = 0; i < 4; i++) txn = { type: "multi", txns: [txn] };
  roundTrip(entry(txn));
  txn = { type: "multi", txns: [txn] };
  assert.throws(() => decodeTxnEntry(encodeTxnEntry(entry(txn))), /nested/);
});

// ---------------------------------------------------------------- seeded random round trips

function pick<T>(random: Random, items: readonly T[]): T {
  return items[randomBelow(random, items.length)];
}

function randomData(random: Random): Uint8Array | null {
  const n = randomBelow(random, 40) - 5;
  if (n < 0) return null;
  return Uint8Array.from({ length: n }, () => random.nextUint32() & 0xff);
}

function randomPath(random: Random): string {
  const parts = 1 + randomBelow(random, 4);
  let p = "";
  for (let i = 0; i < parts; i++) {
    p += "/" + pick(random, ["a", "bb", "node-0000000001", "ü", "x y"]);
  }
  return p;
}

function randomLong(random: Random): bigint {
  return BigInt.asIntN(64, (BigInt(random.nextUint32()) << 32n) | BigInt(random.nextUint32()));
}

function randomInt(random: Random): number {
  return random.nextUint32() | 0;
}

function randomTxn(random: Random, depth: number): Txn {
  const acl = () =>
    Array.from({ length: randomBelow(random, 3) }, () => ({
      perms: randomBelow(random, 32),
      scheme: pick(random, ["world", "digest", "ip", "sasl"]),
      id: pick(random, ["anyone", "bob:x=", "10.0.0.0/8", ""]),
    }));
  switch (randomBelow(random, depth === 0 ? 9 : 8)) {
    case 0:
      return { type: "createSession", timeoutMs: randomInt(random) };
    case 1:
      return {
        type: "closeSession",
        paths: Array.from({ length: randomBelow(random, 4) }, () => randomPath(random)),
      };
    case 2: {
      const owner = pick(random, [
        0n,
        CONTAINER_OWNER,
        ttlOwner(randomBelow(random, 1e9)),
        randomLong(random),
      ]);
      return {
        type: "create",
        path: randomPath(random),
        data: randomData(random),
        acl: acl(),
        ephemeralOwner: owner,
        parentCversion: randomInt(random),
      };
    }
    case 3:
      return { type: "delete", path: randomPath(random) };
    case 4:
      return {
        type: "setData",
        path: randomPath(random),
        data: randomData(random),
        version: randomInt(random),
      };
    case 5:
      return { type: "setACL", path: randomPath(random), acl: acl(), version: randomInt(random) };
    case 6:
      return { type: "check", path: randomPath(random), version: randomInt(random) };
    case 7:
      return { type: "error", err: randomInt(random) };
    default:
      return {
        type: "multi",
        txns: Array.from({ length: randomBelow(random, 5) }, () => randomTxn(random, depth + 1)),
      };
  }
}

Deno.test("decodeTxnEntry(encodeTxnEntry()) round-trips 5000 seeded random entries", () => {
  const random = new SeededRandom(20240601);
  for (let i = 0; i < 5000; i++) {
    const e: TxnEntry = {
      sessionId: randomLong(random),
      cxid: randomInt(random),
      zxid: randomBelow(random, 0xffffffff) * 0x10000 + randomBelow(random, 0x10000),
      timeMs: randomBelow(random, 0xffffffff) * 1000,
      txn: randomTxn(random, 0),
    };
    roundTrip(e);
  }
});
