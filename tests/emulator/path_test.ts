/**
 * The emulator's one-direction model on a virtual clock: rate, delay, FIFO order, jitter that
 * never reorders, holds (silent outages), rate changes, the queue bound, dropping a closed
 * connection's chunks, trace capacity and loss stalls.
 * @module
 */
import assert from "node:assert/strict";
import { Capacity } from "../../core/sim/capacity.ts";
import { Rng } from "../../core/sim/rng.ts";
import { parseMahimahi } from "../../core/sim/traces.ts";
import { EmulatedPath } from "../../core/emulator/mod.ts";

const SEED = 20260601;
console.log(`emulator path tests: seed ${SEED}`);

const at8M = () => new EmulatedPath<string>({ capacity: Capacity.constant(8e6), delayMs: 20 });

// #, what, pushes [bytes, at], expected due times (8 Mbit/s = 1000 B/ms, 20 ms delay)
const TIMING: [number, string, [number, number][], number[]][] = [
  [1, "one chunk: serialization + delay", [[1000, 0]], [21]],
  [2, "back to back: the second waits for the first", [[1000, 0], [1000, 0]], [21, 22]],
  [3, "an idle path starts at once", [[1000, 0], [1000, 50]], [21, 71]],
  [4, "an empty chunk (an end of stream) keeps its place", [[5000, 0], [0, 1]], [25, 25]],
];

Deno.test("EmulatedPath times chunks by rate and delay, in order", () => {
  for (const [n, what, pushes, dues] of TIMING) {
    const p = at8M();
    const got = pushes.map(([bytes, at], i) => p.push(`c${i}`, bytes, at));
    assert.deepEqual(got, dues, `#${n} ${what}`);
  }
});

Deno.test("EmulatedPath.takeDue() returns what is due, in order, once", () => {
  const p = at8M();
  p.push("a", 1000, 0);
  p.push("b", 1000, 0);
  assert.deepEqual(p.takeDue(21.5), ["a"]);
  assert.deepEqual(p.takeDue(30), ["b"]);
  assert.deepEqual(p.takeDue(40), []);
  assert.equal(p.bytesOut, 2000);
});

Deno.test("EmulatedPath without capacity only delays", () => {
  const p = new EmulatedPath<string>({ capacity: null, delayMs: 15 });
  assert.equal(p.push("a", 1e6, 3), 18);
  assert.equal(p.push("b", 1e6, 3), 18);
});

Deno.test("EmulatedPath jitter bunches chunks up but never reorders them", () => {
  const p = new EmulatedPath<number>({
    capacity: Capacity.constant(100e6),
    delayMs: 10,
    jitterMs: 30,
    rng: new Rng(SEED),
  });
  let last = 0;
  let spread = 0;
  for (let i = 0; i < 500; i++) {
    const due = p.push(i, 1500, i * 0.5);
    assert.ok(due >= last, `seed ${SEED}: chunk ${i} due ${due} before ${last}`);
    spread = Math.max(spread, due - (i * 0.5 + 10));
    last = due;
  }
  assert.ok(spread > 10, `seed ${SEED}: jitter should add delay (max extra ${spread} ms)`);
  const out = p.takeDue(Infinity);
  assert.deepEqual(out, Array.from({ length: 500 }, (_, i) => i));
});

Deno.test("EmulatedPath holds everything while silent and re-sends from the release", () => {
  const p = at8M();
  p.push("a", 1000, 0); // due 21
  p.hold(5);
  assert.equal(p.held, true);
  assert.equal(p.push("b", 1000, 10), Infinity);
  assert.deepEqual(p.takeDue(100), [], "nothing is delivered while held");
  assert.equal(p.nextWakeAt(100), null);
  p.release(200);
  // Both are serialized again from 200: 201 + 20, 202 + 20.
  assert.deepEqual(p.takeDue(221), ["a"]);
  assert.deepEqual(p.takeDue(222), ["b"]);
});

Deno.test("EmulatedPath.setCapacity() re-times the chunks not yet serialized", () => {
  const p = at8M();
  for (let i = 0; i < 4; i++) p.push(`c${i}`, 1000, 0); // finish 1, 2, 3, 4
  p.setCapacity(Capacity.constant(4e6), 2); // 500 B/ms from 2 ms on
  // c0 and c1 were serialized (finish 1 and 2); c2 and c3 take 2 ms each from 2 ms.
  assert.deepEqual(p.takeDue(22), ["c0", "c1"]);
  assert.deepEqual(p.takeDue(24), ["c2"]);
  assert.deepEqual(p.takeDue(26), ["c3"]);
});

Deno.test("EmulatedPath bounds its queue to about 100 ms of the rate", () => {
  const p = at8M(); // 100 ms at 8 Mbit/s = 100 000 bytes
  assert.equal(p.queueLimit(0), 100_000);
  for (let i = 0; i < 10; i++) p.push(`c${i}`, 10_000, 0);
  assert.equal(p.hasRoom(0), false);
  // The oldest chunk finishes serializing at 10 ms: the queue gets room then.
  assert.equal(p.nextWakeAt(0), 10);
  assert.equal(p.hasRoom(10), true);
  const slow = new EmulatedPath<string>({ capacity: Capacity.constant(128e3), delayMs: 20 });
  assert.equal(slow.queueLimit(0), 64 * 1024, "the floor holds on slow links");
});

Deno.test("EmulatedPath.drop() removes a closed connection's chunks", () => {
  const p = at8M();
  p.push("a1", 1000, 0);
  p.push("b1", 1000, 0);
  p.push("a2", 1000, 0);
  p.drop((x) => x.startsWith("a"));
  assert.equal(p.length, 1);
  assert.deepEqual(p.takeDue(100), ["b1"]);
});

Deno.test("EmulatedPath follows a trace's capacity curve", () => {
  // mahimahi "1, 4": a 4 ms loop with 1500 B in slot 1 and in slot 0 (4 wraps to 0).
  const trace = parseMahimahi("1\n4\n", "tiny.up");
  const p = new EmulatedPath<string>({ capacity: trace.capacity, delayMs: 0 });
  assert.equal(p.push("a", 1500, 0), 1, "slot 0 carries the first");
  assert.equal(p.push("b", 1500, 1), 2, "slot 1 carries the second");
  assert.equal(p.push("c", 1500, 2), 5, "slots 2 and 3 carry nothing: the next loop's slot 0");
});

Deno.test("EmulatedPath loss stalls the path after a lost unit", () => {
  const rng = new Rng(SEED);
  const p = new EmulatedPath<number>({
    capacity: Capacity.constant(8e6),
    delayMs: 20,
    loss: 0.05,
    lossStallMs: 240,
    rng,
  });
  let due = 0;
  for (let i = 0; i < 100; i++) due = p.push(i, 1448, 0);
  assert.ok(p.lossStalls > 0, `seed ${SEED}: 5 % loss over 100 units should stall`);
  assert.ok(due >= 144.8 + 20 + 240 * p.lossStalls - 1e-6, `seed ${SEED}: stalls add time`);
});

Deno.test("EmulatedPath refuses impossible settings", () => {
  const bad: [number, ConstructorParameters<typeof EmulatedPath>[0]][] = [
    [1, { capacity: null, delayMs: -1 }],
    [2, { capacity: null, delayMs: 0, jitterMs: Infinity }],
    [3, { capacity: null, delayMs: 0, loss: 1 }],
    [4, { capacity: null, delayMs: 0, jitterMs: 5 }],
  ];
  for (const [n, opts] of bad) assert.throws(() => new EmulatedPath(opts), RangeError, `#${n}`);
});
