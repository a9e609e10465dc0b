/**
 * `redundant`: the best two links carry every block, to cut tail delay. The first is the one
 * `earliest` picks (waiting included); the copy goes to the ready link with the next earliest
 * predicted arrival. In mode "critical" only re-sends and blocks flagged `critical` (keyframe
 * starts) are copied; everything else is scheduled exactly as `earliest` does.
 * @module
 */
import type { BlockRequest, Choice, LinkView, Policy, PolicyContext } from "./policy.ts";
import { blockFor, capRoomBytes } from "./policy.ts";
import { pickEarliest, rankByArrival } from "./earliest.ts";

/** Options of the redundant policy. */
export interface RedundantOptions {
  /** "all" (default): copy every block; "critical": only re-sends and critical blocks. */
  mode?: "all" | "critical";
}

/**
 * Creates the redundant policy.
 * @example
 * ```ts
 * const policy = redundantPolicy({ mode: "critical" });
 * policy.choose(links, { retransmit: true, bytes: 1200, avoid: 2 }, ctx)?.copies;
 * ```
 */
export function redundantPolicy(opts: RedundantOptions = {}): Policy {
  const mode = opts.mode ?? "all";
  return {
    name: mode === "all" ? "redundant" : "redundant-critical",
    hedgeLate: true,
    choose(links: readonly LinkView[], req: BlockRequest, ctx: PolicyContext): Choice | null {
      const ranked = rankByArrival(links, req);
      const pick = pickEarliest(ranked, req, ctx);
      if (!pick) return null;
      let maxBytes = blockFor(pick.link, req);
      if (mode === "critical" && !req.retransmit && !req.critical) {
        return { index: pick.link.index, maxBytes };
      }
      // The copy never goes where a re-send was lost: that link failed this block once.
      const copy = ranked.find((r) =>
        r.ready && r.link !== pick.link && r.link.index !== req.avoid
      );
      if (!copy) return { index: pick.link.index, maxBytes };
      if (!req.retransmit) maxBytes = Math.max(1, Math.min(maxBytes, capRoomBytes(copy.link)));
      return { index: pick.link.index, maxBytes, copies: [copy.link.index] };
    },
  };
}
