// Tests of Capacity (core/sim/capacity.ts): constant, scheduled and looped rates, cumulative
// bytes and the finish time of a transfer across segments, zero-rate stretches and loops.

import assert from "node:assert/strict";
import { Capacity } from "../../core/sim/capacity.ts";

const near = (a: number, b: number, what: string) =>
  assert.ok(Math.abs(a - b) < 1e-6 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

Deno.test("Capacity.constant carries rate x time", () => {
  const c = Capacity.constant(8e6); // 1000 bytes per ms
  assert.equal(c.bpsAt(12_345), 8e6);
  near(c.bytesBetween(100, 350), 250_000, "bytes");
  near(c.finishTime(10, 5000), 15, "finish");
  assert.equal(c.finishTime(10, 0), 10);
});

Deno.test("Capacity.schedule follows its changes and the last rate lasts", () => {
  const c = Capacity.schedule([
    { atMs: 1000, bps: 0 },
    { atMs: 0, bps: 8e6 },
    { atMs: 3000, bps: 16e6 },
  ]);
  assert.equal(c.bpsAt(500), 8e6);
  assert.equal(c.bpsAt(2000), 0);
  assert.equal(c.bpsAt(1e9), 16e6);
  near(c.bytesBetween(0, 4000), 1_000_000 + 2_000_000, "bytes");
  // 500 bytes before the stop at 1000 ms, the rest after 3000 ms at 2000 B/ms.
  near(c.finishTime(999.5, 2500), 3001, "finish across a zero stretch");
  assert.equal(Capacity.schedule([{ atMs: 0, bps: 0 }]).finishTime(0, 1), Infinity);
  assert.throws(() => Capacity.schedule([]), RangeError);
  assert.throws(() => Capacity.schedule([{ atMs: 0, bps: -1 }]), /rate/);
});

Deno.test("Capacity.looped repeats with its period", () => {
  // 1000 B/ms for 1 s, nothing for 1 s, repeat.
  const c = Capacity.looped([0, 1000], [8e6, 0], 2000);
  assert.equal(c.periodMs, 2000);
  assert.equal(c.bpsAt(2500), 8e6);
  assert.equal(c.bpsAt(3500), 0);
  assert.equal(c.meanBps(), 4e6);
  near(c.cumBytes(5000), 3_000_000, "cum over 2.5 loops");
  near(c.timeOfCum(3_000_000), 5000, "inverse at a loop boundary");
  near(c.timeOfCum(2_000_000), 3000, "earliest time reaching a full loop count");
  near(c.finishTime(1500, 1000), 2001, "waits for the next loop");
  assert.equal(Capacity.looped([0], [0], 10).finishTime(0, 1), Infinity);
  assert.throws(() => Capacity.looped([0, 5], [1, 2], 5), /period/);
  assert.throws(() => Capacity.looped([0, 5, 5], [1, 2, 3], 9), /increase/);
});

Deno.test("Capacity.looped merges equal neighbours", () => {
  const c = Capacity.looped([0, 1, 2, 3], [8e6, 8e6, 0, 8e6], 4);
  assert.equal(c.segments, 3);
  near(c.bytesBetween(0, 4), 3000, "bytes");
});
