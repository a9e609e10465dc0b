// Tests of the earliest-arrival policy (core/scheduler/earliest.ts) as numbered tables.
// Predicted arrival = (in flight beyond rate x minRTT + the block) x 8 / rate + minRTT / 2.
// Links are LinkEstimators with nominal rates and one RTT sample:
//   20 Mbit/s = 2500 B/ms, blocks of 25,000; at 40 ms: path 100,000 B, budget 156,250 (full at
//   FAST_FULL, 187,500: 87,500 B queued ahead);
//    5 Mbit/s =  625 B/ms, blocks of  6,250; at 40 ms: budget 39,063;
//  0.5 Mbit/s = 62.5 B/ms, blocks of 2,048 (the floor); at 300 ms: 2048 B take 32.8 ms.

import assert from "node:assert/strict";
import { LinkEstimator } from "../../core/scheduler/link_estimator.ts";
import type {
  BlockRequest,
  LinkState,
  LinkView,
  PolicyContext,
} from "../../core/scheduler/policy.ts";
import { earliestPolicy } from "../../core/scheduler/earliest.ts";
import { arrivalMs } from "../../core/scheduler/policy.ts";
import { inputQueueCapBytes } from "../../core/session/input_pacing.ts";
import type { LinkPriority } from "../../core/frame/types.ts";

interface Spec {
  index: number;
  mbps: number;
  /** RTT sample (ms); 0 for none. */
  rtt?: number;
  inFlight?: number;
  state?: LinkState;
  blocked?: boolean;
  priority?: LinkPriority;
  capBytes?: number;
  dataBytes?: number;
}

function view(s: Spec): LinkView {
  const est = new LinkEstimator(0, { nominalRateBps: s.mbps * 1e6 });
  if ((s.rtt ?? 40) > 0) est.onRttSample(s.rtt ?? 40, 0);
  if (s.inFlight) est.onSend(s.inFlight, 0);
  return {
    index: s.index,
    caps: {
      kind: "wwan",
      name: `wwan${s.index}`,
      localAddress: `10.64.${s.index}.2`,
      cost: 1,
      priority: s.priority ?? "primary",
      capBytes: s.capBytes,
      rateBps: s.mbps * 1e6,
    },
    state: s.state ?? "up",
    blocked: s.blocked ?? false,
    est,
    dataBytes: s.dataBytes ?? 0,
  };
}

const FAST_FULL = 187_500;
const fresh = (bytes: number): BlockRequest => ({ retransmit: false, bytes });
const resend = (bytes: number, avoid?: number): BlockRequest => ({
  retransmit: true,
  bytes,
  avoid,
});

interface Case {
  n: number;
  name: string;
  links: Spec[];
  req: BlockRequest;
  want: number | null;
  maxBytes?: number;
}

const CASES: Case[] = [
  {
    n: 1,
    name: "empty links: the shorter path wins (fast 10 + 40 ms, slow 10 + 10 ms)",
    links: [{ index: 1, mbps: 20, rtt: 80 }, { index: 2, mbps: 5, rtt: 20 }],
    req: fresh(1 << 20),
    want: 2,
  },
  {
    n: 2,
    name: "a queue ahead counts: 50,000 B queued on the fast link is 20 ms more (50 vs 30)",
    links: [{ index: 1, mbps: 20, inFlight: 150_000 }, { index: 2, mbps: 5 }],
    req: fresh(1 << 20),
    want: 2,
  },
  {
    n: 3,
    name: "in flight within rate x minRTT is on the path, not queued (30 vs 40)",
    links: [{ index: 1, mbps: 20, inFlight: 100_000 }, { index: 2, mbps: 5, rtt: 60 }],
    req: fresh(1 << 20),
    want: 1,
  },
  {
    n: 4,
    name: "waits rather than use a much slower link (183 ms vs 89 ms after the queue)",
    links: [{ index: 1, mbps: 20, inFlight: FAST_FULL }, { index: 2, mbps: 0.5, rtt: 300 }],
    req: fresh(10_000),
    want: null,
  },
  {
    n: 5,
    name: "a backlog makes the slow link worth it (183 ms vs 504 ms to drain 1 MiB)",
    links: [{ index: 1, mbps: 20, inFlight: FAST_FULL }, { index: 2, mbps: 0.5, rtt: 300 }],
    req: fresh(1 << 20),
    want: 2,
  },
  {
    n: 6,
    name: "a moderately slower link beats waiting (30 ms vs 89 ms)",
    links: [{ index: 1, mbps: 20, inFlight: FAST_FULL }, { index: 2, mbps: 5 }],
    req: fresh(10_000),
    want: 2,
  },
  {
    n: 7,
    name: "no RTT sample: 100 ms assumed (110 vs 60)",
    links: [{ index: 1, mbps: 20, rtt: 0 }, { index: 2, mbps: 5, rtt: 100 }],
    req: fresh(1 << 20),
    want: 2,
  },
  {
    n: 8,
    name: "stalled, down and blocked links are skipped",
    links: [
      { index: 1, mbps: 20, state: "stalled" },
      { index: 2, mbps: 20, state: "down" },
      { index: 3, mbps: 20, blocked: true },
      { index: 4, mbps: 0.5, rtt: 300 },
    ],
    req: fresh(10_000),
    want: 4,
  },
  {
    n: 9,
    name: "nothing usable: none",
    links: [{ index: 1, mbps: 20, blocked: true }, { index: 2, mbps: 5, state: "stalled" }],
    req: fresh(10_000),
    want: null,
  },
  { n: 10, name: "no links", links: [], req: fresh(10_000), want: null },
  {
    n: 11,
    name: "a re-send avoids the link it was lost on",
    links: [{ index: 1, mbps: 20 }, { index: 2, mbps: 5 }],
    req: resend(10_000, 1),
    want: 2,
  },
  {
    n: 12,
    name: "unless no other link can take it now",
    links: [{ index: 1, mbps: 20 }, { index: 2, mbps: 5, blocked: true }],
    req: resend(10_000, 1),
    want: 1,
  },
  {
    n: 13,
    name: "a backup idles while a primary is up, even a full one",
    links: [{ index: 1, mbps: 20, inFlight: FAST_FULL }, { index: 2, mbps: 5, priority: "backup" }],
    req: fresh(10_000),
    want: null,
  },
  {
    n: 14,
    name: "a capped link is out",
    links: [{ index: 1, mbps: 20, capBytes: 5000, dataBytes: 5000 }, { index: 2, mbps: 0.5 }],
    req: fresh(10_000),
    want: 2,
  },
  {
    n: 15,
    name: "a block is sized to the link's rate",
    links: [{ index: 1, mbps: 20 }],
    req: fresh(1 << 20),
    want: 1,
    maxBytes: 25_000,
  },
  {
    n: 16,
    name: "and kept under the cap",
    links: [{ index: 1, mbps: 20, capBytes: 10_000, dataBytes: 7000 }],
    req: fresh(1 << 20),
    want: 1,
    maxBytes: 3000,
  },
  {
    n: 17,
    name: "a re-send keeps its size",
    links: [{ index: 1, mbps: 20 }],
    req: resend(1234),
    want: 1,
    maxBytes: 1234,
  },
];

