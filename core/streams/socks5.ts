/**
 * The server side of a SOCKS5 handshake (RFC 1928), CONNECT only, no authentication, as a pure
 * incremental parser: the adapter feeds it the client's bytes as they arrive and acts on the
 * steps it returns. It never touches a socket, resolves a name or reads a clock.
 *
 * Stages, in order:
 * 1. greeting `05 NMETHODS METHODS...`: a version other than 5 fails at once with nothing to
 *    write (a SOCKS4 or HTTP client would misread a SOCKS5 reply); a client that does not offer
 *    method 00 (no authentication) gets `05 FF` and the connection is closed; else `05 00`;
 * 2. request `05 CMD RSV ATYP DST.ADDR DST.PORT`: a command other than CONNECT gets reply 07,
 *    an unknown address type 08, a bad domain name 04 (the relay could never reach it), port 0
 *    reply 02; RSV is ignored (RFC 1122's robustness principle: it carries no meaning);
 * 3. `connect`: the target and any bytes the client sent after the request. The adapter checks
 *    the target against `--allow`, connects, and answers with {@link encodeSocksReply}
 *    (SUCCEEDED with the bound address, or the code of {@link socksReplyForError}).
 *
 * A domain that is an address literal (`curl --socks5-hostname 127.0.0.1`) is returned as an
 * `ipv4`/`ipv6` target, so the relay does not send it to a resolver. Names in forms that libc
 * would read as addresses (`127.1`, `0x7f000001`) are refused: the relay resolves names, and a
 * name must not smuggle an address past the reader of a log.
 * @module
 */

import {
  formatIPv4,
  formatIPv6,
  isIPv4Mapped,
  parseIPv4,
  parseIPv6,
} from "../config/ip_address.ts";

/**
 * Where the client asked to go. `host` is a name as sent (ASCII), dotted-decimal IPv4, or IPv6
 * in RFC 5952 form (lowercase, compressed, no brackets).
 *
 * @example
 * ```ts
 * import type { SocksTarget } from "./socks5.ts";
 * const target: SocksTarget = { host: "::1", port: 443, kind: "ipv6" };
 * ```
 */
export type SocksTarget = { host: string; port: number; kind: "domain" | "ipv4" | "ipv6" };

/**
 * One thing for the adapter to do. {@link Socks5Handshake.feed} returns a list whose last step
 * is `need-more` (read more and feed again), `connect` or `fail`; any `reply` before it is
 * written to the client in order. After `connect` or `fail` the handshake takes no more bytes.
 *
 * @example
 * ```ts
 * import type { SocksStep } from "./socks5.ts";
 * const step: SocksStep = { type: "reply", bytes: new Uint8Array([5, 0]) };
 * ```
 */
export type SocksStep =
  | { type: "need-more" }
  /** Write these to the client, keep feeding. */
  | { type: "reply"; bytes: Uint8Array }
  /** Request done; `rest` holds the bytes after it (client data sent early), a copy. */
  | { type: "connect"; target: SocksTarget; rest: Uint8Array }
  /** Write `bytes` (may be empty), then close the connection. */
  | { type: "fail"; bytes: Uint8Array; reason: string };

/**
 * The REP codes of a SOCKS5 reply (RFC 1928, section 6).
 *
 * @example
 * ```ts
 * import { encodeSocksReply, SocksReply } from "./socks5.ts";
 * encodeSocksReply(SocksReply.CONNECTION_REFUSED); // 05 05 00 01 00 00 00 00 00 00
 * ```
 */
export const SocksReply = {
  SUCCEEDED: 0,
  GENERAL_FAILURE: 1,
  NOT_ALLOWED: 2,
  NETWORK_UNREACHABLE: 3,
  HOST_UNREACHABLE: 4,
  CONNECTION_REFUSED: 5,
  TTL_EXPIRED: 6,
  COMMAND_NOT_SUPPORTED: 7,
  ADDRESS_TYPE_NOT_SUPPORTED: 8,
} as const;

/** Wire constants that RFC 1928 fixes. */
const VERSION = 5;
const METHOD_NONE = 0x00;
const METHOD_NO_ACCEPTABLE = 0xff;
const CMD_CONNECT = 1;
const ATYP_IPV4 = 1;
const ATYP_DOMAIN = 3;
const ATYP_IPV6 = 4;

/** Where a handshake is: waiting for the greeting or the request, or finished. */
export type Socks5State = "greeting" | "request" | "connect" | "failed";

