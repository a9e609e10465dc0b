/**
 * One stream's sending half: input becomes sequence-numbered blocks, every block is kept until
 * the peer acknowledges it, and whatever a lost, stalled or dead link held is queued to go out
 * again on another link.
 *
 * Stages, in order:
 * 1. `push()` queues input bytes (bounded by `room()`, so a fast source waits);
 * 2. `nextBlock()` gives the scheduler the next block to send: first re-sends (lowest sequence
 *    first), then a new block cut from the input to the size the chosen link wants, within
 *    the peer's flow-control window; last the FIN block;
 * 3. `sent()` records which link carries it;
 * 4. `onAck()` / `onNack()` / `linkLost()` settle or re-queue blocks.
 * Pure: no clock, no I/O.
 * @module
 */
import { ByteQueue } from "./byte_queue.ts";
import type { SendStamp } from "../scheduler/link_estimator.ts";
import type { SeqRange } from "../frame/types.ts";

/** Size of the block sent into a closed window to keep the stream moving (bytes). */
const ZERO_WINDOW_PROBE = 4096;

/** A block the sender still holds. */
export interface BlockRecord {
  seq: number;
  payload: Uint8Array;
  fin: boolean;
  /** Link of the latest transmission, or -1 while it waits to be (re-)sent. */
  link: number;
  stamp: SendStamp | null;
  /** Times sent so far. */
  sends: number;
  /** The link a previous transmission was lost on, to avoid for the re-send. */
  lostFrom?: number;
  /** Copies in flight on other links (redundant policies); the first to arrive counts. */
  copies?: { link: number; stamp: SendStamp }[];
  /** When the latest transmission counts as late on its link (ms), if the policy hedges. */
  dueAt?: number;
  /** Already sent again elsewhere because it was late: never hedged twice. */
  hedged?: boolean;
}

/** What a settled or re-queued transmission means for its link's estimator. */
export interface LinkCredit {
  link: number;
  stamp: SendStamp;
  kind: "delivered" | "lost";
}

/** Options for a sending half. */
export interface OutboundOptions {
  /** Input bytes queued before `room()` reaches zero. */
  maxQueuedBytes: number;
  /** The peer's window before its first ACK says otherwise. */
  initialWindowBytes: number;
}

/**
 * @example
 * ```ts
 * const out = new OutboundStream(0, { maxQueuedBytes: 1 << 22, initialWindowBytes: 1 << 20 });
 * out.push(new Uint8Array(100));
 * const block = out.nextBlock(65536);
 * ```
 */
export class OutboundStream {
  readonly streamId: number;
  #opts: OutboundOptions;
  #input = new ByteQueue();
  #ended = false;
  #finCreated = false;
  #nextSeq = 0;
  /** Every block not yet acknowledged. */
  #unacked = new Map<number, BlockRecord>();
  /** Sizes of blocks from the peer's cumulative point on, for flow control. */
  #sizes: number[] = [];
  #sizesBase = 0;
  #bytesAboveCum = 0;
  #peerCum = 0;
  #peerWindow: number;
  /** Blocks waiting to be sent again, ascending. */
  #resend: number[] = [];
  #resendSet = new Set<number>();
  #byLink = new Map<number, Set<number>>();
  #finAcked = false;
  /** Totals for reports. */
  bytesIn = 0;
  bytesAcked = 0;
  bytesResent = 0;
  bytesDuplicated = 0;

  constructor(streamId: number, opts: OutboundOptions) {
    this.streamId = streamId;
    this.#opts = opts;
    this.#peerWindow = opts.initialWindowBytes;
  }

  /** Input bytes this stream accepts now. */
  room(): number {
    return this.#ended ? 0 : Math.max(0, this.#opts.maxQueuedBytes - this.#input.length);
  }
  /** Input bytes not yet cut into blocks. */
  get queuedBytes(): number {
    return this.#input.length;
  }
  /** Blocks sent and not acknowledged. */
  get unackedCount(): number {
    return this.#unacked.size;
  }
  /** Payload bytes the peer has acknowledged in order. */
  get ackedInOrderBytes(): number {
    return this.bytesAcked;
  }
  /** The input has ended and every block, FIN included, is acknowledged. */
  get finished(): boolean {
    return this.#finAcked;
  }
  get inputEnded(): boolean {
    return this.#ended;
  }
  /** The next sequence number the peer is missing. */
  get peerCumulative(): number {
    return this.#peerCum;
  }

