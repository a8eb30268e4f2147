/**
 * Child process for kill_test.ts (not a test): recovers the log in DIR, then appends batches
 * forever, rolling now and then, and prints "acked <zxid>" after each sync resolves.
 */

import { DenoStorage } from "../../lib/storage/deno_storage.ts";
import { readLog } from "../../lib/wal/recovery.ts";
import { logDirOf } from "../../lib/wal/segment.ts";
import { TxnLogWriter } from "../../lib/wal/txn_log_writer.ts";
import { entries } from "./wal_fixtures.ts";

const logDir = logDirOf(Deno.args[0]);
const storage = new DenoStorage();
const recovered = readLog(storage, logDir, -1);
if (recovered.truncatedTail !== null) {
  console.log(`torn ${recovered.truncatedTail.offset} ${recovered.truncatedTail.reason}`);
}
const w = new TxnLogWriter(storage, logDir, {
  lastZxid: recovered.lastZxid,
  preAllocSizeBytes: 64 * 1024,
  startAfter: recovered.durable,
});
const encoder = new TextEncoder();
let zxid = recovered.lastZxid;
for (let i = 0;; i++) {
  if (i % 37 === 36) w.roll();
  const n = 1 + (i % 7) * 3;
  w.append(entries(zxid + 1, n, 50 + (i % 13) * 97));
  zxid += n;
  const upTo = zxid;
  // Pipelined: do not wait for every sync before appending the next batch.
  w.sync().then(() => Deno.stdout.writeSync(encoder.encode(`acked ${upTo}\n`)));
  if (i % 3 === 0) await w.sync();
}
