/**
 * The bench stream's records: sizes for a link set, stamping, and the sink's reader across
 * arbitrary chunk boundaries, with lost, doubled and foreign bytes noticed.
 * @module
 */
import assert from "node:assert/strict";
import { Rng } from "../../core/sim/rng.ts";
import { recordSizeFor, StampReader, stampRecords } from "../../core/bench/mod.ts";

const SEED = 4242;
console.log(`bench stamps tests: seed ${SEED}`);

Deno.test("recordSizeFor() gives about 2 ms of the links' rate, 1 to 16 KiB", () => {
  const rows: [number, number, number][] = [
    [1, 1.92e6, 1024],
    [2, 37e6, 16384],
    [3, 10e6, 4096],
    [4, 100e9, 16384],
    [5, 8000, 1024],
  ];
  for (const [n, bps, size] of rows) assert.equal(recordSizeFor(bps), size, `#${n} ${bps} bit/s`);
});

Deno.test("StampReader splits chunks back into records whatever their boundaries", () => {
  const rng = new Rng(SEED);
  const size = 1024;
  const batch = new Uint8Array(50 * size);
  stampRecords(batch.subarray(0, 20 * size), size, 0, 1000);
  stampRecords(batch.subarray(20 * size), size, 20, 2000);
  const r = new StampReader(size);
  const got: { index: number; sentAt: number }[] = [];
  let o = 0;
  while (o < batch.length) {
    const n = Math.min(batch.length - o, 1 + Math.floor(rng.next() * 3000));
    got.push(...r.push(batch.subarray(o, o + n)));
    o += n;
  }
  assert.equal(r.broken, null);
  assert.deepEqual(got.map((g) => g.index), Array.from({ length: 50 }, (_, i) => i));
  assert.equal(got[19].sentAt, 1000);
  assert.equal(got[20].sentAt, 2000);
  assert.equal(r.validBytes, batch.length);
  assert.equal(r.partialBytes, 0);
});

Deno.test("StampReader notices lost, doubled and foreign data", () => {
  const size = 1024;
  const rec = (i: number) => {
    const b = new Uint8Array(size);
    stampRecords(b, size, i, 0);
    return b;
  };
  const rows: [number, string, Uint8Array[], RegExp, number][] = [
    [1, "a record missing", [rec(0), rec(2)], /record 2 arrived where 1 was due \(lost/, 1],
    [
      2,
      "a record twice",
      [rec(0), rec(1), rec(1)],
      /record 1 arrived where 2 was due \(doubled/,
      2,
    ],
    [3, "foreign bytes", [rec(0), new Uint8Array(size)], /not a bench record/, 1],
  ];
  for (const [n, what, chunks, why, valid] of rows) {
    const r = new StampReader(size);
    for (const c of chunks) r.push(c);
    assert.match(r.broken ?? "", why, `#${n} ${what}`);
    assert.equal(r.validBytes, valid * size, `#${n} ${what}: valid bytes`);
  }
  assert.throws(() => stampRecords(new Uint8Array(1000), 1024, 0, 0), RangeError);
  assert.throws(() => new StampReader(100), RangeError);
});
