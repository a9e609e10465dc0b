/**
 * The decoder's fuzz target. One sequence is a byte stream of 1 to 8 pieces (each a case):
 * a valid frame, a mutated frame, or random octets. Each piece goes to `decodeFrame()` alone,
 * and the whole stream to a `FrameReader` cut into random chunks. Checked, per case:
 * 1. nothing but a FrameError is ever thrown (no RangeError from a DataView, no TypeError);
 * 2. a frame the decoder accepts, the encoder accepts too, and decodes back to the same frame;
 * 3. the reader yields the same frames as `decodeFrame()` on each piece, up to the first
 *    piece that is not a frame on its own; once failed it keeps throwing the same error;
 * 4. the reader never holds more than one frame's worth of octets (bounded memory).
 * @module
 */
import {
  decodeFrame,
  encodeFrame,
  type Frame,
  FrameError,
  FrameReader,
  HEADER_LENGTH,
  MAX_BODY_LENGTH,
} from "../../core/frame/mod.ts";
import { mutate, randomEncoded, Rng } from "./_frames.ts";

/** What one sequence found. */
export interface DecoderStats {
  cases: number;
  accepted: number;
  /** FrameError kinds seen, with counts. */
  errors: Map<string, number>;
}

/**
 * A fuzz check that failed: the message says which and how.
 * @example
 * ```ts
 * throw new FuzzCheckError("a failed reader threw a different error");
 * ```
 */
export class FuzzCheckError extends Error {
  override name = "FuzzCheckError";
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new FuzzCheckError(what);
}

/**
 * Deep equality for frames (Uint8Array by content).
 * @example
 * ```ts
 * sameFrame(decodeFrame(encodeFrame(f)), f); // true
 * ```
 */
export function sameFrame(a: unknown, b: unknown): boolean {
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    if (!(a instanceof Uint8Array && b instanceof Uint8Array) || a.length !== b.length) {
      return false;
    }
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!(Array.isArray(a) && Array.isArray(b)) || a.length !== b.length) return false;
    return a.every((x, i) => sameFrame(x, b[i]));
  }
  if (a !== null && b !== null && typeof a === "object" && typeof b === "object") {
    const ka = Object.keys(a as object).filter((k) =>
      (a as Record<string, unknown>)[k] !== undefined
    );
    const kb = Object.keys(b as object).filter((k) =>
      (b as Record<string, unknown>)[k] !== undefined
    );
    if (ka.length !== kb.length) return false;
    return ka.every((k) =>
      sameFrame((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])
    );
  }
  return Object.is(a, b);
}

function countError(stats: DecoderStats, e: unknown): void {
  if (!(e instanceof FrameError)) {
    throw new FuzzCheckError(`untyped error ${(e as Error)?.name}: ${(e as Error)?.message}`);
  }
  stats.errors.set(e.kind, (stats.errors.get(e.kind) ?? 0) + 1);
}

function piece(r: Rng): Uint8Array {
  const k = r.int(10);
  if (k === 0) return r.bytes(r.chance(0.9) ? r.int(64) : r.int(400));
  const frame = randomEncoded(r);
  if (k < 3) return frame;
  return mutate(r, frame, randomEncoded(r));
}

/**
 * Runs one sequence from `seed`; throws FuzzCheckError on a broken rule.
 * @example
 * ```ts
 * const stats = { cases: 0, accepted: 0, errors: new Map() };
 * decoderSequence(1234, stats);
 * ```
 */
export function decoderSequence(seed: number, stats: DecoderStats): void {
  const r = new Rng(seed);
  const pieces = Array.from({ length: 1 + r.int(8) }, () => piece(r));
  const alone: (Frame | null)[] = [];
  for (const p of pieces) {
    stats.cases++;
    let frame: Frame | null = null;
    try {
      frame = decodeFrame(p, 0x02bdc7);
    } catch (e) {
      countError(stats, e);
    }
    alone.push(frame);
    if (frame === null) continue;
    stats.accepted++;
    let again: Frame;
    try {
      again = decodeFrame(encodeFrame(frame));
    } catch (e) {
      throw new FuzzCheckError(
        `the decoder accepted a ${frame.type} that does not re-encode: ${(e as Error).message}`,
      );
    }
    check(sameFrame(frame, again), `a ${frame.type} frame changed on re-encoding`);
  }
  // The stream, in random chunks.
  const total = pieces.reduce((n, p) => n + p.length, 0);
  const stream = new Uint8Array(total);
  let at = 0;
  for (const p of pieces) {
    stream.set(p, at);
    at += p.length;
  }
  const reader = new FrameReader({ expectOui: 0x02bdc7 });
  const got: Frame[] = [];
  let failure: unknown = null;
  for (let off = 0; off < stream.length;) {
    const n = Math.min(stream.length - off, 1 + (r.chance(0.5) ? r.int(16) : r.int(stream.length)));
    const chunk = stream.slice(off, off + n);
    off += n;
    try {
      got.push(...reader.push(chunk));
    } catch (e) {
      if (failure !== null) {
        check(e === failure, "a failed reader threw a different error");
      } else {
        countError(stats, e);
        failure = e;
      }
    }
    check(
      reader.bufferedBytes < HEADER_LENGTH + MAX_BODY_LENGTH + chunk.length,
      `the reader holds ${reader.bufferedBytes} octets, more than one frame`,
    );
  }
  // Frames completed in the push that failed are dropped with the link (documented), so only
  // a reader that never failed must have them all.
  for (let i = 0; i < alone.length; i++) {
    const f = alone[i];
    if (f === null) break;
    if (i >= got.length) {
      check(failure !== null, `the reader lost frame ${i} (${f.type}) without failing`);
      break;
    }
    check(sameFrame(got[i], f), `the reader's frame ${i} differs from decodeFrame's`);
  }
}
