/**
 * `links scan --probe HOST:PORT`, the pure part: what one probe found and how it reads. The
 * dialling (`probe_io.ts`) times TCP + TLS through each link's address.
 * @module
 */
import type { Family } from "./ip_json.ts";

/**
 * How a probe through one link ended:
 * - "ok": TCP and TLS completed and the server was verified (--pin or --ca);
 * - "unverified": TCP and TLS completed, but nothing to verify with, or verification failed;
 * - "failed": no handshake (unreachable, refused, timed out).
 * @example
 * ```ts
 * const o: ProbeOutcome = "unverified";
 * ```
 */
export type ProbeOutcome = "ok" | "unverified" | "failed";

/**
 * One probe's result.
 * @example
 * ```ts
 * const r: ProbeResult = { name: "ppp0", family: 4, localAddress: "10.112.34.56",
 *   outcome: "unverified", ms: 182.4, detail: "no --pin or --ca: the server was not verified" };
 * ```
 */
export interface ProbeResult {
  name: string;
  family: Family;
  localAddress: string;
  outcome: ProbeOutcome;
  /** TCP + TLS handshake time (ms), when the handshake completed. */
  ms?: number;
  detail?: string;
}

/**
 * One short cell for the scan table.
 * @example
 * ```ts
 * probeCell({ name: "eth0", family: 4, localAddress: "192.168.1.50", outcome: "ok", ms: 23.4 });
 * // "23 ms"
 * ```
 */
export function probeCell(r: ProbeResult | undefined): string {
  if (!r) return "-";
  if (r.outcome === "failed") return "failed";
  const ms = `${Math.round(r.ms ?? 0)} ms`;
  return r.outcome === "ok" ? ms : `${ms} (unverified)`;
}
