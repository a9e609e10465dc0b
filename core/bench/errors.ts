/**
 * The bench's typed errors: each message is one line that says what to do.
 * @module
 */

/**
 * A bench that cannot run as asked (no root for the netns lab, a fault on a link that does
 * not exist, a tool missing, a lab that could not be built).
 * @example
 * ```ts
 * throw new BenchError("--lab netns needs root: run it with sudo, or use --lab loopback");
 * ```
 */
export class BenchError extends Error {
  override name = "BenchError";
}
