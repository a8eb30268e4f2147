/**
 * The interactive shell's terminal pieces without a terminal: key decoding, line editing and
 * history walking, redraw escape codes (including wrapped lines), Tab completion decisions and
 * the column layout of listed completions.
 */

import assert from "node:assert/strict";
import { formatColumns } from "../../lib/cli/zkcli/columns.ts";
import { complete, type CompletionSource } from "../../lib/cli/zkcli/completion.ts";
import { type Key, KeyDecoder } from "../../lib/cli/zkcli/keys.ts";
import { LineEditor } from "../../lib/cli/zkcli/line_editor.ts";
import { erase, leave, redraw, START } from "../../lib/cli/zkcli/line_render.ts";

const bytes = (s: string) => new TextEncoder().encode(s);
const names = (keys: Key[]) => keys.map((k) => (k.name === "text" ? `text:${k.text}` : k.name));

Deno.test("KeyDecoder.feed() turns bytes into text, control keys and escape sequences", () => {
  const d = new KeyDecoder();
  assert.deepEqual(
    names(d.feed(bytes("ls /a\t\x1b[A\x1b[B\x1b[C\x1b[D\x1bOH\x1b[F\x1b[3~\x7f\r"))),
    [
      "text:ls /a",
      "tab",
      "up",
      "down",
      "right",
      "left",
      "home",
      "end",
      "delete",
      "backspace",
      "enter",
    ],
  );
  assert.deepEqual(names(d.feed(bytes("\x01\x05\x15\x03\x04\x0b\x17\x0c\x02\x06"))), [
    "ctrlA",
    "ctrlE",
    "ctrlU",
    "ctrlC",
    "ctrlD",
    "ctrlK",
    "ctrlW",
    "ctrlL",
    "left",
    "right",
  ]);
  assert.deepEqual(names(d.feed(bytes("\x1b[1;5C\x1b[1;5D\x1bb\x1bf\x1b[1~\x1b[4~"))), [
    "wordRight",
    "wordLeft",
    "wordLeft",
    "wordRight",
    "home",
    "end",
  ]);
  // A pasted CRLF is one Enter; unknown CSI sequences are swallowed whole.
  assert.deepEqual(names(d.feed(bytes("a\r\nb\x1b[200~c"))), [
    "text:a",
    "enter",
    "text:b",
    "text:c",
  ]);
});

Deno.test("KeyDecoder.feed() keeps a split UTF-8 character or escape sequence for the next read", () => {
  const d = new KeyDecoder();
  const snow = bytes("☃"); // 3 bytes
  assert.deepEqual(names(d.feed(snow.subarray(0, 2))), []);
  assert.deepEqual(names(d.feed(snow.subarray(2))), ["text:☃"]);
  assert.deepEqual(names(d.feed(bytes("x\x1b["))), ["text:x"]);
  assert.deepEqual(names(d.feed(bytes("A"))), ["up"]);
  assert.deepEqual(names(d.feed(bytes("\x1b"))), []);
  assert.deepEqual(names(d.flushPending()), ["escape"]);
  assert.deepEqual(names(d.flushPending()), []);
});

function type(editor: LineEditor, text: string): void {
  editor.apply({ name: "text", text });
}

Deno.test("LineEditor.apply() moves, inserts and deletes at the cursor", () => {
  const e = new LineEditor();
  type(e, "get /a");
  assert.equal(e.apply({ name: "left" }), "edit");
  type(e, "X");
  assert.deepEqual([e.text, e.cursor], ["get /Xa", 6]);
  e.apply({ name: "ctrlA" });
  e.apply({ name: "delete" });
  assert.deepEqual([e.text, e.cursor], ["et /Xa", 0]);
  e.apply({ name: "ctrlE" });
  e.apply({ name: "backspace" });
  assert.deepEqual([e.text, e.cursor], ["et /X", 5]);
  e.apply({ name: "home" });
  e.apply({ name: "right" });
  e.apply({ name: "right" });
  e.apply({ name: "right" });
  e.apply({ name: "ctrlK" });
  assert.equal(e.text, "et ");
  e.apply({ name: "end" });
  type(e, "/b/c");
  e.apply({ name: "ctrlW" });
  assert.equal(e.text, "et ");
  type(e, "one two");
  e.apply({ name: "wordLeft" });
  assert.equal(e.cursor, 7);
  e.apply({ name: "wordLeft" });
  assert.equal(e.cursor, 3);
  e.apply({ name: "wordRight" });
  assert.equal(e.cursor, 6);
  e.apply({ name: "ctrlU" });
  assert.deepEqual([e.text, e.cursor], [" two", 0]);
  // Movement past either end stays put.
  e.apply({ name: "left" });
  e.apply({ name: "backspace" });
  assert.deepEqual([e.text, e.cursor], [" two", 0]);
});

