// Tests of ByteQueue (core/session/byte_queue.ts), in order: a numbered table of push/take
// sequences, zero-copy within a chunk, and a seeded run of many small chunks checked against
// a plain array (seed printed; replay: BONDCTL_FUZZ_SEED=N deno test --allow-env ...).

import assert from "node:assert/strict";
import { ByteQueue } from "../../core/session/byte_queue.ts";
import { mulberry32, simSeed } from "../_sim/pair.ts";

type Op = { push: number[] } | { take: number; want: number[] };

interface Case {
  n: number;
  name: string;
  ops: Op[];
}

const push = (...b: number[]): Op => ({ push: b });
const take = (n: number, ...want: number[]): Op => ({ take: n, want });

const CASES: Case[] = [
  { n: 1, name: "an empty queue gives an empty slice", ops: [take(4)] },
  { n: 2, name: "take() within the first chunk", ops: [push(1, 2, 3), take(2, 1, 2), take(1, 3)] },
  {
    n: 3,
    name: "take() across two chunk boundaries",
    ops: [push(1, 2, 3), push(4, 5), push(6, 7, 8, 9), take(4, 1, 2, 3, 4), take(3, 5, 6, 7)],
  },
  { n: 4, name: "take() more than queued gives what there is", ops: [push(1, 2), take(5, 1, 2)] },
  {
    n: 5,
    name: "take() of exactly one whole chunk, then the next",
    ops: [push(1, 2), push(3), take(2, 1, 2), take(1, 3), take(1)],
  },
  {
    n: 6,
    name: "take(0) and take(-1) take nothing",
    ops: [push(7, 8), take(0), take(-1), take(9, 7, 8)],
  },
  {
    n: 7,
    name: "empty chunks are skipped",
    ops: [push(), push(1), push(), push(2), take(2, 1, 2)],
  },
  {
    n: 8,
    name: "push after a partial take keeps the order",
    ops: [push(1, 2, 3), take(1, 1), push(4), take(3, 2, 3, 4), push(5), take(1, 5)],
  },
  {
    n: 9,
    name: "a slice that starts mid-chunk and ends mid-chunk",
    ops: [push(1, 2, 3, 4), push(5, 6, 7, 8), take(1, 1), take(6, 2, 3, 4, 5, 6, 7), take(9, 8)],
  },
];

for (const c of CASES) {
  Deno.test(`ByteQueue #${c.n}: ${c.name}`, () => {
    const q = new ByteQueue();
    let queued = 0;
    for (const [i, op] of c.ops.entries()) {
      if ("push" in op) {
        q.push(new Uint8Array(op.push));
        queued += op.push.length;
      } else {
        const got = q.take(op.take);
        assert.deepEqual([...got], op.want, `op ${i}: take(${op.take})`);
        queued -= op.want.length;
      }
      assert.equal(q.length, queued, `op ${i}: length`);
    }
  });
}

Deno.test("ByteQueue.take() within a chunk is a view of the pushed buffer", () => {
  const q = new ByteQueue();
  const chunk = new Uint8Array([10, 11, 12, 13, 14, 15]);
  q.push(chunk);
  q.push(new Uint8Array([16]));
  const a = q.take(2);
  const b = q.take(4);
  for (const [slice, offset] of [[a, 0], [b, 2]] as const) {
    assert.equal(slice.buffer, chunk.buffer, "same buffer: no copy");
    assert.equal(slice.byteOffset, offset);
  }
  assert.deepEqual([...b], [12, 13, 14, 15]);
  // A slice across chunks must be a fresh copy: the chunks it came from stay as they were.
  q.push(new Uint8Array([17]));
  const c = q.take(2);
  assert.notEqual(c.buffer, chunk.buffer);
  assert.deepEqual([...c], [16, 17]);
  assert.equal(q.length, 0);
});

Deno.test("ByteQueue keeps order over many small chunks and random takes", () => {
  const seed = simSeed();
  const rand = mulberry32(seed ^ 0xb17e);
  const q = new ByteQueue();
  const expected: number[] = [];
  let head = 0;
  let next = 0;
  for (let round = 0; round < 20_000; round++) {
    if (rand() < 0.55) {
      const size = Math.floor(rand() * 8); // 0..7 bytes, empty chunks included
      const chunk = new Uint8Array(size);
      for (let i = 0; i < size; i++) chunk[i] = next++ & 0xff;
      for (const b of chunk) expected.push(b);
      q.push(chunk);
    } else {
      const n = Math.floor(rand() * 24);
      const got = q.take(n);
      const want = expected.slice(head, head + n);
      head += want.length;
      assert.deepEqual([...got], want, `round ${round}, take(${n}) (seed ${seed})`);
    }
    assert.equal(q.length, expected.length - head, `round ${round} (seed ${seed})`);
  }
  // Everything left comes out in one piece.
  assert.deepEqual([...q.take(Infinity)], expected.slice(head));
  assert.equal(q.length, 0);
});

Deno.test("ByteQueue hands out 10,000 one-byte chunks singly and in one take()", () => {
  const q = new ByteQueue();
  for (let i = 0; i < 12_000; i++) q.push(new Uint8Array([i & 0xff]));
  // One at a time, past the point where consumed chunks are dropped (1024)...
  for (let i = 0; i < 2000; i++) assert.equal(q.take(1)[0], i & 0xff, `byte ${i}`);
  assert.equal(q.length, 10_000);
  // ...then the rest in one copy that crosses that point again.
  const all = q.take(10_000);
  assert.equal(all.length, 10_000);
  for (let i = 0; i < all.length; i++) assert.equal(all[i], (2000 + i) & 0xff, `byte ${i}`);
  assert.equal(q.length, 0);
  q.push(new Uint8Array([1, 2]));
  assert.deepEqual([...q.take(5)], [1, 2], "usable again once drained");
});
