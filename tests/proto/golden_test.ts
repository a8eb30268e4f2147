/**
 * Golden byte vectors from the protocol reference (§1.8): the codec must produce and accept
 * exactly the bytes real clients and servers exchange.
 */

import assert from "node:assert/strict";
import { beginFrame, DecodeError, endFrame, JuteReader, JuteWriter } from "../../lib/proto/jute.ts";
import { FrameDecoder, FrameError } from "../../lib/proto/frame.ts";
import { Op } from "../../lib/proto/ops.ts";
import {
  readConnectRequest,
  readRequest,
  type Request,
  writeConnectRequest,
  writeConnectResponse,
  writeRequest,
} from "../../lib/proto/records.ts";
import { notificationFrame, replyFrame } from "../../lib/replica/replies.ts";

const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, "0")).join(" ");
const bytes = (s: string) => new Uint8Array(s.trim().split(/\s+/).map((x) => parseInt(x, 16)));

Deno.test("writeConnectRequest() matches the 49-byte new-session request", () => {
  const w = new JuteWriter();
  const at = beginFrame(w);
  writeConnectRequest(w, {
    protocolVersion: 0,
    lastZxidSeen: 0,
    timeOutMs: 30000,
    sessionId: 0n,
    passwd: new Uint8Array(16),
    readOnly: false,
  });
  endFrame(w, at);
  const expected = "00 00 00 2d 00 00 00 00 " + "00 ".repeat(8) + "00 00 75 30 " + "00 ".repeat(8) +
    "00 00 00 10 " + "00 ".repeat(16) + "00";
  assert.equal(hex(w.toBytes()), hex(bytes(expected)));
});

Deno.test("readConnectRequest() accepts the 44-byte body without the readOnly byte", () => {
  const w = new JuteWriter();
  writeConnectRequest(w, {
    protocolVersion: 0,
    lastZxidSeen: 5,
    timeOutMs: 1000,
    sessionId: 0x100000b6c3e0000n,
    passwd: new Uint8Array(16),
    readOnly: undefined,
  });
  assert.equal(w.offset, 44);
  const r = readConnectRequest(new JuteReader(w.toBytes()));
  assert.equal(r.readOnly, undefined);
  assert.equal(r.sessionId, 0x100000b6c3e0000n);
  assert.equal(r.lastZxidSeen, 5);
});

Deno.test("writeConnectResponse() is 41 bytes with the readOnly byte", () => {
  const w = new JuteWriter();
  const at = beginFrame(w);
  writeConnectResponse(w, {
    protocolVersion: 0,
    timeOutMs: 30000,
    sessionId: 0x01000123abcd0000n,
    passwd: new Uint8Array(16),
    readOnly: false,
  });
  endFrame(w, at);
  const b = w.toBytes();
  assert.equal(b.byteLength, 41);
  assert.equal(
    hex(b.subarray(0, 20)),
    "00 00 00 25 00 00 00 00 00 00 75 30 01 00 01 23 ab cd 00 00",
  );
});

Deno.test("replyFrame() for a ping and notificationFrame() match the reference bytes", () => {
  assert.equal(
    hex(replyFrame(-2, 0x1234, 0)),
    "00 00 00 10 ff ff ff fe 00 00 00 00 00 00 12 34 00 00 00 00",
  );
  assert.equal(
    hex(notificationFrame(-1, 3, "/a")),
    "00 00 00 1e ff ff ff ff ff ff ff ff ff ff ff ff 00 00 00 00 00 00 00 03 00 00 00 03 00 00 00 02 2f 61",
  );
});

Deno.test("writeRequest() encodes getData(/a, watch) as the reference frame body", () => {
  const w = new JuteWriter();
  const at = beginFrame(w);
  w.int(5).int(Op.getData);
  writeRequest(w, { op: Op.getData, path: "/a", watch: true });
  endFrame(w, at);
  assert.equal(hex(w.toBytes()), "00 00 00 0f 00 00 00 05 00 00 00 04 00 00 00 02 2f 61 01");
});

