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
 * A datagram stream (`useDatagrams()`) queues whole datagrams instead of bytes: each block is
 * one datagram. A live one (with a deadline) never makes its source wait: `tick(now)` drops a
 * datagram not sent within the deadline after it was pushed, and gives up a lost block whose
 * deadline has passed instead of sending it again; `takeSkip()` then says what the receiver
 * may stop waiting for (SKIP). With FEC, each group's parity blocks follow its datagrams.
 * Pure: no clock, no I/O.
 * @module
 */
import { ByteQueue } from "./byte_queue.ts";
import type { SendStamp } from "../scheduler/link_estimator.ts";
import type { SeqRange } from "../frame/types.ts";
import { FecEncoder, type ParityBatch, slotOf } from "../fec/mod.ts";
import type { LiveOptions } from "./stream_header.ts";

/** Size of the block sent into a closed window to keep the stream moving (bytes). */
const ZERO_WINDOW_PROBE = 4096;
/** Largest datagram a datagram stream takes (a UDP payload, with room for the open header). */
export const MAX_DATAGRAM = 65_535;
/** A SKIP the receiver has not acted on goes out again after this long (ms). */
const SKIP_REPEAT_MS = 250;
/** An FEC group the source leaves unfinished this long is closed with what it has (ms)... */
const FEC_FLUSH_MS = 50;
/** ...but never later than this share of the deadline. */
const FEC_FLUSH_SHARE = 0.25;

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
  /** A block of a datagram stream (one datagram, or its FEC parity, or its FIN). */
  datagram?: boolean;
  /** An FEC parity block: never sent again (the next group has its own). */
  parity?: boolean;
  /** Never given up on a deadline: the open header, the FIN. */
  reliable?: boolean;
  /** Live: when its datagram was pushed (ms); the deadline runs from then. */
  pushedAt?: number;
  /** Its FEC group, for spreading a group over links. */
  group?: number;
}

/** What a datagram stream's sender did, for reports. */
export interface LiveSendCounters {
  /** Datagrams pushed (the open header not counted). */
  datagrams: number;
  /** Dropped before they were ever sent: the deadline passed in the queue. */
  expired: number;
  /** Dropped because the queue was over its bound. */
  overflow: number;
  /** Sent, lost with a link or NACKed, and given up: too late to send again. */
  abandoned: number;
  /** FEC parity blocks made, and their bytes. */
  parityBlocks: number;
  parityBytes: number;
}

/** A datagram waiting to be cut into a block. */
interface QueuedDatagram {
  bytes: Uint8Array;
  /** When it was pushed (ms), or null until the next `tick()`. */
  at: number | null;
  reliable: boolean;
}

/** A datagram stream's sending state. */
interface DatagramSend {
  deadlineMs: number | null;
  fec: FecEncoder | null;
  queue: QueuedDatagram[];
  head: number;
  /** Index of the first datagram not yet stamped with its push time. */
  unstamped: number;
  queuedBytes: number;
  /** Parity of a closed group, waiting for its seqs (the next ones). */
  parity: ParityBatch | null;
  parityAt: number;
  /** When the open FEC group last took a datagram (ms). */
  lastDataAt: number;
  now: number;
  /** What the receiver may skip: wanted until its cumulative passes `skipUpTo`. */
  skipWanted: boolean;
  skipUpTo: number;
  skipSentSeq: number;
  skipSentAt: number;
  /** A link that holds what was given up: it may be the dead one, so the SKIP avoids it. */
  skipAvoid: number;
  /** Groups closed early, until one of their parity blocks arrives or all are lost. */
  shortGroups: Map<number, { parityLeft: number }>;
  /** Links each recent FEC group was sent on (group -> link -> blocks). */
  groupLinks: Map<number, Map<number, number>>;
  counters: LiveSendCounters;
}

/**
 * What a settled or re-queued transmission means for its link's estimator. `unproven`: the
 * block arrived through another link first, and this copy (a hedged block's late one) may
 * still be on its way; its link counts it delivered once the link's own ACKs show it got
 * there, and lost if the link dies or stalls first.
 */
