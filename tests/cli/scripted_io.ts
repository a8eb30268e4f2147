/**
 * A CliIo for in-process runCli tests: input lines from a list, stdout and stderr captured as
 * lines, and a "screen" (stdout with the prompts, as a terminal shows it). An input line
 * "@wait:NAME" runs hooks.get(NAME) before the shell reads on (to change the tree mid-script).
 * onCommand(n, interrupt) is called as the n-th command (from 0) starts; `interrupt` is its
 * Ctrl-C.
 */

import type { CliIo } from "../../lib/cli/cli.ts";

export interface ScriptedIo {
  io: CliIo;
  out: string[];
  err: string[];
  screen: () => string;
}

export function scriptedIo(
  input: readonly string[],
  opts: {
    isTerminal?: boolean;
    hooks?: Map<string, () => Promise<void>>;
    onCommand?: (n: number, interrupt: () => void) => void;
  } = {},
): ScriptedIo {
  const out: string[] = [];
  const err: string[] = [];
  let screen = "";
  let next = 0;
  let commandsStarted = 0;
  const io: CliIo = {
    out: (l) => {
      out.push(l);
      screen += l + "\n";
    },
    err: (l) => err.push(l),
    async readLine(prompt) {
      if (opts.isTerminal) screen += prompt;
      while (next < input.length) {
        const line = input[next++];
        if (line.startsWith("@wait:")) {
          await opts.hooks?.get(line.slice("@wait:".length))?.();
          continue;
        }
        return line;
      }
      return null;
    },
    isTerminal: opts.isTerminal ?? false,
    onInterrupt(handler) {
      let live = true;
      opts.onCommand?.(commandsStarted++, () => {
        if (live) handler();
      });
      return () => (live = false);
    },
    close() {},
  };
  return { io, out, err, screen: () => screen };
}
