/**
 * One side of a bonded session, as a pure state machine: the links, one sending and one
 * receiving stream, the scheduler, timers and the closing handshake. The same code runs on
 * the sender and on the server, on real links and under simulation.
 *
 * The driver's loop, in order:
 * 1. `addLink()` / `removeLink()` / `setBlocked()` as connections open, break and fill up;
 * 2. `receive()` every frame that arrives on a link;
 * 3. `push()` input while `inputRoom() > 0`, `endInput()` at its end;
 * 4. `pollTransmit()` until null, writing each frame to its link;
 * 5. `takeOutput()` until null, writing each chunk to the output, then `outputDone()` once
 *    the stream's end has been written;
 * 6. `pollEvent()` until null (stalls, silent links, completion, failure);
 * 7. sleep until `nextTimeout()` or new I/O, then `handleTimeout(now)`.
 * Nothing here reads a clock or touches a socket.
 * @module
 */
import type { CloseCode as CloseCodeT, Frame, LinkCaps } from "../frame/types.ts";
import { CloseCode } from "../frame/types.ts";
import { LinkEstimator } from "../scheduler/link_estimator.ts";
import { arrivalMs } from "../scheduler/policy.ts";
import type {
  LinkState,
  LinkView,
  LossReason,
  Policy,
  PolicyContext,
} from "../scheduler/policy.ts";
import { type BlockRecord, OutboundStream } from "./outbound.ts";
import { InboundStream } from "./inbound.ts";
import { AdaptiveBuffer } from "../reorder/adaptive_buffer.ts";

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
};

/** Something the driver must act on or report. */
export type EndpointEvent =
  | { type: "link-stalled"; index: number }
  | { type: "link-resumed"; index: number }
  | { type: "link-silent"; index: number }
  | { type: "link-error"; index: number; message: string }
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

