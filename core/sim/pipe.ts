/**
 * One direction of a simulated link, as the tunnel's TCP connection sees it: a FIFO byte pipe.
 *
 * The model, per frame written at `now`:
 * 1. Serialization starts when the pipe is free (`max(now, end of the previous frame)`) and
 *    proceeds at the capacity of the moment (constant, scheduled or traced: `Capacity`).
 * 2. Loss stalls: TCP hides loss but pays for it in time. Every MSS-sized unit is lost with
 *    probability `loss` (drawn as a geometric gap, O(1) per loss, not per unit); after the unit
 *    that was lost the pipe stops for `lossStallMs` (default: the link's RTT + a 200 ms minimum
 *    RTO), which delays that frame and everything behind it (head-of-line blocking). With that
 *    stall, one 40 ms-RTT pipe keeps roughly the throughput the Mathis formula predicts for
 *    TCP (within 2x between 0.01 % and 1 % loss), without modelling a congestion window.
 * 3. Silent holds (a path that drops everything without closing): no byte is serialized during
 *    `[from, until)`, where `until` is when TCP's backed-off retransmission timer fires after
 *    the path came back; a frame on the path when the hold starts is lost there and arrives
 *    `delay` after `until`. Frames wait in the send queue meanwhile and flow again afterwards.
 * 4. Arrival = end of serialization + one-way delay + jitter (uniform in [0, jitterMs)), but
 *    never before the previous frame's arrival: TCP delivers in order, so jitter bunches
 *    frames up instead of reordering them.
 * Bytes written and not yet serialized are the socket's send queue: the simulator blocks the
 * endpoint's link while they exceed the send buffer, as a full socket does.
 * @module
 */
import type { Capacity } from "./capacity.ts";
import type { Rng } from "./rng.ts";

/** TCP payload bytes per segment, the unit that loss hits. */
export const MSS_BYTES = 1448;

/** A window during which the path carries nothing; TCP resumes at `until`. */
export interface Hold {
  from: number;
  until: number;
}

/** How one direction behaves. */
export interface PipeOptions {
  capacity: Capacity;
  /** One-way delay (ms). */
  delayMs: number;
  /** Extra delay per frame, uniform in [0, jitterMs) (ms). */
  jitterMs: number;
  /** Probability that an MSS-sized unit is lost. */
  loss: number;
  /** How long the pipe stops after a loss (ms). */
  lossStallMs: number;
  /** Silent windows, ascending and disjoint. */
  holds: readonly Hold[];
  rng: Rng;
}

/**
 * A FIFO pipe with capacity, delay, jitter, loss stalls and silent holds.
 * @example
 * ```ts
 * const pipe = new Pipe({
 *   capacity: Capacity.constant(8e6), delayMs: 20, jitterMs: 0, loss: 0, lossStallMs: 240,
 *   holds: [], rng: new Rng(1),
 * });
 * pipe.write(1000, 0); // arrives at 21 ms: 1 ms on the wire, 20 ms of delay
 * ```
 */
export class Pipe {
  readonly opts: PipeOptions;
  /** Set when the connection closes: frames still on it are gone. */
  closed = false;
  /** Whether the endpoint has been told this link is blocked. */
  blocked = false;
  /** Loss stalls so far. */
  lossStalls = 0;
  /** Bytes written. */
  bytesWritten = 0;
  #busyUntil = 0;
  #lastArrival = 0;
  #served = 0;
  #nextLossAt: number;
  #hold = 0; // first hold that may still matter
  // Send queue: end of serialization and size of each frame not yet fully serialized.
  #finish: number[] = [];
  #sizes: number[] = [];
  #head = 0;
  #queued = 0;

  constructor(opts: PipeOptions) {
    this.opts = opts;
    this.#nextLossAt = this.#lossGap();
  }

  /** Queues a frame of `bytes` written at `now`; returns its arrival time (Infinity: never). */
  write(bytes: number, now: number): number {
    this.bytesWritten += bytes;
    const finish = this.#serve(Math.max(now, this.#busyUntil), bytes);
    this.#busyUntil = finish;
    this.#finish.push(finish);
    this.#sizes.push(bytes);
    this.#queued += bytes;
    const o = this.opts;
    let arrival = finish + o.delayMs + (o.jitterMs > 0 ? o.rng.next() * o.jitterMs : 0);
    for (let i = this.#hold; i < o.holds.length; i++) {
      const h = o.holds[i];
      if (h.from >= arrival) break;
      if (h.from >= finish) arrival = Math.max(arrival, h.until + o.delayMs);
    }
    if (arrival < this.#lastArrival) arrival = this.#lastArrival;
    this.#lastArrival = arrival;
    return arrival;
  }

  /** Bytes written and not yet serialized at `now` (the socket's send queue). */
  queuedBytes(now: number): number {
    while (this.#head < this.#finish.length && this.#finish[this.#head] <= now) {
      this.#queued -= this.#sizes[this.#head++];
    }
    if (this.#head > 1024 && this.#head * 2 > this.#finish.length) {
      this.#finish = this.#finish.slice(this.#head);
      this.#sizes = this.#sizes.slice(this.#head);
      this.#head = 0;
    }
    return this.#queued;
  }

  /** When the oldest queued frame is fully serialized, or null when nothing is queued. */
  nextDrainAt(): number | null {
    return this.#head < this.#finish.length ? this.#finish[this.#head] : null;
  }

  /** End of serialization for `bytes` from `start`: capacity, holds and loss stalls. */
  #serve(start: number, bytes: number): number {
    const o = this.opts;
    let t = start;
    let left = bytes;
    for (;;) {
      t = this.#skipHolds(t);
      const part = Math.min(left, this.#nextLossAt - this.#served);
      const end = o.capacity.finishTime(t, part);
      const h = this.#hold < o.holds.length ? o.holds[this.#hold] : null;
      if (h !== null && h.from < end) {
        // The path goes silent part-way: what fits before carries, the rest waits for TCP.
        const carried = Math.min(part, o.capacity.bytesBetween(t, h.from));
        this.#served += carried;
        left -= carried;
        t = h.until;
        continue;
      }
      if (end === Infinity) return Infinity;
      this.#served += part;
      left -= part;
      t = end;
      if (this.#served >= this.#nextLossAt) {
        t += o.lossStallMs;
        this.lossStalls++;
        this.#nextLossAt = this.#served + this.#lossGap();
      }
      if (left <= 0) return t;
    }
  }

  /** Moves `t` past any hold it falls in; advances the hold cursor. */
  #skipHolds(t: number): number {
    const holds = this.opts.holds;
    while (this.#hold < holds.length) {
      const h = holds[this.#hold];
      if (t < h.from) break;
      if (t < h.until) t = h.until;
      this.#hold++;
    }
    return t;
  }

  /** Bytes until the next lost unit completes. */
  #lossGap(): number {
    const p = this.opts.loss;
    return p > 0 ? MSS_BYTES * this.opts.rng.geometric(p) : Infinity;
  }
}
