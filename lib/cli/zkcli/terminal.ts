/**
 * The interactive shell's terminal: stdin in raw mode (keys arrive one by one and Ctrl-C is a
 * key, not a signal), the line editor with history and Tab completion at the prompt, and
 * output that never tears the line being typed (a watch event arriving while you type is
 * printed above the prompt, which is then drawn again).
 *
 * One reader pumps stdin for the whole session. At the prompt its keys edit the line; while a
 * command runs, Ctrl-C goes to the command's interrupt handler and other keys wait as
 * type-ahead for the next prompt.
 */

import { formatColumns } from "./columns.ts";
import { complete, type CompletionSource } from "./completion.ts";
import type { HistoryFile } from "./history_file.ts";
import { type Key, KeyDecoder } from "./keys.ts";
import { LineEditor } from "./line_editor.ts";
import { type Drawn, erase, leave, redraw, START } from "./line_render.ts";

/** Ambiguous completions listed at most; the rest are counted. */
const CANDIDATES_SHOWN_MAX = 200;
/** Keys typed ahead while a command runs, kept at most. */
const TYPE_AHEAD_KEYS_MAX = 4096;
/** A lone ESC with nothing after it for this long is the Escape key. */
const ESCAPE_WAIT_MS = 50;
const COLUMNS_DEFAULT = 80;

const encoder = new TextEncoder();

function writeAll(file: typeof Deno.stdout, text: string): void {
  const bytes = encoder.encode(text);
  try {
    let off = 0;
    while (off < bytes.byteLength) off += file.writeSync(bytes.subarray(off));
  } catch (e) {
    if (!(e instanceof Deno.errors.BrokenPipe)) throw e;
  }
}

function terminalColumns(): number {
  try {
    return Deno.consoleSize().columns || COLUMNS_DEFAULT;
  } catch {
    return COLUMNS_DEFAULT;
  }
}

/** The line being edited and how it is drawn. */
interface Editing {
  prompt: string;
  editor: LineEditor;
  drawn: Drawn;
}

