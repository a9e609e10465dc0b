// Tests of core/fec/fec_layout.ts, fec_encoder.ts and fec_decoder.ts, in order:
// 1. the layout: slots, seqs and data-slot counts;
// 2. shards of datagrams of different sizes round-trip, empty ones included;
// 3. encoder to decoder: full groups and early-closed groups rebuild what was lost, in any
//    arrival order; unused slots and parity slots are passable;
// 4. inconsistent groups are never decoded.

import assert from "node:assert/strict";
import {
  dataSlotsIn,
  FecDecoder,
  FecEncoder,
  type FecLayout,
  packShard,
  type ParityBatch,
  seqOf,
  slotOf,
  unpackShard,
} from "../../core/fec/mod.ts";
import { mulberry32, randomBytes, simSeed } from "../_sim/pair.ts";

const L: FecLayout = { k: 4, m: 2, firstSeq: 1 };

Deno.test("1. slotOf(), seqOf() and dataSlotsIn() agree on the layout", () => {
  assert.equal(slotOf(L, 0), null, "the open header is outside every group");
  assert.deepEqual(slotOf(L, 1), { group: 0, index: 0 });
  assert.deepEqual(slotOf(L, 5), { group: 0, index: 4 }, "first parity slot");
  assert.deepEqual(slotOf(L, 7), { group: 1, index: 0 });
  for (let s = 1; s < 100; s++) {
    const slot = slotOf(L, s)!;
    assert.equal(seqOf(L, slot.group, slot.index), s);
  }
  // brute force against arithmetic
  for (let a = 0; a < 40; a++) {
    for (let b = a; b < 40; b++) {
      let n = 0;
      for (let s = a; s < b; s++) {
        const slot = slotOf(L, s);
        if (!slot || slot.index < L.k) n++;
      }
      assert.equal(dataSlotsIn(L, a, b), n, `[${a}, ${b})`);
    }
  }
  assert.equal(dataSlotsIn({ k: 8, m: 2, firstSeq: 0 }, 0, 10 * 2 ** 40), 8 * 2 ** 40);
});

Deno.test("2. shards carry datagrams of any size back exactly", () => {
  for (const n of [0, 1, 255, 256, 1316, 65507]) {
    const d = new Uint8Array(n).map((_, i) => i * 7);
    assert.deepEqual(unpackShard(packShard(d, n + 2 + 5)), d, `${n} octets`);
  }
  assert.equal(unpackShard(new Uint8Array([0, 9, 1])), null, "a length beyond the shard");
});

function group(layout: FecLayout, rand: () => number, count: number) {
  const enc = new FecEncoder(layout);
  const data = Array.from({ length: count }, () => randomBytes(rand, Math.floor(rand() * 1400)));
  let batch: ParityBatch | null = null;
  data.forEach((d, i) => {
    batch = enc.addData(layout.firstSeq + i, d) ?? batch;
  });
  if (count < layout.k) batch = enc.close();
  return { data, batch: batch! as ParityBatch, enc };
}

Deno.test("3a. a full group: any m lost datagrams come back, whatever the order", () => {
  const seed = simSeed();
  const rand = mulberry32(seed);
  for (let trial = 0; trial < 200; trial++) {
    const { data, batch } = group(L, rand, L.k);
    assert.equal(batch.firstSeq, 5);
    assert.equal(batch.payloads.length, 2);
    const blocks = [
      ...data.map((d, i) => ({ seq: 1 + i, parity: false, payload: d })),
      ...batch.payloads.map((p, j) => ({ seq: 5 + j, parity: true, payload: p })),
    ].sort(() => rand() - 0.5);
    const lost = new Set(blocks.slice(0, L.m).map((b) => b.seq));
    const dec = new FecDecoder(L);
    const got = new Map<number, Uint8Array>();
    for (const b of blocks.slice(L.m)) {
      for (const r of b.parity ? dec.addParity(b.seq, b.payload) : dec.addData(b.seq, b.payload)) {
        got.set(r.seq, r.payload);
      }
    }
    for (let i = 0; i < L.k; i++) {
      if (lost.has(1 + i)) assert.deepEqual(got.get(1 + i), data[i], `seed ${seed}, seq ${1 + i}`);
      else assert.equal(got.has(1 + i), false, "what arrived is not rebuilt");
    }
    assert.equal(dec.rebuilt, [...lost].filter((s) => s <= L.k).length);
  }
});

Deno.test("3b. a group closed early covers its datagrams; its unused slots are passable", () => {
  const rand = mulberry32(simSeed());
  const { data, batch } = group(L, rand, 2);
  assert.equal(batch.payloads[0][0], 2, "the parity says the group holds 2 datagrams");
  const dec = new FecDecoder(L);
  assert.equal(dec.passable(3), false, "before any parity, a data slot may still come");
  assert.equal(dec.passable(5), true, "a parity slot never holds delivery up");
  const got = dec.addParity(batch.firstSeq + 1, batch.payloads[1]);
  assert.deepEqual(got, [], "one block for two datagrams: not yet");
  assert.equal(dec.passable(3), true, "unused data slot");
  assert.equal(dec.passable(2), false);
  const [r] = dec.addData(2, data[1]);
  assert.deepEqual(r, { seq: 1, payload: data[0] });
  dec.forgetBelow(7);
  assert.equal(dec.groupCount, 0);
});

Deno.test("4. blocks that disagree break their group: nothing is delivered from it", () => {
  const rand = mulberry32(simSeed());
  const { data, batch } = group(L, rand, L.k);
  const dec = new FecDecoder(L);
  dec.addData(1, data[0]);
  const forged = batch.payloads[0].slice();
  forged[0] = 3; // another data count than the next parity says
  assert.deepEqual(dec.addParity(5, forged), []);
  assert.deepEqual(dec.addParity(6, batch.payloads[1]), []);
  assert.deepEqual(dec.addData(2, data[1]), []);
  assert.equal(dec.brokenGroups, 1);
  // A datagram longer than the group's shards.
  const dec2 = new FecDecoder(L);
  dec2.addParity(5, batch.payloads[0]);
  assert.deepEqual(dec2.addData(1, new Uint8Array(batch.payloads[0].length + 10)), []);
  assert.equal(dec2.brokenGroups, 1);
  // Parity too short to hold a shard.
  const dec3 = new FecDecoder(L);
  assert.deepEqual(dec3.addParity(5, new Uint8Array([4, 0])), []);
  assert.equal(dec3.brokenGroups, 1);
});
