/**
 * The receiver's ordering for one datagram stream: datagrams leave in sequence, one block
 * each, but unlike a byte stream's reorder buffer it may give up on a gap. A gap is skipped
 * when it has been open longer than the stream's deadline, or when the sender says it will
 * never send anything below a seq (SKIP), so a dead link never stalls a live stream. With FEC,
 * parity blocks are filed by group and a lost datagram is rebuilt as soon as its group holds
 * enough blocks; missing parity slots are never waited for.
 *
 * Stages of a block, in order:
 * 1. `insert()` checks it against the fin (protocol violations throw `ReorderError`), drops
 *    duplicates and what is already skipped, refuses what does not fit the window, files the
 *    rest (and FEC may rebuild datagrams of its group);
 * 2. delivery moves over present blocks (parity is consumed, not delivered) and passable slots;
 * 3. `skipTo()` (SKIP) and `expire(now)` (the deadline) move it over what is missing, counting
 *    each datagram given up on;
 * 4. `take()` hands datagrams out in order; `ackRanges()`, `overdueGaps()` and `nextTimeout()`
 *    serve acknowledgements, NACKs and timers as the byte stream's buffer does.
 * Pure: time comes in as `now` (ms).
 * @module
 */
import { type Block, ReorderError } from "../reorder/mod.ts";
import type { InsertResult, SeqRange } from "../reorder/mod.ts";
import { dataSlotsIn, FecDecoder, type FecLayout, slotOf } from "../fec/mod.ts";
import type { LiveOptions } from "./stream_header.ts";

/** Options of a datagram stream's ordering. */
export interface LiveOrderOptions {
  /** Bound on payload bytes held (out of order, and ready but not taken). */
  maxBytes: number;
  /** How long a gap may stay open before it is NACKed (ms). */
  nackDelayMs: number;
  /** Bound on blocks held. */
  maxBlocks: number;
  /**
   * Block 0 is the stream's open header: it is never skipped, and the deadline and FEC are
   * known only once it is read (`configure()`).
   */
  headerAtZero: boolean;
}

/** What a datagram stream's receiver did, for reports. */
export interface LiveReceiveCounters {
  /** Datagrams delivered in order (rebuilt ones included). */
  delivered: number;
  /** Datagrams given up on: late past the deadline, or skipped by the sender. */
  skipped: number;
  /** Datagrams rebuilt from their FEC group. */
  rebuilt: number;
  /** Parity blocks received. */
  parity: number;
}

interface Held {
  payload: Uint8Array;
  fin: boolean;
  parity: boolean;
}

interface Gap {
  start: number;
  end: number;
  since: number;
  nackedAt: number | null;
}

/** Blocks taken before the FEC layout was known, kept for their groups (bounded). */
const MAX_EARLY = 1024;
/** Ranges up to this long are counted slot by slot (exact); longer ones arithmetically. */
const EXACT_COUNT = 65_536;
/** Groups whose given-up slots may still turn out unused, remembered at most. */
const MAX_UNSURE_GROUPS = 256;

/**
 * @example
 * ```ts
 * const order = new LiveOrder({ maxBytes: 1 << 20, nackDelayMs: 50, maxBlocks: 4096,
 *   headerAtZero: false });
 * order.configure({ deadlineMs: 800 });
 * order.insert(1, datagram, false, 0);
 * order.expire(900); // seq 0 never came: skipped, and seq 1 is ready
 * ```
 */
export class LiveOrder {
  #o: LiveOrderOptions;
  #held = new Map<number, Held>();
  #heldBytes = 0;
  #ready: Block[] = [];
  #readyHead = 0;
  #readyBytes = 0;
  #next = 0;
  #highest = -1;
  #finSeq = -1;
  #finished = false;
  #gaps: Gap[] = [];
  #nackRepeat: number;
  #deadlineMs: number | null = null;
  #fec: FecDecoder | null = null;
  #configured: boolean;
  #early: { seq: number; payload: Uint8Array; parity: boolean }[] = [];
  /**
   * Data slots given up (and counted) before their group's parity said how many it covers:
   * a late parity block takes back those that were never used.
   */
  #unsure = new Map<number, number[]>();
  readonly counters: LiveReceiveCounters = { delivered: 0, skipped: 0, rebuilt: 0, parity: 0 };

