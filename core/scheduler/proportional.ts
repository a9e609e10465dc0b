/**
 * `proportional`: the patent's bandwidth-proportional split (claim 8). Every usable link
 * takes blocks while it has room in its budget (rate x RTT), and each block is sized to the
 * link's delivery rate, so over time each link carries a share proportional to its rate.
 * Among links with room the emptiest (in flight / budget) goes first, which spreads a burst
 * across links the same way.
 * @module
 */
import type { BlockRequest, Choice, LinkView, Policy } from "./policy.ts";
import { sendable } from "./policy.ts";

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
    choose(links: readonly LinkView[], req: BlockRequest): Choice | null {
      let candidates = sendable(links, req.retransmit ? req.bytes : 1);
      // Backup links carry data only while no other link is up. This comes before the
      // avoid rule: avoiding the only primary must not leave nothing at all.
      if (links.some((l) => l.state === "up" && l.caps.priority !== "backup")) {
        candidates = candidates.filter((l) => l.caps.priority !== "backup");
      }
      if (req.avoid !== undefined && candidates.length > 1) {
        candidates = candidates.filter((l) => l.index !== req.avoid);
      }
      let best: LinkView | null = null;
      let bestFill = Infinity;
      for (const l of candidates) {
        const fill = l.est.inFlightBytes / Math.max(1, l.est.budgetBytes());
        if (fill < bestFill) {
          best = l;
          bestFill = fill;
        }
      }
      if (!best) return null;
      const maxBytes = Math.min(best.est.blockBytes(), Math.max(best.est.roomBytes(), 4096));
      return { index: best.index, maxBytes };
    },
  };
}
