import assert from "node:assert/strict";
import { crc32 } from "../../lib/util/crc32.ts";
import { SeededRandom } from "../../lib/util/random.ts";

const enc = new TextEncoder();

/** Byte-at-a-time reference, straight from the definition. */
function crc32Reference(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

Deno.test("crc32() matches the standard check values", () => {
  assert.equal(crc32(enc.encode("123456789")), 0xcbf43926);
  assert.equal(crc32(new Uint8Array(0)), 0);
  assert.equal(crc32(enc.encode("The quick brown fox jumps over the lazy dog")), 0x414fa339);
});

Deno.test("crc32() equals the bitwise reference and chains across chunks", () => {
  const random = new SeededRandom(7);
  for (let len = 0; len < 200; len++) {
    const bytes = new Uint8Array(len);
    for (let i = 0; i < len; i++) bytes[i] = random.nextUint32() & 0xff;
    const whole = crc32(bytes);
    assert.equal(whole, crc32Reference(bytes), `len ${len}`);
    const cut = random.nextUint32() % (len + 1);
    assert.equal(crc32(bytes.subarray(cut), crc32(bytes.subarray(0, cut))), whole);
    assert.equal(crc32(bytes, crc32(bytes, 0, 0, cut), cut, len), whole);
  }
});
