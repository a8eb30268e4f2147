/**
 * The network between members. Raft's messages are datagrams here: each may be dropped,
 * duplicated or delayed independently (so they also arrive out of order), which is harsher
 * than the TCP links the server uses. The request path's messages (forwarded writes, session
 * touches) keep what the server's links guarantee: per link, in order and never twice, but
 * lost while a link is broken. Partitions cut directed links, so one-way cuts are possible.
 */

import type { PeerMessage } from "../../lib/replica/member.ts";
import { type Random, randomBelow } from "../../lib/util/random.ts";

export interface NetFaults {
  /** Probability that a message is lost. */
  drop: number;
  /** Probability that a Raft message is delivered twice. */
  duplicate: number;
  delayMinMs: number;
  delayMaxMs: number;
  /** Probability of a long delay (up to spikeMs) on top, reordering a message far. */
  spike: number;
  spikeMs: number;
}

export const CALM: NetFaults = {
  drop: 0,
  duplicate: 0,
  delayMinMs: 1,
  delayMaxMs: 5,
  spike: 0,
  spikeMs: 0,
};

export function chance(random: Random, p: number): boolean {
  return p > 0 && random.nextUint32() / 4294967296 < p;
}

export function between(random: Random, lo: number, hi: number): number {
  return lo + randomBelow(random, hi - lo + 1);
}

export class Network {
  faults: NetFaults = CALM;
  readonly #random: Random;
  /** Directed links that are cut: "from>to". */
  readonly #cut = new Set<string>();
  /** Request-path ordering: last delivery time per directed link. */
  readonly #fifoAt = new Map<string, number>();

  constructor(random: Random) {
    this.#random = random;
  }

  isCut(from: number, to: number): boolean {
    return this.#cut.has(`${from}>${to}`);
  }

  cut(from: number, to: number): void {
    this.#cut.add(`${from}>${to}`);
  }

  cutBoth(a: number, b: number): void {
    this.cut(a, b);
    this.cut(b, a);
  }

  uncut(from: number, to: number): void {
    this.#cut.delete(`${from}>${to}`);
  }

  healAll(): void {
    this.#cut.clear();
  }

  get cuts(): string[] {
    return [...this.#cut].sort();
  }

  #delay(): number {
    const f = this.faults;
    let d = between(this.#random, f.delayMinMs, f.delayMaxMs);
    if (chance(this.#random, f.spike)) d += between(this.#random, 0, f.spikeMs);
    return d;
  }

  /** Delivery times (0, 1 or 2 of them) for a message sent at `nowMs`. */
  plan(m: PeerMessage, nowMs: number): number[] {
    if (this.isCut(m.from, m.to) || chance(this.#random, this.faults.drop)) return [];
    if (m.type === "forward" || m.type === "touch") {
      const link = `${m.from}>${m.to}`;
      const at = Math.max(nowMs + this.#delay(), this.#fifoAt.get(link) ?? 0);
      this.#fifoAt.set(link, at);
      return [at];
    }
    const times = [nowMs + this.#delay()];
    if (chance(this.#random, this.faults.duplicate)) times.push(nowMs + this.#delay());
    return times;
  }
}
