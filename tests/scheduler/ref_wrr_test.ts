// Tests of the weighted round-robin reference policy (core/scheduler/ref_wrr.ts): static
// weights from the configured nominal rates, smooth weighted round robin over the links with
// room. Numbered tables of sequences: each pick offers fresh link views to the same policy.
// Weights 20:5 give the pattern 1 1 2 1 1 (credits +20/+5 per pick, the winner pays 25).

import assert from "node:assert/strict";
import { LinkEstimator } from "../../core/scheduler/link_estimator.ts";
import type { BlockRequest, LinkView, PolicyContext } from "../../core/scheduler/policy.ts";
import { refWrrPolicy } from "../../core/scheduler/ref_wrr.ts";

interface Spec {
  index: number;
  /** Configured nominal rate (Mbit/s); none when absent. */
  mbps?: number;
  full?: boolean;
  down?: boolean;
}

function view(s: Spec): LinkView {
  const rateBps = s.mbps ? s.mbps * 1e6 : undefined;
  const est = new LinkEstimator(0, { nominalRateBps: rateBps ?? 10e6 });
  est.onRttSample(40, 0);
  if (s.full) est.onSend(est.budgetBytes(), 0);
  return {
    index: s.index,
    caps: {
      kind: "wwan",
      name: `wwan${s.index}`,
      localAddress: `10.64.${s.index}.2`,
      cost: 1,
      priority: "primary",
      rateBps,
    },
    state: s.down ? "down" : "up",
    blocked: false,
    est,
    dataBytes: 0,
  };
}

const CTX: PolicyContext = { now: 0, bufferMs: 3000, inputRateBps: 0, queuedBytes: 1 << 20 };
const NEW: BlockRequest = { retransmit: false, bytes: 1 << 20 };

const CASES: { n: number; name: string; links: Spec[]; picks: number[] }[] = [
  {
    n: 1,
    name: "weights 20:5 give four blocks to one",
    links: [{ index: 1, mbps: 20 }, { index: 2, mbps: 5 }],
    picks: [1, 1, 2, 1, 1, 1, 1, 2, 1, 1],
  },
  {
    n: 2,
    name: "no configured rates: equal weights, alternating",
    links: [{ index: 1 }, { index: 2 }],
    picks: [1, 2, 1, 2, 1, 2],
  },
  {
    n: 3,
    name: "a link without a rate weighs the mean of the others",
    links: [{ index: 1, mbps: 10 }, { index: 2, mbps: 30 }, { index: 3 }],
    picks: [2, 3, 1, 2, 3, 2],
  },
  {
    n: 4,
    name: "a full link is skipped without gaining credit",
    links: [{ index: 1, mbps: 20, full: true }, { index: 2, mbps: 5 }],
    picks: [2, 2, 2],
  },
  {
    n: 5,
    name: "a down link is skipped",
    links: [{ index: 1, mbps: 20, down: true }, { index: 2, mbps: 5 }],
    picks: [2, 2],
  },
];

for (const c of CASES) {
  Deno.test(`refWrrPolicy #${c.n}: ${c.name}`, () => {
    const policy = refWrrPolicy();
    assert.equal(policy.reference, true);
    const picks = c.picks.map(() => policy.choose(c.links.map(view), NEW, CTX)?.index ?? null);
    assert.deepEqual(picks, c.picks);
  });
}

Deno.test("refWrrPolicy shares bytes by weight over many blocks", () => {
  const policy = refWrrPolicy();
  // Rates whose budgets all hold a whole 16 KiB block, so that room never trims one.
  const links = [{ index: 1, mbps: 16 }, { index: 2, mbps: 8 }, { index: 3, mbps: 4 }];
  const bytes = new Map<number, number>();
  for (let i = 0; i < 700; i++) {
    const c = policy.choose(links.map(view), NEW, CTX)!;
    bytes.set(c.index, (bytes.get(c.index) ?? 0) + c.maxBytes);
  }
  assert.deepEqual([1, 2, 3].map((i) => bytes.get(i)! / 16_384), [400, 200, 100]);
});

Deno.test("refWrrPolicy returns null when no link has room", () => {
  const choice = refWrrPolicy().choose([view({ index: 1, mbps: 5, full: true })], NEW, CTX);
  assert.equal(choice, null);
});
