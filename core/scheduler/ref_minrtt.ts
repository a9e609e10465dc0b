/**
 * `ref-minrtt`, for comparison only: the link with the lowest smoothed RTT among those with
 * room in their window; blocks sized to the link's rate.
 * Follows the default scheduler of the multipath-tcp.org Linux MPTCP kernel, as its
 * documentation describes it: among the subflows whose congestion window has space, the one
 * with the smallest smoothed RTT. Our shared budget (sendable() semantics) plays the window;
 * a link without an RTT sample ranks last.
 * @module
 */
import type { BlockRequest, Choice, LinkView, Policy } from "./policy.ts";
import { blockFor, candidates, canTake } from "./policy.ts";

/**
 * Creates the lowest-RTT reference policy.
 * @example
 * ```ts
 * const policy = refMinRttPolicy();
 * policy.choose(links, { retransmit: false, bytes: 100_000 }, ctx);
 * ```
 */
export function refMinRttPolicy(): Policy {
  const rtt = (l: LinkView) => l.est.srttMs || Infinity;
  return {
    name: "ref-minrtt",
    reference: true,
    choose(links: readonly LinkView[], req: BlockRequest): Choice | null {
      let best: LinkView | null = null;
      for (const l of candidates(links, req)) {
        if (!canTake(l, req)) continue;
        if (!best || rtt(l) < rtt(best) || (rtt(l) === rtt(best) && l.index < best.index)) {
          best = l;
        }
      }
      return best ? { index: best.index, maxBytes: blockFor(best, req) } : null;
    },
  };
}
