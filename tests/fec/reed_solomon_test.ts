// Tests of core/fec/gf256.ts and core/fec/reed_solomon.ts, in order:
// 1. the field: inverses, the table against a bit-by-bit product, distributivity;
// 2. the code: every way of losing up to m shards of small groups rebuilds the data exactly;
// 3. seeded random groups up to 64 + 16, and what the code refuses.

import assert from "node:assert/strict";
import { gfInv, gfMul, gfMulAdd } from "../../core/fec/gf256.ts";
import { FecError, ReedSolomon } from "../../core/fec/reed_solomon.ts";
import { mulberry32, randomBytes, simSeed } from "../_sim/pair.ts";

/** Carry-less multiplication reduced by 0x11d, one bit at a time: the reference. */
function slowMul(a: number, b: number): number {
  let p = 0;
  for (let i = 0; i < 8; i++) {
    if (b & (1 << i)) p ^= a << i;
  }
  for (let bit = 15; bit >= 8; bit--) if (p & (1 << bit)) p ^= 0x11d << (bit - 8);
  return p;
}

Deno.test("1. gfMul() is the field's product; every non-zero element has an inverse", () => {
  for (let a = 0; a < 256; a++) {
    for (let b = 0; b < 256; b++) assert.equal(gfMul(a, b), slowMul(a, b), `${a} * ${b}`);
    if (a > 0) assert.equal(gfMul(a, gfInv(a)), 1, `inverse of ${a}`);
  }
  assert.throws(() => gfInv(0), RangeError);
  // a (b + c) = ab + ac, through the multiply-accumulate used on shards
  const acc = new Uint8Array([0x53]);
  gfMulAdd(acc, new Uint8Array([0xca]), 0x1f);
  assert.equal(acc[0], 0x53 ^ slowMul(0xca, 0x1f));
});

/** Every subset of up to `m` lost shards out of k + m. */
function* lossPatterns(n: number, m: number): Generator<number[]> {
  const pick = (from: number, left: number, acc: number[]): number[][] =>
    left === 0 || from >= n
      ? [acc]
      : [...pick(from + 1, left, acc), ...pick(from + 1, left - 1, [...acc, from])];
  const seen = new Set<string>();
  for (const p of pick(0, m, [])) {
    const key = p.join(",");
    if (!seen.has(key)) {
      seen.add(key);
      yield p;
    }
  }
}

Deno.test("2. any k of k + m shards rebuild the data (every loss pattern, small groups)", () => {
  const rand = mulberry32(simSeed());
  for (const [k, m] of [[1, 1], [2, 1], [3, 2], [4, 2], [5, 3], [8, 2]]) {
    const rs = new ReedSolomon(k, m);
    const data = Array.from({ length: k }, () => randomBytes(rand, 37));
    const parity = rs.encode(data);
    assert.equal(parity.length, m);
    let patterns = 0;
    for (const lost of lossPatterns(k + m, m)) {
      const shards: (Uint8Array | null)[] = [...data, ...parity];
      for (const i of lost) shards[i] = null;
      const got = rs.reconstruct(shards);
      for (let i = 0; i < k; i++) {
        assert.deepEqual(got[i], data[i], `k=${k} m=${m}, lost ${lost}: shard ${i}`);
      }
      patterns++;
    }
    assert.ok(patterns > m, `k=${k} m=${m}: ${patterns} patterns`);
  }
});

Deno.test("3a. large random groups: 64 + 16 with 16 lost, seeded", () => {
  const seed = simSeed();
  const rand = mulberry32(seed);
  for (const [k, m] of [[16, 4], [64, 16]]) {
    const rs = new ReedSolomon(k, m);
    const data = Array.from({ length: k }, () => randomBytes(rand, 1318));
    const shards: (Uint8Array | null)[] = [...data, ...rs.encode(data)];
    const order = shards.map((_, i) => i).sort(() => rand() - 0.5);
    for (const i of order.slice(0, m)) shards[i] = null;
    const got = rs.reconstruct(shards);
    for (let i = 0; i < k; i++) assert.deepEqual(got[i], data[i], `seed ${seed}, shard ${i}`);
  }
});

Deno.test("3b. the code refuses what it cannot do", () => {
  assert.throws(() => new ReedSolomon(0, 1), RangeError);
  assert.throws(() => new ReedSolomon(200, 57), RangeError);
  const rs = new ReedSolomon(3, 1);
  const d = [new Uint8Array(4), new Uint8Array(4), new Uint8Array(4)];
  assert.throws(() => rs.encode(d.slice(0, 2)), FecError);
  assert.throws(() => rs.encode([d[0], d[1], new Uint8Array(5)]), FecError);
  const p = rs.encode(d);
  assert.throws(() => rs.reconstruct([null, null, d[2], p[0]]), FecError, "two lost, one parity");
  assert.throws(() => rs.reconstruct([null, d[1], d[2]]), FecError, "wrong shard count");
  // nothing lost: the data shards themselves
  const same = rs.reconstruct([...d, null]);
  assert.equal(same[0], d[0]);
});
