/**
 * An error meant for the operator, not a bug: a bad config value, an unreadable or corrupt
 * data file. Its message is one complete line naming what is wrong; the program prints it
 * without a stack trace and exits 1. Subclasses say where it came from.
 */
export class OperatorError extends Error {
  override name = "OperatorError";
}
