/**
 * The shell's session and bookkeeping commands with zkCli 3.8's behaviour: connect, close,
 * quit/exit, version, and the numbered history of this session (history, redo).
 */

import { VERSION_LINE } from "../../version.ts";
import { type Command, CommandError, emit } from "./command.ts";
import { tokenizeLine } from "./tokenize.ts";

/** zkCli's history shows the current command and the ten before it. */
const HISTORY_SHOWN = 10;

const connect: Command = {
  name: "connect",
  usage: "host:port",
  options: {},
  argsMin: 1,
  needsSession: false,
  async run({ shell, args }) {
    await shell.connect(args[1] ?? shell.host);
    const zk = shell.zk!;
    emit(shell, { host: shell.host, sessionId: `0x${zk.sessionId.toString(16)}` }, () => []);
  },
};

const close: Command = {
  name: "close",
  usage: "",
  options: {},
  argsMin: 1,
  needsSession: true,
  async run({ shell, zk }) {
    await zk.close();
    emit(shell, { state: zk.state }, () => []);
  },
};

const quit: Command = {
  name: "quit",
  usage: "",
  options: {},
  argsMin: 1,
  needsSession: false,
  async run({ shell }) {
    shell.quitRequested = true;
    await shell.zk?.close();
  },
};

const version: Command = {
  name: "version",
  usage: "",
  options: {},
  argsMin: 1,
  needsSession: false,
  run({ shell }) {
    emit(shell, { version: VERSION_LINE }, () => [`ZooKeeper CLI version: ${VERSION_LINE}`]);
    return Promise.resolve();
  },
};

const history: Command = {
  name: "history",
  usage: "",
  options: {},
  argsMin: 1,
  needsSession: false,
  run({ shell }) {
    const entries: Array<{ number: number; command: string }> = [];
    const last = shell.commandCount;
    for (let i = Math.max(0, last - HISTORY_SHOWN); i <= last; i++) {
      const command = shell.history.get(i);
      if (command !== undefined) entries.push({ number: i, command });
    }
    emit(shell, { history: entries }, () => entries.map((e) => `${e.number} - ${e.command}`));
    return Promise.resolve();
  },
};

/** Java's Integer.decode for the forms people type: decimal, 0x hex, a sign. */
function commandNumber(text: string): number {
  const m = /^([+-]?)(?:0[xX]([0-9a-fA-F]+)|([0-9]+))$/.exec(text);
  if (m === null) throw new CommandError(`cmdno must be a number: ${text}`);
  const n = m[2] !== undefined ? parseInt(m[2], 16) : Number(m[3]);
  return m[1] === "-" ? -n : n;
}

const redo: Command = {
  name: "redo",
  usage: "cmdno",
  options: {},
  argsMin: 2,
  needsSession: false,
  async run({ shell, args }) {
    const n = commandNumber(args[1]);
    // "don't allow redoing this redo": only earlier numbers.
    if (n < 0 || n >= shell.commandCount) throw new CommandError("Command index out of range");
    const line = shell.history.get(n)!;
    if (tokenizeLine(line)[0] === "redo") throw new CommandError("No redoing redos");
    // As zkCli: the history shows the command that ran under this number, not "redo N".
    shell.history.set(shell.commandCount, line);
    // A failed redone command has said why already: fail with no lines of our own.
    if (!(await shell.executeLine(line))) throw new CommandError();
  },
};

export const sessionCommands: readonly Command[] = [
  connect,
  close,
  quit,
  { ...quit, name: "exit" },
  version,
  history,
  redo,
];
