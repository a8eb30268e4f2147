/**
 * `zkd start` as an operator meets it: bad configs and arguments give one line and a
 * non-zero exit, SIGTERM stops with exit 0 after answering what is in flight, and the
 * embedded default serves on 127.0.0.1:2181 with data under ./data.
 */

import assert from "node:assert/strict";
import { Op } from "../../lib/proto/ops.ts";
import { REPO_ROOT } from "../interop/support/zkd.ts";
import { fourLetter, freePort } from "../interop/support/net.ts";
import { RawConn } from "../support/raw_client.ts";

const PERMS = ["--allow-net", "--allow-read", "--allow-write", "--allow-env", "--allow-sys"];

async function zkd(args: string[], opts: { cwd?: string } = {}) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...PERMS, `${REPO_ROOT}/main.ts`, ...args],
    cwd: opts.cwd ?? REPO_ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

function spawnZkd(args: string[], cwd = REPO_ROOT) {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", ...PERMS, `${REPO_ROOT}/main.ts`, ...args],
    cwd,
    env: { NO_COLOR: "1" },
    stdout: "null",
    stderr: "piped",
  }).spawn();
}

async function waitForSrvr(port: number, timeoutMs = 20000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fourLetter(port, "srvr", 1000)).includes("Mode:")) return;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`zkd did not come up on ${port}`);
}

Deno.test("zkd start with an invalid value exits 1 with one line naming key and value", async () => {
  const dir = await Deno.makeTempDir();
  const cfg = `${dir}/zoo.cfg`;
  await Deno.writeTextFile(cfg, `dataDir=${dir}\nclientPort=21x81\n`);
  const r = await zkd(["start", "--config", cfg]);
  assert.equal(r.code, 1);
  assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  assert.match(r.stderr, /clientPort: '21x81'/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("zkd with a missing config file or a bad argument says so in one line", async () => {
  const missing = await zkd(["start", "--config", "/nonexistent/zoo.cfg"]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr.trim(), /^zkd: cannot read config file \/nonexistent\/zoo.cfg/);
  assert.equal(missing.stderr.trim().split("\n").length, 1);
  const unknown = await zkd(["frobnicate"]);
  assert.equal(unknown.code, 2);
  assert.equal(unknown.stderr.trim(), "zkd: unknown command 'frobnicate' (try: zkd help)");
  const badFlag = await zkd(["start", "--bogus"]);
  assert.equal(badFlag.code, 2);
  assert.equal(badFlag.stderr.trim().split("\n").length, 1);
});

Deno.test({
  name: "SIGTERM answers in-flight requests, then exits 0",
  sanitizeResources: false,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    const port = freePort();
    await Deno.writeTextFile(
      `${dir}/zoo.cfg`,
      `tickTime=2000\ndataDir=${dir}/data\nclientPort=${port}\nclientPortAddress=127.0.0.1\n`,
    );
    const child = spawnZkd(["start", "--config", `${dir}/zoo.cfg`]);
    try {
      await waitForSrvr(port);
      const c = await RawConn.open(port);
      await c.handshake();
      // Pipeline many writes, then signal while they are in flight.
      const frames: Uint8Array[] = [];
      for (let i = 1; i <= 200; i++) {
        frames.push(
          RawConn.requestFrame(i, {
            op: Op.create,
            path: `/t${i}`,
            data: null,
            acl: [{ perms: 31, scheme: "world", id: "anyone" }],
            flags: 0,
            ttlMs: 0,
          }),
        );
      }
      await c.write(new Uint8Array(frames.flatMap((f) => [...f])));
      // Signal once the server has read them (srvr counts the handshake too), so they are
      // in flight inside the server rather than still in the socket.
      const deadline = Date.now() + 10000;
      while (Date.now() < deadline) {
        const received = /Received: (\d+)/.exec(await fourLetter(port, "srvr"));
        if (received && Number(received[1]) >= 201) break;
      }
      child.kill("SIGTERM");
      let answered = 0;
      for (;;) {
        const f = await c.frame(5000);
        if (f === null) break;
        answered++;
      }
      assert.equal(answered, 200, "every request the server had read before SIGTERM is answered");
      const status = await child.status;
      assert.equal(status.code, 0);
      c.close();
    } finally {
      try {
        child.kill("SIGKILL");
      } catch { /* exited */ }
      await child.stderr.cancel().catch(() => {});
      await Deno.remove(dir, { recursive: true });
    }
  },
});

function portFree(port: number): boolean {
  try {
    Deno.listen({ hostname: "127.0.0.1", port }).close();
    return true;
  } catch {
    return false;
  }
}

Deno.test({
  name: "zkd start with no config serves on 127.0.0.1:2181 with data under ./data",
  ignore: !portFree(2181),
  sanitizeResources: false,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    const child = spawnZkd(["start"], dir);
    try {
      await waitForSrvr(2181);
      assert.ok((await Deno.stat(`${dir}/data`)).isDirectory);
      child.kill("SIGTERM");
      assert.equal((await child.status).code, 0);
    } finally {
      try {
        child.kill("SIGKILL");
      } catch { /* exited */ }
      await child.stderr.cancel().catch(() => {});
      await Deno.remove(dir, { recursive: true });
    }
  },
});
