/**
 * The relay's metrics (`receive --metrics`): a {@link RelaySnapshot} as Prometheus text.
 * Every metric is listed here with its meaning, which docs/OPERATIONS.md repeats; a test
 * checks that the two lists agree.
 * @module
 */
import { MetricRegistry } from "./prometheus.ts";
import type { RelaySnapshot } from "./relay_tally.ts";
import { StreamCode } from "../frame/types.ts";

/**
 * What became of the streams the relay opened toward their destinations (`--output tcp://`,
 * SOCKS5 requests, UDP flows): `StreamCounters` has this shape.
 */
export interface StreamTally {
  readonly openedTotal: number;
  readonly closedTotal: number;
  readonly resetTotal: number;
  /** Refusals by stream code. */
  readonly refusedCodes: ReadonlyMap<number, number>;
}

/** The `reason` label of a refused stream, by stream code; any other code is "other". */
export const STREAM_REFUSAL_LABELS: Readonly<Record<number, string>> = {
  [StreamCode.REFUSED]: "refused",
  [StreamCode.NOT_ALLOWED]: "not_allowed",
  [StreamCode.LIMIT]: "limit",
  [StreamCode.NO_HANDLER]: "no_handler",
  [StreamCode.BAD_HEADER]: "bad_header",
  [StreamCode.UNREACHABLE]: "unreachable",
  [StreamCode.TIMEOUT]: "timeout",
};

const NO_STREAMS: StreamTally = {
  openedTotal: 0,
  closedTotal: 0,
  resetTotal: 0,
  refusedCodes: new Map(),
};

/** Metric names and help texts, in the order they are rendered. */
export const RELAY_METRICS = {
  info: ["bondctl_build_info", "The bondctl version, as a label; always 1"],
  listening: ["bondctl_relay_listening", "1 while the relay's listener accepts links, else 0"],
  sessionsActive: ["bondctl_relay_sessions_active", "Sessions running now"],
  sessionsStarted: ["bondctl_relay_sessions_total", "Sessions started since the relay started"],
  sessionsEnded: [
    "bondctl_relay_sessions_ended_total",
    "Sessions ended, by outcome (complete, or the close code: incomplete, shutdown, revoked, ...)",
  ],
  sessionsByLinks: [
    "bondctl_relay_sessions_by_links",
    "Sessions running now, by how many links each has connected",
  ],
  linksActive: ["bondctl_relay_links_active", "Links connected now, over every session"],
  linksAccepted: [
    "bondctl_relay_links_accepted_total",
    "Links that authenticated and were admitted (first links and joining links)",
  ],
  received: [
    "bondctl_relay_received_bytes_total",
    "Payload bytes received from senders, each byte once",
  ],
  output: ["bondctl_relay_output_bytes_total", "Bytes written to the sessions' outputs"],
  sent: [
    "bondctl_relay_sent_bytes_total",
    "Bytes sent back to senders (receive --input) and acknowledged",
  ],
  resent: [
    "bondctl_relay_resent_bytes_total",
    "Bytes the relay sent again to senders because a link lost or delayed them",
  ],
  duplicate: [
    "bondctl_relay_duplicate_bytes_total",
    "Bytes that arrived twice: senders' re-sends that turned out not to be needed",
  ],
  refusals: [
    "bondctl_relay_refusals_total",
    "Connections and sessions turned away, by reason (auth, version, protocol, limits, busy, " +
    "unknown_session, output, tls, timeout, closed, other)",
  ],
  buffer: [
    "bondctl_relay_buffer_bytes",
    "Bytes held in reorder buffers and waiting for outputs, over every session",
  ],
  sessionLinks: ["bondctl_relay_session_links", "Links connected now, per session"],
  sessionBuffer: [
    "bondctl_relay_session_buffer_bytes",
    "Bytes held in the session's reorder buffer and waiting for its output",
  ],
  sessionBufferPeriod: [
    "bondctl_relay_session_buffer_period_seconds",
    "The session's buffer period in force: how long out-of-order data is held (adaptive)",
  ],
  streamsOpened: [
    "bondctl_relay_streams_opened_total",
    "Streams the relay opened toward their destination (--output tcp://, SOCKS5, UDP flows)",
  ],
  streamsEnded: [
    "bondctl_relay_streams_ended_total",
    "Streams ended, by how: closed (in order, both ways) or reset",
  ],
  streamsRefused: [
    "bondctl_relay_streams_refused_total",
    "Streams refused, by reason (refused, not_allowed, limit, no_handler, bad_header, " +
    "unreachable, timeout, other)",
  ],
} as const satisfies Record<string, readonly [string, string]>;

