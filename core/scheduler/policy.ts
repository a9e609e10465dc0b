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

/** A policy's answer: this link, a block of at most this many bytes. */
export interface Choice {
  index: number;
  maxBytes: number;
}

/**
 * A scheduling policy.
 * @example
 * ```ts
 * const choice = policy.choose(links, { retransmit: false, bytes: 65536 }, now);
 * ```
 */
export interface Policy {
  readonly name: string;
  choose(links: readonly LinkView[], req: BlockRequest, now: number): Choice | null;
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
