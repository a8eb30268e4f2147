/**
 * The interactive shell's line history, kept across sessions in ~/.zkd_history: one line per
 * command, the newest last, at most HISTORY_LINES_MAX kept. Each line is appended as it is
 * entered (two shells at once both keep theirs); the file is cut back to the newest lines when
 * it has grown past the bound by a quarter. `addauth` lines stay in memory only: they carry
 * passwords. A file that cannot be written costs the persistence, never the shell.
 */

export const HISTORY_LINES_MAX = 1000;
/** The file may grow this much past the bound before it is rewritten. */
const HISTORY_SLACK_LINES = HISTORY_LINES_MAX / 4;

/** ~/.zkd_history, or undefined without a home directory. */
export function defaultHistoryPath(): string | undefined {
  const home = Deno.env.get("HOME");
  return home === undefined || home === "" ? undefined : `${home}/.zkd_history`;
}

function isSecret(line: string): boolean {
  return /^\s*addauth\s/.test(line);
}

export class HistoryFile {
  readonly #path: string | undefined;
  readonly #lines: string[];
  readonly #onError: (message: string) => void;
  #fileLines: number;
  #failed = false;

  private constructor(
    path: string | undefined,
    lines: string[],
    fileLines: number,
    onError: (message: string) => void,
  ) {
    this.#path = path;
    this.#lines = lines;
    this.#fileLines = fileLines;
    this.#onError = onError;
  }

  /** Reads the file (a missing one is an empty history). */
  static open(
    path: string | undefined,
    onError: (message: string) => void = () => {},
  ): HistoryFile {
    let lines: string[] = [];
    let fileLines = 0;
    if (path !== undefined) {
      try {
        lines = Deno.readTextFileSync(path).split("\n").filter((l) => l !== "");
        fileLines = lines.length;
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound)) {
          onError(`history: cannot read ${path}: ${(e as Error).message}`);
        }
      }
    }
    const history = new HistoryFile(path, lines.slice(-HISTORY_LINES_MAX), fileLines, onError);
    if (fileLines > HISTORY_LINES_MAX + HISTORY_SLACK_LINES) history.#rewrite();
    return history;
  }

  /** Oldest first. */
  get lines(): readonly string[] {
    return this.#lines;
  }

  /**
   * Records an entered line (not an empty one, nor a repeat of the one before), without the
   * trailing blanks a Tab completion leaves.
   */
  add(entered: string): void {
    const line = entered.trimEnd();
    if (line.trim() === "" || line === this.#lines.at(-1)) return;
    this.#lines.push(line);
    if (this.#lines.length > HISTORY_LINES_MAX) this.#lines.shift();
    if (isSecret(line)) return;
    if (this.#fileLines >= HISTORY_LINES_MAX + HISTORY_SLACK_LINES) {
      this.#rewrite();
      return;
    }
    this.#write(() => {
      Deno.writeTextFileSync(this.#path!, line + "\n", { append: true, mode: 0o600 });
      this.#fileLines++;
    });
  }

  #rewrite(): void {
    const kept = this.#lines.filter((l) => !isSecret(l));
    this.#write(() => {
      const temp = `${this.#path}.tmp-${Deno.pid}`;
      Deno.writeTextFileSync(temp, kept.map((l) => l + "\n").join(""), { mode: 0o600 });
      Deno.renameSync(temp, this.#path!);
      this.#fileLines = kept.length;
    });
  }

  #write(work: () => void): void {
    if (this.#path === undefined || this.#failed) return;
    try {
      work();
    } catch (e) {
      this.#failed = true;
      this.#onError(`history: cannot write ${this.#path}: ${(e as Error).message}`);
    }
  }
}