/**
 * Renders a snapshot. Byte counters are the ended sessions' totals plus the running
 * sessions' figures now, so they only grow. `streams` counts the relay's streams over its
 * whole life (zero when it opens none).
 * @example
 * ```ts
 * const text = renderRelayMetrics(server.metrics(), "0.9.0", streamCounters);
 * ```
 */
export function renderRelayMetrics(
  s: RelaySnapshot,
  version: string,
  streams: StreamTally = NO_STREAMS,
): string {
  const r = new MetricRegistry();
  const m = RELAY_METRICS;
  const t = s.totals;
  const live = (k: keyof RelaySnapshot["sessions"][number]) =>
    s.sessions.reduce((sum, f) => sum + (f[k] as number), 0);

  r.gauge(m.info[0], m.info[1], ["version"]).set(1, { version });
  r.gauge(m.listening[0], m.listening[1]).set(s.listening ? 1 : 0);
  r.gauge(m.sessionsActive[0], m.sessionsActive[1]).set(s.sessions.length);
  r.counter(m.sessionsStarted[0], m.sessionsStarted[1]).set(t.sessionsStarted);
  const ended = r.counter(m.sessionsEnded[0], m.sessionsEnded[1], ["outcome"]);
  for (const [outcome, n] of Object.entries(t.sessionsEnded)) ended.set(n, { outcome });
  const byLinks = r.gauge(m.sessionsByLinks[0], m.sessionsByLinks[1], ["links"]);
  const counts = new Map<number, number>();
  for (const f of s.sessions) counts.set(f.links, (counts.get(f.links) ?? 0) + 1);
  for (const [links, n] of [...counts].sort((a, b) => a[0] - b[0])) {
    byLinks.set(n, { links: String(links) });
  }
  r.gauge(m.linksActive[0], m.linksActive[1]).set(live("links"));
  r.counter(m.linksAccepted[0], m.linksAccepted[1]).set(t.linksAccepted);
  r.counter(m.received[0], m.received[1]).set(t.ended.receivedBytes + live("receivedBytes"));
  r.counter(m.output[0], m.output[1]).set(t.ended.outputBytes + live("outputBytes"));
  r.counter(m.sent[0], m.sent[1]).set(t.ended.sentBytes + live("sentBytes"));
  r.counter(m.resent[0], m.resent[1]).set(t.ended.resentBytes + live("resentBytes"));
  r.counter(m.duplicate[0], m.duplicate[1]).set(t.ended.duplicateBytes + live("duplicateBytes"));
  const refusals = r.counter(m.refusals[0], m.refusals[1], ["reason"]);
  for (const [reason, n] of Object.entries(t.refusals)) refusals.set(n, { reason });
  r.gauge(m.buffer[0], m.buffer[1]).set(live("bufferBytes"));
  const labels = ["session", "client"];
  const links = r.gauge(m.sessionLinks[0], m.sessionLinks[1], labels);
  const buffer = r.gauge(m.sessionBuffer[0], m.sessionBuffer[1], labels);
  const period = r.gauge(m.sessionBufferPeriod[0], m.sessionBufferPeriod[1], labels);
  for (const f of s.sessions) {
    const l = { session: f.session, client: f.client };
    links.set(f.links, l);
    buffer.set(f.bufferBytes, l);
    period.set(f.bufferMs / 1000, l);
  }
  r.counter(m.streamsOpened[0], m.streamsOpened[1]).set(streams.openedTotal);
  const ends = r.counter(m.streamsEnded[0], m.streamsEnded[1], ["how"]);
  ends.set(streams.closedTotal, { how: "closed" });
  ends.set(streams.resetTotal, { how: "reset" });
  // Every reason from the start, at 0, so that a rate() over it never starts mid-series.
  const byReason = new Map<string, number>(
    [...Object.values(STREAM_REFUSAL_LABELS), "other"].map((k) => [k, 0]),
  );
  for (const [code, n] of streams.refusedCodes) {
    const label = STREAM_REFUSAL_LABELS[code] ?? "other";
    byReason.set(label, byReason.get(label)! + n);
  }
  const refused = r.counter(m.streamsRefused[0], m.streamsRefused[1], ["reason"]);
  for (const [reason, n] of byReason) refused.set(n, { reason });
  return r.render();
}
