/**
 * `proportional`: the patent's bandwidth-proportional split (claim 8). Every usable link
 * takes blocks while it has room in its budget (rate x RTT), and each block is sized to the
 * link's delivery rate, so over time each link carries a share proportional to its rate.
 * Among links with room the emptiest (in flight / budget) goes first, which spreads a burst
 * across links the same way.
 * @module
 */
import type { BlockRequest, Choice, LinkView, Policy } from "./policy.ts";
import { blockFor, candidates, canTake } from "./policy.ts";

/**
 * Creates the proportional policy.
 * @example
 * ```ts
 * const policy = proportionalPolicy();
 * policy.choose(links, { retransmit: false, bytes: 100_000 }, now);
 * ```
 */
export function proportionalPolicy(): Policy {
  return {
    name: "proportional",
    hedgeLate: true,
    choose(links: readonly LinkView[], req: BlockRequest): Choice | null {
      // The user's rules first (up, under its data cap, backups only while nothing else is
      // up, avoid the link a re-send was lost on), then the emptiest link that can take it.
      let best: LinkView | null = null;
      let bestFill = Infinity;
      for (const l of candidates(links, req)) {
        if (!canTake(l, req)) continue;
        const fill = l.est.inFlightBytes / Math.max(1, l.est.budgetBytes());
        if (fill < bestFill) {
          best = l;
          bestFill = fill;
        }
      }
      return best ? { index: best.index, maxBytes: blockFor(best, req) } : null;
    },
  };
}
