/**
 * `--config FILE` and `BONDCTL_*`: every option of a command can also come from the
 * environment or from a JSON or TOML file. The command line wins over the environment, which
 * wins over the file, which wins over the defaults. It works on commander's own option list,
 * so an option added to a command is covered with no further code.
 *
 * Names: the option `--token-file` is `BONDCTL_TOKEN_FILE` in the environment and `token-file`
 * in the file; repeatable options (their parser is a `collect...` function: `--link`,
 * `--exclude`, `--allow`) are lists in the file (`--link` is `links`, which also takes tables:
 * `config_links.ts`) and space-separated in the environment. `BONDCTL_CONFIG` names the file
 * when `--config` is not given. Empty variables count as unset.
 *
 * Stages, in a preAction hook (after commander has read the command line), in order:
 * 1. find the file (`--config`, else `BONDCTL_CONFIG`), read it (`config_file.ts`) and
 *    validate every key with a zod schema built from the command's options, each value
 *    through the same parser as its flag: a message names the file, the key and the fault;
 * 2. for each option not given on the command line: its variable if set (parsed the same
 *    way, the message naming the variable), else the file's value;
 * 3. options commander would have required (`--server`) are checked now, since the
 *    environment or the file may give them.
 * @module
 */
import type { CommandUnknownOpts, Option } from "@commander-js/extra-typings";
import { z } from "zod";
import { ConfigError } from "./config_error.ts";
import { readConfigFile } from "./config_file.ts";
import { linkEntrySchema } from "./config_links.ts";

export { ConfigError };

/** The environment variable that names the file when `--config` is not given. */
export const CONFIG_ENV = "BONDCTL_CONFIG";

/** File keys that differ from the flag's name. */
const FILE_KEYS: Readonly<Record<string, string>> = { link: "links" };

/**
 * The environment variable of an option: `--token-file` is `BONDCTL_TOKEN_FILE`.
 * @example
 * ```ts
 * envName(option); // "BONDCTL_TOKEN_FILE"
 * ```
 */
export function envName(o: Option): string {
  return "BONDCTL_" + o.name().toUpperCase().replaceAll("-", "_");
}

/**
 * The key of an option in a config file: its long name (`token-file`), `links` for `--link`.
 * @example
 * ```ts
 * fileKey(option); // "token-file"
 * ```
 */
export function fileKey(o: Option): string {
  return FILE_KEYS[o.name()] ?? o.name();
}

/** A flag without a value (`--once`). */
function isSwitch(o: Option): boolean {
  return !o.required && !o.optional;
}

/** A flag that may be given again and again, each value added to a list. */
function isRepeatable(o: Option): boolean {
  return o.variadic || /^collect/.test(o.parseArg?.name ?? "");
}

/** The options a file or the environment may set: not --config itself, not --no-* ones. */
function configurable(cmd: CommandUnknownOpts): readonly Option[] {
  return cmd.options.filter((o) => o.long && o.name() !== "config" && !o.negate);
}

/** A value through the flag's own parser; its message if it throws. */
function parseLike(o: Option, text: string, previous?: unknown): unknown {
  return o.parseArg ? o.parseArg(text, previous) : text;
}

/** "links[2].cost" from ["links", 2, "cost"]. */
function pathText(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : `${out ? "." : ""}${String(p)}`;
  return out;
}

/** The closest known key, for "did you mean". */
function closest(word: string, known: readonly string[]): string | undefined {
  const dist = (a: string, b: string) => {
    const d = Array.from({ length: b.length + 1 }, (_, i) => i);
    for (let i = 1; i <= a.length; i++) {
      let prev = d[0];
      d[0] = i;
      for (let j = 1; j <= b.length; j++) {
        const t = d[j];
        d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
        prev = t;
      }
    }
    return d[b.length];
  };
  const norm = word.replaceAll("_", "-");
  const best = known.map((k) => [k, dist(norm, k)] as const).sort((x, y) => x[1] - y[1])[0];
  return best && best[1] <= Math.max(2, Math.floor(norm.length / 3)) ? best[0] : undefined;
}

