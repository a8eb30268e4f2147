/** Session ids, passwords and tick-bucketed expiry as ZooKeeper has them. */

import assert from "node:assert/strict";
import { sessionPassword } from "../../lib/session/password.ts";
import { SessionTable } from "../../lib/session/session_table.ts";

const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, "0")).join("");

Deno.test("sessionPassword() matches java.util.Random as ZooKeeper seeds it", () => {
  assert.equal(hex(sessionPassword(0x100000b6c3e0000n)), "e0c75ccfed8b29f5be4de4e27e16d8bd");
  assert.equal(hex(sessionPassword(0x1n)), "054cc74a37327db215e702e20c73f005");
});

Deno.test("SessionTable ids carry the server id and clock; expiry is bucketed by tick", () => {
  const t = new SessionTable(2000, 1, 0x123456789);
  const id = t.allocateId();
  assert.equal(id >> 56n, 1n);
  assert.equal((id >> 16n) & 0xffffffffffn, 0x123456789n);
  assert.equal(t.allocateId(), id + 1n);
  t.add(id, 5000, 1000); // deadline rounds up to the next tick boundary: 8000
  assert.deepEqual(t.expire(7999), []);
  assert.deepEqual(t.expire(8000), [id]);
  assert.equal(t.get(id)?.closing, true);
  assert.equal(t.touch(id, 9000), false, "a closing session cannot be touched");
});

Deno.test("SessionTable.touch() pushes the deadline", () => {
  const t = new SessionTable(1000, 1, 0);
  const id = t.allocateId();
  t.add(id, 3000, 0);
  t.touch(id, 2500);
  assert.deepEqual(t.expire(4000), []);
  assert.deepEqual(t.expire(6000), [id]);
});
