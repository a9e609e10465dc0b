/**
 * A session's datagram streams in words, for the final reports: the sender's (what it sent,
 * dropped and gave up, and what came back) and the relay's (what it received in order, skipped
 * and rebuilt). Pure.
 * @module
 */
import type { LiveOptions } from "./stream_header.ts";
import type { LiveTotals } from "./endpoint.ts";

/**
 * The session's datagram streams in words, for the final report: what this side sent (and
 * dropped as late, gave up after a loss, added as parity) and what it received back.
 * @example
 * ```ts
 * log.info(liveSummary(endpoint.liveTotals(), { deadlineMs: 800 }));
 * ```
 */
export function liveSummary(t: LiveTotals, live: LiveOptions): string {
  const mode = live.deadlineMs === undefined
    ? "reliable"
    : `live ${live.deadlineMs} ms` + (live.fec ? `, FEC ${live.fec.k}+${live.fec.m}` : "");
  const s = t.sent;
  const r = t.received;
  return `datagram streams (${mode}): ${t.streams} opened; sent ${s.datagrams} datagrams, ` +
    `${s.expired} dropped late in the queue, ${s.overflow} dropped at a full queue, ` +
    `${s.abandoned} lost and too late to send again` +
    (s.parityBlocks > 0 ? `, ${s.parityBlocks} parity blocks (${s.parityBytes} bytes)` : "") +
    `; replies: ${r.delivered} delivered, ${r.skipped} skipped` +
    (r.rebuilt > 0 ? `, ${r.rebuilt} rebuilt` : "");
}

/**
 * The relay's side of the same streams, for its session report: the datagrams it received
 * and put out in order, those it skipped (late past their deadline, or given up by the
 * sender), those FEC rebuilt, and what it sent back.
 * @example
 * ```ts
 * log.info(`session ${id}: ${relayLiveSummary(endpoint.liveTotals())}`);
 * ```
 */
export function relayLiveSummary(t: LiveTotals): string {
  const r = t.received;
  const s = t.sent;
  return `datagram streams: ${t.streams} opened; ${r.delivered} datagrams out in order, ` +
    `${r.skipped} skipped (late past the deadline, or given up by the sender)` +
    (r.rebuilt > 0 ? `, ${r.rebuilt} rebuilt from parity` : "") +
    (s.datagrams > 0
      ? `; ${s.datagrams} sent back, ${s.expired + s.overflow + s.abandoned} of them dropped`
      : "");
}
