/**
 * Counts, per link, the payload that went out again because of that link (NACKed, stalled,
 * late, or lost with its connection): the figure that tells an operator which modem is bad.
 * Every re-send asks the policy for a link and names the link to avoid, the one the block was
 * lost from; a policy wrapped here sees those requests. Every decision is still the wrapped
 * policy's own, and the feedback it takes is passed through untouched. The links it is shown
 * also tell each link's settings (cost, priority, data cap), on either side of the session, and
 * the time of each decision is the session's clock: the simulator's virtual time, which is how
 * `simulate` shows its progress while a run holds the event loop.
 * @module
 */
import type { LinkCaps } from "../frame/types.ts";
import type { Policy } from "../scheduler/policy.ts";

/** A wrapped policy and what it has counted. */
export interface PolicyTap {
  /** Give this to the endpoint instead of the original. */
  policy: Policy;
  /** Payload lost from link `index` and sent again so far (bytes). */
  resentBytes(index: number): number;
  /** Link `index`'s capabilities as the policy last saw them, if it has. */
  caps(index: number): LinkCaps | undefined;
}

/** What a tap may report as it goes. */
export interface TapOptions {
  /** Called at every decision with the session's time (ms); keep it cheap. */
  onDecision?: (now: number) => void;
}

/**
 * Wraps `inner`: same name, same choices, same feedback; re-sends counted on the way.
 * @example
 * ```ts
 * const tap = tapPolicy(createPolicy("earliest"));
 * openClientSession({ ...opts, policy: tap.policy }, source, sink);
 * tap.resentBytes(2); // payload link 2 lost that went out again
 * ```
 */
export function tapPolicy(inner: Policy, o: TapOptions = {}): PolicyTap {
  const resent = new Map<number, number>();
  const caps = new Map<number, LinkCaps>();
  const policy: Policy = {
    get name() {
      return inner.name;
    },
    get reference() {
      return inner.reference;
    },
    get hedgeLate() {
      return inner.hedgeLate;
    },
    choose(links, req, ctx) {
      for (const l of links) if (caps.get(l.index) !== l.caps) caps.set(l.index, l.caps);
      o.onDecision?.(ctx.now);
      const choice = inner.choose(links, req, ctx);
      if (choice && req.retransmit && req.avoid !== undefined) {
        resent.set(req.avoid, (resent.get(req.avoid) ?? 0) + req.bytes);
      }
      return choice;
    },
  };
  // Only what the inner policy has: the endpoint does extra work for policies with feedback.
  if (inner.onDelivered) policy.onDelivered = (i, b, ctx) => inner.onDelivered!(i, b, ctx);
  if (inner.onLost) policy.onLost = (i, b, ctx, why) => inner.onLost!(i, b, ctx, why);
  return {
    policy,
    resentBytes: (index) => resent.get(index) ?? 0,
    caps: (index) => caps.get(index),
  };
}
