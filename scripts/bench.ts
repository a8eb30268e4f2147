/**
 * `deno task bench`: zkd and Apache ZooKeeper 3.8 under the same pipelined load, side by
 * side; see lib/cli/bench.ts for the options (--help).
 */

import { runBench } from "../lib/cli/bench.ts";

Deno.exit(await runBench(Deno.args));
