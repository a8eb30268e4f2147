/** createRequest() and MultiOp: which opcode each create mode needs. */

import assert from "node:assert/strict";
import { createRequest, MultiOp, OPEN_ACL_UNSAFE } from "../../lib/client/requests.ts";
import { CreateFlag, Op } from "../../lib/proto/ops.ts";

Deno.test("createRequest() picks create, create2, createContainer or createTTL by mode", () => {
  assert.equal(createRequest("/a", null).op, Op.create);
  assert.equal(createRequest("/a", null, {}, true).op, Op.create2);
  assert.equal(createRequest("/a", null, { mode: CreateFlag.container }).op, Op.createContainer);
  const ttl = createRequest("/a", null, { mode: CreateFlag.persistentWithTtl, ttlMs: 500 });
  assert.deepEqual(ttl, {
    op: Op.createTTL,
    path: "/a",
    data: null,
    acl: [...OPEN_ACL_UNSAFE],
    flags: CreateFlag.persistentWithTtl,
    ttlMs: 500,
  });
});

Deno.test("createRequest() refuses a TTL mode without a ttl and a ttl without a TTL mode", () => {
  assert.throws(
    () => createRequest("/a", null, { mode: CreateFlag.persistentWithTtl }),
    RangeError,
  );
  assert.throws(() => createRequest("/a", null, { ttlMs: 5 }), RangeError);
  assert.throws(() => createRequest("/a", null, { mode: 9 }), RangeError);
});

Deno.test("MultiOp builds the records multi() sends", () => {
  assert.deepEqual(MultiOp.check("/a", 3), { op: Op.check, path: "/a", version: 3 });
  assert.deepEqual(MultiOp.delete("/a"), { op: Op.delete, path: "/a", version: -1 });
  assert.deepEqual(MultiOp.getData("/a"), { op: Op.getData, path: "/a", watch: false });
});
