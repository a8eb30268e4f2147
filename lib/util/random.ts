/**
 * Injected randomness. Pure code never calls Math.random: it receives a Random, so the
 * simulator and tests can replay a run from a seed.
 */

export interface Random {
  /** Uniform integer in [0, 2^32). */
  nextUint32(): number;
}

/** xorshift128+ style generator on 32-bit lanes (sfc32), seeded deterministically. */
export class SeededRandom implements Random {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(seed: number) {
    this.#a = 0x9e3779b9;
    this.#b = 0x243f6a88;
    this.#c = 0xb7e15162;
    this.#d = seed >>> 0;
    for (let i = 0; i < 16; i++) this.nextUint32();
  }

  nextUint32(): number {
    const t = (((this.#a + this.#b) >>> 0) + this.#d) >>> 0;
    this.#d = (this.#d + 1) >>> 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) >>> 0;
    this.#c = ((this.#c << 21) | (this.#c >>> 11)) >>> 0;
    this.#c = (this.#c + t) >>> 0;
    return t;
  }
}

/** Uniform integer in [0, bound) for bound <= 2^32. */
export function randomBelow(random: Random, bound: number): number {
  return Math.floor((random.nextUint32() / 4294967296) * bound);
}
