/**
 * The lines a command prints when a session ends: totals and each link's share.
 * @module
 */
import type { BondEndpoint } from "../core/session/endpoint.ts";
import { formatBytes, formatRate } from "../core/config/mod.ts";

/**
 * One line per link with its share of the data this side sent.
 * @example
 * ```ts
 * for (const line of linkShareLines(endpoint)) log.info(line);
 * ```
 */
export function linkShareLines(ep: BondEndpoint): string[] {
  const stats = ep.linkStats().sort((a, b) => a.index - b.index);
  const total = stats.reduce((s, l) => s + l.dataBytes, 0);
  return stats.map((l) => {
    const share = total > 0 ? ((100 * l.dataBytes) / total).toFixed(1) : "0.0";
    const rate = l.rateBps > 0 ? `, ${formatRate(l.rateBps)} measured` : "";
    const rtt = l.srttMs > 0 ? `, RTT ${l.srttMs.toFixed(1)} ms` : "";
    return `  link ${l.index} ${l.name}: ${formatBytes(l.dataBytes)} (${share} %)${rate}${rtt}`;
  });
}

/**
 * "delivered 16777216 bytes (16.0 MiB) in 1.22 s (110 Mbit/s)".
 * @example
 * ```ts
 * throughputLine("sent", bytes, ms);
 * ```
 */
export function throughputLine(verb: string, bytes: number, ms: number): string {
  const secs = Math.max(ms, 1) / 1000;
  const rate = formatRate((bytes * 8) / secs);
  return `${verb} ${bytes} bytes (${formatBytes(bytes)}) in ${secs.toFixed(2)} s (${rate})`;
}
