// Tests of LinkEstimator (core/scheduler/link_estimator.ts), all on injected times, in order:
// RTT smoothing (RFC 6298, and heavier for an idle link), the minimum RTT and its re-measuring
// probe, delivery-rate samples (an ack clock, app-limited samples, start-up), the in-flight budget, block sizes, stall deadlines, and losses.

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
    est.onSend(1000, 0); // samples taken while data flows
    c.samples.forEach((s, i) => est.onRttSample(s, i * 10));
    near(est.srttMs, c.srtt, "srtt");
    near(est.rttVarMs, c.rttvar, "rttvar");
  });
}

Deno.test("LinkEstimator weighs an idle link's RTT samples more (3/8 instead of 1/8)", () => {
  const est = new LinkEstimator(0);
  est.onRttSample(400, 0); // a queue measured once...
  est.onRttSample(40, 1000); // ...and a PONG on the idle link
  near(est.srttMs, 0.625 * 400 + 0.375 * 40, "srtt");
  near(est.rttVarMs, 0.25 * 200 + 0.75 * 360, "rttvar");
});

/** An estimator measured at 8 Mbit/s (1000 B/ms) on a 40 ms path, with data in flight. */
function busyLink(): LinkEstimator {
  const est = new LinkEstimator(0);
  est.onSend(100_000, 0);
  est.onRttSample(40, 0);
  return est;
}

Deno.test("LinkEstimator keeps the smallest RTT; samples within 1/8 of it confirm it", () => {
  const est = new LinkEstimator(0);
  assert.equal(est.minRttMs, 0, "0 before any sample");
  est.onSend(100_000, 0);
  est.onRttSample(50, 0);
  est.onRttSample(30, 1000);
  est.onRttSample(80, 1500);
  assert.equal(est.minRttMs, 30);
  // 30 x 1.125 + 1 = 34.75: this sample says no queue stands, so no probe will be needed.
  est.onRttSample(34, 2900);
  for (let t = 3000; t <= 4800; t += 100) est.onRttSample(80, t);
  assert.equal(est.probingRtt, false, "confirmed at 2.9 s: the first window runs to 4.9 s");
  est.onRttSample(80, 4901);
  assert.equal(est.probingRtt, true, "2 s without a confirming sample, and a queue stands");
});

Deno.test("LinkEstimator probes its minimum RTT: drains to half a BDP, takes what the path gives", () => {
  const est = busyLink();
  const stamp = est.onSend(200_000, 0);
  est.onDelivered(stamp, 200); // a rate sample: 8 Mbit/s, blocks of 10 ms (10,000 bytes)
  // A standing queue: srtt 100, above 1.5 x the 72.5 ms the budget itself keeps in flight
  // (1.25 x 40 + one block's 10 ms + 5 ms of slack).
  for (let t = 100; t <= 2000; t += 100) est.onRttSample(100, t);
  const normal = est.budgetBytes();
  est.onRttSample(100, 2100); // 2.1 s since the minimum was set: the first probe starts
  assert.equal(est.probingRtt, true);
  const rate = est.rateBps / 8000;
  assert.equal(est.budgetBytes(), Math.ceil(Math.max(est.blockBytes(), 0.5 * rate * 40)));
  assert.ok(est.budgetBytes() < normal / 2);
  // The queue drains; the path now answers in 60 ms (it got longer, beyond the 56 ms that
  // confirm 40 with one block's time): after 1.5 srtt (and at least 200 ms) the smallest
  // sample of the probe is the new minimum.
  est.onRttSample(60, 2200);
  est.onRttSample(60, 2250);
  assert.equal(est.probingRtt, true, "still draining");
  est.onRttSample(70, 2400);
  assert.equal(est.probingRtt, false);
  assert.equal(est.minRttMs, 60);
  // The next probe comes 10 s later, not 2.
  for (let t = 2500; t <= 12_000; t += 100) est.onRttSample(150, t);
  assert.equal(est.probingRtt, false);
  est.onRttSample(150, 12_500);
  assert.equal(est.probingRtt, true);
});

Deno.test("LinkEstimator ends a probe as soon as a sample confirms the minimum", () => {
  const est = busyLink();
  for (let t = 100; t <= 2100; t += 100) est.onRttSample(100, t);
  assert.equal(est.probingRtt, true);
  est.onRttSample(44, 2150); // within 40 x 1.125 + 1
  assert.equal(est.probingRtt, false);
  assert.equal(est.minRttMs, 40);
});

Deno.test("LinkEstimator probes the first minimum anyway, later ones only while a queue stands", () => {
  const est = busyLink(); // minimum 40 ms, from start-up's first flight
  let probes = 0;
  let was = false;
  for (let t = 100; t <= 30_000; t += 100) {
    est.onRttSample(55, t); // the path now says 55: within 1.5 x, so no queue stands
    if (est.probingRtt && !was) probes++;
    was = est.probingRtt;
  }
  // The first probe (at 2 s) learnt 55 ms; after it, the 10 s windows found no queue.
  assert.equal(probes, 1);
  assert.equal(est.minRttMs, 55);
});

