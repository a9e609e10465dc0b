// Tests of LinkEstimator (core/scheduler/link_estimator.ts), all on injected times, in order:
// RTT smoothing (RFC 6298), the windowed minimum RTT, delivery-rate samples from an ack clock,
// the in-flight budget, block sizes, stall deadlines, and losses.

import assert from "node:assert/strict";
import { LinkEstimator, type SendStamp } from "../../core/scheduler/link_estimator.ts";

const near = (actual: number, expected: number, what: string, eps = 1e-9) =>
  assert.ok(Math.abs(actual - expected) <= eps, `${what}: ${actual}, expected ${expected}`);

// ---- RTT ----

interface RttCase {
  n: number;
  name: string;
  samples: number[];
  srtt: number;
  rttvar: number;
}

// RFC 6298 2.2/2.3: first R: SRTT = R, RTTVAR = R/2; then RTTVAR = 3/4 RTTVAR + 1/4 |SRTT - R|
// (with the old SRTT) and SRTT = 7/8 SRTT + 1/8 R.
const RTT_CASES: RttCase[] = [
  { n: 1, name: "nothing measured", samples: [], srtt: 0, rttvar: 0 },
  { n: 2, name: "the first sample", samples: [100], srtt: 100, rttvar: 50 },
  { n: 3, name: "a second, larger sample", samples: [100, 200], srtt: 112.5, rttvar: 62.5 },
  { n: 4, name: "then a smaller one", samples: [100, 200, 50], srtt: 104.6875, rttvar: 62.5 },
  {
    n: 5,
    name: "a steady RTT shrinks the variation",
    samples: [80, 80, 80],
    srtt: 80,
    rttvar: 22.5,
  },
  {
    n: 6,
    name: "invalid samples are ignored",
    samples: [NaN, -1, Infinity, 100, NaN],
    srtt: 100,
    rttvar: 50,
  },
];

for (const c of RTT_CASES) {
  Deno.test(`LinkEstimator smooths RTT samples #${c.n}: ${c.name}`, () => {
    const est = new LinkEstimator(0);
    c.samples.forEach((s, i) => est.onRttSample(s, i * 10));
    near(est.srttMs, c.srtt, "srtt");
    near(est.rttVarMs, c.rttvar, "rttvar");
  });
}

Deno.test("LinkEstimator keeps the smallest RTT of the last 10 s, then lets it rise by 25 %", () => {
  const est = new LinkEstimator(0);
  assert.equal(est.minRttMs, 0, "0 before any sample");
  est.onRttSample(50, 0);
  est.onRttSample(30, 1000);
  est.onRttSample(80, 2000);
  assert.equal(est.minRttMs, 30);
  est.onRttSample(90, 10_999); // 9,999 ms after the minimum: it still holds
  assert.equal(est.minRttMs, 30);
  est.onRttSample(90, 11_001); // 10,001 ms after: it has expired, and rises by at most 25 %
  assert.equal(est.minRttMs, 37.5);
  est.onRttSample(60, 11_500);
  assert.equal(est.minRttMs, 37.5);
  est.onRttSample(35, 12_000); // a smaller sample is taken at once
  assert.equal(est.minRttMs, 35);
});

// ---- Delivery rate ----

interface AckClockCase {
  n: number;
  name: string;
  mbps: number;
  blockBytes: number;
  rttMs: number;
  /** Blocks covered by one acknowledgement. */
  ackEvery: number;
}

const ACK_CLOCKS: AckClockCase[] = [
  {
    n: 1,
    name: "10 Mbit/s, every block acknowledged",
    mbps: 10,
    blockBytes: 12_500,
    rttMs: 50,
    ackEvery: 1,
  },
  {
    n: 2,
    name: "10 Mbit/s, every other block",
    mbps: 10,
    blockBytes: 12_500,
    rttMs: 50,
    ackEvery: 2,
  },
  { n: 3, name: "2 Mbit/s on a 150 ms path", mbps: 2, blockBytes: 4096, rttMs: 150, ackEvery: 2 },
  {
    n: 4,
    name: "200 Mbit/s on a 5 ms path",
    mbps: 200,
    blockBytes: 131_072,
    rttMs: 5,
    ackEvery: 4,
  },
];

