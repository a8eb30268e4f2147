/**
 * Invariant checks. A failed assertion means the program is wrong, not the input:
 * it throws, and the server treats it as fatal (recovery is the WAL's job).
 */

export class AssertionError extends Error {
  override name = "AssertionError";
}

export function assert(condition: unknown, message = "assertion failed"): asserts condition {
  if (!condition) throw new AssertionError(message);
}

export function unreachable(value: never, message = "unreachable"): never {
  throw new AssertionError(`${message}: ${String(value)}`);
}
