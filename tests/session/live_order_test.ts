// Tests of the datagram halves on their own: core/session/live_order.ts (the receiver's
// ordering) and the datagram mode of core/session/outbound.ts, in order:
// 1. LiveOrder: in order, whole; a gap skipped at its deadline, not before; SKIP; a far SKIP
//    counted without a loop; the open header never skipped; a missing parity slot never
//    waited for; FEC rebuilding; slots given up before their group's parity said they were
//    unused taken back from the count; the fin's rules;
// 2. OutboundStream: a live queue drops what waited past the deadline and what overflows;
//    lost blocks too late to resend are given up and a SKIP names what to stop waiting for;
//    FEC parity takes its group's parity slots, an early close leaves data slots unused;
//    parity is never sent twice, but for the last of a group closed early.

import assert from "node:assert/strict";
import { LiveOrder } from "../../core/session/live_order.ts";
import { OutboundStream } from "../../core/session/outbound.ts";
import { ReorderError } from "../../core/reorder/mod.ts";
import { FecEncoder } from "../../core/fec/mod.ts";
import type { SendStamp } from "../../core/scheduler/link_estimator.ts";

const b = (n: number) => new Uint8Array([n & 0xff]);

function order(
  headerAtZero = false,
  live: { deadlineMs?: number; fec?: { k: number; m: number } } = {
    deadlineMs: 100,
  },
) {
  const o = new LiveOrder({ maxBytes: 1 << 20, nackDelayMs: 30, maxBlocks: 1000, headerAtZero });
  if (!headerAtZero) o.configure(live);
  return o;
}

function takeAll(o: LiveOrder): number[] {
  const out: number[] = [];
  for (let x = o.take(); x; x = o.take()) out.push(x.fin ? -1 : x.seq);
  return out;
}

Deno.test("1a. a gap is skipped once older than the deadline, and counted", () => {
  const o = order();
  o.insert(0, b(0), false, 0);
  o.insert(2, b(2), false, 10); // seq 1 missing since 10
  assert.deepEqual(takeAll(o), [0]);
  assert.equal(o.nextTimeout(), 40, "first a NACK");
  assert.deepEqual(o.overdueGaps(40, 10), [[1, 2]]);
  o.expire(109);
  assert.deepEqual(takeAll(o), [], "not before the deadline");
  assert.equal(o.nextTimeout(), 70, "the NACK repeats before the deadline");
  o.overdueGaps(70, 10);
  assert.equal(o.nextTimeout(), 100);
  o.expire(110);
  assert.deepEqual(takeAll(o), [2]);
  assert.equal(o.counters.skipped, 1);
  assert.equal(o.nextSeq, 3);
  assert.equal(o.insert(1, b(1), false, 120), "duplicate", "a late datagram is dropped");
  assert.deepEqual(takeAll(o), []);
});

Deno.test("1b. SKIP moves delivery past what is missing; a far SKIP is counted, not looped", () => {
  const o = order();
  o.insert(3, b(3), false, 0);
  o.skipTo(2);
  assert.deepEqual(takeAll(o), []);
  o.skipTo(3);
  assert.deepEqual(takeAll(o), [3]);
  assert.equal(o.counters.skipped, 3);
  o.skipTo(2 ** 52);
  assert.equal(o.nextSeq, 2 ** 52);
  assert.equal(o.counters.skipped, 3 + 2 ** 52 - 4);
  assert.equal(o.insert(2 ** 52 - 1, b(1), false, 1), "duplicate");
  assert.equal(o.insert(2 ** 52, b(2), false, 1), "accepted");
  assert.deepEqual(takeAll(o), [2 ** 52]);
  assert.deepEqual(o.ackRanges(10), []);
});

