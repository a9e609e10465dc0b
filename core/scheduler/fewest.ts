/**
 * `fewest`: the fewest, cheapest links whose capacity carries the input within the deadline
 * (the patent's claim 1 and [0063]).
 *
 * 1. Order the usable links (up, under their data cap): primary, secondary, backup; within a
 *    class the cheapest, then the highest nominal rate. A link that came back after being
 *    lost sorts behind the steady ones of its class for `settleMs`, so a flapping link does
 *    not pull the set back and forth. The active set is the first `want` links of the order.
 * 2. Demand = input rate + the rate that drains the waiting input within the deadline (the
 *    buffer period minus the set's one-way delay). Capacity of a link = its usable rate x
 *    `headroom`: the measured rate when it is full (then the measurement is its capacity),
 *    otherwise the highest of measured, nominal and last rate seen full, or 1 Mbit/s.
 * 3. Add: only when the set is saturated (no member can take a block) and demand exceeds
 *    `addAbove` x its capacity; then as many links as the demand needs. An unsaturated set
 *    carries the input, however low an application-limited measurement looks. Saturation
 *    must hold for three RTTs (200 ms at least; over half of every budget in between), so
 *    that a burst lets the rate estimate climb before it counts, and additions come at most
 *    once per `addHoldMs`; neither wait applies when the waiting input would miss half the
 *    deadline.
 * 4. Drop the last link only when demand stayed under `dropBelow` x the capacity without it
 *    for `dropHoldMs`, and `dropHoldMs` after the last change.
 * Backups sort last, so they join only when every other link is in and still short. A
 * re-send that no member but the link it was lost on can carry now goes to the next link in
 * order that can (the one block a link outside the set carries). Within
 * the set, blocks go as in `proportional` (the emptiest by fill ratio, sized by rate): a set
 * sized to the demand needs no cleverer split, and "saturated" stays exact.
 * @module
 */
import type { BlockRequest, Choice, LinkView, Policy, PolicyContext } from "./policy.ts";
import {
  blockFor,
  candidates,
  canTake,
  DEFAULT_ONE_WAY_MS,
  DEFAULT_RATE_BPS,
  usable,
  withoutAvoided,
} from "./policy.ts";

/** Tunables of the fewest-links policy. */
export interface FewestOptions {
  /** Share of a link's rate counted on (default 0.8). */
  headroom?: number;
  /** Add links when demand exceeds this share of the set's capacity (default 0.9). */
  addAbove?: number;
  /** Drop a link when demand stays below this share of the rest's capacity (default 0.6). */
  dropBelow?: number;
  /** Least time between a change and the next addition (ms, default 2000). */
  addHoldMs?: number;
  /** How long demand must stay low before a drop, and since the last change (ms, 5000). */
  dropHoldMs?: number;
  /** How long a link that came back sorts behind steady ones (ms, default 2000). */
  settleMs?: number;
}

/** The fewest-links policy, with its current active set for reports and tests. */
export interface FewestPolicy extends Policy {
  /** Indices of the active set as of the last choose(), in order of preference. */
  readonly active: readonly number[];
}

const DEFAULTS: Required<FewestOptions> = {
  headroom: 0.8,
  addAbove: 0.9,
  dropBelow: 0.6,
  addHoldMs: 2000,
  dropHoldMs: 5000,
  settleMs: 2000,
};
const CLASS = { primary: 0, secondary: 1, backup: 2 } as const;
const NEW_BLOCK: BlockRequest = { retransmit: false, bytes: 1 };
/** However close the delay comes to the buffer period, plan to drain within this (ms). */
const MIN_DRAIN_MS = 100;
/** Saturation counts only after this long at least (ms). */
const MIN_CONFIRM_MS = 200;

/**
 * Creates the fewest-links policy.
 * @example
 * ```ts
 * const policy = fewestPolicy({ dropHoldMs: 10_000 });
 * policy.choose(links, { retransmit: false, bytes: 100_000 }, ctx);
 * policy.active; // e.g. [1]
 * ```
 */