  /** Queues input; the caller respects `room()`. */
  push(bytes: Uint8Array): void {
    if (this.#ended) throw new Error("input pushed after its end");
    this.#input.push(bytes);
    this.bytesIn += bytes.length;
  }

  /** The input has ended: a FIN block follows the last data. */
  end(): void {
    this.#ended = true;
  }

  /** Is something waiting to be sent (re-sends, input, or the FIN)? */
  hasPending(): boolean {
    return this.#resend.length > 0 || this.#newBlockAllowed(1) &&
        (this.#input.length > 0 || (this.#ended && !this.#finCreated));
  }

  /** Size of the re-send at the head of the queue, if any. */
  peekResend(): BlockRecord | null {
    return this.#resend.length > 0 ? this.#unacked.get(this.#resend[0]) ?? null : null;
  }

  /**
   * The next block to transmit: the oldest re-send, else a new block of at most `maxBytes`
   * from the input (within the peer's window), else the FIN. Null when nothing may go now.
   */
  nextBlock(maxBytes: number): BlockRecord | null {
    while (this.#resend.length > 0) {
      const seq = this.#resend.shift()!;
      this.#resendSet.delete(seq);
      const rec = this.#unacked.get(seq);
      if (rec) return rec;
    }
    if (this.#input.length > 0) {
      const allowed = Math.min(maxBytes, this.#peerWindow - this.#bytesAboveCum);
      // The block at the peer's cumulative point is always accepted, so one may always go.
      // With nothing outstanding the receiver takes the next block whatever its window says
      // (a zero-window probe): small enough to hold memory near the bound, big enough not to
      // trickle the stream out a byte at a time.
      const size = this.#bytesAboveCum === 0
        ? Math.min(maxBytes, Math.max(allowed, ZERO_WINDOW_PROBE))
        : allowed;
      if (size < Math.min(1024, this.#input.length) && this.#bytesAboveCum > 0) return null;
      if (size <= 0) return null;
      return this.#create(this.#input.take(size), false);
    }
    if (this.#ended && !this.#finCreated) return this.#create(new Uint8Array(0), true);
    return null;
  }

  /** Records a transmission of `rec` on `link`. */
  sent(rec: BlockRecord, link: number, stamp: SendStamp): void {
    if (rec.sends > 0) this.bytesResent += rec.payload.length;
    rec.link = link;
    rec.stamp = stamp;
    rec.dueAt = undefined;
    rec.sends++;
    let set = this.#byLink.get(link);
    if (!set) this.#byLink.set(link, set = new Set());
    set.add(rec.seq);
  }

  /** Records a copy of `rec` sent on another link (redundant scheduling). */
  sentCopy(rec: BlockRecord, link: number, stamp: SendStamp): void {
    this.bytesDuplicated += rec.payload.length;
    (rec.copies ??= []).push({ link, stamp });
    let set = this.#byLink.get(link);
    if (!set) this.#byLink.set(link, set = new Set());
    set.add(rec.seq);
  }

  /**
   * The block is late on its link: send it again on another link while the late copy stays
   * in flight (TCP will still deliver it; whichever arrives first counts). The late link keeps
   * the bytes in its budget, so it gets no new data until it catches up.
   */
  hedge(rec: BlockRecord): void {
    if (rec.link < 0 || !rec.stamp || rec.hedged) return;
    (rec.copies ??= []).push({ link: rec.link, stamp: rec.stamp });
    rec.lostFrom = rec.link;
    rec.link = -1;
    rec.stamp = null;
    rec.hedged = true;
    this.#enqueueResend(rec.seq);
  }

  /** The oldest block sent on `link` that is late by `now` and not yet hedged, if any. */
  firstLate(link: number, now: number): BlockRecord | null {
    for (const seq of this.#byLink.get(link) ?? []) {
      const rec = this.#unacked.get(seq);
      if (!rec || rec.link !== link || rec.hedged || rec.dueAt === undefined) continue;
      return rec.dueAt <= now ? rec : null;
    }
    return null;
  }

  /** When the oldest unhedged block on `link` becomes late (ms), or null. */
  nextDue(link: number): number | null {
    for (const seq of this.#byLink.get(link) ?? []) {
      const rec = this.#unacked.get(seq);
      if (!rec || rec.link !== link || rec.hedged || rec.dueAt === undefined) continue;
      return rec.dueAt;
    }
    return null;
  }

  /**
   * Applies an acknowledgement; returns the transmissions it settles so that their links'
   * estimators learn the delivery.
   */
  onAck(cumulative: number, ranges: readonly SeqRange[], windowBytes: number): LinkCredit[] {
    const credits: LinkCredit[] = [];
    if (cumulative > this.#nextSeq) cumulative = this.#nextSeq; // never trust beyond what exists
    if (cumulative >= this.#peerCum) {
      for (let s = this.#peerCum; s < cumulative; s++) this.#settle(s, credits);
      while (this.#sizesBase < cumulative) {
        this.#bytesAboveCum -= this.#sizes[this.#sizesBase - this.#sizesBaseOffset()] ?? 0;
        this.#sizesBase++;
      }
      this.#compactSizes();
      this.#peerCum = cumulative;
      this.#peerWindow = windowBytes;
    }
    for (const [start, end] of ranges) {
      for (let s = Math.max(start, this.#peerCum); s < Math.min(end, this.#nextSeq); s++) {
        this.#settle(s, credits);
      }
    }
    return credits;
  }

  /**
   * The peer reports these blocks missing. Each one still held goes out again unless it was
   * sent less than `minAgeMs(link)` ago (the copy in flight may still arrive).
   */
  onNack(
    ranges: readonly SeqRange[],
    now: number,
    minAgeMs: (link: number) => number,
  ): LinkCredit[] {
    const credits: LinkCredit[] = [];
    for (const [start, end] of ranges) {
      for (let s = Math.max(start, this.#peerCum); s < Math.min(end, this.#nextSeq); s++) {
        const rec = this.#unacked.get(s);
        if (!rec || rec.link < 0 || !rec.stamp) continue;
        if (now - rec.stamp.sentAt < minAgeMs(rec.link)) continue;
        this.#requeue(rec, credits);
      }
    }
    return credits;
  }

  /**
   * The peer closed normally, which it does only once it has received the whole stream: once
   * the FIN exists, every block still held counts as delivered (an ACK lost with a link is
   * not waited for). Before the FIN it changes nothing.
   */
  peerHasAll(): void {
    if (!this.#finCreated) return;
    for (const rec of this.#unacked.values()) {
      this.bytesAcked += rec.payload.length;
      if (rec.fin) this.#finAcked = true;
    }
    this.#unacked.clear();
    this.#resend = [];
    this.#resendSet.clear();
    this.#byLink.clear();
  }

  /** A link died or stalled: everything it holds goes out again elsewhere. */
  linkLost(link: number): LinkCredit[] {
    const credits: LinkCredit[] = [];
    const set = this.#byLink.get(link);
    if (!set) return credits;
    for (const seq of [...set]) {
      const rec = this.#unacked.get(seq);
      if (!rec) continue;
      // Copies on this link are gone (a hedged block may have its late copy AND its re-send
      // on the same link, when no other link could take the re-send).
      for (let i = (rec.copies?.length ?? 0) - 1; i >= 0; i--) {
        const c = rec.copies![i];
        if (c.link !== link) continue;
        credits.push({ link, stamp: c.stamp, kind: "lost" });
        rec.copies!.splice(i, 1);
      }
      if (rec.link !== link) continue; // it still travels on another link, or waits to go
      if (rec.copies && rec.copies.length > 0) {
        if (rec.stamp) credits.push({ link, stamp: rec.stamp, kind: "lost" });
        const next = rec.copies.shift()!;
        rec.link = next.link;
        rec.stamp = next.stamp;
      } else {
        this.#requeue(rec, credits);
      }
    }
    set.clear();
    return credits;
  }

  #create(payload: Uint8Array, fin: boolean): BlockRecord {
    const rec: BlockRecord = {
      seq: this.#nextSeq++,
      payload,
      fin,
      link: -1,
      stamp: null,
      sends: 0,
    };
    if (fin) this.#finCreated = true;
    this.#unacked.set(rec.seq, rec);
    this.#sizes.push(payload.length);
    this.#bytesAboveCum += payload.length;
    return rec;
  }

  #settle(seq: number, credits: LinkCredit[]): void {
    const rec = this.#unacked.get(seq);
    if (!rec) return;
    this.#unacked.delete(seq);
    this.bytesAcked += rec.payload.length;
    if (rec.fin) this.#finAcked = true;
    if (rec.link >= 0 && rec.stamp) {
      this.#byLink.get(rec.link)?.delete(seq);
      credits.push({ link: rec.link, stamp: rec.stamp, kind: "delivered" });
    }
    // A redundant policy's copies all travel on healthy links: each gets its delivery. A
    // hedged block's late copy is another matter: its link proved nothing, so it only gives
    // the bytes back (a silent link must still be found stalled).
    for (const c of rec.copies ?? []) {
      this.#byLink.get(c.link)?.delete(seq);
      credits.push({ link: c.link, stamp: c.stamp, kind: rec.hedged ? "lost" : "delivered" });
    }
    rec.copies = undefined;
  }

  #requeue(rec: BlockRecord, credits: LinkCredit[]): void {
    if (rec.link >= 0 && rec.stamp) {
      this.#byLink.get(rec.link)?.delete(rec.seq);
      credits.push({ link: rec.link, stamp: rec.stamp, kind: "lost" });
      rec.lostFrom = rec.link;
    }
    for (const c of rec.copies ?? []) {
      this.#byLink.get(c.link)?.delete(rec.seq);
      credits.push({ link: c.link, stamp: c.stamp, kind: "lost" });
    }
    rec.copies = undefined;
    rec.link = -1;
    rec.stamp = null;
    this.#enqueueResend(rec.seq);
  }

  #enqueueResend(seq: number): void {
    if (this.#resendSet.has(seq)) return;
    this.#resendSet.add(seq);
    // Keep ascending order: the oldest gap holds up the receiver's output.
    let i = this.#resend.length;
    while (i > 0 && this.#resend[i - 1] > seq) i--;
    this.#resend.splice(i, 0, seq);
  }

  #newBlockAllowed(min: number): boolean {
    return this.#bytesAboveCum === 0 || this.#peerWindow - this.#bytesAboveCum >= min;
  }

  // #sizes holds sizes from #sizesStart; compaction keeps it short.
  #sizesStart = 0;
  #sizesBaseOffset(): number {
    return this.#sizesStart;
  }
  #compactSizes(): void {
    const drop = this.#sizesBase - this.#sizesStart;
    if (drop > 4096) {
      this.#sizes = this.#sizes.slice(drop);
      this.#sizesStart = this.#sizesBase;
    }
  }
}
