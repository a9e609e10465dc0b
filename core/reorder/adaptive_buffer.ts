/**
 * The adaptive buffer period (the patent's [0044]): how long the receiver holds out-of-order
 * data follows how late blocks actually are.
 *
 * Each arriving block gives a sample: its delay beyond the fastest path's (arrival minus send
 * time, less the smallest such value across links, so the clocks' offset cancels). The peak
 * of recent samples, decaying by half every `halfLifeMs`, sets a target of
 * `peak x 1.25 + margin`, within [min, max]. The period grows at once when blocks get later,
 * and shrinks slowly (10 % a second at most, after a calm spell) when links are steady.
 * Pure: time arrives as `now` (ms).
 * @module
 */

/** Options of an adaptive buffer. */
export interface AdaptiveBufferOptions {
  /** Where the period starts, and its ceiling (the `--buffer` value). */
  maxMs: number;
  /** Its floor (`--buffer-min`). */
  minMs: number;
  /** `--buffer-fixed`: never change. */
  fixed: boolean;
  /** Added to the scaled peak (ms). */
  marginMs?: number;
  /** How fast an old peak is forgotten (ms to halve). */
  halfLifeMs?: number;
}

const STEP_MS = 50;
const SHRINK_EVERY_MS = 1000;
const CALM_BEFORE_SHRINK_MS = 5000;

/**
 * @example
 * ```ts
 * const buf = new AdaptiveBuffer({ maxMs: 3000, minMs: 300, fixed: false }, 0);
 * buf.observe(40, 10);
 * if (buf.update(1000)) announce(buf.currentMs);
 * ```
 */
export class AdaptiveBuffer {
  #o: Required<AdaptiveBufferOptions>;
  #current: number;
  #peak = 0;
  #peakAt = 0;
  #lastGrowAt: number;
  #lastShrinkAt: number;
  #samples = 0;

  constructor(opts: AdaptiveBufferOptions, now: number) {
    this.#o = { marginMs: 150, halfLifeMs: 10_000, ...opts };
    if (this.#o.minMs > this.#o.maxMs) this.#o.minMs = this.#o.maxMs;
    this.#current = this.#o.maxMs;
    this.#lastGrowAt = now;
    this.#lastShrinkAt = now;
  }

  /** The buffer period in force (ms). */
  get currentMs(): number {
    return this.#current;
  }

  /** The decayed peak of recent extra delays (ms), for reports. */
  peakMs(now: number): number {
    return this.#decayed(now);
  }

  /** One block's delay beyond the fastest path (ms). */
  observe(extraDelayMs: number, now: number): void {
    if (!(extraDelayMs >= 0) || !Number.isFinite(extraDelayMs)) return;
    this.#samples++;
    const d = this.#decayed(now);
    this.#peak = Math.max(d, extraDelayMs);
    this.#peakAt = now;
  }

  /** Re-evaluates the period; true when it changed (the sender must be told). */
  update(now: number): boolean {
    if (this.#o.fixed || this.#samples < 20) return false;
    const target = this.#clamp(this.#decayed(now) * 1.25 + this.#o.marginMs);
    if (target > this.#current) {
      this.#current = target;
      this.#lastGrowAt = now;
      return true;
    }
    const calm = now - this.#lastGrowAt >= CALM_BEFORE_SHRINK_MS;
    if (calm && target < this.#current && now - this.#lastShrinkAt >= SHRINK_EVERY_MS) {
      // Rounded down, or a 10 % step below one 50 ms step would round back up and stick.
      const next = Math.max(target, this.#clamp(this.#current * 0.9, Math.floor));
      this.#lastShrinkAt = now;
      if (next < this.#current) {
        this.#current = next;
        return true;
      }
    }
    return false;
  }

  #decayed(now: number): number {
    const age = Math.max(0, now - this.#peakAt);
    return this.#peak * Math.pow(0.5, age / this.#o.halfLifeMs);
  }

  #clamp(ms: number, round: (x: number) => number = Math.ceil): number {
    const stepped = round(ms / STEP_MS) * STEP_MS;
    return Math.min(this.#o.maxMs, Math.max(this.#o.minMs, stepped));
  }
}
