// Tests of the input pacing (core/session/input_pacing.ts), in order: a numbered table of caps
// for links in known states, then the cap following real LinkEstimators on an injected clock
// (start-up, measured, a link that stalls, a slow link that stretches the queue), and the room.

import assert from "node:assert/strict";
import { LinkEstimator } from "../../core/scheduler/link_estimator.ts";
import type { LinkState, LinkView } from "../../core/scheduler/policy.ts";
import {
  DEFAULT_INPUT_PACING,
  inputQueueCapBytes,
  pacedInputRoom,
} from "../../core/session/input_pacing.ts";

interface Spec {
  /** Nominal rate (Mbit/s), so that the estimate is exact; 0: unknown. */
  mbps: number;
  /** RTT sample (ms); 0: none. */
  rttMs?: number;
  inFlight?: number;
  state?: LinkState;
  blocked?: boolean;
}

function view(s: Spec, index = 1): LinkView {
  const est = new LinkEstimator(0, s.mbps > 0 ? { nominalRateBps: s.mbps * 1e6 } : {});
  if (s.rttMs) est.onRttSample(s.rttMs, 0);
  if (s.inFlight) est.onSend(s.inFlight, 0);
  return {
    index,
    caps: {
      kind: "wwan",
      name: `wwan${index}`,
      localAddress: `10.0.${index}.2`,
      cost: 1,
      priority: "primary",
    },
    state: s.state ?? "up",
    blocked: s.blocked ?? false,
    est,
    dataBytes: 0,
  };
}

/** A link whose budget is full: in flight = its budget. */
function full(mbps: number, rttMs: number): Spec {
  const probe = view({ mbps, rttMs });
  return { mbps, rttMs, inFlight: probe.est.budgetBytes() };
}

interface CapCase {
  n: number;
  name: string;
  links: Spec[];
  deadlineMs?: number;
  want: number;
}

// Rates in bytes per ms: 20 Mbit/s = 2500, 10 = 1250, 2 = 250, 0.128 = 16. Blocks are 10 ms of
// the rate, at least 2 KiB. One-way delays are half the RTT.
const CASES: CapCase[] = [
  { n: 1, name: "no link: the floor", links: [], want: 16 * 1024 },
  {
    n: 2,
    name: "one full 20 Mbit/s link: 15 ms of its rate, or two blocks",
    links: [full(20, 40)],
    // 15 ms x 2500 = 37,500; two blocks of 25,000 beat it and the 16 KiB floor.
    want: Math.max(15 * 2500, 2 * 25_000),
  },
  {
    n: 3,
    name: "an idle link adds its whole budget: what it would take at once must be there",
    links: [{ mbps: 20, rttMs: 40 }],
    // Its own two blocks (20 ms) stretch the 15 ms: 20 ms x 2500 plus the free budget.
    want: 20 * 2500 + view({ mbps: 20, rttMs: 40 }).est.budgetBytes(),
  },
  {
    n: 4,
    name: "a blocked link's free budget does not count (its socket is full)",
    links: [{ mbps: 20, rttMs: 40, blocked: true }],
    want: 2 * 25_000,
  },
  {
    n: 5,
    name: "a down or stalled link counts for nothing",
    links: [full(20, 40), { mbps: 10, rttMs: 40, state: "down" }, {
      mbps: 10,
      rttMs: 40,
      state: "stalled",
    }],
    want: 2 * 25_000,
  },
  {
    n: 6,
    name: "two full links: 15 ms of their sum, or two blocks each",
    links: [full(20, 40), full(10, 40)],
    // 15 ms x 3750 = 56,250 against 2 x (25,000 + 12,500) = 75,000.
    want: 75_000,
  },
  {
    n: 7,
    name: "a slow link stretches the queue to its two blocks plus its extra delay",
    // 2 Mbit/s, 150 ms RTT: two 2500-octet blocks (10 ms each) take 20 ms, plus 75 ms one
    // way, less the fast link's 20: the queue lasts 75 ms of the summed rate.
    links: [full(20, 40), full(2, 150)],
    want: Math.ceil(2750 * ((2 * 2500) / 250 + 75 - 20)),
  },
  {
    n: 8,
    name: "...but not past a quarter of the deadline",
    links: [full(20, 40), full(2, 150)],
    deadlineMs: 300,
    want: 2750 * 75,
  },
  {
    n: 9,
    name: "a link with under 1/32 of the rate does not stretch it",
    links: [full(20, 40), full(0.128, 40)],
    want: Math.max(Math.ceil(2516 * 15), 2 * (25_000 + 2048)),
  },
  {
    n: 10,
    name: "the patent's slowest link: 128 kbit/s of 1.92 Mbit/s does",
    links: [full(1.024, 40), full(0.512, 40), full(0.256, 40), full(0.128, 40)],
    // 16 B/ms: two 2 KiB blocks (the smallest) are 256 ms; same delays: 256 ms of 240 B/ms.
    want: Math.ceil(240 * 256),
  },
  {
    n: 11,
    name: "never above the ceiling",
    links: [full(10_000, 2)],
    want: DEFAULT_INPUT_PACING.ceilingBytes,
  },
];

for (const c of CASES) {
  Deno.test(`inputQueueCapBytes() #${c.n}: ${c.name}`, () => {
    const links = c.links.map((s, i) => view(s, i + 1));
    assert.equal(inputQueueCapBytes(links, c.deadlineMs ?? 3000), c.want);
  });
}

Deno.test("pacedInputRoom() is the cap less what waits, never negative", () => {
  const links = [view(full(20, 40))];
  const cap = inputQueueCapBytes(links, 3000);
  assert.equal(pacedInputRoom(links, 0, 3000), cap);
  assert.equal(pacedInputRoom(links, cap - 1000, 3000), 1000);
  assert.equal(pacedInputRoom(links, cap + 5000, 3000), 0);
});

Deno.test("the cap follows the links' measured rates on an injected clock", () => {
  // A link that learns its rate from acknowledgements: 8 Mbit/s (1000 B/ms), 40 ms RTT.
  const est = new LinkEstimator(0);
  const link: LinkView = { ...view({ mbps: 0 }), est };
  // 1. Start-up: nothing measured; the queue holds what the link takes at once (its initial
  // budget), and at least the floor.
  assert.equal(inputQueueCapBytes([link], 3000), Math.max(16 * 1024, est.budgetBytes()));
  // 2. Measured and busy: 40,000 bytes every 40 ms, acknowledged 40 ms later.
  let now = 0;
  let prev = est.onSend(40_000, now);
  est.onRttSample(40, 0);
  for (now = 40; now <= 2000; now += 40) {
    const next = est.onSend(40_000, now - 1);
    est.onRttSample(40, now);
    est.onDelivered(prev, now);
    prev = next;
  }
  assert.ok(Math.abs(est.rateBps - 8e6) < 0.1e6, `rate ${est.rateBps}`);
  // Budget in use, so the cap is the queue time at the rate plus the free budget.
  const free = Math.max(0, est.roomBytes());
  assert.equal(
    inputQueueCapBytes([link], 3000),
    // The link's two 10 ms blocks stretch the 15 ms queue to 20 ms of its rate.
    Math.max(16 * 1024, 2 * est.blockBytes(), Math.ceil(1000 * 20 + free)),
  );
  // 3. The link stalls: it no longer counts, and the queue shrinks to the floor.
  const stalled: LinkView = { ...link, state: "stalled" };
  assert.equal(inputQueueCapBytes([stalled], 3000), 16 * 1024);
});
