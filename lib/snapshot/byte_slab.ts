/**
 * Copies many small byte arrays into shared slabs and hands out views. Loading a snapshot
 * allocates one data buffer per znode; one ArrayBuffer each costs about 100 bytes of
 * bookkeeping besides the data and makes V8's garbage collector track a million of them:
 * measured on a 1M-node snapshot with 100-byte values, slab views load about a third faster
 * (6.6 s -> 4.4 s) with ~250 MiB less RSS (940 -> 690 MiB).
 *
 * The price: a slab is freed only when every view into it is gone, so data replaced by
 * setData after start-up can keep its slab alive. That waste is bounded by the data bytes
 * the snapshot held (slabs are only made while loading) and shrinks as whole slabs die.
 * Views are safe here because znode data is never written in place (setData replaces it).
 */

/** Data up to this size shares slabs; bigger data gets its own buffer (nothing to save). */
const SHARED_BYTES_MAX = 4096;
const SLAB_BYTES = 256 * 1024;

export class ByteSlab {
  #slab = new Uint8Array(0);
  #used = 0;

  /** An immutable-by-convention copy of `src[start, end)`. */
  copy(src: Uint8Array, start: number, end: number): Uint8Array {
    const n = end - start;
    if (n > SHARED_BYTES_MAX) return src.slice(start, end);
    if (this.#used + n > this.#slab.byteLength) {
      this.#slab = new Uint8Array(SLAB_BYTES);
      this.#used = 0;
    }
    const at = this.#used;
    this.#slab.set(src.subarray(start, end), at);
    this.#used += n;
    return this.#slab.subarray(at, at + n);
  }
}
