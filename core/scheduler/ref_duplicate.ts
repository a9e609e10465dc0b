/**
 * `ref-duplicate`, for comparison only: every block on every link that can take it now.
 * Follows engarde's description ("sends every packet through all the available interfaces;
 * the receiver keeps the first copy"). engarde's UDP sockets drop what a slow link cannot
 * carry; here a link that is blocked or out of budget room skips the block, which is the
 * same thing without filling a TCP queue. The fastest ready link carries the original and
 * sizes the block; the others carry copies.
 * @module
 */
import type { BlockRequest, Choice, LinkView, Policy } from "./policy.ts";
import { blockFor, candidates, canTake, capRoomBytes } from "./policy.ts";

/**
 * Creates the duplicate-everything reference policy.
 * @example
 * ```ts
 * const policy = refDuplicatePolicy();
 * policy.choose(links, { retransmit: false, bytes: 100_000 }, ctx)?.copies;
 * ```
 */
export function refDuplicatePolicy(): Policy {
  return {
    name: "ref-duplicate",
    reference: true,
    choose(links: readonly LinkView[], req: BlockRequest): Choice | null {
      const ready = candidates(links, req)
        .filter((l) => canTake(l, req))
        .sort((a, b) => b.est.rateBps - a.est.rateBps || a.index - b.index);
      if (ready.length === 0) return null;
      const [first, ...others] = ready;
      let maxBytes = blockFor(first, req);
      // Every copy must fit under its link's cap too.
      for (const l of others) if (!req.retransmit) maxBytes = Math.min(maxBytes, capRoomBytes(l));
      const choice: Choice = { index: first.index, maxBytes: Math.max(1, maxBytes) };
      if (others.length > 0) choice.copies = others.map((l) => l.index);
      return choice;
    },
  };
}
