/**
 * Terminal input bytes -> key presses, for the line editor. A raw-mode terminal sends printable
 * text as UTF-8, control keys as single bytes (Ctrl-A is 0x01, Backspace 0x7f) and the arrows,
 * Home, End and Delete as escape sequences (CSI "ESC [ ... final" or SS3 "ESC O x"). A read can
 * end in the middle of a UTF-8 character or a sequence; the decoder keeps that tail for the next
 * read.
 */

export type NamedKey =
  | "enter"
  | "tab"
  | "backspace"
  | "delete"
  | "left"
  | "right"
  | "up"
  | "down"
  | "home"
  | "end"
  | "wordLeft"
  | "wordRight"
  | "ctrlA"
  | "ctrlC"
  | "ctrlD"
  | "ctrlE"
  | "ctrlK"
  | "ctrlL"
  | "ctrlU"
  | "ctrlW"
  | "escape";

export type Key = { name: NamedKey } | { name: "text"; text: string };

const CONTROL: Readonly<Record<string, NamedKey>> = {
  "\x01": "ctrlA",
  "\x02": "left", // Ctrl-B
  "\x03": "ctrlC",
  "\x04": "ctrlD",
  "\x05": "ctrlE",
  "\x06": "right", // Ctrl-F
  "\x08": "backspace", // Ctrl-H
  "\x09": "tab",
  "\x0a": "enter",
  "\x0b": "ctrlK",
  "\x0c": "ctrlL",
  "\x0d": "enter",
  "\x0e": "down", // Ctrl-N
  "\x10": "up", // Ctrl-P
  "\x15": "ctrlU",
  "\x17": "ctrlW",
  "\x7f": "backspace",
};

/** CSI/SS3 final byte (no parameters, or parameter 1) -> key. */
const FINAL: Readonly<Record<string, NamedKey>> = {
  A: "up",
  B: "down",
  C: "right",
  D: "left",
  H: "home",
  F: "end",
};

/** "ESC [ n ~" -> key. */
const TILDE: Readonly<Record<string, NamedKey>> = {
  "1": "home",
  "3": "delete",
  "4": "end",
  "7": "home",
  "8": "end",
};

export class KeyDecoder {
  readonly #utf8 = new TextDecoder("utf-8", { fatal: false });
  #pending = "";

  /** The keys in `bytes` (with what earlier reads left pending). */
  feed(bytes: Uint8Array): Key[] {
    this.#pending += this.#utf8.decode(bytes, { stream: true });
    const keys: Key[] = [];
    let text = "";
    const flushText = () => {
      if (text !== "") keys.push({ name: "text", text });
      text = "";
    };
    const s = this.#pending;
    let i = 0;
    while (i < s.length) {
      const c = s[i];
      if (c === "\x1b") {
        const seq = escapeSequence(s, i);
        if (seq === "incomplete") break;
        flushText();
        if (seq.key !== undefined) keys.push({ name: seq.key });
        i += seq.length;
        continue;
      }
      const control = CONTROL[c];
      if (control !== undefined) {
        flushText();
        keys.push({ name: control });
        // A pasted Windows line end is one Enter, not two.
        i += c === "\r" && s[i + 1] === "\n" ? 2 : 1;
        continue;
      }
      // Other control characters mean nothing to the editor.
      if (c >= " ") text += c;
      i++;
    }
    flushText();
    this.#pending = s.slice(i);
    return keys;
  }

  /** A lone ESC left pending (the Escape key itself): call when no more bytes came quickly. */
  flushPending(): Key[] {
    if (this.#pending === "") return [];
    this.#pending = "";
    return [{ name: "escape" }];
  }
}

/** The escape sequence at s[i] (an ESC): its length and key, or "incomplete" at the end. */
function escapeSequence(
  s: string,
  i: number,
): { length: number; key: NamedKey | undefined } | "incomplete" {
  const next = s[i + 1];
  if (next === undefined) return "incomplete";
  if (next === "[") {
    // CSI: parameter bytes 0x30-0x3f, intermediate bytes 0x20-0x2f, one final byte 0x40-0x7e.
    let j = i + 2;
    while (j < s.length && s[j] >= "0" && s[j] <= "?") j++;
    while (j < s.length && s[j] >= " " && s[j] <= "/") j++;
    if (j >= s.length) return "incomplete";
    const params = s.slice(i + 2, j);
    const final = s[j];
    const length = j - i + 1;
    if (final === "~") return { length, key: TILDE[params.split(";")[0]] };
    // "1;5C" is Ctrl-Right, "1;3D" Alt-Left: word moves.
    const modified = /^1;[35]$/.test(params);
    if (modified && final === "C") return { length, key: "wordRight" };
    if (modified && final === "D") return { length, key: "wordLeft" };
    if (params === "" || params === "1") return { length, key: FINAL[final] };
    return { length, key: undefined };
  }
  if (next === "O") {
    const final = s[i + 2];
    if (final === undefined) return "incomplete";
    return { length: 3, key: FINAL[final] };
  }
  // Alt-b / Alt-f (Meta sends ESC + letter).
  if (next === "b") return { length: 2, key: "wordLeft" };
  if (next === "f") return { length: 2, key: "wordRight" };
  return { length: 1, key: "escape" };
}
