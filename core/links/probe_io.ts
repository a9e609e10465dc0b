/**
 * `links scan --probe`, the I/O part: a TCP + TLS handshake to the server from each link's
 * address (through `dialTls`, bound with `localAddress`), timed. Without `--pin`/`--ca`, or
 * when verification fails, the time is still measured and the result says it is unverified.
 * @module
 */
import { dialTls, type ServerTrust } from "../tunnel/tls_client_io.ts";
import { TrustError } from "../tunnel/errors.ts";
import type { Family } from "./ip_json.ts";
import type { ProbeResult } from "./probe.ts";

/** A pin no certificate has: with it, dialTls completes the handshake and then refuses. */
const NO_PIN = "sha256:" + "0".repeat(64);

/**
 * Where to probe, and how to trust the server.
 * @example
 * ```ts
 * const t: ProbeTarget = { host: "relay.example.net", port: 7443, timeoutMs: 5000 };
 * ```
 */
export interface ProbeTarget {
  host: string;
  port: number;
  servername?: string;
  /** Without it the handshake is timed but the server is not verified. */
  trust?: ServerTrust;
  timeoutMs: number;
}

/**
 * Probes the server once through `localAddress`.
 * @example
 * ```ts
 * const r = await probeLink({ name: "ppp0", family: 4, localAddress: "10.112.34.56" }, target);
 * ```
 */
export async function probeLink(
  link: { name: string; family: Family; localAddress: string },
  t: ProbeTarget,
): Promise<ProbeResult> {
  const base = { name: link.name, family: link.family, localAddress: link.localAddress };
  const start = performance.now();
  try {
    const transport = await dialTls({
      host: t.host,
      port: t.port,
      servername: t.servername,
      localAddress: link.localAddress,
      trust: t.trust ?? { kind: "pin", pin: NO_PIN },
      timeoutMs: t.timeoutMs,
    });
    const ms = performance.now() - start;
    transport.destroy();
    return { ...base, outcome: "ok", ms };
  } catch (e) {
    const ms = performance.now() - start;
    if (e instanceof TrustError) {
      return {
        ...base,
        outcome: "unverified",
        ms,
        detail: t.trust
          ? `handshake done but the server failed verification: ${e.message}`
          : "no --pin or --ca: the handshake was timed but the server was not verified",
      };
    }
    return { ...base, outcome: "failed", detail: (e as Error).message };
  }
}
