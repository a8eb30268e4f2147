/**
 * How ZooKeeper encodes a node's kind in its stored ephemeralOwner: a session id for an
 * ephemeral, Long.MIN_VALUE for a container, 0xFF in the top byte plus the TTL in the low
 * 40 bits for a TTL node, 0 for a plain persistent node. Clients see 0 for containers and TTL.
 */

export const CONTAINER_OWNER = -0x8000000000000000n;
const TTL_MARKER = -0x100000000000000n; // 0xFF00_0000_0000_0000 as a signed long
const TTL_MASK = 0xffffffffffn;
export const TTL_MAX_MS = 0xffffffffff;

export type NodeKind = "persistent" | "ephemeral" | "container" | "ttl";

export function ttlOwner(ttlMs: number): bigint {
  return TTL_MARKER | BigInt(ttlMs);
}

export function kindOf(owner: bigint): NodeKind {
  if (owner === 0n) return "persistent";
  if (owner === CONTAINER_OWNER) return "container";
  if ((owner & ~TTL_MASK) === TTL_MARKER) return "ttl";
  return "ephemeral";
}

export function ttlOf(owner: bigint): number {
  return Number(owner & TTL_MASK);
}

/** The ephemeralOwner a client sees. */
export function visibleOwner(owner: bigint): bigint {
  return kindOf(owner) === "ephemeral" ? owner : 0n;
}
