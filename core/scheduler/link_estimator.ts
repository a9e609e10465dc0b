/**
 * What the sender knows about one link, learned from acknowledgements: delivery rate, RTT and
 * bytes in flight, and from them how much the link may hold in flight.
 *
 * The budget keeps a link's bytes in flight near rate x RTT (x2, as BBR's cwnd gain, so the
 * estimate can grow) plus two blocks, so that queues in kernel socket buffers stay short and
 * every scheduling decision is made on fresh numbers. Pure: time arrives as `now` (ms).
 * @module
 */

/** Tunables; the defaults suit links from 100 kbit/s to tens of Gbit/s. */
export interface EstimatorOptions {
  /** Nominal rate from `--link rate=`, used until the first measurement (bit/s). */
  nominalRateBps?: number;
  /** Budget before anything is measured (bytes). */
  initialBudgetBytes?: number;
  /** Time span over which the delivery rate is the maximum of its samples (ms). */
  rateWindowMs?: number;
  /** Stall when acknowledgements stop for this many times (srtt + 4 x rttvar)... */
  stallRtts?: number;
  /** ...but never sooner than this (ms): event-loop pauses must not look like stalls. */
  stallFloorMs?: number;
}

/** What a block's transmission remembers to turn its acknowledgement into a rate sample. */
export interface SendStamp {
  bytes: number;
  sentAt: number;
  deliveredAtSend: number;
  deliveredTimeAtSend: number;
}

interface RateSample {
  at: number;
  bps: number;
}

const MIN_BLOCK = 4 * 1024;
const MAX_BLOCK = 128 * 1024;
/** A block carries about this much of the link's time (claim 8: size follows bandwidth). */
const BLOCK_INTERVAL_MS = 10;
/** Time the budget allows beyond the path's RTT for delayed ACKs and event-loop turns. */
const HOST_SLACK_MS = 5;

/**
 * Per-link estimates for the scheduler.
 * @example
 * ```ts
 * const est = new LinkEstimator(0);
 * const stamp = est.onSend(1000, 0);
 * est.onDelivered(stamp, 50);
 * est.onRttSample(50, 50);
 * est.budgetBytes(); // bytes this link may hold in flight now
 * ```
 */
export class LinkEstimator {
  #opts: Required<Omit<EstimatorOptions, "nominalRateBps">> & { nominalRateBps?: number };
  #samples: RateSample[] = [];
  #rateBps = 0;
  #delivered = 0;
  #deliveredTime: number;
  #srtt = 0;
  #rttvar = 0;
  #minRtt = Infinity;
  #minRttAt = 0;
  #inFlight = 0;
  #lastProgressAt: number;

