/**
 * The server the client and CLI tests talk to. Apache ZooKeeper 3.8 (Debian package) by
 * default; ZKD_TEST_SERVER=zkd runs zkd (`main.ts start`) instead; ZKD_TEST_CONNECT=host:port
 * uses a server that is already running. Each test module starts one server at load time and
 * stops it in its last test; an unload handler kills it if the module ends early.
 */

import { type ServerProcess, startApacheZk, startZkd } from "../../lib/cli/bench/server_process.ts";

export interface TestServer {
  readonly name: string;
  readonly connectString: string;
  readonly port: number;
  stop(): Promise<void>;
  /** The server log's tail, for failure messages ("" for an external server). */
  logTail(): string;
}

const repoRoot = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");

export async function startTestServer(): Promise<TestServer> {
  const external = Deno.env.get("ZKD_TEST_CONNECT");
  if (external !== undefined && external !== "") {
    const port = Number(external.split(":").pop());
    return {
      name: `external ${external}`,
      connectString: external,
      port,
      stop: () => Promise.resolve(),
      logTail: () => "",
    };
  }
  const target = Deno.env.get("ZKD_TEST_SERVER") ?? "zk";
  let proc: ServerProcess;
  if (target === "zkd") {
    proc = await startZkd({ repoRoot, args: ["--log-level", "warn"], startTimeoutMs: 60_000 });
  } else if (target === "zk") {
    proc = await startApacheZk({ startTimeoutMs: 90_000 });
  } else {
    throw new Error(`ZKD_TEST_SERVER must be zk or zkd, not ${target}`);
  }
  const kill = () => {
    try {
      Deno.kill(proc.pid, "SIGKILL");
    } catch {
      // Already stopped.
    }
  };
  globalThis.addEventListener("unload", kill);
  return {
    name: proc.name,
    connectString: proc.connectString,
    port: proc.port,
    stop: async () => {
      globalThis.removeEventListener("unload", kill);
      await proc.stop();
    },
    logTail: () => proc.logTail(),
  };
}

let counter = 0;

/** A fresh top-level path for one test, so tests sharing a server never collide. */
export function freshPath(label: string): string {
  counter++;
  const nonce = Math.floor(Math.random() * 0xffffff).toString(16);
  return `/t-${label}-${Date.now().toString(36)}-${nonce}-${counter}`;
}

/** Rejects with a clear message if `work` takes longer than `ms`. */
export async function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `check` until it returns true, or fails after `ms`. */
export async function eventually(
  ms: number,
  what: string,
  check: () => boolean | Promise<boolean>,
) {
  const deadline = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`${what}: not true within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
