/**
 * The receiver's reorder buffer for one stream: blocks arrive out of order over several links
 * and leave strictly in sequence. Pure: time comes in as `now` (ms), deadlines go out as data.
 *
 * Stages of one block, in order:
 * 1. `insert()` checks the block against the fin (protocol violations throw `ReorderError`),
 *    drops duplicates, refuses what does not fit the window, and stores the rest.
 * 2. The block shrinks, splits or removes the gap it fell into, or opens a new gap above the
 *    highest seq seen; the cumulative point `nextSeq` is the start of the first gap.
 * 3. `take()` hands out ready blocks (below `nextSeq`) in order; taking the fin ends the stream.
 * 4. `overdueGaps()` / `nextTimeout()` turn gap ages into NACKs without a timer of its own.
 * @module
 */

/** What `insert()` did with a block. */
export type InsertResult = "accepted" | "duplicate" | "beyond-window";

/** The protocol violations `insert()` detects; each one means the peer is broken or hostile. */
export type ReorderErrorCode =
  | "invalid-seq" // not an integer in 0 .. 2^53 - 2
  | "second-fin" // a fin at another seq than the fin already held or released
  | "data-after-fin" // a block above the fin, or a fin below a block already received
  | "fin-mismatch"; // the same seq seen once with the fin flag and once without

/**
 * A peer broke the stream's rules; the session should close the link it came on (or the
 * stream), not the process. The buffer is unchanged by the call that threw.
 *
 * @example
 * ```ts
 * const buf = new ReorderBuffer({ maxBytes: 1 << 20, nackDelayMs: 50 });
 * buf.insert(3, new Uint8Array(0), true, 0);
 * try {
 *   buf.insert(4, new Uint8Array(8), false, 1);
 * } catch (e) {
 *   if (e instanceof ReorderError) console.log(e.code); // "data-after-fin"
 * }
 * ```
 */
export class ReorderError extends Error {
  override name = "ReorderError";
  /** Which rule was broken. */
  readonly code: ReorderErrorCode;
  /** The offending block's seq. */
  readonly seq: number;
  /** The fin seq known when it arrived, or -1. */
  readonly finSeq: number;

  constructor(code: ReorderErrorCode, seq: number, finSeq: number) {
    super(`reorder: ${code} (seq ${seq}, fin ${finSeq < 0 ? "unknown" : finSeq})`);
    this.code = code;
    this.seq = seq;
    this.finSeq = finSeq;
  }
}

/**
 * Options of a `ReorderBuffer`.
 *
 * @example
 * ```ts
 * const opts: ReorderOptions = { maxBytes: 64 << 20, nackDelayMs: 40, nackRepeatMs: 80 };
 * ```
 */
export interface ReorderOptions {
  /** Bound on payload bytes held: out of order plus ready but not yet taken. */
  maxBytes: number;
  /** How long a gap may stay open after a later block arrived before it is overdue. */
  nackDelayMs: number;
  /** How often an overdue gap is requested again; defaults to nackDelayMs, at least 1. */
  nackRepeatMs?: number;
  /** Bound on blocks held, so empty blocks cannot grow the map unbounded (default 2^20). */
  maxBlocks?: number;
}

/**
 * One block handed out by `take()`.
 *
 * @example
 * ```ts
 * const b: Block = { seq: 0, payload: new Uint8Array([1, 2]), fin: false };
 * ```
 */
export interface Block {
  seq: number;
  payload: Uint8Array;
  fin: boolean;
}

/**
 * A half-open range of seq numbers `[start, end)`.
 *
 * @example
 * ```ts
 * const r: SeqRange = [4, 7]; // seqs 4, 5 and 6
 * ```
 */
export type SeqRange = [start: number, end: number];

/** A missing range, with when it became known as missing and when it was last requested. */
interface Gap {
  start: number;
  end: number;
  since: number;
  nackedAt: number | null;
}

const DEFAULT_MAX_BLOCKS = 1 << 20;

function checkNumber(name: string, value: number, min: number): number {
  if (!Number.isFinite(value) || value < min) {
    throw new RangeError(`${name} must be a finite number >= ${min}, got ${value}`);
  }
  return value;
}

/**
 * Puts one stream's blocks back in order within a byte window and tells which gaps to NACK.
 *
 * Held blocks live in a Map keyed by seq; open gaps in a sorted array (few in practice). An
 * insert costs O(1) for in-order data and for closing the lowest gap, O(log gaps) plus a splice
 * otherwise, never a scan of the held blocks; `nextTimeout()`, `overdueGaps()` and
 * `oldestGapAgeMs()` scan the gaps (20k gaps: about 0.2 ms).
 *
 * @example
 * ```ts
 * const buf = new ReorderBuffer({ maxBytes: 1 << 20, nackDelayMs: 50 });
 * buf.insert(1, new Uint8Array([2]), true, 0); // arrives first, waits for 0
 * buf.insert(0, new Uint8Array([1]), false, 5);
 * for (let b = buf.take(); b; b = buf.take()) console.log(b.seq, b.fin); // 0 false, 1 true
 * console.log(buf.finished); // true
 * ```
 */
