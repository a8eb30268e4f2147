/**
 * Option parsing for shell commands, with the behaviour zkCli gets from Apache commons-cli's
 * DefaultParser: options may come before or after the positional words, short flags may be
 * bundled (-sw), a value may be attached (-v5) or follow (-v 5, also -v -1), "--" ends the
 * options, and an unknown option is an error whose text matches commons-cli's.
 */

/** A command line the command cannot run; the message is what zkCli prints. */
export class CliParseError extends Error {
  override name = "CliParseError";
}

/** Option letter -> whether it takes a value. */
export type OptionSpec = Readonly<Record<string, boolean>>;

export interface ParsedCommand {
  /** The positional words, the command name first. */
  args: string[];
  /** Flags present (value "" for flags without a value). */
  options: Map<string, string>;
}

const NUMBER = /^-?[0-9]+(\.[0-9]+)?$/;

export function parseCommandOptions(words: readonly string[], spec: OptionSpec): ParsedCommand {
  const args: string[] = [];
  const options = new Map<string, string>();
  let onlyArgs = false;
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (onlyArgs || i === 0 || !w.startsWith("-") || w === "-" || NUMBER.test(w)) {
      args.push(w);
      continue;
    }
    if (w === "--") {
      onlyArgs = true;
      continue;
    }
    const body = w.startsWith("--") ? w.slice(2) : w.slice(1);
    if (body in spec) {
      if (spec[body]) {
        const value = words[i + 1];
        if (value === undefined || (value.startsWith("-") && !NUMBER.test(value))) {
          throw new CliParseError(
            `org.apache.commons.cli.MissingArgumentException: Missing argument for option: ${body}`,
          );
        }
        options.set(body, value);
        i++;
      } else {
        options.set(body, "");
      }
      continue;
    }
    // Bundled flags ("-sw") or a value glued to its option ("-v5").
    for (let j = 0; j < body.length; j++) {
      const letter = body[j];
      if (!(letter in spec)) {
        throw new CliParseError(
          `org.apache.commons.cli.UnrecognizedOptionException: Unrecognized option: ${w}`,
        );
      }
      if (spec[letter]) {
        let value = body.slice(j + 1);
        if (value === "") {
          const next = words[i + 1];
          if (next === undefined || (next.startsWith("-") && !NUMBER.test(next))) {
            throw new CliParseError(
              `org.apache.commons.cli.MissingArgumentException: Missing argument for option: ${letter}`,
            );
          }
          value = next;
          i++;
        }
        options.set(letter, value);
        break;
      }
      options.set(letter, "");
    }
  }
  return { args, options };
}
