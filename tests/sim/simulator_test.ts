// Tests of runSimulation (core/sim/simulator.ts): the real endpoints on the virtual clock.
// 1. throughput and delay: a saturating input over two equal links; cbr at half load;
// 2. faults: a closed and a silent outage of the fastest link lose and double nothing;
// 3. determinism: the same seed gives a deep-equal result, another seed another one;
// 4. measurements: file input, backup links, redundant copies, trace links, the timeline;
// 5. frame sizes on the simulated wire match the codec; configs out of range are refused.
// Output is checked byte for byte against the input pattern (verify: "full") where it matters.
// The seed is printed (replay: BONDCTL_FUZZ_SEED=N deno test --allow-env --allow-read tests/sim).

import assert from "node:assert/strict";
import { runSimulation } from "../../core/sim/simulator.ts";
import type { SimConfig, SimResult } from "../../core/sim/sim_types.ts";
import type { SimLinkSpec } from "../../core/sim/link_model.ts";
import { wireSize } from "../../core/sim/wire_size.ts";
import { loadTrace } from "../../core/sim/trace_io.ts";
import { proportionalPolicy } from "../../core/scheduler/proportional.ts";
import type { Policy } from "../../core/scheduler/policy.ts";
import { sendable } from "../../core/scheduler/policy.ts";
import { encodeFrame, type Frame } from "../../core/frame/mod.ts";
import { simSeed } from "../_sim/pair.ts";

function config(over: Partial<SimConfig>): SimConfig {
  return {
    links: [{ capacity: 10e6, delayMs: 20 }, { capacity: 10e6, delayMs: 20 }],
    input: { kind: "saturating" },
    durationMs: 10_000,
    seed: simSeed(),
    policy: proportionalPolicy(),
    bufferMs: 3000,
    maxBufferBytes: 32 << 20,
    verify: "full",
    ...over,
  };
}

/** Every input byte came out once, in order, intact. */
function assertIntact(r: SimResult): void {
  const why = `seed ${r.seed}, events ${JSON.stringify(r.events.slice(0, 12))}`;
  assert.equal(r.outcome, "complete", why);
  assert.equal(r.verifyErrors, 0, why);
  assert.equal(r.lostBytes, 0, why);
  assert.equal(r.outputBytes, r.inputBytes, why);
  assert.ok(r.inputBytes > 0, why);
}

// ---- 1. Throughput and delay ----

Deno.test("runSimulation: saturating input over 2 equal links reaches ≥ 90 % efficiency", () => {
  const r = runSimulation(config({}));
  assertIntact(r);
  assert.ok(r.efficiency >= 0.9, `efficiency ${r.efficiency} (seed ${r.seed})`);
  assert.ok(r.efficiency <= 1, `efficiency ${r.efficiency} above the physical limit`);
  assert.equal(r.capacityBps, 20e6);
  assert.equal(r.windowMs, 10_000);
  assert.ok(Math.abs(r.meanLinksUsed - 2) < 0.05, `links used ${r.meanLinksUsed}`);
  const split = r.links[0].bytes / (r.links[0].bytes + r.links[1].bytes);
  assert.ok(split > 0.4 && split < 0.6, `split ${split}`);
});

Deno.test("runSimulation: cbr at 50 % load has p99 delay near the path delay", () => {
  const r = runSimulation(config({
    links: [{ capacity: 20e6, delayMs: 20 }, { capacity: 10e6, delayMs: 30 }],
    input: { kind: "cbr", bitrateBps: 15e6 },
    // Long enough that the start-up (16 KiB per link until a rate sample spans 100 ms, then
    // growing until the links carry 15 Mbit/s) is under 1 % of the bytes; the max bounds it
    // apart.
    durationMs: 30_000,
  }));
  assertIntact(r);
  // The slower path is 30 ms one way; serialization of a block and ACK pacing add a little.
  assert.ok(r.delayMs.p50 >= 20, `p50 ${r.delayMs.p50}`);
  assert.ok(r.delayMs.p99 <= 30 + 15, `p99 ${r.delayMs.p99} (seed ${r.seed})`);
  // The start-up's backlog: 16 KiB per 40-60 ms round trip for the first ~150 ms.
  assert.ok(r.delayMs.max <= 150, `max ${r.delayMs.max} (seed ${r.seed})`);
  assert.equal(r.onTimeShare, 1);
  assert.ok(Math.abs(r.goodputBps - 15e6) < 0.01 * 15e6, `goodput ${r.goodputBps}`);
  assert.ok(Math.abs(r.efficiency - 0.5) < 0.01, `efficiency ${r.efficiency}`);
  assert.equal(r.resentBytes, 0);
  assert.equal(r.duplicateBytes, 0);
});

// ---- 2. Faults ----

