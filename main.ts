/** zkd entry point: argv -> lib/cli; the only place that calls Deno.exit. */

import { main } from "./lib/cli/main.ts";

Deno.exit(await main(Deno.args));