/**
 * The incremental server handshake. Splitting the client's bytes differently never changes the
 * steps (only how many `need-more` come back), and no input makes it throw.
 *
 * @example
 * ```ts
 * import { Socks5Handshake } from "./socks5.ts";
 * const hs = new Socks5Handshake();
 * hs.feed(new Uint8Array([5, 1, 0])); // [{ type: "reply", bytes: 05 00 }, { type: "need-more" }]
 * hs.feed(new Uint8Array([5, 1, 0, 1, 192, 0, 2, 1, 0, 80]));
 * // [{ type: "connect", target: { host: "192.0.2.1", port: 80, kind: "ipv4" }, rest: [] }]
 * ```
 */
export class Socks5Handshake {
  #pending: Uint8Array = new Uint8Array(0);
  #state: Socks5State = "greeting";

  /** Where the handshake is; `connect` and `failed` are final. */
  get state(): Socks5State {
    return this.#state;
  }

  /**
   * Takes the next bytes from the client and returns what to do. Throws only when called after
   * the handshake ended (a bug in the caller, not bad input).
   */
  feed(chunk: Uint8Array): SocksStep[] {
    if (this.#state === "connect" || this.#state === "failed") {
      throw new Error(`Socks5Handshake.feed() called after the handshake ended (${this.#state})`);
    }
    this.#pending = concat(this.#pending, chunk);
    const steps: SocksStep[] = [];
    for (;;) {
      const outcome = this.#state === "greeting"
        ? parseGreeting(this.#pending)
        : parseRequest(this.#pending);
      if (outcome === undefined) {
        steps.push({ type: "need-more" });
        return steps;
      }
      if (outcome.type === "fail") {
        this.#state = "failed";
        this.#pending = new Uint8Array(0);
        steps.push(outcome);
        return steps;
      }
      const rest = this.#pending.slice(outcome.consumed);
      if (outcome.type === "connect") {
        this.#state = "connect";
        this.#pending = new Uint8Array(0);
        steps.push({ type: "connect", target: outcome.target, rest });
        return steps;
      }
      steps.push({ type: "reply", bytes: outcome.bytes });
      this.#state = "request";
      this.#pending = rest;
    }
  }
}

type Fail = { type: "fail"; bytes: Uint8Array; reason: string };
type Parsed =
  | undefined // need more bytes
  | Fail
  | { type: "reply"; bytes: Uint8Array; consumed: number }
  | { type: "connect"; target: SocksTarget; consumed: number };

function fail(reason: string, code?: number): Fail {
  return {
    type: "fail",
    bytes: code === undefined ? new Uint8Array(0) : encodeSocksReply(code),
    reason,
  };
}

/** Stage 1: `05 NMETHODS METHODS...`. */
function parseGreeting(b: Uint8Array): Parsed {
  if (b.length < 1) return undefined;
  if (b[0] !== VERSION) return fail(notSocks5(b[0]));
  if (b.length < 2) return undefined;
  const count = b[1];
  if (b.length < 2 + count) return undefined;
  const methods = b.subarray(2, 2 + count);
  if (!methods.includes(METHOD_NONE)) {
    return {
      type: "fail",
      bytes: new Uint8Array([VERSION, METHOD_NO_ACCEPTABLE]),
      reason: `the client offers no method this server accepts (${
        count === 0 ? "it offers none" : `it offers ${[...methods].map(methodName).join(", ")}`
      }); only 00 (no authentication) is served`,
    };
  }
  return { type: "reply", bytes: new Uint8Array([VERSION, METHOD_NONE]), consumed: 2 + count };
}

/** Stage 2: `05 CMD RSV ATYP DST.ADDR DST.PORT`. */
function parseRequest(b: Uint8Array): Parsed {
  if (b.length < 1) return undefined;
  if (b[0] !== VERSION) {
    return fail(`the request has version ${hex(b[0])}, not 05`, SocksReply.GENERAL_FAILURE);
  }
  if (b.length < 2) return undefined;
  if (b[1] !== CMD_CONNECT) {
    const name = b[1] === 2 ? "BIND" : b[1] === 3 ? "UDP ASSOCIATE" : "an unknown command";
    return fail(
      `command ${hex(b[1])} (${name}) is not supported; only CONNECT (01) is`,
      SocksReply.COMMAND_NOT_SUPPORTED,
    );
  }
  if (b.length < 4) return undefined;
  const atyp = b[3];
  let addressEnd: number;
  if (atyp === ATYP_IPV4) addressEnd = 8;
  else if (atyp === ATYP_IPV6) addressEnd = 20;
  else if (atyp === ATYP_DOMAIN) {
    if (b.length < 5) return undefined;
    if (b[4] === 0) return fail("the domain name is empty", SocksReply.HOST_UNREACHABLE);
    addressEnd = 5 + b[4];
  } else {
    return fail(
      `address type ${hex(atyp)} is unknown (01 IPv4, 03 domain, 04 IPv6)`,
      SocksReply.ADDRESS_TYPE_NOT_SUPPORTED,
    );
  }
  if (b.length < addressEnd + 2) return undefined;
  const port = (b[addressEnd] << 8) | b[addressEnd + 1];
  let target: SocksTarget;
  if (atyp === ATYP_IPV4) {
    target = { host: formatIPv4(b.subarray(4, 8)), port, kind: "ipv4" };
  } else if (atyp === ATYP_IPV6) {
    target = { host: formatIPv6(b.subarray(4, 20)), port, kind: "ipv6" };
  } else {
    const named = parseDomain(b.subarray(5, addressEnd));
    if (typeof named === "string") return fail(named, SocksReply.HOST_UNREACHABLE);
    target = { ...named, port };
  }
  if (port === 0) {
    return fail(`port 0 of ${target.host} is not a destination`, SocksReply.NOT_ALLOWED);
  }
  return { type: "connect", target, consumed: addressEnd + 2 };
}

/** A DNS label as a client may send it: letters, digits, inner hyphens, underscores. */
const LABEL = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/;

/**
 * The target of a domain address, or why it is refused. Address literals become `ipv4`/`ipv6`
 * targets; anything else must be an ASCII host name.
 */
function parseDomain(octets: Uint8Array): Omit<SocksTarget, "port"> | string {
  for (let i = 0; i < octets.length; i++) {
    const o = octets[i];
    if (o < 0x20 || o === 0x7f) {
      return `the domain name has a non-printable octet ${hex(o)} at offset ${i}`;
    }
    if (o > 0x7f) {
      return `the domain name has a non-ASCII octet ${hex(o)} at offset ${i} ` +
        "(international names travel as punycode, xn--)";
    }
  }
  const text = String.fromCharCode(...octets);
  const shown = JSON.stringify(text.length > 80 ? `${text.slice(0, 77)}...` : text);
  const v4 = parseIPv4(text);
  if (v4) return { host: formatIPv4(v4), kind: "ipv4" };
  const bare = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  const v6 = parseIPv6(bare);
  if (v6) return { host: formatIPv6(v6), kind: "ipv6" };
  const name = text.endsWith(".") ? text.slice(0, -1) : text;
  if (name.length > 253) {
    return `the domain name ${shown} is ${name.length} characters long (at most 253)`;
  }
  const labels = name.split(".");
  for (const label of labels) {
    if (label === "") return `the domain name ${shown} has an empty label`;
    if (!LABEL.test(label)) {
      return `the domain name ${shown} has a label that is not letters, digits, "-" and "_" ` +
        `(1-63 of them, no "-" at an end): ${JSON.stringify(label)}`;
    }
  }
  if (/^([0-9]+|0x[0-9a-f]*)$/i.test(labels[labels.length - 1])) {
    return `the domain name ${shown} is an IP address in a non-standard form; ` +
      "send dotted-decimal IPv4 or IPv6";
  }
  return { host: text, kind: "domain" };
}

/**
 * Encodes a reply `05 REP 00 ATYP BND.ADDR BND.PORT`. The bound address defaults to
 * `0.0.0.0:0`; an IPv4-mapped IPv6 address is sent as IPv4, a zone is dropped, and a name is
 * sent as a domain. Throws `RangeError` on a code or port out of range or an unencodable host
 * (the adapter's bug, not the client's).
 *
 * @example
 * ```ts
 * import { encodeSocksReply, SocksReply } from "./socks5.ts";
 * encodeSocksReply(SocksReply.SUCCEEDED, { host: "192.0.2.7", port: 40000 });
 * // 05 00 00 01 c0 00 02 07 9c 40
 * ```
 */
export function encodeSocksReply(
  code: number,
  bound: { host: string; port: number } = { host: "0.0.0.0", port: 0 },
): Uint8Array {
  if (!Number.isInteger(code) || code < 0 || code > 255) {
    throw new RangeError(`SOCKS reply code ${code} is not an octet`);
  }
  const { port } = bound;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`SOCKS bound port ${port} is out of range 0-65535`);
  }
  const zone = bound.host.indexOf("%");
  const host = zone >= 0 ? bound.host.slice(0, zone) : bound.host;
  const v6 = parseIPv6(host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host);
  const v4 = parseIPv4(host) ?? (v6 && isIPv4Mapped(v6) ? v6.subarray(12) : undefined);
  let address: Uint8Array;
  if (v4) address = Uint8Array.of(ATYP_IPV4, ...v4);
  else if (v6) address = Uint8Array.of(ATYP_IPV6, ...v6);
  else {
    if (host.length < 1 || host.length > 255 || !/^[\x21-\x7e]+$/.test(host)) {
      throw new RangeError(`SOCKS bound host ${JSON.stringify(bound.host)} cannot be encoded`);
    }
    address = Uint8Array.of(ATYP_DOMAIN, host.length, ...new TextEncoder().encode(host));
  }
  return Uint8Array.of(VERSION, code, 0, ...address, port >> 8, port & 0xff);
}

