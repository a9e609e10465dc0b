/**
 * Turns a session's live state into a {@link SessionSnapshot}: the endpoint's counters are
 * sampled (the caller decides how often: 4 times a second keeps the bitrate file fresh), and
 * rates come from the difference with the sample a second older, the re-send share from the
 * one ten seconds older. Pure: the caller passes `now`.
 *
 * Per sample, in order:
 * 1. read the endpoint's counters and each link's figures;
 * 2. file them, forgetting samples older than the longest window;
 * 3. rates over the last second, re-send share over the last ten;
 * 4. the links, the totals, the receiving buffer and (on send) the bitrate advice.
 * @module
 */
import { recommendBitrate } from "./bitrate.ts";
import type { LinkSnapshot, SessionSnapshot, StatusSnapshot } from "./snapshot.ts";
import { SNAPSHOT_VERSION } from "./snapshot.ts";

/** Per-link figures as the endpoint reports them (`BondEndpoint.linkStats()`). */
export interface LinkFigures {
  index: number;
  name: string;
  state: "up" | "stalled" | "down";
  /** Payload this side sent on the link (bytes). */
  dataBytes: number;
  /** Bytes that arrived on the link (bytes). */
  rxBytes: number;
  rateBps: number;
  /** 0 before the first sample. */
  srttMs: number;
  inFlightBytes: number;
}

/** What the collector reads of an endpoint; `BondEndpoint` has all of it. */
export interface EndpointView {
  readonly state: "open" | "complete" | "failed";
  linkStats(): readonly LinkFigures[];
  readonly outbound: {
    readonly bytesIn: number;
    readonly bytesAcked: number;
    readonly bytesResent: number;
    readonly queuedBytes: number;
  };
  readonly inbound: { readonly bytesOut: number; readonly heldBytes: number };
  /** Input bytes the sender accepts now (paced: a source faster than the links finds it ~0). */
  inputRoom(): number;
  /** This side's buffer period for what it receives (ms). */
  readonly bufferMs: number;
  /** The peer's buffer period, the deadline for what this side sends (ms). */
  readonly peerBufferMs: number;
}

/** Per-link settings the endpoint's figures do not carry. */
export interface LinkSettings {
  cost?: number;
  priority?: "primary" | "secondary" | "backup";
  capBytes?: number;
}

/** One session to watch. */
export interface SessionSource {
  /** Session id, hex. */
  id: string;
  /** Client name (receive --clients), or null. */
  client: string | null;
  /** When the session began (ms, the caller's clock). */
  startedAt: number;
  endpoint: EndpointView;
  /** Settings of link `index`, where known. */
  settings(index: number): LinkSettings | undefined;
  /** Payload lost from link `index` and sent again (bytes); null where not counted. */
  resentBytes(index: number): number | null;
}

interface LinkSample {
  sent: number;
  received: number;
}

interface Sample {
  at: number;
  links: Map<number, LinkSample>;
  inputBytes: number;
  outputBytes: number;
  sentBytes: number;
  resentBytes: number;
  queuedBytes: number;
  roomBytes: number;
}

/** Window of the rates (ms). */
export const RATE_WINDOW_MS = 1000;
/** Window of the re-send share (ms). */
export const RESEND_WINDOW_MS = 10_000;
/** Input waiting longer than this, as a share of a second of input, is a backlog. */
const BACKLOG_SECONDS = 0.1;
/** ...and never less than this many bytes (one read from stdin is up to 64 KiB). */
const BACKLOG_MIN_BYTES = 64 * 1024;

/**
 * Samples one session and describes it.
 * @example
 * ```ts
 * const meter = new SessionMeter("send", source);
 * setInterval(() => stats.write(meter.sample(clock())), 250);
 * ```
 */
export class SessionMeter {
  readonly role: "send" | "receive";
  readonly source: SessionSource;
  #samples: Sample[] = [];
  /** The session the samples belong to: a new one (send --restart) starts afresh. */
  #sampledId = "";

  constructor(role: "send" | "receive", source: SessionSource) {
    this.role = role;
    this.source = source;
  }