Deno.test("1c. the open header is never skipped; the deadline starts once it is read", () => {
  const o = order(true);
  o.insert(2, b(2), false, 0);
  o.skipTo(5);
  o.expire(10_000);
  assert.equal(o.nextSeq, 0, "block 0 is the header: nothing passes it");
  assert.equal(o.nextTimeout(), 30, "only a NACK");
  o.insert(0, b(0), false, 20);
  assert.deepEqual(takeAll(o), [0]);
  o.configure({ deadlineMs: 50 });
  o.expire(49);
  assert.deepEqual(takeAll(o), []);
  o.expire(50); // the gap at 1 has been missing since 0
  assert.deepEqual(takeAll(o), [2]);
  assert.equal(o.counters.skipped, 1);
  assert.equal(o.counters.delivered, 1, "the header is no datagram");
});

Deno.test("1d. FEC: a lost datagram is rebuilt at once; a missing parity slot is passed", () => {
  const layout = { k: 2, m: 1, firstSeq: 0 };
  const enc = new FecEncoder(layout);
  const d0 = new Uint8Array([1, 2, 3]);
  const d1 = new Uint8Array([4, 5]);
  enc.addData(0, d0);
  const parity = enc.addData(1, d1)!.payloads[0];
  const o = order(false, { deadlineMs: 1000, fec: { k: 2, m: 1 } });
  o.insert(2, parity, false, 0, true); // parity first: nothing yet
  assert.deepEqual(takeAll(o), []);
  o.insert(1, d1, false, 1);
  const got: Uint8Array[] = [];
  for (let x = o.take(); x; x = o.take()) got.push(x.payload);
  assert.deepEqual(got, [d0, d1], "datagram 0 rebuilt, and parity consumed, not delivered");
  assert.equal(o.counters.rebuilt, 1);
  // Group 1 (seqs 3, 4, parity 5): both data arrive, the parity never does: no wait for it.
  o.insert(3, b(3), false, 2);
  o.insert(4, b(4), false, 2);
  o.insert(6, b(6), false, 2);
  assert.deepEqual(takeAll(o), [3, 4, 6]);
  assert.equal(o.counters.skipped, 0);
});

Deno.test("1e. slots given up before the parity came are taken back if they were unused", () => {
  // Group 0 (k 4, m 1) closed early after 2 datagrams: seqs 2 and 3 are never used.
  const enc = new FecEncoder({ k: 4, m: 1, firstSeq: 0 });
  enc.addData(0, b(0));
  enc.addData(1, b(1));
  const parity = enc.close()!.payloads[0];
  const o = order(false, { deadlineMs: 100, fec: { k: 4, m: 1 } });
  o.insert(0, b(0), false, 0);
  o.insert(1, b(1), false, 0);
  o.insert(5, b(5), false, 0); // the next group's first datagram; the parity is late
  o.expire(100);
  assert.deepEqual(takeAll(o), [0, 1, 5]);
  assert.equal(o.counters.skipped, 2, "seqs 2 and 3 given up, counted for now");
  assert.equal(o.insert(4, parity, false, 150, true), "duplicate");
  assert.equal(o.counters.skipped, 0, "the parity says they were never used");
});

Deno.test("1f. the fin's rules hold in a datagram stream", () => {
  const o = order();
  o.insert(2, new Uint8Array(0), true, 0);
  assert.throws(() => o.insert(3, b(3), false, 1), ReorderError);
  assert.throws(() => o.insert(1, new Uint8Array(0), true, 1), ReorderError);
  o.skipTo(2);
  assert.deepEqual(takeAll(o), [-1]);
  assert.ok(o.finished);
  const p = order();
  p.insert(5, b(5), false, 0);
  p.skipTo(6);
  assert.throws(() => p.insert(3, new Uint8Array(0), true, 1), ReorderError, "a fin below");
});

// ---- The sending half ----

const stamp = (sentAt: number): SendStamp => ({
  bytes: 1,
  sentAt,
  deliveredAtSend: 0,
  deliveredTimeAtSend: 0,
});

