import assert from "node:assert/strict";
import { AdaptiveBuffer } from "../../core/reorder/adaptive_buffer.ts";

const opts = { maxMs: 3000, minMs: 300, fixed: false };

/** Feeds `n` samples of `ms` spread over `spanMs` from `t0`; returns the end time. */
function feed(b: AdaptiveBuffer, ms: number, t0: number, n = 50, spanMs = 500): number {
  for (let i = 0; i < n; i++) b.observe(ms, t0 + (i * spanMs) / n);
  return t0 + spanMs;
}

Deno.test("AdaptiveBuffer starts at --buffer and stays there with too few samples", () => {
  const b = new AdaptiveBuffer(opts, 0);
  assert.equal(b.currentMs, 3000);
  b.observe(10, 1);
  assert.equal(b.update(10_000), false);
  assert.equal(b.currentMs, 3000);
});

Deno.test("AdaptiveBuffer shrinks slowly toward the delay spread when links are steady", () => {
  const b = new AdaptiveBuffer(opts, 0);
  let t = 0;
  const seen: number[] = [];
  for (let s = 0; s < 60; s++) {
    t = feed(b, 40, t, 20, 1000);
    b.update(t);
    seen.push(b.currentMs);
  }
  // Never more than 10 % a step, monotone, and settles at the floor (40 x 1.25 + 150 < 300).
  for (let i = 1; i < seen.length; i++) {
    assert.ok(seen[i] <= seen[i - 1]);
    assert.ok(seen[i] >= seen[i - 1] * 0.9 - 50, `step ${i}: ${seen[i - 1]} -> ${seen[i]}`);
  }
  assert.equal(seen.at(-1), 300);
});

Deno.test("AdaptiveBuffer grows at once when blocks get later, within --buffer", () => {
  const b = new AdaptiveBuffer(opts, 0);
  let t = 0;
  for (let s = 0; s < 60; s++) {
    t = feed(b, 40, t, 20, 1000);
    b.update(t);
  }
  assert.equal(b.currentMs, 300);
  b.observe(800, t + 1);
  assert.equal(b.update(t + 2), true);
  assert.equal(b.currentMs, 1150); // 800 x 1.25 + 150, rounded up to 50 ms
  b.observe(10_000, t + 3);
  b.update(t + 4);
  assert.equal(b.currentMs, 3000, "never above --buffer");
});

Deno.test("AdaptiveBuffer with --buffer-fixed never changes", () => {
  const b = new AdaptiveBuffer({ ...opts, fixed: true }, 0);
  let t = 0;
  for (let s = 0; s < 30; s++) {
    t = feed(b, s % 2 ? 5 : 2500, t, 20, 1000);
    assert.equal(b.update(t), false);
  }
  assert.equal(b.currentMs, 3000);
});

Deno.test("AdaptiveBuffer ignores samples that are not finite or negative", () => {
  const b = new AdaptiveBuffer(opts, 0);
  for (const bad of [NaN, -5, Infinity]) b.observe(bad, 1);
  assert.equal(b.peakMs(1), 0);
});