/** busyLink() with a measured rate: 8 Mbit/s, so blocks of 10,000 bytes (10 ms). */
function measuredLink(): LinkEstimator {
  const est = busyLink();
  est.onDelivered(est.onSend(200_000, 0), 200);
  assert.equal(est.blockBytes(), 10_000);
  return est;
}

Deno.test("LinkEstimator counts a block's own time when a sample confirms the minimum", () => {
  // An ACK echoes the block that arrived last, so its sample holds that block's 10 ms on the
  // link, while the minimum may come from a PING: 40 x 1.125 + 1 + 10 = 56 still confirms.
  const est = measuredLink();
  for (let t = 300; t <= 2100; t += 100) est.onRttSample(100, t);
  assert.equal(est.probingRtt, true);
  est.onRttSample(56, 2150);
  assert.equal(est.probingRtt, false);
  assert.equal(est.minRttMs, 40);
});

Deno.test("LinkEstimator does not probe for the queue its own budget keeps", () => {
  // The budget keeps about 1.25 x 40 + 10 + 5 = 65 ms in flight: samples of 64 ms after the
  // first probe are that, not a standing queue (1.5 x 40 = 60 called them one: a probe, and
  // half the link's rate lost for its length, every 10 s).
  const est = measuredLink();
  let probes = 0;
  let was = false;
  for (let t = 300; t <= 35_000; t += 20) {
    est.onRttSample(est.probingRtt ? 40 : 64, t);
    if (est.probingRtt && !was) probes++;
    was = est.probingRtt;
  }
  assert.equal(probes, 1, "the first minimum only");
  assert.equal(est.minRttMs, 40);
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

Deno.test("LinkEstimator budget is 1.25 x rate x path plus slack plus two blocks", () => {
  // 8 Mbit/s = 1000 bytes/ms; a block is 10 ms of that: 10,000 bytes.
  const est = new LinkEstimator(0, { nominalRateBps: 8e6 });
  assert.equal(est.blockBytes(), 10_000);
  assert.equal(est.budgetBytes(), 20_000, "before any RTT: the initial budget, or two blocks");
  est.onRttSample(40, 0);
  // A nominal rate is not a measurement: no start-up gain. The path is the minimum RTT less
  // one block's time (10 ms), which the two blocks count.
  const want = 1000 * (1.25 * 30 + 5) + 2 * 10_000;
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
  assert.equal(new LinkEstimator(0).budgetBytes(), 16 * 1024);
  assert.equal(new LinkEstimator(0).blockBytes(), 4 * 1024);
  // A small initial budget still lets two blocks go.
  assert.equal(new LinkEstimator(0, { initialBudgetBytes: 1000 }).budgetBytes(), 8 * 1024);
  // A measured RTT without a rate is not enough to size the budget.
  const est = new LinkEstimator(0);
  est.onRttSample(30, 0);
  assert.equal(est.budgetBytes(), 16 * 1024);
});

Deno.test("LinkEstimator start-up: gain 2.89 while the measured rate grows, 1.25 once it stops", () => {
  const est = new LinkEstimator(0);
  est.onRttSample(40, 0);
  // An ack clock at 8 Mbit/s (1000 B/ms): 40,000 bytes out every 40 ms, each acknowledged
  // 80 ms later, so the link never idles.
  const stamps = [est.onSend(40_000, 0), est.onSend(40_000, 1)];
  const tick = (k: number) => {
    stamps.push(est.onSend(40_000, 40 * k));
    est.onDelivered(stamps[k], 40 * k + 40);
  };
  est.onDelivered(stamps[0], 40);
  // The first samples span less than 100 ms: they may overstate, so the budget and block size
  // keep their start values.
  assert.equal(est.startingUp, true);
  assert.equal(est.measured, true);
  assert.equal(est.budgetBytes(), 16 * 1024);
  assert.equal(est.blockBytes(), 4 * 1024);
  for (let k = 1; k <= 3; k++) tick(k); // t = 160: a sample spans 120 ms
  const block = est.blockBytes();
  assert.equal(block, 10_000);
  assert.equal(est.startingUp, true);
  assert.equal(est.budgetBytes(), Math.ceil(1000 * (2.89 * 30 + 5) + 2 * block));
  // Start-up's rounds count from the first spanned sample (t = 160): until then the budget was
  // held at its start value, so the rate could not grow. Three minimum RTTs (120 ms) later
  // without a quarter's growth, start-up is over.
  for (let k = 4; k <= 6; k++) tick(k); // t = 280
  assert.equal(est.startingUp, true, "120 ms since the first spanned sample: not yet over");
  tick(7);
  near(est.rateBps, 8e6, "rate", 1);
  assert.equal(est.startingUp, false);
  assert.equal(est.budgetBytes(), Math.ceil(1000 * (1.25 * 30 + 5) + 2 * block));
});

interface BlockCase {
  n: number;
  mbps: number;
  bytes: number;
}

// 10 ms of the link's rate, within 2 KiB .. 128 KiB.
const BLOCKS: BlockCase[] = [
  { n: 1, mbps: 0.128, bytes: 2048 },
  { n: 2, mbps: 1, bytes: 2048 },
  { n: 9, mbps: 2, bytes: 2500 },
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

Deno.test("LinkEstimator lets its minimum RTT rise at most twofold per probe", () => {
  const est = busyLink();
  // A queue that never drains (another sender's, say): every sample is 2 s for a minute.
  for (let t = 1000; t <= 60_000; t += 100) est.onRttSample(2000, t);
  // Probes at about 2 s, then every 10 s or so: five of them, each at most doubling.
  assert.ok(est.minRttMs <= 40 * 2 ** 6, `minRtt jumped to ${est.minRttMs} ms`);
  assert.ok(est.minRttMs >= 40 * 2 ** 3, "a longer path must still be learnt");
});

Deno.test("LinkEstimator rate: a sample reaching back into idle time may raise it, not lower it", () => {
  const est = new LinkEstimator(0);
  est.onRttSample(40, 0);
  // Busy at 8 Mbit/s for a while...
  let t = 0;
  let prev = est.onSend(40_000, t);
  for (; t < 1000; t += 40) {
    const next = est.onSend(40_000, t + 1);
    est.onDelivered(prev, t + 40);
    prev = next;
  }
  est.onDelivered(prev, t + 40);
  near(est.rateBps, 8e6, "busy rate", 0.2e6);
  // ...then the scheduler leaves it idle and sends one small block now and then.
  for (t = 2000; t < 6000; t += 500) est.onDelivered(est.onSend(2000, t), t + 40);
  near(est.rateBps, 8e6, "after idle, small blocks", 0.2e6);
});

Deno.test("LinkEstimator: the first spanned sample replaces start-up's overstated ones, also after idle time", () => {
  const est = new LinkEstimator(0);
  est.onRttSample(3, 0);
  // A token bucket's burst: 16 KiB acknowledged 3.6 ms after it left, read as 36 Mbit/s on a
  // 20 Mbit/s link. Until a sample spans 100 ms, the budget and blocks keep their start values.
  const burst = [0, 1, 2, 3].map(() => est.onSend(4096, 0));
  for (const s of burst) est.onDelivered(s, 3.6);
  assert.ok(est.rateBps > 30e6, `short samples overstate: ${est.rateBps}`);
  assert.equal(est.budgetBytes(), 16 * 1024);
  assert.equal(est.blockBytes(), 4 * 1024);
  // The link idles, then carries 20 Mbit/s (2.5 B/µs) from 50 ms: the first sample that spans
  // 100 ms reaches back to the burst (idle time in between), and still replaces the 36.
  for (let t = 50; t <= 100; t += 5) est.onDelivered(est.onSend(12_500, t - 5), t);
  assert.ok(est.rateBps > 30e6, "no sample has spanned 100 ms yet");
  est.onDelivered(est.onSend(12_500, 100), 105); // spans back to the burst's mark at 3.6 ms
  assert.ok(est.rateBps < 25e6, `replaced at once: ${est.rateBps}`);
  assert.ok(est.budgetBytes() > 16 * 1024, "measured: the budget follows the rate");
});

Deno.test("LinkEstimator: on a path longer than 100 ms the first round trip's samples are spanned", () => {
  const est = new LinkEstimator(0);
  est.onRttSample(150, 0);
  const stamps = [0, 1, 2, 3].map(() => est.onSend(4096, 0));
  stamps.forEach((s, i) => est.onDelivered(s, 150 + 16 * i));
  // 16 KiB in 198 ms: measured, and the budget grows from it at once.
  near(est.rateBps, (16 * 1024 * 8000) / 198, "rate", 1000);
  assert.ok(est.budgetBytes() !== 16 * 1024, `budget ${est.budgetBytes()}`);
});

Deno.test("LinkEstimator: a block's own time in the minimum RTT is not counted twice", () => {
  // 128 kbit/s (16 B/ms): a 2 KiB block is 128 ms on the link, and the minimum RTT of 140 ms
  // was measured on such a block: 12 ms of path, 1.25 x 12 + 5 ms of slack, two blocks.
  const est = new LinkEstimator(0, { nominalRateBps: 128_000 });
  est.onRttSample(140, 0);
  assert.equal(est.blockBytes(), 2048);
  assert.equal(est.budgetBytes(), Math.ceil(16 * (1.25 * 12 + 5) + 2 * 2048));
  // A minimum shorter than the block's time (a smaller block measured it): no negative path.
  const fast = new LinkEstimator(0, { nominalRateBps: 128_000 });
  fast.onRttSample(60, 0);
  assert.equal(fast.budgetBytes(), Math.ceil(16 * 5 + 2 * 2048));
});
