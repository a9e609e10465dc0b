/**
 * Delivery delay per byte: output time minus the time the byte entered the sender (was
 * produced by a timed source, or pushed by a greedy one). The meter keeps the input as a queue
 * of (end offset, time) records and walks it as output advances, so each output chunk costs
 * O(records it spans), not O(bytes).
 * @module
 */
import { DelayHistogram } from "./histogram.ts";

/**
 * Byte-weighted delays, the on-time count, and the worst delay per interval.
 * @example
 * ```ts
 * const m = new DelayMeter(3000);
 * m.input(1000, 0); // bytes 0..999 entered at 0 ms
 * m.output(1000, 45); // all of them out at 45 ms
 * m.histogram.quantile(0.99); // ≈ 45
 * ```
 */
export class DelayMeter {
  readonly histogram = new DelayHistogram();
  /** Bytes released within `deadlineMs` of entering. */
  onTimeBytes = 0;
  /** Worst delay since `takeIntervalMax()` last ran, or -1 when nothing came out. */
  #intervalMax = -1;
  #deadline: number;
  #ends: number[] = [];
  #ats: number[] = [];
  #head = 0;
  #inEnd = 0;
  #outAt = 0;

  constructor(deadlineMs: number) {
    this.#deadline = deadlineMs;
  }

  /** The next `bytes` of the stream entered the sender at `at`. */
  input(bytes: number, at: number): void {
    if (bytes <= 0) return;
    this.#inEnd += bytes;
    const n = this.#ends.length;
    // Chunks entering at the same instant share a record.
    if (n > this.#head && this.#ats[n - 1] === at) this.#ends[n - 1] = this.#inEnd;
    else {
      this.#ends.push(this.#inEnd);
      this.#ats.push(at);
    }
  }

  /** The next `bytes` of the stream were output at `now`. */
  output(bytes: number, now: number): void {
    let left = bytes;
    while (left > 0 && this.#head < this.#ends.length) {
      const end = this.#ends[this.#head];
      const take = Math.min(left, end - this.#outAt);
      const delay = now - this.#ats[this.#head];
      this.histogram.add(delay, take);
      if (delay <= this.#deadline) this.onTimeBytes += take;
      if (delay > this.#intervalMax) this.#intervalMax = delay;
      this.#outAt += take;
      left -= take;
      if (this.#outAt >= end) this.#head++;
    }
    if (this.#head > 4096 && this.#head * 2 > this.#ends.length) {
      this.#ends = this.#ends.slice(this.#head);
      this.#ats = this.#ats.slice(this.#head);
      this.#head = 0;
    }
  }

  /** The worst delay output since the last call (ms), or null if nothing came out; resets. */
  takeIntervalMax(): number | null {
    const m = this.#intervalMax;
    this.#intervalMax = -1;
    return m < 0 ? null : m;
  }
}
