/**
 * What the sender knows about one link, learned from acknowledgements: delivery rate, RTT and
 * bytes in flight, and from them how much the link may hold in flight.
 *
 * The budget keeps a link's bytes in flight near rate x path (x1.25, so that the rate
 * estimate can grow by a quarter per round trip) plus two blocks, so that queues in kernel
 * socket buffers and on the path stay short and every scheduling decision is made on fresh
 * numbers; the path is the minimum RTT less one block's own time on the link. BBR's cwnd gain
 * of 2 assumes pacing, which a bond writing blocks into TCP does not have: without it, a gain
 * of 2 keeps a whole BDP standing in the queue.
 *
 * The minimum RTT is the path's only while no queue stands. Every 10 s without a new minimum,
 * if a queue stands beyond the one the budget keeps, the link drains for a moment (BBR's
 * PROBE_RTT): its budget drops to half its BDP for at
 * least 200 ms and 1.5 smoothed RTTs, and the smallest sample of that time becomes the new
 * minimum (at most twice the old one per probe, so that a queue that did not drain cannot
 * feed back into the budget). Pure: time arrives as `now` (ms).
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

/** Bytes delivered by a time: where a spanned rate sample starts. */
interface DeliveryMark {
  at: number;
  delivered: number;
}

/**
 * Smallest block (bytes). A slow link holds two blocks beyond its path's delay, and that is
 * delivery delay for the whole in-order stream: 4 KiB took 16 ms on a 2 Mbit/s link, and two
 * of them set the bond's delay on 20/10/5/2 Mbit/s (docs/BENCH.md). 2 KiB costs a 30-octet
 * frame header (1.5 %) on such links only.
 */
const MIN_BLOCK = 2 * 1024;
const MAX_BLOCK = 128 * 1024;
/**
 * Block size before the link's rate is known (bytes): small, because the first flight on a
 * 128 kbit/s modem must not stand for seconds, and because the first RTT samples (which set
 * the minimum until it is measured again) include the blocks queued ahead of them.
 */
const UNMEASURED_BLOCK = 4 * 1024;
/** A block carries about this much of the link's time (claim 8: size follows bandwidth). */
const BLOCK_INTERVAL_MS = 10;
/** Time the budget allows beyond the path's RTT for delayed ACKs and event-loop turns. */
const HOST_SLACK_MS = 5;
/** In flight allowed per byte of the path's BDP (see the module comment). */
const BDP_GAIN = 1.25;
/**
 * The gain while the link's rate is still being found (BBR's start-up gain, 2/ln 2): from a
 * small first flight the budget nearly triples per round trip instead of growing a quarter.
 */
const STARTUP_GAIN = 2.89;
/** Start-up ends once the rate has not grown by this factor... */
const STARTUP_GROWTH = 1.25;
/**
 * ...for this many minimum RTTs (at least 10 ms each), as BBR's three rounds (the smoothed RTT
 * would count the queue that start-up itself builds).
 */
const STARTUP_ROUNDS = 3;
/** A minimum RTT stands this long without a smaller sample before it is measured again (ms). */
const MIN_RTT_WINDOW_MS = 10_000;
/**
 * The first one is measured again sooner (ms): it was taken while the start-up flight queued
 * on the link, and a link that keeps its queue busy may never see a smaller sample by itself.
 */
const FIRST_MIN_RTT_WINDOW_MS = 2000;
/** While the minimum RTT is measured again, the budget is this share of the BDP... */
const PROBE_RTT_SHARE = 0.5;
/** ...for at least this long (ms)... */
const PROBE_RTT_MS = 200;
/** ...and this many smoothed RTTs, so that the queue has drained and a sample come back. */
const PROBE_RTT_SRTTS = 1.5;
/**
 * A probe is worth its cost only while a queue stands: the smoothed RTT is this many times the
 * RTT the budget itself keeps (its gain on the minimum, one block's own time, the host slack).
 * Below that, draining would cost more throughput than the queue costs delay; against the bare
 * minimum, a 40 ms path was probed every 10 s for the queue of its own budget.
 */
const PROBE_RTT_QUEUE = 1.5;
/** Weight of an RTT sample taken while nothing is in flight (RFC 6298's is 1/8). */
const IDLE_RTT_GAIN = 0.375;
/**
 * A sample within this factor of the minimum RTT (plus 1 ms and one block's own time on the
 * link) confirms it without a probe.
 */
