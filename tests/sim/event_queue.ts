/**
 * The simulator's clock and agenda: events ordered by virtual time, ties broken by the order
 * they were scheduled, so a run is a pure function of its seed.
 */

export class EventQueue<T> {
  #heap: Array<{ at: number; seq: number; event: T }> = [];
  #seq = 0;
  nowMs: number;

  constructor(startMs: number) {
    this.nowMs = startMs;
  }

  get size(): number {
    return this.#heap.length;
  }

  /** Schedules `event` at `at` (never before now). */
  at(at: number, event: T): void {
    const item = { at: Math.max(at, this.nowMs), seq: this.#seq++, event };
    const h = this.#heap;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }

  after(delayMs: number, event: T): void {
    this.at(this.nowMs + delayMs, event);
  }

  /** The next event, with the clock moved to its time; undefined when empty or past `untilMs`. */
  next(untilMs: number): T | undefined {
    const h = this.#heap;
    if (h.length === 0 || h[0].at > untilMs) return undefined;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l], h[m])) m = l;
        if (r < h.length && before(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    this.nowMs = top.at;
    return top.event;
  }
}

function before(a: { at: number; seq: number }, b: { at: number; seq: number }): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
