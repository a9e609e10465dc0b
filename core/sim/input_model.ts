/**
 * What feeds the sender in a simulation: a constant bitrate, a video-like bitrate with
 * keyframe bursts, a saturating source, or a file of a given size. A model only says how many
 * bytes exist and when each was produced; the bytes themselves are views of the shared pattern
 * (`pattern.ts`), made by the simulator when it pushes them.
 *
 * Timed sources (cbr, video) produce chunks on a schedule whether or not the sender has room:
 * what it cannot take yet waits in the source (as in a pipe from ffmpeg) and its delay counts
 * from when it was produced. Greedy sources (saturating, file) produce exactly what the sender
 * accepts, when it accepts it.
 * @module
 */
import type { Rng } from "./rng.ts";
import { MAX_CHUNK_BYTES } from "./pattern.ts";

/** The input of a simulation. */
export type InputSpec =
  | {
    kind: "cbr";
    bitrateBps: number;
    /** Chunk size (default 1316 = 7 MPEG-TS packets, grouped to at most one chunk per ms). */
    chunkBytes?: number;
  }
  | {
    kind: "video";
    /** Mean bitrate over a GOP. */
    bitrateBps: number;
    /** Frames per second (default 30). */
    fps?: number;
    /** Keyframe interval (default 2000 ms). */
    gopMs?: number;
    /** Keyframe size over the mean size of the other frames (default 5). */
    keyframeScale?: number;
    /** Each frame's size varies uniformly by ± this share (default 0.2). */
    sizeJitter?: number;
  }
  | {
    kind: "saturating";
    /** Largest push (default 256 KiB). */
    chunkBytes?: number;
  }
  | {
    kind: "file";
    bytes: number;
    /** Largest push (default 256 KiB). */
    chunkBytes?: number;
  };

/** Bytes of the stream produced together. */
export interface InputChunk {
  /** Stream offset of the first byte. */
  offset: number;
  bytes: number;
  /** When the source produced them (ms). */
  at: number;
}

/**
 * A source of input bytes over virtual time.
 * @example
 * ```ts
 * const src = createInputModel({ kind: "cbr", bitrateBps: 8e6 }, 10_000, new Rng(1));
 * const chunk = src.take(5, 65536); // what was produced by 5 ms, up to 64 KiB
 * ```
 */
export interface InputModel {
  readonly spec: InputSpec;
  /** Produces on demand (saturating, file) rather than on a schedule. */
  readonly greedy: boolean;
  /** Bytes handed out so far. */
  readonly bytesTaken: number;
  /** Bytes produced so far (taken or waiting in the source). */
  readonly bytesProduced: number;
  /** When a timed source produces its next chunk (ms), or null (greedy, or finished). */
  nextProductionAt(): number | null;
  /** Produces what is due by `now` (timed sources; greedy ones produce on `take`). */
  advance(now: number): void;
  /** The next bytes available at `now`, at most `max`, or null. */
  take(now: number, max: number): InputChunk | null;
  /** True once no byte will ever come again. */
  done(now: number): boolean;
}

const TS_GROUP = 1316;
const GREEDY_CHUNK = 256 * 1024;

/**
 * Builds the model for `spec`; timed and saturating sources stop producing at `endMs`.
 * @example
 * ```ts
 * const video = createInputModel({ kind: "video", bitrateBps: 3e6 }, 60_000, new Rng(7));
 * ```
 */
export function createInputModel(spec: InputSpec, endMs: number, rng: Rng): InputModel {
  switch (spec.kind) {
    case "cbr": {
      positive("cbr bitrate", spec.bitrateBps);
      const bytesPerMs = spec.bitrateBps / 8000;
      const unit = spec.chunkBytes ?? TS_GROUP;
      positive("cbr chunk size", unit);
      // Group units so that a fast stream is not thousands of events per second.
      const chunk = Math.min(MAX_CHUNK_BYTES, unit * Math.max(1, Math.ceil(bytesPerMs / unit)));
      const interval = chunk / bytesPerMs;
      return new TimedSource(spec, endMs, (k) => k * interval, () => chunk);
    }
    case "video": {
      positive("video bitrate", spec.bitrateBps);
      const fps = spec.fps ?? 30;
      const gopMs = spec.gopMs ?? 2000;
      const scale = spec.keyframeScale ?? 5;
      const jitter = spec.sizeJitter ?? 0.2;
      positive("fps", fps);
      positive("GOP", gopMs);
      if (!(scale >= 1)) throw new RangeError(`keyframe scale ${scale} must be ≥ 1`);
      if (!(jitter >= 0 && jitter < 1)) throw new RangeError(`size jitter ${jitter} not in [0, 1)`);
      const perGop = Math.max(1, Math.round((gopMs * fps) / 1000));
      // Sizes chosen so that one GOP (one keyframe, perGop - 1 others) averages the bitrate.
      const frame = (spec.bitrateBps * gopMs) / 8000 / (scale + perGop - 1);
      return new TimedSource(spec, endMs, (k) => (k * 1000) / fps, (k) => {
        const base = k % perGop === 0 ? scale * frame : frame;
        return Math.max(1, Math.round(base * rng.uniform(1 - jitter, 1 + jitter)));
      });
    }
    case "saturating":
      return new GreedySource(spec, endMs, Infinity, spec.chunkBytes ?? GREEDY_CHUNK);
    case "file":
      if (!(spec.bytes >= 0) || !Number.isSafeInteger(spec.bytes)) {
        throw new RangeError(`file size ${spec.bytes} must be a whole number of bytes ≥ 0`);
      }
      return new GreedySource(spec, Infinity, spec.bytes, spec.chunkBytes ?? GREEDY_CHUNK);
  }
}