function valueSchema(o: Option): z.ZodType {
  if (isSwitch(o)) return z.boolean({ error: "expected true or false" });
  const parsed = (wrap: boolean) =>
    z.union([z.string(), z.number()], { error: "expected a string or a number" })
      .transform((v, ctx) => {
        try {
          const value = parseLike(o, String(v), undefined);
          return wrap ? [value] : value;
        } catch (e) {
          ctx.addIssue({ code: "custom", message: messageOf(e) });
          return z.NEVER;
        }
      });
  const text = z.string({ error: "expected a string" });
  if (isRepeatable(o)) {
    const item = o.name() === "link"
      ? linkEntrySchema().transform((s) => [s])
      : o.parseArg
      ? parsed(false)
      : text.transform((s) => [s]);
    return z.array(item, { error: `expected a list, e.g. ${fileKey(o)} = ["..."]` })
      .transform((lists) => (lists as unknown[][]).flat());
  }
  return o.parseArg ? parsed(false) : text;
}

/** The message of a parser's error, without commander's own wrapping. */
function messageOf(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).replace(/^error: /, "");
}

/**
 * The zod schema of a command's config file: one key per option, nothing else.
 * @example
 * ```ts
 * configSchema(sendCommand()).parse({ server: "relay:7443" });
 * ```
 */
export function configSchema(cmd: CommandUnknownOpts): z.ZodType<Record<string, unknown>> {
  const options = configurable(cmd);
  const keys = options.map(fileKey);
  const shape: Record<string, z.ZodType> = {};
  for (const o of options) shape[fileKey(o)] = valueSchema(o).optional();
  return z.strictObject(shape, {
    error: (iss) => {
      if (iss.code !== "unrecognized_keys") return undefined;
      const k = iss.keys[0];
      if (k === "config") return `"config": a config file cannot name another one`;
      const hint = closest(k, keys);
      return `"${k}" is not an option of ${cmd.name()}` +
        (hint ? ` (did you mean "${hint}"?)` : ` (its options: ${keys.join(", ")})`);
    },
  }) as unknown as z.ZodType<Record<string, unknown>>;
}

/**
 * Validates a parsed config table for `cmd`; returns the values by option attribute name.
 * Throws ConfigError naming `file`, the key and what is wrong (the first fault, and how many
 * more there are).
 * @example
 * ```ts
 * validateConfig(cmd, "send.toml", { links: [{ interface: "ppp0", cost: "x" }] });
 * // ConfigError: send.toml: links[0].cost: expected a number
 * ```
 */
export function validateConfig(
  cmd: CommandUnknownOpts,
  file: string,
  table: Record<string, unknown>,
): Map<string, unknown> {
  const r = configSchema(cmd).safeParse(table);
  if (!r.success) {
    // The first fault in the file's own order, not the schema's.
    const order = Object.keys(table);
    const at = (i: z.core.$ZodIssue) =>
      order.indexOf(String(i.code === "unrecognized_keys" ? i.keys[0] : i.path[0]));
    const [first, ...rest] = [...r.error.issues].sort((a, b) => at(a) - at(b));
    const where = pathText(first.path);
    const more = rest.length ? ` (and ${rest.length} more)` : "";
    throw new ConfigError(`${file}: ${where ? where + ": " : ""}${first.message}${more}`);
  }
  const out = new Map<string, unknown>();
  for (const o of configurable(cmd)) {
    const v = r.data[fileKey(o)];
    if (v !== undefined) out.set(o.attributeName(), v);
  }
  return out;
}

/** A variable's value for option `o`. */
function fromEnv(o: Option, name: string, text: string): unknown {
  try {
    if (isSwitch(o)) {
      if (/^(1|true|yes|on)$/i.test(text)) return true;
      if (/^(0|false|no|off)$/i.test(text)) return false;
      throw new Error(`"${text}" is not a yes or no: use 1/true/yes or 0/false/no`);
    }
    if (isRepeatable(o)) {
      let list: unknown = undefined;
      for (const item of text.trim().split(/\s+/)) {
        list = o.parseArg ? parseLike(o, item, list) : [...((list as string[]) ?? []), item];
      }
      return list;
    }
    return parseLike(o, text, undefined);
  } catch (e) {
    throw new ConfigError(`${name}: ${messageOf(e)}`);
  }
}