function live(deadlineMs: number, fec?: { k: number; m: number }, maxQueuedBytes = 1 << 20) {
  const out = new OutboundStream(1, { maxQueuedBytes, initialWindowBytes: 1 << 20 });
  out.useDatagrams({ deadlineMs, fec }, false);
  return out;
}

Deno.test("2a. a live queue drops what waited past the deadline, and its oldest on overflow", () => {
  const out = live(100, undefined, 3000);
  assert.ok(out.room() > 0);
  for (let i = 0; i < 5; i++) out.push(new Uint8Array(1000), false, i * 10);
  assert.equal(out.liveCounters!.overflow, 2, "3000 bytes of queue: the 2 oldest made way");
  assert.ok(out.room() > 0, "a live source never waits");
  out.tick(119);
  assert.equal(out.liveCounters!.expired, 0);
  out.tick(120);
  assert.equal(out.liveCounters!.expired, 1, "datagram 2 (pushed at 20) is past 100 ms");
  assert.equal(out.nextTimeout(), 130);
  const rec = out.nextBlock(65536)!;
  assert.equal(rec.seq, 0, "the first sent takes seq 0: the dropped left no gap");
  assert.equal(rec.pushedAt, 30);
});

Deno.test("2b. a lost block too late to resend is given up, and a SKIP names the point", () => {
  const out = live(100);
  for (let i = 0; i < 3; i++) out.push(new Uint8Array(10), false, 0);
  for (let i = 0; i < 3; i++) out.sent(out.nextBlock(100)!, 1, stamp(1));
  out.onAck(1, [], 1 << 20); // seq 0 arrived
  out.linkLost(1); // seqs 1 and 2 lost with their link
  out.tick(50);
  assert.equal(out.peekResend()?.seq, 1, "in time: sent again");
  out.tick(100);
  assert.equal(out.peekResend(), null, "too late: given up");
  assert.equal(out.liveCounters!.abandoned, 2);
  assert.equal(out.takeSkip(100), 3);
  assert.equal(out.takeSkip(101), null, "not again at once");
  assert.equal(out.takeSkip(350), 3, "again, while the receiver has not moved");
  out.onAck(3, [], 1 << 20);
  assert.equal(out.takeSkip(700), null, "the receiver moved on");
  assert.equal(out.nextTimeout(), null);
});

Deno.test("2c. FEC parity takes the parity slots; an early close leaves data slots unused", () => {
  const out = live(1000, { k: 3, m: 2 });
  const kinds: string[] = [];
  const next = () => {
    const r = out.nextBlock(65536);
    if (r) {
      kinds.push(`${r.seq}${r.parity ? "p" : r.fin ? "f" : "d"}`);
      out.sent(r, kinds.length % 2, stamp(0));
    }
    return r;
  };
  for (let i = 0; i < 4; i++) out.push(new Uint8Array(20 + i), false, 0);
  while (next());
  assert.deepEqual(kinds, ["0d", "1d", "2d", "3p", "4p", "5d"]);
  // The source pauses: the open group is closed after the flush delay.
  out.tick(49);
  assert.equal(next(), null);
  out.tick(50);
  while (next());
  assert.deepEqual(kinds.slice(6), ["8p", "9p"], "seqs 6 and 7 stay unused");
  out.end();
  while (next());
  assert.deepEqual(kinds.slice(8), ["10f"]);
  // A lost parity block is never sent again, a lost datagram is; but the last parity of a
  // group closed early goes again: only it tells the receiver that seqs 6 and 7 are unused.
  out.linkLost(1);
  out.linkLost(0);
  const again: number[] = [];
  for (let r = out.nextBlock(65536); r; r = out.nextBlock(65536)) {
    again.push(r.seq);
    out.sent(r, 2, stamp(0));
  }
  assert.deepEqual(again, [0, 1, 2, 5, 9, 10]);
  assert.deepEqual(out.liveCounters!.parityBlocks, 4);
});
