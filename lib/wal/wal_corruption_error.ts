/**
 * The log is damaged somewhere other than a torn tail: a record that fails its checks with
 * more data after it, a bad record in a segment that is not the last, or zxids that do not
 * increase. Start-up must stop here rather than run on part of the data; the message names the
 * file and byte offset so an operator can look (`zkd wal verify`) and decide.
 */

import { OperatorError } from "../util/operator_error.ts";

export class WalCorruptionError extends OperatorError {
  override name = "WalCorruptionError";
  readonly file: string;
  readonly offset: number;
  readonly reason: string;

  constructor(file: string, offset: number, reason: string) {
    super(`write-ahead log corrupt: ${file} at byte offset ${offset}: ${reason}`);
    this.file = file;
    this.offset = offset;
    this.reason = reason;
  }
}
