/**
 * The command tree as plain data (names, options, arguments, help), read from commander's
 * definitions: what completions and the reference docs are generated from, so neither can
 * drift from the CLI itself.
 * @module
 */
import type { Command } from "@commander-js/extra-typings";

/** One option of a command. */
export interface OptionModel {
  /** `--server`. */
  long: string;
  /** `-q`, if any. */
  short?: string;
  /** `<host:port>`, or "" for a flag. */
  arg: string;
  description: string;
  /** Allowed values, where commander knows them. */
  choices?: string[];
  defaultText?: string;
}

/** One command and its subcommands. */
export interface CommandModel {
  /** Words from the root, e.g. ["links", "scan"]. */
  path: string[];
  description: string;
  usage: string;
  options: OptionModel[];
  subcommands: CommandModel[];
  /** Text printed after the options in --help (examples). */
  helpAfter: string;
}

// commander keeps these on the instance; the typings do not expose them all.
interface RawOption {
  long?: string;
  short?: string;
  flags: string;
  description: string;
  argChoices?: string[];
  defaultValue?: unknown;
  defaultValueDescription?: string;
  required: boolean;
  optional: boolean;
  hidden?: boolean;
}

/**
 * Reads the model of `cmd` and everything below it.
 * @example
 * ```ts
 * const model = commandModel(program());
 * ```
 */
export function commandModel(
  cmd: Command<unknown[], Record<string, unknown>>,
  path: string[] = [],
): CommandModel {
  const raw = cmd as unknown as { options: RawOption[] };
  let helpAfter = "";
  // Capture the "after" help text by rendering help into a string.
  const full = cmd.helpInformation();
  const out = { text: "" };
  cmd.configureOutput({ writeOut: (s) => (out.text += s), writeErr: (s) => (out.text += s) });
  cmd.outputHelp();
  cmd.configureOutput({});
  helpAfter = out.text.startsWith(full) ? out.text.slice(full.length).trim() : "";
  const options = raw.options.filter((o) => !o.hidden && o.long).map((o) => {
    const m: OptionModel = {
      long: o.long!,
      arg: (o.flags.match(/[<[][^>\]]*[>\]]/) ?? [""])[0],
      description: o.description,
    };
    if (o.short) m.short = o.short;
    if (o.argChoices) m.choices = [...o.argChoices];
    const d = o.defaultValueDescription ??
      (o.defaultValue !== undefined && typeof o.defaultValue !== "object"
        ? JSON.stringify(o.defaultValue)
        : undefined);
    if (d !== undefined) m.defaultText = d;
    return m;
  });
  return {
    path,
    description: cmd.description(),
    usage: [cmd.name(), cmd.usage()].join(" "),
    options,
    subcommands: (cmd.commands as unknown as Command<unknown[], Record<string, unknown>>[])
      .filter((c) => c.name() !== "help")
      .map((c) => commandModel(c, [...path, c.name()])),
    helpAfter,
  };
}

/**
 * Every command in the tree, depth first, root included.
 * @example
 * ```ts
 * for (const c of flatten(model)) console.log(c.path.join(" "));
 * ```
 */
export function flatten(m: CommandModel): CommandModel[] {
  return [m, ...m.subcommands.flatMap(flatten)];
}
