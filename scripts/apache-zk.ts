// Developer tool for comparing zkd with the reference server by hand.
//
//   deno run -A scripts/apache-zk.ts start [key=value ...]
//       Starts Apache ZooKeeper 3.8 (Debian package) on a free loopback port with a temp
//       dataDir, prints its connect string and log path, and runs until Ctrl-C.
//   deno run -A scripts/apache-zk.ts probe <host:port> <script-file | ->
//       Runs a ZkProbe script (see tests/interop/java/ZkProbe.java) with the real Java client
//       against any server and prints the normalized output (raw values kept with --raw).

import { startApacheZk } from "../tests/interop/support/apache_zk.ts";
import { runProbe } from "../tests/interop/support/java_probe.ts";

async function main(args: string[]): Promise<number> {
  const [cmd, ...rest] = args;
  if (cmd === "start") {
    const cfg: Record<string, string> = {};
    for (const kv of rest) {
      const eq = kv.indexOf("=");
      if (eq <= 0) {
        console.error(`expected key=value, got: ${kv}`);
        return 2;
      }
      cfg[kv.slice(0, eq)] = kv.slice(eq + 1);
    }
    const zk = await startApacheZk({ cfg });
    console.log(`Apache ZooKeeper serving at ${zk.connectString}`);
    console.log(`zoo.cfg: ${zk.cfgPath}\nlog: ${zk.logPath}\nCtrl-C to stop.`);
    await new Promise<void>((resolve) => Deno.addSignalListener("SIGINT", () => resolve()));
    await zk.stop();
    return 0;
  }
  if (cmd === "probe" && rest.length >= 2) {
    const [connectString, file] = rest;
    const script = file === "-"
      ? await new Response(Deno.stdin.readable).text()
      : await Deno.readTextFile(file);
    const run = await runProbe(connectString, script);
    if (rest.includes("--raw")) {
      for (const l of run.lines) console.log(JSON.stringify(l));
    } else {
      console.log(run.text);
    }
    if (run.exitCode !== 0) console.error(run.stderr);
    return run.exitCode;
  }
  console.error(
    "usage: apache-zk.ts start [key=value ...] | probe <host:port> <script-file|-> [--raw]",
  );
  return 2;
}

Deno.exit(await main(Deno.args));
