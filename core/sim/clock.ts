/**
 * The simulator's virtual clock: time in milliseconds (fractions allowed) that only moves when
 * the event loop jumps it to the next event. Nothing in the simulation reads a real clock.
 * @module
 */

/**
 * A clock that moves forward only when told to.
 * @example
 * ```ts
 * const clock = new VirtualClock();
 * clock.advanceTo(12.5);
 * clock.now; // 12.5
 * ```
 */
export class VirtualClock {
  #now: number;

  constructor(start = 0) {
    this.#now = start;
  }

  /** The current virtual time (ms). */
  get now(): number {
    return this.#now;
  }

  /** Jumps to `t`; time never goes back, so an earlier `t` is a bug in the caller. */
  advanceTo(t: number): void {
    if (!(t >= this.#now)) throw new RangeError(`clock cannot go back from ${this.#now} to ${t}`);
    this.#now = t;
  }
}
