/**
 * Session tracking driven by time passed in (never read from a clock here). Expiry deadlines
 * are rounded up to the next tick boundary and kept in buckets, as ZooKeeper's
 * ExpiryQueue does, so one tick expires a whole bucket at once: a session expires between
 * its timeout and timeout + tickMs after it was last touched.
 */

export interface Session {
  readonly id: bigint;
  timeoutMs: number;
  /** Bucket boundary (ms) at which the session expires unless touched. */
  expiresAtMs: number;
  /** Expired or closed: further requests get SESSIONEXPIRED; a closeSession txn is pending. */
  closing: boolean;
}

export class SessionTable {
  readonly tickMs: number;
  readonly #sessions = new Map<bigint, Session>();
  readonly #buckets = new Map<number, Set<bigint>>();
  #nextId: bigint;

  /** `serverId` goes in the top byte of ids, the clock in the next 40 bits (ZooKeeper's layout). */
  constructor(tickMs: number, serverId: number, nowMs: number) {
    this.tickMs = tickMs;
    const clockBits = BigInt(Math.floor(nowMs)) & 0xffffffffffn;
    this.#nextId = BigInt.asIntN(64, (BigInt(serverId) << 56n) | (clockBits << 16n));
  }

  get size(): number {
    return this.#sessions.size;
  }

  get(id: bigint): Session | undefined {
    return this.#sessions.get(id);
  }

  all(): IterableIterator<Session> {
    return this.#sessions.values();
  }

  /** The next unused session id (container marker skipped, as ZooKeeper does). */
  allocateId(): bigint {
    for (;;) {
      const id = this.#nextId;
      this.#nextId = BigInt.asIntN(64, this.#nextId + 1n);
      if (id !== -0x8000000000000000n && id !== 0n && !this.#sessions.has(id)) return id;
    }
  }

  #deadline(nowMs: number, timeoutMs: number): number {
    return (Math.floor((nowMs + timeoutMs) / this.tickMs) + 1) * this.tickMs;
  }

  #place(s: Session, expiresAtMs: number): void {
    if (s.expiresAtMs === expiresAtMs) return;
    this.#buckets.get(s.expiresAtMs)?.delete(s.id);
    s.expiresAtMs = expiresAtMs;
    let b = this.#buckets.get(expiresAtMs);
    if (b === undefined) this.#buckets.set(expiresAtMs, b = new Set());
    b.add(s.id);
  }

  /** Adds (or re-adds, on replay) a session with a fresh deadline. */
  add(id: bigint, timeoutMs: number, nowMs: number): Session {
    let s = this.#sessions.get(id);
    if (s === undefined) {
      s = { id, timeoutMs, expiresAtMs: -1, closing: false };
      this.#sessions.set(id, s);
    }
    s.timeoutMs = timeoutMs;
    this.#place(s, this.#deadline(nowMs, timeoutMs));
    return s;
  }

  /** Refreshes a session's deadline; false if it is unknown or closing. */
  touch(id: bigint, nowMs: number, timeoutMs?: number): boolean {
    const s = this.#sessions.get(id);
    if (s === undefined || s.closing) return false;
    if (timeoutMs !== undefined) s.timeoutMs = timeoutMs;
    this.#place(s, this.#deadline(nowMs, s.timeoutMs));
    return true;
  }

  /** Marks a session closing so no further request of it is accepted. */
  markClosing(id: bigint): void {
    const s = this.#sessions.get(id);
    if (s !== undefined) s.closing = true;
  }

  remove(id: bigint): void {
    const s = this.#sessions.get(id);
    if (s === undefined) return;
    this.#buckets.get(s.expiresAtMs)?.delete(id);
    this.#sessions.delete(id);
  }

  /** Sessions whose deadline is at or before `nowMs`, marked closing. */
  expire(nowMs: number): bigint[] {
    const expired: bigint[] = [];
    for (const [at, ids] of this.#buckets) {
      if (at > nowMs) continue;
      for (const id of ids) {
        const s = this.#sessions.get(id);
        if (s !== undefined && !s.closing) {
          s.closing = true;
          expired.push(id);
        }
      }
      this.#buckets.delete(at);
    }
    return expired;
  }

  /** Bucket deadline -> session ids, for the `dump` command. */
  buckets(): Map<number, bigint[]> {
    const out = new Map<number, bigint[]>();
    for (const [at, ids] of [...this.#buckets].sort((a, b) => a[0] - b[0])) {
      if (ids.size > 0) out.set(at, [...ids]);
    }
    return out;
  }
}
