/**
 * Input pacing: how many input bytes the sender may hold queued and unsent, so that a source
 * faster than the bond is made to wait (back-pressure) instead of being queued. A live
 * encoder's byte that waits in our queue is as late as one that waits on a link: a deep input
 * queue is delivery delay.
 *
 * The cap, in order:
 * 1. the free budget of every link that can take data now (up, not blocked): what the links
 *    would take at once must be there to take, or a link idles (start-up: unmeasured links
 *    have their initial budget);
 * 2. plus `queueMs` of the links' summed delivery rate: enough for the scheduler to have a
 *    choice and to keep the links busy between two acknowledgements...
 * 3. ...stretched while a link needs longer to be worth feeding: a scheduler that sends each
 *    block where it arrives first uses a link only if what waits here would take the others
 *    longer than that link takes to deliver a block, so the queue lasts as long as the slowest
 *    link's two blocks plus its one-way delay beyond the fastest link's (the patent's
 *    128 kbit/s link; a modem with a long path). Otherwise a source faster than the bond
 *    would find part of the bond idle. Never beyond a share of the deadline (the receiver's
 *    buffer period);
 * 4. at least a few blocks (`floorBytes`, or two blocks per link), at most `ceilingBytes`
 *    (the session's input queue limit).
 * Pure: it reads the links' estimators, which learn on the clock they are given.
 * @module
 */
import type { LinkView } from "../scheduler/policy.ts";

/** Tunables of the input pacing. */
export interface InputPacingOptions {
  /** Time's worth of the links' delivery rate that may wait in the input queue (ms). */
  queueMs: number;
  /** The queue never holds more than this share of the deadline in time. */
  deadlineShare: number;
  /** Smallest cap (bytes): start-up and unmeasured links must still get blocks. */
  floorBytes: number;
  /** Largest cap (bytes). */
  ceilingBytes: number;
}

/**
 * Defaults: 15 ms of queue. Measured on 20/10/5/2 Mbit/s (docs/BENCH.md): 15, 30, 50 and 100 ms
 * kept the same efficiency (94.3 to 94.7 %), and each millisecond here is a millisecond of
 * delivery delay (15 instead of 30: p50 83 to 88 ms instead of 90 to 95). Blocks carry 10 ms
 * of their link's rate, so every link's two blocks stretch it to at least 20 ms (3. above).
 */
export const DEFAULT_INPUT_PACING: InputPacingOptions = {
  queueMs: 15,
  deadlineShare: 0.25,
  floorBytes: 16 * 1024,
  ceilingBytes: 4 * 1024 * 1024,
};

/** A link with less than this share of the bond's rate does not stretch the queue. */
const WORTH_WAITING_SHARE = 1 / 32;
/** Blocks a slow link should find waiting to be kept busy (one going out, one behind it). */
const BLOCKS_PER_SLOW_LINK = 2;

/**
 * The most input bytes worth holding queued now, for these links and this deadline.
 * @example
 * ```ts
 * const cap = inputQueueCapBytes(links, 3000);
 * const room = Math.max(0, cap - queuedBytes);
 * ```
 */
export function inputQueueCapBytes(
  links: Iterable<LinkView>,
  deadlineMs: number,
  opts: InputPacingOptions = DEFAULT_INPUT_PACING,
): number {
  let rateBps = 0;
  let freeBytes = 0;
  let blockBytes = 0;
  let fastestOwd = Infinity;
  let slowest = 0;
  const rates: [number, number][] = [];
  for (const l of links) {
    if (l.state !== "up") continue;
    const rate = l.est.rateBps;
    const block = l.est.blockBytes();
    const owd = l.est.oneWayDelayMs;
    rateBps += rate;
    blockBytes += block;
    if (!l.blocked) freeBytes += Math.max(0, l.est.roomBytes());
    fastestOwd = Math.min(fastestOwd, owd);
    if (rate <= 0) continue;
    rates.push([rate, (BLOCKS_PER_SLOW_LINK * block * 8000) / rate + owd]);
  }
  // 3. How long the slowest link worth waiting for takes to deliver its blocks from now; a
  // link carrying a sliver of the bond's rate is not worth a queue for everybody.
  for (const [rate, deliverMs] of rates) {
    if (rate >= rateBps * WORTH_WAITING_SHARE) slowest = Math.max(slowest, deliverMs);
  }
  let queueMs = Math.max(opts.queueMs, slowest - (Number.isFinite(fastestOwd) ? fastestOwd : 0));
  queueMs = Math.min(queueMs, Math.max(opts.queueMs, opts.deadlineShare * deadlineMs));
  const paced = freeBytes + (rateBps / 8000) * queueMs;
  const floor = Math.max(opts.floorBytes, BLOCKS_PER_SLOW_LINK * blockBytes);
  return Math.ceil(Math.min(opts.ceilingBytes, Math.max(floor, paced)));
}

/**
 * Input bytes to accept now: the cap less what already waits, never negative.
 * @example
 * ```ts
 * const room = pacedInputRoom(links, out.queuedBytes, peerBufferMs);
 * ```
 */
export function pacedInputRoom(
  links: Iterable<LinkView>,
  queuedBytes: number,
  deadlineMs: number,
  opts: InputPacingOptions = DEFAULT_INPUT_PACING,
): number {
  return Math.max(0, inputQueueCapBytes(links, deadlineMs, opts) - queuedBytes);
}
