/**
 * One direction of an emulated link: a FIFO of chunks whose delivery times follow the link's
 * capacity curve, one-way delay, jitter and loss, and that an outage can hold. Pure: time is
 * given as `now` (ms since the emulator started), so tests drive it on a virtual clock and
 * `relay_io.ts` drives it with the real one.
 *
 * Per chunk pushed at `now`, in order:
 * 1. serialization starts when the path is free (`max(now, end of the previous chunk)`) and
 *    runs at the capacity of the moment (`Capacity` from core/sim: a constant rate, a schedule
 *    or a looped trace); `null` capacity serializes at once (a delay-only path);
 * 2. loss: each MSS-sized unit is lost with probability `loss`, and the path then stops for
 *    `lossStallMs`, as TCP pays for a loss in time (the same model as core/sim/pipe.ts);
 * 3. due = end of serialization + delay + jitter (uniform in [0, jitterMs)), never before the
 *    previous chunk's due time: jitter bunches chunks up, it never reorders them;
 * 4. while held (a silent outage) nothing is delivered; on release every chunk not yet
 *    delivered is serialized again from the release time (TCP re-sends what the path dropped);
 * 5. `setCapacity()` re-times the chunks not yet serialized at the new rate.
 * The queue (bytes pushed and not yet serialized) is bounded like a router's: `hasRoom()` is
 * false above `queueMs` of the current rate, and the relay stops reading until it is true.
 * @module
 */
import type { Capacity } from "../sim/capacity.ts";
import { MSS_BYTES } from "../sim/pipe.ts";
import type { Rng } from "../sim/rng.ts";

/**
 * How one direction behaves.
 * @example
 * ```ts
 * const o: PathOptions = { capacity: Capacity.constant(8e6), delayMs: 20, queueMs: 100 };
 * ```
 */
export interface PathOptions {
  /** Rate over time, or null for no rate limit (a delay-only path). */
  capacity: Capacity | null;
  /** One-way delay (ms). */
  delayMs: number;
  /** Extra delay per chunk, uniform in [0, jitterMs) (ms); needs `rng` when > 0. */
  jitterMs?: number;
  /** Probability that an MSS-sized unit is lost (each loss stalls the path); needs `rng`. */
  loss?: number;
  /** How long a loss stalls the path (ms; default 2 x delay + 200). */
  lossStallMs?: number;
  /** Queue bound in time at the current rate (ms; default 100, as the netns lab's tbf). */
  queueMs?: number;
  /** Queue bound floor (bytes; default 64 KiB). */
  minQueueBytes?: number;
  /** Randomness for jitter and loss (core/sim's seeded generator). */
  rng?: Rng;
}

/**
 * Default queue bound: 100 ms of the rate, like the netns lab's tbf queues.
 * @example
 * ```ts
 * new EmulatedPath({ capacity: null, delayMs: 20, queueMs: DEFAULT_QUEUE_MS });
 * ```
 */
export const DEFAULT_QUEUE_MS = 100;
/**
 * The queue always holds at least this much (bytes).
 * @example
 * ```ts
 * new EmulatedPath({ capacity: null, delayMs: 0 }).queueLimit(0) === DEFAULT_MIN_QUEUE_BYTES;
 * ```
 */
export const DEFAULT_MIN_QUEUE_BYTES = 64 * 1024;

interface Entry<T> {
  item: T;
  bytes: number;
  finish: number;
  due: number;
}

/**
 * A FIFO path with capacity, delay, jitter, loss stalls and holds.
 * @example
 * ```ts
 * import { Capacity } from "../sim/capacity.ts";
 * const p = new EmulatedPath<string>({ capacity: Capacity.constant(8e6), delayMs: 20 });
 * p.push("a", 1000, 0); // 1 ms on the wire (8 Mbit/s = 1000 B/ms) + 20 ms: due at 21
 * p.takeDue(21); // ["a"]
 * ```
 */
export class EmulatedPath<T> {
  readonly opts: PathOptions;
  #capacity: Capacity | null;
  #q: Entry<T>[] = [];
  #head = 0;
  #busyUntil = 0;
  #lastDue = 0;
  #heldSince: number | null = null;
  #served = 0;
  #nextLossAt: number;
  /** Bytes pushed so far. */
  bytesIn = 0;
  /** Bytes delivered so far. */
  bytesOut = 0;
  /** Loss stalls so far. */
  lossStalls = 0;

  constructor(opts: PathOptions) {
    for (const [what, v] of [["delay", opts.delayMs], ["jitter", opts.jitterMs ?? 0]] as const) {
      if (!(v >= 0) || !Number.isFinite(v)) {
        throw new RangeError(`${what} ${v} ms must be a finite number ≥ 0`);
      }
    }
    const loss = opts.loss ?? 0;
    if (!(loss >= 0 && loss < 1)) throw new RangeError(`loss ${loss} must be in [0, 1)`);
    if ((loss > 0 || (opts.jitterMs ?? 0) > 0) && !opts.rng) {
      throw new RangeError("jitter and loss need an rng (a seeded Rng from core/sim)");
    }
    this.opts = opts;
    this.#capacity = opts.capacity;
    this.#nextLossAt = this.#lossGap();
  }

  /** The capacity in force. */
  get capacity(): Capacity | null {
    return this.#capacity;
  }

