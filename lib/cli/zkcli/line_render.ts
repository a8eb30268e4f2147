/**
 * Drawing the prompt and the edited line on a terminal, including lines longer than the
 * terminal is wide (they wrap onto more rows). Each redraw goes back to the first row of the
 * previous drawing, clears to the end of the screen, writes prompt + text and puts the cursor
 * where it belongs; it returns the escape codes as a string, so it is tested without a terminal.
 * One column per code point: double-width characters would be off by one each.
 *
 * The wrap detail (as linenoise handles it): after writing exactly a multiple of the width, a
 * terminal leaves the cursor on the last column of the full row ("pending wrap") instead of on
 * the next row, so a newline is written to make the position definite.
 */

export interface Drawn {
  /** Row of the terminal cursor, counted from the prompt's first row. */
  cursorRow: number;
}

export const START: Drawn = { cursorRow: 0 };

function width(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** Escape codes that redraw `prompt + text` with the cursor after `cursor` characters of text. */
export function redraw(
  prompt: string,
  text: string,
  cursor: number,
  columns: number,
  previous: Drawn,
): { output: string; drawn: Drawn } {
  const cols = Math.max(1, columns);
  let out = "";
  if (previous.cursorRow > 0) out += `\x1b[${previous.cursorRow}A`;
  out += "\r\x1b[J" + prompt + text;
  const total = width(prompt) + width(text);
  let endRow = Math.floor(total / cols);
  if (total > 0 && total % cols === 0) {
    out += "\n";
  } else if (total === 0) {
    endRow = 0;
  }
  const pos = width(prompt) + cursor;
  const row = Math.floor(pos / cols);
  const col = pos % cols;
  if (endRow > row) out += `\x1b[${endRow - row}A`;
  out += "\r";
  if (col > 0) out += `\x1b[${col}C`;
  return { output: out, drawn: { cursorRow: row } };
}

/**
 * Escape codes that move from the cursor to a fresh row below the drawing (before the command's
 * output, or before text printed above a new prompt).
 */
export function leave(prompt: string, text: string, columns: number, drawn: Drawn): string {
  const cols = Math.max(1, columns);
  const total = width(prompt) + width(text);
  const lastRow = total > 0 && total % cols === 0 ? total / cols : Math.floor(total / cols);
  let out = "";
  if (lastRow > drawn.cursorRow) out += `\x1b[${lastRow - drawn.cursorRow}B`;
  // On the extra row after an exact wrap the row is already fresh.
  out += total > 0 && total % cols === 0 ? "\r" : "\r\n";
  return out;
}

/** Escape codes that erase the drawing, leaving the cursor where its first row began. */
export function erase(drawn: Drawn): string {
  return (drawn.cursorRow > 0 ? `\x1b[${drawn.cursorRow}A` : "") + "\r\x1b[J";
}
