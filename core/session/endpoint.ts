/**
 * One side of a bonded session, as a pure state machine: the links, the session's streams
 * (stream 0, open from the start, and any number that either side opens: each with its own
 * ordering and flow control, so a gap or a slow reader in one never holds up another), the
 * scheduler, timers and the closing handshake. The same code runs on the sender and on the
 * server, on real links and under simulation.
 *
 * The driver's loop, in order:
 * 1. `addLink()` / `removeLink()` / `setBlocked()` as connections open, break and fill up;
 * 2. `receive()` every frame that arrives on a link;
 * 3. `push()` input while `inputRoom() > 0`, `endInput()` at its end;
 * 4. `pollTransmit()` until null, writing each frame to its link;
 * 5. `takeOutput()` until null, writing each chunk to the output, then `outputDone()` once
 *    the stream's end has been written;
 * 6. `pollEvent()` until null (stalls, silent links, streams opened, reset or closed,
 *    completion, failure);
 * 7. sleep until `nextTimeout()` or new I/O, then `handleTimeout(now)`.
 * Other streams follow the same steps with their id: `openStream()`, `streamRoom()` /
 * `streamPush()` / `endStream()`, `takeStreamOutput()` / `streamOutputDone()`, `resetStream()`.
 * A "datagrams" stream carries one datagram per block and hands each out whole; a live one
 * (with a deadline) drops what would be late instead of waiting for it, tells the peer with
 * SKIP what it gave up, and may add FEC parity (see outbound.ts, live_order.ts, core/fec/).
 * Nothing here reads a clock or touches a socket.
 * @module
 */
import type { CloseCode as CloseCodeT, Frame, LinkCaps } from "../frame/types.ts";
import { CloseCode, StreamCode, streamCodeText } from "../frame/types.ts";
import { LinkEstimator, type SendStamp } from "../scheduler/link_estimator.ts";
import { arrivalMs, canTake } from "../scheduler/policy.ts";
import type {
  LinkState,
  LinkView,
  LossReason,
  Policy,
  PolicyContext,
} from "../scheduler/policy.ts";
import {
  type BlockRecord,
  type LinkCredit,
  type LiveSendCounters,
  OutboundStream,
} from "./outbound.ts";
import { InboundStream } from "./inbound.ts";
import type { LiveReceiveCounters } from "./live_order.ts";
import { AdaptiveBuffer } from "../reorder/adaptive_buffer.ts";
import { pacedInputRoom } from "./input_pacing.ts";
import {
  decodeStreamHeader,
  encodeStreamHeader,
  type LiveOptions,
  liveOptionsProblem,
  StreamHeaderError,
  type StreamKind,
} from "./stream_header.ts";
import { type SessionSide, StreamIds } from "./stream_ids.ts";

/** Tunables of an endpoint. */
export interface EndpointOptions {
  oui: number;
  policy: Policy;
  /** This side's buffer period for what it receives: where it starts and its ceiling (ms). */
  bufferMs: number;
  /** Floor of the adaptive buffer period (ms); defaults to a tenth of `bufferMs`. */
  bufferMinMs?: number;
  /** Keep the buffer period fixed at `bufferMs`. */
  bufferFixed?: boolean;
  /** The peer's buffer period, the deadline for what this side sends (ms); learnt live. */
  peerBufferMs?: number;
  /** Receiver's memory bound (bytes). */
  maxBufferBytes: number;
  /** Input bytes queued before the source is made to wait. */
  maxQueuedBytes: number;
  /** Idle links send a PING this often (ms). */
  pingIntervalMs: number;
  /** A link from which nothing arrives this long is reported silent (ms). */
  silenceMs: number;
  /** With no link at all for this long the session fails (ms). */
  linkTimeoutMs: number;
  /** After sending CLOSE, wait at most this long for the peer's (ms). */
  lingerMs: number;
  /** Which side this is: the client opens odd stream ids, the server even ones. */
  side?: SessionSide;
  /** Streams (besides stream 0) open at once; the peer's next one is refused. */
  maxStreams?: number;
  /** Each stream's receive buffer and send queue, besides stream 0's (bytes). */
  streamBufferBytes?: number;
}

/** Sensible defaults for real links. */
export const DEFAULT_ENDPOINT_OPTIONS: Omit<EndpointOptions, "oui" | "policy"> = {
  bufferMs: 3000,
  maxBufferBytes: 32 * 1024 * 1024,
  maxQueuedBytes: 4 * 1024 * 1024,
  pingIntervalMs: 1000,
  silenceMs: 10_000,
  linkTimeoutMs: 30_000,
  lingerMs: 2000,
  maxStreams: 128,
  streamBufferBytes: 1024 * 1024,
};

/** Something the driver must act on or report. */
export type EndpointEvent =
  | { type: "link-stalled"; index: number }
  | { type: "link-resumed"; index: number }
  | { type: "link-silent"; index: number }
  | { type: "link-error"; index: number; message: string }
  /** The peer opened stream `id`: give it an output and an input, or reset it. */
  | { type: "stream-opened"; id: number; kind: StreamKind; label: string }
  /** Stream `id` was reset (by the peer, or here because of a bad header or a limit). */
  | { type: "stream-reset"; id: number; code: number; byPeer: boolean; reason: string }
  /** Stream `id` ended in order both ways; its output was closed. */
  | { type: "stream-closed"; id: number }
  | { type: "complete" }
  | { type: "failed"; code: number; reason: string; byPeer: boolean };

/** A frame to write on a link. */
export interface Transmit {
  index: number;
  frame: Frame;
}

interface Link extends LinkView {
  est: LinkEstimator;
  control: Frame[];
  lastRecvAt: number;
  lastSendAt: number;
  rxBytes: number;
  txBytes: number;
  dataBytes: number;
  /**
   * Hedged late copies of blocks that arrived through other links: still in flight here until
   * this link's own ACKs show they arrived (see `#prove`), or the link dies or stalls.
   */
  unproven: SendStamp[];
}

/** Per-stream figures for reports (streams besides stream 0). */
export interface StreamStats {
  id: number;
  kind: StreamKind;
  label: string;
  /** Bytes this side queued on the stream. */
  bytesIn: number;
  /** Bytes of the peer's handed to this side's output. */
  bytesOut: number;
  heldBytes: number;
  queuedBytes: number;
  /** A datagram stream's deadline and FEC, and what each half did. */
  live?: LiveStreamStats;
}

/** What a datagram stream did on this side: its sending half and its receiving half. */
export interface LiveStreamStats {
  deadlineMs: number | null;
  fec: { k: number; m: number } | null;
  sent: LiveSendCounters;
  received: LiveReceiveCounters;
}

/** A session's datagram streams, summed (open ones and those already over). */
export interface LiveTotals {
  streams: number;
  sent: LiveSendCounters;
  received: LiveReceiveCounters;
}

