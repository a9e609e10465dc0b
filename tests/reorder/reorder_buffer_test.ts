/**
 * Tests of the reorder buffer, in three parts:
 * 1. a numbered table of edge cases (ordering, duplicates, fin, window);
 * 2. NACK timing on an injected clock (`now` values, no sleeps);
 * 3. a seeded randomised stream (seed printed; replay with BONDCTL_FUZZ_SEED and --allow-env).
 */
import assert from "node:assert/strict";
import {
  type InsertResult,
  ReorderBuffer,
  ReorderError,
  type ReorderErrorCode,
  type SeqRange,
} from "../../core/reorder/mod.ts";

// ---- 1. Edge cases as a numbered table ----

/** A payload whose bytes say which block it is, so a mix-up shows. */
function payload(seq: number, size: number): Uint8Array {
  return new Uint8Array(size).fill((seq * 31 + 7) & 0xff);
}

interface State {
  nextSeq: number;
  heldBytes: number;
  windowBytes: number;
  finished: boolean;
  highestSeen: number;
  readyCount: number;
  ackRanges: SeqRange[];
}

type Step =
  | { ins: [seq: number, size: number, fin: boolean]; want: InsertResult | ReorderErrorCode }
  | { take: number[] } // takes everything ready; these seqs, in this order
  | { state: Partial<State> };

const ins = (
  seq: number,
  size: number,
  want: InsertResult | ReorderErrorCode,
  fin = false,
): Step => ({
  ins: [seq, size, fin],
  want,
});
const take = (...seqs: number[]): Step => ({ take: seqs });
const state = (s: Partial<State>): Step => ({ state: s });

interface Case {
  n: number;
  name: string;
  maxBytes?: number;
  steps: Step[];
}

