/**
 * Encoder feedback: the bitrate the bond can sustain within the receiver's deadline, with
 * headroom. Pure; the collector feeds it what the endpoint measured.
 *
 * The formula, in order:
 * 1. count the links the scheduler would use: up (a stalled link is not), under their data
 *    cap, backups only while no other link counts, and with `1.5 x RTT <= deadline` (a block
 *    lost on the link is noticed after about one RTT and re-sent in half of one more, so
 *    anything slower cannot repair a loss in time);
 * 2. capacity = the sum of their measured delivery rates;
 * 3. take off what re-sends cost: `x (1 - resendShare)`, the share of payload sent again over
 *    the last 10 s;
 * 4. keep headroom: `x 0.8`. The delivery rate is a maximum over a second (it overstates the
 *    average), cellular capacity moves on that scale, and a VBR encoder overshoots its target
 *    around keyframes: 0.8 leaves 25 % above the recommendation for all three, and a queue
 *    that builds drains within the deadline instead of growing;
 * 5. never below what the input sends now while the links keep up with it (no backlog, few
 *    re-sends): rates measured while the input is lighter than the links only show what was
 *    offered, and following them down would shrink the encoder step by step to nothing.
 * @module
 */
import type { BitrateSnapshot } from "./snapshot.ts";

/** Share of the capacity recommended. */
export const HEADROOM = 0.8;
/** A link counts when this many RTTs fit in the deadline (loss noticed, block re-sent). */
export const RTT_FACTOR = 1.5;
/** Above this re-send share the links are struggling: no floor at the input rate. */
const STRUGGLING_RESEND_SHARE = 0.02;

/** One link as the formula sees it. */
export interface BitrateLink {
  index: number;
  state: "up" | "stalled" | "down";
  /** Measured delivery rate (bit/s), 0 if unknown. */
  rateBps: number;
  /** Smoothed RTT (ms), 0 or null before the first sample. */
  rttMs: number | null;
  priority: "primary" | "secondary" | "backup" | null;
  /** Data cap for the session (bytes), if any. */
  capBytes?: number;
  /** Payload sent on it so far (bytes), against the cap. */
  sentBytes: number;
}

/** What the formula needs besides the links. */
export interface BitrateInput {
  links: readonly BitrateLink[];
  /** The receiver's buffer period (ms). */
  deadlineMs: number;
  /** Payload sent again over payload sent, recent (0 to 1). */
  resendShare: number;
  /** Input rate now (bit/s). */
  inputBps: number;
  /** Input is waiting for the links (a backlog). */
  backlogged: boolean;
}

/**
 * The recommendation, with the figures it came from.
 * @example
 * ```ts
 * const b = recommendBitrate({
 *   links: [{ index: 1, state: "up", rateBps: 10e6, rttMs: 40, priority: "primary", sentBytes: 0 }],
 *   deadlineMs: 3000, resendShare: 0, inputBps: 2e6, backlogged: false,
 * });
 * b.recommendedBps; // 8e6
 * ```
 */
export function recommendBitrate(i: BitrateInput): BitrateSnapshot {
  const fits = (l: BitrateLink) =>
    l.state === "up" &&
    (l.capBytes === undefined || l.sentBytes < l.capBytes) &&
    RTT_FACTOR * (l.rttMs ?? 0) <= i.deadlineMs;
  let counted = i.links.filter(fits);
  if (counted.some((l) => l.priority !== "backup")) {
    counted = counted.filter((l) => l.priority !== "backup");
  }
  const capacityBps = counted.reduce((s, l) => s + Math.max(0, l.rateBps), 0);
  const resendShare = Math.min(1, Math.max(0, i.resendShare));
  let recommendedBps = capacityBps * (1 - resendShare) * HEADROOM;
  const keepingUp = !i.backlogged && resendShare <= STRUGGLING_RESEND_SHARE;
  if (counted.length > 0 && keepingUp) recommendedBps = Math.max(recommendedBps, i.inputBps);
  return {
    recommendedBps: Math.round(recommendedBps),
    capacityBps: Math.round(capacityBps),
    resendShare,
    headroom: HEADROOM,
    inputBps: Math.round(Math.max(0, i.inputBps)),
    deadlineMs: i.deadlineMs,
    limitedBy: counted.length === 0 ? "none" : keepingUp ? "input" : "links",
    links: counted.map((l) => l.index).sort((a, b) => a - b),
  };
}
