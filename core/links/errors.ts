/**
 * Typed errors of link discovery, PPP bring-up and policy routing. Each message says what the
 * user can do about it; the CLI prints it as one line.
 * @module
 */

/**
 * A tool (`ip`, `mmcli`, `pppd`) printed something we cannot read: its message names the tool
 * and the field at fault.
 * @example
 * ```ts
 * throw new ToolOutputError("ip -j addr: [0].ifname: expected string");
 * ```
 */
export class ToolOutputError extends Error {
  override name = "ToolOutputError";
}

/**
 * A tool ran and failed (non-zero exit), or is not installed where it is required.
 * @example
 * ```ts
 * throw new ToolFailedError("ip rule add from 10.0.0.2 lookup 101 priority 5000 failed: ...");
 * ```
 */
export class ToolFailedError extends Error {
  override name = "ToolFailedError";
}

/**
 * The command changes the system and was not run as root.
 * @example
 * ```ts
 * throw new NotRootError("links route --apply changes routing tables: run it as root");
 * ```
 */
export class NotRootError extends Error {
  override name = "NotRootError";
}

/**
 * A link could not be brought up or down (bad option, timeout, nothing to stop).
 * @example
 * ```ts
 * throw new BringUpError("ppp1 did not come up within 60 s");
 * ```
 */
export class BringUpError extends Error {
  override name = "BringUpError";
}

/**
 * The routing state file is unreadable or from another version.
 * @example
 * ```ts
 * throw new RouteStateError("/run/bondctl/routes.json is not a bondctl routing state file");
 * ```
 */
export class RouteStateError extends Error {
  override name = "RouteStateError";
}

/**
 * Refuses to change the system without root, saying what to do instead.
 * @example
 * ```ts
 * requireRoot(Deno.uid(), "links route --apply changes the routing tables");
 * ```
 */
export function requireRoot(uid: number | null, what: string, instead?: string): void {
  if (uid === 0) return;
  throw new NotRootError(
    `${what}: run it as root (sudo bondctl ...)` + (instead ? `, or ${instead}` : ""),
  );
}