for (const c of ACK_CLOCKS) {
  Deno.test(`LinkEstimator measures the delivery rate of a steady ack clock #${c.n}: ${c.name}`, () => {
    const bytesPerMs = (c.mbps * 1e6) / 8 / 1000;
    const gap = c.blockBytes / bytesPerMs; // one block leaves every `gap` ms
    const est = new LinkEstimator(0);
    const stamps: SendStamp[] = [];
    const blocks = Math.ceil(3000 / gap);
    // Events in time order; at equal times acknowledgements go first.
    const events: { at: number; ack: boolean; k: number }[] = [];
    for (let k = 0; k < blocks; k++) {
      events.push({ at: k * gap, ack: false, k });
      // Block k is acknowledged with the last block of its group, one RTT after that one left.
      const last = Math.min(blocks - 1, (Math.floor(k / c.ackEvery) + 1) * c.ackEvery - 1);
      events.push({ at: last * gap + c.rttMs, ack: true, k });
    }
    events.sort((a, b) => a.at - b.at || Number(b.ack) - Number(a.ack) || a.k - b.k);
    for (const e of events) {
      if (e.ack) {
        est.onDelivered(stamps[e.k], e.at);
        est.onRttSample(c.rttMs, e.at);
      } else stamps[e.k] = est.onSend(c.blockBytes, e.at);
    }
    assert.ok(est.measured);
    const err = Math.abs(est.rateBps - c.mbps * 1e6) / (c.mbps * 1e6);
    assert.ok(err <= 0.1, `measured ${est.rateBps} bit/s for ${c.mbps} Mbit/s`);
    assert.equal(est.inFlightBytes, 0);
    assert.equal(est.deliveredBytes, blocks * c.blockBytes);
  });
}

Deno.test("LinkEstimator uses the nominal rate until it has measured one", () => {
  const est = new LinkEstimator(0, { nominalRateBps: 8e6 });
  assert.equal(est.rateBps, 8e6);
  assert.equal(est.measured, false);
  assert.equal(new LinkEstimator(0).rateBps, 0);
  const s = est.onSend(10_000, 0);
  est.onDelivered(s, 20); // 10,000 bytes in 20 ms: 4 Mbit/s
  assert.equal(est.measured, true);
  assert.equal(est.rateBps, 4e6);
});

// ---- Budget and block size ----

Deno.test("LinkEstimator budget is about 2 x rate x minRtt plus slack plus two blocks", () => {
  // 8 Mbit/s = 1000 bytes/ms; a block is 10 ms of that: 10,000 bytes.
  const est = new LinkEstimator(0, { nominalRateBps: 8e6 });
  assert.equal(est.blockBytes(), 10_000);
  assert.equal(est.budgetBytes(), 256 * 1024, "before any RTT: the initial budget");
  est.onRttSample(40, 0);
  const want = 1000 * (2 * 40 + 5) + 2 * 10_000;
  assert.equal(est.budgetBytes(), want);
  // Queueing raises srtt, not the path's minimum: the budget does not grow with it.
  est.onRttSample(100, 10);
  est.onRttSample(120, 20);
  assert.ok(est.srttMs > 40);
  assert.equal(est.budgetBytes(), want);
  const s = est.onSend(30_000, 30);
  assert.equal(est.roomBytes(), want - 30_000);
  est.onSend(want, 31);
  assert.equal(est.roomBytes(), -30_000, "room may be negative");
  est.onLost(s);
});

Deno.test("LinkEstimator budget before anything is known", () => {
  assert.equal(new LinkEstimator(0).budgetBytes(), 256 * 1024);
  assert.equal(new LinkEstimator(0).blockBytes(), 16 * 1024);
  // A small initial budget still lets two blocks go.
  assert.equal(new LinkEstimator(0, { initialBudgetBytes: 1000 }).budgetBytes(), 32 * 1024);
  // A measured RTT without a rate is not enough to size the budget.
  const est = new LinkEstimator(0);
  est.onRttSample(30, 0);
  assert.equal(est.budgetBytes(), 256 * 1024);
});

interface BlockCase {
  n: number;
  mbps: number;
  bytes: number;
}

// 10 ms of the link's rate, within 4 KiB .. 128 KiB.
const BLOCKS: BlockCase[] = [
  { n: 1, mbps: 0.128, bytes: 4096 },
  { n: 2, mbps: 1, bytes: 4096 },
  { n: 3, mbps: 4, bytes: 5000 },
  { n: 4, mbps: 8, bytes: 10_000 },
  { n: 5, mbps: 20, bytes: 25_000 },
  { n: 6, mbps: 100, bytes: 125_000 },
  { n: 7, mbps: 104.8576, bytes: 131_072 },
  { n: 8, mbps: 1000, bytes: 131_072 },
];

for (const c of BLOCKS) {
  Deno.test(`LinkEstimator sizes blocks to the link's rate #${c.n}: ${c.mbps} Mbit/s`, () => {
    assert.equal(new LinkEstimator(0, { nominalRateBps: c.mbps * 1e6 }).blockBytes(), c.bytes);
  });
}

Deno.test("LinkEstimator block sizes are proportional to rate between the bounds", () => {
  const size = (mbps: number) => new LinkEstimator(0, { nominalRateBps: mbps * 1e6 }).blockBytes();
  for (const [a, b] of [[5, 20], [10, 40], [4, 100]]) {
    near(size(a) / size(b), a / b, `${a} vs ${b} Mbit/s`, 0.001);
  }
});

// ---- Stalls ----

interface StallCase {
  n: number;
  name: string;
  opts?: { stallFloorMs?: number; stallRtts?: number };
  /** RTT samples given at time 0. */
  rtts: number[];
  /** Steps: send `bytes` at `at`, or deliver the `i`-th send at `at`. */
  steps: ({ send: number; at: number } | { deliver: number; at: number })[];
  deadline: number | null;
}