export class ReorderBuffer {
  #maxBytes: number;
  #maxBlocks: number;
  #nackDelay: number;
  #nackRepeat: number;
  #repeatIsExplicit: boolean;
  #held = new Map<number, Uint8Array>();
  #heldBytes = 0;
  #gaps: Gap[] = []; // sorted by seq; the live ones start at #head
  #head = 0; // the lowest gap usually closes first: dropping it must not shift the array
  #taken = 0; // the seq take() hands out next
  #next = 0; // the first seq neither taken nor ready
  #highest = -1;
  #finSeq = -1;
  #finished = false;

  constructor(opts: ReorderOptions) {
    this.#maxBytes = checkNumber("maxBytes", opts.maxBytes, 0);
    this.#maxBlocks = checkNumber("maxBlocks", opts.maxBlocks ?? DEFAULT_MAX_BLOCKS, 1);
    this.#nackDelay = checkNumber("nackDelayMs", opts.nackDelayMs, 0);
    this.#repeatIsExplicit = opts.nackRepeatMs !== undefined;
    const repeat = opts.nackRepeatMs ?? this.#nackDelay;
    this.#nackRepeat = Math.max(1, checkNumber("nackRepeatMs", repeat, 0));
  }

  /** All seqs below this are taken or ready: the cumulative point for ACKs. */
  get nextSeq(): number {
    return this.#next;
  }

  /** Payload bytes held, out of order or ready but not taken. */
  get heldBytes(): number {
    return this.#heldBytes;
  }

