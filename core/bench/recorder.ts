/**
 * What the bench's sink measures for one contender, from chunk arrival times and the records'
 * stamps: goodput over the measurement window, goodput over time, the delivery-delay
 * distribution (byte-weighted, core/sim's histogram), and the longest stall. Pure: times are
 * ms since the contender started, given by the caller.
 *
 * The window opens at the first byte that arrives (so connection set-up, which differs per
 * contender, is not counted) and lasts the run's duration; the source stops writing when it
 * closes. Bytes that arrive later (drained from buffers) count as delivered, not as goodput.
 * @module
 */
import { DelayHistogram } from "../sim/histogram.ts";

/**
 * Goodput of one interval of the timeline.
 * @example
 * ```ts
 * const p: TimelinePoint = { tMs: 250, bps: 20e6 };
 * ```
 */
export interface TimelinePoint {
  /** Interval start, ms since the contender started. */
  tMs: number;
  bps: number;
  /** Largest delay of the records that arrived in the interval (ms), if any did. */
  delayMaxMs?: number;
}

/**
 * What the sink saw, once the run is over.
 * @example
 * ```ts
 * const f: SinkFigures = new BenchRecorder({ durationMs: 1000 }).figures(0);
 * ```
 */
export interface SinkFigures {
  /** Bytes arrived inside the window, times 8, over the window (bit/s). */
  goodputBps: number;
  /** When the window opened (ms since start), or null when nothing arrived. */
  windowStartMs: number | null;
  windowMs: number;
  /** Bytes that arrived in the window. */
  windowBytes: number;
  /** Bytes that arrived at all. */
  deliveredBytes: number;
  /** Longest time without new bytes inside the window (ms). */
  longestStallMs: number;
  /** When that stall began (ms since start), or null. */
  longestStallAtMs: number | null;
  delayMs: { p50: number; p99: number; max: number; mean: number };
  timeline: TimelinePoint[];
  /** Byte-weighted delays, for the chart's distribution. */
  histogram: DelayHistogram;
}

/**
 * Collects the sink's figures.
 * @example
 * ```ts
 * const rec = new BenchRecorder({ durationMs: 20_000 });
 * rec.onChunk(65536, 130); // first bytes at 130 ms: the window is [130, 20130)
 * rec.onRecord(42, 8192); // a record that took 42 ms
 * const f = rec.figures(20_500);
 * ```
 */
export class BenchRecorder {
  readonly durationMs: number;
  readonly binMs: number;
  readonly histogram = new DelayHistogram();
  #start: number | null = null;
  #last = 0;
  #windowBytes = 0;
  #delivered = 0;
  #stall = 0;
  #stallAt: number | null = null;
  #bins: number[] = [];
  #delayBins: number[] = [];

  constructor(o: { durationMs: number; binMs?: number }) {
    if (!(o.durationMs > 0)) throw new RangeError(`duration ${o.durationMs} ms must be > 0`);
    this.durationMs = o.durationMs;
    this.binMs = o.binMs ?? 250;
  }

  /** Start of the window (ms), or null before the first byte. */
  get windowStartMs(): number | null {
    return this.#start;
  }

  /** End of the window (ms), or null before the first byte. */
  get windowEndMs(): number | null {
    return this.#start === null ? null : this.#start + this.durationMs;
  }

  /** Has the window closed by `now`? */
  windowOver(now: number): boolean {
    return this.#start !== null && now >= this.#start + this.durationMs;
  }

  /** `bytes` arrived at `now`. */
  onChunk(bytes: number, now: number): void {
    if (bytes <= 0) return;
    this.#delivered += bytes;
    const bin = Math.floor(now / this.binMs);
    while (this.#bins.length <= bin) this.#bins.push(0);
    this.#bins[bin] += bytes;
    if (this.#start === null) {
      this.#start = now;
      this.#last = now;
    }
    const end = this.#start + this.durationMs;
    if (now <= end) {
      this.#windowBytes += bytes;
      this.#gap(now);
    } else if (this.#last < end) {
      this.#gap(end);
    }
  }

  /** A whole record of `bytes` arrived `delayMs` after it was written (at `now`, if given). */
  onRecord(delayMs: number, bytes: number, now?: number): void {
    this.histogram.add(delayMs, bytes);
    if (now === undefined) return;
    const bin = Math.floor(now / this.binMs);
    while (this.#delayBins.length <= bin) this.#delayBins.push(-1);
    this.#delayBins[bin] = Math.max(this.#delayBins[bin], delayMs);
  }

  /**
   * The figures so far; a stall still open at `now` (or at the window's end) counts up to
   * there. Reading them changes nothing, so progress lines may read them mid-run.
   */
  figures(now: number): SinkFigures {
    let stall = this.#stall;
    let stallAt = this.#stallAt;
    if (this.#start !== null) {
      const open = Math.min(now, this.#start + this.durationMs) - this.#last;
      if (open > stall) [stall, stallAt] = [open, this.#last];
    }
    const h = this.histogram;
    return {
      goodputBps: (this.#windowBytes * 8000) / this.durationMs,
      windowStartMs: this.#start,
      windowMs: this.durationMs,
      windowBytes: this.#windowBytes,
      deliveredBytes: this.#delivered,
      longestStallMs: this.#start === null ? this.durationMs : stall,
      longestStallAtMs: stallAt,
      delayMs: { p50: h.quantile(0.5), p99: h.quantile(0.99), max: h.max, mean: h.mean },
      timeline: this.#bins.map((b, i) => {
        const d = this.#delayBins[i] ?? -1;
        const point: TimelinePoint = { tMs: i * this.binMs, bps: (b * 8000) / this.binMs };
        if (d >= 0) point.delayMaxMs = d;
        return point;
      }),
      histogram: h,
    };
  }

  #gap(t: number): void {
    const gap = t - this.#last;
    if (gap > this.#stall) {
      this.#stall = gap;
      this.#stallAt = this.#last;
    }
    this.#last = t;
  }
}