Deno.test("LineEditor.apply() counts characters, not UTF-16 units", () => {
  const e = new LineEditor();
  type(e, "a😀b");
  assert.equal(e.cursor, 3);
  e.apply({ name: "left" });
  e.apply({ name: "backspace" });
  assert.equal(e.text, "ab");
  assert.equal(e.beforeCursor, "a");
});

Deno.test("LineEditor.apply() reports submit, completion, interrupt and end of input", () => {
  const e = new LineEditor();
  assert.equal(e.apply({ name: "ctrlD" }), "eof");
  type(e, "ls");
  assert.equal(e.apply({ name: "ctrlD" }), "edit"); // not empty: delete under the cursor
  assert.equal(e.apply({ name: "tab" }), "complete");
  assert.equal(e.apply({ name: "ctrlC" }), "interrupt");
  assert.equal(e.apply({ name: "ctrlL" }), "clearScreen");
  assert.equal(e.apply({ name: "enter" }), "submit");
  assert.equal(e.text, "ls");
});

Deno.test("LineEditor.apply() walks the history with Up and Down and keeps the draft", () => {
  const e = new LineEditor(["ls /", "get /a"]);
  type(e, "draft");
  e.apply({ name: "up" });
  assert.equal(e.text, "get /a");
  e.apply({ name: "up" });
  assert.equal(e.text, "ls /");
  e.apply({ name: "up" }); // the oldest stays
  assert.equal(e.text, "ls /");
  assert.equal(e.cursor, 4);
  e.apply({ name: "down" });
  assert.equal(e.text, "get /a");
  e.apply({ name: "down" });
  assert.equal(e.text, "draft");
  e.apply({ name: "down" });
  assert.equal(e.text, "draft");
});

Deno.test("LineEditor.replaceBeforeCursor() splices a completion in", () => {
  const e = new LineEditor();
  type(e, "get /zoo x");
  for (let i = 0; i < 2; i++) e.apply({ name: "left" });
  e.replaceBeforeCursor(3, "zookeeper/");
  assert.deepEqual([e.text, e.cursor], ["get /zookeeper/ x", 15]);
});

Deno.test("redraw() positions the cursor on one row", () => {
  const { output, drawn } = redraw("> ", "hello", 2, 80, START);
  assert.equal(output, "\r\x1b[J> hello\r\x1b[4C");
  assert.deepEqual(drawn, { cursorRow: 0 });
  // From a cursor on row 2 it first goes back up to the prompt's row.
  assert.ok(redraw("> ", "x", 0, 80, { cursorRow: 2 }).output.startsWith("\x1b[2A\r\x1b[J"));
});

Deno.test("redraw() handles lines that wrap, including an exact multiple of the width", () => {
  // 4 + 12 = 16 characters on 10 columns: rows 0 and 1; cursor after 3 text chars = column 7.
  const a = redraw("zk> ", "abcdefghijkl", 3, 10, START);
  assert.equal(a.output, "\r\x1b[Jzk> abcdefghijkl\x1b[1A\r\x1b[7C");
  assert.deepEqual(a.drawn, { cursorRow: 0 });
  // Cursor at the end: row 1, column 6, no movement up.
  const b = redraw("zk> ", "abcdefghijkl", 12, 10, START);
  assert.equal(b.output, "\r\x1b[Jzk> abcdefghijkl\r\x1b[6C");
  assert.deepEqual(b.drawn, { cursorRow: 1 });
  // Exactly 20 characters: a newline makes the pending wrap definite; the cursor is on row 2.
  const c = redraw("zk> ", "abcdefghijklmnop", 16, 10, START);
  assert.equal(c.output, "\r\x1b[Jzk> abcdefghijklmnop\n\r");
  assert.deepEqual(c.drawn, { cursorRow: 2 });
});

