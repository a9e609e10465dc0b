/**
 * The relay's side of streams: what `bondctl receive` does with each stream a sender opens.
 * - `tcp`: intercepted connections ([0026], [0045]): each gets its own connection to
 *   `--output tcp://HOST:PORT`, relayed both ways;
 * - `socks:HOST:PORT`: a SOCKS5 CONNECT made on the sender: the name is resolved here, and the
 *   relay connects only where its `--allow` rules permit, to the very address it checked (no
 *   second lookup that a rebinding DNS could answer differently). Its first byte back is a
 *   status (0: connected), so that the sender answers its SOCKS client only then.
 * A stream that cannot be served is refused with a code the sender maps to its own reply.
 * @module
 */
import { lookup } from "node:dns/promises";
import type { Logger, StreamAcceptor, StreamPort } from "../session/driver_io.ts";
import { StreamCode } from "../frame/types.ts";
import type { HostPort } from "../config/endpoint.ts";
import { isIPv4, isIPv6 } from "../config/endpoint.ts";
import { formatHostPort } from "../config/stream_url.ts";
import { type AllowRule, checkDestination } from "./allow_rules.ts";
import { connPort, dialTcp, type Refusal } from "./tcp_io.ts";
import type { StreamCounters } from "./stream_counters.ts";

/** The status byte a relay sends first on a `socks:` stream once connected. */
export const SOCKS_CONNECTED = 0;

/** How the relay serves streams. */
export interface RelayStreamOptions {
  /** `--output tcp://`: where intercepted connections go. */
  tcp: HostPort | null;
  /** `--allow`: where SOCKS streams may go; empty: nowhere. */
  allow: readonly AllowRule[];
  /** How long a dial may take (ms). */
  dialTimeoutMs: number;
  log: Logger;
  counters: StreamCounters;
  /** Other kinds of stream (live UDP), by label prefix. */
  extra?: (id: number, label: string) => Promise<StreamPort | Refusal> | null;
}

/**
 * The acceptor a session's driver uses for the streams its sender opens.
 * @example
 * ```ts
 * driver.acceptStreams(relayAcceptor({ tcp, allow: [], dialTimeoutMs: 10_000, log, counters }));
 * ```
 */
export function relayAcceptor(o: RelayStreamOptions): StreamAcceptor {
  return async (id, _kind, label) => {
    const extra = o.extra?.(id, label);
    const r = extra ? await extra : await serve(o, id, label);
    if ("refuse" in r) o.counters.refused(r.refuse);
    else o.counters.opened();
    return r;
  };
}

async function serve(
  o: RelayStreamOptions,
  id: number,
  label: string,
): Promise<StreamPort | Refusal> {
  if (label === "tcp") {
    if (!o.tcp) {
      return {
        refuse: StreamCode.NO_HANDLER,
        reason: "this relay has no --output tcp://HOST:PORT for intercepted connections",
      };
    }
    const conn = await dialTcp(o.tcp, o.dialTimeoutMs);
    if ("refuse" in conn) {
      return { refuse: conn.refuse, reason: `${formatHostPort(o.tcp)}: ${conn.reason}` };
    }
    o.log.debug(`stream ${id}: connected to ${formatHostPort(o.tcp)}`);
    return connPort(conn, (end) => o.counters.ended(end));
  }
  if (label.startsWith("socks:")) return await serveSocks(o, id, label.slice(6));
  return { refuse: StreamCode.NO_HANDLER, reason: `unknown kind of stream "${label}"` };
}

/** `host:port` or `[v6]:port` from a label. */
function splitTarget(text: string): { host: string; port: number } | null {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  if (!m) return null;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return null;
  return { host: m[1] ?? m[2], port };
}

async function serveSocks(
  o: RelayStreamOptions,
  id: number,
  target: string,
): Promise<StreamPort | Refusal> {
  const t = splitTarget(target);
  if (!t) return { refuse: StreamCode.BAD_HEADER, reason: `bad SOCKS destination "${target}"` };
  if (o.allow.length === 0) {
    return {
      refuse: StreamCode.NOT_ALLOWED,
      reason: `${target}: the relay allows no destinations (add --allow)`,
    };
  }
  let addresses: string[];
  if (isIPv4(t.host) || isIPv6(t.host)) addresses = [t.host];
  else {
    try {
      addresses = (await lookup(t.host, { all: true, verbatim: true })).map((a) => a.address);
    } catch (e) {
      const code = (e as { code?: string }).code ?? (e as Error).message;
      return { refuse: StreamCode.UNREACHABLE, reason: `${t.host} does not resolve (${code})` };
    }
  }
  let why = "";
  for (const address of addresses) {
    const verdict = checkDestination(o.allow, t.host, address, t.port);
    if (!verdict.ok) {
      why ||= verdict.reason;
      continue;
    }
    const conn = await dialTcp({ host: address, port: t.port }, o.dialTimeoutMs);
    if ("refuse" in conn) return { refuse: conn.refuse, reason: `${target}: ${conn.reason}` };
    o.log.debug(`stream ${id}: SOCKS to ${target} via ${address}`);
    return connPort(conn, (end) => o.counters.ended(end), new Uint8Array([SOCKS_CONNECTED]));
  }
  return { refuse: StreamCode.NOT_ALLOWED, reason: `${target}: ${why}` };
}
