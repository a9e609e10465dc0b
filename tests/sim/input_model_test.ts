// Tests of the input models (core/sim/input_model.ts) and the content pattern
// (core/sim/pattern.ts): bitrates over time, keyframe bursts, greedy sources, the source-side
// backlog, and verification that catches reordered or corrupted output.

import assert from "node:assert/strict";
import { createInputModel, type InputModel } from "../../core/sim/input_model.ts";
import {
  PATTERN_PERIOD,
  patternByte,
  PatternVerifier,
  patternView,
} from "../../core/sim/pattern.ts";
import { Rng } from "../../core/sim/rng.ts";
import { simSeed } from "../_sim/pair.ts";

/** Takes everything available every `stepMs` until `endMs`; returns the chunks. */
function drain(m: InputModel, endMs: number, stepMs = 1) {
  const chunks: { offset: number; bytes: number; at: number }[] = [];
  for (let t = 0; t <= endMs; t += stepMs) {
    for (let c = m.take(t, Infinity); c !== null; c = m.take(t, Infinity)) chunks.push(c);
  }
  return chunks;
}

Deno.test("cbr produces its bitrate in grouped MPEG-TS chunks", () => {
  const m = createInputModel({ kind: "cbr", bitrateBps: 8e6 }, 10_000, new Rng(1));
  assert.equal(m.greedy, false);
  const chunks = drain(m, 12_000);
  const bytes = chunks.reduce((a, c) => a + c.bytes, 0);
  assert.ok(Math.abs(bytes - 10_000_000) <= 1316, `${bytes} bytes in 10 s`);
  assert.ok(chunks.every((c) => c.bytes % 1316 === 0 && c.bytes > 0));
  // 1000 bytes per ms: one 1316-byte group every 1.316 ms.
  assert.ok(Math.abs(chunks[1].at - chunks[0].at - 1.316) < 1e-9);
  // Offsets are contiguous.
  let off = 0;
  for (const c of chunks) {
    assert.equal(c.offset, off);
    off += c.bytes;
  }
  // Each second carries the rate.
  const perSecond = new Array(10).fill(0);
  for (const c of chunks) perSecond[Math.floor(c.at / 1000)] += c.bytes;
  assert.ok(perSecond.every((b) => Math.abs(b - 1e6) < 3000), perSecond.join(","));
  assert.ok(m.done(12_000));
  assert.equal(m.nextProductionAt(), null);
});

Deno.test("video averages its bitrate with a keyframe burst every GOP", () => {
  const seed = simSeed();
  const m = createInputModel(
    { kind: "video", bitrateBps: 3e6, fps: 30, gopMs: 2000, keyframeScale: 5 },
    20_000,
    new Rng(seed),
  );
  const frames = drain(m, 20_000, 1000 / 30 / 2);
  assert.equal(frames.length, 600, `seed ${seed}`);
  const total = frames.reduce((a, c) => a + c.bytes, 0);
  assert.ok(Math.abs(total * 8 / 20 - 3e6) < 0.03 * 3e6, `${total * 8 / 20} bit/s, seed ${seed}`);
  const keys = frames.filter((_, i) => i % 60 === 0);
  const others = frames.filter((_, i) => i % 60 !== 0);
  const mean = (xs: { bytes: number }[]) => xs.reduce((a, c) => a + c.bytes, 0) / xs.length;
  const ratio = mean(keys) / mean(others);
  assert.ok(ratio > 4 && ratio < 6, `keyframes ${ratio.toFixed(2)}x the others, seed ${seed}`);
  assert.ok(keys.every((k) => k.at % 2000 < 1e-6 || 2000 - (k.at % 2000) < 1e-6));
  // Every keyframe is bigger than any other frame (variation ±20 % cannot close a 5x gap).
  const maxOther = Math.max(...others.map((c) => c.bytes));
  assert.ok(keys.every((k) => k.bytes > maxOther), `seed ${seed}`);
});

