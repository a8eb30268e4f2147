import assert from "node:assert/strict";
import { ByteSlab } from "../../lib/snapshot/byte_slab.ts";

Deno.test("ByteSlab.copy() packs small data into shared slabs, big data alone", () => {
  const slab = new ByteSlab();
  const src = new Uint8Array(10_000).map((_, i) => i);
  const a = slab.copy(src, 0, 100);
  const b = slab.copy(src, 100, 300);
  const empty = slab.copy(src, 5, 5);
  const big = slab.copy(src, 0, 5000);
  assert.deepEqual(a, src.subarray(0, 100));
  assert.deepEqual(b, src.subarray(100, 300));
  assert.equal(empty.byteLength, 0);
  assert.deepEqual(big, src.subarray(0, 5000));
  assert.equal(a.buffer, b.buffer, "small copies share a slab");
  assert.notEqual(big.buffer, a.buffer, "big data gets its own buffer");
  assert.notEqual(a.buffer, src.buffer, "copies, not views of the source");
  src.fill(0);
  assert.equal(b[0], 100);
});

Deno.test("ByteSlab.copy() starts a new slab when the current one is full", () => {
  const slab = new ByteSlab();
  const src = new Uint8Array(4096).fill(9);
  const views = Array.from({ length: 200 }, () => slab.copy(src, 0, 4096));
  const buffers = new Set(views.map((v) => v.buffer));
  assert.ok(buffers.size >= 3 && buffers.size <= 4, `${buffers.size} slabs for 800 KiB`);
  for (const v of views) assert.ok(v.every((x) => x === 9));
});