/** Chunks produced at `timeOf(k)` with `sizeOf(k)` bytes, for k = 0, 1, ... before `endMs`. */
class TimedSource implements InputModel {
  readonly greedy = false;
  readonly spec: InputSpec;
  bytesTaken = 0;
  bytesProduced = 0;
  #endMs: number;
  #timeOf: (k: number) => number;
  #sizeOf: (k: number) => number;
  /** Index and time of the next chunk to produce. */
  #k = 0;
  #nextAt: number;
  /** Produced and not fully taken: time and bytes left of each chunk (a source-side backlog). */
  #ats: number[] = [];
  #lefts: number[] = [];
  #head = 0;

  constructor(
    spec: InputSpec,
    endMs: number,
    timeOf: (k: number) => number,
    sizeOf: (k: number) => number,
  ) {
    this.spec = spec;
    this.#endMs = endMs;
    this.#timeOf = timeOf;
    this.#sizeOf = sizeOf;
    this.#nextAt = timeOf(0);
  }

  nextProductionAt(): number | null {
    return this.#nextAt < this.#endMs ? this.#nextAt : null;
  }

  advance(now: number): void {
    while (this.#nextAt <= now && this.#nextAt < this.#endMs) {
      const size = this.#sizeOf(this.#k);
      this.#ats.push(this.#nextAt);
      this.#lefts.push(size);
      this.bytesProduced += size;
      this.#nextAt = this.#timeOf(++this.#k);
    }
  }

  take(now: number, max: number): InputChunk | null {
    this.advance(now);
    if (this.#head >= this.#ats.length || max <= 0) return null;
    const left = this.#lefts[this.#head];
    const bytes = Math.min(left, max, MAX_CHUNK_BYTES);
    const chunk = { offset: this.bytesTaken, bytes, at: this.#ats[this.#head] };
    this.bytesTaken += bytes;
    this.#lefts[this.#head] = left - bytes;
    if (left === bytes) {
      this.#head++;
      if (this.#head > 1024 && this.#head * 2 > this.#ats.length) {
        this.#ats = this.#ats.slice(this.#head);
        this.#lefts = this.#lefts.slice(this.#head);
        this.#head = 0;
      }
    }
    return chunk;
  }

  done(now: number): boolean {
    this.advance(now);
    return this.nextProductionAt() === null && this.#head >= this.#ats.length;
  }
}

/** As much as the sender takes, until `endMs` or `total` bytes. */
class GreedySource implements InputModel {
  readonly greedy = true;
  readonly spec: InputSpec;
  bytesTaken = 0;
  #endMs: number;
  #total: number;
  #chunk: number;

  constructor(spec: InputSpec, endMs: number, total: number, chunk: number) {
    positive("chunk size", chunk);
    this.spec = spec;
    this.#endMs = endMs;
    this.#total = total;
    this.#chunk = Math.min(chunk, MAX_CHUNK_BYTES);
  }

  get bytesProduced(): number {
    return this.bytesTaken;
  }

  nextProductionAt(): null {
    return null;
  }

  advance(): void {}

  take(now: number, max: number): InputChunk | null {
    if (this.done(now) || max <= 0) return null;
    const bytes = Math.min(max, this.#chunk, this.#total - this.bytesTaken);
    const chunk = { offset: this.bytesTaken, bytes, at: now };
    this.bytesTaken += bytes;
    return chunk;
  }

  done(now: number): boolean {
    return now >= this.#endMs || this.bytesTaken >= this.#total;
  }
}

function positive(what: string, n: number): void {
  if (!(n > 0) || !Number.isFinite(n)) throw new RangeError(`${what} ${n} must be > 0`);
}
