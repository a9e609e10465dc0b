// Tests of the srtla reference policy (core/scheduler/ref_srtla.ts): window arithmetic over
// sequences of delivery and loss hooks, then the choice by window / (packets in flight + 1).
// Windows are in thousandths of a packet of 1316 bytes: start 20,000, bounds 1,000..60,000;
// a delivered packet adds 1 to every live link's window (30 to its own while that link
// still holds more packets in flight than its window); a lost packet takes 100 off its link.

import assert from "node:assert/strict";
import { LinkEstimator } from "../../core/scheduler/link_estimator.ts";
import type {
  BlockRequest,
  LinkState,
  LinkView,
  PolicyContext,
} from "../../core/scheduler/policy.ts";
import { refSrtlaPolicy, type SrtlaPolicy } from "../../core/scheduler/ref_srtla.ts";

const PKT = 1316;

interface Spec {
  index: number;
  /** Packets of 1316 bytes in flight. */
  pkts?: number;
  state?: LinkState;
  blocked?: boolean;
  full?: boolean;
}

function view(s: Spec): LinkView {
  const est = new LinkEstimator(0, { nominalRateBps: 10e6 });
  est.onRttSample(40, 0);
  if (s.pkts) est.onSend(s.pkts * PKT, 0);
  if (s.full) est.onSend(est.roomBytes(), 0);
  return {
    index: s.index,
    caps: {
      kind: "wwan",
      name: `wwan${s.index}`,
      localAddress: `10.64.${s.index}.2`,
      cost: 1,
      priority: "primary",
    },
    state: s.state ?? "up",
    blocked: s.blocked ?? false,
    est,
    dataBytes: 0,
  };
}

const CTX: PolicyContext = { now: 0, bufferMs: 3000, inputRateBps: 0, queuedBytes: 1 << 20 };
const NEW: BlockRequest = { retransmit: false, bytes: 1 << 20 };

/** One step: offer links (choose), or a hook; then the windows of links 1..3. */
type Step =
  | { offer: Spec[]; windows: number[] }
  | { ack: number; pkts: number; windows: number[] }
  | { nak: number; pkts: number; windows: number[] };

const SEQUENCES: { n: number; name: string; steps: Step[] }[] = [
  {
    n: 1,
    name: "a NAK takes 100 per packet off its own link only",
    steps: [
      { offer: [{ index: 1 }, { index: 2 }], windows: [20_000, 20_000, 20_000] },
      { nak: 1, pkts: 3, windows: [19_700, 20_000, 20_000] },
      { nak: 2, pkts: 1, windows: [19_700, 19_900, 20_000] },
    ],
  },
  {
    n: 2,
    name: "an ACK adds 1 per packet to every live link",
    steps: [
      {
        offer: [{ index: 1 }, { index: 2 }, { index: 3, state: "down" }],
        windows: [
          20_000,
          20_000,
          20_000,
        ],
      },
      { nak: 1, pkts: 3, windows: [19_700, 20_000, 20_000] },
      { ack: 2, pkts: 1, windows: [19_701, 20_001, 20_000] },
      { ack: 1, pkts: 4, windows: [19_705, 20_005, 20_000] },
    ],
  },
  {
    n: 3,
    name: "a link holding more packets than its window grows 30 per packet acknowledged",
    steps: [
      { offer: [{ index: 1, pkts: 30 }, { index: 2 }], windows: [20_000, 20_000, 20_000] },
      { ack: 1, pkts: 2, windows: [20_060, 20_002, 20_000] },
    ],
  },
  {
    n: 4,
    name: "windows stay within 1 and 60 packets",
    steps: [
      { offer: [{ index: 1 }, { index: 2 }], windows: [20_000, 20_000, 20_000] },
      { nak: 1, pkts: 1000, windows: [1000, 20_000, 20_000] },
      { ack: 2, pkts: 50_000, windows: [51_000, 60_000, 20_000] },
      { ack: 2, pkts: 50_000, windows: [60_000, 60_000, 20_000] },
    ],
  },
];

function apply(policy: SrtlaPolicy, step: Step): void {
  if ("offer" in step) policy.choose(step.offer.map(view), NEW, CTX);
  else if ("ack" in step) policy.onDelivered!(step.ack, step.pkts * PKT, CTX);
  else policy.onLost!(step.nak, step.pkts * PKT, CTX, "nack");
}

for (const s of SEQUENCES) {
  Deno.test(`refSrtlaPolicy windows #${s.n}: ${s.name}`, () => {
    const policy = refSrtlaPolicy();
    for (const [i, step] of s.steps.entries()) {
      apply(policy, step);
      assert.deepEqual([1, 2, 3].map(policy.window), step.windows, `step ${i + 1}`);
    }
  });
}

interface ChoiceCase {
  n: number;
  name: string;
  /** Packets NAKed per link before choosing: sets the windows. */
  naks?: Record<number, number>;
  links: Spec[];
  want: number | null;
}

const CHOICES: ChoiceCase[] = [
  { n: 1, name: "equal scores: the first", links: [{ index: 1 }, { index: 2 }], want: 1 },
  {
    n: 2,
    name: "one packet in flight halves the score (10,000 vs 20,000)",
    links: [{ index: 1, pkts: 1 }, { index: 2 }],
    want: 2,
  },
  {
    n: 3,
    name: "part of a packet counts as one",
    links: [{ index: 1, pkts: 0.01 }, { index: 2 }],
    want: 2,
  },
  {
    n: 4,
    name: "a smaller window on an empty link beats a busy one (5,000 vs 4,000)",
    naks: { 2: 150 },
    links: [{ index: 1, pkts: 4 }, { index: 2 }],
    want: 2,
  },
  {
    n: 5,
    name: "a NAK tips equal links (19,900 vs 20,000)",
    naks: { 1: 1 },
    links: [{ index: 1 }, { index: 2 }],
    want: 2,
  },
  {
    n: 6,
    name: "links without room, blocked or not up are skipped",
    links: [
      { index: 1, full: true },
      { index: 2, blocked: true },
      { index: 3, state: "stalled" },
      { index: 4, pkts: 50 },
    ],
    want: 4,
  },
  { n: 7, name: "nothing ready: none", links: [{ index: 1, full: true }], want: null },
];

for (const c of CHOICES) {
  Deno.test(`refSrtlaPolicy chooses #${c.n}: ${c.name}`, () => {
    const policy = refSrtlaPolicy();
    assert.equal(policy.reference, true);
    for (const [i, n] of Object.entries(c.naks ?? {})) {
      policy.onLost!(Number(i), n * PKT, CTX, "nack");
    }
    assert.equal(policy.choose(c.links.map(view), NEW, CTX)?.index ?? null, c.want);
  });
}

Deno.test("ref-srtla takes nothing off a window for a dead or stalled link, only for NAKs", () => {
  const policy = refSrtlaPolicy();
  const before = policy.window(1);
  policy.onLost!(1, 10 * PKT, CTX, "down");
  policy.onLost!(1, 10 * PKT, CTX, "stall");
  assert.equal(policy.window(1), before);
  policy.onLost!(1, PKT, CTX, "nack");
  assert.ok(policy.window(1) < before);
});