const OUTAGE_LINKS = (kind: "closed" | "silent"): SimLinkSpec[] => [
  { capacity: 20e6, delayMs: 20, outages: [{ atMs: 3000, durationMs: 3000, kind }] },
  { capacity: 10e6, delayMs: 30 },
  { capacity: 5e6, delayMs: 40 },
];

for (const kind of ["closed", "silent"] as const) {
  Deno.test(`runSimulation: a ${kind} outage of the fastest link loses and doubles nothing`, () => {
    const r = runSimulation(config({
      links: OUTAGE_LINKS(kind),
      input: { kind: "cbr", bitrateBps: 12e6 },
    }));
    assertIntact(r);
    assert.ok(r.events.some((e) => e.kind === "outage-start" && e.link === 1));
    if (kind === "silent") {
      // Nothing closes: the sender sees the link stall and re-sends what it held.
      assert.ok(r.events.some((e) => e.kind === "link-stalled" && e.link === 1), `seed ${r.seed}`);
      assert.equal(r.links[0].connections, 1);
    } else {
      assert.equal(r.links[0].connections, 2);
    }
    // The other links carried the stream meanwhile: no byte waited past the buffer.
    assert.equal(r.onTimeShare, 1, `seed ${r.seed}, max delay ${r.delayMs.max}`);
    assert.ok(r.delayMs.max < 1000, `max delay ${r.delayMs.max} (seed ${r.seed})`);
  });
}

// ---- 3. Determinism ----

Deno.test("runSimulation: the same seed gives a deep-equal result", () => {
  const seed = simSeed();
  const cfg = () =>
    config({
      seed,
      links: [
        { capacity: 12e6, delayMs: 20, jitterMs: 15, loss: 0.0005 },
        { capacity: [{ atMs: 0, bps: 8e6 }, { atMs: 2000, bps: 2e6 }], delayMs: 35, jitterMs: 5 },
        {
          capacity: 5e6,
          delayMs: 40,
          outages: [{ atMs: 4000, durationMs: 1000, kind: "silent" }],
        },
      ],
      input: { kind: "video", bitrateBps: 8e6 },
      durationMs: 8000,
      verify: "sampled",
    });
  const a = runSimulation(cfg());
  const b = runSimulation(cfg());
  console.log(`determinism: seed ${a.seed}`);
  assert.equal(a.seed, seed >>> 0);
  assert.deepEqual(a, b);
  assertIntact(a);
  // The seed matters: jitter, loss and frame sizes are drawn from it.
  const c = runSimulation({ ...cfg(), seed: seed + 1 });
  assert.notDeepEqual(c.delayMs, a.delayMs);
});

// ---- 4. Measurements ----

Deno.test("runSimulation: a file's goodput is its size over the time to its last byte", () => {
  const r = runSimulation(config({ input: { kind: "file", bytes: 5_000_000 }, durationMs: 1000 }));
  assertIntact(r);
  assert.equal(r.inputBytes, 5_000_000);
  // 40 Mbit over 20 Mbit/s: a little over 2 s, the input duration notwithstanding.
  assert.ok(r.windowMs > 2000 && r.windowMs < 2600, `window ${r.windowMs}`);
  assert.ok(Math.abs(r.goodputBps - 40e6 / (r.windowMs / 1000)) < 1);
  assert.ok(r.efficiency > 0.75 && r.efficiency <= 1, `efficiency ${r.efficiency}`);
});

Deno.test("runSimulation: a backup link idles while the primary suffices; cost per link", () => {
  const r = runSimulation(config({
    links: [
      { capacity: 20e6, delayMs: 20, costPerMB: 0.5 },
      { capacity: 20e6, delayMs: 20, priority: "backup", costPerMB: 10 },
    ],
    input: { kind: "cbr", bitrateBps: 5e6 },
  }));
  assertIntact(r);
  assert.equal(r.links[1].bytes, 0);
  assert.equal(r.links[1].cost, 0);
  assert.ok(Math.abs(r.meanLinksUsed - 1) < 0.02, `links used ${r.meanLinksUsed}`);
  assert.equal(r.links[0].cost, (r.links[0].bytes / 1e6) * 0.5);
  assert.equal(r.links[0].deliveredBytes, r.links[0].bytes);
});

/** Proportional, with a copy of every block on each other link that can take it. */
function copyAll(): Policy {
  const base = proportionalPolicy();
  return {
    name: "test-copy-all",
    choose(links, req, ctx) {
      const c = base.choose(links, req, ctx);
      if (!c) return null;
      const others = sendable(links).filter((l) => l.index !== c.index).map((l) => l.index);
      return { ...c, copies: others };
    },
  };
}

