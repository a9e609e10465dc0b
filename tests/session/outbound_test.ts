// Tests of OutboundStream (core/session/outbound.ts), in order: cutting input into blocks, a
// numbered table of acknowledgements, NACKs and their minimum age, lost links, flow control,
// the FIN, and flow-control bookkeeping over thousands of blocks.

import assert from "node:assert/strict";
import { type BlockRecord, type LinkCredit, OutboundStream } from "../../core/session/outbound.ts";
import type { SendStamp } from "../../core/scheduler/link_estimator.ts";
import type { SeqRange } from "../../core/frame/types.ts";

const BIG = 1 << 30;

function stream(initialWindowBytes = BIG, maxQueuedBytes = BIG): OutboundStream {
  return new OutboundStream(0, { maxQueuedBytes, initialWindowBytes });
}

/** A stamp that names its block: sentAt is the time, bytes the payload size. */
function stamp(bytes: number, sentAt: number): SendStamp {
  return { bytes, sentAt, deliveredAtSend: 0, deliveredTimeAtSend: sentAt };
}

function bytes(n: number, from = 0): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (from + i) & 0xff;
  return out;
}

/** Cuts and sends `links.length` blocks of `size` bytes; block i goes on links[i] at 10·i ms. */
function sendBlocks(out: OutboundStream, size: number, links: number[]): BlockRecord[] {
  out.push(bytes(size * links.length));
  return links.map((link, i) => {
    const rec = out.nextBlock(size);
    assert.ok(rec, `block ${i} could not be cut`);
    out.sent(rec, link, stamp(rec.payload.length, 10 * i));
    return rec;
  });
}

/** Credits as [kind, link, seq] (the seq is read back from the stamp's time). */
function creditsOf(credits: LinkCredit[]): [string, number, number][] {
  return credits.map((c) => [c.kind, c.link, c.stamp.sentAt / 10]);
}

/** Seqs that nextBlock() hands out as re-sends, in order, until it offers a new block. */
function drainResends(out: OutboundStream): number[] {
  const seqs: number[] = [];
  for (let rec = out.peekResend(); rec; rec = out.peekResend()) {
    const got = out.nextBlock(1 << 20)!;
    assert.equal(got, rec);
    assert.ok(got.sends > 0);
    seqs.push(got.seq);
  }
  return seqs;
}

Deno.test("OutboundStream cuts input into blocks of the size the link asks for", () => {
  const out = stream();
  const input = bytes(10_000);
  out.push(input.subarray(0, 3000));
  out.push(input.subarray(3000, 3001));
  out.push(input.subarray(3001));
  assert.equal(out.queuedBytes, 10_000);
  const sizes: number[] = [];
  const got: Uint8Array[] = [];
  for (let rec = out.nextBlock(4096); rec; rec = out.nextBlock(4096)) {
    assert.equal(rec.seq, sizes.length);
    assert.equal(rec.fin, false);
    assert.equal(rec.link, -1);
    assert.equal(rec.sends, 0);
    sizes.push(rec.payload.length);
    got.push(rec.payload);
  }
  assert.deepEqual(sizes, [4096, 4096, 1808]);
  assert.deepEqual(new Uint8Array(got.flatMap((g) => [...g])), input);
  assert.equal(out.queuedBytes, 0);
  assert.equal(out.unackedCount, 3);
  assert.equal(out.hasPending(), false, "nothing to send until more input or the end");
});

// ---- Acknowledgements ----

interface AckCase {
  n: number;
  name: string;
  /** Each ACK, and the credits it must return as [kind, link, seq]. */
  acks: { cum: number; ranges: SeqRange[]; credits: [string, number, number][] }[];
  peerCumulative: number;
  unacked: number;
}

// Six blocks of 2000 bytes, seq i sent on LINKS[i].
const LINKS = [1, 2, 1, 2, 3, 1];
const d = (link: number, seq: number): [string, number, number] => ["delivered", link, seq];

