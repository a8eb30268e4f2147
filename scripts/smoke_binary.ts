/**
 * Smoke test of a zkd executable (the compiled `./zkd`, or anything that runs like it):
 *
 *   deno run --allow-run --allow-net --allow-read --allow-write --allow-env \
 *     scripts/smoke_binary.ts ./zkd
 *
 * `version`; `start` on free loopback ports with the admin API on; `status --wait` (admin API);
 * `cli -c create/get` (a real client session); SIGTERM, which must exit 0 after "stopped".
 * Prints one line per step and exits 0 when all passed, 1 otherwise. Bounded: every step has a
 * timeout and the server is killed if anything goes wrong.
 */

const STEP_TIMEOUT_MS = 30_000;

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function run(
  bin: string,
  args: string[],
): Promise<{ code: number; stdout: string; out: string }> {
  const r = await new Deno.Command(bin, {
    args,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
    signal: AbortSignal.timeout(STEP_TIMEOUT_MS),
  }).output();
  const dec = new TextDecoder();
  const stdout = dec.decode(r.stdout);
  return { code: r.code, stdout, out: stdout + dec.decode(r.stderr) };
}

export async function smoke(bin: string, log: (line: string) => void): Promise<boolean> {
  const dir = await Deno.makeTempDir({ prefix: "zkd-smoke-" });
  const port = freePort();
  // freePort() can return the same port twice in a row; the admin API needs its own.
  let adminPort = freePort();
  while (adminPort === port) adminPort = freePort();
  await Deno.writeTextFile(
    `${dir}/zoo.cfg`,
    `tickTime=2000\ndataDir=${dir}/data\nclientPort=${port}\nclientPortAddress=127.0.0.1\n` +
      `admin.serverAddress=127.0.0.1\nadmin.serverPort=${adminPort}\n`,
  );
  const check = (ok: boolean, what: string, detail = ""): boolean => {
    log(`smoke: ${ok ? "ok  " : "FAIL"} ${what}${ok || detail === "" ? "" : `: ${detail.trim()}`}`);
    return ok;
  };
  let server: Deno.ChildProcess | undefined;
  const serverLog = `${dir}/server.log`;
  try {
    const v = await run(bin, ["version"]);
    if (!check(v.code === 0 && /^zkd \d/.test(v.stdout), "zkd version", v.out)) return false;

    const logFile = await Deno.open(serverLog, { write: true, create: true });
    server = new Deno.Command(bin, {
      args: ["start", "--config", `${dir}/zoo.cfg`],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).spawn();
    const pumped = server.stderr.pipeTo(logFile.writable).catch(() => {});

    const st = await run(bin, [
      "status",
      "-server",
      `127.0.0.1:${port}`,
      "--admin-port",
      String(adminPort),
      "--wait",
      "20",
    ]);
    if (
      !check(st.code === 0 && /standalone.*http/.test(st.stdout), "zkd status (admin API)", st.out)
    ) {
      return false;
    }

    const create = await run(bin, [
      "cli",
      "-server",
      `127.0.0.1:${port}`,
      "-c",
      "create /smoke hello",
    ]);
    if (!check(create.code === 0, "zkd cli create /smoke", create.out)) return false;
    const get = await run(bin, ["cli", "-server", `127.0.0.1:${port}`, "-c", "get /smoke"]);
    if (!check(get.code === 0 && get.stdout.trim() === "hello", "zkd cli get /smoke", get.out)) {
      return false;
    }

    server.kill("SIGTERM");
    const timer = AbortSignal.timeout(STEP_TIMEOUT_MS);
    const status = await Promise.race([
      server.status,
      new Promise<null>((r) => timer.addEventListener("abort", () => r(null))),
    ]);
    await pumped;
    const text = await Deno.readTextFile(serverLog);
    if (
      !check(
        status !== null && status.code === 0 && /INFO {2}stopped$/m.test(text),
        "SIGTERM stops with exit 0",
        text,
      )
    ) {
      return false;
    }
    server = undefined;
    return true;
  } finally {
    try {
      server?.kill("SIGKILL");
      await server?.status;
    } catch { /* exited */ }
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) {
  const bin = Deno.args[0];
  if (bin === undefined) {
    console.error("usage: smoke_binary.ts PATH_TO_ZKD");
    Deno.exit(2);
  }
  const ok = await smoke(bin, (l) => console.log(l));
  Deno.exit(ok ? 0 : 1);
}
