/**
 * `deno task bench`: zkd and Apache ZooKeeper 3.8 side by side, both with fsync on. Scenarios
 * (`--scenarios mixes,snapshot,restart,ensemble`, all by default, about 6-8 minutes in all):
 * the read/write/90-10 mixes; p99 during a snapshot of 1M znodes; restart time and RSS with
 * 1M znodes; 3-member ensembles of both under the mixes' load, and leader failovers; on request
 * (`catchup`), a member that lost its disk catching up. `deno task bench --help` lists every option;
 * lib/cli/bench.ts has the code.
 */

import { runBench } from "../lib/cli/bench.ts";

Deno.exit(await runBench(Deno.args));
