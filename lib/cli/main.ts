/**
 * Subcommand dispatch for the `zkd` program. Returns the exit code; only main.ts exits.
 * Subcommands load lazily so `zkd start` does not pay for the shell or the benchmark.
 */

import { OperatorError } from "../util/operator_error.ts";
import { VERSION, ZOOKEEPER_COMPAT_VERSION } from "../version.ts";
import { UsageError } from "./usage_error.ts";

const USAGE = `usage: zkd <command> [options]

commands:
  start [--config zoo.cfg]   run the server in the foreground (default: embedded
                             standalone config, 127.0.0.1:2181, data under ./data)
  cli [-server host:port]    interactive shell (one-shot: -c "ls /")
  status [-server h:p,...]   mode, zxid, lag, sessions, znodes of each server (--json,
                             --admin-port N, --wait s); exit 1 if one is unreachable
  snapshot inspect FILE      summary of a snapshot file (zxid, nodes, biggest subtrees)
  snapshot dump FILE --json  every node and session of a snapshot as JSON
  wal dump DIR               one line per logged txn (DIR: dataLogDir or its version-2)
  wal verify DIR             check every record of the write-ahead log
  version                    print the version
  help                       this text
`;

export async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  try {
    switch (command) {
      case "start": {
        const { runStart } = await import("./start.ts");
        return await runStart(rest);
      }
      case "cli": {
        const { runCli } = await import("./cli.ts");
        return await runCli(rest);
      }
      case "status": {
        const { runStatus } = await import("./status.ts");
        return await runStatus(rest);
      }
      case "snapshot": {
        const { runSnapshot } = await import("./snapshot.ts");
        return await runSnapshot(rest);
      }
      case "wal": {
        const { runWal } = await import("./wal.ts");
        return await runWal(rest);
      }
      case "version":
      case "--version":
        console.log(`zkd ${VERSION} (ZooKeeper ${ZOOKEEPER_COMPAT_VERSION} protocol)`);
        return 0;
      case "help":
      case "--help":
      case "-h":
        console.log(USAGE);
        return 0;
      case undefined:
        console.error(USAGE);
        return 2;
      default:
        throw new UsageError(`unknown command '${command}' (try: zkd help)`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`zkd: ${e.message}`);
      return 2;
    }
    if (e instanceof OperatorError) {
      console.error(`zkd: ${e.message}`);
      return 1;
    }
    throw e;
  }
}
