// Tests of the fewest-links policy (core/scheduler/fewest.ts) as numbered tables: the order
// of links (class, cost, nominal rate), caps and backups on a first decision, then sequences
// on an injected clock: adding links when the set is saturated and short, holding, dropping
// only after hysteresis, replacing a lost link, and letting a returning link settle.
// Links are LinkEstimators with nominal rates (not yet measured) and a 40 ms RTT, so a link's
// capacity is its nominal rate x 0.8: 20 Mbit/s counts as 16, 5 Mbit/s as 4.
//   20 Mbit/s: budget 2500 B/ms x (1.25 x 30 + 5) ms + 2 x 25,000 = 156,250 bytes, blocks of 25,000
//   (the path is the 40 ms RTT less one block's 10 ms, which the two blocks count).

import assert from "node:assert/strict";
import { LinkEstimator } from "../../core/scheduler/link_estimator.ts";
import type { BlockRequest, LinkState, LinkView } from "../../core/scheduler/policy.ts";
import { fewestPolicy } from "../../core/scheduler/fewest.ts";
import type { LinkPriority } from "../../core/frame/types.ts";

const FULL = 156_250;

interface Spec {
  index: number;
  mbps?: number;
  inFlight?: number;
  state?: LinkState;
  blocked?: boolean;
  priority?: LinkPriority;
  cost?: number;
  capBytes?: number;
  dataBytes?: number;
  /** A delivery-rate sample at this rate (Mbit/s): the link is then measured. */
  measuredMbps?: number;
}

function view(s: Spec): LinkView {
  const mbps = s.mbps ?? 20;
  const est = new LinkEstimator(0, { nominalRateBps: mbps * 1e6 });
  est.onRttSample(40, 0);
  if (s.measuredMbps) est.onDelivered(est.onSend(s.measuredMbps * 12_500, 0), 100);
  if (s.inFlight) est.onSend(s.inFlight, 0);
  return {
    index: s.index,
    caps: {
      kind: "wwan",
      name: `wwan${s.index}`,
      localAddress: `10.64.${s.index}.2`,
      cost: s.cost ?? 1,
      priority: s.priority ?? "primary",
      capBytes: s.capBytes,
      rateBps: mbps * 1e6,
    },
    state: s.state ?? "up",
    blocked: s.blocked ?? false,
    est,
    dataBytes: s.dataBytes ?? 0,
  };
}

const NEW: BlockRequest = { retransmit: false, bytes: 1 << 20 };
const ctx = (now: number, mbps: number, queuedBytes = 0) => ({
  now,
  bufferMs: 3000,
  inputRateBps: mbps * 1e6,
  queuedBytes,
});

interface Case {
  n: number;
  name: string;
  links: Spec[];
  req?: BlockRequest;
  inputMbps: number;
  queued?: number;
  want: number | null;
  maxBytes?: number;
  active?: number[];
}

