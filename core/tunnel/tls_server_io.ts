/**
 * The server side of links: a `node:tls` listener that speaks TLS 1.3 only, whose accepted
 * connections become `Transport`s. `Deno.listenTls` is faster but cannot refuse TLS 1.2
 * (see docs/SECURITY.md for the measured cost).
 *
 * Each connection, in order:
 * 1. TCP accept: over `maxPending` connections not yet authenticated, it is closed at once;
 *    otherwise a deadline of `handshakeTimeoutMs` starts;
 * 2. the TLS handshake (TLS 1.3 only; a failure is reported and the connection closed);
 * 3. `onConn(transport, settle)`: the caller authenticates the link and calls `settle()`
 *    whether it succeeded or not;
 * 4. a connection not settled by its deadline (a slowloris: TCP or TLS up, then nothing) is
 *    closed and reported.
 * The certificate and key can be replaced while running (`reload()`); connections already
 * up keep the ones they were made with.
 * @module
 */
import tls from "node:tls";
import type net from "node:net";
import { createPrivateKey, X509Certificate } from "node:crypto";
import type { Transport } from "./transport.ts";
import { wrapNodeSocket } from "./node_socket_io.ts";
import { CertificateError } from "./errors.ts";

/** Listener options. */
export interface ListenOptions {
  hostname: string;
  port: number;
  certPem: string;
  keyPem: string;
  /** From TCP accept to `settle()`: longer and the connection is dropped (ms). */
  handshakeTimeoutMs: number;
  /** Connections accepted and not yet settled, at most; more are closed at once. */
  maxPending: number;
}

/** A running listener. */
export interface TlsListener {
  readonly port: number;
  /** Connections accepted and not yet settled. */
  readonly pending: number;
  /** Serves `certPem`/`keyPem` to new connections; throws CertificateError if unusable. */
  reload(certPem: string, keyPem: string): void;
  close(): void;
}

/** Why the listener dropped a connection before handing it over. */
export type Rejection =
  | { kind: "over-cap"; remote: string; pending: number }
  | { kind: "tls"; remote: string; message: string }
  | { kind: "timeout"; remote: string; ms: number };

/**
 * Checks that a certificate and a key are readable PEM and belong together.
 * @example
 * ```ts
 * checkCertificatePair(certPem, keyPem); // throws CertificateError if not
 * ```
 */
export function checkCertificatePair(certPem: string, keyPem: string): void {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch {
    throw new CertificateError("the certificate is not a readable PEM certificate");
  }
  let key;
  try {
    key = createPrivateKey(keyPem);
  } catch {
    throw new CertificateError("the key is not a readable PEM private key");
  }
  if (!cert.checkPrivateKey(key)) {
    throw new CertificateError("the key does not belong to the certificate");
  }
}

interface Pending {
  raw: net.Socket;
  tls: tls.TLSSocket | null;
  timer: ReturnType<typeof setTimeout>;
}

const remoteOf = (host: string | undefined, port: number | undefined) =>
  host?.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;

/** The TCP socket under a server-side TLS socket (node keeps it as `_parent`). */
function rawOf(socket: tls.TLSSocket | undefined): net.Socket | undefined {
  return (socket as unknown as { _parent?: net.Socket } | undefined)?._parent;
}

/** rustls' words for a client without TLS 1.3, in words an operator can act on. */
function describeTlsError(message: string): string {
  if (/SupportedVersions|ProtocolVersion|protocol version|wrong version/i.test(message)) {
    return "the client does not offer TLS 1.3 (the only version served)";
  }
  return message;
}

/**
 * Accepts TLS 1.3 connections and hands each to `onConn` once its handshake is done.
 * @example
 * ```ts
 * const l = await listenTls(
 *   { hostname: "0.0.0.0", port: 7443, certPem, keyPem, handshakeTimeoutMs: 10_000, maxPending: 128 },
 *   (t, settle) => authenticate(t).finally(settle),
 *   (r) => console.error(r.kind, r.remote),
 * );
 * ```
 */
export function listenTls(
  opts: ListenOptions,
  onConn: (t: Transport, settle: () => void) => void,
  onRejected: (r: Rejection) => void,
): Promise<TlsListener> {
  checkCertificatePair(opts.certPem, opts.keyPem);
  const pending = new Map<string, Pending>();
  const keys = new WeakMap<net.Socket, string>();
  const keyOf = (socket: tls.TLSSocket | undefined) => {
    const raw = rawOf(socket);
    return (raw && keys.get(raw)) ?? remoteOf(socket?.remoteAddress, socket?.remotePort);
  };
  const settle = (key: string) => {
    const p = pending.get(key);
    if (!p) return;
    clearTimeout(p.timer);
    pending.delete(key);
  };
  const server = tls.createServer({
    cert: opts.certPem,
    key: opts.keyPem,
    minVersion: "TLSv1.3",
  }, (socket: tls.TLSSocket) => {
    const key = keyOf(socket);
    const p = pending.get(key);
    if (!p) {
      // Its deadline passed while the handshake finished: already dropped.
      socket.destroy();
      return;
    }
    p.tls = socket;
    onConn(wrapNodeSocket(socket), () => settle(key));
  });
  server.on("connection", (raw: net.Socket) => {
    const key = remoteOf(raw.remoteAddress, raw.remotePort);
    keys.set(raw, key);
    if (pending.size >= opts.maxPending) {
      raw.destroy();
      onRejected({ kind: "over-cap", remote: key, pending: pending.size });
      return;
    }
    const timer = setTimeout(() => {
      const p = pending.get(key);
      if (!p) return;
      settle(key);
      (p.tls ?? p.raw).destroy();
      raw.destroy();
      onRejected({ kind: "timeout", remote: key, ms: opts.handshakeTimeoutMs });
    }, opts.handshakeTimeoutMs);
    pending.set(key, { raw, tls: null, timer });
    raw.on("error", () => {}); // reported through tlsClientError or the close
    raw.on("close", () => {
      // Closed before it was settled (the peer left, or the TLS handshake failed).
      if (pending.get(key)?.raw === raw) settle(key);
    });
  });
  server.on("tlsClientError", (e: Error, socket: tls.TLSSocket) => {
    const key = keyOf(socket);
    onRejected({ kind: "tls", remote: key, message: describeTlsError(e.message) });
    socket?.destroy();
    settle(key);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.hostname, () => {
      server.off("error", reject);
      server.on("error", () => {}); // after listening, errors belong to connections
      const address = server.address() as net.AddressInfo;
      resolve({
        port: address.port,
        get pending() {
          return pending.size;
        },
        reload(certPem: string, keyPem: string) {
          checkCertificatePair(certPem, keyPem);
          server.setSecureContext({ cert: certPem, key: keyPem, minVersion: "TLSv1.3" });
        },
        close() {
          server.close();
          for (const [key, p] of pending) {
            settle(key);
            (p.tls ?? p.raw).destroy();
          }
        },
      });
    });
  });
}