Deno.test("leave() and erase() move below or back over a drawing", () => {
  assert.equal(leave("zk> ", "abcdefghijkl", 10, { cursorRow: 0 }), "\x1b[1B\r\n");
  assert.equal(leave("zk> ", "ab", 10, { cursorRow: 0 }), "\r\n");
  assert.equal(leave("zk> ", "abcdefghijklmnop", 10, { cursorRow: 2 }), "\r");
  assert.equal(erase({ cursorRow: 1 }), "\x1b[1A\r\x1b[J");
  assert.equal(erase(START), "\r\x1b[J");
});

function source(tree: Record<string, string[]>): CompletionSource & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    commands: ["create", "delete", "deleteall", "get", "getAcl", "ls"],
    children(path) {
      asked.push(path);
      return Promise.resolve(tree[path] ?? null);
    },
  };
}

Deno.test("complete() completes command names in the first word", async () => {
  const s = source({});
  assert.deepEqual(await complete("cr", s), { replace: 2, insert: "create ", candidates: [] });
  assert.deepEqual(await complete("del", s), { replace: 3, insert: "delete", candidates: [] });
  assert.deepEqual(await complete("delete", s), {
    replace: 0,
    insert: "",
    candidates: ["delete", "deleteall"],
  });
  assert.deepEqual(await complete("zz", s), { replace: 0, insert: "", candidates: [] });
  // Not a path and not the first word: nothing to offer.
  assert.deepEqual(await complete("get x", s), { replace: 0, insert: "", candidates: [] });
  assert.deepEqual(s.asked, []);
});

Deno.test("complete() completes znode paths from the parent's children", async () => {
  const s = source({
    "/": ["app", "zookeeper"],
    "/app": ["config-a", "config-b", "locks"],
    "/app/locks": [],
    "/zookeeper": ["config", "quota"],
  });
  // A unique match with children gets "/", one without gets " ".
  assert.deepEqual(await complete("ls /zo", s), {
    replace: 2,
    insert: "zookeeper/",
    candidates: [],
  });
  assert.deepEqual(await complete("ls /app/lo", s), {
    replace: 2,
    insert: "locks ",
    candidates: [],
  });
  // Several: as far as they agree, then the list.
  assert.deepEqual(await complete("get /app/c", s), {
    replace: 1,
    insert: "config-",
    candidates: [],
  });
  assert.deepEqual(await complete("get /app/config-", s), {
    replace: 0,
    insert: "",
    candidates: ["config-a", "config-b"],
  });
  assert.deepEqual(await complete("get /app/", s), {
    replace: 0,
    insert: "",
    candidates: ["config-a", "config-b", "locks"],
  });
  // No such parent (or no session): nothing.
  assert.deepEqual(await complete("get /nope/x", s), { replace: 0, insert: "", candidates: [] });
  assert.deepEqual(s.asked, [
    "/",
    "/zookeeper",
    "/app",
    "/app/locks",
    "/app",
    "/app",
    "/app",
    "/nope",
  ]);
});

Deno.test("formatColumns() lists down then across within the width", () => {
  assert.deepEqual(formatColumns(["a", "bb", "ccc", "d", "e"], 12), [
    "a    d",
    "bb   e",
    "ccc",
  ]);
  assert.deepEqual(formatColumns(["one", "two"], 80), ["one  two"]);
  assert.deepEqual(formatColumns(["averyverylongword"], 5), ["averyverylongword"]);
  assert.deepEqual(formatColumns([], 80), []);
});
