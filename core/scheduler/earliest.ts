/**
 * `earliest`: each block goes to the link where it is predicted to arrive first (the ECF and
 * BLEST family). Predicted arrival = (bytes queued ahead on the link + the block) / delivery
 * rate + one-way delay, where "queued ahead" is what the link holds in flight beyond its own
 * rate x minimum RTT.
 *
 * When the link that would deliver first is full, a slower link with room takes the block
 * only if that still beats waiting, and waiting means the faster links must carry what is
 * queued on them plus all the input waiting here (ECF's condition: a backlog makes the slow
 * link worth it). Otherwise choose() returns null and the block waits for the fast link, unless
 * the sender's paced input queue is at least half full (the source itself waits, so the backlog
 * is larger than it shows) and the slower link holds nothing queued beyond its path: then it
 * takes the block.
 * @module
 */
import type { BlockRequest, Choice, LinkView, Policy, PolicyContext } from "./policy.ts";
import { inputQueueCapBytes } from "../session/input_pacing.ts";
import {
  arrivalMs,
  blockFor,
  candidates,
  canTake,
  capRoomBytes,
  DEFAULT_ONE_WAY_MS,
  DEFAULT_RATE_BPS,
} from "./policy.ts";

/** A candidate link with the block it would take and when that block would arrive. */
export interface RankedLink {
  link: LinkView;
  /** Bytes of the block this link would take. */
  bytes: number;
  /** Predicted arrival of that block, from now (ms). */
  arrivalMs: number;
  /** The link can take the block now. */
  ready: boolean;
}

/**
 * The candidate links that are not blocked, earliest predicted arrival first.
 * @example
 * ```ts
 * const [first] = rankByArrival(links, { retransmit: false, bytes: 65536 });
 * ```
 */
export function rankByArrival(links: readonly LinkView[], req: BlockRequest): RankedLink[] {
  // Optimism for links never measured (a modem that just joined): rate them like the best
  // measured link, so they get a block, get measured, and then compete on their own figures.
  // A pessimistic default would leave them unused, and so unmeasured, for ever.
  const optimistic = Math.max(DEFAULT_RATE_BPS, ...links.map((l) => l.est.rateBps));
  return candidates(links, req)
    .filter((l) => !l.blocked)
    .map((link) => {
      const bytes = req.retransmit
        ? req.bytes
        : Math.max(1, Math.min(req.bytes, link.est.blockBytes(), capRoomBytes(link)));
      const arrival = arrivalMs(link, bytes, optimistic);
      return { link, bytes, arrivalMs: arrival, ready: canTake(link, req) };
    })
    .sort((a, b) => a.arrivalMs - b.arrivalMs || a.link.index - b.link.index);
}

/**
 * The link `earliest` picks from a ranking, or null when the block should wait.
 * @example
 * ```ts
 * const pick = pickEarliest(rankByArrival(links, req), req, ctx);
 * ```
 */
export function pickEarliest(
  ranked: readonly RankedLink[],
  req: BlockRequest,
  ctx: PolicyContext,
): RankedLink | null {
  const i = ranked.findIndex((r) => r.ready);
  if (i < 0) return null;
  if (i === 0) return ranked[0];
  // The input queue is paced (core/session/input_pacing.ts): when it is at least half full,
  // more input waits upstream, unseen by the drain time below. A link that would sit idle
  // then is capacity lost while that backlog grows (recorded cellular traces at 3 Mbit/s: 97 %
  // of blocks on time instead of 100 %), so a link with nothing queued beyond its path (less
  // than this block) takes the block. Filling slow links up to their whole budget instead
  // cost a third more delay on 20/10/5/2 Mbit/s.
  const cap = inputQueueCapBytes(ranked.map((r) => r.link), ctx.bufferMs);
  const shallow = ranked[i].link.est.queuedAheadBytes < ranked[i].bytes;
  if (shallow && ctx.queuedBytes >= cap / 2) return ranked[i];
  // Everything ahead of the first ready link is full. Waiting for them means they carry their
  // own queues plus everything waiting here; the slower link is used only if it beats that.
  const waiting = req.retransmit
    ? req.bytes + ctx.queuedBytes
    : Math.max(req.bytes, ctx.queuedBytes);
  return ranked[i].arrivalMs <= drainMs(ranked.slice(0, i), waiting) ? ranked[i] : null;
}

/** When `faster` together would have delivered their queues plus `waiting` bytes (ms). */
function drainMs(faster: readonly RankedLink[], waiting: number): number {
  let bytes = waiting;
  let rate = 0;
  let owd = Infinity;
  for (const { link } of faster) {
    bytes += link.est.queuedAheadBytes;
    rate += link.est.rateBps || DEFAULT_RATE_BPS;
    owd = Math.min(owd, link.est.srttMs > 0 ? link.est.oneWayDelayMs : DEFAULT_ONE_WAY_MS);
  }
  return (bytes * 8000) / rate + owd;
}

/**
 * Creates the earliest-arrival policy.
 * @example
 * ```ts
 * const policy = earliestPolicy();
 * policy.choose(links, { retransmit: false, bytes: 100_000 }, ctx);
 * ```
 */
export function earliestPolicy(): Policy {
  return {
    name: "earliest",
    hedgeLate: true,
    choose(links: readonly LinkView[], req: BlockRequest, ctx: PolicyContext): Choice | null {
      const pick = pickEarliest(rankByArrival(links, req), req, ctx);
      return pick ? { index: pick.link.index, maxBytes: blockFor(pick.link, req) } : null;
    },
  };
}