  constructor(now: number, opts: EstimatorOptions = {}) {
    this.#opts = {
      initialBudgetBytes: opts.initialBudgetBytes ?? 256 * 1024,
      rateWindowMs: opts.rateWindowMs ?? 1000,
      stallRtts: opts.stallRtts ?? 4,
      stallFloorMs: opts.stallFloorMs ?? 400,
      nominalRateBps: opts.nominalRateBps,
    };
    this.#deliveredTime = now;
    this.#lastProgressAt = now;
  }

  /** Measured delivery rate (bit/s), or the nominal rate, or 0 before anything is known. */
  get rateBps(): number {
    return this.#rateBps || this.#opts.nominalRateBps || 0;
  }
  /** True once an acknowledgement has produced a rate sample. */
  get measured(): boolean {
    return this.#rateBps > 0;
  }
  /** Smoothed RTT (ms), 0 before the first sample. */
  get srttMs(): number {
    return this.#srtt;
  }
  /** RTT variation (ms). */
  get rttVarMs(): number {
    return this.#rttvar;
  }
  /** Smallest RTT seen in the last 10 s (ms), the link's propagation delay. */
  get minRttMs(): number {
    return Number.isFinite(this.#minRtt) ? this.#minRtt : 0;
  }
  /** Bytes sent on this link and not yet acknowledged or declared lost. */
  get inFlightBytes(): number {
    return this.#inFlight;
  }
  /** Total bytes acknowledged through this link. */
  get deliveredBytes(): number {
    return this.#delivered;
  }
  /** One-way delay of the path (ms): half the minimum RTT, else half the smoothed RTT, else 0. */
  get oneWayDelayMs(): number {
    return (this.minRttMs || this.#srtt) / 2;
  }
  /**
   * Bytes in flight beyond what the path itself holds (rate x minimum RTT): the queue that a
   * block sent now waits behind. All of the bytes in flight while rate or RTT is unknown.
   */
  get queuedAheadBytes(): number {
    const pathBytes = (this.rateBps / 8000) * this.minRttMs;
    return Math.max(0, this.#inFlight - pathBytes);
  }

  /** A block of `bytes` leaves on this link now. */
  onSend(bytes: number, now: number): SendStamp {
    // An idle link restarts its progress clock: the stall timer runs only while data waits.
    if (this.#inFlight === 0) {
      this.#lastProgressAt = now;
      this.#deliveredTime = Math.max(this.#deliveredTime, now);
    }
    this.#inFlight += bytes;
    return {
      bytes,
      sentAt: now,
      deliveredAtSend: this.#delivered,
      deliveredTimeAtSend: this.#deliveredTime,
    };
  }

  /** The block sent with `stamp` was acknowledged. */
  onDelivered(stamp: SendStamp, now: number): void {
    this.#inFlight = Math.max(0, this.#inFlight - stamp.bytes);
    this.#delivered += stamp.bytes;
    this.#deliveredTime = now;
    this.#lastProgressAt = now;
    // Delivery-rate sample as in BBR: data delivered since this block left, over that time.
    const interval = Math.max(now - stamp.deliveredTimeAtSend, now - stamp.sentAt);
    if (interval >= 1) {
      const bps = ((this.#delivered - stamp.deliveredAtSend) * 8 * 1000) / interval;
      this.#addRateSample(bps, now);
    }
  }

  /** The block sent with `stamp` will not be acknowledged through this link. */
  onLost(stamp: SendStamp): void {
    this.#inFlight = Math.max(0, this.#inFlight - stamp.bytes);
  }

  /** Everything in flight is gone (the connection broke). */
  resetInFlight(now: number): void {
    this.#inFlight = 0;
    this.#lastProgressAt = now;
  }

  /** Any sign of life from the peer on this link (ACK, PONG) that is not a delivery. */
  onProgress(now: number): void {
    if (this.#inFlight === 0) this.#lastProgressAt = now;
  }

  /** An RTT measurement (ms), already corrected for the peer's acknowledgement delay. */
  onRttSample(rttMs: number, now: number): void {
    if (!(rttMs >= 0) || !Number.isFinite(rttMs)) return;
    if (this.#srtt === 0) {
      this.#srtt = rttMs;
      this.#rttvar = rttMs / 2;
    } else {
      // RFC 6298 smoothing.
      this.#rttvar = 0.75 * this.#rttvar + 0.25 * Math.abs(this.#srtt - rttMs);
      this.#srtt = 0.875 * this.#srtt + 0.125 * rttMs;
    }
    if (rttMs <= this.#minRtt) {
      this.#minRtt = rttMs;
      this.#minRttAt = now;
    } else if (now - this.#minRttAt > 10_000) {
      // The minimum expires so that a longer path is learnt, but only step by step: while we
      // keep a queue standing, every sample is inflated, and taking one as the new minimum
      // would let the budget (which grows with it) deepen the queue without end.
      this.#minRtt = Math.min(rttMs, this.#minRtt * 1.25);
      this.#minRttAt = now;
    }
  }

  /** Bytes this link may hold in flight now. */
  budgetBytes(): number {
    const rate = this.rateBps;
    if (rate === 0 || this.#srtt === 0) {
      return Math.max(this.#opts.initialBudgetBytes, 2 * this.blockBytes());
    }
    // minRtt is the path; srtt above it is queueing we must not feed.
    const bytesPerMs = rate / 8 / 1000;
    // 2 x BDP lets the rate estimate grow; HOST_SLACK_MS covers delayed acknowledgements
    // and event-loop turns, which matter only on very fast, very short paths.
    return Math.ceil(bytesPerMs * (2 * this.minRttMs + HOST_SLACK_MS) + 2 * this.blockBytes());
  }

  /** Block size for this link: about BLOCK_INTERVAL_MS of its rate (the patent's claim 8). */
  blockBytes(): number {
    const rate = this.rateBps;
    if (rate === 0) return 16 * 1024;
    const bytes = (rate / 8) * (BLOCK_INTERVAL_MS / 1000);
    return Math.min(MAX_BLOCK, Math.max(MIN_BLOCK, Math.round(bytes)));
  }

  /** Room left in the budget (bytes, may be negative). */
  roomBytes(): number {
    return this.budgetBytes() - this.#inFlight;
  }

  /** The time at which this link counts as stalled if nothing is acknowledged before then. */
  stallDeadline(): number | null {
    if (this.#inFlight === 0) return null;
    const rtt = this.#srtt || 100;
    const wait = Math.max(this.#opts.stallFloorMs, this.#opts.stallRtts * (rtt + 4 * this.#rttvar));
    return this.#lastProgressAt + wait;
  }

  /** Data waits in flight and its acknowledgements stopped for a few RTTs. */
  isStalled(now: number): boolean {
    const d = this.stallDeadline();
    return d !== null && now >= d;
  }

  #addRateSample(bps: number, now: number): void {
    const window = this.#opts.rateWindowMs;
    this.#samples.push({ at: now, bps });
    while (this.#samples.length > 0 && this.#samples[0].at < now - window) this.#samples.shift();
    if (this.#samples.length > 256) this.#samples.splice(0, this.#samples.length - 256);
    let max = 0;
    for (const s of this.#samples) if (s.bps > max) max = s.bps;
    this.#rateBps = max;
  }
}
