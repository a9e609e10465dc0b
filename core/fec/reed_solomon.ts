/**
 * A systematic Reed-Solomon erasure code over GF(256): `k` data shards and `m` parity shards
 * of equal length, from which any `k` rebuild the data. The parity rows form a Cauchy matrix
 * (row j, column i: 1 / (x_j + y_i) with y_i = i and x_j = k + j), and every square
 * submatrix of a Cauchy matrix is invertible, so the code is MDS: whichever `m` shards are
 * lost, what is left solves for the data. Decoding inverts the k x k matrix of the rows that
 * arrived (Gauss-Jordan over the field) and applies only the rows of the missing data.
 *
 * Stages of a group, in order:
 * 1. `encode(data)`: the `m` parity shards of `k` data shards;
 * 2. `reconstruct(shards)`: the `k` data shards from any `k` of the `k + m` (null: lost).
 * Pure: no I/O.
 * @module
 */
import { gfInv, gfMul, gfMulAdd } from "./gf256.ts";

/** Largest k + m: the Cauchy points x_j and y_i must be distinct field elements. */
export const MAX_SHARDS = 256;

/** A group that cannot be decoded (too few shards, shards of unequal length). */
export class FecError extends Error {
  override name = "FecError";
}

/**
 * @example
 * ```ts
 * const rs = new ReedSolomon(4, 2);
 * const data = [1, 2, 3, 4].map((n) => new Uint8Array(8).fill(n));
 * const parity = rs.encode(data);
 * const got = rs.reconstruct([null, data[1], null, data[3], ...parity]); // data again
 * ```
 */
export class ReedSolomon {
  readonly k: number;
  readonly m: number;
  /** The parity rows: parity[j] = sum over i of rows[j][i] * data[i]. */
  readonly #rows: Uint8Array[];

  constructor(k: number, m: number) {
    if (!Number.isInteger(k) || !Number.isInteger(m) || k < 1 || m < 1 || k + m > MAX_SHARDS) {
      throw new RangeError(`Reed-Solomon needs 1 <= k, 1 <= m, k + m <= ${MAX_SHARDS}`);
    }
    this.k = k;
    this.m = m;
    this.#rows = [];
    for (let j = 0; j < m; j++) {
      const row = new Uint8Array(k);
      for (let i = 0; i < k; i++) row[i] = gfInv((k + j) ^ i);
      this.#rows.push(row);
    }
  }

  /** The `m` parity shards of `k` data shards, all of the same length. */
  encode(data: readonly Uint8Array[]): Uint8Array[] {
    if (data.length !== this.k) throw new FecError(`${data.length} data shards; ${this.k} needed`);
    const len = data[0].length;
    for (const d of data) {
      if (d.length !== len) throw new FecError("data shards differ in length");
    }
    return this.#rows.map((row) => {
      const p = new Uint8Array(len);
      for (let i = 0; i < this.k; i++) gfMulAdd(p, data[i], row[i]);
      return p;
    });
  }

  /**
   * The `k` data shards, rebuilt from `shards` (indices 0..k-1 data, k..k+m-1 parity; null
   * for a lost one). Needs at least `k` present, all of one length. The data shards given
   * are returned as they are (not copied).
   */
  reconstruct(shards: readonly (Uint8Array | null)[]): Uint8Array[] {
    const { k, m } = this;
    if (shards.length !== k + m) throw new FecError(`${shards.length} shards; ${k + m} expected`);
    let len = -1;
    for (const s of shards) {
      if (!s) continue;
      if (len >= 0 && s.length !== len) throw new FecError("shards differ in length");
      len = s.length;
    }
    const missing: number[] = [];
    for (let i = 0; i < k; i++) if (!shards[i]) missing.push(i);
    if (missing.length === 0) return shards.slice(0, k) as Uint8Array[];
    // The k rows to solve with: every data shard present, then parity rows for the rest.
    const use: number[] = [];
    for (let i = 0; i < k; i++) if (shards[i]) use.push(i);
    for (let j = 0; j < m && use.length < k; j++) if (shards[k + j]) use.push(k + j);
    if (use.length < k) {
      throw new FecError(`${use.length} of ${k + m} shards present; ${k} needed`);
    }
    const inv = invert(use.map((s) => this.#generatorRow(s)), k);
    const out = shards.slice(0, k) as (Uint8Array | null)[];
    for (const i of missing) {
      const d = new Uint8Array(len);
      const coef = inv[i];
      for (let r = 0; r < k; r++) gfMulAdd(d, shards[use[r]]!, coef[r]);
      out[i] = d;
    }
    return out as Uint8Array[];
  }

  /** Row `s` of the generator matrix [I; Cauchy]: what shard `s` is in terms of the data. */
  #generatorRow(s: number): Uint8Array {
    if (s >= this.k) return this.#rows[s - this.k];
    const row = new Uint8Array(this.k);
    row[s] = 1;
    return row;
  }
}

/** The inverse of an n x n matrix over GF(256) (Gauss-Jordan); throws if it is singular. */
function invert(rows: readonly Uint8Array[], n: number): Uint8Array[] {
  const a = rows.map((r) => Uint8Array.from(r));
  const inv = Array.from({ length: n }, (_, i) => {
    const r = new Uint8Array(n);
    r[i] = 1;
    return r;
  });
  for (let col = 0; col < n; col++) {
    let pivot = col;
    while (pivot < n && a[pivot][col] === 0) pivot++;
    if (pivot === n) throw new FecError("singular decoding matrix");
    [a[col], a[pivot]] = [a[pivot], a[col]];
    [inv[col], inv[pivot]] = [inv[pivot], inv[col]];
    const scale = gfInv(a[col][col]);
    for (let c = 0; c < n; c++) {
      a[col][c] = gfMul(a[col][c], scale);
      inv[col][c] = gfMul(inv[col][c], scale);
    }
    for (let r = 0; r < n; r++) {
      const f = a[r][col];
      if (r === col || f === 0) continue;
      gfMulAdd(a[r], a[col], f);
      gfMulAdd(inv[r], inv[col], f);
    }
  }
  return inv;
}
