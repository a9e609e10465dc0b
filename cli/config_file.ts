/**
 * Reads a `--config` file into a plain table: JSON or TOML (1.0, by `smol-toml`), chosen by
 * the extension (`.json`, `.toml`), else by the first character (`{` is JSON). Syntax errors
 * become one line naming the file, and the line and column where the parser stopped.
 * What the keys mean is `config.ts`'s business.
 * @module
 */
import { parse as parseToml, TomlError } from "smol-toml";
import { ConfigError } from "./config_error.ts";

/** The file's format. */
export type ConfigFormat = "json" | "toml";

/**
 * Which parser a file gets.
 * @example
 * ```ts
 * configFormat("send.toml", "..."); // "toml"
 * ```
 */
export function configFormat(path: string, text: string): ConfigFormat {
  const lower = path.toLowerCase();
  if (lower.endsWith(".json")) return "json";
  if (lower.endsWith(".toml")) return "toml";
  return text.trimStart().startsWith("{") ? "json" : "toml";
}

/**
 * Parses the text of a config file; `name` is how messages call the file.
 * @example
 * ```ts
 * const table = parseConfigText("send.toml", 'server = "relay:7443"'); // { server: "relay:7443" }
 * ```
 */
export function parseConfigText(name: string, text: string): Record<string, unknown> {
  let value: unknown;
  if (configFormat(name, text) === "json") {
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw new ConfigError(`${name}: not valid JSON: ${(e as Error).message}`);
    }
  } else {
    try {
      value = parseToml(text);
    } catch (e) {
      if (e instanceof TomlError) {
        const what = e.message.split("\n")[0].replace(/^Invalid TOML document: /, "");
        throw new ConfigError(`${name}: line ${e.line}, column ${e.column}: ${what}`);
      }
      throw new ConfigError(`${name}: not valid TOML: ${(e as Error).message}`);
    }
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ConfigError(`${name}: expected a table of options at the top (e.g. {"server": ...})`);
  }
  return value as Record<string, unknown>;
}

/**
 * Reads and parses a config file.
 * @example
 * ```ts
 * const table = await readConfigFile("/etc/bondctl/receive.toml");
 * ```
 */
export async function readConfigFile(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new ConfigError(`cannot read --config ${path}: ${(e as Error).message}`);
  }
  return parseConfigText(path, text);
}
