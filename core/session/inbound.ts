/**
 * One stream's receiving half: blocks from every link go through the reorder buffer, leave in
 * order for the output, and are acknowledged on the link they came by; gaps that stay open
 * past their expected arrival are re-requested.
 *
 * Stages, in order:
 * 1. `onData()` files a block and notes, per link, what the next ACK must echo;
 * 2. `takeOutput()` hands in-order bytes to the output, whose pace sets the window that the
 *    ACKs advertise (a slow output pushes back on the sender instead of growing memory);
 * 3. `ackDue()` / `makeAck()` and `overdueGaps()` say what control frames to send.
 * A datagram stream orders its blocks with `LiveOrder` instead: each block is one datagram,
 * handed out whole, and a live one may skip a gap (`tick()` for its deadline, `onSkip()` for
 * the sender's SKIP) instead of waiting for it.
 * Pure: time arrives as `now` (ms).
 * @module
 */
import { ReorderBuffer } from "../reorder/mod.ts";
import type { SeqRange } from "../frame/types.ts";
import { MAX_ACK_RANGES, MAX_BLOCK_PAYLOAD } from "../frame/constants.ts";
import { LiveOrder, type LiveReceiveCounters } from "./live_order.ts";
import type { LiveOptions } from "./stream_header.ts";

/** Per-link acknowledgement state. */
interface LinkAckState {
  /** Blocks and bytes received since this link's last ACK. */
  blocks: number;
  bytes: number;
  /** When the oldest of them arrived. */
  firstAt: number;
  /**
   * sendTs of the block to echo and when it arrived: of the blocks since the last ACK, the one
   * that waited least on the way (smallest arrival - sendTs). Blocks sent in a burst queue
   * behind each other; echoing the newest measured the burst, and the sender's minimum RTT
   * kept that queue until it was probed again.
   */
  echoTs: number;
  echoAt: number;
  echoRel: number;
  /** Smoothed (arrival - sendTs) in ms: its spread across links is the reordering to expect. */
  relDelay: number | null;
  /** Smallest (arrival - sendTs) seen, creeping up slowly so a route change is forgotten. */
  minRel: number;
  minRelAt: number;
}

/** Bytes the block at the cumulative point may take beyond the bound: one largest block. */
const IN_ORDER_SLACK = MAX_BLOCK_PAYLOAD;
/**
 * Out-of-order blocks held at most: empty or tiny blocks cost no bytes but each opens a gap
 * that every timer turn scans, so a peer must not make millions of them.
 */
const MAX_HELD_BLOCKS = 16_384;

/** The sender's µs clock wraps at 2^32 µs; relative delays are taken modulo this (ms). */
const WRAP_MS = 2 ** 32 / 1000;

/** Options for a receiving half. */
export interface InboundOptions {
  /** Memory bound: out-of-order bytes plus bytes waiting for the output. */
  maxBufferBytes: number;
  /** The buffer period (ms): how long out-of-order data may be held. */
  bufferMs: number;
  /** Acknowledge a link after this many blocks... */
  ackEveryBlocks: number;
  /** ...or this many ms after the first unacknowledged one. */
  ackDelayMs: number;
  /**
   * A datagram stream: blocks are datagrams. `headerAtZero`: block 0 is the stream's open
   * header (the peer opened it), and the deadline and FEC come with it (`configureLive()`);
   * otherwise `live` gives them at once.
   */
  datagrams?: { headerAtZero: boolean; live?: LiveOptions };
}

/** The body of an ACK, link-independent part plus the echo for one link. */
export interface AckContent {
  cumulative: number;
  ranges: SeqRange[];
  windowBytes: number;
  echoTs: number;
  ackDelayUs: number;
}

/**
 * @example
 * ```ts
 * const inb = new InboundStream(0, opts);
 * inb.onData(1, 0, payload, false, sendTs, now);
 * const chunk = inb.takeOutput();
 * ```
 */
export class InboundStream {
  readonly streamId: number;
  #opts: InboundOptions;
  #reorder: ReorderBuffer | LiveOrder;
  /** The same object as `#reorder` on a datagram stream, else null. */
  #live: LiveOrder | null = null;
  #output: Uint8Array[] = [];
  #outputHead = 0;
  #outputBytes = 0;
  #finReleased = false;
  #links = new Map<number, LinkAckState>();
  #lastAdvertised = 0;
  #windowUpdateDue = false;
  /** Totals for reports. */
  bytesReceived = 0;
  bytesDuplicate = 0;
  bytesOut = 0;
  /** The newest block's delay beyond the fastest path (ms): the adaptive buffer's sample. */
  lastExtraDelayMs = 0;

