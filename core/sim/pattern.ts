/**
 * Verifiable stream content without storing the stream: byte `o` of every simulated input is
 * a cheap hash of `o mod PATTERN_PERIOD`, so the receiver side can check order and integrity of
 * each output chunk from its stream offset alone. All inputs are views of one shared buffer
 * holding the pattern (plus room for the longest chunk), so memory stays flat however long
 * the run.
 * @module
 */

/** The pattern repeats after this many bytes: a prime, so block sizes never line up with it. */
export const PATTERN_PERIOD = 1_048_573;
/** The longest chunk a view may have (bytes). */
export const MAX_CHUNK_BYTES = 1 << 20;

/**
 * The content of stream byte `offset`.
 * @example
 * ```ts
 * patternByte(0); // 0
 * ```
 */
export function patternByte(offset: number): number {
  return (Math.imul(offset % PATTERN_PERIOD, 0x9e3779b1) >>> 24) & 0xff;
}

let shared: Uint8Array | null = null;

/**
 * A view of stream bytes `[offset, offset + length)`, backed by the shared pattern buffer.
 * Never write to it.
 * @example
 * ```ts
 * const chunk = patternView(5000, 1316);
 * chunk[0] === patternByte(5000); // true
 * ```
 */
export function patternView(offset: number, length: number): Uint8Array {
  if (length > MAX_CHUNK_BYTES) {
    throw new RangeError(`a chunk of ${length} bytes exceeds ${MAX_CHUNK_BYTES}`);
  }
  if (shared === null) {
    shared = new Uint8Array(PATTERN_PERIOD + MAX_CHUNK_BYTES);
    for (let i = 0; i < shared.length; i++) shared[i] = patternByte(i);
  }
  const at = offset % PATTERN_PERIOD;
  return shared.subarray(at, at + length);
}

/** How thoroughly output is checked: every byte, or a few per chunk (O(1) per chunk). */
export type VerifyMode = "full" | "sampled";

/**
 * Checks that output chunks continue the pattern from where the previous one ended.
 * @example
 * ```ts
 * const v = new PatternVerifier("full");
 * v.check(patternView(0, 100));
 * v.check(patternView(100, 50));
 * v.errors; // 0
 * ```
 */
export class PatternVerifier {
  readonly mode: VerifyMode;
  /** Stream bytes checked so far: the offset the next chunk must start at. */
  offset = 0;
  /** Chunks that did not match. */
  errors = 0;
  /** Stream offset of the first mismatch, or -1. */
  firstErrorAt = -1;

  constructor(mode: VerifyMode) {
    this.mode = mode;
  }

  /** Checks one chunk and advances; returns false on a mismatch. */
  check(chunk: Uint8Array): boolean {
    const n = chunk.length;
    const base = this.offset;
    this.offset += n;
    if (n === 0) return true;
    // Sampled: both ends and six points between, at offsets that vary from chunk to chunk.
    const step = this.mode === "full" ? 1 : Math.max(1, Math.floor(n / 7));
    for (let i = this.mode === "full" ? 0 : (base % step); i < n; i += step) {
      if (chunk[i] !== patternByte(base + i)) return this.#fail(base + i);
    }
    if (chunk[0] !== patternByte(base)) return this.#fail(base);
    if (chunk[n - 1] !== patternByte(base + n - 1)) return this.#fail(base + n - 1);
    return true;
  }

  #fail(at: number): boolean {
    this.errors++;
    if (this.firstErrorAt < 0) this.firstErrorAt = at;
    return false;
  }
}