Deno.test("JuteReader reads null strings and buffers as null and rejects lies", () => {
  const r = new JuteReader(bytes("ff ff ff ff ff ff ff ff"));
  assert.equal(r.ustring(), null);
  assert.equal(r.buffer(), null);
  assert.throws(() => new JuteReader(bytes("00 00 00 05 61")).ustring(), DecodeError);
  assert.throws(() => new JuteReader(bytes("7f ff ff ff")).stringVector(), DecodeError);
  assert.throws(() => new JuteReader(bytes("00 00 10 00"), 100).buffer(), DecodeError);
});

Deno.test("JuteWriter.long() round-trips negative and large values", () => {
  for (const v of [0, 1, -1, 2 ** 40 + 7, -(2 ** 33) - 3, Number.MAX_SAFE_INTEGER]) {
    const w = new JuteWriter();
    w.long(v);
    assert.equal(new JuteReader(w.toBytes()).long(), v);
  }
  const w = new JuteWriter();
  w.ustring("/ü€");
  assert.equal(new JuteReader(w.toBytes()).ustring(), "/ü€");
});

Deno.test("readRequest() round-trips every request record", () => {
  const samples: Request[] = [
    {
      op: Op.create,
      path: "/a",
      data: new Uint8Array([1]),
      acl: [{ perms: 31, scheme: "world", id: "anyone" }],
      flags: 3,
      ttlMs: 0,
    },
    { op: Op.createTTL, path: "/t", data: null, acl: [], flags: 5, ttlMs: 1234 },
    { op: Op.delete, path: "/a", version: -1 },
    { op: Op.setData, path: "/a", data: new Uint8Array(0), version: 3 },
    { op: Op.setACL, path: "/a", acl: [{ perms: 1, scheme: "ip", id: "10.0.0.0/8" }], version: 0 },
    { op: Op.getEphemerals, path: "/" },
    {
      op: Op.multi,
      ops: [{ op: Op.check, path: "/a", version: 1 }, { op: Op.delete, path: "/a", version: 1 }],
    },
    {
      op: Op.setWatches2,
      relativeZxid: 9,
      dataWatches: ["/a"],
      existWatches: [],
      childWatches: ["/b"],
      persistentWatches: ["/c"],
      persistentRecursiveWatches: ["/d"],
    },
    { op: Op.addWatch, path: "/a", mode: 1 },
    { op: Op.removeWatches, path: "/a", type: 3 },
    {
      op: Op.reconfig,
      joiningServers: null,
      leavingServers: "2",
      newMembers: null,
      curConfigId: -1,
    },
    { op: Op.whoAmI },
  ];
  for (const q of samples) {
    const w = new JuteWriter();
    writeRequest(w, q);
    const r = new JuteReader(w.toBytes());
    assert.deepEqual(readRequest(q.op, r), q);
    assert.equal(r.remaining, 0);
  }
});

Deno.test("FrameDecoder splits frames across chunks and rejects bad lengths", () => {
  const d = new FrameDecoder(16);
  d.push(bytes("00 00 00 02 aa"));
  assert.equal(d.next(), undefined);
  d.push(bytes("bb 00 00 00 01 cc 00"));
  assert.equal(hex(d.next()!), "aa bb");
  assert.equal(hex(d.next()!), "cc");
  assert.equal(d.next(), undefined);
  d.push(bytes("00 00 11"));
  assert.throws(() => d.next(), FrameError);
  const neg = new FrameDecoder(16);
  neg.push(bytes("ff ff ff ff"));
  assert.throws(() => neg.next(), FrameError);
});

Deno.test("FrameDecoder: a big frame, then small ones in the same and in later chunks", () => {
  const big = 8 * 1024 * 1024;
  const d = new FrameDecoder(big);
  const frame = new Uint8Array(4 + big);
  new DataView(frame.buffer).setInt32(0, big);
  frame[4] = 7;
  frame[4 + big - 1] = 9;
  for (let at = 0; at < frame.byteLength; at += 65536) d.push(frame.subarray(at, at + 65536));
  const body = d.next()!;
  assert.equal(body.byteLength, big);
  // Its buffer is let go at the next push; the body it returned stays readable.
  d.push(bytes("00 00 00 01 aa 00 00"));
  assert.equal(body[0], 7);
  assert.equal(body[big - 1], 9);
  assert.deepEqual(d.next(), bytes("aa"));
  assert.equal(d.next(), undefined);
  d.push(bytes("00 02 bb cc"));
  assert.deepEqual(d.next(), bytes("bb cc"));
  assert.equal(d.bufferedBytes, 0);
});
