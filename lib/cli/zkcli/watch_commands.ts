/**
 * The shell's watch commands: zkCli's addWatch, removewatches and printwatches, and zkd's
 * `watch [-r] path`, which streams a path's events (one line, or one JSON line, per event)
 * until Ctrl-C.
 */

import { AddWatchMode, EventType, KeeperState, WatcherType } from "../../proto/ops.ts";
import type { WatchedEvent } from "../../client/watches.ts";
import { checkPath, type Command, CommandError, emit, usageLine, warn } from "./command.ts";
import { eventTypeName, keeperStateName } from "./format.ts";
import { CliParseError } from "./options.ts";

const ADD_WATCH_MODES: Readonly<Record<string, number>> = {
  PERSISTENT: AddWatchMode.persistent,
  PERSISTENT_RECURSIVE: AddWatchMode.persistentRecursive,
};

const addWatch: Command = {
  name: "addWatch",
  usage: "[-m mode] path # optional mode is one of [PERSISTENT, PERSISTENT_RECURSIVE] - " +
    "default is PERSISTENT_RECURSIVE",
  options: { m: true },
  argsMin: 2,
  argsMax: 2,
  needsSession: true,
  async run({ shell, zk, args, opts }) {
    const modeName = (opts.get("m") ?? "PERSISTENT_RECURSIVE").toUpperCase();
    const mode = ADD_WATCH_MODES[modeName];
    // zkCli answers an unknown mode with its usage line (AddWatchMode.valueOf failed).
    if (mode === undefined) throw new CliParseError(usageLine(addWatch));
    const path = args[1];
    checkPath(path);
    await zk.addWatch(path, mode);
    emit(shell, { path, mode: modeName }, () => []);
  },
};

const removewatches: Command = {
  name: "removewatches",
  usage: "path [-c|-d|-a] [-l]",
  options: { c: false, d: false, a: false },
  argsMin: 2,
  needsSession: true,
  async run({ shell, zk, args, opts }) {
    const type = opts.has("c")
      ? WatcherType.children
      : opts.has("d")
      ? WatcherType.data
      : WatcherType.any;
    const path = args[1];
    checkPath(path);
    await zk.removeWatches(path, type);
    emit(
      shell,
      { path, type: opts.has("c") ? "children" : opts.has("d") ? "data" : "any" },
      () => [],
    );
  },
};

const printwatches: Command = {
  name: "printwatches",
  usage: "on|off",
  options: {},
  argsMin: 1,
  needsSession: false,
  run({ shell, args }) {
    if (args.length > 1) shell.printWatches = args[1] === "on";
    const state = shell.printWatches ? "on" : "off";
    if (args.length > 1) emit(shell, { printwatches: state }, () => []);
    else emit(shell, { printwatches: state }, () => [`printwatches is ${state}`]);
    return Promise.resolve();
  },
};

/** Session states after which no event can come. */
const SESSION_ENDS: ReadonlySet<number> = new Set([
  KeeperState.Expired,
  KeeperState.Closed,
  KeeperState.AuthFailed,
]);

/** One streamed event: "2026-01-02T03:04:05.678Z NodeDataChanged /a" or "... session Expired". */
export function watchLine(e: WatchedEvent, at: Date): string {
  const time = at.toISOString();
  if (e.type === EventType.None) return `${time} session ${keeperStateName(e.state)}`;
  return `${time} ${eventTypeName(e.type)} ${e.path}`;
}

export function watchJson(e: WatchedEvent, at: Date): Record<string, unknown> {
  return {
    time: at.toISOString(),
    type: eventTypeName(e.type),
    state: keeperStateName(e.state),
    path: e.path,
  };
}

const watch: Command = {
  name: "watch",
  usage: "[-r] path",
  usageExtra: "# stream the path's events (-r: its whole subtree) until Ctrl-C",
  options: { r: false },
  argsMin: 2,
  argsMax: 2,
  needsSession: true,
  endsOnInterrupt: true,
  async run({ shell, zk, args, opts, signal }) {
    const path = args[1];
    checkPath(path);
    const recursive = opts.has("r");
    let streaming = true;
    let sessionEnd: (state: number) => void = () => {};
    const ended = new Promise<number>((resolve) => (sessionEnd = resolve));
    const print = (e: WatchedEvent) => {
      if (!streaming) return;
      const at = new Date();
      emit(shell, watchJson(e, at), () => [watchLine(e, at)]);
    };
    // Node events come to the watch's own watcher; session changes only to listeners.
    const stopListening = zk.addListener((e) => {
      if (e.type !== EventType.None) return;
      print(e);
      if (SESSION_ENDS.has(e.state)) sessionEnd(e.state);
    });
    const mode = recursive ? AddWatchMode.persistentRecursive : AddWatchMode.persistent;
    try {
      await zk.addWatch(path, mode, print);
      if (shell.isTerminal) {
        warn(shell, `Watching ${path}${recursive ? " and its subtree" : ""}; Ctrl-C to stop`);
      }
      const aborted = new Promise<void>((resolve) => {
        if (signal.aborted) resolve();
        signal.addEventListener("abort", () => resolve(), { once: true });
      });
      const end = await Promise.race([aborted.then(() => undefined), ended]);
      if (end !== undefined) {
        throw new CommandError(`watch ended: session ${keeperStateName(end)}`);
      }
    } finally {
      streaming = false;
      stopListening();
      if (zk.isAlive) {
        // The shell goes on: leave no watch behind on the server.
        const type = recursive ? WatcherType.persistentRecursive : WatcherType.persistent;
        await zk.removeWatches(path, type).catch(() => {});
      }
    }
  },
};

export const watchCommands: readonly Command[] = [addWatch, removewatches, printwatches, watch];