  /** Is the path held (a silent outage)? */
  get held(): boolean {
    return this.#heldSince !== null;
  }

  /** Chunks pushed and not yet delivered. */
  get length(): number {
    return this.#q.length - this.#head;
  }

  /** Queues `item` of `bytes` at `now`; returns its due time (Infinity while held). */
  push(item: T, bytes: number, now: number): number {
    this.bytesIn += bytes;
    const e: Entry<T> = { item, bytes, finish: 0, due: 0 };
    this.#q.push(e);
    if (this.#heldSince !== null) {
      e.finish = Infinity;
      e.due = Infinity;
      return Infinity;
    }
    this.#time(e, now);
    return e.due;
  }

  /** Bytes pushed and not yet serialized at `now` (the queue). */
  queuedBytes(now: number): number {
    let n = 0;
    for (let i = this.#q.length - 1; i >= this.#head; i--) {
      const e = this.#q[i];
      if (e.finish <= now) break;
      n += e.bytes;
    }
    return n;
  }

  /** The queue bound at `now` (bytes): `queueMs` of the current rate, at least the floor. */
  queueLimit(now: number): number {
    const floor = this.opts.minQueueBytes ?? DEFAULT_MIN_QUEUE_BYTES;
    if (this.#capacity === null) return floor;
    const ms = this.opts.queueMs ?? DEFAULT_QUEUE_MS;
    return Math.max(floor, (this.#capacity.bpsAt(now) / 8000) * ms);
  }

  /** May the relay read more from its source now? */
  hasRoom(now: number): boolean {
    return this.queuedBytes(now) < this.queueLimit(now);
  }

  /** The next time something changes (a chunk is due, or the queue gets room), or null. */
  nextWakeAt(now: number): number | null {
    if (this.length === 0 || this.#heldSince !== null) return null;
    const due = this.#q[this.#head].due;
    if (this.hasRoom(now)) return due;
    // The oldest chunk still serializing frees room when it finishes.
    for (let i = this.#head; i < this.#q.length; i++) {
      const f = this.#q[i].finish;
      if (f > now) return Math.min(due, f);
    }
    return due;
  }

  /** Removes and returns the chunks due by `now`, in order (none while held). */
  takeDue(now: number): T[] {
    const out: T[] = [];
    if (this.#heldSince !== null) return out;
    while (this.#head < this.#q.length && this.#q[this.#head].due <= now) {
      const e = this.#q[this.#head++];
      this.bytesOut += e.bytes;
      out.push(e.item);
    }
    this.#compact();
    return out;
  }

  /** A silent outage starts: nothing is delivered until `release()`. */
  hold(now: number): void {
    if (this.#heldSince === null) this.#heldSince = now;
  }

  /** The outage ends: whatever was not delivered is serialized again from `now`. */
  release(now: number): void {
    if (this.#heldSince === null) return;
    this.#heldSince = null;
    this.#busyUntil = now;
    this.#lastDue = now;
    for (let i = this.#head; i < this.#q.length; i++) this.#time(this.#q[i], now);
  }

  /** A new rate from `now` on (a constant or another curve); queued chunks are re-timed. */
  setCapacity(capacity: Capacity | null, now: number): void {
    this.#capacity = capacity;
    if (this.#heldSince !== null) return;
    let first = this.#head;
    while (first < this.#q.length && this.#q[first].finish <= now) first++;
    this.#busyUntil = first > this.#head ? this.#q[first - 1].finish : now;
    this.#lastDue = first > this.#head ? this.#q[first - 1].due : now;
    for (let i = first; i < this.#q.length; i++) this.#time(this.#q[i], now);
  }

  /** Drops the undelivered chunks for which `pred` holds (a connection that closed). */
  drop(pred: (item: T) => boolean): void {
    this.#q = this.#q.slice(this.#head).filter((e) => !pred(e.item));
    this.#head = 0;
  }

  /** Serialization and due time of `e`, starting no earlier than `now`. */
  #time(e: Entry<T>, now: number): void {
    const o = this.opts;
    let t = Math.max(now, this.#busyUntil);
    let left = e.bytes;
    while (left > 0) {
      const part = Math.min(left, this.#nextLossAt - this.#served);
      t = this.#capacity === null ? t : this.#capacity.finishTime(t, part);
      this.#served += part;
      left -= part;
      if (this.#served >= this.#nextLossAt) {
        t += o.lossStallMs ?? 2 * o.delayMs + 200;
        this.lossStalls++;
        this.#nextLossAt = this.#served + this.#lossGap();
      }
    }
    e.finish = t;
    this.#busyUntil = t;
    const jitter = (o.jitterMs ?? 0) > 0 ? o.rng!.next() * o.jitterMs! : 0;
    e.due = Math.max(t + o.delayMs + jitter, this.#lastDue);
    this.#lastDue = e.due;
  }

  #lossGap(): number {
    const p = this.opts.loss ?? 0;
    return p > 0 ? MSS_BYTES * this.opts.rng!.geometric(p) : Infinity;
  }

  #compact(): void {
    if (this.#head > 1024 && this.#head * 2 > this.#q.length) {
      this.#q = this.#q.slice(this.#head);
      this.#head = 0;
    }
  }
}
