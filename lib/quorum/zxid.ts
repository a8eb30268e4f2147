/**
 * A zxid is one 64-bit number as ZooKeeper shows it: the epoch (here the Raft term of the
 * leader that created the txn) in the high 32 bits and a counter within that epoch in the
 * low 32. zkd keeps zxids in JS numbers, so epochs stay below 2^21 (2 million elections).
 */

import { assert } from "../util/assert.ts";

export const EPOCH_UNIT = 2 ** 32;
export const EPOCH_MAX = 2 ** 21 - 1;

export function epochOf(zxid: number): number {
  return Math.floor(zxid / EPOCH_UNIT);
}

export function counterOf(zxid: number): number {
  return zxid % EPOCH_UNIT;
}

export function makeZxid(epoch: number, counter: number): number {
  assert(epoch >= 0 && epoch <= EPOCH_MAX, `epoch ${epoch} out of range`);
  assert(counter >= 0 && counter < EPOCH_UNIT, `zxid counter ${counter} out of range`);
  return epoch * EPOCH_UNIT + counter;
}

export function zxidHex(zxid: number): string {
  return "0x" + zxid.toString(16);
}
