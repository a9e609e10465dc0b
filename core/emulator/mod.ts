/**
 * The user-space link emulator: what `bondctl bench --lab loopback` runs on and what fault
 * tests use to break links on purpose. Pure models (`path.ts`: one direction with rate,
 * delay, jitter, loss and holds; `link.ts`: both directions and the link's state under
 * faults) reuse core/sim's capacity curves and traces; `relay_io.ts` is the thin socket part
 * (imported from there, so that importing this module never opens a socket).
 *
 * @example
 * ```ts
 * import { Capacity } from "../sim/capacity.ts";
 * import { EmulatedPath } from "./mod.ts";
 * const path = new EmulatedPath<string>({ capacity: Capacity.constant(8e6), delayMs: 20 });
 * path.push("chunk", 1000, 0);
 * path.takeDue(21); // ["chunk"]
 * ```
 * @module
 */
export {
  DEFAULT_MIN_QUEUE_BYTES,
  DEFAULT_QUEUE_MS,
  EmulatedPath,
  type PathOptions,
} from "./path.ts";
export {
  type CutKind,
  type DirectionSpec,
  EmulatedLink,
  type EmulatedLinkSpec,
  emulatedLinkSpec,
  type LinkState,
} from "./link.ts";
