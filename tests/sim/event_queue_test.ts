// Tests of the simulator's clock, event queue and PRNG (core/sim/clock.ts, event_queue.ts,
// rng.ts): the queue's order (by time, ties in insertion order) against a sort of random
// input, and the generator's determinism. The seed is printed (replay: BONDCTL_FUZZ_SEED=N).

import assert from "node:assert/strict";
import { EventQueue } from "../../core/sim/event_queue.ts";
import { VirtualClock } from "../../core/sim/clock.ts";
import { Rng } from "../../core/sim/rng.ts";
import { simSeed } from "../_sim/pair.ts";

Deno.test("EventQueue pops by time, equal times in insertion order", () => {
  const q = new EventQueue<string>();
  assert.equal(q.peekTime(), null);
  assert.equal(q.pop(), undefined);
  q.push(5, "b1");
  q.push(1, "a");
  q.push(5, "b2");
  q.push(3, "c");
  q.push(5, "b3");
  q.push(0.5, "z");
  assert.equal(q.size, 6);
  assert.equal(q.peekTime(), 0.5);
  const out: string[] = [];
  for (let v = q.pop(); v !== undefined; v = q.pop()) out.push(v);
  assert.deepEqual(out, ["z", "a", "c", "b1", "b2", "b3"]);
});

Deno.test("EventQueue matches a stable sort of 5000 random events", () => {
  const seed = simSeed();
  const rng = new Rng(seed);
  const q = new EventQueue<number>();
  const items: { t: number; i: number }[] = [];
  for (let i = 0; i < 5000; i++) {
    // Few distinct times, so that ties are common.
    const t = Math.floor(rng.next() * 100);
    items.push({ t, i });
    q.push(t, i);
    // Interleave pops, as the simulator does.
    if (i % 7 === 6) {
      items.sort((a, b) => a.t - b.t || a.i - b.i);
      assert.equal(q.pop(), items.shift()!.i, `seed ${seed}`);
    }
  }
  items.sort((a, b) => a.t - b.t || a.i - b.i);
  for (const it of items) assert.equal(q.pop(), it.i, `seed ${seed}`);
  assert.equal(q.size, 0);
});

Deno.test("EventQueue refuses a NaN time", () => {
  assert.throws(() => new EventQueue<number>().push(NaN, 1), RangeError);
});

Deno.test("VirtualClock moves forward only", () => {
  const c = new VirtualClock();
  assert.equal(c.now, 0);
  c.advanceTo(2.5);
  c.advanceTo(2.5);
  assert.equal(c.now, 2.5);
  assert.throws(() => c.advanceTo(1), /cannot go back/);
});

Deno.test("Rng is deterministic per seed and label", () => {
  const a = new Rng(42);
  const b = new Rng(42);
  const xs = Array.from({ length: 100 }, () => a.next());
  assert.deepEqual(xs, Array.from({ length: 100 }, () => b.next()));
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  assert.notDeepEqual(
    Array.from({ length: 5 }, () => new Rng(42).fork("link1").next()),
    Array.from({ length: 5 }, () => new Rng(42).fork("link2").next()),
  );
  assert.equal(new Rng(42).fork("x").seed, new Rng(42).fork("x").seed);
  assert.equal(new Rng(-1).seed, 0xffffffff);
});

Deno.test("Rng.geometric has mean 1/p", () => {
  const rng = new Rng(simSeed());
  let sum = 0;
  const n = 20_000;
  for (let i = 0; i < n; i++) sum += rng.geometric(0.01);
  assert.ok(Math.abs(sum / n - 100) < 5, `mean ${sum / n}`);
  assert.equal(rng.geometric(0), Infinity);
  assert.equal(rng.geometric(1), 1);
});