const ACK_CASES: AckCase[] = [
  {
    n: 1,
    name: "a cumulative ACK settles the blocks below it",
    acks: [{ cum: 2, ranges: [], credits: [d(1, 0), d(2, 1)] }],
    peerCumulative: 2,
    unacked: 4,
  },
  {
    n: 2,
    name: "a selective range settles its blocks only",
    acks: [{ cum: 0, ranges: [[2, 4]], credits: [d(1, 2), d(2, 3)] }],
    peerCumulative: 0,
    unacked: 4,
  },
  {
    n: 3,
    name: "cumulative and several ranges at once",
    acks: [{ cum: 1, ranges: [[3, 4], [5, 6]], credits: [d(1, 0), d(2, 3), d(1, 5)] }],
    peerCumulative: 1,
    unacked: 3,
  },
  {
    n: 4,
    name: "a range overlapping the cumulative point credits each block once",
    acks: [{ cum: 3, ranges: [[1, 5]], credits: [d(1, 0), d(2, 1), d(1, 2), d(2, 3), d(3, 4)] }],
    peerCumulative: 3,
    unacked: 1,
  },
  {
    n: 5,
    name: "a cumulative point beyond the last block is clipped",
    acks: [{
      cum: 100,
      ranges: [[200, 300]],
      credits: [d(1, 0), d(2, 1), d(1, 2), d(2, 3), d(3, 4), d(1, 5)],
    }],
    peerCumulative: 6,
    unacked: 0,
  },
  {
    n: 6,
    name: "a repeated ACK credits nothing again",
    acks: [
      { cum: 2, ranges: [[4, 5]], credits: [d(1, 0), d(2, 1), d(3, 4)] },
      { cum: 2, ranges: [[4, 5]], credits: [] },
    ],
    peerCumulative: 2,
    unacked: 3,
  },
  {
    n: 7,
    name: "a stale (older) cumulative point is ignored, its ranges still count",
    acks: [
      { cum: 3, ranges: [], credits: [d(1, 0), d(2, 1), d(1, 2)] },
      { cum: 1, ranges: [[5, 6]], credits: [d(1, 5)] },
    ],
    peerCumulative: 3,
    unacked: 2,
  },
  {
    n: 8,
    name: "a selectively acknowledged block is not credited again by the cumulative point",
    acks: [
      { cum: 0, ranges: [[1, 2]], credits: [d(2, 1)] },
      { cum: 3, ranges: [], credits: [d(1, 0), d(1, 2)] },
    ],
    peerCumulative: 3,
    unacked: 3,
  },
];

for (const c of ACK_CASES) {
  Deno.test(`OutboundStream.onAck() #${c.n}: ${c.name}`, () => {
    const out = stream();
    const recs = sendBlocks(out, 2000, LINKS);
    let acked = 0;
    for (const [i, a] of c.acks.entries()) {
      const credits = out.onAck(a.cum, a.ranges, BIG);
      assert.deepEqual(creditsOf(credits), a.credits, `ACK ${i}`);
      for (const cr of credits) assert.equal(cr.stamp, recs[cr.stamp.sentAt / 10].stamp);
      acked += a.credits.length * 2000;
    }
    assert.equal(out.peerCumulative, c.peerCumulative);
    assert.equal(out.unackedCount, c.unacked);
    assert.equal(out.bytesAcked, acked);
  });
}

// ---- NACKs ----

interface NackCase {
  n: number;
  name: string;
  /** Acknowledged before the NACK. */
  ack?: { cum: number; ranges: SeqRange[] };
  ranges: SeqRange[];
  now: number;
  /** Minimum age per link (ms). */
  minAge: Record<number, number>;
  /** Re-queued, as [link, seq], and then the re-send order. */
  lost: [number, number][];
}

// Four blocks of 1500 bytes: seq i sent at 10·i ms on link NACK_LINKS[i].
const NACK_LINKS = [1, 2, 1, 2];

const NACK_CASES: NackCase[] = [
  {
    n: 1,
    name: "every block old enough goes out again",
    ranges: [[0, 4]],
    now: 100,
    minAge: { 1: 50, 2: 50 },
    lost: [[1, 0], [2, 1], [1, 2], [2, 3]],
  },
  {
    n: 2,
    name: "a block younger than its link's min age stays in flight",
    ranges: [[0, 4]],
    now: 40,
    minAge: { 1: 25, 2: 5 },
    lost: [[1, 0], [2, 1], [2, 3]],
  },
  {
    n: 3,
    name: "the age is measured from the send, inclusive",
    ranges: [[2, 3]],
    now: 45,
    minAge: { 1: 25, 2: 25 },
    lost: [[1, 2]],
  },
  {
    n: 4,
    name: "nothing is old enough",
    ranges: [[0, 4]],
    now: 30,
    minAge: { 1: 1000, 2: 1000 },
    lost: [],
  },
  {
    n: 5,
    name: "acknowledged blocks and seqs never cut are ignored",
    ack: { cum: 1, ranges: [[2, 3]] },
    ranges: [[0, 10]],
    now: 100,
    minAge: { 1: 10, 2: 10 },
    lost: [[2, 1], [2, 3]],
  },
];

