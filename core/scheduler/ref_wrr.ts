/**
 * `ref-wrr`, for comparison only: MLVPN-style weighted round robin. Each link's weight is its
 * configured nominal rate (`caps.rateBps`, MLVPN's `bandwidth_upload`), fixed for the session;
 * equal weights when no link has one, the mean of the given ones for a link without.
 * Follows MLVPN's documented scheduler (weighted round robin over the tunnels by configured
 * bandwidth), realised as the smooth weighted round robin nginx documents: every ready link
 * gains its weight, the richest one sends and pays the sum of the weights. Blocks are one
 * fixed size, as MLVPN's packets are; room is the shared budget (sendable() semantics).
 * @module
 */
import type { BlockRequest, Choice, LinkView, Policy } from "./policy.ts";
import { blockFor, candidates, canTake } from "./policy.ts";

/** Options of the weighted round-robin reference policy. */
export interface WrrOptions {
  /** Size of every block (bytes, default 16 KiB). */
  blockBytes?: number;
}

/**
 * Creates the weighted round-robin reference policy.
 * @example
 * ```ts
 * const policy = refWrrPolicy();
 * policy.choose(links, { retransmit: false, bytes: 100_000 }, ctx);
 * ```
 */
export function refWrrPolicy(opts: WrrOptions = {}): Policy {
  const size = opts.blockBytes ?? 16 * 1024;
  const credit = new Map<number, number>();
  return {
    name: "ref-wrr",
    reference: true,
    choose(links: readonly LinkView[], req: BlockRequest): Choice | null {
      const ready = candidates(links, req)
        .filter((l) => canTake(l, req))
        .sort((a, b) => a.index - b.index);
      if (ready.length === 0) return null;
      const given = links.map((l) => l.caps.rateBps ?? 0).filter((r) => r > 0);
      const fallback = given.length ? given.reduce((a, b) => a + b, 0) / given.length : 1;
      const weight = (l: LinkView) => (l.caps.rateBps ?? 0) > 0 ? l.caps.rateBps! : fallback;
      let best = ready[0];
      let total = 0;
      for (const l of ready) {
        credit.set(l.index, (credit.get(l.index) ?? 0) + weight(l));
        total += weight(l);
        if (credit.get(l.index)! > credit.get(best.index)!) best = l;
      }
      credit.set(best.index, credit.get(best.index)! - total);
      return { index: best.index, maxBytes: blockFor(best, req, size) };
    },
  };
}
