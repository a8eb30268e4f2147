/** ClientProtocol, bytes in and out, with the golden vectors of zk-protocol §1.8. */

import assert from "node:assert/strict";
import { ClientProtocol } from "../../lib/client/protocol.ts";
import { JuteWriter } from "../../lib/proto/jute.ts";
import { EventType, Op } from "../../lib/proto/ops.ts";
import { writeConnectResponse, writeReplyHeader, writeStat } from "../../lib/proto/records.ts";

function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function unhex(text: string): Uint8Array {
  const clean = text.replace(/[^0-9a-f]/gi, "");
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function frame(build: (w: JuteWriter) => void): Uint8Array {
  const w = new JuteWriter();
  w.int(0);
  build(w);
  w.patchInt(0, w.offset - 4);
  return w.toBytes();
}

const PASSWD = unhex("e0c75ccfed8b29f5be4de4e27e16d8bd");

function connectResponse(timeOutMs: number, sessionId = 0x100000b6c3e0000n): Uint8Array {
  return frame((w) =>
    writeConnectResponse(w, {
      protocolVersion: 0,
      timeOutMs,
      sessionId,
      passwd: timeOutMs > 0 ? PASSWD : new Uint8Array(16),
      readOnly: false,
    })
  );
}

/** A protocol past its handshake, with the handshake bytes already taken. */
function openProtocol<T = string>(): ClientProtocol<T> {
  const p = new ClientProtocol<T>();
  p.startHandshake(30000, false);
  p.takeOutbound();
  const events = p.receive(connectResponse(30000));
  assert.equal(events[0].kind, "connected");
  return p;
}

const STAT = {
  czxid: 2,
  mzxid: 3,
  ctime: 1000,
  mtime: 2000,
  version: 1,
  cversion: 0,
  aversion: 0,
  ephemeralOwner: 0n,
  dataLength: 1,
  numChildren: 0,
  pzxid: 2,
};

Deno.test("startHandshake() writes the 49-byte new-session ConnectRequest", () => {
  const p = new ClientProtocol<string>();
  p.startHandshake(30000, false);
  const bytes = p.takeOutbound()!;
  assert.equal(bytes.byteLength, 49);
  assert.equal(
    hex(bytes),
    "0000002d" + "00000000" + "00".repeat(8) + "00007530" + "00".repeat(8) + "00000010" +
      "00".repeat(16) + "00",
  );
});

Deno.test("startHandshake() resumes with session id, password and lastZxidSeen", () => {
  const p = new ClientProtocol<string>(undefined, {
    sessionId: 0x100000b6c3e0000n,
    passwd: PASSWD,
    lastZxidSeen: 0x1234,
  });
  p.startHandshake(10000, true);
  const bytes = p.takeOutbound()!;
  assert.equal(
    hex(bytes),
    "0000002d" + "00000000" + "0000000000001234" + "00002710" + "0100000b6c3e0000" +
      "00000010" + hex(PASSWD) + "01",
  );
});

Deno.test("receive() of a ConnectResponse reports the session and opens the protocol", () => {
  const p = new ClientProtocol<string>();
  p.startHandshake(30000, false);
  const events = p.receive(connectResponse(20000));
  assert.deepEqual(events, [
    { kind: "connected", sessionId: 0x100000b6c3e0000n, timeoutMs: 20000, readOnly: false },
  ]);
  assert.equal(p.phase, "open");
  assert.equal(p.negotiatedTimeoutMs, 20000);
  assert.equal(p.sessionId, 0x100000b6c3e0000n);
  assert.deepEqual(p.passwd, PASSWD);
});

Deno.test("receive() of timeOut 0 reports an expired session", () => {
  const p = new ClientProtocol<string>(undefined, { sessionId: 5n, passwd: PASSWD });
  p.startHandshake(30000, false);
  assert.deepEqual(p.receive(connectResponse(0, 0n)), [{ kind: "expired" }]);
  assert.equal(p.phase, "idle");
});

Deno.test("ping() writes the 12-byte ping frame", () => {
  const p = openProtocol();
  p.ping();
  assert.equal(hex(p.takeOutbound()!), "00000008" + "fffffffe" + "0000000b");
});

Deno.test("request() numbers xids from 1 and encodes getData with the watch flag", () => {
  const p = openProtocol();
  for (let i = 1; i <= 4; i++) {
    assert.equal(p.request(Op.exists, { op: Op.exists, path: "/x", watch: false }, `r${i}`), i);
  }
  p.takeOutbound();
  const xid = p.request(Op.getData, { op: Op.getData, path: "/a", watch: true }, "r5");
  assert.equal(xid, 5);
  assert.equal(
    hex(p.takeOutbound()!),
    "0000000f" + "00000005" + "00000004" + "000000022f61" + "01",
  );
});

Deno.test("takeOutbound() returns every frame queued since the last call in one buffer", () => {
  const p = openProtocol();
  for (let i = 0; i < 100; i++) p.request(Op.sync, { op: Op.sync, path: "/" }, `s${i}`);
  const bytes = p.takeOutbound()!;
  // Each sync frame: 4 length + 8 header + 4 + 1 path bytes.
  assert.equal(bytes.byteLength, 100 * 17);
  assert.equal(p.takeOutbound(), undefined);
});

Deno.test("receive() matches replies to requests in order and decodes their bodies", () => {
  const p = openProtocol();
  p.request(Op.getData, { op: Op.getData, path: "/a", watch: false }, "get");
  p.request(Op.delete, { op: Op.delete, path: "/b", version: -1 }, "del");
  const reply1 = frame((w) => {
    writeReplyHeader(w, 1, 7, 0);
    w.buffer(new Uint8Array([120]));
    writeStat(w, STAT);
  });
  const reply2 = frame((w) => writeReplyHeader(w, 2, 8, -101));
  const events = p.receive(new Uint8Array([...reply1, ...reply2]));
  assert.equal(events.length, 2);
  assert.deepEqual(events[0], {
    kind: "reply",
    token: "get",
    op: Op.getData,
    xid: 1,
    zxid: 7,
    err: 0,
    response: { op: "data", data: new Uint8Array([120]), stat: STAT },
  });
  assert.deepEqual(events[1], {
    kind: "reply",
    token: "del",
    op: Op.delete,
    xid: 2,
    zxid: 8,
    err: -101,
    response: null,
  });
  assert.equal(p.lastZxidSeen, 8);
  assert.equal(p.pendingCount, 0);
});

Deno.test("receive() reassembles frames split across chunks", () => {
  const p = openProtocol();
  p.request(Op.sync, { op: Op.sync, path: "/" }, "sync");
  const reply = frame((w) => {
    writeReplyHeader(w, 1, 9, 0);
    w.ustring("/");
  });
  const events = [];
  for (const b of reply) events.push(...p.receive(new Uint8Array([b])));
  assert.equal(events.length, 1);
  assert.deepEqual(events[0].kind === "reply" && events[0].response, { op: "path", path: "/" });
});

Deno.test("receive() rejects a reply whose xid is out of order", () => {
  const p = openProtocol();
  p.request(Op.sync, { op: Op.sync, path: "/" }, "a");
  p.request(Op.sync, { op: Op.sync, path: "/" }, "b");
  const good = frame((w) => {
    writeReplyHeader(w, 1, 9, 0);
    w.ustring("/");
  });
  const bad = frame((w) => {
    writeReplyHeader(w, 3, 9, 0);
    w.ustring("/");
  });
  const events = p.receive(new Uint8Array([...good, ...bad]));
  // The good reply is delivered; the fault comes last; "b" stays pending, not lost.
  assert.deepEqual(events.map((e) => e.kind), ["reply", "broken"]);
  assert.deepEqual(events[1], { kind: "broken", reason: "xid out of order: got 3, expected 2" });
  assert.deepEqual(p.abandon(), ["b"]);
});

Deno.test("receive() reports an undecodable reply as broken and keeps its request pending", () => {
  const p = openProtocol();
  p.request(Op.getData, { op: Op.getData, path: "/a", watch: false }, "get");
  const truncated = frame((w) => {
    writeReplyHeader(w, 1, 9, 0);
    w.int(5); // a 5-byte buffer that is not there
  });
  const events = p.receive(truncated);
  assert.equal(events.length, 1);
  assert.equal(events[0].kind, "broken");
  assert.equal(p.lastZxidSeen, 0);
  assert.deepEqual(p.abandon(), ["get"]);
});

Deno.test("receive() delivers notifications, pings and auth replies out of band", () => {
  const p = openProtocol();
  p.request(Op.sync, { op: Op.sync, path: "/" }, "sync");
  p.auth("digest", new TextEncoder().encode("u:p"), "auth");
  const notification = unhex(
    "0000001e ffffffff ffffffffffffffff 00000000 00000003 00000003 00000002 2f61",
  );
  const ping = frame((w) => writeReplyHeader(w, -2, 50, 0));
  const auth = frame((w) => writeReplyHeader(w, -4, 0, 0));
  const sync = frame((w) => {
    writeReplyHeader(w, 1, 40, 0);
    w.ustring("/");
  });
  const events = p.receive(new Uint8Array([...notification, ...ping, ...auth, ...sync]));
  assert.deepEqual(events.map((e) => e.kind), ["watch", "ping", "auth", "reply"]);
  assert.deepEqual(events[0], {
    kind: "watch",
    zxid: -1,
    event: { type: EventType.NodeDataChanged, state: 3, path: "/a" },
  });
  assert.deepEqual(events[2], { kind: "auth", token: "auth", err: 0 });
  // Only ordinary replies move lastZxidSeen (as the Java client).
  assert.equal(p.lastZxidSeen, 40);
});

Deno.test("receive() rejects a reply frame over frameBytesMax", () => {
  const p = new ClientProtocol<string>(1024);
  p.startHandshake(30000, false);
  p.receive(connectResponse(30000));
  p.request(Op.sync, { op: Op.sync, path: "/" }, "a");
  const events = p.receive(unhex("00100000"));
  assert.equal(events.length, 1);
  assert.equal(events[0].kind, "broken");
});

Deno.test("abandon() returns the unanswered tokens and restarts xids at 1", () => {
  const p = openProtocol();
  p.request(Op.sync, { op: Op.sync, path: "/" }, "a");
  p.auth("digest", new Uint8Array(0), "auth");
  p.request(Op.sync, { op: Op.sync, path: "/" }, "b");
  assert.deepEqual(p.abandon(), ["a", "b", "auth"]);
  assert.equal(p.phase, "idle");
  assert.throws(() => p.request(Op.sync, { op: Op.sync, path: "/" }, "c"));
  p.startHandshake(30000, false);
  p.receive(connectResponse(30000));
  assert.equal(p.request(Op.sync, { op: Op.sync, path: "/" }, "d"), 1);
});

Deno.test("request() sends raw bytes as the body, with the header's op", () => {
  const p = openProtocol();
  p.request(999, new Uint8Array([1, 2, 3]), "raw");
  assert.equal(hex(p.takeOutbound()!), "0000000b" + "00000001" + "000003e7" + "010203");
});