for (const c of NACK_CASES) {
  Deno.test(`OutboundStream.onNack() #${c.n}: ${c.name}`, () => {
    const out = stream();
    sendBlocks(out, 1500, NACK_LINKS);
    if (c.ack) out.onAck(c.ack.cum, c.ack.ranges, BIG);
    const minAge = (link: number) => c.minAge[link];
    const credits = out.onNack(c.ranges, c.now, minAge);
    assert.deepEqual(creditsOf(credits), c.lost.map(([link, seq]) => ["lost", link, seq]));
    assert.deepEqual(out.onNack(c.ranges, c.now, minAge), [], "a repeated NACK re-queues nothing");
    for (const [link, seq] of c.lost) {
      const head = out.peekResend();
      assert.ok(head && head.seq === seq, `re-send head should be ${seq}, is ${head?.seq}`);
      assert.equal(head.lostFrom, link);
      assert.equal(head.link, -1);
      const rec = out.nextBlock(1)!;
      assert.equal(rec, head, "a re-send keeps its size, whatever the link asks for");
      assert.equal(rec.payload.length, 1500);
      out.sent(rec, 9, stamp(1500, c.now));
    }
    assert.equal(out.peekResend(), null);
  });
}

Deno.test("OutboundStream counts re-sent bytes and re-sends before new data", () => {
  const out = stream();
  sendBlocks(out, 1700, [1, 1, 1]);
  out.push(bytes(100));
  out.onNack([[1, 2]], 1000, () => 0);
  assert.ok(out.hasPending());
  const again = out.nextBlock(4096)!;
  assert.equal(again.seq, 1, "the re-send goes before the 100 new bytes");
  assert.equal(again.sends, 1);
  out.sent(again, 2, stamp(1700, 1000));
  assert.equal(again.sends, 2);
  assert.equal(again.link, 2);
  assert.equal(out.bytesResent, 1700);
  const fresh = out.nextBlock(4096)!;
  assert.equal(fresh.seq, 3);
  assert.equal(fresh.payload.length, 100);
  // The ACK for the re-sent block credits the link of its latest transmission.
  const credits = out.onAck(2, [], BIG);
  assert.deepEqual(credits.map((c) => [c.link, c.stamp.sentAt]), [[1, 0], [2, 1000]]);
});

// ---- Lost links ----

Deno.test("OutboundStream.linkLost() re-queues everything the link held, lowest seq first", () => {
  const out = stream();
  // seq:  0  1  2  3  4  5  6  7
  sendBlocks(out, 1100, [2, 1, 2, 1, 2, 1, 2, 1]);
  // Seq 6 was NACKed first: it waits already, and is not counted again.
  assert.deepEqual(creditsOf(out.onNack([[6, 7]], 1000, () => 0)), [["lost", 2, 6]]);
  out.onAck(0, [[4, 5]], BIG); // seq 4 arrived: nothing to re-send for it
  const lost = out.linkLost(2);
  assert.deepEqual(creditsOf(lost), [["lost", 2, 0], ["lost", 2, 2]]);
  assert.deepEqual(out.linkLost(2), [], "a second loss of the same link re-queues nothing");
  assert.deepEqual(creditsOf(out.linkLost(1)), [
    ["lost", 1, 1],
    ["lost", 1, 3],
    ["lost", 1, 5],
    ["lost", 1, 7],
  ]);
  assert.deepEqual(drainResends(out), [0, 1, 2, 3, 5, 6, 7]);
  assert.deepEqual(out.linkLost(7), [], "an unknown link holds nothing");
});

Deno.test("OutboundStream.linkLost() marks the lost link to avoid on the re-send", () => {
  const out = stream();
  sendBlocks(out, 1100, [3, 4]);
  out.linkLost(4);
  const head = out.peekResend()!;
  assert.equal(head.seq, 1);
  assert.equal(head.lostFrom, 4);
  const rec = out.nextBlock(1100)!;
  out.sent(rec, 3, stamp(1100, 500));
  // Lost again on the other link: the latest loss is the one to avoid.
  out.linkLost(3);
  assert.deepEqual(drainResends(out), [0, 1]);
  assert.equal(rec.lostFrom, 3);
});

// ---- Flow control ----

Deno.test("OutboundStream cuts no new block beyond the peer's window", () => {
  const out = stream(10_000);
  out.push(bytes(50_000));
  assert.equal(out.nextBlock(4096)!.payload.length, 4096);
  assert.equal(out.nextBlock(4096)!.payload.length, 4096);
  assert.equal(out.nextBlock(4096)!.payload.length, 1808, "cut to what the window leaves");
  assert.equal(out.nextBlock(4096), null);
  assert.equal(out.hasPending(), false);
  // A selective ACK does not open the window: the peer still holds those bytes.
  out.onAck(0, [[1, 3]], 10_000);
  assert.equal(out.nextBlock(4096), null);
  // The cumulative point moves: the window counts from there.
  out.onAck(3, [], 5000);
  assert.equal(out.nextBlock(4096)!.payload.length, 4096);
  assert.equal(out.nextBlock(4096), null, "904 bytes left in the window: too small a block");
});

