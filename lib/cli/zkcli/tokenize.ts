/**
 * Splits a shell line into words the way zkCli does (ZooKeeperMain.MyCommandOptions): words
 * are separated by whitespace, a word may be wrapped in double or single quotes to hold
 * spaces, and the surrounding quotes are removed. There is no escaping. An unmatched quote is
 * skipped, as Java's Matcher.find() skips it.
 */

// Same pattern as zkCli's ARGS_PATTERN and QUOTED_PATTERN.
const WORD = /\s*([^"']\S*|"[^"]*"|'[^']*')\s*/g;
const QUOTED = /^(['"])(.*)(\1)$/s;

export function tokenizeLine(line: string): string[] {
  const words: string[] = [];
  WORD.lastIndex = 0;
  for (;;) {
    const m = WORD.exec(line);
    if (m === null) break;
    if (m[0] === "") {
      // A zero-length match cannot happen with this pattern, but never loop forever.
      WORD.lastIndex++;
      continue;
    }
    let word = m[1];
    const q = QUOTED.exec(word);
    if (q !== null) word = q[2];
    words.push(word);
  }
  return words;
}
