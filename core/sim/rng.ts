/**
 * Seeded randomness for the simulator: mulberry32, a tiny 32-bit generator. Every random
 * choice of a run comes from one seed, which the result reports, so any run can be replayed.
 * Independent streams (one per link direction, one for the input) are forked by label, so
 * adding a link does not change what the others draw.
 * @module
 */

/**
 * A seeded pseudo-random generator.
 * @example
 * ```ts
 * const rng = new Rng(42);
 * const x = rng.next(); // in [0, 1)
 * const link1 = rng.fork("link1/up"); // its own stream, same for the same seed and label
 * ```
 */
export class Rng {
  /** The seed this generator started from. */
  readonly seed: number;
  #state: number;

  constructor(seed: number) {
    this.seed = seed >>> 0;
    this.#state = this.seed;
  }

  /** A float in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let z = this.#state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
  }

  /** A float in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /**
   * Trials until the first success, counting it (1, 2, ...), for success probability `p`:
   * drawn in O(1) by inversion, so rare events cost nothing per trial.
   */
  geometric(p: number): number {
    if (!(p > 0)) return Infinity;
    if (p >= 1) return 1;
    const u = 1 - this.next(); // (0, 1]
    return Math.max(1, Math.ceil(Math.log(u) / Math.log1p(-p)));
  }

  /** An independent generator derived from this seed and `label`. */
  fork(label: string): Rng {
    // FNV-1a over the label, mixed with the seed through a murmur3 finalizer.
    let h = 0x811c9dc5 ^ this.seed;
    for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193);
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return new Rng(h >>> 0);
  }
}
