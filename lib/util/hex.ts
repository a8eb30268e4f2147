/** Hex formatting as ZooKeeper prints ids and zxids: lowercase, no padding, "0x" prefix. */

export function hex64(value: bigint | number): string {
  const v = typeof value === "bigint" ? BigInt.asUintN(64, value) : BigInt(value);
  return "0x" + v.toString(16);
}
