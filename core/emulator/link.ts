/**
 * An emulated link: its two directions ({@link EmulatedPath}: uplink = sender to receiver,
 * downlink = back), its state, and what a fault does to it. Pure; `relay_io.ts` carries out
 * what the state says with sockets.
 *
 * States and faults, in the order a run meets them:
 * 1. `up`: both directions carry bytes as their models say;
 * 2. `cut(closed)`: the connections are reset at both ends and new ones are refused (a modem
 *    that lost its carrier); whatever the paths held is dropped;
 * 3. `cut(silent)`: nothing closes, nothing is delivered (a path that drops every packet);
 *    bytes are held and new connections hang;
 * 4. `restore()`: back to `up`; held bytes are serialized again from that moment;
 * 5. `setRate()`: both directions take a constant rate from now on (a modem slowing down).
 * @module
 */
import { Capacity } from "../sim/capacity.ts";
import type { ParsedSimLink } from "../sim/link_spec.ts";
import type { Rng } from "../sim/rng.ts";
import type { Trace } from "../sim/traces.ts";
import { EmulatedPath, type PathOptions } from "./path.ts";

/**
 * One direction's behaviour, without its randomness (given per link).
 * @example
 * ```ts
 * const d: DirectionSpec = { capacity: Capacity.constant(20e6), delayMs: 20, jitterMs: 5 };
 * ```
 */
export type DirectionSpec = Omit<PathOptions, "rng">;

/**
 * What an emulated link does in each direction.
 * @example
 * ```ts
 * import { Capacity } from "../sim/capacity.ts";
 * const spec: EmulatedLinkSpec = {
 *   name: "link1",
 *   up: { capacity: Capacity.constant(20e6), delayMs: 20 },
 *   down: { capacity: Capacity.constant(20e6), delayMs: 20 },
 * };
 * ```
 */
export interface EmulatedLinkSpec {
  name: string;
  up: DirectionSpec;
  down: DirectionSpec;
}

/**
 * How a link is cut: its connections reset, or its packets silently dropped.
 * @example
 * ```ts
 * link.cut("silent" satisfies CutKind, now);
 * ```
 */
export type CutKind = "closed" | "silent";

/**
 * `up`, or cut one way or the other.
 * @example
 * ```ts
 * if ((link.state satisfies LinkState) === "closed") console.log("refusing connections");
 * ```
 */
export type LinkState = "up" | CutKind;

/**
 * The emulated link for a `simulate`-style spec (`20mbit/20ms,jitter=5ms` or a trace): both
 * directions at the link's capacity (as the netns lab shapes both ends) and its one-way delay;
 * jitter and loss on the uplink only, as `simulate` models them. With `rateLimit: false` the
 * link only delays (the netns lab, where tbf sets the rate).
 * @example
 * ```ts
 * import { parseSimLink } from "../sim/link_spec.ts";
 * const spec = emulatedLinkSpec(parseSimLink("20mbit/30ms", 1));
 * spec.up.delayMs; // 30
 * ```
 */
export function emulatedLinkSpec(
  link: ParsedSimLink,
  trace?: Trace,
  opts: { rateLimit?: boolean; queueMs?: number } = {},
): EmulatedLinkSpec {
  let capacity: Capacity | null = null;
  if (opts.rateLimit !== false) {
    if (link.source.kind === "rate") capacity = Capacity.constant(link.source.bps);
    else if (trace) capacity = trace.capacity;
    else throw new RangeError(`link ${link.index} "${link.raw}": its trace is not loaded`);
  }
  const queue = opts.queueMs !== undefined ? { queueMs: opts.queueMs } : {};
  return {
    name: link.name,
    up: { capacity, delayMs: link.delayMs, jitterMs: link.jitterMs, loss: link.loss, ...queue },
    down: { capacity, delayMs: link.delayMs, ...queue },
  };
}

/**
 * One emulated link's paths and state.
 * @example
 * ```ts
 * const link = new EmulatedLink<Uint8Array>(spec, new Rng(1));
 * link.up.push(new Uint8Array(1000), 1000, 0);
 * link.cut("silent", 5); // nothing is delivered until restore()
 * link.restore(900);
 * ```
 */
export class EmulatedLink<T> {
  readonly spec: EmulatedLinkSpec;
  /** Sender to receiver. */
  readonly up: EmulatedPath<T>;
  /** Receiver to sender. */
  readonly down: EmulatedPath<T>;
  #state: LinkState = "up";

  constructor(spec: EmulatedLinkSpec, rng: Rng) {
    this.spec = spec;
    this.up = new EmulatedPath<T>({ ...spec.up, rng: rng.fork(`${spec.name}/up`) });
    this.down = new EmulatedPath<T>({ ...spec.down, rng: rng.fork(`${spec.name}/down`) });
  }

  /** The link's state now. */
  get state(): LinkState {
    return this.#state;
  }

  /** May a new connection be accepted (false: reset it at once)? */
  get accepts(): boolean {
    return this.#state !== "closed";
  }

  /**
   * Cuts the link at `now`. For `closed` the caller resets every connection (and the paths
   * are emptied here); for `silent` both paths hold what they have.
   */
  cut(kind: CutKind, now: number): void {
    if (this.#state !== "up") this.restore(now);
    this.#state = kind;
    if (kind === "closed") {
      this.up.drop(() => true);
      this.down.drop(() => true);
    } else {
      this.up.hold(now);
      this.down.hold(now);
    }
  }

  /** Ends a cut at `now` (nothing to do when the link is up). */
  restore(now: number): void {
    if (this.#state === "silent") {
      this.up.release(now);
      this.down.release(now);
    }
    this.#state = "up";
  }

  /** Both directions carry `bps` from `now` on. */
  setRate(bps: number, now: number): void {
    if (!(bps > 0) || !Number.isFinite(bps)) {
      throw new RangeError(`${this.spec.name}: rate ${bps} bit/s must be a finite number > 0`);
    }
    const c = Capacity.constant(bps);
    this.up.setCapacity(c, now);
    this.down.setCapacity(c, now);
  }
}
