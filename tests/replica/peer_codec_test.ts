import assert from "node:assert/strict";
import { decodePeerMessage, encodePeerMessage } from "../../lib/replica/peer_codec.ts";
import type { PeerMessage } from "../../lib/replica/member.ts";
import { DecodeError } from "../../lib/proto/jute.ts";

const entry = {
  sessionId: 0x1234n,
  cxid: 7,
  zxid: 2 ** 32 + 5,
  timeMs: 1_700_000_000_000,
  txn: { type: "setData" as const, path: "/a", data: new Uint8Array([1, 2, 3]), version: 4 },
};

const samples: PeerMessage[] = [
  {
    type: "append",
    from: 1,
    to: 2,
    term: 3,
    prevZxid: 2 ** 32 + 4,
    entries: [entry],
    commitZxid: 9,
  },
  { type: "appendResp", from: 2, to: 1, term: 3, success: false, matchZxid: 0, hintZxid: 17 },
  { type: "heartbeat", from: 1, to: 3, term: 3, commitZxid: 2 ** 33 },
  { type: "heartbeatResp", from: 3, to: 1, term: 3, lastZxid: 12 },
  { type: "commit", from: 1, to: 2, term: 3, commitZxid: 2 ** 32 + 9 },
  { type: "vote", from: 2, to: 3, term: 4, pre: true, transfer: false, lastZxid: 99 },
  { type: "voteResp", from: 3, to: 2, term: 4, pre: true, granted: true },
  { type: "snapshot", from: 1, to: 2, term: 3, zxid: 44, data: new Uint8Array([9, 8, 7]) },
  { type: "timeoutNow", from: 1, to: 2, term: 3 },
  {
    type: "forward",
    from: 2,
    to: 1,
    term: 3,
    forward: { kind: "createSession", sessionId: -5n, timeoutMs: 4000 },
  },
  {
    type: "forward",
    from: 2,
    to: 1,
    term: 3,
    forward: {
      kind: "request",
      sessionId: 77n,
      cxid: 3,
      body: new Uint8Array([0, 0, 0, 3, 0, 0, 0, 5]),
      authIds: [{ scheme: "ip", id: "127.0.0.1" }, { scheme: "digest", id: "bob:xyz" }],
    },
  },
  { type: "touch", from: 3, to: 1, term: 3, sessionIds: [1n, -2n, 2n ** 62n] },
];

Deno.test("encodePeerMessage() and decodePeerMessage() round-trip every message type", () => {
  for (const m of samples) assert.deepEqual(decodePeerMessage(encodePeerMessage(m)), m, m.type);
});

Deno.test("decodePeerMessage() rejects unknown types, trailing bytes and truncation", () => {
  const good = encodePeerMessage(samples[0]);
  const unknown = good.slice();
  unknown[3] = 99;
  assert.throws(() => decodePeerMessage(unknown), DecodeError);
  assert.throws(() => decodePeerMessage(new Uint8Array([...good, 0])), DecodeError);
  for (let cut = 0; cut < good.byteLength; cut += 7) {
    assert.throws(() => decodePeerMessage(good.subarray(0, cut)), DecodeError);
  }
});