const STALL_CASES: StallCase[] = [
  { n: 1, name: "nothing in flight: no deadline", rtts: [], steps: [], deadline: null },
  {
    n: 2,
    name: "no RTT yet: the 400 ms floor",
    rtts: [],
    steps: [{ send: 1000, at: 0 }],
    deadline: 400,
  },
  {
    n: 3,
    name: "a short RTT: still the floor",
    rtts: [20],
    steps: [{ send: 1000, at: 100 }],
    deadline: 500,
  },
  {
    n: 4,
    name: "a long RTT: 4 x (srtt + 4 rttvar)",
    rtts: [200],
    steps: [{ send: 1000, at: 1000 }],
    deadline: 1000 + 4 * (200 + 4 * 100),
  },
  {
    n: 5,
    name: "a delivery restarts the clock",
    rtts: [],
    steps: [{ send: 1000, at: 0 }, { send: 1000, at: 10 }, { deliver: 0, at: 300 }],
    deadline: 700,
  },
  {
    n: 6,
    name: "more sends while data waits do not restart it",
    rtts: [],
    steps: [{ send: 1000, at: 0 }, { send: 1000, at: 390 }],
    deadline: 400,
  },
  {
    n: 7,
    name: "an idle link restarts it with its next send",
    rtts: [],
    steps: [{ send: 1000, at: 0 }, { deliver: 0, at: 100 }, { send: 1000, at: 5000 }],
    deadline: 5400,
  },
  {
    n: 8,
    name: "everything delivered: no deadline",
    rtts: [],
    steps: [{ send: 1000, at: 0 }, { deliver: 0, at: 100 }],
    deadline: null,
  },
  {
    n: 9,
    name: "options: floor 50 ms, 2 RTTs",
    opts: { stallFloorMs: 50, stallRtts: 2 },
    rtts: [10],
    steps: [{ send: 1000, at: 0 }],
    deadline: 2 * (10 + 4 * 5),
  },
];

for (const c of STALL_CASES) {
  Deno.test(`LinkEstimator stall deadline #${c.n}: ${c.name}`, () => {
    const est = new LinkEstimator(0, c.opts);
    for (const r of c.rtts) est.onRttSample(r, 0);
    const stamps: SendStamp[] = [];
    for (const s of c.steps) {
      if ("send" in s) stamps.push(est.onSend(s.send, s.at));
      else est.onDelivered(stamps[s.deliver], s.at);
    }
    assert.equal(est.stallDeadline(), c.deadline);
    if (c.deadline === null) {
      assert.equal(est.isStalled(1e9), false);
    } else {
      assert.equal(est.isStalled(c.deadline - 0.001), false);
      assert.equal(est.isStalled(c.deadline), true);
    }
  });
}

Deno.test("LinkEstimator progress without a delivery moves the stall clock only when idle", () => {
  const est = new LinkEstimator(0);
  est.onSend(1000, 0);
  est.onProgress(300); // a PONG while data waits unacknowledged: not progress for that data
  assert.equal(est.stallDeadline(), 400);
  est.resetInFlight(350);
  est.onProgress(360);
  assert.equal(est.stallDeadline(), null);
});

// ---- Losses ----

Deno.test("LinkEstimator.onLost() and resetInFlight() forget bytes without a rate sample", () => {
  const est = new LinkEstimator(0);
  const a = est.onSend(1000, 0);
  const b = est.onSend(2000, 1);
  est.onSend(3000, 2);
  assert.equal(est.inFlightBytes, 6000);
  est.onLost(b);
  assert.equal(est.inFlightBytes, 4000);
  assert.equal(est.deliveredBytes, 0);
  assert.equal(est.measured, false, "a loss is not a delivery");
  est.onLost(b);
  est.onLost(b);
  est.onLost(a);
  assert.equal(est.inFlightBytes, 0, "never below zero");
  est.onSend(500, 10);
  assert.notEqual(est.stallDeadline(), null);
  est.resetInFlight(20);
  assert.equal(est.inFlightBytes, 0);
  assert.equal(est.stallDeadline(), null);
  assert.equal(est.isStalled(1e9), false);
  // Sending again after a reset starts a fresh stall clock.
  est.onSend(500, 1000);
  assert.equal(est.stallDeadline(), 1400);
});

Deno.test("LinkEstimator lets its minimum RTT rise only step by step when samples are inflated", () => {
  const est = new LinkEstimator(0);
  est.onRttSample(40, 0);
  // A standing queue: every sample is 2 s for a minute.
  for (let t = 1000; t <= 60_000; t += 1000) est.onRttSample(2000, t);
  // Six expiries of 10 s at 1.25x each: 40 x 1.25^6 = 152.6 ms, far below the 2 s samples.
  assert.ok(est.minRttMs < 200, `minRtt jumped to ${est.minRttMs} ms`);
  assert.ok(est.minRttMs > 40, "a longer path must still be learnt, slowly");
});