/** Byte counts summed over a session's streams. */
export interface StreamTotals {
  /** Payload received from the peer (first copies). */
  bytesReceived: number;
  /** Handed to this side's outputs. */
  bytesOut: number;
  /** Received twice. */
  bytesDuplicate: number;
  /** Held now: out of order, or waiting for an output. */
  heldBytes: number;
  /** Sent and acknowledged by the peer. */
  bytesAcked: number;
  /** Sent again. */
  bytesResent: number;
}

function addTotals(t: StreamTotals, st: { in: InboundStream; out: OutboundStream }): void {
  t.bytesReceived += st.in.bytesReceived;
  t.bytesOut += st.in.bytesOut;
  t.bytesDuplicate += st.in.bytesDuplicate;
  t.heldBytes += st.in.heldBytes;
  t.bytesAcked += st.out.bytesAcked;
  t.bytesResent += st.out.bytesResent;
}

/** Per-link figures for reports. */
export interface LinkStats {
  index: number;
  name: string;
  state: LinkState;
  dataBytes: number;
  txBytes: number;
  rxBytes: number;
  rateBps: number;
  srttMs: number;
  inFlightBytes: number;
}

/** One stream of the session: its two halves and how it was opened. */
interface Stream {
  id: number;
  out: OutboundStream;
  in: InboundStream;
  kind: StreamKind;
  label: string;
  /** A peer's stream: header bytes gathered so far; null once the header was read. */
  header: Uint8Array | null;
  /** Bytes that came after the header in the same chunk, for the output first. */
  early: Uint8Array | null;
  /** The driver closed this stream's output. */
  outputDone: boolean;
  /** A datagram stream's deadline and FEC (as this side sends), once known. */
  live: LiveOptions | null;
}

/** A reset this side sent, repeated until the peer confirms it. */
interface PendingReset {
  code: number;
  sentAt: number;
  tries: number;
}

/** The session's own stream, open from the start on both sides. */
const MAIN = 0;
/** A reset goes out again this often until confirmed (ms)... */
const RESET_REPEAT_MS = 1000;
/** ...at most this many times. */
const RESET_TRIES = 30;
/** An ACK that settles everything: for data of a stream that is already over. */
const ALL_DONE = 0xffff_ffff;
/** How often the adaptive buffer period is re-evaluated (ms). */
const BUFFER_CHECK_MS = 1000;
/** How old a block must be before a NACK re-sends it, while its link has no RTT yet (ms). */
const NO_RTT_NACK_AGE_MS = 1000;

/**
 * @example
 * ```ts
 * const ep = new BondEndpoint({ ...DEFAULT_ENDPOINT_OPTIONS, oui, policy }, now);
 * ep.addLink(1, caps, now);
 * ep.push(bytes); ep.endInput();
 * for (let t; (t = ep.pollTransmit(now)); ) write(t.index, t.frame);
 * ```
 */
