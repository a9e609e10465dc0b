/**
 * A weighted histogram of delays with 0.5 % relative resolution: each byte of output adds its
 * delay once, weighted by bytes, in O(1) and constant memory however long the run.
 * Percentiles are read from bucket midpoints and capped at the exact maximum.
 * @module
 */

const GROWTH = Math.log(1.005);
const BUCKETS = 4096; // covers delays up to e^(4096 x 0.005) ≈ 8e8 ms

/**
 * Byte-weighted delay distribution.
 * @example
 * ```ts
 * const h = new DelayHistogram();
 * h.add(20, 1000); // 1000 bytes delivered after 20 ms
 * h.add(80, 10);
 * h.quantile(0.5); // ≈ 20
 * h.max; // 80
 * ```
 */
export class DelayHistogram {
  #counts = new Float64Array(BUCKETS);
  /** Total weight (bytes) added. */
  total = 0;
  /** Largest delay added (ms). */
  max = 0;
  #sum = 0;

  /** Adds `weight` bytes that took `delayMs`. */
  add(delayMs: number, weight: number): void {
    if (weight <= 0) return;
    const d = delayMs > 0 ? delayMs : 0;
    const i = Math.min(BUCKETS - 1, Math.floor(Math.log1p(d) / GROWTH));
    this.#counts[i] += weight;
    this.total += weight;
    this.#sum += d * weight;
    if (d > this.max) this.max = d;
  }

  /** Weighted mean (ms), 0 when empty. */
  get mean(): number {
    return this.total > 0 ? this.#sum / this.total : 0;
  }

  /** The delay below which a share `q` of the weight lies (ms), 0 when empty. */
  quantile(q: number): number {
    if (this.total <= 0) return 0;
    const target = q * this.total;
    let acc = 0;
    for (let i = 0; i < BUCKETS; i++) {
      acc += this.#counts[i];
      if (acc >= target && this.#counts[i] > 0) {
        const mid = Math.expm1((i + 0.5) * GROWTH);
        return Math.min(mid, this.max);
      }
    }
    return this.max;
  }
}