  constructor(streamId: number, opts: InboundOptions) {
    this.streamId = streamId;
    this.#opts = opts;
    if (opts.datagrams) {
      this.#reorder = this.#live = new LiveOrder({
        maxBytes: opts.maxBufferBytes,
        nackDelayMs: Math.min(100, opts.bufferMs / 2),
        maxBlocks: MAX_HELD_BLOCKS,
        headerAtZero: opts.datagrams.headerAtZero,
      });
      if (opts.datagrams.live) this.#live.configure(opts.datagrams.live);
    } else {
      this.#reorder = new ReorderBuffer({
        maxBytes: opts.maxBufferBytes,
        nackDelayMs: Math.min(100, opts.bufferMs / 2),
        maxBlocks: MAX_HELD_BLOCKS,
      });
    }
    this.#lastAdvertised = opts.maxBufferBytes;
  }

  /** Every block up to the FIN has been handed to the output. */
  get finished(): boolean {
    return this.#finReleased && this.#outputBytes === 0;
  }
  /** The FIN has been released in order (output may still be draining). */
  get finReleased(): boolean {
    return this.#finReleased;
  }
  /** Bytes held: out of order plus waiting for the output. */
  get heldBytes(): number {
    return this.#reorder.heldBytes + this.#outputBytes;
  }
  /** The window advertised to the sender: room for bytes above the cumulative point. */
  get windowBytes(): number {
    return Math.max(0, this.#opts.maxBufferBytes - this.#outputBytes);
  }
  /** Next sequence number expected. */
  get cumulative(): number {
    return this.#reorder.nextSeq;
  }
  /** Age of the oldest open gap (ms). */
  oldestGapAgeMs(now: number): number {
    return this.#reorder.oldestGapAgeMs(now);
  }

  /** Blocks are datagrams (each handed out whole, in its own chunk). */
  get isDatagram(): boolean {
    return this.#live !== null;
  }
  /** A datagram stream's figures (null on a byte stream). */
  get liveCounters(): LiveReceiveCounters | null {
    return this.#live?.counters ?? null;
  }
  /** The deadline and FEC of a datagram stream, from its header. */
  configureLive(live: LiveOptions): void {
    this.#live?.configure(live);
    this.#drainReorder();
  }
  /** SKIP: the sender sends nothing below `seq` again. Returns whether delivery moved. */
  onSkip(seq: number): boolean {
    const live = this.#live;
    if (!live) return false;
    const before = live.nextSeq;
    live.skipTo(seq);
    this.#drainReorder();
    return live.nextSeq !== before;
  }
  /** A live stream gives up gaps older than its deadline. Returns whether delivery moved. */
  tick(now: number): boolean {
    const live = this.#live;
    if (!live) return false;
    const before = live.nextSeq;
    live.expire(now);
    this.#drainReorder();
    return live.nextSeq !== before;
  }

  /**
   * Files one DATA block that arrived on `link`. Returns false for a duplicate or a block the
   * buffer cannot hold now (the sender will send it again).
   */
  onData(
    link: number,
    seq: number,
    payload: Uint8Array,
    fin: boolean,
    sendTs: number,
    now: number,
    datagram = false,
    parity = false,
  ): boolean {
    // A block's kind is the stream's: a datagram in a byte stream (or the reverse) is a peer
    // that breaks the protocol.
    if (datagram !== (this.#live !== null)) {
      throw new Error(
        `stream ${this.streamId}: a ${datagram ? "datagram" : "byte"} block in a ` +
          `${this.#live ? "datagram" : "byte"} stream`,
      );
    }
    const st = this.#linkState(link, now);
    if (st.blocks === 0) st.firstAt = now;
    st.blocks++;
    st.bytes += payload.length;
    // Arrival minus send time: the clocks' offset plus this block's delay. Modulo the wrap
    // of the sender's µs clock, so that the wrap does not look like a jump.
    const rel = (((now - sendTs / 1000) % WRAP_MS) + WRAP_MS) % WRAP_MS;
    if (st.blocks === 1 || rel < st.echoRel) {
      st.echoTs = sendTs;
      st.echoAt = now;
      st.echoRel = rel;
    }
    st.relDelay = st.relDelay === null || Math.abs(rel - st.relDelay) > 60_000
      ? rel
      : 0.9 * st.relDelay + 0.1 * rel;
    const creep = (now - st.minRelAt) / 1000; // 1 ms per second
    if (rel <= st.minRel + creep) {
      st.minRel = rel;
      st.minRelAt = now;
    }
    let base = Infinity;
    for (const other of this.#links.values()) base = Math.min(base, other.minRel);
    this.lastExtraDelayMs = rel - base;
    // One bound for everything held: out-of-order blocks get the room the output leaves, and
    // the block at the cumulative point (always taken, so a stream cannot deadlock) only while
    // the total stays within a block of the bound: a peer that ignores the window, or a
    // zero-window probe every RTT into an output that is stuck, cannot grow memory.
    const max = this.#opts.maxBufferBytes;
    if (
      seq === this.#reorder.nextSeq &&
      this.heldBytes + payload.length > max + IN_ORDER_SLACK
    ) {
      return false;
    }
    this.#reorder.setMaxBytes(Math.max(0, max - this.#outputBytes));
    const verdict = this.#live
      ? this.#live.insert(seq, payload, fin, now, parity)
      : this.#reorder.insert(seq, payload, fin, now);
    if (verdict !== "accepted") {
      if (verdict === "duplicate") this.bytesDuplicate += payload.length;
      return false;
    }
    this.bytesReceived += payload.length;
    this.#drainReorder();
    return true;
  }

  /** The next in-order chunk for the output, or null. */
  takeOutput(): Uint8Array | null {
    if (this.#outputHead >= this.#output.length) return null;
    const chunk = this.#output[this.#outputHead];
    this.#output[this.#outputHead++] = EMPTY;
    if (this.#outputHead > 1024) {
      this.#output = this.#output.slice(this.#outputHead);
      this.#outputHead = 0;
    }
    this.#outputBytes -= chunk.length;
    this.bytesOut += chunk.length;
    // A window that opened up after being small must be told, or the sender waits forever.
    const w = this.windowBytes;
    if (
      this.#lastAdvertised < this.#opts.maxBufferBytes / 2 && w >= this.#opts.maxBufferBytes / 2
    ) {
      this.#windowUpdateDue = true;
    }
    this.#drainReorder();
    return chunk;
  }

  /** Should `link` get an ACK now? */
  ackDue(link: number, now: number): boolean {
    const st = this.#links.get(link);
    if (!st || st.blocks === 0) return false;
    return st.blocks >= this.#opts.ackEveryBlocks || now >= st.firstAt + this.#opts.ackDelayMs;
  }

  /** A window update must go out on some link. */
  get windowUpdateDue(): boolean {
    return this.#windowUpdateDue;
  }

  /** Links with received data, for choosing where ACKs go. */
  linksWithPendingAcks(): number[] {
    const out: number[] = [];
    for (const [link, st] of this.#links) if (st.blocks > 0) out.push(link);
    return out;
  }

  /** The ACK content for `link` (echo of its newest block); resets its counters. */
  makeAck(link: number, now: number): AckContent {
    const st = this.#links.get(link);
    const ack: AckContent = {
      cumulative: this.#reorder.nextSeq,
      ranges: this.#reorder.ackRanges(MAX_ACK_RANGES) as SeqRange[],
      windowBytes: Math.min(0xffffffff, this.windowBytes),
      echoTs: st ? st.echoTs : 0,
      ackDelayUs: st && st.echoAt ? Math.min(0xffffffff, Math.round((now - st.echoAt) * 1000)) : 0,
    };
    if (st) {
      st.blocks = 0;
      st.bytes = 0;
    }
    this.#lastAdvertised = ack.windowBytes;
    this.#windowUpdateDue = false;
    return ack;
  }

  /** Missing ranges overdue for a re-request. */
  overdueGaps(now: number): SeqRange[] {
    this.#reorder.setNackDelay(this.#nackDelayMs());
    return this.#reorder.overdueGaps(now, MAX_ACK_RANGES) as SeqRange[];
  }

  /** When something here needs attention without new input (ms), or null. */
  nextTimeout(): number | null {
    let t = this.#reorder.nextTimeout();
    for (const st of this.#links.values()) {
      if (st.blocks > 0) {
        const due = st.firstAt + this.#opts.ackDelayMs;
        if (t === null || due < t) t = due;
      }
    }
    return t;
  }

  /** The buffer period changed (adaptive buffer): NACK timing follows it. */
  setBufferMs(ms: number): void {
    this.#opts.bufferMs = ms;
  }

  /** A link is gone: forget its echo state. */
  dropLink(link: number): void {
    this.#links.delete(link);
  }

  #linkState(link: number, now: number): LinkAckState {
    let st = this.#links.get(link);
    if (!st) {
      st = {
        blocks: 0,
        bytes: 0,
        firstAt: now,
        echoTs: 0,
        echoAt: 0,
        echoRel: 0,
        relDelay: null,
        minRel: Infinity,
        minRelAt: now,
      };
      this.#links.set(link, st);
    }
    return st;
  }

  /** How long a gap may stay open: the links' delay spread with a margin, within bounds. */
  #nackDelayMs(): number {
    let lo = Infinity;
    let hi = -Infinity;
    for (const st of this.#links.values()) {
      if (st.relDelay === null) continue;
      lo = Math.min(lo, st.relDelay);
      hi = Math.max(hi, st.relDelay);
    }
    const spread = Number.isFinite(lo) ? hi - lo : 0;
    return Math.min(this.#opts.bufferMs / 2, Math.max(50, 1.5 * spread + 50));
  }

  #drainReorder(): void {
    for (;;) {
      const b = this.#reorder.take();
      if (!b) return;
      // A datagram is delivered even when empty; a fin carries none.
      if (b.payload.length > 0 || (this.#live && !b.fin)) {
        this.#output.push(b.payload);
        this.#outputBytes += b.payload.length;
      }
      if (b.fin) this.#finReleased = true;
    }
  }
}

const EMPTY = new Uint8Array(0);
