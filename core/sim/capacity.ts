/**
 * A link's capacity as a function of time: piecewise constant (bit/s per segment), either
 * ending in a last segment that lasts forever (a constant rate, a schedule of changes) or
 * repeating with a period (a recorded trace, looped as mahimahi's mm-link loops it).
 *
 * The simulator needs two questions answered fast: how many bytes the link can carry between
 * two times (`bytesBetween`), and when a transfer started at `t` finishes (`finishTime`). Both
 * use the cumulative-bytes curve C(t), kept at each segment start, and binary search: O(log n)
 * per frame, whatever the trace's length.
 * @module
 */

/** One change of a capacity schedule. */
export interface RateChange {
  /** From this time on (ms)... */
  atMs: number;
  /** ...the link carries this many bit/s. */
  bps: number;
}

/**
 * Capacity over time (bit/s), cumulative bytes and their inverse.
 * @example
 * ```ts
 * const c = Capacity.schedule([{ atMs: 0, bps: 8e6 }, { atMs: 1000, bps: 0 }]);
 * c.bytesBetween(0, 2000); // 1_000_000
 * c.finishTime(500, 1000); // 501 (8 Mbit/s = 1000 bytes per ms)
 * ```
 */
export class Capacity {
  /** Segment start times (ms), ascending, the first 0. */
  readonly starts: Float64Array;
  /** Rate of each segment in bytes per ms. */
  readonly rates: Float64Array;
  /** Loop period (ms), or null when the last segment lasts forever. */
  readonly periodMs: number | null;
  // cum[i] = bytes carried from 0 to starts[i]; cum[n] = bytes in one period (periodic only).
  readonly #cum: Float64Array;

  private constructor(starts: Float64Array, rates: Float64Array, periodMs: number | null) {
    this.starts = starts;
    this.rates = rates;
    this.periodMs = periodMs;
    const n = starts.length;
    this.#cum = new Float64Array(n + 1);
    for (let i = 0; i < n; i++) {
      const end = i + 1 < n ? starts[i + 1] : (periodMs ?? starts[i]);
      this.#cum[i + 1] = this.#cum[i] + rates[i] * (end - starts[i]);
    }
  }

  /**
   * A rate that never changes.
   * @example
   * ```ts
   * const c = Capacity.constant(20e6);
   * ```
   */
  static constant(bps: number): Capacity {
    return Capacity.schedule([{ atMs: 0, bps }]);
  }

  /**
   * A rate that changes at given times; before the first change the rate is that of the first
   * entry; the last rate lasts forever.
   * @example
   * ```ts
   * const c = Capacity.schedule([{ atMs: 0, bps: 20e6 }, { atMs: 30_000, bps: 5e6 }]);
   * ```
   */
  static schedule(changes: readonly RateChange[]): Capacity {
    if (changes.length === 0) throw new RangeError("a capacity schedule needs at least one entry");
    const sorted = [...changes].sort((a, b) => a.atMs - b.atMs);
    const starts: number[] = [];
    const rates: number[] = [];
    for (const c of sorted) {
      checkRate(c.bps);
      if (!(c.atMs >= 0) || !Number.isFinite(c.atMs)) {
        throw new RangeError(`capacity change at ${c.atMs} ms: time must be ≥ 0`);
      }
      const at = starts.length === 0 ? 0 : c.atMs;
      if (starts.length > 0 && starts[starts.length - 1] === at) rates[rates.length - 1] = c.bps;
      else {
        starts.push(at);
        rates.push(c.bps);
      }
    }
    return new Capacity(
      Float64Array.from(starts),
      Float64Array.from(rates, (bps) => bps / 8000),
      null,
    );
  }