  /** Reads the endpoint now and returns the session's snapshot. */
  sample(now: number): SessionSnapshot {
    const ep = this.source.endpoint;
    if (this.source.id !== this.#sampledId) {
      this.#samples = [];
      this.#sampledId = this.source.id;
    }
    // 1. counters
    const figures = [...ep.linkStats()].sort((a, b) => a.index - b.index);
    const cur: Sample = {
      at: now,
      links: new Map(figures.map((l) => [l.index, { sent: l.dataBytes, received: l.rxBytes }])),
      inputBytes: ep.outbound.bytesIn,
      outputBytes: ep.inbound.bytesOut,
      sentBytes: figures.reduce((s, l) => s + l.dataBytes, 0),
      resentBytes: ep.outbound.bytesResent,
      queuedBytes: ep.outbound.queuedBytes,
      roomBytes: ep.inputRoom(),
    };
    // 2. file it; keep one sample at least as old as the longest window
    this.#samples.push(cur);
    while (this.#samples.length > 2 && this.#samples[1].at <= now - RESEND_WINDOW_MS) {
      this.#samples.shift();
    }
    // 3. rates
    const base = this.#olderThan(now - RATE_WINDOW_MS);
    const dt = (now - base.at) / 1000;
    const rate = (a: number, b: number) => dt > 0 ? Math.max(0, Math.round(((a - b) * 8) / dt)) : 0;
    const old = this.#samples[0];
    const sentRecently = cur.sentBytes - old.sentBytes;
    const resendShare = sentRecently > 0 ? (cur.resentBytes - old.resentBytes) / sentRecently : 0;
    // 4. the snapshot
    const links: LinkSnapshot[] = figures.map((l) => {
      const was = base.links.get(l.index) ?? { sent: 0, received: 0 };
      const set = this.source.settings(l.index);
      return {
        index: l.index,
        name: l.name,
        state: l.state,
        priority: set?.priority ?? null,
        cost: set?.cost ?? null,
        sentBps: rate(l.dataBytes, was.sent),
        receivedBps: rate(l.rxBytes, was.received),
        share: 0,
        rateBps: Math.round(l.rateBps),
        rttMs: l.srttMs > 0 ? round(l.srttMs, 2) : null,
        inFlightBytes: Math.round(l.inFlightBytes),
        sentBytes: Math.round(l.dataBytes),
        receivedBytes: Math.round(l.rxBytes),
        resentBytes: nullableRound(this.source.resentBytes(l.index)),
      };
    });
    const key = this.role === "send" ? "sentBps" : "receivedBps";
    const sum = links.reduce((s, l) => s + l[key], 0);
    for (const l of links) l.share = sum > 0 ? round(l[key] / sum, 4) : 0;
    const outputBps = rate(cur.outputBytes, base.outputBytes);
    const inputBps = rate(cur.inputBytes, base.inputBytes);
    const heldBytes = this.role === "receive" ? Math.round(ep.inbound.heldBytes) : null;
    return {
      id: this.source.id,
      client: this.source.client,
      state: ep.state,
      ageMs: Math.max(0, Math.round(now - this.source.startedAt)),
      links,
      totals: {
        inputBytes: Math.round(cur.inputBytes),
        deliveredBytes: Math.round(ep.outbound.bytesAcked),
        queuedBytes: Math.round(cur.queuedBytes),
        sentBps: links.reduce((s, l) => s + l.sentBps, 0),
        receivedBps: links.reduce((s, l) => s + l.receivedBps, 0),
        outputBytes: Math.round(cur.outputBytes),
        outputBps,
        resentBytes: Math.round(cur.resentBytes),
        costUnits: round(links.reduce((s, l) => s + (l.sentBytes / 1e6) * (l.cost ?? 0), 0), 3),
      },
      buffer: {
        periodMs: round(this.role === "send" ? ep.peerBufferMs : ep.bufferMs, 1),
        heldBytes,
        heldMs: heldBytes !== null && outputBps > 0
          ? round((heldBytes * 8000) / outputBps, 1)
          : null,
      },
      bitrate: this.role === "send"
        ? recommendBitrate({
          links: links.map((l) => ({
            index: l.index,
            state: l.state,
            rateBps: l.rateBps,
            rttMs: l.rttMs,
            priority: l.priority,
            capBytes: this.source.settings(l.index)?.capBytes,
            sentBytes: l.sentBytes,
          })),
          deadlineMs: ep.peerBufferMs,
          resendShare: round(resendShare, 4),
          inputBps,
          backlogged: this.#backlogged(now, inputBps),
        })
        : null,
    };
  }

  /** The newest sample taken at or before `t`, else the oldest. */
  #olderThan(t: number): Sample {
    for (let i = this.#samples.length - 1; i >= 0; i--) {
      if (this.#samples[i].at <= t) return this.#samples[i];
    }
    return this.#samples[0];
  }

  /**
   * Input waited in every sample of the last second: the links are the limit. The sender paces
   * its input (it holds only a few tens of ms of the links' rate), so "waiting" is either a
   * queue of 100 ms of input, or a queue filling at least half of what the pacing allows.
   */
  #backlogged(now: number, inputBps: number): boolean {
    const threshold = Math.max(BACKLOG_MIN_BYTES, (inputBps / 8) * BACKLOG_SECONDS);
    const recent = this.#samples.filter((s) => s.at >= now - RATE_WINDOW_MS);
    return recent.length > 0 &&
      recent.every((s) =>
        s.queuedBytes >= threshold ||
        (s.queuedBytes > 0 && s.queuedBytes >= (s.queuedBytes + s.roomBytes) / 2)
      );
  }
}

/**
 * One snapshot of every session: a line of `--stats`.
 * @example
 * ```ts
 * const snap = statusSnapshot("send", [meter], now, "2026-12-06T18:00:00.000Z", startedAt);
 * ```
 */
export function statusSnapshot(
  role: "send" | "receive",
  meters: readonly SessionMeter[],
  now: number,
  /** The wall-clock time of the line, ISO 8601 (read by the caller: core reads no clock). */
  wallTime: string,
  startedAt: number,
): StatusSnapshot {
  return {
    version: SNAPSHOT_VERSION,
    time: wallTime,
    uptimeMs: Math.max(0, Math.round(now - startedAt)),
    role,
    sessions: meters.map((m) => m.sample(now)),
  };
}

function nullableRound(x: number | null): number | null {
  return x === null ? null : Math.round(x);
}

/** `x` to `digits` decimals: the figures are for people and scripts, not for 17 digits. */
function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
