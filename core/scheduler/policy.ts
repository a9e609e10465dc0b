/**
 * The scheduling policy interface: given the links as the sender sees them, which link takes
 * the next block, and how large a block. Policies are pure and hold no clock.
 * @module
 */
import type { LinkCaps } from "../frame/types.ts";
import type { LinkEstimator } from "./link_estimator.ts";

/** Link states as the scheduler sees them. */
export type LinkState = "up" | "stalled" | "down";

/** One link, read-only, as offered to a policy. */
export interface LinkView {
  /** VPN index of the link's tunnel. */
  index: number;
  caps: LinkCaps;
  state: LinkState;
  /** The link's socket is full: writing more would only queue in the kernel. */
  blocked: boolean;
  est: Readonly<LinkEstimator>;
  /** Payload bytes this link has carried in the session (for data caps). */
  dataBytes: number;
}

/** What is about to be sent. */
export interface BlockRequest {
  /** A re-send of a block already sent (its size is fixed). */
  retransmit: boolean;
  /** Bytes of a re-sent block; for a new block, how much input waits. */
  bytes: number;
  /** A link to avoid (where a re-sent block was lost), unless it is the only one. */
  avoid?: number;
  /** A block that matters more than most (a keyframe start): `redundant` may copy it. */
  critical?: boolean;
}

/** What a policy knows of the session besides the links. */
export interface PolicyContext {
  now: number;
  /** The receiver's buffer period: the deadline a block should meet (ms). */
  bufferMs: number;
  /** Measured input rate (bit/s) over the last second or so; 0 before it is known. */
  inputRateBps: number;
  /** Input bytes waiting to be cut into blocks (a backlog says the links fall behind). */
  queuedBytes: number;
}

/** Why a block was given up on a link: the peer asked again, the link stalled, or it died. */
export type LossReason = "nack" | "stall" | "down";

/** A policy's answer: this link, a block of at most this many bytes. */
export interface Choice {
  index: number;
  maxBytes: number;
  /** Further links that carry a copy of the same block (redundant policies). */
  copies?: number[];
}

/**
 * A scheduling policy.
 * @example
 * ```ts
 * const choice = policy.choose(links, { retransmit: false, bytes: 65536 }, ctx);
 * ```
 */
export interface Policy {
  readonly name: string;
  /** A policy of another system, for comparison only: output names it as such. */
  readonly reference?: boolean;
  /**
   * Send a block again on another link when it is late on its own (its predicted arrival
   * long past), keeping the late copy in flight. Our policies do; reference policies keep
   * their systems' behaviour and do not.
   */
  readonly hedgeLate?: boolean;
  choose(links: readonly LinkView[], req: BlockRequest, ctx: PolicyContext): Choice | null;
  /** Feedback for policies that keep their own per-link state (srtla's windows, say). */
  onDelivered?(index: number, bytes: number, ctx: PolicyContext): void;
  /** A block sent on `index` was declared lost there (stall, death) or NACKed. */
  onLost?(index: number, bytes: number, ctx: PolicyContext, reason: LossReason): void;
}

/**
 * Links that can take a block now: up, not blocked, with room in their budget.
 * @example
 * ```ts
 * const ready = sendable(links);
 * ```
 */
export function sendable(links: readonly LinkView[], bytes = 1): LinkView[] {
  return links.filter((l) =>
    l.state === "up" && !l.blocked && (l.est.inFlightBytes === 0 || l.est.roomBytes() >= bytes)
  );
}

/** Smallest block worth sending on a nearly full link (bytes). */
const MIN_BLOCK_BYTES = 2048;
/** Rate assumed for a link nothing is known about (bit/s): conservative, the estimator learns. */
export const DEFAULT_RATE_BPS = 1_000_000;
/** One-way delay assumed for a link without an RTT sample (ms): a slow cellular path. */
export const DEFAULT_ONE_WAY_MS = 100;

/**
 * Bytes a link may still carry under its data cap (`caps.capBytes`); Infinity without a cap.
 * @example
 * ```ts
 * if (capRoomBytes(link) <= 0) console.log("cap reached");
 * ```
 */
