/**
 * A latency histogram with bounded relative error (HdrHistogram's idea, in miniature): values
 * in microseconds land in log-linear buckets, 64 per power of two, so any percentile is within
 * about 1.6% of the true value, recording is O(1) and memory is fixed.
 */

const SUB_BUCKET_BITS = 6;
const SUB_BUCKETS = 1 << SUB_BUCKET_BITS; // 64
/** Powers of two covered above the linear range: up to ~2^40 us, far beyond any latency. */
const MAGNITUDES = 34;

export class Histogram {
  readonly #counts = new Float64Array(SUB_BUCKETS * (MAGNITUDES + 1));
  #total = 0;
  #maxUs = 0;
  #sumUs = 0;

  get count(): number {
    return this.#total;
  }

  get maxUs(): number {
    return this.#maxUs;
  }

  get meanUs(): number {
    return this.#total === 0 ? 0 : this.#sumUs / this.#total;
  }

  record(valueUs: number): void {
    const v = valueUs < 0 ? 0 : Math.floor(valueUs);
    this.#counts[bucketOf(v)]++;
    this.#total++;
    this.#sumUs += v;
    if (v > this.#maxUs) this.#maxUs = v;
  }

  merge(other: Histogram): void {
    const src = other.#counts;
    for (let i = 0; i < src.length; i++) this.#counts[i] += src[i];
    this.#total += other.#total;
    this.#sumUs += other.#sumUs;
    if (other.#maxUs > this.#maxUs) this.#maxUs = other.#maxUs;
  }

  reset(): void {
    this.#counts.fill(0);
    this.#total = 0;
    this.#maxUs = 0;
    this.#sumUs = 0;
  }

  /** The value at quantile q in [0, 1] (the bucket's midpoint), in microseconds. */
  quantileUs(q: number): number {
    if (this.#total === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.#total));
    let seen = 0;
    for (let i = 0; i < this.#counts.length; i++) {
      seen += this.#counts[i];
      if (seen >= rank) return Math.min(midpointOf(i), this.#maxUs);
    }
    return this.#maxUs;
  }
}

function bucketOf(v: number): number {
  if (v < SUB_BUCKETS) return v;
  // Magnitude m >= 1 holds [64 * 2^(m-1), 64 * 2^m) in 64 steps of 2^(m-1).
  const magnitude = Math.min(MAGNITUDES, Math.floor(Math.log2(v)) - SUB_BUCKET_BITS + 1);
  const step = 2 ** (magnitude - 1);
  const sub = Math.min(SUB_BUCKETS - 1, Math.floor((v - SUB_BUCKETS * step) / step));
  return magnitude * SUB_BUCKETS + sub;
}

function midpointOf(index: number): number {
  const magnitude = Math.floor(index / SUB_BUCKETS);
  const sub = index % SUB_BUCKETS;
  if (magnitude === 0) return sub;
  const step = 2 ** (magnitude - 1);
  return SUB_BUCKETS * step + sub * step + step / 2;
}
