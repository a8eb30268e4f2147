/**
 * kill -9 at random moments while a real process appends and syncs: after every restart the
 * log recovers cleanly, holds every acknowledged record, and is a gap-free prefix of what was
 * appended. (A process crash keeps the page cache; power loss is MemoryStorage's job.)
 */

import assert from "node:assert/strict";
import { DenoStorage } from "../../lib/storage/deno_storage.ts";
import { readLog } from "../../lib/wal/recovery.ts";
import { logDirOf } from "../../lib/wal/segment.ts";
import { randomBelow, SeededRandom } from "../../lib/util/random.ts";

const CHILD = new URL("./kill_child.ts", import.meta.url).pathname;

Deno.test("kill -9 during appends: every acknowledged record survives, 8 cycles", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "zkd-walkill-" });
  // Kill timing is real time anyway; the seed only varies it, and is printed on failure.
  const seed = Date.now() >>> 0;
  const random = new SeededRandom(seed);
  try {
    let acked = 0;
    for (let cycle = 0; cycle < 8; cycle++) {
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-read", "--allow-write", CHILD, dir],
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const out = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let text = "";
      // Wait until the child is appending, then kill it at a random moment.
      while (!text.includes("acked")) {
        const { value, done } = await out.read();
        if (done) break;
        text += value;
      }
      await new Promise((r) => setTimeout(r, 20 + randomBelow(random, 200)));
      child.kill("SIGKILL");
      for (;;) {
        const { value, done } = await out.read();
        if (done) break;
        text += value;
      }
      const status = await child.status;
      const stderr = await new Response(child.stderr).text();
      assert.equal(status.signal, "SIGKILL", `seed ${seed} cycle ${cycle}: ${stderr}`);
      for (const m of text.matchAll(/acked (\d+)/g)) acked = Math.max(acked, Number(m[1]));

      const got = readLog(new DenoStorage(), logDirOf(dir), -1, { repair: false });
      const zxids = got.entries.map((e) => e.zxid);
      assert.ok(
        got.lastZxid >= acked,
        `seed ${seed} cycle ${cycle}: lost acked ${acked} (log ends ${got.lastZxid})`,
      );
      assert.equal(zxids.length, got.lastZxid, `seed ${seed} cycle ${cycle}: gap-free from zxid 1`);
      assert.equal(zxids[zxids.length - 1], got.lastZxid);
    }
    assert.ok(acked > 0);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
