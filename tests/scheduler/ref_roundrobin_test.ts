// Tests of the round-robin reference policy (core/scheduler/ref_roundrobin.ts): the next link
// in index order that has room, one fixed block size. Numbered tables of sequences: each step
// offers fresh link views to the same policy and expects the link it picks.
// Links are LinkEstimators with nominal rates and a 40 ms RTT: 20 Mbit/s budgets 156,250 B
// (2500 B/ms x (1.25 x (40 - 10) + 5) ms + two blocks of 25,000: the path is the RTT less a block).

import assert from "node:assert/strict";
import { LinkEstimator } from "../../core/scheduler/link_estimator.ts";
import type {
  BlockRequest,
  LinkState,
  LinkView,
  PolicyContext,
} from "../../core/scheduler/policy.ts";
import { refRoundRobinPolicy } from "../../core/scheduler/ref_roundrobin.ts";
import type { LinkPriority } from "../../core/frame/types.ts";

interface Spec {
  index: number;
  inFlight?: number;
  state?: LinkState;
  blocked?: boolean;
  priority?: LinkPriority;
}

function view(s: Spec): LinkView {
  const est = new LinkEstimator(0, { nominalRateBps: 20e6 });
  est.onRttSample(40, 0);
  if (s.inFlight) est.onSend(s.inFlight, 0);
  return {
    index: s.index,
    caps: {
      kind: "wwan",
      name: `wwan${s.index}`,
      localAddress: `10.64.${s.index}.2`,
      cost: 1,
      priority: s.priority ?? "primary",
      rateBps: 20e6,
    },
    state: s.state ?? "up",
    blocked: s.blocked ?? false,
    est,
    dataBytes: 0,
  };
}

const CTX: PolicyContext = { now: 0, bufferMs: 3000, inputRateBps: 0, queuedBytes: 1 << 20 };
const NEW: BlockRequest = { retransmit: false, bytes: 1 << 20 };
const FULL = 156_250;
const up = (...ids: number[]): Spec[] => ids.map((index) => ({ index }));

interface Case {
  n: number;
  name: string;
  steps: { links: Spec[]; req?: BlockRequest; want: number | null }[];
}

const CASES: Case[] = [
  {
    n: 1,
    name: "each link in turn",
    steps: [1, 2, 3, 1, 2].map((want) => ({ links: up(1, 2, 3), want })),
  },
  {
    n: 2,
    name: "in index order whatever the order offered",
    steps: [1, 2, 3, 1].map((want) => ({ links: up(3, 1, 2), want })),
  },
  {
    n: 3,
    name: "a full link loses its turn",
    steps: [1, 3, 1, 3].map((want) => ({
      links: [{ index: 1 }, { index: 2, inFlight: FULL }, { index: 3 }],
      want,
    })),
  },
  {
    n: 4,
    name: "blocked, stalled and down links lose theirs",
    steps: [1, 1].map((want) => ({
      links: [
        { index: 1 },
        { index: 2, blocked: true },
        { index: 3, state: "stalled" },
        { index: 4, state: "down" },
      ],
      want,
    })),
  },
  {
    n: 5,
    name: "a link that returns takes its place in the turn",
    steps: [
      { links: up(1, 2, 3), want: 1 },
      { links: [{ index: 1 }, { index: 2, state: "down" }, { index: 3 }], want: 3 },
      { links: up(1, 2, 3), want: 1 },
      { links: up(1, 2, 3), want: 2 },
    ],
  },
  {
    n: 6,
    name: "a re-send skips the link it was lost on",
    steps: [
      { links: up(1, 2), req: { retransmit: true, bytes: 1000, avoid: 1 }, want: 2 },
      { links: up(1, 2), req: { retransmit: true, bytes: 1000, avoid: 2 }, want: 1 },
    ],
  },
  {
    n: 7,
    name: "backups only when no primary is up",
    steps: [
      { links: [{ index: 1 }, { index: 2, priority: "backup" }], want: 1 },
      { links: [{ index: 1 }, { index: 2, priority: "backup" }], want: 1 },
      { links: [{ index: 1, state: "down" }, { index: 2, priority: "backup" }], want: 2 },
    ],
  },
  { n: 8, name: "nothing ready", steps: [{ links: [{ index: 1, inFlight: FULL }], want: null }] },
];

for (const c of CASES) {
  Deno.test(`refRoundRobinPolicy #${c.n}: ${c.name}`, () => {
    const policy = refRoundRobinPolicy();
    assert.equal(policy.reference, true);
    for (const [i, s] of c.steps.entries()) {
      const choice = policy.choose(s.links.map(view), s.req ?? NEW, CTX);
      assert.equal(choice?.index ?? null, s.want, `step ${i + 1}`);
    }
  });
}

const SIZES = [
  { n: 1, name: "one fixed size whatever the rate", opts: {}, inFlight: 0, want: 16_384 },
  { n: 2, name: "the size is an option", opts: { blockBytes: 1316 }, inFlight: 0, want: 1316 },
  { n: 3, name: "the room left bounds it", opts: {}, inFlight: FULL - 5000, want: 5000 },
];
for (const c of SIZES) {
  Deno.test(`refRoundRobinPolicy sizes blocks #${c.n}: ${c.name}`, () => {
    const choice = refRoundRobinPolicy(c.opts).choose(
      [view({ index: 1, inFlight: c.inFlight })],
      NEW,
      CTX,
    );
    assert.equal(choice?.maxBytes, c.want);
  });
}
