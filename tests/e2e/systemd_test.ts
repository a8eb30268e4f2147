/**
 * The systemd side of `zkd start`: conf/zkd.service and conf/zkd@.service pass
 * `systemd-analyze verify` (with ExecStart pointed at a binary that exists here, since verify
 * checks it), and zkd speaks sd_notify: READY=1 once it serves clients, STOPPING=1 on SIGTERM,
 * over the unix datagram socket systemd names in NOTIFY_SOCKET.
 */

import assert from "node:assert/strict";
import { fourLetter, freePort } from "../interop/support/net.ts";
import { REPO_ROOT } from "../interop/support/zkd.ts";

function which(cmd: string): string | null {
  for (const dir of (Deno.env.get("PATH") ?? "/usr/bin:/bin").split(":")) {
    try {
      if (Deno.statSync(`${dir}/${cmd}`).isFile) return `${dir}/${cmd}`;
    } catch { /* not here */ }
  }
  return null;
}

const ANALYZE = which("systemd-analyze");
const UNITS = ["zkd.service", "zkd@.service"];

function unitText(name: string): string {
  return Deno.readTextFileSync(`${REPO_ROOT}/conf/${name}`);
}

/** Key=value lines of a unit's section. */
function section(text: string, name: string): Map<string, string> {
  const out = new Map<string, string>();
  let inside = false;
  for (const line of text.split("\n")) {
    if (/^\[.*\]$/.test(line)) inside = line === `[${name}]`;
    else if (inside && /^[A-Za-z]+=/.test(line)) {
      const i = line.indexOf("=");
      out.set(line.slice(0, i), line.slice(i + 1));
    }
  }
  return out;
}

Deno.test("the units run zkd as user zkd, notify readiness, restart on failure, stop with SIGTERM", () => {
  for (const name of UNITS) {
    const s = section(unitText(name), "Service");
    assert.equal(s.get("Type"), "notify", name);
    assert.equal(s.get("User"), "zkd", name);
    assert.equal(s.get("Restart"), "on-failure", name);
    assert.equal(s.get("KillSignal"), "SIGTERM", name);
    assert.match(s.get("TimeoutStopSec") ?? "", /^\d+$/, name);
    assert.match(s.get("ExecStart") ?? "", /^\/usr\/local\/bin\/zkd start --config \/etc\/zkd\//);
    assert.match(s.get("StateDirectory") ?? "", /^zkd/, name);
  }
  const t = section(unitText("zkd@.service"), "Service");
  assert.equal(t.get("ExecStart"), "/usr/local/bin/zkd start --config /etc/zkd/%i/zoo.cfg");
  assert.equal(t.get("WorkingDirectory"), "/var/lib/zkd/%i");
});

Deno.test({
  name: "systemd-analyze verify accepts conf/zkd.service and conf/zkd@.service",
  ignore: ANALYZE === null,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "zkd-units-" });
    try {
      // verify insists that ExecStart's binary exists: point it at one that does.
      const exe = Deno.execPath();
      const copies: Array<[string, string]> = [
        ["zkd.service", "zkd.service"],
        ["zkd@.service", "zkd@1.service"],
      ];
      for (const [from, to] of copies) {
        await Deno.writeTextFile(
          `${dir}/${to}`,
          unitText(from).replaceAll("/usr/local/bin/zkd", exe),
        );
        const out = await new Deno.Command(ANALYZE!, {
          args: ["verify", `${dir}/${to}`],
          stdout: "piped",
          stderr: "piped",
          env: { SYSTEMD_LOG_COLOR: "0" },
          signal: AbortSignal.timeout(30_000),
        }).output();
        const said = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
        assert.equal(out.code, 0, `${to}: ${said}`);
        // verify exits 0 on unknown keys and bad values, but says so: it must say nothing.
        const aboutUs = said.split("\n").filter((l) => l.includes(to) || l.includes(dir));
        assert.deepEqual(aboutUs, [], `${to}: ${said}`);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/**
 * A process that binds a unix datagram socket (needs --unstable-net, which tests do not run
 * with) and prints every datagram it gets as one JSON line.
 */
const RECEIVER = `
const path = Deno.args[0];
const sock = Deno.listenDatagram({ transport: "unixpacket", path });
console.log(JSON.stringify("listening"));
for (;;) {
  const [data] = await sock.receive();
  const text = new TextDecoder().decode(data);
  console.log(JSON.stringify(text));
  if (text.includes("STOPPING=1")) break;
}
sock.close();
`;

async function* lines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let buf = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buf += chunk;
    let i;
    while ((i = buf.indexOf("\n")) >= 0) {
      yield buf.slice(0, i);
      buf = buf.slice(i + 1);
    }
  }
}

Deno.test({
  name: "zkd start sends READY=1 when it serves and STOPPING=1 on SIGTERM (sd_notify)",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "zkd-notify-test-" });
    const socketPath = `${dir}/notify.sock`;
    const port = freePort();
    await Deno.writeTextFile(
      `${dir}/zoo.cfg`,
      `dataDir=${dir}/data\nclientPort=${port}\nclientPortAddress=127.0.0.1\n` +
        "admin.enableServer=false\n",
    );
    const receiver = new Deno.Command(Deno.execPath(), {
      args: ["eval", "--unstable-net", RECEIVER, socketPath],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const received = lines(receiver.stdout);
    const next = async (): Promise<string> => {
      const timer = AbortSignal.timeout(30_000);
      const r = await Promise.race([
        received.next(),
        new Promise<never>((_, reject) =>
          timer.addEventListener("abort", () => reject(new Error("no datagram in 30 s")))
        ),
      ]);
      assert.ok(!r.done, "receiver ended");
      return JSON.parse(r.value);
    };
    let zkd: Deno.ChildProcess | undefined;
    try {
      assert.equal(await next(), "listening");
      zkd = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--unstable-net",
          "--allow-net",
          "--allow-read",
          "--allow-write",
          "--allow-env",
          "--allow-sys",
          `${REPO_ROOT}/main.ts`,
          "start",
          "--config",
          `${dir}/zoo.cfg`,
        ],
        env: { NO_COLOR: "1", NOTIFY_SOCKET: socketPath },
        stdout: "null",
        stderr: "null",
      }).spawn();
      assert.equal(await next(), "READY=1");
      // READY=1 comes after the listener: the server answers right away.
      assert.match(await fourLetter(port, "srvr", 5_000), /Mode: standalone/);
      zkd.kill("SIGTERM");
      assert.equal(await next(), "STOPPING=1");
      assert.equal((await zkd.status).code, 0);
      zkd = undefined;
      assert.equal((await receiver.status).code, 0);
    } finally {
      for (const child of [zkd, receiver]) {
        try {
          child?.kill("SIGKILL");
        } catch { /* exited */ }
      }
      await zkd?.status;
      await receiver.status;
      await Deno.remove(dir, { recursive: true });
    }
  },
});
