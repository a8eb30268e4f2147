/**
 * The line being edited at the shell prompt, as plain state: the characters (code points, so
 * the cursor never lands inside a UTF-16 pair), the cursor, and the place in the history that
 * Up and Down walk through. Keys change the state; what to do beyond editing (run the line,
 * complete a word, end the input) comes back as the result of apply(). Drawing is elsewhere
 * (line_render.ts), so this runs in tests without a terminal.
 */

import type { Key } from "./keys.ts";

export type EditResult =
  /** The line changed or the key meant nothing; keep editing. */
  | "edit"
  /** Enter: run the line. */
  | "submit"
  /** Ctrl-D on an empty line: end of input. */
  | "eof"
  /** Ctrl-C: drop the line. */
  | "interrupt"
  /** Tab: complete the word before the cursor. */
  | "complete"
  /** Ctrl-L: clear the screen and redraw. */
  | "clearScreen";

export class LineEditor {
  #chars: string[] = [];
  #cursor = 0;
  readonly #history: readonly string[];
  /** Index into history of the line shown; history.length is the new line. */
  #historyIndex: number;
  /** What was typed on the new line before walking into the history. */
  #draft = "";

  /** `history`: earlier lines, oldest first. */
  constructor(history: readonly string[] = []) {
    this.#history = history;
    this.#historyIndex = history.length;
  }

  get text(): string {
    return this.#chars.join("");
  }

  /** The cursor, in characters (code points) from the start. */
  get cursor(): number {
    return this.#cursor;
  }

  /** The text before the cursor. */
  get beforeCursor(): string {
    return this.#chars.slice(0, this.#cursor).join("");
  }

  /** Replaces the line and puts the cursor at its end (or at `cursor`). */
  setLine(text: string, cursor?: number): void {
    this.#chars = Array.from(text);
    this.#cursor = Math.min(cursor ?? this.#chars.length, this.#chars.length);
  }

  insert(text: string): void {
    const add = Array.from(text);
    this.#chars.splice(this.#cursor, 0, ...add);
    this.#cursor += add.length;
  }

  /** Replaces the `count` characters before the cursor with `text` (a completion). */
  replaceBeforeCursor(count: number, text: string): void {
    const start = Math.max(0, this.#cursor - count);
    const add = Array.from(text);
    this.#chars.splice(start, this.#cursor - start, ...add);
    this.#cursor = start + add.length;
  }

  apply(key: Key): EditResult {
    const chars = this.#chars;
    switch (key.name) {
      case "text":
        this.insert(key.text);
        return "edit";
      case "enter":
        return "submit";
      case "tab":
        return "complete";
      case "ctrlC":
        return "interrupt";
      case "ctrlL":
        return "clearScreen";
      case "ctrlD":
        if (chars.length === 0) return "eof";
        if (this.#cursor < chars.length) chars.splice(this.#cursor, 1);
        return "edit";
      case "backspace":
        if (this.#cursor > 0) chars.splice(--this.#cursor, 1);
        return "edit";
      case "delete":
        if (this.#cursor < chars.length) chars.splice(this.#cursor, 1);
        return "edit";
      case "left":
        if (this.#cursor > 0) this.#cursor--;
        return "edit";
      case "right":
        if (this.#cursor < chars.length) this.#cursor++;
        return "edit";
      case "home":
      case "ctrlA":
        this.#cursor = 0;
        return "edit";
      case "end":
      case "ctrlE":
        this.#cursor = chars.length;
        return "edit";
      case "ctrlU":
        chars.splice(0, this.#cursor);
        this.#cursor = 0;
        return "edit";
      case "ctrlK":
        chars.splice(this.#cursor);
        return "edit";
      case "ctrlW": {
        const start = this.#wordStart();
        chars.splice(start, this.#cursor - start);
        this.#cursor = start;
        return "edit";
      }
      case "wordLeft":
        this.#cursor = this.#wordStart();
        return "edit";
      case "wordRight": {
        let i = this.#cursor;
        while (i < chars.length && chars[i] === " ") i++;
        while (i < chars.length && chars[i] !== " ") i++;
        this.#cursor = i;
        return "edit";
      }
      case "up":
        if (this.#historyIndex > 0) {
          if (this.#historyIndex === this.#history.length) this.#draft = this.text;
          this.#historyIndex--;
          this.setLine(this.#history[this.#historyIndex]);
        }
        return "edit";
      case "down":
        if (this.#historyIndex < this.#history.length) {
          this.#historyIndex++;
          this.setLine(
            this.#historyIndex === this.#history.length
              ? this.#draft
              : this.#history[this.#historyIndex],
          );
        }
        return "edit";
      case "escape":
        return "edit";
    }
  }

  /** Where the word before the cursor starts (spaces before it are part of the move). */
  #wordStart(): number {
    let i = this.#cursor;
    while (i > 0 && this.#chars[i - 1] === " ") i--;
    while (i > 0 && this.#chars[i - 1] !== " ") i--;
    return i;
  }
}