/** Reads a variable; without the permission to, it is unset. */
function readEnv(name: string): string | undefined {
  try {
    const v = Deno.env.get(name);
    return v === "" ? undefined : v;
  } catch {
    return undefined;
  }
}

/**
 * Fills a parsed command's options from the environment and the file (stages 1-3).
 * @example
 * ```ts
 * await applyConfig(cmd, ["server"], (name) => Deno.env.get(name));
 * ```
 */
export async function applyConfig(
  cmd: CommandUnknownOpts,
  required: readonly string[],
  env: (name: string) => string | undefined = readEnv,
): Promise<void> {
  // 1. the file
  const given = cmd.getOptionValueSource("config") === "cli"
    ? cmd.getOptionValue("config") as string
    : env(CONFIG_ENV);
  let fromFile = new Map<string, unknown>();
  if (given !== undefined) {
    const table = await readConfigFile(given);
    fromFile = validateConfig(cmd, given, table);
    await warnIfReadable(given, table);
  }
  // 2. each option: the command line, else the environment, else the file
  for (const o of configurable(cmd)) {
    const attr = o.attributeName();
    if (cmd.getOptionValueSource(attr) === "cli") continue;
    const name = envName(o);
    const text = env(name);
    if (text !== undefined) {
      cmd.setOptionValueWithSource(attr, fromEnv(o, name, text), "env");
    } else if (fromFile.has(attr)) {
      cmd.setOptionValueWithSource(attr, fromFile.get(attr), "config");
    }
  }
  // 3. what commander would have required
  for (const o of configurable(cmd)) {
    if (!required.includes(o.attributeName())) continue;
    if (cmd.getOptionValue(o.attributeName()) !== undefined) continue;
    throw new ConfigError(
      `required option '${o.flags}' not specified (give it, or set ${envName(o)}, or ` +
        `${fileKey(o)} in the --config file)`,
    );
  }
}

/** A file that holds a token and that others can read deserves a word. */
async function warnIfReadable(path: string, table: Record<string, unknown>): Promise<void> {
  if (!("token" in table)) return;
  const mode = (await Deno.stat(path).catch(() => null))?.mode;
  if (mode && (mode & 0o077) !== 0) {
    console.error(
      `bondctl: warning: --config ${path} holds a token and can be read by other ` +
        `users: chmod 600 it`,
    );
  }
}

/** The help section on the environment and the file; `links` only where there is a --link. */
function helpText(hasLinks: boolean): string {
  return `
Configuration: every option may also come from the environment, as BONDCTL_ and its name in
capitals with _ for - (--token-file: BONDCTL_TOKEN_FILE; repeated options space-separated), or
from --config FILE (or BONDCTL_CONFIG), JSON or TOML, keyed by the option's name
(token-file${hasLinks ? "; the links are links, a list of specs or tables" : ""}). The command
line wins over the environment, which wins over the file. Reference and examples:
docs/OPERATIONS.md, deploy/examples/.`;
}

/**
 * Gives `cmd` a `--config` option and fills its options from the environment and the file
 * before its action runs. Apply it after every option has been added. `env` reads a variable
 * (tests give their own).
 * @example
 * ```ts
 * program.addCommand(withConfig(sendCommand()));
 * ```
 */
export function withConfig<C extends CommandUnknownOpts>(
  cmd: C,
  env: (name: string) => string | undefined = readEnv,
): C {
  cmd.option(
    "--config <file>",
    "read options from a JSON or TOML file (flags and BONDCTL_* variables override it)",
  );
  // Commander checks required options before any hook; the environment or the file may
  // give them, so they are checked in applyConfig instead.
  const required = cmd.options.filter((o) => o.mandatory).map((o) => o.attributeName());
  for (const o of cmd.options) o.mandatory = false;
  cmd.addHelpText("after", helpText(cmd.options.some((o) => o.name() === "link")));
  cmd.hook("preAction", async (self) => {
    await applyConfig(self as CommandUnknownOpts, required, env);
  });
  return cmd;
}