export interface LinkCredit {
  link: number;
  stamp: SendStamp;
  kind: "delivered" | "lost" | "unproven";
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
  /** A datagram stream's state; null for a byte stream. */
  #dg: DatagramSend | null = null;
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
    if (this.#ended) return 0;
    const dg = this.#dg;
    if (!dg) return Math.max(0, this.#opts.maxQueuedBytes - this.#input.length);
    // A live source never waits: the oldest datagrams give way instead (see push()).
    if (dg.deadlineMs !== null) return MAX_DATAGRAM;
    return Math.max(0, this.#opts.maxQueuedBytes - dg.queuedBytes);
  }
  /** Input bytes not yet cut into blocks. */
  get queuedBytes(): number {
    return this.#dg ? this.#dg.queuedBytes : this.#input.length;
  }

  /**
   * Makes this a datagram stream (before anything is pushed): every `push()` is one datagram,
   * one block. With `live.deadlineMs` it is live; with `live.fec` each group of k datagrams
   * is followed by m parity blocks. `headerAtZero`: block 0 is the open header, outside the
   * FEC groups.
   */
  useDatagrams(live: LiveOptions, headerAtZero: boolean): void {
    if (this.#nextSeq > 0 || this.bytesIn > 0) throw new Error("datagram mode after data");
    const fec = live.fec && live.deadlineMs !== undefined
      ? new FecEncoder({ k: live.fec.k, m: live.fec.m, firstSeq: headerAtZero ? 1 : 0 })
      : null;
    this.#dg = {
      deadlineMs: live.deadlineMs ?? null,
      fec,
      queue: [],
      head: 0,
      unstamped: 0,
      queuedBytes: 0,
      parity: null,
      parityAt: 0,
      lastDataAt: 0,
      now: 0,
      skipWanted: false,
      skipUpTo: 0,
      skipSentSeq: 0,
      skipSentAt: -SKIP_REPEAT_MS,
      skipAvoid: -1,
      shortGroups: new Map(),
      groupLinks: new Map(),
      counters: {
        datagrams: 0,
        expired: 0,
        overflow: 0,
        abandoned: 0,
        parityBlocks: 0,
        parityBytes: 0,
      },
    };
  }
  /** Blocks are datagrams. */
  get isDatagram(): boolean {
    return this.#dg !== null;
  }
  /** A datagram stream with a deadline. */
  get isLive(): boolean {
    return this.#dg !== null && this.#dg.deadlineMs !== null;
  }
  /** A live stream sends FEC parity. */
  get hasFec(): boolean {
    return !!this.#dg?.fec;
  }
  /** Parity blocks per FEC group (0 without FEC). */
  get fecParity(): number {
    return this.#dg?.fec?.layout.m ?? 0;
  }
  /** A datagram stream's figures (null on a byte stream). */
  get liveCounters(): LiveSendCounters | null {
    const dg = this.#dg;
    if (!dg) return null;
    dg.counters.parityBlocks = dg.fec?.parityBlocks ?? 0;
    dg.counters.parityBytes = dg.fec?.parityBytes ?? 0;
    return dg.counters;
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

  /**
   * Queues input; the caller respects `room()`. On a datagram stream `bytes` is one datagram
   * (`reliable`: never dropped on a deadline, as the open header), and `now`, if known, is
   * when it arrived (else the next `tick()` stamps it).
   */
  push(bytes: Uint8Array, reliable = false, now?: number): void {
    if (this.#ended) throw new Error("input pushed after its end");
    const dg = this.#dg;
    if (!dg) {
      this.#input.push(bytes);
      this.bytesIn += bytes.length;
      return;
    }
    if (bytes.length > MAX_DATAGRAM) {
      throw new RangeError(`a datagram of ${bytes.length} octets; at most ${MAX_DATAGRAM}`);
    }
    const stamped = now !== undefined && dg.unstamped === dg.queue.length;
    dg.queue.push({ bytes, at: stamped ? now : null, reliable });
    if (stamped) dg.unstamped = dg.queue.length;
    dg.queuedBytes += bytes.length;
    this.bytesIn += bytes.length;
    if (!reliable) dg.counters.datagrams++;
    // A live queue past its bound drops its oldest datagrams: they would be the first late.
    while (dg.deadlineMs !== null && dg.queuedBytes > this.#opts.maxQueuedBytes) {
      const i = dg.queue.findIndex((d, j) => j >= dg.head && !d.reliable);
      if (i < 0 || i === dg.queue.length - 1) break;
      const [gone] = dg.queue.splice(i, 1);
      if (i < dg.unstamped) dg.unstamped--;
      dg.queuedBytes -= gone.bytes.length;
      dg.counters.overflow++;
    }
  }

  /** The input has ended: a FIN block follows the last data. */
  end(): void {
    this.#ended = true;
  }

  /** Is something waiting to be sent (re-sends, input, or the FIN)? */
  hasPending(): boolean {
    const dg = this.#dg;
    if (dg) {
      if (this.#resend.length > 0 || dg.parity) return true;
      if (dg.head < dg.queue.length) {
        return this.#newBlockAllowed(dg.queue[dg.head].bytes.length);
      }
      return this.#ended && !this.#finCreated && this.#newBlockAllowed(1);
    }
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
    if (this.#dg) return this.#nextDatagram(this.#dg);
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
    if (rec.group !== undefined && this.#dg) this.#countGroupLink(this.#dg, rec.group, link);
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
    if (rec.parity) {
      rec.hedged = true; // parity is never sent twice: the next group brings its own
      return;
    }
    (rec.copies ??= []).push({ link: rec.link, stamp: rec.stamp });
    rec.lostFrom = rec.link;
    rec.link = -1;
    rec.stamp = null;
    rec.hedged = true;
    this.#enqueueResend(rec.seq);
  }

  /** The oldest block sent on `link` that is late by `now` and not yet hedged, if any. */
  firstLate(link: number, now: number): BlockRecord | null {
    const deadline = this.#dg?.deadlineMs ?? null;
    for (const seq of this.#byLink.get(link) ?? []) {
      const rec = this.#unacked.get(seq);
      if (!rec || rec.link !== link || rec.hedged || rec.dueAt === undefined) continue;
      if (
        deadline !== null && !rec.reliable && rec.pushedAt !== undefined &&
        rec.pushedAt + deadline <= now
      ) {
        rec.hedged = true; // past its deadline: a copy now would only arrive to be dropped
        continue;
      }
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
        if (!rec || rec.link < 0 || !rec.stamp || rec.parity) continue;
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

  #create(payload: Uint8Array, fin: boolean, seq = this.#nextSeq): BlockRecord {
    // A datagram stream's FEC layout may leave seqs unused: they carry no bytes.
    while (this.#nextSeq < seq) {
      this.#sizes.push(0);
      this.#nextSeq++;
    }
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
    if (rec.parity && rec.group !== undefined) this.#dg?.shortGroups.delete(rec.group);
    this.bytesAcked += rec.payload.length;
    if (rec.fin) this.#finAcked = true;
    if (rec.link >= 0 && rec.stamp) {
      this.#byLink.get(rec.link)?.delete(seq);
      credits.push({ link: rec.link, stamp: rec.stamp, kind: "delivered" });
    }
    // A redundant policy's copies all travel on healthy links: each gets its delivery. A
    // hedged block's late copy is another matter: its link has proved nothing yet, so the copy
    // stays in flight there until the link's own ACKs show it arrived (a slow link whose every
    // block was hedged would otherwise never be measured, and a silent one must still be found
    // stalled).
    for (const c of rec.copies ?? []) {
      this.#byLink.get(c.link)?.delete(seq);
      credits.push({ link: c.link, stamp: c.stamp, kind: rec.hedged ? "unproven" : "delivered" });
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
    // Parity is never sent again: its group's datagrams are what matter, and they are held.
    // Except the last of a group closed early: only parity tells the receiver which of the
    // group's slots were never used, and without it those would count as lost datagrams.
    if (rec.parity) {
      const short = this.#dg && rec.group !== undefined && this.#dg.shortGroups.get(rec.group);
      if (short && short.parityLeft === 1) {
        this.#enqueueResend(rec.seq);
        return;
      }
      if (short) short.parityLeft--;
      this.#unacked.delete(rec.seq);
      return;
    }
    this.#enqueueResend(rec.seq);
  }

  /**
   * Live housekeeping at `now`: stamps new datagrams, drops those whose deadline passed in
   * the queue, gives up lost blocks too late to send again, closes an FEC group the source
   * left unfinished. Call before `nextBlock()` and on `nextTimeout()`. Returns what the
   * blocks given up still had in flight (a hedged block's late copy), for its link.
   */
  tick(now: number): LinkCredit[] {
    const credits: LinkCredit[] = [];
    const dg = this.#dg;
    if (!dg) return credits;
    dg.now = now;
    for (; dg.unstamped < dg.queue.length; dg.unstamped++) dg.queue[dg.unstamped].at = now;
    const d = dg.deadlineMs;
    if (d === null) return credits;
    // 1. queued too long: never sent, never given a seq (the receiver sees no gap)
    let keep: QueuedDatagram | null = null;
    while (dg.head < dg.queue.length) {
      const q = dg.queue[dg.head];
      if (q.at === null || q.at + d > now) break;
      if (q.reliable) keep = q;
      else {
        dg.counters.expired++;
        dg.queuedBytes -= q.bytes.length;
      }
      dg.head++;
    }
    if (keep) dg.queue[--dg.head] = keep; // only the open header is reliable, and it is first
    if (dg.head > 1024 && dg.head * 2 > dg.queue.length) {
      dg.queue = dg.queue.slice(dg.head);
      dg.unstamped -= dg.head;
      dg.head = 0;
    }
    // 2. lost blocks waiting for a re-send that would come too late
    if (this.#resend.length > 0) {
      const still: number[] = [];
      for (const seq of this.#resend) {
        const rec = this.#unacked.get(seq);
        if (!rec) continue;
        if (!rec.reliable && rec.pushedAt !== undefined && rec.pushedAt + d <= now) {
          this.#resendSet.delete(seq);
          this.#unacked.delete(seq);
          // A late copy may still be in flight: its link gets its bytes back.
          for (const c of rec.copies ?? []) {
            this.#byLink.get(c.link)?.delete(seq);
            credits.push({ link: c.link, stamp: c.stamp, kind: "lost" });
          }
          rec.copies = undefined;
          dg.counters.abandoned++;
          this.#wantSkip(dg, seq + 1);
          if (rec.lostFrom !== undefined) dg.skipAvoid = rec.lostFrom;
        } else still.push(seq);
      }
      this.#resend = still;
    }
    // 3. the oldest block still in flight is past its deadline: it will not be sent again,
    //    so the receiver need not wait for it (PR-SCTP abandons on a timer the same way)
    const oldest = this.#unacked.values().next().value;
    if (
      oldest && !oldest.reliable && !oldest.parity && oldest.pushedAt !== undefined &&
      oldest.pushedAt + d <= now && oldest.seq >= this.#peerCum
    ) {
      this.#wantSkip(dg, oldest.seq + 1);
      if (oldest.link >= 0) dg.skipAvoid = oldest.link;
    }
    // 4. an FEC group the source stopped filling
    if (dg.fec?.open && dg.head >= dg.queue.length && !dg.parity) {
      if (this.#ended || now >= dg.lastDataAt + this.#flushMs(dg)) this.#closeGroup(dg);
    }
    return credits;
  }

  /** When `tick()` next has something to do (ms), or null. */
  nextTimeout(): number | null {
    const dg = this.#dg;
    if (!dg || dg.deadlineMs === null) return null;
    const d = dg.deadlineMs;
    let t: number | null = null;
    const at = (x: number) => {
      if (t === null || x < t) t = x;
    };
    for (let i = dg.head; i < dg.queue.length && i < dg.unstamped; i++) {
      const q = dg.queue[i];
      if (q.reliable || q.at === null) continue;
      at(q.at + d);
      break;
    }
    for (const seq of this.#resend) {
      const rec = this.#unacked.get(seq);
      if (rec && !rec.reliable && rec.pushedAt !== undefined) at(rec.pushedAt + d);
    }
    if (dg.fec?.open && dg.head >= dg.queue.length && !dg.parity) {
      at(dg.lastDataAt + this.#flushMs(dg));
    }
    const oldest = this.#unacked.values().next().value;
    if (
      oldest && !oldest.reliable && !oldest.parity && oldest.pushedAt !== undefined &&
      oldest.seq >= dg.skipUpTo && oldest.seq >= this.#peerCum
    ) {
      at(oldest.pushedAt + d);
    }
    if (dg.skipWanted && this.#peerCum < dg.skipUpTo) at(dg.skipSentAt + SKIP_REPEAT_MS);
    return t;
  }

  /**
   * The seq to send in a SKIP now, or null: once something was given up, the lowest seq this
   * side may still send (again), while the receiver's cumulative point is below it; again
   * every so often until the receiver's ACKs show it moved on.
   */
  takeSkip(now: number): number | null {
    const dg = this.#dg;
    if (!dg || !dg.skipWanted) return null;
    if (this.#peerCum >= dg.skipUpTo) {
      dg.skipWanted = false;
      return null;
    }
    const point = this.#skipPoint(dg, now);
    if (point <= dg.skipSentSeq && now < dg.skipSentAt + SKIP_REPEAT_MS) return null;
    if (point <= this.#peerCum) {
      // Something below the gap may still go: look again later (or at the next ACK).
      dg.skipSentAt = now;
      return null;
    }
    dg.skipSentSeq = point;
    dg.skipSentAt = now;
    return point;
  }

  /** A link the last SKIP's reason was stuck on (-1: none): the SKIP should go elsewhere. */
  get skipAvoid(): number {
    return this.#dg?.skipAvoid ?? -1;
  }

  /** What `nextBlock()` would give: a parity block or not, and its FEC group. */
  peekKind(): { parity: boolean; group: number | null } | null {
    const dg = this.#dg;
    if (!dg?.fec) return null;
    const head = this.peekResend();
    if (head) return { parity: false, group: head.group ?? null };
    if (dg.parity) return { parity: true, group: dg.parity.group };
    if (dg.head >= dg.queue.length || dg.queue[dg.head].reliable) return null;
    const slot = slotOf(dg.fec.layout, this.#nextSeq);
    return { parity: false, group: slot ? slot.group : null };
  }

  /** Blocks of FEC group `group` sent on each link so far. */
  groupLinks(group: number): ReadonlyMap<number, number> {
    return this.#dg?.groupLinks.get(group) ?? new Map();
  }

  /** The next block of a datagram stream: parity of a closed group, a datagram, the FIN. */
  #nextDatagram(dg: DatagramSend): BlockRecord | null {
    if (dg.parity) return this.#nextParity(dg);
    if (dg.head < dg.queue.length) {
      const q = dg.queue[dg.head];
      if (!this.#newBlockAllowed(q.bytes.length)) return null;
      dg.head++;
      if (dg.unstamped < dg.head) dg.unstamped = dg.head;
      dg.queuedBytes -= q.bytes.length;
      const rec = this.#create(q.bytes, false);
      rec.datagram = true;
      if (q.reliable) rec.reliable = true;
      if (q.at !== null) rec.pushedAt = q.at;
      if (dg.fec && !q.reliable) {
        rec.group = slotOf(dg.fec.layout, rec.seq)!.group;
        dg.lastDataAt = q.at ?? dg.now;
        const batch = dg.fec.addData(rec.seq, q.bytes);
        if (batch) {
          dg.parity = batch;
          dg.parityAt = 0;
        }
      }
      return rec;
    }
    if (!this.#ended || this.#finCreated) return null;
    // The end: close the last group first, so its parity goes before the FIN.
    if (dg.fec?.open) {
      this.#closeGroup(dg);
      return this.#nextParity(dg);
    }
    if (!this.#newBlockAllowed(1)) return null;
    const fin = this.#create(new Uint8Array(0), true);
    fin.datagram = true;
    fin.reliable = true;
    return fin;
  }

  #nextParity(dg: DatagramSend): BlockRecord | null {
    const batch = dg.parity!;
    const payload = batch.payloads[dg.parityAt];
    if (!this.#newBlockAllowed(payload.length)) return null;
    const rec = this.#create(payload, false, batch.firstSeq + dg.parityAt);
    rec.datagram = true;
    rec.parity = true;
    rec.group = batch.group;
    if (++dg.parityAt >= batch.payloads.length) dg.parity = null;
    return rec;
  }

  /**
   * Closes the open FEC group early. Its parity tells the receiver which data slots stay
   * unused (a receiver that gives them up before any of it arrives takes them back from its
   * count when it does), so the last of it is sent again if lost (see `#requeue`).
   */
  #closeGroup(dg: DatagramSend): void {
    const batch = dg.fec!.close();
    if (!batch) return;
    dg.parity = batch;
    dg.parityAt = 0;
    if (this.#nextSeq < batch.firstSeq) {
      dg.shortGroups.set(batch.group, { parityLeft: batch.payloads.length });
      // Keep the map short: a group whose parity went long ago is settled one way or another.
      for (const g of dg.shortGroups.keys()) if (g < batch.group - 64) dg.shortGroups.delete(g);
    }
  }

  #flushMs(dg: DatagramSend): number {
    return Math.min(FEC_FLUSH_MS, FEC_FLUSH_SHARE * (dg.deadlineMs ?? Infinity));
  }

  #wantSkip(dg: DatagramSend, upTo: number): void {
    dg.skipWanted = true;
    dg.skipUpTo = Math.max(dg.skipUpTo, upTo);
  }

  /** The lowest seq this side may still send or send again; `nextSeq` if none. */
  #skipPoint(dg: DatagramSend, now: number): number {
    const d = dg.deadlineMs ?? Infinity;
    for (const rec of this.#unacked.values()) {
      if (rec.parity) continue; // never sent again
      if (rec.reliable) return rec.seq;
      const expired = rec.pushedAt !== undefined && rec.pushedAt + d <= now;
      if (!expired) return rec.seq;
    }
    return this.#nextSeq;
  }

  #countGroupLink(dg: DatagramSend, group: number, link: number): void {
    let m = dg.groupLinks.get(group);
    if (!m) {
      dg.groupLinks.set(group, m = new Map());
      // Only recent groups matter: a group's blocks all leave within a few turns.
      for (const g of dg.groupLinks.keys()) if (g < group - 8) dg.groupLinks.delete(g);
    }
    m.set(link, (m.get(link) ?? 0) + 1);
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