const FIRST: Case[] = [
  {
    n: 1,
    name: "one link while one suffices",
    links: [{ index: 1 }, { index: 2 }],
    inputMbps: 5,
    want: 1,
    active: [1],
  },
  {
    n: 2,
    name: "the cheapest first",
    links: [{ index: 1, cost: 3 }, { index: 2, cost: 1 }, { index: 3, cost: 2 }],
    inputMbps: 5,
    want: 2,
  },
  {
    n: 3,
    name: "class before cost: primary, secondary, backup",
    links: [
      { index: 1, priority: "backup", cost: 0 },
      { index: 2, priority: "secondary", cost: 0 },
      { index: 3, priority: "primary", cost: 9 },
    ],
    inputMbps: 5,
    want: 3,
  },
  {
    n: 4,
    name: "a secondary before a backup",
    links: [{ index: 1, priority: "backup", cost: 0 }, { index: 2, priority: "secondary" }],
    inputMbps: 5,
    want: 2,
  },
  {
    n: 5,
    name: "at equal cost the higher nominal rate",
    links: [{ index: 1, mbps: 5 }, { index: 2, mbps: 20 }],
    inputMbps: 1,
    want: 2,
  },
  {
    n: 6,
    name: "a link whose cap is reached is out",
    links: [{ index: 1, capBytes: 1e6, dataBytes: 1e6 }, { index: 2, cost: 5 }],
    inputMbps: 5,
    want: 2,
    active: [2],
  },
  {
    n: 7,
    name: "a block never passes the cap",
    links: [{ index: 1, capBytes: 1e6, dataBytes: 1e6 - 5000 }],
    inputMbps: 5,
    want: 1,
    maxBytes: 5000,
  },
  {
    n: 8,
    name: "a re-send larger than the cap left goes to the next link in order",
    links: [{ index: 1, capBytes: 1e6, dataBytes: 1e6 - 5000 }, { index: 2, cost: 2 }],
    req: { retransmit: true, bytes: 8000 },
    inputMbps: 5,
    want: 2,
    active: [1],
  },
  {
    n: 9,
    name: "the backup idles while the primary suffices",
    links: [{ index: 1, mbps: 5, inFlight: 30_000 }, { index: 2, priority: "backup" }],
    inputMbps: 3,
    want: 1,
  },
  {
    n: 10,
    name: "the backup carries when nothing else is up",
    links: [{ index: 1, state: "down" }, { index: 2, priority: "backup" }],
    inputMbps: 3,
    want: 2,
  },
  {
    n: 11,
    name: "a stalled link is replaced by the next",
    links: [{ index: 1, state: "stalled" }, { index: 2, cost: 4 }],
    inputMbps: 3,
    want: 2,
  },
  {
    n: 12,
    name: "a full link that suffices: the block waits",
    links: [{ index: 1, inFlight: FULL }, { index: 2 }],
    inputMbps: 5,
    want: null,
    active: [1],
  },
  {
    n: 13,
    name: "a blocked link that suffices: the block waits",
    links: [{ index: 1, blocked: true }, { index: 2 }],
    inputMbps: 5,
    want: null,
  },
  {
    n: 14,
    name: "short but not saturated: an idle set carries the input, no link added",
    links: [{ index: 1, mbps: 5 }, { index: 2, cost: 2 }],
    inputMbps: 10,
    want: 1,
    active: [1],
  },
  {
    n: 15,
    name: "saturated and short: no link added until saturation lasts (see over time)",
    links: [{ index: 1, inFlight: FULL }, { index: 2 }],
    inputMbps: 18,
    want: null,
    active: [1],
  },
  {
    n: 16,
    name: "saturated by a burst the deadline absorbs: no link added, ever",
    links: [{ index: 1, inFlight: FULL }, { index: 2 }],
    inputMbps: 8,
    queued: 600_000,
    want: null,
    active: [1],
  },
  {
    n: 17,
    name: "a re-send lost on the set's only link goes to the next in order, the set unchanged",
    links: [{ index: 1 }, { index: 2, cost: 3 }, { index: 3, cost: 2 }],
    req: { retransmit: true, bytes: 1000, avoid: 1 },
    inputMbps: 3,
    want: 3,
    active: [1],
  },
  {
    n: 18,
    name: "or to the link it was lost on when no other can take it",
    links: [{ index: 1 }, { index: 2, blocked: true }],
    req: { retransmit: true, bytes: 1000, avoid: 1 },
    inputMbps: 3,
    want: 1,
  },
  {
    n: 19,
    name: "a re-send goes outside a full set rather than wait",
    links: [{ index: 1, inFlight: FULL }, { index: 2 }],
    req: { retransmit: true, bytes: 1000 },
    inputMbps: 3,
    want: 2,
    active: [1],
  },
  { n: 20, name: "no links", links: [], inputMbps: 3, want: null, active: [] },
  {
    n: 21,
    name: "a link that is not full may be application-limited: its nominal rate counts",
    links: [{ index: 1, measuredMbps: 8, inFlight: 50_000 }, { index: 2 }],
    inputMbps: 10,
    want: 1,
    active: [1],
  },
];

for (const c of FIRST) {
  Deno.test(`fewestPolicy first decision #${c.n}: ${c.name}`, () => {
    const policy = fewestPolicy();
    const choice = policy.choose(c.links.map(view), c.req ?? NEW, ctx(0, c.inputMbps, c.queued));
    assert.equal(choice?.index ?? null, c.want);
    if (c.maxBytes !== undefined) assert.equal(choice?.maxBytes, c.maxBytes);
    if (c.active) assert.deepEqual(policy.active, c.active);
  });
}