for (const c of CASES) {
  Deno.test(`earliestPolicy #${c.n}: ${c.name}`, () => {
    const ctx: PolicyContext = {
      now: 0,
      bufferMs: 3000,
      inputRateBps: 0,
      queuedBytes: c.req.retransmit ? 0 : c.req.bytes,
    };
    const choice = earliestPolicy().choose(c.links.map(view), c.req, ctx);
    assert.equal(choice?.index ?? null, c.want);
    if (c.maxBytes !== undefined) assert.equal(choice?.maxBytes, c.maxBytes);
  });
}

// The prediction itself (arrivalMs in policy.ts, from the estimator's oneWayDelayMs and
// queuedAheadBytes), for a 10,000-byte block.
const ARRIVALS = [
  { n: 1, name: "an empty 20 Mbit/s link at 40 ms", spec: { mbps: 20 }, owd: 20, ahead: 0, ms: 24 },
  {
    n: 2,
    name: "in flight up to rate x minRTT is not ahead",
    spec: { mbps: 20, inFlight: 100_000 },
    owd: 20,
    ahead: 0,
    ms: 24,
  },
  {
    n: 3,
    name: "beyond it, it is",
    spec: { mbps: 20, inFlight: 150_000 },
    owd: 20,
    ahead: 50_000,
    ms: 44,
  },
  {
    n: 4,
    name: "no RTT sample: all in flight is ahead, 100 ms one way",
    spec: { mbps: 20, rtt: 0, inFlight: 50_000 },
    owd: 0,
    ahead: 50_000,
    ms: 124,
  },
  {
    n: 5,
    name: "a slow link at 300 ms",
    spec: { mbps: 0.5, rtt: 300 },
    owd: 150,
    ahead: 0,
    ms: 310,
  },
];
for (const c of ARRIVALS) {
  Deno.test(`arrivalMs predicts #${c.n}: ${c.name}`, () => {
    const link = view({ index: 1, ...c.spec });
    assert.equal(link.est.oneWayDelayMs, c.owd);
    assert.equal(link.est.queuedAheadBytes, c.ahead);
    assert.equal(arrivalMs(link, 10_000), c.ms);
  });
}

// The source itself waits once the paced input queue is half full: then a slower link that
// has nothing queued beyond its path takes the block, although the comparison (#4) would wait.
const SOURCE_WAITS = [
  {
    n: 1,
    name: "queue under half full: the comparison decides (wait)",
    slowInFlight: 0,
    full: 0.4,
    want: null,
  },
  {
    n: 2,
    name: "half full, the slow link idle: it takes the block",
    slowInFlight: 0,
    full: 0.5,
    want: 2,
  },
  // 0.5 Mbit/s x 300 ms = 18,750 B on the path; one block (2048) more is not yet a queue.
  {
    n: 3,
    name: "half full, the slow link's path not yet full",
    slowInFlight: 20_000,
    full: 0.5,
    want: 2,
  },
  {
    n: 4,
    name: "half full, a block queued beyond its path: wait",
    slowInFlight: 20_800,
    full: 0.9,
    want: null,
  },
];
for (const c of SOURCE_WAITS) {
  Deno.test(`earliestPolicy when the source waits #${c.n}: ${c.name}`, () => {
    const links = [
      view({ index: 1, mbps: 20, inFlight: FAST_FULL }),
      view({ index: 2, mbps: 0.5, rtt: 300, inFlight: c.slowInFlight }),
    ];
    const cap = inputQueueCapBytes(links, 3000);
    const ctx: PolicyContext = {
      now: 0,
      bufferMs: 3000,
      inputRateBps: 0,
      queuedBytes: Math.ceil(cap * c.full),
    };
    const choice = earliestPolicy().choose(links, fresh(10_000), ctx);
    assert.equal(choice?.index ?? null, c.want);
  });
}