  constructor(opts: LiveOrderOptions) {
    this.#o = { ...opts };
    this.#nackRepeat = Math.max(1, opts.nackDelayMs);
    this.#configured = !opts.headerAtZero;
  }

  /** Every seq below this is delivered, ready, or given up: the cumulative point for ACKs. */
  get nextSeq(): number {
    return this.#next;
  }
  /** Payload bytes held: out of order, and ready but not taken. */
  get heldBytes(): number {
    return this.#heldBytes + this.#readyBytes;
  }
  /** The fin has been taken. */
  get finished(): boolean {
    return this.#finished;
  }
  /** The deadline in force (ms), or null while unknown or reliable. */
  get deadlineMs(): number | null {
    return this.#deadlineMs;
  }

  /** The stream's deadline and FEC, once its header says them (or at once on our side). */
  configure(live: LiveOptions): void {
    this.#deadlineMs = live.deadlineMs ?? null;
    if (live.fec) {
      const layout: FecLayout = {
        k: live.fec.k,
        m: live.fec.m,
        firstSeq: this.#o.headerAtZero ? 1 : 0,
      };
      this.#fec = new FecDecoder(layout);
    }
    this.#configured = true;
    const early = this.#early;
    this.#early = [];
    if (this.#fec) {
      for (const e of early) this.#feedFec(e.seq, e.payload, e.parity, 0);
      for (const [seq, h] of [...this.#held]) this.#feedFec(seq, h.payload, h.parity, 0);
    }
    this.#advance();
  }

  setMaxBytes(bytes: number): void {
    this.#o.maxBytes = bytes;
  }
  setNackDelay(ms: number): void {
    this.#o.nackDelayMs = ms;
    this.#nackRepeat = Math.max(1, ms);
  }

  /**
   * Offers one block. Throws `ReorderError` when the peer breaks the stream's rules (data
   * past the fin, a second fin), leaving the buffer as it was.
   */
  insert(
    seq: number,
    payload: Uint8Array,
    fin: boolean,
    now: number,
    parity = false,
  ): InsertResult {
    this.#checkProtocol(seq, fin);
    if (parity && this.#unsure.size > 0) this.#recount(seq, payload);
    if (seq < this.#next || this.#held.has(seq)) return "duplicate";
    if (
      seq !== this.#next &&
      (this.#heldBytes + payload.byteLength > this.#o.maxBytes ||
        this.#held.size >= this.#o.maxBlocks)
    ) return "beyond-window";
    if (parity) this.counters.parity++;
    this.#store(seq, { payload, fin, parity }, now);
    if (fin) this.#finSeq = seq;
    this.#feedFec(seq, payload, parity, now);
    this.#advance();
    return "accepted";
  }

  /** The next datagram (or the fin) in order, or null. */
  take(): Block | null {
    if (this.#readyHead >= this.#ready.length) return null;
    const b = this.#ready[this.#readyHead++];
    if (this.#readyHead > 1024) {
      this.#ready = this.#ready.slice(this.#readyHead);
      this.#readyHead = 0;
    }
    this.#readyBytes -= b.payload.byteLength;
    if (b.fin) this.#finished = true;
    else if (!this.#configured && this.#early.length < MAX_EARLY) {
      this.#early.push({ seq: b.seq, payload: b.payload, parity: false });
    }
    return b;
  }

  /** The sender will send nothing below `seq` again: stop waiting for what is missing there. */
  skipTo(seq: number): void {
    // The open header is never given up: without it the stream means nothing.
    if (this.#o.headerAtZero && this.#next === 0) return;
    while (this.#next < seq) {
      const before = this.#next;
      const head = this.#gaps[0];
      if (head && head.start === this.#next) {
        const end = Math.min(head.end, seq);
        this.#giveUp(this.#next, end);
        head.start = end;
        if (head.start >= head.end) this.#gaps.shift();
        this.#next = end;
      } else if (this.#next > this.#highest) {
        // Nothing arrived there at all: the gap was never seen.
        this.#giveUp(this.#next, seq);
        this.#next = seq;
        this.#highest = seq - 1;
      }
      this.#advance();
      if (this.#next === before) return;
    }
  }

  /** Skips the gap at the front once it has been open longer than the deadline. */
  expire(now: number): void {
    const d = this.#deadlineMs;
    if (d === null) return;
    for (;;) {
      const head = this.#gaps[0];
      if (!head || head.start !== this.#next || head.since + d > now) return;
      if (this.#o.headerAtZero && head.start === 0) return;
      this.#giveUp(head.start, head.end);
      this.#next = head.end;
      this.#gaps.shift();
      this.#advance();
    }
  }

  /** Ranges received above `nextSeq`, ascending, at most `max`. */
  ackRanges(max: number): SeqRange[] {
    const out: SeqRange[] = [];
    const gaps = this.#gaps;
    for (let i = 0; i < gaps.length && out.length < max; i++) {
      const end = i + 1 < gaps.length ? gaps[i + 1].start : this.#highest + 1;
      if (end > gaps[i].end) out.push([gaps[i].end, end]);
    }
    return out;
  }

  /** Missing ranges due for a NACK at `now`, ascending, at most `max`. */
  overdueGaps(now: number, max: number): SeqRange[] {
    const out: SeqRange[] = [];
    for (const g of this.#gaps) {
      if (out.length >= max) break;
      if (now >= this.#nackDueAt(g)) {
        out.push([g.start, g.end]);
        g.nackedAt = now;
      }
    }
    return out;
  }

  /** The earliest time a NACK or a deadline falls due (ms), or null. */
  nextTimeout(): number | null {
    let t: number | null = null;
    for (const g of this.#gaps) {
      const due = this.#nackDueAt(g);
      if (t === null || due < t) t = due;
    }
    const head = this.#gaps[0];
    const header = this.#o.headerAtZero && this.#next === 0;
    if (this.#deadlineMs !== null && head && head.start === this.#next && !header) {
      const due = head.since + this.#deadlineMs;
      if (t === null || due < t) t = due;
    }
    return t;
  }

  /** How long the oldest open gap has been missing (ms). */
  oldestGapAgeMs(now: number): number {
    let oldest = Infinity;
    for (const g of this.#gaps) oldest = Math.min(oldest, g.since);
    return oldest === Infinity ? 0 : Math.max(0, now - oldest);
  }

  #nackDueAt(g: Gap): number {
    return g.nackedAt === null ? g.since + this.#o.nackDelayMs : g.nackedAt + this.#nackRepeat;
  }

  #checkProtocol(seq: number, fin: boolean): void {
    if (!Number.isSafeInteger(seq) || seq < 0 || seq >= Number.MAX_SAFE_INTEGER) {
      throw new ReorderError("invalid-seq", seq, -1);
    }
    const finSeq = this.#finSeq;
    if (finSeq >= 0) {
      if (seq > finSeq) throw new ReorderError("data-after-fin", seq, finSeq);
      if (fin && seq !== finSeq) throw new ReorderError("second-fin", seq, finSeq);
      if (!fin && seq === finSeq) throw new ReorderError("fin-mismatch", seq, finSeq);
    } else if (fin && (seq <= this.#highest || seq < this.#next)) {
      // A fin below what arrived or was skipped: the sender promised nothing comes there.
      const seen = seq < this.#next || this.#held.has(seq);
      throw new ReorderError(seen ? "fin-mismatch" : "data-after-fin", seq, -1);
    }
  }

  /** Files a block at `seq` (not held, not below delivery) and updates the gaps. */
  #store(seq: number, h: Held, now: number): void {
    this.#held.set(seq, h);
    this.#heldBytes += h.payload.byteLength;
    if (seq > this.#highest) {
      const from = Math.max(this.#highest + 1, this.#next);
      if (seq > from) this.#gaps.push({ start: from, end: seq, since: now, nackedAt: null });
      this.#highest = seq;
      return;
    }
    this.#fill(seq);
  }

  /** Hands a block to FEC; files what that rebuilds. */
  #feedFec(seq: number, payload: Uint8Array, parity: boolean, now: number): void {
    const fec = this.#fec;
    if (!fec) return;
    const rebuilt = parity ? fec.addParity(seq, payload) : fec.addData(seq, payload);
    for (const r of rebuilt) {
      if (r.seq < this.#next || this.#held.has(r.seq)) continue;
      this.#store(r.seq, { payload: r.payload, fin: false, parity: false }, now);
      this.counters.rebuilt++;
    }
  }

  /** Moves delivery over present blocks and over slots never worth waiting for. */
  #advance(): void {
    for (;;) {
      const seq = this.#next;
      const h = this.#held.get(seq);
      if (h) {
        this.#held.delete(seq);
        this.#heldBytes -= h.payload.byteLength;
        if (h.parity) {
          if (!this.#configured && this.#early.length < MAX_EARLY) {
            this.#early.push({ seq, payload: h.payload, parity: true });
          }
        } else {
          this.#ready.push({ seq, payload: h.payload, fin: h.fin });
          this.#readyBytes += h.payload.byteLength;
          // The open header is the stream's, not a datagram.
          if (!h.fin && !(seq === 0 && this.#o.headerAtZero)) this.counters.delivered++;
        }
        this.#next++;
        continue;
      }
      const head = this.#gaps[0];
      if (head && head.start === seq && this.#fec?.passable(seq)) {
        head.start++;
        if (head.start >= head.end) this.#gaps.shift();
        this.#next++;
        continue;
      }
      break;
    }
    this.#fec?.forgetBelow(this.#next);
  }

  /** Counts the datagrams lost by giving up the missing range [a, b). */
  #giveUp(a: number, b: number): void {
    const fec = this.#fec;
    if (b - a > EXACT_COUNT) {
      // A far jump (a hostile or long-dead peer): arithmetic, never a loop over the range.
      this.counters.skipped += fec ? dataSlotsIn(fec.layout, a, b) : b - a;
      return;
    }
    for (let s = a; s < b; s++) {
      if (fec?.passable(s)) continue;
      this.counters.skipped++;
      const slot = fec ? slotOf(fec.layout, s) : null;
      // Its group's size is not known yet: this slot may have been left unused.
      if (slot && fec!.knownCount(slot.group) === null) {
        const list = this.#unsure.get(slot.group) ?? [];
        list.push(slot.index);
        this.#unsure.set(slot.group, list);
        if (this.#unsure.size > MAX_UNSURE_GROUPS) {
          this.#unsure.delete(this.#unsure.keys().next().value!);
        }
      }
    }
  }

  /** A parity block that came after some of its group was given up: uncount unused slots. */
  #recount(seq: number, payload: Uint8Array): void {
    const fec = this.#fec;
    const slot = fec ? slotOf(fec.layout, seq) : null;
    if (!slot || slot.index < fec!.layout.k) return;
    const list = this.#unsure.get(slot.group);
    const count = payload[0];
    if (!list || !(count >= 1 && count <= fec!.layout.k)) return;
    this.#unsure.delete(slot.group);
    for (const i of list) if (i >= count) this.counters.skipped--;
  }

  /** Removes `seq` from the gap holding it. */
  #fill(seq: number): void {
    const gaps = this.#gaps;
    let lo = 0;
    let hi = gaps.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (gaps[mid].start <= seq) lo = mid;
      else hi = mid - 1;
    }
    const g = gaps[lo];
    if (!g || seq < g.start || seq >= g.end) return;
    if (g.end - g.start === 1) gaps.splice(lo, 1);
    else if (seq === g.start) g.start++;
    else if (seq === g.end - 1) g.end--;
    else {
      gaps.splice(lo + 1, 0, { start: seq + 1, end: g.end, since: g.since, nackedAt: g.nackedAt });
      g.end = seq;
    }
  }
}
