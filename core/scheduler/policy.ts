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
  choose(links: readonly LinkView[], req: BlockRequest, ctx: PolicyContext): Choice | null;
  /** Feedback for policies that keep their own per-link state (srtla's windows, say). */
  onDelivered?(index: number, bytes: number, ctx: PolicyContext): void;
  /** A block sent on `index` was declared lost there (stall, death) or NACKed. */
  onLost?(index: number, bytes: number, ctx: PolicyContext): void;
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