const CASES: Case[] = [
  {
    n: 1,
    name: "take() releases blocks inserted in order",
    steps: [
      ins(0, 10, "accepted"),
      ins(1, 20, "accepted"),
      ins(2, 5, "accepted", true),
      state({ nextSeq: 3, heldBytes: 35, readyCount: 3, ackRanges: [], finished: false }),
      take(0, 1, 2),
      state({ heldBytes: 0, finished: true, highestSeen: 2 }),
    ],
  },
  {
    n: 2,
    name: "insert() in reverse order holds everything until seq 0 arrives",
    steps: [
      ins(3, 4, "accepted", true),
      ins(2, 4, "accepted"),
      ins(1, 4, "accepted"),
      take(),
      state({ nextSeq: 0, heldBytes: 12, ackRanges: [[1, 4]], highestSeen: 3 }),
      ins(0, 4, "accepted"),
      state({ nextSeq: 4, ackRanges: [] }),
      take(0, 1, 2, 3),
      state({ finished: true }),
    ],
  },
  {
    n: 3,
    name: "insert() drops a duplicate of a held out-of-order block",
    steps: [
      ins(2, 8, "accepted"),
      ins(2, 8, "duplicate"),
      state({ heldBytes: 8, ackRanges: [[2, 3]] }),
    ],
  },
  {
    n: 4,
    name: "insert() drops a duplicate of a ready block not yet taken",
    steps: [ins(0, 8, "accepted"), ins(0, 8, "duplicate"), state({ heldBytes: 8 }), take(0)],
  },
  {
    n: 5,
    name: "insert() drops a duplicate of a released block",
    steps: [ins(0, 8, "accepted"), take(0), ins(0, 8, "duplicate"), take(), state({ nextSeq: 1 })],
  },
  {
    n: 6,
    name: "insert() accepts the fin first and the rest afterwards",
    steps: [
      ins(4, 3, "accepted", true),
      state({ nextSeq: 0, ackRanges: [[4, 5]] }),
      ins(0, 3, "accepted"),
      ins(2, 3, "accepted"),
      take(0),
      state({ ackRanges: [[2, 3], [4, 5]] }),
      ins(3, 3, "accepted"),
      ins(1, 3, "accepted"),
      take(1, 2, 3, 4),
      state({ finished: true, heldBytes: 0 }),
    ],
  },
  {
    n: 7,
    name: "take() finishes a stream that is one empty fin block",
    steps: [
      ins(0, 0, "accepted", true),
      state({ finished: false }),
      take(0),
      state({ finished: true }),
    ],
  },
  {
    n: 8,
    name: "take() ends with an empty fin block after data, arriving early",
    steps: [
      ins(2, 0, "accepted", true),
      ins(0, 9, "accepted"),
      ins(1, 9, "accepted"),
      take(0, 1, 2),
    ],
  },
  {
    n: 9,
    name: "insert() fills a gap from its low end",
    steps: [
      ins(5, 1, "accepted"),
      ins(0, 1, "accepted"),
      state({ nextSeq: 1, ackRanges: [[5, 6]] }),
      ins(1, 1, "accepted"),
      ins(2, 1, "accepted"),
      state({ nextSeq: 3, ackRanges: [[5, 6]] }),
    ],
  },
  {
    n: 10,
    name: "insert() fills a gap from its high end",
    steps: [
      ins(0, 1, "accepted"),
      ins(5, 1, "accepted"),
      ins(4, 1, "accepted"),
      ins(3, 1, "accepted"),
      state({ nextSeq: 1, ackRanges: [[3, 6]] }),
    ],
  },
  {
    n: 11,
    name: "insert() in the middle of a gap splits it, then both ends close",
    steps: [
      ins(0, 1, "accepted"),
      ins(9, 1, "accepted"),
      ins(5, 1, "accepted"),
      state({ nextSeq: 1, ackRanges: [[5, 6], [9, 10]] }),
      ins(4, 1, "accepted"),
      ins(6, 1, "accepted"),
      state({ ackRanges: [[4, 7], [9, 10]] }),
      ins(8, 1, "accepted"),
      ins(7, 1, "accepted"),
      state({ ackRanges: [[4, 10]] }),
      ins(1, 1, "accepted"),
      ins(3, 1, "accepted"),
      state({ nextSeq: 2, ackRanges: [[3, 10]] }),
      ins(2, 1, "accepted"),
      state({ nextSeq: 10, ackRanges: [] }),
      take(0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    ],
  },
  {
    n: 12,
    name: "insert() refuses out-of-order bytes past maxBytes but accepts the next expected",
    maxBytes: 100,
    steps: [
      ins(1, 60, "accepted"),
      ins(2, 40, "accepted"),
      ins(3, 1, "beyond-window"),
      state({ heldBytes: 100, windowBytes: 0 }),
      ins(0, 70, "accepted"),
      state({ heldBytes: 170, windowBytes: 0, nextSeq: 3 }),
      take(0, 1, 2),
    ],
  },
  {
    n: 13,
    name: "windowBytes recovers after take()",
    maxBytes: 100,
    steps: [
      ins(0, 50, "accepted"),
      ins(2, 50, "accepted"),
      ins(3, 10, "beyond-window"),
      take(0),
      state({ windowBytes: 50 }),
      ins(3, 10, "accepted"),
      state({ heldBytes: 60, windowBytes: 40, ackRanges: [[2, 4]] }),
    ],
  },
  {
    n: 14,
    name: "insert() forgets a beyond-window block: not seen, no gap, can come again",
    maxBytes: 10,
    steps: [
      ins(5, 11, "beyond-window"),
      state({ highestSeen: -1, ackRanges: [], heldBytes: 0 }),
      ins(5, 10, "accepted"),
      state({ highestSeen: 5 }),
    ],
  },
  {
    n: 15,
    name: "insert() accepts a next-expected block larger than maxBytes",
    maxBytes: 10,
    steps: [
      ins(0, 1000, "accepted"),
      state({ windowBytes: 0 }),
      take(0),
      state({ windowBytes: 10 }),
    ],
  },
  {
    n: 16,
    name: "insert() with maxBytes 0 accepts only the next expected block",
    maxBytes: 0,
    steps: [ins(1, 0, "accepted"), ins(2, 1, "beyond-window"), ins(0, 5, "accepted"), take(0, 1)],
  },
  {
    n: 17,
    name: "insert() throws second-fin for a fin at another seq",
    steps: [ins(5, 1, "accepted", true), ins(3, 1, "second-fin", true), state({ highestSeen: 5 })],
  },
  {
    n: 18,
    name: "insert() throws data-after-fin for a block above the fin",
    steps: [ins(2, 1, "accepted", true), ins(3, 1, "data-after-fin"), state({ highestSeen: 2 })],
  },
  {
    n: 19,
    name: "insert() throws data-after-fin for a fin below a block already received",
    steps: [ins(6, 1, "accepted"), ins(4, 1, "data-after-fin", true), ins(4, 1, "accepted")],
  },
  {
    n: 20,
    name: "insert() throws fin-mismatch for a fin on a seq received without it",
    steps: [
      ins(0, 1, "accepted"),
      ins(3, 1, "accepted"),
      ins(0, 1, "fin-mismatch", true),
      ins(3, 1, "fin-mismatch", true),
      state({ heldBytes: 2 }),
    ],
  },
  {
    n: 21,
    name: "insert() throws fin-mismatch for the fin's seq without the fin flag",
    steps: [ins(1, 1, "accepted", true), ins(1, 1, "fin-mismatch")],
  },
  {
    n: 22,
    name: "insert() reports a repeated fin block as a duplicate, before and after release",
    steps: [
      ins(0, 1, "accepted", true),
      ins(0, 1, "duplicate", true),
      take(0),
      ins(0, 1, "duplicate", true),
      state({ finished: true }),
    ],
  },
  {
    n: 23,
    name: "insert() throws invalid-seq for negative, fractional and unsafe seqs",
    steps: [
      ins(-1, 1, "invalid-seq"),
      ins(1.5, 1, "invalid-seq"),
      ins(2 ** 53, 1, "invalid-seq"),
      ins(NaN, 1, "invalid-seq"),
      state({ highestSeen: -1 }),
    ],
  },
  {
    n: 24,
    name: "take() returns nothing past a gap and finished stays false with the fin ready",
    steps: [
      ins(0, 1, "accepted"),
      ins(2, 1, "accepted", true),
      take(0),
      take(),
      ins(1, 1, "accepted"),
      state({ readyCount: 2, finished: false }),
      take(1, 2),
      state({ finished: true, readyCount: 0 }),
    ],
  },
  {
    n: 25,
    name: "heldBytes counts ready blocks not yet taken against the window",
    maxBytes: 20,
    steps: [
      ins(0, 15, "accepted"),
      ins(2, 6, "beyond-window"),
      ins(2, 5, "accepted"),
      state({ windowBytes: 0, readyCount: 1 }),
    ],
  },
];

function run(c: Case): void {
  const buf = new ReorderBuffer({ maxBytes: c.maxBytes ?? 1 << 20, nackDelayMs: 10 });
  const sizes = new Map<number, number>();
  let now = 0;
  for (const [i, step] of c.steps.entries()) {
    const at = `case ${c.n} step ${i}`;
    if ("ins" in step) {
      const [seq, size, fin] = step.ins;
      let got: string;
      try {
        got = buf.insert(seq, payload(seq, size), fin, now++);
      } catch (e) {
        if (!(e instanceof ReorderError)) throw e;
        assert.equal(e.seq, seq, at);
        got = e.code;
      }
      assert.equal(got, step.want, at);
      if (got === "accepted") sizes.set(seq, size);
    } else if ("take" in step) {
      const blocks = buf.takeReady();
      assert.deepEqual(blocks.map((b) => b.seq), step.take, at);
      for (const b of blocks) assert.deepEqual(b.payload, payload(b.seq, sizes.get(b.seq)!), at);
      assert.equal(buf.take(), null, at);
    } else {
      const s = step.state;
      const all: State = {
        nextSeq: buf.nextSeq,
        heldBytes: buf.heldBytes,
        windowBytes: buf.windowBytes,
        finished: buf.finished,
        highestSeen: buf.highestSeen,
        readyCount: buf.readyCount,
        ackRanges: buf.ackRanges(64),
      };
      for (const k of Object.keys(s) as (keyof State)[]) {
        assert.deepEqual(all[k], s[k], `${at} ${k}`);
      }
    }
  }
}

for (const c of CASES) {
  Deno.test(`ReorderBuffer #${String(c.n).padStart(2, "0")}: ${c.name}`, () => run(c));
}

Deno.test("ReorderBuffer table numbers run 1..N without holes", () => {
  assert.deepEqual(CASES.map((c) => c.n), CASES.map((_, i) => i + 1));
});

Deno.test("ReorderBuffer.ackRanges() returns at most max ranges, the lowest first", () => {
  const buf = new ReorderBuffer({ maxBytes: 1000, nackDelayMs: 10 });
  for (const seq of [2, 4, 6, 8]) buf.insert(seq, payload(seq, 1), false, 0);
  assert.deepEqual(buf.ackRanges(2), [[2, 3], [4, 5]]);
  assert.deepEqual(buf.ackRanges(0), []);
});

Deno.test("ReorderBuffer.insert() refuses a block past maxBlocks unless it is next", () => {
  const buf = new ReorderBuffer({ maxBytes: 1000, nackDelayMs: 10, maxBlocks: 2 });
  assert.equal(buf.insert(1, new Uint8Array(0), false, 0), "accepted");
  assert.equal(buf.insert(3, new Uint8Array(0), false, 0), "accepted");
  assert.equal(buf.insert(5, new Uint8Array(0), false, 0), "beyond-window");
  assert.equal(buf.insert(0, new Uint8Array(0), false, 0), "accepted");
});

Deno.test("ReorderBuffer.insert() closes 20k single-seq gaps lowest first, then highest first", () => {
  for (const lowestFirst of [true, false]) {
    const buf = new ReorderBuffer({ maxBytes: 1 << 20, nackDelayMs: 10 });
    for (let seq = 1; seq < 40_000; seq += 2) buf.insert(seq, new Uint8Array(0), false, 0);
    assert.equal(buf.gapCount, 20_000);
    assert.deepEqual(buf.ackRanges(2), [[1, 2], [3, 4]]);
    for (let i = 0; i < 20_000; i++) {
      const seq = lowestFirst ? 2 * i : 39_998 - 2 * i;
      assert.equal(buf.insert(seq, new Uint8Array(0), false, 1), "accepted");
      if (i === 9_999) assert.equal(buf.gapCount, 10_000);
    }
    assert.equal(buf.nextSeq, 40_000);
    assert.equal(buf.takeReady().length, 40_000);
  }
});

Deno.test("ReorderBuffer() rejects bad options with a RangeError", () => {
  assert.throws(() => new ReorderBuffer({ maxBytes: -1, nackDelayMs: 1 }), RangeError);
  assert.throws(() => new ReorderBuffer({ maxBytes: 1, nackDelayMs: NaN }), RangeError);
  assert.throws(
    () => new ReorderBuffer({ maxBytes: 1, nackDelayMs: 1, nackRepeatMs: -2 }),
    RangeError,
  );
  const buf = new ReorderBuffer({ maxBytes: 1, nackDelayMs: 1 });
  assert.throws(() => buf.setNackDelay(-1), RangeError);
});

// ---- 2. NACK timing on an injected clock ----

/** A buffer holding seq 0 (t=0) and seq 3 (t=10): gap [1, 3) known missing since 10. */
function withGap(nackDelayMs: number, nackRepeatMs?: number): ReorderBuffer {
  const buf = new ReorderBuffer({ maxBytes: 1 << 20, nackDelayMs, nackRepeatMs });
  buf.insert(0, payload(0, 1), false, 0);
  buf.insert(3, payload(3, 1), false, 10);
  return buf;
}

Deno.test("ReorderBuffer.overdueGaps() holds a gap back until nackDelayMs has passed", () => {
  const buf = withGap(50);
  assert.equal(buf.nextTimeout(), 60);
  assert.deepEqual(buf.overdueGaps(59, 8), []);
  assert.deepEqual(buf.overdueGaps(60, 8), [[1, 3]]);
});

Deno.test("ReorderBuffer.overdueGaps() repeats an open gap every nackRepeatMs", () => {
  const buf = withGap(50, 30);
  assert.deepEqual(buf.overdueGaps(60, 8), [[1, 3]]);
  assert.deepEqual(buf.overdueGaps(60, 8), []);
  assert.deepEqual(buf.overdueGaps(89, 8), []);
  assert.equal(buf.nextTimeout(), 90);
  assert.deepEqual(buf.overdueGaps(90, 8), [[1, 3]]);
  assert.equal(buf.nextTimeout(), 120);
});

Deno.test("ReorderBuffer.overdueGaps() repeats after nackDelayMs when no repeat is given", () => {
  const buf = withGap(50);
  buf.overdueGaps(60, 8);
  assert.equal(buf.nextTimeout(), 110);
  assert.deepEqual(buf.overdueGaps(109, 8), []);
  assert.deepEqual(buf.overdueGaps(110, 8), [[1, 3]]);
});

Deno.test("ReorderBuffer.overdueGaps() forgets a gap once it is filled", () => {
  const buf = withGap(50);
  buf.insert(1, payload(1, 1), false, 20);
  assert.deepEqual(buf.overdueGaps(60, 8), [[2, 3]]);
  buf.insert(2, payload(2, 1), false, 70);
  assert.deepEqual(buf.overdueGaps(1000, 8), []);
  assert.equal(buf.nextTimeout(), null);
  assert.equal(buf.oldestGapAgeMs(1000), 0);
});

Deno.test("ReorderBuffer.overdueGaps() keeps a split gap's age on both halves", () => {
  const buf = new ReorderBuffer({ maxBytes: 1 << 20, nackDelayMs: 50 });
  buf.insert(0, payload(0, 1), false, 0);
  buf.insert(9, payload(9, 1), false, 10); // gap [1, 9) since 10
  buf.insert(4, payload(4, 1), false, 40);
  assert.deepEqual(buf.overdueGaps(59, 8), []);
  assert.deepEqual(buf.overdueGaps(60, 8), [[1, 4], [5, 9]]);
});

Deno.test("ReorderBuffer.overdueGaps() gives each new gap its own clock", () => {
  const buf = withGap(50); // [1, 3) since 10
  buf.insert(6, payload(6, 1), false, 30); // [4, 6) since 30
  assert.deepEqual(buf.overdueGaps(60, 8), [[1, 3]]);
  assert.equal(buf.nextTimeout(), 80);
  assert.deepEqual(buf.overdueGaps(80, 8), [[4, 6]]);
});

Deno.test("ReorderBuffer.overdueGaps() returns at most max, the lowest first, then the rest", () => {
  const buf = withGap(50);
  buf.insert(6, payload(6, 1), false, 10);
  assert.deepEqual(buf.overdueGaps(60, 1), [[1, 3]]);
  assert.equal(buf.nextTimeout(), 60);
  assert.deepEqual(buf.overdueGaps(60, 1), [[4, 6]]);
  assert.deepEqual(buf.overdueGaps(60, 1), []);
});

Deno.test("ReorderBuffer.setNackDelay() moves the deadline of gaps not yet requested", () => {
  const buf = withGap(50);
  buf.setNackDelay(100);
  assert.equal(buf.nextTimeout(), 110);
  assert.deepEqual(buf.overdueGaps(60, 8), []);
  buf.setNackDelay(20);
  assert.deepEqual(buf.overdueGaps(30, 8), [[1, 3]]);
  assert.equal(buf.nextTimeout(), 50); // the repeat followed the delay
  buf.setNackDelay(20, 5);
  assert.equal(buf.nextTimeout(), 35);
  buf.setNackDelay(400);
  assert.equal(buf.nextTimeout(), 35); // an explicit repeat stays
});

Deno.test("ReorderBuffer.overdueGaps() with nackDelayMs 0 is due at once and repeats each 1 ms", () => {
  const buf = withGap(0);
  assert.deepEqual(buf.overdueGaps(10, 8), [[1, 3]]);
  assert.equal(buf.nextTimeout(), 11);
});

Deno.test("ReorderBuffer.oldestGapAgeMs() reports the age of the oldest open gap", () => {
  const buf = withGap(50);
  buf.insert(6, payload(6, 1), false, 30);
  assert.equal(buf.oldestGapAgeMs(3010), 3000);
  buf.insert(1, payload(1, 1), false, 40);
  buf.insert(2, payload(2, 1), false, 40);
  assert.equal(buf.oldestGapAgeMs(3010), 2980);
});

Deno.test("ReorderBuffer.nextTimeout() agrees with overdueGaps() step by step", () => {
  const buf = new ReorderBuffer({ maxBytes: 1 << 20, nackDelayMs: 25, nackRepeatMs: 40 });
  for (const [seq, t] of [[0, 0], [2, 3], [5, 7], [9, 12], [14, 20]]) {
    buf.insert(seq, payload(seq, 1), false, t);
  }
  const seen: number[] = [];
  for (let i = 0; i < 12; i++) {
    const due = buf.nextTimeout()!;
    seen.push(due);
    assert.deepEqual(buf.overdueGaps(due - 1, 64), [], `nothing before ${due}`);
    assert.ok(buf.overdueGaps(due, 64).length > 0, `something at ${due}`);
    if (i === 6) buf.insert(1, payload(1, 1), false, due); // fill one gap midway
  }
  assert.deepEqual(seen.slice(0, 4), [28, 32, 37, 45]);
  assert.ok(seen.every((t, i) => i === 0 || t >= seen[i - 1]), "deadlines never go back");
});

// ---- 3. A seeded randomised stream ----

/** mulberry32: a small, fast 32-bit PRNG; same seed, same sequence. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function fuzzSeed(): number {
  const perm = Deno.permissions.querySync({ name: "env", variable: "BONDCTL_FUZZ_SEED" });
  const raw = perm.state === "granted" ? Deno.env.get("BONDCTL_FUZZ_SEED") : undefined;
  return raw ? Number(raw) >>> 0 : 0x5eed_b04d;
}

/** The gaps and received ranges a naive set model expects above `next`. */
function modelRanges(got: Set<number>, next: number, highest: number) {
  const acks: SeqRange[] = [];
  const gaps: SeqRange[] = [];
  for (let s = next; s <= highest; s++) {
    const list = got.has(s) ? acks : gaps;
    const last = list.at(-1);
    if (last && last[1] === s) last[1] = s + 1;
    else list.push([s, s + 1]);
  }
  return { acks, gaps };
}

function concat(parts: Uint8Array[]): Uint8Array {
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) all.set(p, (at += p.length) - p.length);
  return all;
}