  /**
   * A looped trace: `bps[i]` holds from `startsMs[i]` to the next start (the last to
   * `periodMs`). Adjacent equal rates are merged.
   * @example
   * ```ts
   * const c = Capacity.looped([0, 1000], [5e6, 1e6], 2000); // 5 Mbit/s, 1 Mbit/s, repeat
   * ```
   */
  static looped(startsMs: ArrayLike<number>, bps: ArrayLike<number>, periodMs: number): Capacity {
    if (startsMs.length === 0 || startsMs.length !== bps.length) {
      throw new RangeError("a looped capacity needs as many rates as start times, at least one");
    }
    if (!(periodMs > startsMs[startsMs.length - 1])) {
      throw new RangeError(`period ${periodMs} ms must end after the last segment start`);
    }
    const starts: number[] = [];
    const rates: number[] = [];
    for (let i = 0; i < startsMs.length; i++) {
      checkRate(bps[i]);
      const at = i === 0 ? 0 : startsMs[i];
      if (i > 0 && !(at > starts[starts.length - 1])) {
        throw new RangeError(`segment starts must increase (${at} ms after ${startsMs[i - 1]} ms)`);
      }
      if (rates.length > 0 && rates[rates.length - 1] === bps[i] / 8000) continue;
      starts.push(at);
      rates.push(bps[i] / 8000);
    }
    return new Capacity(Float64Array.from(starts), Float64Array.from(rates), periodMs);
  }

  /** Segments in one period (or in the schedule). */
  get segments(): number {
    return this.starts.length;
  }

  /** The rate at time `t` (bit/s). */
  bpsAt(t: number): number {
    return this.rates[this.#segment(this.#wrap(t))] * 8000;
  }

  /** Mean rate over one period, or over [0, t) for a schedule (bit/s). */
  meanBps(untilMs?: number): number {
    if (this.periodMs !== null && untilMs === undefined) {
      return (this.#cum[this.starts.length] * 8000) / this.periodMs;
    }
    const end = untilMs ?? this.starts[this.starts.length - 1] + 1000;
    return end > 0 ? (this.cumBytes(end) * 8000) / end : this.bpsAt(0);
  }

  /** Bytes the link can carry from time 0 to `t`. */
  cumBytes(t: number): number {
    if (t <= 0) return 0;
    let base = 0;
    let r = t;
    if (this.periodMs !== null) {
      const k = Math.floor(t / this.periodMs);
      base = k * this.#cum[this.starts.length];
      r = t - k * this.periodMs;
    }
    const i = this.#segment(r);
    return base + this.#cum[i] + this.rates[i] * (r - this.starts[i]);
  }

  /** Bytes the link can carry between `t0` and `t1`. */
  bytesBetween(t0: number, t1: number): number {
    return t1 > t0 ? this.cumBytes(t1) - this.cumBytes(t0) : 0;
  }

  /** The earliest time by which the link has carried `c` bytes since time 0 (Infinity: never). */
  timeOfCum(c: number): number {
    if (c <= 0) return 0;
    const n = this.starts.length;
    if (this.periodMs !== null) {
      const per = this.#cum[n];
      if (per <= 0) return Infinity;
      let k = Math.floor(c / per);
      let rem = c - k * per;
      if (rem === 0) {
        k--;
        rem = per;
      }
      return k * this.periodMs + this.#within(rem);
    }
    if (c > this.#cum[n - 1]) {
      const last = this.rates[n - 1];
      return last > 0 ? this.starts[n - 1] + (c - this.#cum[n - 1]) / last : Infinity;
    }
    return this.#within(c);
  }

  /** When `bytes` sent from `start` on have all been carried (Infinity: never). */
  finishTime(start: number, bytes: number): number {
    if (bytes <= 0) return start;
    return Math.max(start, this.timeOfCum(this.cumBytes(start) + bytes));
  }

  /** Time within one period (or the schedule's own time). */
  #wrap(t: number): number {
    if (this.periodMs === null) return Math.max(0, t);
    const r = t % this.periodMs;
    return r < 0 ? r + this.periodMs : r;
  }

  /** Index of the segment holding time `r` (0 ≤ r, within one period). */
  #segment(r: number): number {
    const s = this.starts;
    let lo = 0;
    let hi = s.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (s[mid] <= r) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Time within the first period at which cumulative bytes reach `c` (0 < c ≤ cum[last]). */
  #within(c: number): number {
    const cum = this.#cum;
    // Smallest i with cum[i + 1] ≥ c: segment i carries the byte that reaches c.
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cum[mid + 1] >= c) hi = mid;
      else lo = mid + 1;
    }
    const rate = this.rates[lo];
    return rate > 0 ? this.starts[lo] + (c - cum[lo]) / rate : this.starts[lo];
  }
}

function checkRate(bps: number): void {
  if (!(bps >= 0) || !Number.isFinite(bps)) {
    throw new RangeError(`capacity ${bps} bit/s: a rate must be finite and ≥ 0`);
  }
}
