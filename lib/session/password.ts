/**
 * Session passwords as ZooKeeper derives them: java.util.Random seeded with
 * `sessionId ^ 0xB3415C00`, 16 bytes from nextBytes(). Deterministic, so a password survives
 * a restart and is the same on every ensemble member, and Java clients see what they expect.
 */

const MULTIPLIER = 0x5deece66dn;
const MASK_48 = (1n << 48n) - 1n;
const SUPER_SECRET = 0xb3415c00n;

export function sessionPassword(sessionId: bigint): Uint8Array {
  let seed = ((BigInt.asIntN(64, sessionId) ^ SUPER_SECRET) ^ MULTIPLIER) & MASK_48;
  const out = new Uint8Array(16);
  for (let i = 0; i < 16;) {
    seed = (seed * MULTIPLIER + 0xbn) & MASK_48;
    let rnd = Number(BigInt.asIntN(32, seed >> 16n));
    for (let n = Math.min(16 - i, 4); n-- > 0; rnd >>= 8) out[i++] = rnd & 0xff;
  }
  return out;
}

export function passwordsEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  let diff = 0;
  for (let i = 0; i < a.byteLength; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}