export function fewestPolicy(opts: FewestOptions = {}): FewestPolicy {
  const o = { ...DEFAULTS, ...opts };
  let want = 1;
  let changedAt = -Infinity;
  let lowSince: number | null = null;
  let fullSince: number | null = null;
  let active: number[] = [];
  const upBefore = new Set<number>();
  const returnedAt = new Map<number, number>();
  /** The rate each link delivered when last seen full: its proven capacity. */
  const proven = new Map<number, number>();

  const capacity = (ls: readonly LinkView[]) => ls.reduce((sum, l) => sum + rateOf(l), 0);
  function rateOf(l: LinkView): number {
    const measured = l.est.measured ? l.est.rateBps : 0;
    // A full link delivers all it can: its measurement is its capacity. Any other link
    // may be application-limited, so its measurement is only a lower bound.
    if (measured > 0 && !canTake(l, NEW_BLOCK)) {
      proven.set(l.index, measured);
      return measured * o.headroom;
    }
    const bps = Math.max(measured, l.caps.rateBps ?? 0, proven.get(l.index) ?? 0);
    return (bps || DEFAULT_RATE_BPS) * o.headroom;
  }

  function order(links: readonly LinkView[], now: number): LinkView[] {
    const live = links.filter((l) => usable(l, NEW_BLOCK));
    const liveIds = new Set(live.map((l) => l.index));
    for (const i of upBefore) if (!liveIds.has(i)) returnedAt.set(i, Infinity);
    for (const i of liveIds) if (returnedAt.get(i) === Infinity) returnedAt.set(i, now);
    upBefore.clear();
    for (const i of liveIds) upBefore.add(i);
    const unsettled = (l: LinkView) => now - (returnedAt.get(l.index) ?? -Infinity) < o.settleMs;
    return live.sort((a, b) =>
      CLASS[a.caps.priority] - CLASS[b.caps.priority] ||
      Number(unsettled(a)) - Number(unsettled(b)) ||
      a.caps.cost - b.caps.cost ||
      (b.caps.rateBps ?? 0) - (a.caps.rateBps ?? 0) ||
      a.index - b.index
    );
  }

  function resize(ranked: readonly LinkView[], ctx: PolicyContext): void {
    const k = Math.min(want, ranked.length);
    const set = ranked.slice(0, k);
    const pathMs = Math.max(0, ...set.map((l) => l.est.oneWayDelayMs || DEFAULT_ONE_WAY_MS));
    const drainMs = Math.max(MIN_DRAIN_MS, ctx.bufferMs - pathMs);
    const demand = ctx.inputRateBps + (ctx.queuedBytes * 8000) / drainMs;
    const cap = capacity(set);
    const saturated = !set.some((l) => canTake(l, NEW_BLOCK));
    // An ACK frees a block's room now and then: saturation ends when half a budget is free.
    if (saturated) fullSince ??= ctx.now;
    else if (set.some((l) => !l.blocked && l.est.inFlightBytes < l.est.budgetBytes() / 2)) {
      fullSince = null;
    }
    if (saturated && demand > o.addAbove * cap && k < ranked.length) {
      lowSince = null;
      const urgent = (ctx.queuedBytes * 8000) / cap > drainMs / 2;
      const confirmMs = Math.max(MIN_CONFIRM_MS, 3 * Math.max(...set.map((l) => l.est.srttMs)));
      const confirmed = ctx.now - fullSince! >= confirmMs && ctx.now - changedAt >= o.addHoldMs;
      if (!urgent && !confirmed) return;
      let next = k + 1;
      while (next < ranked.length && demand > o.addAbove * capacity(ranked.slice(0, next))) next++;
      [want, changedAt, fullSince] = [next, ctx.now, null];
    } else if (!saturated && k > 1 && demand < o.dropBelow * capacity(set.slice(0, -1))) {
      lowSince ??= ctx.now;
      if (ctx.now - lowSince >= o.dropHoldMs && ctx.now - changedAt >= o.dropHoldMs) {
        [want, changedAt, lowSince] = [k - 1, ctx.now, null];
      }
    } else {
      lowSince = null;
    }
  }

  return {
    name: "fewest",
    hedgeLate: true,
    get active() {
      return active;
    },
    choose(links: readonly LinkView[], req: BlockRequest, ctx: PolicyContext): Choice | null {
      const ranked = order(links, ctx.now);
      resize(ranked, ctx);
      const set = ranked.slice(0, want);
      active = set.map((l) => l.index);
      let pool = set.filter((l) => usable(l, req));
      if (req.retransmit && !pool.some((l) => l.index !== req.avoid && canTake(l, req))) {
        // A re-send holds up the receiver: when no other member can carry it now (full, over
        // its cap, or only the link it was lost on) it may leave the set, once.
        const spare = candidates(ranked, req).find((l) =>
          !set.includes(l) && l.index !== req.avoid && canTake(l, req)
        );
        if (spare) pool = [spare];
      }
      const ready = withoutAvoided(pool, req).filter((l) => canTake(l, req));
      let best: LinkView | null = null;
      let bestFill = Infinity;
      for (const l of ready) {
        const fill = l.est.inFlightBytes / Math.max(1, l.est.budgetBytes());
        if (fill < bestFill) [best, bestFill] = [l, fill];
      }
      return best ? { index: best.index, maxBytes: blockFor(best, req) } : null;
    },
  };
}