Deno.test("a timed source keeps what the sender could not take, with its production time", () => {
  const m = createInputModel({ kind: "cbr", bitrateBps: 8e6, chunkBytes: 1000 }, 100, new Rng(1));
  assert.equal(m.take(10, 0), null);
  m.advance(10);
  assert.equal(m.bytesProduced, 11_000); // chunks at 0, 1, ..., 10 ms
  assert.deepEqual(m.take(10, 300), { offset: 0, bytes: 300, at: 0 });
  assert.deepEqual(m.take(10, 5000), { offset: 300, bytes: 700, at: 0 });
  assert.deepEqual(m.take(10, 5000), { offset: 1000, bytes: 1000, at: 1 });
  assert.equal(m.bytesTaken, 2000);
  assert.equal(m.done(500), false); // production ended at 100 ms, but a backlog remains
  while (m.take(500, Infinity)) { /* empty it */ }
  assert.equal(m.done(500), true);
  assert.equal(m.bytesTaken, 100_000);
});

Deno.test("saturating gives what is asked until its end; a file gives its size", () => {
  const sat = createInputModel({ kind: "saturating", chunkBytes: 4096 }, 1000, new Rng(1));
  assert.equal(sat.greedy, true);
  assert.deepEqual(sat.take(0, 10_000), { offset: 0, bytes: 4096, at: 0 });
  assert.deepEqual(sat.take(5, 100), { offset: 4096, bytes: 100, at: 5 });
  assert.equal(sat.done(999), false);
  assert.equal(sat.take(1000, 100), null);
  assert.equal(sat.done(1000), true);
  assert.equal(sat.bytesProduced, 4196);

  const file = createInputModel({ kind: "file", bytes: 10_000 }, 1, new Rng(1));
  assert.equal(file.take(50, 6000)?.bytes, 6000); // a file ignores the input duration
  assert.equal(file.take(60, 6000)?.bytes, 4000);
  assert.equal(file.take(70, 6000), null);
  assert.equal(file.done(70), true);
  assert.equal(createInputModel({ kind: "file", bytes: 0 }, 1, new Rng(1)).done(0), true);
});

Deno.test("input specs out of range are refused", () => {
  const rng = new Rng(1);
  assert.throws(() => createInputModel({ kind: "cbr", bitrateBps: 0 }, 1, rng), /bitrate/);
  assert.throws(() => createInputModel({ kind: "video", bitrateBps: 1, fps: -1 }, 1, rng), /fps/);
  assert.throws(
    () => createInputModel({ kind: "video", bitrateBps: 1, keyframeScale: 0.5 }, 1, rng),
    /keyframe/,
  );
  assert.throws(() => createInputModel({ kind: "file", bytes: 1.5 }, 1, rng), /file size/);
});

Deno.test("patternView holds the pattern of its stream offset, across the period", () => {
  for (const offset of [0, 1, 12_345, PATTERN_PERIOD - 3, PATTERN_PERIOD * 5 + 7]) {
    const v = patternView(offset, 1000);
    for (let i = 0; i < v.length; i++) assert.equal(v[i], patternByte(offset + i), `${offset}`);
  }
  assert.throws(() => patternView(0, 2 << 20), RangeError);
});

Deno.test("PatternVerifier accepts the stream and catches reordering and corruption", () => {
  for (const mode of ["full", "sampled"] as const) {
    const ok = new PatternVerifier(mode);
    assert.ok(ok.check(patternView(0, 5000)));
    assert.ok(ok.check(patternView(5000, 100_000)));
    assert.equal(ok.errors, 0);
    assert.equal(ok.offset, 105_000);

    const swapped = new PatternVerifier(mode);
    assert.equal(swapped.check(patternView(5000, 5000)), false);
    assert.equal(swapped.firstErrorAt, 0);

    const corrupt = new PatternVerifier(mode);
    const bad = patternView(0, 64).slice();
    bad[63] ^= 1; // the last byte is always checked
    assert.equal(corrupt.check(bad), false, mode);
    assert.equal(corrupt.errors, 1);
  }
  const full = new PatternVerifier("full");
  const bad = patternView(0, 50_000).slice();
  bad[12_345] ^= 0x80;
  assert.equal(full.check(bad), false);
  assert.equal(full.firstErrorAt, 12_345);
});

Deno.test("cbr groups units so that a fast stream makes at most one chunk per ms", () => {
  const m = createInputModel({ kind: "cbr", bitrateBps: 40e6 }, 100, new Rng(1));
  const chunks = drain(m, 100);
  // 5000 bytes per ms: 4 x 1316 = 5264 bytes every 1.0528 ms.
  assert.ok(chunks.every((c) => c.bytes === 5264));
  assert.ok(Math.abs(chunks[1].at - 1.0528) < 1e-9);
});