Deno.test("OutboundStream sends the block at the cumulative point even into a zero window", () => {
  const out = stream(0);
  out.push(bytes(20_000));
  const first = out.nextBlock(4096);
  assert.ok(first, "the block at the cumulative point must go, or nothing ever moves");
  assert.ok(first.payload.length >= 1 && first.payload.length <= 4096);
  assert.equal(out.nextBlock(4096), null, "no second block beyond a zero window");
  out.onAck(1, [], 0);
  assert.ok(out.nextBlock(4096), "at the new cumulative point one block goes again");
  assert.equal(out.nextBlock(4096), null);
  out.onAck(2, [], 4000);
  assert.equal(out.nextBlock(2000)?.payload.length, 2000);
  assert.equal(out.nextBlock(2000)?.payload.length, 2000);
  assert.equal(out.nextBlock(2000), null);
});

Deno.test("OutboundStream keeps its window right over thousands of blocks", () => {
  const block = 1024;
  const out = stream(10_000 * block);
  out.push(bytes(6000 * block));
  for (let i = 0; i < 5000; i++) assert.equal(out.nextBlock(block)!.seq, i);
  // Acknowledge past the point where the size list is compacted (4096 blocks).
  for (let cum = 500; cum <= 4500; cum += 500) out.onAck(cum, [], 10_000 * block);
  // 500 blocks above the cumulative point fill a 500-block window exactly.
  out.onAck(4500, [], 500 * block);
  assert.equal(out.nextBlock(block), null);
  out.onAck(4501, [], 500 * block);
  assert.equal(out.nextBlock(block)!.payload.length, block);
  assert.equal(out.nextBlock(block), null);
  // All acknowledged: a 2-block window takes exactly two blocks.
  out.onAck(5001, [], 2 * block);
  assert.equal(out.nextBlock(block)!.seq, 5001);
  assert.equal(out.nextBlock(block)!.seq, 5002);
  assert.equal(out.nextBlock(block), null);
});

Deno.test("OutboundStream.room() bounds the queued input", () => {
  const out = stream(BIG, 5000);
  assert.equal(out.room(), 5000);
  out.push(bytes(3000));
  assert.equal(out.room(), 2000);
  out.push(bytes(2000));
  assert.equal(out.room(), 0);
  out.nextBlock(1500);
  assert.equal(out.room(), 1500);
  assert.equal(out.bytesIn, 5000);
});

// ---- The FIN ----

Deno.test("OutboundStream creates the FIN once after end() and finishes on its ACK", () => {
  const out = stream();
  out.push(bytes(100));
  out.end();
  assert.equal(out.inputEnded, true);
  assert.equal(out.room(), 0);
  assert.throws(() => out.push(bytes(1)), /after its end/);
  const a = out.nextBlock(64)!;
  const b = out.nextBlock(64)!;
  assert.deepEqual([a.payload.length, a.fin, b.payload.length, b.fin], [64, false, 36, false]);
  const fin = out.nextBlock(64)!;
  assert.deepEqual([fin.seq, fin.fin, fin.payload.length], [2, true, 0]);
  assert.equal(out.nextBlock(64), null);
  assert.equal(out.hasPending(), false);
  out.sent(a, 1, stamp(64, 0));
  out.sent(b, 1, stamp(36, 10));
  out.sent(fin, 1, stamp(0, 20));
  // The FIN is lost with its link: the same block goes again, no second FIN is made.
  out.linkLost(1);
  assert.deepEqual(drainResends(out), [0, 1, 2]);
  assert.equal(out.nextBlock(64), null);
  out.onAck(2, [], BIG);
  assert.equal(out.finished, false, "the FIN is not acknowledged yet");
  out.onAck(3, [], BIG);
  assert.equal(out.finished, true);
  assert.equal(out.unackedCount, 0);
});

Deno.test("OutboundStream ends an empty stream with a lone FIN", () => {
  const out = stream();
  assert.equal(out.hasPending(), false);
  out.end();
  assert.equal(out.hasPending(), true);
  const fin = out.nextBlock(4096)!;
  assert.deepEqual([fin.seq, fin.fin, fin.payload.length], [0, true, 0]);
  assert.equal(out.hasPending(), false);
  assert.equal(out.finished, false);
  out.onAck(0, [[0, 1]], BIG);
  assert.equal(out.finished, true, "a selective ACK of the FIN finishes the stream too");
});