Deno.test("runSimulation: copies are counted as sent copies and received duplicates", () => {
  const r = runSimulation(config({
    input: { kind: "cbr", bitrateBps: 4e6 },
    policy: copyAll(),
    durationMs: 5000,
  }));
  assertIntact(r);
  assert.equal(r.policy, "test-copy-all");
  assert.ok(r.copyBytes > 0.8 * r.inputBytes, `copies ${r.copyBytes} of ${r.inputBytes}`);
  // Each block arrives twice; the later copy is a duplicate at the receiver.
  assert.ok(Math.abs(r.duplicateBytes - r.copyBytes) <= 0.02 * r.copyBytes);
  const carried = r.links.reduce((a, l) => a + l.bytes, 0);
  assert.equal(carried, r.inputBytes + r.copyBytes + r.resentBytes);
});

Deno.test("runSimulation: trace links from the fixtures carry a video stream", async () => {
  const dir = new URL("../../fixtures/traces/", import.meta.url);
  const lte = await loadTrace(new URL("mahimahi/TMobile-LTE-short.up", dir).pathname);
  const att = await loadTrace(new URL("mahimahi/ATT-LTE-driving.up", dir).pathname);
  const r = runSimulation(config({
    links: [{ capacity: lte.capacity, delayMs: 30 }, { capacity: att.capacity, delayMs: 40 }],
    input: { kind: "video", bitrateBps: 3e6 },
    durationMs: 20_000,
  }));
  assertIntact(r);
  const offered = (lte.capacity.cumBytes(20_000) + att.capacity.cumBytes(20_000)) * 8 / 20;
  assert.ok(Math.abs(r.capacityBps - offered) < 1, `${r.capacityBps} vs ${offered}`);
  assert.ok(r.onTimeShare > 0.99, `on time ${r.onTimeShare} (seed ${r.seed})`);
});

Deno.test("runSimulation: the timeline has one row per sample with per-link figures", () => {
  const r = runSimulation(config({
    links: [{ capacity: [{ atMs: 0, bps: 10e6 }, { atMs: 1000, bps: 5e6 }], delayMs: 20 }],
    input: { kind: "cbr", bitrateBps: 2e6 },
    durationMs: 2000,
    sampleMs: 250,
  }));
  assertIntact(r);
  const rows = r.timeline.filter((t) => t.tMs <= 2000);
  assert.deepEqual(rows.map((t) => t.tMs), [250, 500, 750, 1000, 1250, 1500, 1750, 2000]);
  assert.deepEqual(rows.map((t) => t.capacityBps[0]), [10e6, 10e6, 10e6, 10e6, 5e6, 5e6, 5e6, 5e6]);
  for (const row of rows.slice(1)) {
    assert.ok(Math.abs(row.goodputBps - 2e6) < 0.15 * 2e6, `goodput ${row.goodputBps}`);
    assert.ok(row.delayMs !== null && row.delayMs >= 20 && row.delayMs < 40);
    assert.equal(row.bufferMs, 3000);
    assert.equal(row.linkBps.length, 1);
  }
  assert.equal(r.timeline[r.timeline.length - 1].tMs, r.endMs);
});

// ---- 5. Wire sizes and validation ----

Deno.test("wireSize matches encodeFrame for every frame a session sends", () => {
  const vpn = { oui: 0x02bdc7, index: 3 };
  const frames: Frame[] = [
    {
      type: "DATA",
      vpn,
      streamId: 0,
      seq: 7,
      sendTs: 1,
      fin: false,
      retransmit: true,
      payload: new Uint8Array(5000),
    },
    {
      type: "DATA",
      vpn,
      streamId: 0,
      seq: 8,
      sendTs: 1,
      fin: true,
      retransmit: false,
      payload: new Uint8Array(0),
    },
    {
      type: "ACK",
      vpn,
      streamId: 0,
      cumulative: 10,
      ranges: [[12, 14], [20, 21]],
      windowBytes: 1 << 20,
      echoTs: 5,
      ackDelayUs: 10,
    },
    { type: "NACK", vpn, streamId: 0, ranges: [[3, 4]] },
    { type: "PING", vpn, ts: 9 },
    { type: "PONG", vpn, echoTs: 9 },
    { type: "CLOSE", vpn, code: 0, reason: "complete ✓" },
  ];
  for (const f of frames) assert.equal(wireSize(f), encodeFrame(f).length, f.type);
});

Deno.test("runSimulation refuses a config out of range", () => {
  const cases: [Partial<SimConfig>, RegExp][] = [
    [{ links: [] }, /at least one link/],
    [{ durationMs: 0 }, /durationMs/],
    [{ bufferMs: -1 }, /bufferMs/],
    [{ sampleMs: 0 }, /sampleMs/],
    [{ drainMs: -5 }, /drainMs/],
    [{ seed: 1.5 }, /seed/],
    [{ links: [{ capacity: 1e6, delayMs: 10, loss: 2 }] }, /loss/],
  ];
  for (const [over, error] of cases) assert.throws(() => runSimulation(config(over)), error);
});
