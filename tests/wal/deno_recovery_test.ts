/** The recovery cases again on real files (DenoStorage in a temp dir, real fdatasync). */

import assert from "node:assert/strict";
import { DenoStorage } from "../../lib/storage/deno_storage.ts";
import { readLog } from "../../lib/wal/recovery.ts";
import { logDirOf } from "../../lib/wal/segment.ts";
import { TxnLogWriter } from "../../lib/wal/txn_log_writer.ts";
import { recoveryCases } from "./recovery_cases.ts";
import { entries } from "./wal_fixtures.ts";

function tempFixture() {
  const dataLogDir = Deno.makeTempDirSync({ prefix: "zkd-wal-" });
  return {
    storage: new DenoStorage(),
    logDir: logDirOf(dataLogDir),
    cleanup: () => Deno.removeSync(dataLogDir, { recursive: true }),
  };
}

recoveryCases("DenoStorage", tempFixture);

Deno.test("DenoStorage: segments are preallocated on disk and read back after reopening", async () => {
  const fx = tempFixture();
  try {
    const w = new TxnLogWriter(fx.storage, fx.logDir, { preAllocSizeBytes: 1024 * 1024 });
    for (let z = 1; z <= 100; z += 10) {
      w.append(entries(z, 10, 1000));
      await w.sync();
    }
    w.close();
    const size = Deno.statSync(`${fx.logDir}/log.1`).size;
    assert.equal(size, 1024 * 1024, "~107 KB of records fit the first step");
    const got = readLog(fx.storage, fx.logDir, -1);
    assert.deepEqual(got.entries, entries(1, 100, 1000));
  } finally {
    fx.cleanup();
  }
});
