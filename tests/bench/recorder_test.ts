/**
 * What the bench's sink measures, on made-up arrival times: the window opens at the first
 * byte, goodput counts the window only, the longest stall (also one still open at the end),
 * the delay quantiles and the timeline.
 * @module
 */
import assert from "node:assert/strict";
import { BenchRecorder } from "../../core/bench/mod.ts";

Deno.test("BenchRecorder opens its window at the first byte and counts only the window", () => {
  const rec = new BenchRecorder({ durationMs: 1000, binMs: 100 });
  assert.equal(rec.windowOver(5000), false, "no window before the first byte");
  rec.onChunk(1000, 200);
  assert.equal(rec.windowStartMs, 200);
  assert.equal(rec.windowEndMs, 1200);
  for (let t = 300; t <= 1200; t += 100) rec.onChunk(1000, t);
  rec.onChunk(5000, 1500); // drained after the window: delivered, not goodput
  const f = rec.figures(1600);
  assert.equal(f.windowBytes, 11_000);
  assert.equal(f.goodputBps, 88_000);
  assert.equal(f.deliveredBytes, 16_000);
  assert.equal(f.longestStallMs, 100);
  assert.equal(rec.windowOver(1200), true);
  assert.equal(f.timeline[2].bps, 80_000, "bin 200-300 ms: 1000 B in 100 ms");
});

Deno.test("BenchRecorder finds the longest stall, also one that lasts to the end", () => {
  const rows: [number, string, [number, number][], number, number | null][] = [
    [1, "a gap in the middle", [[1, 0], [1, 100], [1, 700], [1, 1000]], 600, 100],
    [2, "silence to the end of the window", [[1, 0], [1, 200]], 800, 200],
    [3, "a gap that ends after the window", [[1, 0], [1, 100], [1, 5000]], 900, 100],
  ];
  for (const [n, what, chunks, stall, at] of rows) {
    const rec = new BenchRecorder({ durationMs: 1000 });
    for (const [b, t] of chunks) rec.onChunk(b, t);
    const f = rec.figures(6000);
    assert.equal(f.longestStallMs, stall, `#${n} ${what}`);
    assert.equal(f.longestStallAtMs, at, `#${n} ${what}: when`);
  }
  const read = new BenchRecorder({ durationMs: 1000 });
  read.onChunk(1, 0);
  read.figures(300); // a progress line in the middle of a stall changes nothing
  read.figures(600);
  read.onChunk(1, 900);
  assert.equal(read.figures(950).longestStallMs, 900, "reading the figures splits no stall");
  const none = new BenchRecorder({ durationMs: 1000 }).figures(2000);
  assert.equal(none.goodputBps, 0);
  assert.equal(none.longestStallMs, 1000, "nothing at all is one long stall");
});

Deno.test("BenchRecorder reports byte-weighted delay quantiles", () => {
  const rec = new BenchRecorder({ durationMs: 1000 });
  for (let i = 0; i < 98; i++) rec.onRecord(20, 1024);
  rec.onRecord(200, 1024);
  rec.onRecord(400, 1024);
  const f = rec.figures(0);
  assert.ok(Math.abs(f.delayMs.p50 - 20) < 0.5, `p50 ${f.delayMs.p50}`);
  assert.ok(f.delayMs.p99 > 150 && f.delayMs.p99 <= 400, `p99 ${f.delayMs.p99}`);
  assert.equal(f.delayMs.max, 400);
});
