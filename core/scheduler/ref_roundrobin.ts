/**
 * `ref-roundrobin`, for comparison only: each block goes to the next link in turn (by index)
 * that has room, in blocks of one fixed size whatever the link's rate.
 * Follows the classic round-robin scheduler as described for Linux MPTCP's `roundrobin`
 * module and for multipath VPNs: "send on each subflow in turn while its window has space".
 * Room is our shared budget (sendable() semantics), which stands in for that window.
 * @module
 */
import type { BlockRequest, Choice, LinkView, Policy } from "./policy.ts";
import { blockFor, candidates, canTake } from "./policy.ts";

/** Options of the round-robin reference policy. */
export interface RoundRobinOptions {
  /** Size of every block (bytes, default 16 KiB). */
  blockBytes?: number;
}

/**
 * Creates the round-robin reference policy.
 * @example
 * ```ts
 * const policy = refRoundRobinPolicy({ blockBytes: 8192 });
 * policy.choose(links, { retransmit: false, bytes: 100_000 }, ctx);
 * ```
 */
export function refRoundRobinPolicy(opts: RoundRobinOptions = {}): Policy {
  const size = opts.blockBytes ?? 16 * 1024;
  let last = -Infinity;
  return {
    name: "ref-roundrobin",
    reference: true,
    choose(links: readonly LinkView[], req: BlockRequest): Choice | null {
      const ready = candidates(links, req)
        .filter((l) => canTake(l, req))
        .sort((a, b) => a.index - b.index);
      if (ready.length === 0) return null;
      const next = ready.find((l) => l.index > last) ?? ready[0];
      last = next.index;
      return { index: next.index, maxBytes: blockFor(next, req, size) };
    },
  };
}
