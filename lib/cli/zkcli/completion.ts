/**
 * Tab completion at the shell prompt, as zkCli's JLineZNodeCompleter decides what a word is:
 * a word starting with "/" is a znode path, completed from the children of its parent (one
 * getChildren request); the first word of the line is a command name. A unique match is
 * completed whole, followed by a space, or by "/" when the node has children (so the next Tab
 * goes on into them); several matches are completed as far as they agree, and when that adds
 * nothing they are listed (as bash does on the second Tab).
 */

export interface CompletionSource {
  /** Command names, sorted. */
  readonly commands: readonly string[];
  /** A node's child names, or null when they cannot be had (no node, no session, no access). */
  children(path: string): Promise<string[] | null>;
}

export interface Completion {
  /** How many characters before the cursor `insert` replaces. */
  replace: number;
  insert: string;
  /** Matches to list (names, not paths); empty unless the completion is ambiguous and stuck. */
  candidates: string[];
}

const NOTHING: Completion = { replace: 0, insert: "", candidates: [] };

function commonPrefix(words: readonly string[]): string {
  let prefix = words[0] ?? "";
  for (const w of words) {
    let i = 0;
    while (i < prefix.length && i < w.length && prefix[i] === w[i]) i++;
    prefix = prefix.slice(0, i);
  }
  return prefix;
}

/** What Tab does with `before`, the text before the cursor. */
export async function complete(before: string, source: CompletionSource): Promise<Completion> {
  const token = /\s$/.test(before) || before === "" ? "" : before.split(/\s+/).at(-1)!;
  const isFirstWord = !/\s/.test(before.trimStart());
  if (token.startsWith("/")) return await completePath(token, source);
  if (isFirstWord) return completeFrom(token, source.commands.filter((c) => c.startsWith(token)));
  return NOTHING;
}

function completeFrom(prefix: string, matches: readonly string[], unique = " "): Completion {
  if (matches.length === 0) return NOTHING;
  if (matches.length === 1) {
    return { replace: prefix.length, insert: matches[0] + unique, candidates: [] };
  }
  const common = commonPrefix(matches);
  if (common.length > prefix.length) {
    return { replace: prefix.length, insert: common, candidates: [] };
  }
  return { replace: 0, insert: "", candidates: [...matches] };
}

async function completePath(token: string, source: CompletionSource): Promise<Completion> {
  const slash = token.lastIndexOf("/");
  const prefix = token.slice(slash + 1);
  // Only the root may end in "/": "/a/b" lists "/a", "/" lists "/".
  const dir = slash === 0 ? "/" : token.slice(0, slash);
  const children = await source.children(dir);
  if (children === null) return NOTHING;
  const matches = children.filter((c) => c.startsWith(prefix)).sort();
  if (matches.length !== 1) return completeFrom(prefix, matches);
  const path = dir === "/" ? `/${matches[0]}` : `${dir}/${matches[0]}`;
  const grandchildren = await source.children(path);
  return completeFrom(
    prefix,
    matches,
    grandchildren !== null && grandchildren.length > 0 ? "/" : " ",
  );
}
