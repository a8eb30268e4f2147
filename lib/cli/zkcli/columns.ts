/**
 * Words laid out in columns across a terminal, down then across (as ls and bash list
 * completions), two spaces between columns. Used to list ambiguous Tab completions.
 */

export function formatColumns(words: readonly string[], columns: number): string[] {
  if (words.length === 0) return [];
  const widest = Math.max(...words.map((w) => Array.from(w).length));
  const cellWidth = widest + 2;
  const perRow = Math.max(1, Math.floor((columns + 2) / cellWidth));
  const rows = Math.ceil(words.length / perRow);
  const lines: string[] = [];
  for (let r = 0; r < rows; r++) {
    let line = "";
    for (let c = 0; c * rows + r < words.length; c++) {
      const word = words[c * rows + r];
      const last = (c + 1) * rows + r >= words.length;
      line += last ? word : word + " ".repeat(cellWidth - Array.from(word).length);
    }
    lines.push(line);
  }
  return lines;
}
