/**
 * Keeps a flood of refused connections from flooding the log: the first `burst` messages of
 * each `windowMs` are let through, the rest counted and summed up in one line when the next
 * message comes after the window (or on `flush()`). Pure: the time comes in as `now`.
 * @module
 */

/**
 * @example
 * ```ts
 * const t = new LogThrottle(20, 10_000);
 * for (const line of t.offer("refused a connection", now)) log.warn(line);
 * ```
 */
export class LogThrottle {
  readonly burst: number;
  readonly windowMs: number;
  #windowStart = -Infinity;
  #shown = 0;
  #dropped = 0;

  constructor(burst: number, windowMs: number) {
    this.burst = burst;
    this.windowMs = windowMs;
  }

  /** The lines to log now for `message` (none, it, or a summary and it). */
  offer(message: string, now: number): string[] {
    const out = this.#roll(now);
    if (this.#shown < this.burst) {
      this.#shown++;
      out.push(message);
    } else {
      this.#dropped++;
    }
    return out;
  }

  /** The summary of what was held back, if the window is over. */
  flush(now: number): string[] {
    return this.#roll(now);
  }

  #roll(now: number): string[] {
    if (now - this.#windowStart < this.windowMs) return [];
    const out = this.#dropped > 0
      ? [
        `... and ${this.#dropped} more refused connections in ${
          Math.round(this.windowMs / 1000)
        } s, not shown one by one`,
      ]
      : [];
    this.#windowStart = now;
    this.#shown = 0;
    this.#dropped = 0;
    return out;
  }
}
