/**
 * Who votes and who only listens, as the Raft core needs it: member ids from a configuration
 * in ZooKeeper's text form (`server.N=host:port:port[:participant|:observer][;client]` lines,
 * as /zookeeper/config and reconfig txns carry it). Addresses are the shell's business.
 */

export interface Membership {
  readonly voters: ReadonlySet<number>;
  readonly observers: ReadonlySet<number>;
}

export function membership(voters: Iterable<number>, observers: Iterable<number>): Membership {
  return { voters: new Set(voters), observers: new Set(observers) };
}

/** Ids and roles from configuration text; other lines (version=...) are skipped. */
export function membershipOfConfigText(text: string): Membership {
  const voters = new Set<number>();
  const observers = new Set<number>();
  for (const raw of text.split("\n")) {
    const m = /^\s*server\.(\d+)\s*=\s*([^;]*)/.exec(raw);
    if (m === null) continue;
    const id = Number(m[1]);
    if (/:observer\s*$/.test(m[2])) observers.add(id);
    else voters.add(id);
  }
  return { voters, observers };
}

export function isMember(m: Membership, id: number): boolean {
  return m.voters.has(id) || m.observers.has(id);
}

/** A majority of `voters` is in `acks`. */
export function isMajority(voters: ReadonlySet<number>, acks: ReadonlySet<number>): boolean {
  let n = 0;
  for (const v of voters) if (acks.has(v)) n++;
  return n > voters.size / 2;
}

/** The highest value a majority of `voters` has reached (0 for an empty set). */
export function majorityValue(
  voters: ReadonlySet<number>,
  valueOf: (id: number) => number,
): number {
  if (voters.size === 0) return 0;
  const values = [...voters].map(valueOf).sort((a, b) => b - a);
  return values[Math.floor(voters.size / 2)];
}