export class BondEndpoint {
  #o: EndpointOptions;
  #links = new Map<number, Link>();
  /** Links that ever existed, kept for the final report. */
  #history = new Map<number, Link>();
  #streams = new Map<number, Stream>();
  /** The streams in scheduling order (round robin). */
  #order: Stream[] = [];
  #streamRr = 0;
  #ids: StreamIds;
  #resets = new Map<number, PendingReset>();
  #bytesPushed = 0;
  /** What streams that left the session had counted. */
  #endedTotals: StreamTotals = {
    bytesReceived: 0,
    bytesOut: 0,
    bytesDuplicate: 0,
    heldBytes: 0,
    bytesAcked: 0,
    bytesResent: 0,
  };
  #events: EndpointEvent[] = [];
  #outputDone = false;
  #closeSentAt: number | null = null;
  #peerClosed = false;
  #state: "open" | "complete" | "failed" = "open";
  #noLinkSince: number | null;
  /** When anything last arrived from the peer (or a link opened). */
  #lastHeardAt: number;
  #rr = 0;
  #copies: Transmit[] = [];
  #adaptive: AdaptiveBuffer;
  #peerBufferMs: number;
  #nextBufferCheck = 0;
  #meter = { at: 0, bytes: 0, rateBps: 0 };
  /** Deadline and FEC of the datagram streams this side opens (`setDatagramOptions()`). */
  #liveDefaults: LiveOptions = {};
  /** Live figures of datagram streams that are over. */
  #liveDone: LiveTotals = emptyLiveTotals();
  /** When live housekeeping last ran (it runs once per instant). */
  #liveTickAt = -Infinity;

  constructor(opts: EndpointOptions, now: number) {
    this.#o = opts;
    this.#ids = new StreamIds(opts.side ?? "client");
    this.#noLinkSince = now;
    this.#lastHeardAt = now;
    this.#adaptive = new AdaptiveBuffer({
      maxMs: opts.bufferMs,
      minMs: opts.bufferMinMs ?? Math.max(100, opts.bufferMs / 10),
      fixed: opts.bufferFixed ?? false,
    }, now);
    this.#peerBufferMs = opts.peerBufferMs ?? opts.bufferMs;
    this.#addStream(MAIN, "bytes", "", opts.maxQueuedBytes, opts.maxBufferBytes, null);
  }

  get state(): "open" | "complete" | "failed" {
    return this.#state;
  }
  /** Stream 0's sending half (for counters). */
  get outbound(): OutboundStream {
    return this.#main.out;
  }
  /** Stream 0's receiving half (for counters). */
  get inbound(): InboundStream {
    return this.#main.in;
  }
  get #main(): Stream {
    return this.#streams.get(MAIN)!;
  }
  /** Byte counts over every stream of the session, stream 0 and those that have ended included. */
  get totals(): StreamTotals {
    const t = { ...this.#endedTotals };
    for (const st of this.#order) addTotals(t, st);
    return t;
  }
  /** Streams open now besides stream 0, with their figures. */
  streamStats(): StreamStats[] {
    return this.#order.filter((s) => s.id !== MAIN).map((s) => {
      const stats: StreamStats = {
        id: s.id,
        kind: s.kind,
        label: s.label,
        bytesIn: s.out.bytesIn,
        bytesOut: s.in.bytesOut,
        heldBytes: s.in.heldBytes,
        queuedBytes: s.out.queuedBytes,
      };
      const live = liveStatsOf(s);
      if (live) stats.live = live;
      return stats;
    });
  }
  /** Every datagram stream of the session so far, summed. */
  liveTotals(): LiveTotals {
    const t = emptyLiveTotals();
    addLive(t, this.#liveDone);
    for (const s of this.#order) {
      const live = liveStatsOf(s);
      if (live) addLive(t, { streams: 1, sent: live.sent, received: live.received });
    }
    return t;
  }
  /** Indices of the links that are connected now. */
  get linkIndices(): number[] {
    return [...this.#links.keys()];
  }
  /** This side's buffer period in force (ms): adaptive unless fixed. */
  get bufferMs(): number {
    return this.#adaptive.currentMs;
  }
  /** The peer's buffer period, the deadline for what this side sends (ms). */
  get peerBufferMs(): number {
    return this.#peerBufferMs;
  }

  /** A link's tunnel is open and authenticated. Replaces an older link of the same index. */
  addLink(index: number, caps: LinkCaps, now: number): void {
    if (this.#links.has(index)) this.removeLink(index, now);
    const link: Link = {
      index,
      caps,
      state: "up",
      blocked: false,
      est: new LinkEstimator(now, { nominalRateBps: caps.rateBps }),
      control: [],
      lastRecvAt: now,
      lastSendAt: now,
      rxBytes: 0,
      txBytes: 0,
      unproven: [],
      dataBytes: this.#history.get(index)?.dataBytes ?? 0,
    };
    this.#links.set(index, link);
    this.#history.set(index, link);
    this.#noLinkSince = null;
    this.#lastHeardAt = now;
    // A closing handshake in progress must reach the peer on the new link too.
    if (this.#closeSentAt !== null) link.control.push(this.#closeFrame(index));
  }

  /** A link's connection is gone: whatever it held goes out again on the others. */
  removeLink(index: number, now: number): void {
    const link = this.#links.get(index);
    if (!link) return;
    this.#links.delete(index);
    link.state = "down";
    for (const st of this.#order) this.#applyCredits(st.out.linkLost(index), now, "down");
    this.#dropUnproven(link, now, "down");
    link.est.resetInFlight(now);
    for (const st of this.#order) st.in.dropLink(index);
    if (this.#links.size === 0) this.#noLinkSince = now;
  }

  /** The link's socket is full (true) or has drained (false). */
  setBlocked(index: number, blocked: boolean): void {
    const link = this.#links.get(index);
    if (link) link.blocked = blocked;
  }

  /** Input bytes the endpoint accepts now (stream 0). */
  inputRoom(): number {
    if (this.#state !== "open") return 0;
    // Paced (core/session/input_pacing.ts): a source faster than the links waits at its end
    // instead of queueing here, where every byte would be delivery delay.
    const out = this.#main.out;
    const paced = pacedInputRoom(this.#links.values(), out.queuedBytes, this.#peerBufferMs);
    return Math.min(out.room(), paced);
  }
  /** Queues input bytes (at most `inputRoom()`). */
  push(bytes: Uint8Array): void {
    this.streamPush(MAIN, bytes);
  }
  /** The input has ended. */
  endInput(): void {
    this.endStream(MAIN);
  }

  /** The next in-order chunk for the output, or null. */
  takeOutput(): Uint8Array | null {
    return this.#main.in.takeOutput();
  }
  /** True once every byte of the peer's stream has been taken and the end reached. */
  get outputComplete(): boolean {
    return this.#main.in.finished;
  }

  /**
   * Opens a stream to the peer and returns its id. `label` tells the peer what it is for (a
   * destination); it travels as the stream's first bytes, so it is delivered like data. A
   * "datagrams" stream takes `live` (deadline, FEC; default: `setDatagramOptions()`), which
   * travels in the same header.
   */
  openStream(kind: StreamKind, label: string, live?: LiveOptions): number {
    if (this.#state !== "open") throw new Error("the session is over");
    const opts = kind === "datagrams" ? live ?? this.#liveDefaults : null;
    if (kind === "bytes" && live) throw new Error("a byte stream has no deadline or FEC");
    const problem = opts && liveOptionsProblem(opts);
    if (problem) throw new RangeError(problem);
    const header = encodeStreamHeader({ kind, label, ...opts });
    const id = this.#ids.allocate();
    const size = this.#streamBytes();
    const st = this.#addStream(id, kind, label, size, size, null, opts ? "opener" : null);
    if (opts) {
      st.live = opts;
      st.out.useDatagrams(opts, true);
      // The peer's replies are live with the same deadline; FEC goes one way only.
      st.in.configureLive({ deadlineMs: opts.deadlineMs });
    }
    st.out.push(header, true);
    return id;
  }
  /** Deadline and FEC for the datagram streams `openStream()` opens from now on. */
  setDatagramOptions(live: LiveOptions): void {
    const problem = liveOptionsProblem(live);
    if (problem) throw new RangeError(problem);
    this.#liveDefaults = { ...live };
  }
  /** Is stream `id` open here? */
  hasStream(id: number): boolean {
    return this.#streams.has(id);
  }
  /** Input bytes stream `id` accepts now (0 once it is over). */
  streamRoom(id: number): number {
    const st = this.#streams.get(id);
    return st && this.#state === "open" ? st.out.room() : 0;
  }
  /**
   * Queues bytes on stream `id` (at most `streamRoom(id)`); on a datagram stream, one
   * datagram. `now`, if given, is when it arrived (a live deadline runs from then; else from
   * the next `pollTransmit()`).
   */
  streamPush(id: number, bytes: Uint8Array, now?: number): void {
    const st = this.#streams.get(id);
    if (!st || st.out.inputEnded) return;
    st.out.push(bytes, false, now);
    this.#bytesPushed += bytes.length;
  }
  /** This side sends no more on stream `id` (a half-close: the peer's side may go on). */
  endStream(id: number): void {
    const st = this.#streams.get(id);
    if (st && !st.out.inputEnded) st.out.end();
  }
  /** The next in-order chunk of stream `id` for its output, or null. */
  takeStreamOutput(id: number): Uint8Array | null {
    const st = this.#streams.get(id);
    if (!st || st.header !== null) return null;
    if (st.early) {
      const first = st.early;
      st.early = null;
      return first;
    }
    return st.in.takeOutput();
  }
  /** Every byte the peer sent on stream `id` has been taken, and its end reached. */
  streamOutputComplete(id: number): boolean {
    const st = this.#streams.get(id);
    return !!st && st.header === null && st.early === null && st.in.finished;
  }
  /** The driver has written and closed stream `id`'s output. */
  streamOutputDone(id: number, now: number): void {
    if (id === MAIN) return this.outputDone(now);
    const st = this.#streams.get(id);
    if (!st) return;
    st.outputDone = true;
    this.#checkStream(st);
    this.#checkComplete(now);
  }
  /**
   * Abandons stream `id` both ways (its destination refused or broke): the peer is told and
   * drops it too. Stream 0 cannot be reset: the session's `fail()` ends it.
   */
  resetStream(id: number, code: number, now: number): void {
    const st = this.#streams.get(id);
    if (!st || id === MAIN) return;
    this.#dropStream(st);
    this.#sendReset(id, code, now);
    this.#checkComplete(now);
  }
  /** The driver has written and closed the output after `outputComplete`. */
  outputDone(now: number): void {
    this.#outputDone = true;
    this.#main.outputDone = true;
    this.#checkComplete(now);
  }
  /** The output cannot be written: the session fails and the peer is told why. */
  outputFailed(reason: string, now: number): void {
    this.fail(CloseCode.OUTPUT_FAILED, reason, now);
  }

  /** Ends the session now, telling the peer why (signals, fatal errors). */
  fail(code: CloseCodeT, reason: string, now: number): void {
    if (this.#state !== "open") return;
    for (const link of this.#links.values()) {
      link.control.push({ type: "CLOSE", vpn: this.#vpn(link.index), code, reason });
    }
    this.#closeSentAt = now;
    this.#state = "failed";
    this.#events.push({ type: "failed", code, reason, byPeer: false });
  }

  /** Handles one frame that arrived on link `index`. */
  receive(index: number, frame: Frame, now: number, wireBytes = 0): void {
    const link = this.#links.get(index);
    if (!link) return;
    link.lastRecvAt = now;
    this.#lastHeardAt = now;
    link.rxBytes += wireBytes;
    if (link.state === "stalled") {
      link.state = "up";
      this.#events.push({ type: "link-resumed", index });
    }
    switch (frame.type) {
      case "DATA": {
        const st = this.#streamForData(link, frame.streamId, frame.sendTs, now, !!frame.datagram);
        if (!st) return;
        try {
          st.in.onData(
            index,
            frame.seq,
            frame.payload,
            frame.fin,
            frame.sendTs,
            now,
            !!frame.datagram,
            !!frame.parity,
          );
          this.#adaptive.observe(st.in.lastExtraDelayMs, now);
        } catch (e) {
          // The peer broke the stream's rules (data after its end...): the session is over.
          this.fail(CloseCode.PROTOCOL_ERROR, (e as Error).message, now);
          return;
        }
        if (st.header !== null) this.#readHeader(st, now);
        if (st.in.ackDue(index, now)) this.#queueAck(link, st, now);
        this.#checkStream(st);
        return;
      }
      case "ACK": {
        this.#rttSample(link, frame.echoTs, frame.ackDelayUs, now);
        this.#prove(link, frame.echoTs, now);
        link.est.onProgress(now);
        const st = this.#streamForControl(index, frame.type, frame.streamId);
        if (!st) return;
        const credits = st.out.onAck(frame.cumulative, frame.ranges, frame.windowBytes);
        this.#applyCredits(st.out.isLive ? this.#liveCredits(credits) : credits, now);
        this.#checkStream(st);
        this.#checkComplete(now);
        return;
      }
      case "NACK": {
        const st = this.#streamForControl(index, frame.type, frame.streamId);
        if (!st) return;
        const credits = st.out.onNack(frame.ranges, now, (l) => {
          // A copy sent less than an RTT ago may still arrive. Before the link's first RTT
          // sample, assume a slow link: re-sending early doubles its load and, credited to the
          // copy, makes it look stalled.
          const e = this.#links.get(l)?.est;
          if (!e) return 0;
          return e.srttMs > 0 ? Math.max(1.25 * e.srttMs, 10) : NO_RTT_NACK_AGE_MS;
        });
        this.#applyCredits(credits, now);
        return;
      }
      case "PING":
        link.control.push({ type: "PONG", vpn: this.#vpn(index), echoTs: frame.ts });
        return;
      case "PONG":
        this.#rttSample(link, frame.echoTs, 0, now);
        this.#prove(link, frame.echoTs, now);
        link.est.onProgress(now);
        return;
      case "LINK_REPORT":
        return;
      case "BUFFER":
        this.#peerBufferMs = frame.bufferMs;
        return;
      case "STREAM_CLOSE":
        this.#onStreamClose(link, frame.streamId, frame.reset, frame.code, now);
        return;
      case "SKIP": {
        const st = this.#streamForControl(index, frame.type, frame.streamId);
        if (!st) return;
        if (!st.in.isDatagram) {
          this.#linkError(index, `SKIP for stream ${frame.streamId}, which is a byte stream`);
          return;
        }
        // Answered every time (SKIPs are few): whether delivery moved now or had already moved
        // (the ACK that said so lost with a link), the sender stops repeating its SKIP.
        st.in.onSkip(frame.seq);
        this.#queueAck(link, st, now);
        if (st.header !== null) this.#readHeader(st, now);
        this.#checkStream(st);
        return;
      }
      case "CLOSE":
        if (frame.code === CloseCode.NORMAL) {
          // The peer closes normally only once it holds our whole stream, and every other
          // stream it knows is over on its side: whatever ACK for our last blocks was lost
          // with a link (or delayed past the peer's own end), they arrived. A stream of ours
          // it never acknowledged may not have reached it yet (its CLOSE can cross our open).
          this.#peerClosed = true;
          for (const st of [...this.#order]) {
            const known = st.id === MAIN || !this.#ids.isLocal(st.id) || st.out.peerCumulative > 0;
            if (!known) continue;
            st.out.peerHasAll();
            this.#checkStream(st);
          }
          this.#checkComplete(now);
        } else if (this.#state === "open") {
          this.#state = "failed";
          this.#events.push({
            type: "failed",
            code: frame.code,
            reason: frame.reason,
            byPeer: true,
          });
        }
        return;
      default:
        this.#events.push({
          type: "link-error",
          index,
          message: `unexpected ${frame.type} frame during the session`,
        });
    }
  }

  /** The next frame to write, or null when nothing may go now. */
  pollTransmit(now: number): Transmit | null {
    // 0. Live streams drop what is late and say what they gave up (once per instant).
    if (now !== this.#liveTickAt && this.#state === "open") this.#tickLive(now);
    // 1. Control frames first: they are small and everything else waits on them.
    const links = [...this.#links.values()];
    for (let i = 0; i < links.length; i++) {
      const link = links[(this.#rr + i) % links.length];
      if (!link.blocked && link.control.length > 0) {
        this.#rr = (this.#rr + i + 1) % Math.max(1, links.length);
        link.lastSendAt = now;
        return { index: link.index, frame: link.control.shift()! };
      }
    }
    if (this.#state !== "open") return null;
    // 2. Copies a redundant policy asked for go right behind their original.
    const copy = this.#copies.shift();
    if (copy) return copy;
    // 3. Data: re-sends, then new blocks, then the FIN, on the link the policy picks.
    const st = this.#nextStreamToSend();
    if (!st) return null;
    const out = st.out;
    const resend = out.peekResend();
    const ctx = this.#policyContext(now);
    const req = {
      retransmit: resend !== null,
      bytes: resend ? resend.payload.length : out.queuedBytes,
      avoid: resend?.lostFrom,
    };
    const spread = out.hasFec ? this.#spreadGroup(out, links, req) : null;
    const choice = (spread && this.#o.policy.choose(spread, req, ctx)) ??
      this.#o.policy.choose(links, req, ctx);
    if (!choice) return null;
    const link = this.#links.get(choice.index);
    if (!link) return null;
    const block = out.nextBlock(choice.maxBytes);
    if (!block) return null;
    const retransmit = block.sends > 0;
    // Predict before the send changes the link's queue: when would this block be late?
    const due = this.#o.policy.hedgeLate
      ? now + lateAfterMs(link, block.payload.length)
      : undefined;
    // An empty FIN counts as one byte in flight, so that a link holding only it can still be
    // found stalled (and the FIN sent again elsewhere).
    const inFlight = Math.max(1, block.payload.length);
    out.sent(block, link.index, link.est.onSend(inFlight, now));
    block.dueAt = due;
    for (const index of choice.copies ?? []) {
      const other = this.#links.get(index);
      if (!other || other === link || other.state !== "up" || other.blocked) continue;
      out.sentCopy(block, index, other.est.onSend(inFlight, now));
      this.#copies.push(this.#dataTransmit(other, st.id, block, retransmit, now));
    }
    return this.#dataTransmit(link, st.id, block, retransmit, now);
  }

  /**
   * The stream whose block goes next: any re-send first (a gap holds up its reader), then the
   * streams with new data in turn, so that one busy stream cannot starve the others.
   */
  #nextStreamToSend(): Stream | null {
    const order = this.#order;
    if (order.length === 1) return order[0].out.hasPending() ? order[0] : null;
    for (const st of order) if (st.out.peekResend()) return st;
    for (let i = 0; i < order.length; i++) {
      const st = order[(this.#streamRr + i) % order.length];
      if (st.out.hasPending()) {
        this.#streamRr = (this.#streamRr + i + 1) % order.length;
        return st;
      }
    }
    return null;
  }

  #dataTransmit(
    link: Link,
    streamId: number,
    block: BlockRecord,
    retransmit: boolean,
    now: number,
  ): Transmit {
    link.lastSendAt = now;
    link.dataBytes += block.payload.length;
    return {
      index: link.index,
      frame: {
        type: "DATA",
        vpn: this.#vpn(link.index),
        streamId,
        seq: block.seq,
        sendTs: usClock(now),
        fin: block.fin,
        retransmit,
        // Set only on datagram streams, so that a byte stream's frames stay as they were.
        ...(block.datagram ? { datagram: true } : {}),
        ...(block.parity ? { parity: true } : {}),
        payload: block.payload,
      },
    };
  }

  /**
   * Live housekeeping for every datagram stream: the sending half drops what is late and
   * names what it gave up (a SKIP), the receiving half skips gaps older than the deadline.
   */
  #tickLive(now: number): void {
    this.#liveTickAt = now;
    for (const st of this.#order) {
      if (!st.out.isDatagram && !st.in.isDatagram) continue;
      this.#applyCredits(st.out.tick(now), now);
      const skip = st.out.takeSkip(now);
      if (skip !== null) {
        // On the two quickest links, not where the given-up block was stuck: a SKIP lost on
        // the link that just died would leave the receiver waiting for its own deadline.
        const avoid = st.out.skipAvoid;
        const ranked = [...this.#links.values()]
          .filter((l) => l.state === "up" && !l.blocked && l.index !== avoid)
          .sort((a, b) => (a.est.srttMs || Infinity) - (b.est.srttMs || Infinity));
        const to = ranked.length > 0 ? ranked.slice(0, 2) : [this.#fastestLink()];
        for (const l of to) {
          l?.control.push({ type: "SKIP", vpn: this.#vpn(l.index), streamId: st.id, seq: skip });
        }
      }
      if (st.in.tick(now)) {
        const link = this.#fastestLink();
        if (link) this.#queueAck(link, st, now);
        this.#checkStream(st);
      }
    }
  }

  /**
   * The links an FEC stream's next block may take: a parity block goes where its group has
   * been least, a datagram where its group has fewer than m blocks, so that one link lost
   * costs a group no more than its parity can rebuild. Null: no restriction (nothing fits).
   */
  #spreadGroup(
    out: OutboundStream,
    links: Link[],
    req: { retransmit: boolean; bytes: number },
  ): Link[] | null {
    const next = out.peekKind();
    if (!next || next.group === null) return null;
    const counts = out.groupLinks(next.group);
    const ready = links.filter((l) => canTake(l, req));
    if (ready.length < 2) return null;
    const n = (l: Link) => counts.get(l.index) ?? 0;
    let pool: Link[];
    if (next.parity) {
      const least = Math.min(...ready.map(n));
      pool = ready.filter((l) => n(l) === least);
    } else {
      pool = ready.filter((l) => n(l) < out.fecParity);
    }
    return pool.length > 0 && pool.length < links.length ? pool : null;
  }

  /**
   * A live stream's ACK may settle blocks its receiver rebuilt or skipped rather than received.
   * Only a link from which something arrived after the block left gets the delivery; for the
   * others it only frees the bytes, so that a link that went silent is still found stalled.
   */
  #liveCredits(
    credits: ReturnType<OutboundStream["onAck"]>,
  ): ReturnType<OutboundStream["onAck"]> {
    return credits.map((c) => {
      if (c.kind !== "delivered") return c;
      const link = this.#links.get(c.link);
      return link && link.lastRecvAt > c.stamp.sentAt ? c : { ...c, kind: "lost" as const };
    });
  }

  /** What policies see of the session now; also advances the input-rate meter. */
  #policyContext(now: number): PolicyContext {
    const m = this.#meter;
    if (now - m.at >= 250) {
      const sample = ((this.#bytesPushed - m.bytes) * 8 * 1000) / (now - m.at);
      m.rateBps = m.rateBps === 0 ? sample : 0.5 * m.rateBps + 0.5 * sample;
      m.at = now;
      m.bytes = this.#bytesPushed;
    }
    let queued = 0;
    for (const st of this.#order) queued += st.out.queuedBytes;
    return {
      now,
      bufferMs: this.#peerBufferMs,
      inputRateBps: m.rateBps,
      queuedBytes: queued,
    };
  }

  /** Records bytes written to a link's socket (for reports). */
  wrote(index: number, bytes: number): void {
    const link = this.#links.get(index);
    if (link) link.txBytes += bytes;
  }

  /** The next event for the driver, or null. */
  pollEvent(): EndpointEvent | null {
    return this.#events.shift() ?? null;
  }

  /** The earliest time at which `handleTimeout` has work (ms), or null. */
  nextTimeout(): number | null {
    let t: number | null = null;
    const at = (x: number | null) => {
      if (x !== null && (t === null || x < t)) t = x;
    };
    if (this.#state === "open") {
      let windowUpdate = false;
      for (const st of this.#order) {
        at(st.in.nextTimeout());
        at(st.out.nextTimeout());
        windowUpdate ||= st.in.windowUpdateDue;
      }
      for (const r of this.#resets.values()) at(r.sentAt + RESET_REPEAT_MS);
      for (const l of this.#links.values()) {
        if (l.state === "up") at(l.est.stallDeadline());
        if (this.#o.policy.hedgeLate) {
          for (const st of this.#order) at(st.out.nextDue(l.index));
        }
        // A PING is due only where one can go: a full link would keep this deadline in the
        // past and spin the driver's timer.
        if (l.control.length === 0 && !l.blocked) at(l.lastSendAt + this.#o.pingIntervalMs);
        at(l.lastRecvAt + this.#o.silenceMs);
      }
      at((this.#noLinkSince ?? this.#lastHeardAt) + this.#o.linkTimeoutMs);
      if (this.#links.size > 0) at(this.#nextBufferCheck);
      if (this.#closeSentAt !== null) at(this.#closeSentAt + this.#o.lingerMs);
      // Due at once, but only where it can go: with no link it waits for one (no spin).
      if (windowUpdate && this.#links.size > 0) at(0);
    }
    return t;
  }

  /** Does whatever time has made due: ACKs, NACKs, PINGs, stalls, silence, give-up. */
  handleTimeout(now: number): void {
    if (this.#state !== "open") return;
    this.#tickLive(now);
    for (const st of this.#order) {
      for (const link of this.#links.values()) {
        if (st.in.ackDue(link.index, now)) this.#queueAck(link, st, now);
      }
      if (st.in.windowUpdateDue) {
        const best = this.#fastestLink();
        if (best) this.#queueAck(best, st, now);
      }
    }
    for (const [id, r] of this.#resets) {
      if (now < r.sentAt + RESET_REPEAT_MS) continue;
      if (r.tries >= RESET_TRIES) this.#resets.delete(id);
      else this.#sendReset(id, r.code, now);
    }
    if (now >= this.#nextBufferCheck) {
      this.#nextBufferCheck = now + BUFFER_CHECK_MS;
      if (this.#adaptive.update(now)) {
        // The sender schedules against our period: tell it on the quickest link.
        for (const st of this.#order) st.in.setBufferMs(this.#adaptive.currentMs);
        const best = this.#fastestLink();
        if (best) {
          best.control.push({
            type: "BUFFER",
            vpn: this.#vpn(best.index),
            bufferMs: this.#adaptive.currentMs,
          });
        }
      }
    }
    for (const st of this.#order) {
      const gaps = st.in.overdueGaps(now);
      if (gaps.length === 0) continue;
      const best = this.#fastestLink();
      if (best) {
        best.control.push({
          type: "NACK",
          vpn: this.#vpn(best.index),
          streamId: st.id,
          ranges: gaps,
        });
      }
    }
    if (this.#o.policy.hedgeLate) {
      for (const st of this.#order) {
        for (const link of this.#links.values()) {
          for (
            let rec = st.out.firstLate(link.index, now);
            rec;
            rec = st.out.firstLate(link.index, now)
          ) {
            st.out.hedge(rec);
          }
        }
      }
    }
    for (const link of [...this.#links.values()]) {
      if (link.state === "up" && link.est.isStalled(now)) {
        // Acknowledgements stopped: what this link holds goes out again elsewhere.
        link.state = "stalled";
        for (const st of this.#order) {
          this.#applyCredits(st.out.linkLost(link.index), now, "stall");
        }
        // Its unproven copies are given up too: if they arrive, they prove nothing any more.
        this.#dropUnproven(link, now, "stall");
        this.#events.push({ type: "link-stalled", index: link.index });
      }
      if (now >= link.lastRecvAt + this.#o.silenceMs) {
        this.#events.push({ type: "link-silent", index: link.index });
        this.removeLink(link.index, now);
        continue;
      }
      if (now >= link.lastSendAt + this.#o.pingIntervalMs && link.control.length === 0) {
        link.control.push({ type: "PING", vpn: this.#vpn(link.index), ts: usClock(now) });
      }
    }
    const quietSince = this.#noLinkSince ?? this.#lastHeardAt;
    if (now >= quietSince + this.#o.linkTimeoutMs) {
      // No link, or links that carry nothing from the peer: either way the peer is gone.
      const secs = Math.round(this.#o.linkTimeoutMs / 1000);
      this.#state = "failed";
      this.#events.push({
        type: "failed",
        code: CloseCode.INCOMPLETE,
        reason: this.#noLinkSince !== null
          ? `no link has been up for ${secs} s`
          : `nothing heard from the peer for ${secs} s`,
        byPeer: false,
      });
      return;
    }
    this.#checkComplete(now);
  }

  /** Per-link figures, every link that ever joined. */
  linkStats(): LinkStats[] {
    return [...this.#history.values()].map((l) => ({
      index: l.index,
      name: l.caps.name,
      state: this.#links.get(l.index) === l ? l.state : "down",
      dataBytes: l.dataBytes,
      txBytes: l.txBytes,
      rxBytes: l.rxBytes,
      rateBps: l.est.rateBps,
      srttMs: l.est.srttMs,
      inFlightBytes: l.est.inFlightBytes,
    }));
  }

  #checkComplete(now: number): void {
    if (this.#state !== "open") return;
    // Every other stream must be over too: the session ends when nothing is left in it.
    const main = this.#main;
    const localDone = main.out.finished && main.in.finished && this.#outputDone &&
      this.#streams.size === 1;
    if (!localDone) return;
    if (this.#closeSentAt === null) {
      for (const link of this.#links.values()) link.control.push(this.#closeFrame(link.index));
      this.#closeSentAt = now;
    }
    if (this.#peerClosed || now >= this.#closeSentAt + this.#o.lingerMs) {
      this.#state = "complete";
      this.#events.push({ type: "complete" });
    }
  }

  #closeFrame(index: number): Frame {
    return { type: "CLOSE", vpn: this.#vpn(index), code: CloseCode.NORMAL, reason: "complete" };
  }

  #queueAck(link: Link, st: Stream, now: number): void {
    const ack = st.in.makeAck(link.index, now);
    link.control.push({ type: "ACK", vpn: this.#vpn(link.index), streamId: st.id, ...ack });
  }

  /** Each stream's receive buffer and send queue (bytes), besides stream 0's. */
  #streamBytes(): number {
    return this.#o.streamBufferBytes ?? DEFAULT_ENDPOINT_OPTIONS.streamBufferBytes!;
  }

  #addStream(
    id: number,
    kind: StreamKind,
    label: string,
    queueBytes: number,
    bufferBytes: number,
    header: Uint8Array | null,
    datagrams: "opener" | "acceptor" | null = null,
  ): Stream {
    const st: Stream = {
      id,
      kind,
      label,
      header,
      early: null,
      outputDone: false,
      live: null,
      out: new OutboundStream(id, {
        maxQueuedBytes: queueBytes,
        initialWindowBytes: Math.min(bufferBytes, 4 * 1024 * 1024),
      }),
      in: new InboundStream(id, {
        maxBufferBytes: bufferBytes,
        bufferMs: this.#adaptive.currentMs,
        ackEveryBlocks: 2,
        ackDelayMs: 5,
        // The opener's replies start at seq 0; a peer's stream starts with its open header.
        ...(datagrams ? { datagrams: { headerAtZero: datagrams === "acceptor" } } : {}),
      }),
    };
    this.#streams.set(id, st);
    this.#order.push(st);
    return st;
  }

  /** Forgets a stream (both halves), for good. */
  #dropStream(st: Stream): void {
    addTotals(this.#endedTotals, st);
    this.#endedTotals.heldBytes = 0;
    const live = liveStatsOf(st);
    if (live) addLive(this.#liveDone, { streams: 1, sent: live.sent, received: live.received });
    this.#streams.delete(st.id);
    this.#order = this.#order.filter((s) => s !== st);
    this.#streamRr = 0;
    if (!this.#ids.isLocal(st.id)) this.#ids.closed(st.id);
    // Its blocks in flight no longer count against their links.
    for (const link of this.#links.values()) {
      for (const c of st.out.linkLost(link.index)) {
        const l = this.#links.get(c.link);
        if (l) l.est.onLost(c.stamp);
      }
    }
  }

  /** A stream that is over both ways, with its output closed, leaves the session. */
  #checkStream(st: Stream): void {
    if (st.id === MAIN || !st.outputDone || !st.out.finished || !st.in.finished) return;
    this.#dropStream(st);
    this.#events.push({ type: "stream-closed", id: st.id });
  }

  /**
   * The stream a DATA frame belongs to: a peer's new stream opens here, within the limit. Data
   * for a stream that is over gets an ACK that settles everything (the ACK of its last blocks
   * may have been lost with a link) and goes no further.
   */
  #streamForData(
    link: Link,
    id: number,
    sendTs: number,
    now: number,
    datagram: boolean,
  ): Stream | null {
    const known = this.#streams.get(id);
    if (known) return known;
    const closedAck = () => {
      link.control.push({
        type: "ACK",
        vpn: this.#vpn(link.index),
        streamId: id,
        cumulative: ALL_DONE,
        ranges: [],
        windowBytes: 0,
        echoTs: sendTs,
        ackDelayUs: 0,
      });
    };
    if (this.#ids.isLocal(id)) {
      if (this.#ids.wasAllocated(id)) closedAck();
      else this.#linkError(link.index, `DATA for stream ${id}, which was never opened`);
      return null;
    }
    switch (this.#ids.classifyPeer(id)) {
      case "closed":
        closedAck();
        return null;
      case "invalid":
        this.#linkError(link.index, `DATA for stream ${id}, which the peer may not open`);
        return null;
      case "new":
        break;
    }
    if (this.#state !== "open") return null;
    if (this.#ids.openCount >= (this.#o.maxStreams ?? DEFAULT_ENDPOINT_OPTIONS.maxStreams!)) {
      this.#ids.opened(id);
      this.#ids.closed(id);
      this.#sendReset(id, StreamCode.LIMIT, now);
      this.#events.push({
        type: "stream-reset",
        id,
        code: StreamCode.LIMIT,
        byPeer: false,
        reason: `the peer opened more than ${this.#o.maxStreams} streams at once`,
      });
      return null;
    }
    this.#ids.opened(id);
    const size = this.#streamBytes();
    // Our CLOSE went out before the peer's stream arrived (a quicker link carried the end of
    // stream 0): the session is not over after all, and its linger starts again once it is.
    this.#closeSentAt = null;
    // A datagram stream is known by its first block's flag, so that its blocks are ordered
    // as datagrams from the start; its header then says the deadline and FEC.
    return datagram
      ? this.#addStream(id, "datagrams", "", size, size, new Uint8Array(0), "acceptor")
      : this.#addStream(id, "bytes", "", size, size, new Uint8Array(0));
  }

  /** The stream an ACK or NACK is about; null (ignored) when it is over or never existed. */
  #streamForControl(index: number, type: string, id: number): Stream | null {
    const st = this.#streams.get(id);
    if (st) return st;
    const valid = this.#ids.isLocal(id)
      ? this.#ids.wasAllocated(id)
      : this.#ids.classifyPeer(id) === "closed";
    if (!valid) this.#linkError(index, `${type} for stream ${id}, which does not exist`);
    return null;
  }

  /** Gathers a peer stream's header from its first bytes; announces the stream once read. */
  #readHeader(st: Stream, now: number): void {
    for (let c = st.in.takeOutput(); c; c = st.in.takeOutput()) {
      const all = new Uint8Array(st.header!.length + c.length);
      all.set(st.header!);
      all.set(c, st.header!.length);
      let got;
      try {
        got = decodeStreamHeader(all);
      } catch (e) {
        const reason = e instanceof StreamHeaderError ? e.message : String(e);
        this.#refuseStream(st, StreamCode.BAD_HEADER, reason, now);
        return;
      }
      if (!got) {
        st.header = all;
        continue;
      }
      const datagrams = got.header.kind === "datagrams";
      const mismatch = datagrams !== st.in.isDatagram
        ? `the header says ${got.header.kind} but the blocks are ${
          st.in.isDatagram ? "datagrams" : "bytes"
        }`
        : datagrams && got.rest.length > 0
        ? "a datagram stream's header shares its block with data"
        : null;
      if (mismatch) {
        this.#refuseStream(st, StreamCode.BAD_HEADER, mismatch, now);
        return;
      }
      st.header = null;
      st.kind = got.header.kind;
      st.label = got.header.label;
      st.early = got.rest.length > 0 ? got.rest : null;
      if (datagrams) {
        const { deadlineMs, fec } = got.header;
        st.live = { deadlineMs, fec };
        st.in.configureLive({ deadlineMs, fec });
        // The replies go back live with the same deadline (no FEC that way).
        st.out.useDatagrams({ deadlineMs }, false);
      }
      this.#events.push({ type: "stream-opened", id: st.id, kind: st.kind, label: st.label });
      return;
    }
    // The header may be complete with nothing after it only when its end arrives; a stream
    // that ends inside its header is reset.
    if (st.in.finished && st.header !== null) {
      this.#refuseStream(st, StreamCode.BAD_HEADER, "the stream ended inside its header", now);
    }
  }

  /** Drops a peer's stream this side cannot take, tells the peer why, and reports it. */
  #refuseStream(st: Stream, code: number, reason: string, now: number): void {
    this.#dropStream(st);
    this.#sendReset(st.id, code, now);
    this.#events.push({ type: "stream-reset", id: st.id, code, byPeer: false, reason });
  }

  /** STREAM_CLOSE: a reset from the peer (answered with a confirmation), or the confirmation of ours. */
  #onStreamClose(link: Link, id: number, reset: boolean, code: number, now: number): void {
    if (id === MAIN) {
      this.#linkError(link.index, "STREAM_CLOSE for stream 0, which only CLOSE can end");
      return;
    }
    if (!reset) {
      this.#resets.delete(id);
      return;
    }
    const st = this.#streams.get(id);
    if (st) {
      this.#dropStream(st);
      this.#events.push({
        type: "stream-reset",
        id,
        code,
        byPeer: true,
        reason: streamCodeText(code),
      });
      this.#checkComplete(now);
    } else if (!this.#ids.isLocal(id) && this.#ids.classifyPeer(id) === "new") {
      // Reset before its first data arrived: the id is used up all the same.
      this.#ids.opened(id);
      this.#ids.closed(id);
    }
    link.control.push({
      type: "STREAM_CLOSE",
      vpn: this.#vpn(link.index),
      streamId: id,
      reset: false,
      code,
    });
  }

  /** Sends (again) a reset of stream `id` on the quickest link, until the peer confirms. */
  #sendReset(id: number, code: number, now: number): void {
    const prev = this.#resets.get(id);
    this.#resets.set(id, { code, sentAt: now, tries: (prev?.tries ?? 0) + 1 });
    const best = this.#fastestLink();
    if (!best) return;
    best.control.push({
      type: "STREAM_CLOSE",
      vpn: this.#vpn(best.index),
      streamId: id,
      reset: true,
      code,
    });
  }

  #linkError(index: number, message: string): void {
    // A frame about a stream that never existed: it costs its link, not the session.
    this.#events.push({ type: "link-error", index, message });
  }

  #rttSample(link: Link, echoTs: number, ackDelayUs: number, now: number): void {
    if (echoTs === 0) return;
    const rttUs = ((usClock(now) - echoTs) >>> 0) - ackDelayUs;
    if (rttUs >= 0 && rttUs < 60_000_000) link.est.onRttSample(rttUs / 1000, now);
  }

  /**
   * An ACK or PONG on `link` echoed a frame sent at `echoTs`: the tunnel is one ordered
   * stream, so every copy sent on it before that frame has arrived too. Hedged late copies
   * among them count as delivered, which gives a slow link its rate samples even when every
   * block it carried also went out elsewhere.
   */
  #prove(link: Link, echoTs: number, now: number): void {
    if (echoTs === 0 || link.unproven.length === 0) return;
    const proven: LinkCredit[] = [];
    link.unproven = link.unproven.filter((stamp) => {
      // Signed difference, so that the 32-bit µs clock's wrap (71 min) does not matter.
      if (((echoTs - usClock(stamp.sentAt)) | 0) < 0) return true;
      proven.push({ link: link.index, stamp, kind: "delivered" });
      return false;
    });
    this.#applyCredits(proven, now);
  }

  /** The link died or stalled: its unproven copies are given up (their bytes freed). */
  #dropUnproven(link: Link, now: number, reason: LossReason): void {
    const lost = link.unproven.map((stamp): LinkCredit => ({
      link: link.index,
      stamp,
      kind: "lost",
    }));
    link.unproven = [];
    this.#applyCredits(lost, now, reason);
  }

  #applyCredits(
    credits: readonly LinkCredit[],
    now: number,
    reason: LossReason = "nack",
  ): void {
    const policy = this.#o.policy;
    const ctx = policy.onDelivered || policy.onLost ? this.#policyContext(now) : null;
    for (const c of credits) {
      const link = this.#links.get(c.link);
      if (!link) continue;
      if (c.kind === "delivered") {
        link.est.onDelivered(c.stamp, now);
        if (ctx) policy.onDelivered?.(c.link, c.stamp.bytes, ctx);
      } else if (c.kind === "unproven" && link.state === "up") {
        link.unproven.push(c.stamp); // a stalled link's copy proves nothing: lost, below
      } else {
        link.est.onLost(c.stamp);
        if (ctx) policy.onLost?.(c.link, c.stamp.bytes, ctx, reason);
      }
    }
  }

  #fastestLink(): Link | null {
    let best: Link | null = null;
    for (const l of this.#links.values()) {
      if (l.blocked || l.state === "down") continue;
      if (!best || (l.est.srttMs || Infinity) < (best.est.srttMs || Infinity)) best = l;
    }
    return best ?? this.#links.values().next().value ?? null;
  }

  #vpn(index: number) {
    return { oui: this.#o.oui, index };
  }
}

/**
 * How long after sending a block on `link` it counts as late (ms): twice its predicted
 * arrival (queue ahead at the link's rate, plus the one-way delay), and never less than the
 * prediction plus four RTT variations, plus a margin for jitter.
 */
function lateAfterMs(link: LinkView, bytes: number): number {
  const predicted = arrivalMs(link, bytes);
  return Math.max(2 * predicted, predicted + 4 * link.est.rttVarMs) + LATE_MARGIN_MS;
}

/** Slack before a block counts as late, beyond its prediction (ms). */
const LATE_MARGIN_MS = 100;

/** The clock as carried in frames: microseconds modulo 2^32. */
function usClock(now: number): number {
  return Math.floor(now * 1000) >>> 0;
}

/** Datagram-stream totals at zero: where sums start. */
export function emptyLiveTotals(): LiveTotals {
  return {
    streams: 0,
    sent: { datagrams: 0, expired: 0, overflow: 0, abandoned: 0, parityBlocks: 0, parityBytes: 0 },
    received: { delivered: 0, skipped: 0, rebuilt: 0, parity: 0 },
  };
}

function addLive(t: LiveTotals, add: LiveTotals): void {
  t.streams += add.streams;
  for (const k of Object.keys(t.sent) as (keyof LiveSendCounters)[]) t.sent[k] += add.sent[k];
  for (const k of Object.keys(t.received) as (keyof LiveReceiveCounters)[]) {
    t.received[k] += add.received[k];
  }
}

/** A datagram stream's figures; null for a byte stream. */
function liveStatsOf(s: Stream): LiveStreamStats | null {
  const sent = s.out.liveCounters;
  const received = s.in.liveCounters;
  if (!sent && !received) return null;
  return {
    deadlineMs: s.live?.deadlineMs ?? null,
    fec: s.live?.fec ?? null,
    sent: { ...(sent ?? emptyLiveTotals().sent) },
    received: { ...(received ?? emptyLiveTotals().received) },
  };
}
