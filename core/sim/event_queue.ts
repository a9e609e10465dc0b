/**
 * A binary-heap priority queue of timed events. Events due at the same time leave in the order
 * they were scheduled (a sequence number breaks ties), so a run never depends on heap layout:
 * same seed, same result.
 * @module
 */

/**
 * Min-heap on (time, insertion order).
 * @example
 * ```ts
 * const q = new EventQueue<string>();
 * q.push(5, "b");
 * q.push(1, "a");
 * q.push(5, "c");
 * q.pop(); // "a", then "b", then "c"
 * ```
 */
export class EventQueue<T> {
  // Parallel arrays: no object per entry, so pushing costs no allocation once grown.
  #times: number[] = [];
  #seqs: number[] = [];
  #values: T[] = [];
  #nextSeq = 0;

  /** Events waiting. */
  get size(): number {
    return this.#times.length;
  }

  /** Schedules `value` at time `t` (ms). */
  push(t: number, value: T): void {
    if (Number.isNaN(t)) throw new RangeError("event time is NaN");
    const seq = this.#nextSeq++;
    let i = this.#times.length;
    this.#times.push(t);
    this.#seqs.push(seq);
    this.#values.push(value);
    // Sift up.
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.#less(t, seq, this.#times[p], this.#seqs[p])) break;
      this.#move(p, i);
      i = p;
    }
    this.#set(i, t, seq, value);
  }

  /** Time of the earliest event, or null when empty. */
  peekTime(): number | null {
    return this.#times.length > 0 ? this.#times[0] : null;
  }

  /** Removes and returns the earliest event's value, or undefined when empty. */
  pop(): T | undefined {
    const n = this.#times.length;
    if (n === 0) return undefined;
    const top = this.#values[0];
    const t = this.#times.pop()!;
    const seq = this.#seqs.pop()!;
    const value = this.#values.pop()!;
    if (n > 1) {
      // Sift the former last entry down from the root.
      const size = n - 1;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= size) break;
        const r = l + 1;
        const c =
          r < size && this.#less(this.#times[r], this.#seqs[r], this.#times[l], this.#seqs[l])
            ? r
            : l;
        if (!this.#less(this.#times[c], this.#seqs[c], t, seq)) break;
        this.#move(c, i);
        i = c;
      }
      this.#set(i, t, seq, value);
    }
    return top;
  }

  #less(t1: number, s1: number, t2: number, s2: number): boolean {
    return t1 < t2 || (t1 === t2 && s1 < s2);
  }
  #move(from: number, to: number): void {
    this.#times[to] = this.#times[from];
    this.#seqs[to] = this.#seqs[from];
    this.#values[to] = this.#values[from];
  }
  #set(i: number, t: number, seq: number, value: T): void {
    this.#times[i] = t;
    this.#seqs[i] = seq;
    this.#values[i] = value;
  }
}
