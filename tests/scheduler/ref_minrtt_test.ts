// Tests of the lowest-RTT reference policy (core/scheduler/ref_minrtt.ts) as a numbered
// table: the link with the smallest smoothed RTT among those with room in their budget.
// Links are LinkEstimators with a nominal rate of 10 Mbit/s and one RTT sample each.

import assert from "node:assert/strict";
import { LinkEstimator } from "../../core/scheduler/link_estimator.ts";
import type {
  BlockRequest,
  LinkState,
  LinkView,
  PolicyContext,
} from "../../core/scheduler/policy.ts";
import { refMinRttPolicy } from "../../core/scheduler/ref_minrtt.ts";
import type { LinkPriority } from "../../core/frame/types.ts";

interface Spec {
  index: number;
  /** RTT sample (ms); none when 0. */
  rtt: number;
  full?: boolean;
  state?: LinkState;
  blocked?: boolean;
  priority?: LinkPriority;
}

function view(s: Spec): LinkView {
  const est = new LinkEstimator(0, { nominalRateBps: 10e6 });
  if (s.rtt > 0) est.onRttSample(s.rtt, 0);
  if (s.full) est.onSend(est.budgetBytes(), 0);
  return {
    index: s.index,
    caps: {
      kind: "wwan",
      name: `wwan${s.index}`,
      localAddress: `10.64.${s.index}.2`,
      cost: 1,
      priority: s.priority ?? "primary",
    },
    state: s.state ?? "up",
    blocked: s.blocked ?? false,
    est,
    dataBytes: 0,
  };
}

const CTX: PolicyContext = { now: 0, bufferMs: 3000, inputRateBps: 0, queuedBytes: 1 << 20 };
const NEW: BlockRequest = { retransmit: false, bytes: 1 << 20 };

const CASES: { n: number; name: string; links: Spec[]; req?: BlockRequest; want: number | null }[] =
  [
    {
      n: 1,
      name: "the lowest RTT",
      links: [{ index: 1, rtt: 80 }, { index: 2, rtt: 30 }, { index: 3, rtt: 50 }],
      want: 2,
    },
    {
      n: 2,
      name: "the lowest with room in its window",
      links: [{ index: 1, rtt: 80 }, { index: 2, rtt: 30, full: true }, { index: 3, rtt: 50 }],
      want: 3,
    },
    {
      n: 3,
      name: "a link without an RTT sample ranks last",
      links: [{ index: 1, rtt: 0 }, { index: 2, rtt: 300 }],
      want: 2,
    },
    {
      n: 4,
      name: "but is used when it is all there is",
      links: [{ index: 1, rtt: 0 }, { index: 2, rtt: 300, full: true }],
      want: 1,
    },
    {
      n: 5,
      name: "equal RTTs: the lower index",
      links: [{ index: 2, rtt: 40 }, { index: 1, rtt: 40 }],
      want: 1,
    },
    {
      n: 6,
      name: "blocked, stalled and down links are skipped",
      links: [
        { index: 1, rtt: 10, blocked: true },
        { index: 2, rtt: 10, state: "stalled" },
        { index: 3, rtt: 10, state: "down" },
        { index: 4, rtt: 90 },
      ],
      want: 4,
    },
    {
      n: 7,
      name: "a re-send avoids the link it was lost on",
      links: [{ index: 1, rtt: 20 }, { index: 2, rtt: 90 }],
      req: { retransmit: true, bytes: 1000, avoid: 1 },
      want: 2,
    },
    {
      n: 8,
      name: "a backup idles while a primary is up",
      links: [{ index: 1, rtt: 90 }, { index: 2, rtt: 10, priority: "backup" }],
      want: 1,
    },
    { n: 9, name: "every link full: none", links: [{ index: 1, rtt: 9, full: true }], want: null },
  ];

for (const c of CASES) {
  Deno.test(`refMinRttPolicy #${c.n}: ${c.name}`, () => {
    const policy = refMinRttPolicy();
    assert.equal(policy.reference, true);
    const choice = policy.choose(c.links.map(view), c.req ?? NEW, CTX);
    assert.equal(choice?.index ?? null, c.want);
  });
}