export function capRoomBytes(l: LinkView): number {
  return l.caps.capBytes === undefined ? Infinity : l.caps.capBytes - l.dataBytes;
}

/** Bytes the request needs room for: a re-send all of it, a new block at least one byte. */
function needBytes(req: BlockRequest): number {
  return req.retransmit ? Math.max(1, req.bytes) : 1;
}

/**
 * Whether a link may carry this block at all: up, and under its data cap with room for it.
 * @example
 * ```ts
 * const live = links.filter((l) => usable(l, req));
 * ```
 */
export function usable(l: LinkView, req: BlockRequest): boolean {
  return l.state === "up" && capRoomBytes(l) >= needBytes(req);
}

/**
 * Whether a usable link can take the block now: not blocked and, as {@link sendable}, with
 * room in its budget (a re-send for its whole size; an idle link takes anything).
 * @example
 * ```ts
 * const ready = candidates(links, req).filter((l) => canTake(l, req));
 * ```
 */
export function canTake(l: LinkView, req: BlockRequest): boolean {
  return usable(l, req) && sendable([l], needBytes(req)).length === 1;
}

/**
 * The links a policy chooses among (the user's rules, the same for every policy): usable
 * links; backup links only while no other link is usable (blocked or full counts as usable);
 * the link a re-send was lost on only when no other candidate can take it now.
 * @example
 * ```ts
 * const pool = candidates(links, req);
 * ```
 */
export function candidates(links: readonly LinkView[], req: BlockRequest): LinkView[] {
  let pool = links.filter((l) => usable(l, req));
  // Backups first, then `avoid`: avoiding the only primary must not leave nothing at all.
  if (pool.some((l) => l.caps.priority !== "backup")) {
    pool = pool.filter((l) => l.caps.priority !== "backup");
  }
  return withoutAvoided(pool, req);
}

/**
 * Drops the link a re-send was lost on, unless no other link in `pool` can take it now.
 * @example
 * ```ts
 * const pool = withoutAvoided(activeLinks, req);
 * ```
 */
export function withoutAvoided(pool: readonly LinkView[], req: BlockRequest): LinkView[] {
  if (req.avoid === undefined) return [...pool];
  const others = pool.filter((l) => l.index !== req.avoid);
  return others.some((l) => canTake(l, req)) ? others : [...pool];
}

/**
 * The `maxBytes` for a block on `l`: `preferred` (about 10 ms of the link's rate), at most the
 * room in its budget but never under 4 KiB, within its data cap, and at least 1. A re-send
 * keeps its size.
 * @example
 * ```ts
 * return { index: best.index, maxBytes: blockFor(best, req) };
 * ```
 */
export function blockFor(l: LinkView, req: BlockRequest, preferred = l.est.blockBytes()): number {
  if (req.retransmit) return Math.max(1, req.bytes);
  const roomy = Math.min(preferred, Math.max(l.est.roomBytes(), MIN_BLOCK_BYTES));
  return Math.max(1, Math.floor(Math.min(roomy, capRoomBytes(l))));
}

/**
 * Predicted time until a block of `bytes` sent on `l` now has arrived (ms): the queue ahead
 * of it and the block itself at the delivery rate, plus the one-way delay. Unknown rates and
 * delays take conservative defaults ({@link DEFAULT_RATE_BPS}, {@link DEFAULT_ONE_WAY_MS}).
 * @example
 * ```ts
 * const first = ready.reduce((a, b) => arrivalMs(a, n) <= arrivalMs(b, n) ? a : b);
 * ```
 */
export function arrivalMs(
  l: LinkView,
  bytes: number,
  unmeasuredRateBps = DEFAULT_RATE_BPS,
): number {
  const rate = l.est.rateBps || unmeasuredRateBps;
  const owd = l.est.srttMs > 0 ? l.est.oneWayDelayMs : DEFAULT_ONE_WAY_MS;
  const modelled = ((l.est.queuedAheadBytes + bytes) * 8000) / rate + owd;
  // The smoothed RTT sees queueing that a stale, too-high rate estimate hides.
  const observed = l.est.srttMs > 0 ? l.est.srttMs / 2 + (bytes * 8000) / rate : 0;
  return Math.max(modelled, observed);
}
