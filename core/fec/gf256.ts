/**
 * Arithmetic in GF(2^8), the field Reed-Solomon codes over bytes work in: addition is XOR,
 * multiplication goes through log/exp tables of the generator 2 modulo the polynomial
 * x^8 + x^4 + x^3 + x^2 + 1 (0x11d, the usual choice for byte-wise erasure codes).
 * A full 256 x 256 product table (64 KiB) makes the inner loop of encoding one lookup per
 * byte. Pure: tables are built once at load.
 * @module
 */

const POLY = 0x11d;

/** exp[i] = 2^i, doubled in length so exp[log a + log b] needs no modulo. */
const EXP = new Uint8Array(512);
/** log[a] for a != 0 (log[0] is unused). */
const LOG = new Uint8Array(256);
{
  let x = 1;
  for (let i = 0; i < 255; i++) {
    EXP[i] = x;
    LOG[x] = i;
    x <<= 1;
    if (x & 0x100) x ^= POLY;
  }
  for (let i = 255; i < 512; i++) EXP[i] = EXP[i - 255];
}

/** MUL[a * 256 + b] = a * b in GF(256). */
const MUL = new Uint8Array(256 * 256);
for (let a = 1; a < 256; a++) {
  for (let b = 1; b < 256; b++) MUL[a * 256 + b] = EXP[LOG[a] + LOG[b]];
}

/**
 * The product of two field elements.
 * @example
 * ```ts
 * gfMul(2, 0x80); // 0x1d: x * x^7 reduced by the polynomial
 * ```
 */
export function gfMul(a: number, b: number): number {
  return MUL[(a << 8) | b];
}

/**
 * The multiplicative inverse of a non-zero element.
 * @example
 * ```ts
 * gfMul(7, gfInv(7)); // 1
 * ```
 */
export function gfInv(a: number): number {
  if (a === 0) throw new RangeError("0 has no inverse in GF(256)");
  return EXP[255 - LOG[a]];
}

/**
 * The row of the product table for `c`: `row[b] = c * b`. Multiplying a whole shard by `c`
 * is then one lookup per byte.
 * @example
 * ```ts
 * const row = gfMulRow(3);
 * row[5]; // 3 * 5 = 15 (no reduction needed below 0x100)
 * ```
 */
export function gfMulRow(c: number): Uint8Array {
  return MUL.subarray(c << 8, (c << 8) + 256);
}

/**
 * `acc ^= c * src`, byte by byte over `src.length` (the field's multiply-accumulate).
 * @example
 * ```ts
 * const acc = new Uint8Array(4);
 * gfMulAdd(acc, new Uint8Array([1, 2, 3, 4]), 1); // acc is now [1, 2, 3, 4]
 * ```
 */
export function gfMulAdd(acc: Uint8Array, src: Uint8Array, c: number): void {
  if (c === 0) return;
  const n = src.length;
  if (c === 1) {
    for (let i = 0; i < n; i++) acc[i] ^= src[i];
    return;
  }
  const row = gfMulRow(c);
  for (let i = 0; i < n; i++) acc[i] ^= row[src[i]];
}
