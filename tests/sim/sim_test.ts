/**
 * The simulator in the test suite: every seed of seeds.ts, then random seeds for a time box
 * (ZKD_SIM_SECONDS of wall time, default 20; 0 skips them). ZKD_SIM_SEED=<n> runs just that
 * seed, ZKD_SIM_TRACE=1 prints its whole trace. A failure names the seed and the command that
 * replays it; a seed that ever failed belongs in seeds.ts.
 *
 * RECONFIG_SEEDS always run with membership changes (reconfig); ZKD_SIM_RECONFIG=1 also lets
 * about a third of the random seeds (and a ZKD_SIM_SEED replay) change the membership. The
 * random batch alternates: every other random seed runs with reconfig even without it.
 */

import { RECONFIG_SEEDS, SEEDS } from "./seeds.ts";
import { replayCommand, runSimulation, type SimReport } from "./simulation.ts";

const only = Deno.env.get("ZKD_SIM_SEED");
const trace = Deno.env.get("ZKD_SIM_TRACE") === "1";
const randomSeconds = Number(Deno.env.get("ZKD_SIM_SECONDS") ?? "20");
const reconfig = Deno.env.get("ZKD_SIM_RECONFIG") === "1";

function summary(r: SimReport): string {
  return `seed ${r.seed}: ${r.voters} voters + ${r.observers} observers, ${r.clients} clients, ` +
    `${r.committed} txns committed, ${r.acked} writes acknowledged, ${r.reads} reads checked, ` +
    `${r.crashes} crashes, ${r.terms} terms, first write ${r.healToWriteMs} ms after the heal`;
}

if (only !== undefined) {
  Deno.test(`simulation: seed ${only}`, async () => {
    console.log(summary(await runSimulation({ seed: Number(only), trace, reconfig })));
  });
} else {
  for (const { seed, why } of SEEDS) {
    Deno.test(`simulation: seed ${seed} (${why})`, async () => {
      await runSimulation({ seed });
    });
  }
  for (const { seed, why } of RECONFIG_SEEDS) {
    Deno.test(`simulation with reconfig: seed ${seed} (${why})`, async () => {
      await runSimulation({ seed, reconfig: true });
    });
  }

  Deno.test({
    name: `simulation: random seeds for ${randomSeconds} s`,
    ignore: !(randomSeconds > 0),
    fn: async () => {
      const deadline = Date.now() + randomSeconds * 1000;
      const ran: number[] = [];
      while (Date.now() < deadline) {
        const seed = crypto.getRandomValues(new Uint32Array(1))[0];
        const withReconfig = reconfig || ran.length % 2 === 1;
        ran.push(seed);
        try {
          await runSimulation({ seed, reconfig: withReconfig });
        } catch (e) {
          console.error(
            `random seed ${seed} failed; add it to tests/sim/seeds.ts and replay it with\n` +
              `  ${replayCommand(seed, withReconfig)}`,
          );
          throw e;
        }
      }
      console.log(`${ran.length} random seeds passed: ${ran.join(" ")}`);
    },
  });
}
