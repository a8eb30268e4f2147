/** ZooKeeper's path rules and the digest id, checked against known values. */

import assert from "node:assert/strict";
import { invalidPathReason, parentOf } from "../../lib/tree/path.ts";
import { digestId } from "../../lib/tree/digest_auth.ts";
import { sequenceSuffix } from "../../lib/txn/prepare.ts";

Deno.test("invalidPathReason() accepts valid paths and rejects ZooKeeper's invalid ones", () => {
  for (const ok of ["/", "/a", "/a/b.c", "/a/...", "/é", "/a-b_c"]) {
    assert.equal(invalidPathReason(ok), null, ok);
  }
  for (
    const bad of [
      "",
      "a",
      "/a/",
      "//",
      "/a//b",
      "/.",
      "/..",
      "/a/./b",
      "/a/../b",
      "/\u0000",
      "/\u001f",
      "/\u007f",
      "/\ud800",
      "/\ufff0",
    ]
  ) {
    assert.notEqual(invalidPathReason(bad), null, JSON.stringify(bad));
  }
  assert.equal(invalidPathReason("/a/", true), null, "sequential base may end with /");
});

Deno.test("parentOf() and sequenceSuffix()", () => {
  assert.equal(parentOf("/a"), "/");
  assert.equal(parentOf("/a/b"), "/a");
  assert.equal(sequenceSuffix(7), "0000000007");
  assert.equal(sequenceSuffix(-2147483648), "-2147483648");
  assert.equal(sequenceSuffix(-5), "-000000005");
});

Deno.test("digestId() hashes the whole user:password", () => {
  assert.equal(digestId("user:password"), "user:tpUq/4Pn5A64fVZyQ0gOJ8ZWqkY=");
  assert.equal(digestId("super:admin"), "super:xQJmxLMiHGwaqBvst5y6rkB6HQs=");
  assert.equal(digestId("bob:secret"), "bob:fyVmFCwVbTJYrznoSu1koqYEYF0=");
});
