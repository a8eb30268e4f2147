/** CRC-32C against published check values and a byte-at-a-time reference. */

import assert from "node:assert/strict";
import { crc32c } from "../../lib/wal/crc32c.ts";
import { SeededRandom } from "../../lib/util/random.ts";

const ascii = (s: string) => new TextEncoder().encode(s);

/** The textbook bitwise definition, to check the sliced tables against. */
function reference(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

Deno.test("crc32c() matches the standard check values (RFC 3720 B.4)", () => {
  assert.equal(crc32c(ascii("123456789")), 0xe3069283);
  assert.equal(crc32c(new Uint8Array(0)), 0);
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
  assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
  assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e);
  assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i)), 0x113fdb5c);
});

Deno.test("crc32c() equals the bitwise definition at every length and alignment", () => {
  const random = new SeededRandom(7);
  const data = Uint8Array.from({ length: 300 }, () => random.nextUint32() & 0xff);
  for (let start = 0; start < 9; start++) {
    for (let end = start; end <= data.length; end += 7) {
      const slice = data.subarray(start, end);
      assert.equal(crc32c(slice), reference(slice), `bytes ${start}..${end}`);
    }
  }
});

Deno.test("crc32c() continues from an earlier result", () => {
  const a = ascii("12345");
  const b = ascii("6789");
  assert.equal(crc32c(b, crc32c(a)), 0xe3069283);
});