/**
 * The reply code for an error from connecting or resolving: Node's `code`
 * (`ECONNREFUSED`...) or Deno's error class name (`ConnectionRefused`...). A timeout maps to
 * TTL_EXPIRED, as most SOCKS servers do; anything unknown to GENERAL_FAILURE.
 *
 * @example
 * ```ts
 * import { socksReplyForError, SocksReply } from "./socks5.ts";
 * socksReplyForError(Object.assign(new Error("x"), { code: "ECONNREFUSED" })) ===
 *   SocksReply.CONNECTION_REFUSED; // true
 * ```
 */
export function socksReplyForError(error: unknown): number {
  const fields = typeof error === "object" && error !== null
    ? error as { code?: unknown; name?: unknown }
    : {};
  const key = typeof fields.code === "string"
    ? fields.code
    : typeof fields.name === "string"
    ? fields.name
    : "";
  return ERROR_REPLIES[key] ?? SocksReply.GENERAL_FAILURE;
}

const ERROR_REPLIES: Readonly<Record<string, number>> = {
  ECONNREFUSED: SocksReply.CONNECTION_REFUSED,
  ConnectionRefused: SocksReply.CONNECTION_REFUSED,
  ENETUNREACH: SocksReply.NETWORK_UNREACHABLE,
  NetworkUnreachable: SocksReply.NETWORK_UNREACHABLE,
  EHOSTUNREACH: SocksReply.HOST_UNREACHABLE,
  ENOTFOUND: SocksReply.HOST_UNREACHABLE,
  EAI_NONAME: SocksReply.HOST_UNREACHABLE,
  EAI_AGAIN: SocksReply.HOST_UNREACHABLE,
  NotFound: SocksReply.HOST_UNREACHABLE,
  ETIMEDOUT: SocksReply.TTL_EXPIRED,
  TimedOut: SocksReply.TTL_EXPIRED,
  EACCES: SocksReply.NOT_ALLOWED,
  EPERM: SocksReply.NOT_ALLOWED,
  PermissionDenied: SocksReply.NOT_ALLOWED,
  NotCapable: SocksReply.NOT_ALLOWED,
};

/**
 * A target as `host:port` for logs, with brackets around IPv6.
 *
 * @example
 * ```ts
 * import { describeSocksTarget } from "./socks5.ts";
 * describeSocksTarget({ host: "::1", port: 22, kind: "ipv6" }); // "[::1]:22"
 * ```
 */
export function describeSocksTarget(target: SocksTarget): string {
  return target.kind === "ipv6"
    ? `[${target.host}]:${target.port}`
    : `${target.host}:${target.port}`;
}

function notSocks5(first: number): string {
  const guess = first === 4
    ? " (a SOCKS4 client: use socks5h:// or --socks5-hostname)"
    : first === 0x16
    ? " (a TLS handshake)"
    : first >= 0x41 && first <= 0x5a
    ? " (it looks like HTTP: is the client set to use an HTTP proxy?)"
    : "";
  return `not a SOCKS5 client: the first octet is ${hex(first)}, not 05${guess}`;
}

function methodName(method: number): string {
  if (method === 1) return "01 (GSSAPI)";
  if (method === 2) return "02 (username/password)";
  return hex(method);
}

function hex(octet: number): string {
  return octet.toString(16).padStart(2, "0");
}

/** Always a fresh array: the caller may reuse its read buffer for the next chunk. */
function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
