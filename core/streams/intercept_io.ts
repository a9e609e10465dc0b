/**
 * The sender's side of streams: listeners whose connections become streams of the session.
 * - `--input tcp-listen://ADDR:PORT`: every accepted connection is one stream (label `tcp`);
 *   the encoder needs no change ([0026]): it pushes to the box as it would to the platform.
 * - `--input socks5://ADDR:PORT`: a SOCKS5 server (CONNECT, no authentication); each request
 *   opens a stream labelled `socks:HOST:PORT`, the name resolved on the relay. The client gets
 *   its reply only once the relay says it connected (the stream's first byte back), or the
 *   SOCKS error that matches why the relay refused.
 * @module
 */
import type { Logger, SessionDriver, StreamPort } from "../session/driver_io.ts";
import { StreamCode, streamCodeText } from "../frame/types.ts";
import type { HostPort } from "../config/endpoint.ts";
import { formatHostPort } from "../config/stream_url.ts";
import { connPort, listenTcp } from "./tcp_io.ts";
import type { StreamCounters } from "./stream_counters.ts";
import { encodeSocksReply, Socks5Handshake, SocksReply } from "./socks5.ts";
import { SOCKS_CONNECTED } from "./relay_streams_io.ts";

/** A running listener. */
export interface Intercept {
  addr: Deno.NetAddr;
  close(): void;
}

/** How long a SOCKS client may take to send its request (ms). */
const SOCKS_HANDSHAKE_MS = 10_000;

function peer(conn: Deno.Conn): string {
  const a = conn.remoteAddr as Deno.NetAddr;
  return formatHostPort({ host: a.hostname, port: a.port });
}

/**
 * Turns every connection accepted on `at` into a stream of `driver`'s session.
 * @example
 * ```ts
 * const l = startTcpIntercept(at, () => session.driver, log, counters);
 * ```
 */
export function startTcpIntercept(
  at: HostPort,
  driver: () => SessionDriver,
  log: Logger,
  counters: StreamCounters,
): Intercept {
  const l = listenTcp(at, (conn) => {
    const from = peer(conn);
    counters.opened();
    const port = connPort(conn, (end) => {
      counters.ended(end);
      if (end.how === "reset") log.warn(`connection from ${from} closed: ${end.reason}`);
      else log.debug(`connection from ${from} closed`);
    });
    try {
      const id = driver().openStream("bytes", "tcp", port);
      log.info(`connection from ${from}: stream ${id}`);
    } catch (e) {
      log.warn(`connection from ${from} refused: ${(e as Error).message}`);
      conn.close();
    }
  });
  return { addr: l.addr, close: l.close };
}

/** The SOCKS reply for a relay's refusal. */
function socksCodeFor(code: number): number {
  switch (code) {
    case StreamCode.NOT_ALLOWED:
      return SocksReply.NOT_ALLOWED;
    case StreamCode.REFUSED:
      return SocksReply.CONNECTION_REFUSED;
    case StreamCode.UNREACHABLE:
      return SocksReply.HOST_UNREACHABLE;
    case StreamCode.TIMEOUT:
      return SocksReply.TTL_EXPIRED;
    default:
      return SocksReply.GENERAL_FAILURE;
  }
}

/**
 * A SOCKS5 server on `at` whose CONNECTs become streams of `driver`'s session.
 * @example
 * ```ts
 * const l = startSocks(at, () => session.driver, log, counters);
 * ```
 */
export function startSocks(
  at: HostPort,
  driver: () => SessionDriver,
  log: Logger,
  counters: StreamCounters,
): Intercept {
  const l = listenTcp(at, (conn) => {
    handleSocks(conn, driver, log, counters).catch((e) => {
      log.debug(`SOCKS client ${peer(conn)}: ${(e as Error).message}`);
      try {
        conn.close();
      } catch { /* closed */ }
    });
  });
  return { addr: l.addr, close: l.close };
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await conn.write(bytes.subarray(off));
}

async function handleSocks(
  conn: Deno.TcpConn,
  driver: () => SessionDriver,
  log: Logger,
  counters: StreamCounters,
): Promise<void> {
  const from = peer(conn);
  const hs = new Socks5Handshake();
  const timer = setTimeout(() => {
    log.debug(`SOCKS client ${from}: no request in ${SOCKS_HANDSHAKE_MS} ms`);
    try {
      conn.close();
    } catch { /* closed */ }
  }, SOCKS_HANDSHAKE_MS);
  const buf = new Uint8Array(1024);
  try {
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) return conn.close();
      for (const step of hs.feed(buf.subarray(0, n))) {
        if (step.type === "reply") await writeAll(conn, step.bytes);
        else if (step.type === "fail") {
          if (step.bytes.length > 0) await writeAll(conn, step.bytes);
          log.info(`SOCKS client ${from} refused: ${step.reason}`);
          return conn.close();
        } else if (step.type === "connect") {
          clearTimeout(timer);
          const target = formatHostPort(step.target);
          openSocksStream(conn, target, step.rest, driver, log, counters, from);
          return;
        }
      }
    }
  } finally {
    clearTimeout(timer);
  }
}

function openSocksStream(
  conn: Deno.TcpConn,
  target: string,
  early: Uint8Array,
  driver: () => SessionDriver,
  log: Logger,
  counters: StreamCounters,
  from: string,
): void {
  let answered = false;
  const inner = connPort(conn, (end) => {
    counters.ended(end);
    if (end.how === "reset") log.info(`SOCKS ${from} -> ${target} closed: ${end.reason}`);
  }, early.length > 0 ? early : null);
  // The relay's first byte is its status: answer the client then, and pass the rest on.
  const port: StreamPort = {
    source: inner.source,
    sink: {
      async write(chunk) {
        if (!answered) {
          answered = true;
          if (chunk[0] !== SOCKS_CONNECTED) throw new Error(`relay status ${chunk[0]}`);
          await writeAll(conn, encodeSocksReply(SocksReply.SUCCEEDED));
          chunk = chunk.subarray(1);
          log.info(`SOCKS ${from} -> ${target}: connected`);
        }
        if (chunk.length > 0) await inner.sink.write(chunk);
      },
      close: () => inner.sink.close(),
    },
    reset(code, reason, byPeer) {
      if (!answered) {
        answered = true;
        // Best effort: the client learns why before the connection closes.
        conn.write(encodeSocksReply(socksCodeFor(code))).catch(() => {});
        log.info(
          `SOCKS ${from} -> ${target} refused by the relay: ${reason || streamCodeText(code)}`,
        );
      }
      setTimeout(() => inner.reset(code, reason, byPeer), answered ? 50 : 0);
    },
    closed: () => inner.closed?.(),
  };
  counters.opened();
  try {
    driver().openStream("bytes", `socks:${target}`, port);
  } catch (e) {
    conn.write(encodeSocksReply(SocksReply.GENERAL_FAILURE)).catch(() => {});
    log.warn(`SOCKS ${from} -> ${target}: ${(e as Error).message}`);
    setTimeout(() => conn.close(), 50);
  }
}