const MIN_RTT_CONFIRM = 1.125;
/** A probe may raise the minimum RTT at most this many times. */
const PROBE_RTT_MAX_RISE = 2;
/**
 * A rate sample spans at least this long (ms), reaching back before its block was sent when
 * the block's own round trip is shorter: acknowledgements bunched by the receiver's event loop
 * would overstate a short interval by their bunching, and the max filter would keep the
 * overstatement for its whole window (we measured 20 Mbit/s links at 23-28 Mbit/s). Before
 * the link has been measured that long, short samples stand, so that start-up stays fast.
 */
const RATE_SPAN_MS = 100;
/** Deliveries closer together than this share one mark for spanned samples (ms). */
const MARK_EVERY_MS = 5;

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
  #marks: DeliveryMark[] = [];
  /** A sample has spanned RATE_SPAN_MS: short ones no longer count. */
  #spanned = false;
  /** Bytes were given up on (lost, NACKed) since the link last showed a sign of life. */
  #lostSinceProgress = false;
  /** When the link last went from idle to busy: a sample reaching back before it is app-limited. */
  #busySince = -Infinity;
  #rateBps = 0;
  #delivered = 0;
  #deliveredTime: number;
  #srtt = 0;
  #rttvar = 0;
  #minRtt = Infinity;
  #minRttAt = 0;
  /** While the minimum RTT is being measured again: until when, and its smallest sample. */
  #probeUntil: number | null = null;
  #probeMin = Infinity;
  #minRttWindowMs = FIRST_MIN_RTT_WINDOW_MS;
  /** Start-up: the rate still grows; the best rate so far and when it last grew enough. */
  #startup = true;
  #plateauBps = 0;
  #plateauAt = 0;
  #inFlight = 0;
  #lastProgressAt: number;

  constructor(now: number, opts: EstimatorOptions = {}) {
    this.#opts = {
      initialBudgetBytes: opts.initialBudgetBytes ?? 16 * 1024,
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
      // ...unless what it held was given up on since it last answered: a silent link whose
      // blocks the peer asked for again elsewhere is not idle, and its stall clock runs on.
      if (!this.#lostSinceProgress) this.#lastProgressAt = now;
      this.#deliveredTime = Math.max(this.#deliveredTime, now);
      this.#busySince = now;
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
    this.#lostSinceProgress = false;
    // Delivery-rate sample as in BBR: data delivered since this block left, over that time.
    // As Linux's tcp_rate.c, an interval shorter than the minimum RTT is ACK compression
    // (acknowledgements bunched by the receiver or the event loop): it would overstate the
    // rate, and the max filter would keep the overstatement for a whole window.
    let interval = Math.max(now - stamp.deliveredTimeAtSend, now - stamp.sentAt);
    let from = stamp.deliveredAtSend;
    let fromAt = Math.min(stamp.deliveredTimeAtSend, stamp.sentAt);
    const span = Math.max(RATE_SPAN_MS, this.minRttMs);
    if (interval < span) {
      const mark = this.#markBefore(now - span);
      if (mark) {
        interval = now - mark.at;
        from = mark.delivered;
        fromAt = mark.at;
      } else if (this.#spanned) interval = 0;
    }
    // The short samples of start-up overstate by their bunching: the first long one replaces
    // them rather than competing with them in the max filter, even when it reaches back into
    // idle time (else the overstated rate stood until a later one). On a path longer than
    // RATE_SPAN_MS the first round trip's samples are long enough.
    let replacing = false;
    if (!this.#spanned && interval >= span) {
      this.#samples = [];
      this.#spanned = true;
      replacing = true;
      // Start-up's rounds count from here: until now the budget was held at its start value,
      // so the rate could not grow, and that was no plateau.
      this.#plateauBps = 0;
    }
    if (interval >= 1 && interval >= this.minRttMs) {
      const bps = ((this.#delivered - from) * 8 * 1000) / interval;
      // A sample that reaches back into a time the link sat idle measures the scheduler, not
      // the link (BBR's app-limited samples): it may raise the estimate, never lower it. A slow
      // link the scheduler left idle for a while must not be forgotten as slower still.
      const appLimited = fromAt < this.#busySince;
      if (!appLimited || bps > this.#rateBps || replacing) this.#addRateSample(bps, now);
    }
    this.#mark(now);
  }

  /** The block sent with `stamp` will not be acknowledged through this link. */
  onLost(stamp: SendStamp): void {
    this.#inFlight = Math.max(0, this.#inFlight - stamp.bytes);
    this.#lostSinceProgress = true;
  }

  /** Everything in flight is gone (the connection broke). */
  resetInFlight(now: number): void {
    this.#inFlight = 0;
    this.#lastProgressAt = now;
    this.#lostSinceProgress = false;
  }

  /** Any sign of life from the peer on this link (ACK, PONG) that is not a delivery. */
  onProgress(now: number): void {
    if (this.#inFlight === 0) this.#lastProgressAt = now;
    this.#lostSinceProgress = false;
  }

  /** An RTT measurement (ms), already corrected for the peer's acknowledgement delay. */
  onRttSample(rttMs: number, now: number): void {
    if (!(rttMs >= 0) || !Number.isFinite(rttMs)) return;
    if (this.#srtt === 0) {
      this.#srtt = rttMs;
      this.#rttvar = rttMs / 2;
    } else {
      // RFC 6298 smoothing; an idle link (a PONG) gets few samples, so each weighs more: the
      // queue an old average saw has had time to drain.
      const g = this.#inFlight === 0 ? IDLE_RTT_GAIN : 0.125;
      this.#rttvar = (1 - 2 * g) * this.#rttvar + 2 * g * Math.abs(this.#srtt - rttMs);
      this.#srtt = (1 - g) * this.#srtt + g * rttMs;
    }
    if (rttMs <= this.#minRtt) {
      this.#minRtt = rttMs;
      this.#minRttAt = now;
      if (this.#probeUntil !== null) this.#endProbe(); // the minimum holds: no need to drain
      return;
    }
    if (rttMs <= this.#minRtt * MIN_RTT_CONFIRM + 1 + this.#blockMs()) {
      // Close enough to the minimum: no queue stands, so draining (further) would only cost
      // throughput.
      this.#minRttAt = now;
      if (this.#probeUntil !== null) this.#endProbe();
      return;
    }
    if (this.#probeUntil !== null) {
      this.#probeMin = Math.min(this.#probeMin, rttMs);
      if (now >= this.#probeUntil) {
        // The queue has drained: what the path gave now is its minimum, even if longer, but
        // only step by step (a queue that would not drain must not feed the budget).
        this.#minRtt = Math.min(this.#probeMin, this.#minRtt * PROBE_RTT_MAX_RISE);
        this.#minRttAt = now;
        this.#endProbe();
      }
    } else if (now - this.#minRttAt > this.#minRttWindowMs && this.#queueStands()) {
      this.#probeUntil = now + Math.max(PROBE_RTT_MS, PROBE_RTT_SRTTS * this.#srtt);
      this.#probeMin = rttMs;
    }
  }

  /**
   * Whether a probe is worth its cost: always for the first minimum, which start-up's own
   * queue inflates; later only while a queue stands (see PROBE_RTT_QUEUE).
   */
  #queueStands(): boolean {
    return this.#minRttWindowMs === FIRST_MIN_RTT_WINDOW_MS ||
      this.#srtt > PROBE_RTT_QUEUE * (BDP_GAIN * this.#minRtt + this.#blockMs() + HOST_SLACK_MS);
  }

  #endProbe(): void {
    this.#probeUntil = null;
    this.#minRttWindowMs = MIN_RTT_WINDOW_MS;
  }

  /**
   * One block's own time on the link (ms): an ACK echoes the block that arrived last, whose
   * sample holds its transmission, while the minimum may come from a small frame (a PING).
   */
  #blockMs(): number {
    return this.rateBps > 0 ? (this.blockBytes() * 8000) / this.rateBps : 0;
  }

  /** True while the link drains to measure its minimum RTT again. */
  get probingRtt(): boolean {
    return this.#probeUntil !== null;
  }

  /**
   * Measured, but no rate sample has spanned RATE_SPAN_MS yet: the short ones overstate by
   * their bunching (a token bucket's burst, acknowledgements read together), so the budget
   * and block size keep their start values until one has.
   */
  #unspanned(): boolean {
    return !this.#spanned && this.#rateBps > 0;
  }

  /** Bytes this link may hold in flight now. */
  budgetBytes(): number {
    const rate = this.rateBps;
    // Before a sample spans RATE_SPAN_MS, keep the start values: in the netns lab a 2 Mbit/s
    // link read as 7.6 at 150 ms, and a budget grown from that queued 175 ms on it.
    if (rate === 0 || this.#srtt === 0 || this.#unspanned()) {
      return Math.max(this.#opts.initialBudgetBytes, 2 * this.blockBytes());
    }
    // minRtt is the path; srtt above it is queueing we must not feed.
    const bytesPerMs = rate / 8 / 1000;
    if (this.#probeUntil !== null) {
      return Math.ceil(Math.max(this.blockBytes(), PROBE_RTT_SHARE * bytesPerMs * this.minRttMs));
    }
    // The gain lets the rate estimate grow; HOST_SLACK_MS covers delayed acknowledgements
    // and event-loop turns, which matter only on very fast, very short paths. The minimum RTT
    // was measured on a block, so it holds that block's own time on the link, which the two
    // blocks already count: on a 128 kbit/s modem a 2 KiB block is 128 ms, and counting it
    // twice overfilled a tbf queue of two frames (TCP re-sent, the link stalled).
    const block = this.blockBytes();
    const pathMs = Math.max(0, this.minRttMs - block / bytesPerMs);
    return Math.ceil(bytesPerMs * (this.#gain() * pathMs + HOST_SLACK_MS) + 2 * block);
  }

  /** Block size for this link: about BLOCK_INTERVAL_MS of its rate (the patent's claim 8). */
  blockBytes(): number {
    const rate = this.rateBps;
    if (rate === 0 || this.#unspanned()) return UNMEASURED_BLOCK;
    const bytes = (rate / 8) * (BLOCK_INTERVAL_MS / 1000);
    return Math.min(MAX_BLOCK, Math.max(MIN_BLOCK, Math.round(bytes)));
  }

  /** Room left in the budget (bytes, may be negative). */
  roomBytes(): number {
    return this.budgetBytes() - this.#inFlight;
  }

  /** The time at which this link counts as stalled if nothing is acknowledged before then. */
  stallDeadline(): number | null {
    // Data waits, or what waited was given up on (re-sent elsewhere) without an answer: a
    // silent link whose blocks the peer asked for again is not an idle one.
    if (this.#inFlight === 0 && !this.#lostSinceProgress) return null;
    const rtt = this.#srtt || 100;
    const wait = Math.max(this.#opts.stallFloorMs, this.#opts.stallRtts * (rtt + 4 * this.#rttvar));
    return this.#lastProgressAt + wait;
  }

  /** Data waits in flight and its acknowledgements stopped for a few RTTs. */
  isStalled(now: number): boolean {
    const d = this.stallDeadline();
    return d !== null && now >= d;
  }

  #mark(now: number): void {
    const last = this.#marks[this.#marks.length - 1];
    // One acknowledgement settles several blocks at one instant: the mark holds them all.
    if (last && last.at === now) last.delivered = this.#delivered;
    if (last && now - last.at < MARK_EVERY_MS) return;
    this.#marks.push({ at: now, delivered: this.#delivered });
    // Keep what a span can reach back to, and one more.
    const keepFrom = now - 2 * Math.max(RATE_SPAN_MS, this.minRttMs);
    let drop = 0;
    while (drop < this.#marks.length - 2 && this.#marks[drop + 1].at <= keepFrom) drop++;
    if (drop > 64) this.#marks.splice(0, drop);
  }

  /** The latest delivery mark at or before `t`, if any. */
  #markBefore(t: number): DeliveryMark | null {
    let lo = 0;
    let hi = this.#marks.length - 1;
    let found: DeliveryMark | null = null;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.#marks[mid].at <= t) {
        found = this.#marks[mid];
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  #addRateSample(bps: number, now: number): void {
    const window = this.#opts.rateWindowMs;
    this.#samples.push({ at: now, bps });
    while (this.#samples.length > 0 && this.#samples[0].at < now - window) this.#samples.shift();
    if (this.#samples.length > 256) this.#samples.splice(0, this.#samples.length - 256);
    let max = 0;
    for (const s of this.#samples) if (s.bps > max) max = s.bps;
    this.#rateBps = max;
    if (max >= this.#plateauBps * STARTUP_GROWTH) {
      this.#plateauBps = max;
      this.#plateauAt = now;
    } else if (now - this.#plateauAt > STARTUP_ROUNDS * Math.max(10, this.minRttMs)) {
      this.#startup = false;
    }
  }

  /** In flight allowed per byte of the path's BDP now. */
  #gain(): number {
    // Start-up grows from measurements: a nominal rate (`--link rate=`) is not one, and the
    // short samples of the first round trips overstate (by their bunching) too much to be
    // multiplied by 2.89 on a slow link.
    return this.#startup && this.#spanned ? STARTUP_GAIN : BDP_GAIN;
  }

  /** True while the link's rate is still being found. */
  get startingUp(): boolean {
    return this.#startup;
  }
}
