/**
 * The client side of a link: a TLS 1.3 connection from a given local address, through
 * `node:tls` because `Deno.connect` ignores the local address and policy routing needs it.
 * The server is verified either by a CA bundle or by a SHA-256 pin of its certificate. The name
 * sent in the ClientHello (SNI) may differ from the name the certificate is checked against:
 * `send --session-sni` sends `<session label>.<relay name>` so that a TCP load balancer can keep
 * a session's links together, while the certificate is still checked for the relay's own name.
 * @module
 */
import tls from "node:tls";
import type { Transport } from "./transport.ts";
import { wrapNodeSocket } from "./node_socket_io.ts";
import { LinkDownError, TrustError } from "./errors.ts";

/** How the client decides that it reached the right server. */
export type ServerTrust =
  | { kind: "ca"; caPem: string }
  | { kind: "pin"; pin: string }; // "sha256:<64 hex>"

/** Bytes queued on a link before it counts as full (the socket's own high-water mark). */
const CLIENT_HIGH_WATER = 256 * 1024;

/** Where and how one link dials. */
export interface DialOptions {
  host: string;
  port: number;
  /** TLS server name (SNI and certificate check); defaults to `host` when it is a name. */
  servername?: string;
  /**
   * Send this name as SNI instead of `servername`, which the certificate is still checked
   * against (a load balancer hashes the SNI; no wildcard certificate is needed).
   */
  sni?: string;
  localAddress?: string;
  trust: ServerTrust;
  /** Give up on the TCP+TLS handshake after this long (ms). */
  timeoutMs: number;
}

/**
 * Connects one link. Rejects with `TrustError` when the server fails verification and with
 * `LinkDownError` when it cannot be reached.
 * @example
 * ```ts
 * const t = await dialTls({ host: "relay.example.net", port: 7443, localAddress: "10.0.0.2",
 *   trust: { kind: "pin", pin }, timeoutMs: 10_000 });
 * ```
 */
export function dialTls(opts: DialOptions): Promise<Transport> {
  return new Promise((resolve, reject) => {
    const where = `${opts.host}:${opts.port}` +
      (opts.localAddress ? ` from ${opts.localAddress}` : "");
    const isName = !/^[\d.]+$/.test(opts.host) && !opts.host.includes(":");
    const verifyName = opts.servername ?? (isName ? opts.host : undefined);
    // localAddress and highWaterMark pass through to net.connect; the typings omit them.
    const options: tls.ConnectionOptions & { localAddress?: string; highWaterMark?: number } = {
      host: opts.host,
      port: opts.port,
      localAddress: opts.localAddress,
      servername: opts.sni ?? verifyName,
      minVersion: "TLSv1.3",
      ca: opts.trust.kind === "ca" ? [opts.trust.caPem] : undefined,
      // With a pin the chain is not checked against a CA: the pin is the trust.
      rejectUnauthorized: opts.trust.kind === "ca",
      highWaterMark: CLIENT_HIGH_WATER,
    };
    if (opts.sni !== undefined) {
      // node checks the certificate against the SNI by default; the label in front of the
      // relay's name is only for the load balancer, so check against the relay's own name.
      const name = verifyName ?? opts.host;
      options.checkServerIdentity = (_sni, cert) => tls.checkServerIdentity(name, cert);
    }
    const socket = tls.connect(options);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new LinkDownError(`no TLS handshake with ${where} within ${opts.timeoutMs} ms`));
    }, opts.timeoutMs);
    socket.once("secureConnect", () => {
      clearTimeout(timer);
      if (opts.trust.kind === "pin") {
        const der = socket.getPeerCertificate()?.raw as Uint8Array | undefined;
        const fp = socket.getPeerCertificate()?.fingerprint256?.replaceAll(":", "").toLowerCase();
        const want = opts.trust.pin.slice("sha256:".length);
        if (!der || fp !== want) {
          socket.destroy();
          reject(
            new TrustError(
              `server ${opts.host}:${opts.port} presented a certificate with pin sha256:${
                fp ?? "?"
              }, ` +
                `not the expected ${opts.trust.pin}`,
            ),
          );
          return;
        }
      }
      resolve(wrapNodeSocket(socket, CLIENT_HIGH_WATER));
    });
    socket.once("error", (err: Error & { code?: string }) => {
      clearTimeout(timer);
      reject(describeDialError(err, where, opts));
    });
  });
}

function describeDialError(
  err: Error & { code?: string },
  where: string,
  opts: DialOptions,
): Error {
  const code = err.code ?? "";
  if (/CERT|SELF_SIGNED|UNABLE_TO|HOSTNAME|ALTNAME|certificate/i.test(code + err.message)) {
    return new TrustError(
      `server ${opts.host}:${opts.port} failed certificate verification (${
        code || err.message
      }): ` +
        `check --ca, or use --pin sha256:... as printed by the server`,
    );
  }
  if (code === "EADDRNOTAVAIL") {
    return new LinkDownError(`local address ${opts.localAddress} is not on this machine`);
  }
  if (code === "ECONNREFUSED") {
    return new LinkDownError(`connection refused by ${where}: is bondctl receive listening there?`);
  }
  return new LinkDownError(`cannot reach ${where}: ${code || err.message}`);
}