function fuzzRound(rand: () => number, round: number, seen: Map<string, number>): void {
  const n = 50 + Math.floor(rand() * 400);
  const maxBlock = 1 + Math.floor(rand() * 3000);
  const maxBytes = Math.floor(rand() * maxBlock * 12);
  const blocks = Array.from({ length: n }, () => {
    const bytes = new Uint8Array(rand() < 0.05 ? 0 : Math.floor(rand() * maxBlock));
    for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(rand() * 256);
    return bytes;
  });
  // Deliveries: each block one to three times, each copy displaced by up to `spread` places.
  const spread = 1 + Math.floor(rand() * 60);
  const queue = blocks.flatMap((_, seq) =>
    Array.from({ length: 1 + Math.floor(rand() * rand() * 3) }, () => ({
      seq,
      key: seq + rand() * spread,
    }))
  ).sort((a, b) => a.key - b.key).map((d) => d.seq);

  const buf = new ReorderBuffer({ maxBytes, nackDelayMs: 5 + rand() * 50 });
  const out: Uint8Array[] = [];
  const got = new Set<number>(); // accepted, not yet taken
  let now = 0;
  for (let i = 0; i < queue.length; i++) {
    assert.ok(i < n * n, `round ${round}: no progress`);
    const seq = queue[i];
    now += rand() * 4;
    const r = buf.insert(seq, blocks[seq], seq === n - 1, now);
    // A refused block is sent again after everything queued, as a sender would after no ACK;
    // putting it nearer could starve the next expected block behind endless retries.
    if (r === "beyond-window") queue.push(seq);
    if (r === "accepted") got.add(seq);
    seen.set(r, (seen.get(r) ?? 0) + 1);
    assert.ok(buf.heldBytes <= maxBytes + maxBlock, `round ${round}: held ${buf.heldBytes}`);

    const { acks, gaps } = modelRanges(got, buf.nextSeq, buf.highestSeen);
    assert.deepEqual(buf.ackRanges(1e9), acks, `round ${round} ack ranges`);
    const due = buf.nextTimeout();
    const nacks = buf.overdueGaps(now, 1e9);
    assert.equal(nacks.length > 0, due !== null && due <= now, `round ${round} timeout`);
    for (const [s, e] of nacks) assert.ok(gaps.some(([gs, ge]) => gs === s && ge === e));
    if (nacks.length > 1) seen.set("several-nacks", (seen.get("several-nacks") ?? 0) + 1);

    for (const b of buf.takeReady()) {
      assert.equal(b.seq, out.length, `round ${round}: out of order`);
      assert.equal(b.payload, blocks[b.seq]);
      assert.equal(b.fin, b.seq === n - 1);
      out.push(b.payload);
      got.delete(b.seq);
    }
  }
  assert.ok(buf.finished, `round ${round}: not finished`);
  assert.deepEqual(concat(out), concat(blocks));
  assert.equal(buf.heldBytes, 0);
}

Deno.test("ReorderBuffer delivers a shuffled, duplicated stream exactly once in order", () => {
  const seed = fuzzSeed();
  console.log(`reorder fuzz seed: ${seed} (replay: BONDCTL_FUZZ_SEED=${seed} --allow-env)`);
  const rand = mulberry32(seed);
  const seen = new Map<string, number>();
  for (let round = 0; round < 40; round++) fuzzRound(rand, round, seen);
  // The run must have met every outcome, or it proves less than it claims.
  for (const k of ["accepted", "duplicate", "beyond-window", "several-nacks"]) {
    assert.ok((seen.get(k) ?? 0) > 0, `fuzz never saw ${k}`);
  }
});