interface Step {
  t: number;
  links: Spec[];
  req?: BlockRequest;
  inputMbps: number;
  queued?: number;
  want: number | null;
  active: number[];
}

/** Two 20 Mbit/s links, the first full (a saturated set of one) or both idle. */
const FULL1 = [{ index: 1, inFlight: FULL }, { index: 2 }];
const IDLE2 = [{ index: 1, inFlight: 50_000 }, { index: 2 }];
/** 18 Mbit/s on one 20 Mbit/s link (16 counted): short, so the second joins at t=200. */
const ADD2: Step[] = [
  { t: 0, links: FULL1, inputMbps: 18, want: null, active: [1] },
  { t: 200, links: FULL1, inputMbps: 18, want: 2, active: [1, 2] },
];
const FULL12 = [{ index: 1, inFlight: FULL }, { index: 2, inFlight: FULL }, { index: 3 }];

const SEQUENCES: { n: number; name: string; steps: Step[] }[] = [
  {
    n: 1,
    name: "adds a second link once saturation has lasted 200 ms (three RTTs are 120)",
    steps: [
      ADD2[0],
      { t: 199, links: FULL1, inputMbps: 18, want: null, active: [1] },
      ADD2[1],
    ],
  },
  {
    n: 2,
    name: "half a budget free restarts that wait",
    steps: [
      ADD2[0],
      {
        t: 100,
        links: [{ index: 1, inFlight: 70_000 }, { index: 2 }],
        inputMbps: 18,
        want: 1,
        active: [1],
      },
      { t: 150, links: FULL1, inputMbps: 18, want: null, active: [1] },
      { t: 349, links: FULL1, inputMbps: 18, want: null, active: [1] },
      { t: 350, links: FULL1, inputMbps: 18, want: 2, active: [1, 2] },
    ],
  },
  {
    n: 3,
    name: "one block's room freed by an ACK does not",
    steps: [
      ADD2[0],
      {
        t: 100,
        links: [{ index: 1, inFlight: FULL - 25_000 }, { index: 2 }],
        inputMbps: 18,
        want: 1,
        active: [1],
      },
      ADD2[1],
    ],
  },
  {
    n: 4,
    name: "as many links as the demand needs at once: 40 Mbit/s takes three of 16",
    steps: [
      {
        t: 0,
        links: [...FULL1, { index: 3 }, { index: 4 }],
        inputMbps: 40,
        want: null,
        active: [1],
      },
      {
        t: 200,
        links: [...FULL1, { index: 3 }, { index: 4 }],
        inputMbps: 40,
        want: 2,
        active: [1, 2, 3],
      },
      {
        t: 300,
        links: [...FULL1, { index: 3 }, { index: 4 }],
        req: { retransmit: true, bytes: 1000, avoid: 2 },
        inputMbps: 40,
        want: 3,
        active: [1, 2, 3],
      },
    ],
  },
  {
    n: 5,
    // Measured once, the link is in start-up (gain 2.89): 1000 B/ms x (2.89 x 40 + 5) + 2 x 10,000.
    name: "a full link's measurement is its capacity: nominal 20 but 8 measured is short",
    steps: [0, 200].map((t) => ({
      t,
      links: [{ index: 1, measuredMbps: 8, inFlight: 141_000 }, { index: 2 }],
      inputMbps: 10,
      want: t ? 2 : null,
      active: t ? [1, 2] : [1],
    })),
  },
  {
    n: 6,
    name: "drops the second link only after demand stayed low for 5 s",
    steps: [
      ...ADD2,
      { t: 1000, links: IDLE2, inputMbps: 3, want: 2, active: [1, 2] },
      { t: 5999, links: IDLE2, inputMbps: 3, want: 2, active: [1, 2] },
      { t: 6000, links: IDLE2, inputMbps: 3, want: 1, active: [1] },
    ],
  },
  {
    n: 7,
    name: "keeps both while demand is between 0.6 and 0.9 of one link",
    steps: [
      ...ADD2,
      { t: 1000, links: IDLE2, inputMbps: 10, want: 2, active: [1, 2] },
      { t: 60_000, links: IDLE2, inputMbps: 10, want: 2, active: [1, 2] },
    ],
  },
  {
    n: 8,
    name: "a moment of high demand restarts the wait",
    steps: [
      ...ADD2,
      { t: 1000, links: IDLE2, inputMbps: 3, want: 2, active: [1, 2] },
      { t: 3000, links: IDLE2, inputMbps: 12, want: 2, active: [1, 2] },
      { t: 4000, links: IDLE2, inputMbps: 3, want: 2, active: [1, 2] },
      { t: 8999, links: IDLE2, inputMbps: 3, want: 2, active: [1, 2] },
      { t: 9000, links: IDLE2, inputMbps: 3, want: 1, active: [1] },
    ],
  },
  {
    n: 9,
    name: "holds the next addition until 2 s after the last change",
    steps: [
      ...ADD2,
      { t: 1000, links: FULL12, inputMbps: 30, want: null, active: [1, 2] },
      { t: 2199, links: FULL12, inputMbps: 30, want: null, active: [1, 2] },
      { t: 2200, links: FULL12, inputMbps: 30, want: 3, active: [1, 2, 3] },
    ],
  },
  {
    n: 10,
    name: "but not when the waiting input would miss half the deadline",
    steps: [
      ...ADD2,
      { t: 1000, links: FULL12, inputMbps: 30, queued: 7_000_000, want: 3, active: [1, 2, 3] },
    ],
  },
  {
    n: 11,
    name: "the backup joins only when the primaries are all in and short",
    steps: [
      {
        t: 0,
        links: [{ index: 1, inFlight: FULL }, { index: 2, priority: "backup", cost: 0 }],
        inputMbps: 10,
        want: null,
        active: [1],
      },
      {
        t: 1000,
        links: [{ index: 1, inFlight: FULL }, { index: 2, priority: "backup", cost: 0 }],
        inputMbps: 18,
        want: 2,
        active: [1, 2],
      },
    ],
  },
  {
    n: 12,
    name: "a lost link is replaced at once; when it returns it settles for 2 s first",
    steps: [
      { t: 0, links: [{ index: 1 }, { index: 2, cost: 2 }], inputMbps: 3, want: 1, active: [1] },
      {
        t: 10,
        links: [{ index: 1, state: "down" }, { index: 2, cost: 2 }],
        inputMbps: 3,
        want: 2,
        active: [2],
      },
      { t: 100, links: [{ index: 1 }, { index: 2, cost: 2 }], inputMbps: 3, want: 2, active: [2] },
      { t: 2099, links: [{ index: 1 }, { index: 2, cost: 2 }], inputMbps: 3, want: 2, active: [2] },
      { t: 2100, links: [{ index: 1 }, { index: 2, cost: 2 }], inputMbps: 3, want: 1, active: [1] },
    ],
  },
  {
    n: 13,
    name: "a link that reaches its cap is left for the next",
    steps: [
      {
        t: 0,
        links: [{ index: 1, capBytes: 1e6, dataBytes: 990_000 }, { index: 2, cost: 2 }],
        inputMbps: 3,
        want: 1,
        active: [1],
      },
      {
        t: 100,
        links: [{ index: 1, capBytes: 1e6, dataBytes: 1e6 }, { index: 2, cost: 2 }],
        inputMbps: 3,
        want: 2,
        active: [2],
      },
    ],
  },
];

for (const s of SEQUENCES) {
  Deno.test(`fewestPolicy over time #${s.n}: ${s.name}`, () => {
    const policy = fewestPolicy();
    for (const [i, step] of s.steps.entries()) {
      const choice = policy.choose(
        step.links.map(view),
        step.req ?? NEW,
        ctx(step.t, step.inputMbps, step.queued),
      );
      const at = `step ${i + 1} (t=${step.t})`;
      assert.equal(choice?.index ?? null, step.want, at);
      assert.deepEqual(policy.active, step.active, at);
    }
  });
}
