/**
 * The error of a bad `--config` file or `BONDCTL_*` variable: a usage error (exit 2), printed
 * as one line that names the file or variable, the key and what is wrong.
 * @module
 */

/**
 * @example
 * ```ts
 * throw new ConfigError("send.toml: links[2].cost: expected a number");
 * ```
 */
export class ConfigError extends Error {
  override name = "ConfigError";
}
