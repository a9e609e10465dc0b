/**
 * `ref-srtla`, for comparison only: srtla's sender (BELABOX). Each link keeps a window in
 * thousandths of a packet (start 20 packets, bounds 1 and 60); every packet acknowledged on
 * any link adds 1 to every live link's window, and 29 more to the link that carried it while
 * it still holds more packets in flight than its window; every packet lost (NAK) takes 100
 * from its link's window. A block goes to the link with the highest window / (packets in
 * flight + 1), integer-divided, the first on a tie.
 * Follows srtla's README ("packets in flight and a dynamic window per link ... balance the
 * traffic proportionally to capacity"), its published constants and the summary.
 * Differences, documented: srtla decides per SRT packet (1316 bytes) and leaves pacing to
 * SRT; here it decides per block (sized to the link's rate, counted as packets of
 * `packetBytes`) and links need room in the shared budget (sendable() semantics).
 * @module
 */
import type {
  BlockRequest,
  Choice,
  LinkView,
  LossReason,
  Policy,
  PolicyContext,
} from "./policy.ts";
import { blockFor, candidates, canTake } from "./policy.ts";

/** Options of the srtla reference policy. */
export interface SrtlaOptions {
  /** Bytes per packet for window arithmetic (default 1316: seven 188-byte TS packets). */
  packetBytes?: number;
}

/** The srtla policy, with its windows readable for tests and reports. */
export interface SrtlaPolicy extends Policy {
  /** A link's window in thousandths of a packet (the start value for an unknown link). */
  window(index: number): number;
}

const MULT = 1000;
const WINDOW_START = 20 * MULT;
const WINDOW_MIN = 1 * MULT;
const WINDOW_MAX = 60 * MULT;
const ACK_GAIN = 1;
const FULL_ACK_GAIN = 29;
const NAK_LOSS = 100;

/**
 * Creates the srtla reference policy.
 * @example
 * ```ts
 * const policy = refSrtlaPolicy();
 * policy.onLost?.(2, 1316, ctx);
 * policy.window(2); // 19_900
 * ```
 */
export function refSrtlaPolicy(opts: SrtlaOptions = {}): SrtlaPolicy {
  const pkt = opts.packetBytes ?? 1316;
  const windows = new Map<number, number>();
  /** The links as last offered: their live estimators give packets in flight to the hooks. */
  const views = new Map<number, LinkView>();
  const window = (i: number) => windows.get(i) ?? WINDOW_START;
  const clamp = (w: number) => Math.min(WINDOW_MAX, Math.max(WINDOW_MIN, w));
  const inFlightPkts = (l: LinkView) => Math.ceil(l.est.inFlightBytes / pkt);
  const packets = (bytes: number) => Math.max(1, Math.round(bytes / pkt));

  return {
    name: "ref-srtla",
    reference: true,
    window,
    choose(links: readonly LinkView[], req: BlockRequest): Choice | null {
      views.clear();
      for (const l of links) views.set(l.index, l);
      let best: LinkView | null = null;
      let bestScore = -1;
      for (const l of candidates(links, req)) {
        if (!canTake(l, req)) continue;
        const score = Math.floor(window(l.index) / (inFlightPkts(l) + 1));
        if (score > bestScore) [best, bestScore] = [l, score];
      }
      return best ? { index: best.index, maxBytes: blockFor(best, req) } : null;
    },
    onDelivered(index: number, bytes: number): void {
      const n = packets(bytes);
      const carrier = views.get(index);
      const after = carrier ? inFlightPkts(carrier) : 0;
      for (let k = 0; k < n; k++) {
        // The estimator already counts the whole block as delivered: replay packet by packet.
        const stillInFlight = after + (n - 1 - k);
        if (stillInFlight * MULT > window(index)) {
          windows.set(index, clamp(window(index) + FULL_ACK_GAIN));
        }
        for (const [i, l] of views) {
          if (l.state !== "down" && i !== index) windows.set(i, clamp(window(i) + ACK_GAIN));
        }
        windows.set(index, clamp(window(index) + ACK_GAIN));
      }
    },
    onLost(index: number, bytes: number, _ctx: PolicyContext, reason: LossReason): void {
      // srtla reacts to NAKs; a dead or stalled link is handled by its own keepalive logic.
      if (reason !== "nack") return;
      windows.set(index, clamp(window(index) - NAK_LOSS * packets(bytes)));
    },
  };
}