const STREAM = 0;
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
  #out: OutboundStream;
  #in: InboundStream;
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

  constructor(opts: EndpointOptions, now: number) {
    this.#o = opts;
    this.#out = new OutboundStream(STREAM, {
      maxQueuedBytes: opts.maxQueuedBytes,
      initialWindowBytes: Math.min(opts.maxBufferBytes, 4 * 1024 * 1024),
    });
    this.#in = new InboundStream(STREAM, {
      maxBufferBytes: opts.maxBufferBytes,
      bufferMs: opts.bufferMs,
      ackEveryBlocks: 2,
      ackDelayMs: 5,
    });
    this.#noLinkSince = now;
    this.#lastHeardAt = now;
    this.#adaptive = new AdaptiveBuffer({
      maxMs: opts.bufferMs,
      minMs: opts.bufferMinMs ?? Math.max(100, opts.bufferMs / 10),
      fixed: opts.bufferFixed ?? false,
    }, now);
    this.#peerBufferMs = opts.peerBufferMs ?? opts.bufferMs;
  }

  get state(): "open" | "complete" | "failed" {
    return this.#state;
  }
  /** The sending stream (for counters). */
  get outbound(): OutboundStream {
    return this.#out;
  }
  /** The receiving stream (for counters). */
  get inbound(): InboundStream {
    return this.#in;
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
    this.#applyCredits(this.#out.linkLost(index), now, "down");
    link.est.resetInFlight(now);
    this.#in.dropLink(index);
    if (this.#links.size === 0) this.#noLinkSince = now;
  }

  /** The link's socket is full (true) or has drained (false). */
  setBlocked(index: number, blocked: boolean): void {
    const link = this.#links.get(index);
    if (link) link.blocked = blocked;
  }

  /** Input bytes the endpoint accepts now. */
  inputRoom(): number {
    return this.#state === "open" ? this.#out.room() : 0;
  }
  /** Queues input bytes (at most `inputRoom()`). */
  push(bytes: Uint8Array): void {
    this.#out.push(bytes);
  }
  /** The input has ended. */
  endInput(): void {
    if (!this.#out.inputEnded) this.#out.end();
  }

  /** The next in-order chunk for the output, or null. */
  takeOutput(): Uint8Array | null {
    return this.#in.takeOutput();
  }
  /** True once every byte of the peer's stream has been taken and the end reached. */
  get outputComplete(): boolean {
    return this.#in.finished;
  }
  /** The driver has written and closed the output after `outputComplete`. */
  outputDone(now: number): void {
    this.#outputDone = true;
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
    if (
      (frame.type === "DATA" || frame.type === "ACK" || frame.type === "NACK") &&
      frame.streamId !== STREAM
    ) {
      // Streams other than 0 do not exist (yet): the frame costs its link, not the session.
      this.#events.push({
        type: "link-error",
        index,
        message: `${frame.type} for stream ${frame.streamId}, which does not exist`,
      });
      return;
    }
    switch (frame.type) {
      case "DATA":
        try {
          this.#in.onData(index, frame.seq, frame.payload, frame.fin, frame.sendTs, now);
          this.#adaptive.observe(this.#in.lastExtraDelayMs, now);
        } catch (e) {
          // The peer broke the stream's rules (data after its end...): the session is over.
          this.fail(CloseCode.PROTOCOL_ERROR, (e as Error).message, now);
          return;
        }
        if (this.#in.ackDue(index, now)) this.#queueAck(link, now);
        return;
      case "ACK": {
        this.#rttSample(link, frame.echoTs, frame.ackDelayUs, now);
        link.est.onProgress(now);
        this.#applyCredits(this.#out.onAck(frame.cumulative, frame.ranges, frame.windowBytes), now);
        this.#checkComplete(now);
        return;
      }
      case "NACK": {
        const credits = this.#out.onNack(frame.ranges, now, (l) => {
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
        link.est.onProgress(now);
        return;
      case "LINK_REPORT":
        return;
      case "BUFFER":
        this.#peerBufferMs = frame.bufferMs;
        return;
      case "CLOSE":
        if (frame.code === CloseCode.NORMAL) {
          // The peer closes normally only once it holds our whole stream: whatever ACK for
          // our last blocks was lost with a link, they arrived.
          this.#peerClosed = true;
          this.#out.peerHasAll();
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
    if (!this.#out.hasPending()) return null;
    const resend = this.#out.peekResend();
    const ctx = this.#policyContext(now);
    const choice = this.#o.policy.choose(links, {
      retransmit: resend !== null,
      bytes: resend ? resend.payload.length : this.#out.queuedBytes,
      avoid: resend?.lostFrom,
    }, ctx);
    if (!choice) return null;
    const link = this.#links.get(choice.index);
    if (!link) return null;
    const block = this.#out.nextBlock(choice.maxBytes);
    if (!block) return null;
    const retransmit = block.sends > 0;
    // Predict before the send changes the link's queue: when would this block be late?
    const due = this.#o.policy.hedgeLate
      ? now + lateAfterMs(link, block.payload.length)
      : undefined;
    // An empty FIN counts as one byte in flight, so that a link holding only it can still be
    // found stalled (and the FIN sent again elsewhere).
    const inFlight = Math.max(1, block.payload.length);
    this.#out.sent(block, link.index, link.est.onSend(inFlight, now));
    block.dueAt = due;
    for (const index of choice.copies ?? []) {
      const other = this.#links.get(index);
      if (!other || other === link || other.state !== "up" || other.blocked) continue;
      this.#out.sentCopy(block, index, other.est.onSend(inFlight, now));
      this.#copies.push(this.#dataTransmit(other, block, retransmit, now));
    }
    return this.#dataTransmit(link, block, retransmit, now);
  }

  #dataTransmit(link: Link, block: BlockRecord, retransmit: boolean, now: number): Transmit {
    link.lastSendAt = now;
    link.dataBytes += block.payload.length;
    return {
      index: link.index,
      frame: {
        type: "DATA",
        vpn: this.#vpn(link.index),
        streamId: STREAM,
        seq: block.seq,
        sendTs: usClock(now),
        fin: block.fin,
        retransmit,
        payload: block.payload,
      },
    };
  }

  /** What policies see of the session now; also advances the input-rate meter. */
  #policyContext(now: number): PolicyContext {
    const m = this.#meter;
    if (now - m.at >= 250) {
      const sample = ((this.#out.bytesIn - m.bytes) * 8 * 1000) / (now - m.at);
      m.rateBps = m.rateBps === 0 ? sample : 0.5 * m.rateBps + 0.5 * sample;
      m.at = now;
      m.bytes = this.#out.bytesIn;
    }
    return {
      now,
      bufferMs: this.#peerBufferMs,
      inputRateBps: m.rateBps,
      queuedBytes: this.#out.queuedBytes,
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
      at(this.#in.nextTimeout());
      for (const l of this.#links.values()) {
        if (l.state === "up") at(l.est.stallDeadline());
        if (this.#o.policy.hedgeLate) at(this.#out.nextDue(l.index));
        // A PING is due only where one can go: a full link would keep this deadline in the
        // past and spin the driver's timer.
        if (l.control.length === 0 && !l.blocked) at(l.lastSendAt + this.#o.pingIntervalMs);
        at(l.lastRecvAt + this.#o.silenceMs);
      }
      at((this.#noLinkSince ?? this.#lastHeardAt) + this.#o.linkTimeoutMs);
      if (this.#links.size > 0) at(this.#nextBufferCheck);
      if (this.#closeSentAt !== null) at(this.#closeSentAt + this.#o.lingerMs);
      // Due at once, but only where it can go: with no link it waits for one (no spin).
      if (this.#in.windowUpdateDue && this.#links.size > 0) at(0);
    }
    return t;
  }

  /** Does whatever time has made due: ACKs, NACKs, PINGs, stalls, silence, give-up. */
  handleTimeout(now: number): void {
    if (this.#state !== "open") return;
    for (const link of this.#links.values()) {
      if (this.#in.ackDue(link.index, now)) this.#queueAck(link, now);
    }
    if (this.#in.windowUpdateDue) {
      const best = this.#fastestLink();
      if (best) this.#queueAck(best, now);
    }
    if (now >= this.#nextBufferCheck) {
      this.#nextBufferCheck = now + BUFFER_CHECK_MS;
      if (this.#adaptive.update(now)) {
        // The sender schedules against our period: tell it on the quickest link.
        this.#in.setBufferMs(this.#adaptive.currentMs);
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
    const gaps = this.#in.overdueGaps(now);
    if (gaps.length > 0) {
      const best = this.#fastestLink();
      if (best) {
        best.control.push({
          type: "NACK",
          vpn: this.#vpn(best.index),
          streamId: STREAM,
          ranges: gaps,
        });
      }
    }
    if (this.#o.policy.hedgeLate) {
      for (const link of this.#links.values()) {
        for (
          let rec = this.#out.firstLate(link.index, now);
          rec;
          rec = this.#out.firstLate(link.index, now)
        ) {
          this.#out.hedge(rec);
        }
      }
    }
    for (const link of [...this.#links.values()]) {
      if (link.state === "up" && link.est.isStalled(now)) {
        // Acknowledgements stopped: what this link holds goes out again elsewhere.
        link.state = "stalled";
        this.#applyCredits(this.#out.linkLost(link.index), now, "stall");
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
    const localDone = this.#out.finished && this.#in.finished && this.#outputDone;
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

  #queueAck(link: Link, now: number): void {
    const ack = this.#in.makeAck(link.index, now);
    link.control.push({ type: "ACK", vpn: this.#vpn(link.index), streamId: STREAM, ...ack });
  }

  #rttSample(link: Link, echoTs: number, ackDelayUs: number, now: number): void {
    if (echoTs === 0) return;
    const rttUs = ((usClock(now) - echoTs) >>> 0) - ackDelayUs;
    if (rttUs >= 0 && rttUs < 60_000_000) link.est.onRttSample(rttUs / 1000, now);
  }

  #applyCredits(
    credits: ReturnType<OutboundStream["linkLost"]>,
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