  /** What the receiver advertises for flow control: `max(0, maxBytes - heldBytes)`. */
  get windowBytes(): number {
    return Math.max(0, this.#maxBytes - this.#heldBytes);
  }

  /** True once the fin block has been taken. */
  get finished(): boolean {
    return this.#finished;
  }

  /** The highest seq accepted so far, or -1. */
  get highestSeen(): number {
    return this.#highest;
  }

  /** The seq of the fin block once accepted, or -1. */
  get finSeq(): number {
    return this.#finSeq;
  }

  /** How many blocks `take()` would hand out now. */
  get readyCount(): number {
    return this.#next - this.#taken;
  }

  /** How many missing ranges are open below the highest seq seen. */
  get gapCount(): number {
    return this.#gaps.length - this.#head;
  }

  /**
   * Changes the NACK delay (the session follows the links' delay spread). A repeat interval
   * that was not given explicitly follows it; `repeatMs` makes it explicit.
   */
  setNackDelay(ms: number, repeatMs?: number): void {
    this.#nackDelay = checkNumber("nackDelayMs", ms, 0);
    if (repeatMs !== undefined) {
      this.#nackRepeat = Math.max(1, checkNumber("nackRepeatMs", repeatMs, 0));
      this.#repeatIsExplicit = true;
    } else if (!this.#repeatIsExplicit) {
      this.#nackRepeat = Math.max(1, ms);
    }
  }

  /** Changes the byte window; blocks already held stay even if they no longer fit. */
  setMaxBytes(bytes: number): void {
    this.#maxBytes = checkNumber("maxBytes", bytes, 0);
  }

  /**
   * Offers one block. Duplicates are dropped; a block that would overflow the window is
   * refused and forgotten, except the next expected one, which always fits so the stream can
   * never deadlock. Throws `ReorderError` on a protocol violation, leaving the buffer as it was.
   */
  insert(seq: number, payload: Uint8Array, fin: boolean, now: number): InsertResult {
    this.#checkProtocol(seq, fin);
    if (seq < this.#next || this.#held.has(seq)) return "duplicate";
    if (
      seq !== this.#next &&
      (this.#heldBytes + payload.byteLength > this.#maxBytes ||
        this.#held.size >= this.#maxBlocks)
    ) return "beyond-window";

    this.#held.set(seq, payload);
    this.#heldBytes += payload.byteLength;
    if (fin) this.#finSeq = seq;
    if (seq > this.#highest) {
      if (seq > this.#highest + 1) {
        this.#gaps.push({ start: this.#highest + 1, end: seq, since: now, nackedAt: null });
      }
      this.#highest = seq;
    } else {
      this.#fill(seq); // below the highest and not held: it lies in a gap
    }
    const first = this.#gaps[this.#head];
    this.#next = first !== undefined ? first.start : this.#highest + 1;
    return "accepted";
  }

  /** Hands out the next block in order, or null if it has not arrived yet. */
  take(): Block | null {
    if (this.#taken >= this.#next) return null;
    const seq = this.#taken++;
    const payload = this.#held.get(seq)!;
    this.#held.delete(seq);
    this.#heldBytes -= payload.byteLength;
    const fin = seq === this.#finSeq;
    if (fin) this.#finished = true;
    return { seq, payload, fin };
  }

  /** Hands out up to `max` ready blocks in order. */
  takeReady(max = Infinity): Block[] {
    const out: Block[] = [];
    for (let b: Block | null; out.length < max && (b = this.take()) !== null;) out.push(b);
    return out;
  }

  /** Ranges received above `nextSeq`, ascending, at most `max` (the lowest first). */
  ackRanges(max: number): SeqRange[] {
    const gaps = this.#gaps;
    const out: SeqRange[] = [];
    // Between two gaps, and after the last one, everything has arrived.
    for (let i = this.#head; i < gaps.length && out.length < max; i++) {
      out.push([gaps[i].end, i + 1 < gaps.length ? gaps[i + 1].start : this.#highest + 1]);
    }
    return out;
  }

  /**
   * Missing ranges due for a NACK at `now`, ascending, at most `max`; each one returned is
   * not returned again before `nackRepeatMs` has passed.
   */
  overdueGaps(now: number, max: number): SeqRange[] {
    const out: SeqRange[] = [];
    const gaps = this.#gaps;
    for (let i = this.#head; i < gaps.length && out.length < max; i++) {
      const g = gaps[i];
      if (now >= this.#dueAt(g)) {
        out.push([g.start, g.end]);
        g.nackedAt = now;
      }
    }
    return out;
  }

  /** The earliest `now` at which `overdueGaps()` returns something, or null while no gap. */
  nextTimeout(): number | null {
    let min: number | null = null;
    for (let i = this.#head; i < this.#gaps.length; i++) {
      const due = this.#dueAt(this.#gaps[i]);
      if (min === null || due < min) min = due;
    }
    return min;
  }

  /** How long the oldest open gap has been known as missing (0 if none). */
  oldestGapAgeMs(now: number): number {
    let oldest = Infinity;
    for (let i = this.#head; i < this.#gaps.length; i++) {
      oldest = Math.min(oldest, this.#gaps[i].since);
    }
    return oldest === Infinity ? 0 : Math.max(0, now - oldest);
  }

  #dueAt(g: Gap): number {
    return g.nackedAt === null ? g.since + this.#nackDelay : g.nackedAt + this.#nackRepeat;
  }

  #checkProtocol(seq: number, fin: boolean): void {
    // The highest seq is 2^53 - 2: an ACK range ends one past it, and must stay a safe integer.
    if (!Number.isSafeInteger(seq) || seq < 0 || seq >= Number.MAX_SAFE_INTEGER) {
      throw new ReorderError("invalid-seq", seq, -1);
    }
    const finSeq = this.#finSeq;
    if (finSeq >= 0) {
      if (seq > finSeq) throw new ReorderError("data-after-fin", seq, finSeq);
      if (fin && seq !== finSeq) throw new ReorderError("second-fin", seq, finSeq);
      if (!fin && seq === finSeq) throw new ReorderError("fin-mismatch", seq, finSeq);
    } else if (fin && seq <= this.#highest) {
      const seen = seq < this.#next || this.#held.has(seq);
      throw new ReorderError(seen ? "fin-mismatch" : "data-after-fin", seq, -1);
    }
  }

  /** Removes `seq` from the gap holding it: drop, shrink from either end, or split. */
  #fill(seq: number): void {
    const gaps = this.#gaps;
    let lo = this.#head;
    let hi = gaps.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (gaps[mid].start <= seq) lo = mid;
      else hi = mid - 1;
    }
    const g = gaps[lo];
    if (g.end - g.start === 1) this.#remove(lo);
    else if (seq === g.start) g.start++;
    else if (seq === g.end - 1) g.end--;
    else {
      // The upper part keeps the gap's age and NACK time: it was missing just as long.
      gaps.splice(lo + 1, 0, { start: seq + 1, end: g.end, since: g.since, nackedAt: g.nackedAt });
      g.end = seq;
    }
  }

  #remove(i: number): void {
    if (i !== this.#head) {
      this.#gaps.splice(i, 1);
      return;
    }
    this.#head++;
    // Compact once the dead prefix outweighs the live gaps: amortised O(1) per removal.
    if (this.#head >= 32 && this.#head * 2 >= this.#gaps.length) {
      this.#gaps = this.#gaps.slice(this.#head);
      this.#head = 0;
    }
  }
}
