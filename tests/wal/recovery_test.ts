/** Recovery on MemoryStorage: the shared cases, plus crashes only the model can stage. */

import assert from "node:assert/strict";
import { MemoryStorage } from "../../lib/storage/memory_storage.ts";
import { randomBelow, SeededRandom } from "../../lib/util/random.ts";
import { readLog } from "../../lib/wal/recovery.ts";
import { TxnLogWriter } from "../../lib/wal/txn_log_writer.ts";
import { recoveryCases } from "./recovery_cases.ts";
import { entries, LOG_DIR } from "./wal_fixtures.ts";

recoveryCases("MemoryStorage", () => ({
  storage: new MemoryStorage(),
  logDir: LOG_DIR,
  cleanup: () => {},
}));

Deno.test("recovery after seeded random crashes: acked records survive, the log stays clean", async () => {
  for (let seed = 1; seed <= 200; seed++) {
    const random = new SeededRandom(seed);
    let s = new MemoryStorage();
    let lastZxid = 0;
    let acked = 0;
    // Several lives: write, crash at a random point, recover, write on.
    for (let life = 0; life < 4; life++) {
      const got = readLog(s, LOG_DIR, -1);
      const zxids = got.entries.map((e) => e.zxid);
      assert.deepEqual(
        zxids,
        Array.from({ length: zxids.length }, (_, i) => i + 1),
        `seed ${seed}`,
      );
      assert.ok(got.lastZxid >= acked, `seed ${seed} life ${life}: lost acked ${acked}`);
      await got.durable;
      lastZxid = got.lastZxid;
      const w = new TxnLogWriter(s, LOG_DIR, { lastZxid, preAllocSizeBytes: 2048 });
      const batches = randomBelow(random, 8);
      for (let b = 0; b < batches; b++) {
        if (randomBelow(random, 4) === 0) {
          w.roll();
        }
        const n = 1 + randomBelow(random, 5);
        w.append(entries(lastZxid + 1, n, randomBelow(random, 200)));
        lastZxid += n;
        if (randomBelow(random, 3) !== 0) {
          await w.sync();
          acked = lastZxid;
        }
      }
      s = s.crash({ random });
    }
  }
});