export class TerminalPrompt {
  readonly #history: HistoryFile;
  readonly #decoder = new KeyDecoder();
  readonly #keys: Key[] = [];
  #wakeReader: (() => void) | null = null;
  #inputEnded = false;
  #editing: Editing | null = null;
  readonly #interruptHandlers = new Set<() => void>();
  #escapeTimer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(history: HistoryFile) {
    this.#history = history;
    Deno.stdin.setRaw(true);
    this.#pump();
  }

  /** Back to the terminal's normal mode. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#escapeTimer);
    try {
      Deno.stdin.setRaw(false);
    } catch {
      // stdin went away; nothing to restore.
    }
  }

  async #pump(): Promise<void> {
    const buf = new Uint8Array(4096);
    try {
      for (;;) {
        const n = await Deno.stdin.read(buf);
        if (n === null) break;
        clearTimeout(this.#escapeTimer);
        this.#accept(this.#decoder.feed(buf.subarray(0, n)));
        this.#escapeTimer = setTimeout(
          () => this.#accept(this.#decoder.flushPending()),
          ESCAPE_WAIT_MS,
        );
      }
    } catch {
      // A read error ends input like EOF does.
    }
    this.#inputEnded = true;
    this.#wakeReader?.();
  }

  #accept(keys: Key[]): void {
    for (const key of keys) {
      // While a command runs, Ctrl-C is for the command, not for the next prompt.
      if (key.name === "ctrlC" && this.#editing === null && this.#interruptHandlers.size > 0) {
        for (const h of [...this.#interruptHandlers]) h();
        continue;
      }
      if (this.#keys.length < TYPE_AHEAD_KEYS_MAX) this.#keys.push(key);
    }
    if (keys.length > 0) this.#wakeReader?.();
  }

  async #nextKey(): Promise<Key | null> {
    while (this.#keys.length === 0) {
      if (this.#inputEnded) return null;
      await new Promise<void>((resolve) => (this.#wakeReader = resolve));
      this.#wakeReader = null;
    }
    return this.#keys.shift()!;
  }

  /** Calls `handler` on Ctrl-C until the returned function is called. */
  onInterrupt(handler: () => void): () => void {
    this.#interruptHandlers.add(handler);
    return () => this.#interruptHandlers.delete(handler);
  }

  out(line: string): void {
    this.#printAbove(Deno.stdout, line + "\n");
  }

  err(line: string): void {
    this.#printAbove(Deno.stderr, line + "\n");
  }

  /** Text written while a line is being edited goes above it; the line is drawn again. */
  #printAbove(file: typeof Deno.stdout, text: string): void {
    const e = this.#editing;
    if (e === null) {
      writeAll(file, text);
      return;
    }
    writeAll(Deno.stdout, erase(e.drawn));
    writeAll(file, text);
    e.drawn = START;
    this.#draw(e);
  }

  #draw(e: Editing): void {
    const { output, drawn } = redraw(
      e.prompt,
      e.editor.text,
      e.editor.cursor,
      terminalColumns(),
      e.drawn,
    );
    writeAll(Deno.stdout, output);
    e.drawn = drawn;
  }

  /** Leaves the edited line as it is drawn and moves below it. */
  #leave(e: Editing): void {
    writeAll(Deno.stdout, leave(e.prompt, e.editor.text, terminalColumns(), e.drawn));
    e.drawn = START;
  }

  /**
   * Reads one line at `prompt`; null when input ends (Ctrl-D on an empty line, or stdin
   * closed). The line goes into the history.
   */
  async readLine(prompt: string, source: CompletionSource): Promise<string | null> {
    const e: Editing = { prompt, editor: new LineEditor(this.#history.lines), drawn: START };
    this.#editing = e;
    this.#draw(e);
    try {
      for (;;) {
        const key = await this.#nextKey();
        if (key === null) {
          this.#leave(e);
          return null;
        }
        switch (e.editor.apply(key)) {
          case "edit":
            this.#draw(e);
            break;
          case "submit": {
            e.editor.setLine(e.editor.text);
            this.#draw(e);
            this.#leave(e);
            const line = e.editor.text;
            this.#history.add(line);
            return line;
          }
          case "eof":
            this.#leave(e);
            return null;
          case "interrupt": {
            // As bash: keep what was typed on screen followed by ^C, start a fresh line.
            const shown: Editing = { ...e, editor: withText(e.editor.text + "^C") };
            this.#draw(shown);
            this.#leave(shown);
            e.editor = new LineEditor(this.#history.lines);
            e.drawn = START;
            this.#draw(e);
            break;
          }
          case "complete":
            await this.#complete(e, source);
            break;
          case "clearScreen":
            writeAll(Deno.stdout, "\x1b[H\x1b[2J");
            e.drawn = START;
            this.#draw(e);
            break;
        }
      }
    } finally {
      this.#editing = null;
    }
  }

  async #complete(e: Editing, source: CompletionSource): Promise<void> {
    const c = await complete(e.editor.beforeCursor, source);
    if (c.insert !== "") {
      e.editor.replaceBeforeCursor(c.replace, c.insert);
      this.#draw(e);
      return;
    }
    if (c.candidates.length === 0) {
      writeAll(Deno.stdout, "\x07");
      return;
    }
    const shown = c.candidates.slice(0, CANDIDATES_SHOWN_MAX);
    const lines = formatColumns(shown, terminalColumns());
    if (c.candidates.length > shown.length) {
      lines.push(`... and ${c.candidates.length - shown.length} more`);
    }
    // Keep the typed line on screen, list below it, then a fresh prompt with the same line.
    const cursor = e.editor.cursor;
    e.editor.setLine(e.editor.text);
    this.#draw(e);
    this.#leave(e);
    writeAll(Deno.stdout, lines.map((l) => l + "\n").join(""));
    e.editor.setLine(e.editor.text, cursor);
    this.#draw(e);
  }
}

function withText(text: string): LineEditor {
  const editor = new LineEditor();
  editor.setLine(text);
  return editor;
}
