/**
 * Parsers for what users type on the command line: sizes, rates and durations, `--link`
 * specs, and host:port endpoints. Each returns a plain value or throws an {@link OptionError}
 * whose one-line message the CLI prefixes with the flag name.
 *
 * @example
 * ```ts
 * import { OptionError, parseLinkSpec } from "./mod.ts";
 * try {
 *   parseLinkSpec("ppp0,cost=cheap");
 * } catch (e) {
 *   if (e instanceof OptionError) console.error(`--link: ${e.message}`);
 * }
 * ```
 * @module
 */

export {
  formatBytes,
  formatDuration,
  formatRate,
  OptionError,
  parseDuration,
  parseRate,
  parseSize,
} from "./units.ts";
export { parseLinkSpec } from "./link_spec.ts";
export type { LinkPriority, LinkSpec, LinkTarget } from "./link_spec.ts";
export { isHostName, isIPv4, isIPv6, parseHostPort } from "./endpoint.ts";
export type { HostPort, HostPortOptions } from "./endpoint.ts";
