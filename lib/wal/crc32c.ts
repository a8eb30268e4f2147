/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of every log record.
 * Castagnoli rather than the zip CRC-32 because it detects more bit patterns at record sizes
 * and is what iSCSI, ext4 and most modern logs use; Adler-32 (ZooKeeper's choice) is weak on
 * short inputs. Slicing-by-8 tables: recovery checksums the whole log at start-up, so the
 * byte-at-a-time loop would cost restart time.
 */

const POLY = 0x82f63b78;

/** TABLES[k * 256 + b]: the CRC contribution of byte b followed by k zero bytes. */
const TABLES: Uint32Array = (() => {
  const t = new Uint32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n];
    for (let k = 1; k < 8; k++) {
      c = t[c & 0xff] ^ (c >>> 8);
      t[k * 256 + n] = c;
    }
  }
  return t;
})();

/**
 * CRC-32C of `bytes`, continuing from `crc` (the result of an earlier call), so
 * crc32c(b, crc32c(a)) === crc32c(a ++ b). Returns an unsigned 32-bit value.
 */
export function crc32c(bytes: Uint8Array, crc = 0): number {
  const t = TABLES;
  let c = ~crc;
  let i = 0;
  const n = bytes.length;
  for (const stop = n - 8; i <= stop; i += 8) {
    const lo = c ^ (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24));
    c = t[1792 + (lo & 0xff)] ^ t[1536 + ((lo >>> 8) & 0xff)] ^ t[1280 + ((lo >>> 16) & 0xff)] ^
      t[1024 + (lo >>> 24)] ^ t[768 + bytes[i + 4]] ^ t[512 + bytes[i + 5]] ^
      t[256 + bytes[i + 6]] ^ t[bytes[i + 7]];
  }
  for (; i < n; i++) c = t[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}
