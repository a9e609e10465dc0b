/**
 * Host and port as users type them for the server address (`--server`) and the listen address
 * (`--listen`), and strict IP address checks shared by the other parsers.
 *
 * Stages, in order: trim; split the host from the port (`[v6]:port` or `host:port`); refuse a
 * bare IPv6 address (its last group could be a port); classify the host (IPv4, IPv6, name);
 * check the port range. Failures are {@link OptionError}s with a one-line message.
 * @module
 */

import { parseIPv4, parseIPv6 } from "./ip_address.ts";
import { OptionError } from "./units.ts";

/**
 * A parsed endpoint. `host` never carries brackets; `family` says what kind of host it is.
 *
 * @example
 * ```ts
 * import type { HostPort } from "./endpoint.ts";
 * const server: HostPort = { host: "2001:db8::1", port: 7443, family: 6 };
 * ```
 */
export interface HostPort {
  /** An IPv4 address, an IPv6 address (possibly with a `%zone`) or a DNS name, as typed. */
  host: string;
  /** 1..65535, or 0 ("any free port") where {@link HostPortOptions.allowZero} is set. */
  port: number;
  /** 4 or 6 for an address literal, `"name"` for a name to resolve. */
  family: 4 | 6 | "name";
}

/**
 * Options of {@link parseHostPort}.
 *
 * @example
 * ```ts
 * import { type HostPortOptions, parseHostPort } from "./endpoint.ts";
 * const listen: HostPortOptions = { allowZero: true };
 * parseHostPort("[::]:0", undefined, listen); // { host: "::", port: 0, family: 6 }
 * ```
 */
export interface HostPortOptions {
  /** Accept port 0 (let the kernel choose): meaningful for a listen address only. */
  allowZero?: boolean;
}

/**
 * Whether `s` is a dotted-quad IPv4 address: four decimal octets 0..255, no leading zeros
 * (`010.0.0.1` is refused: some tools read it as octal), no surrounding whitespace.
 *
 * @example
 * ```ts
 * import { isIPv4 } from "./endpoint.ts";
 * isIPv4("192.168.8.100"); // true
 * isIPv4("1.2.3"); // false
 * ```
 */
export function isIPv4(s: string): boolean {
  return parseIPv4(s) !== undefined;
}

/**
 * Whether `s` is an IPv6 address without brackets: RFC 4291 text form, `::` compression, an
 * embedded IPv4 tail (`::ffff:1.2.3.4`) and an RFC 4007 zone (`fe80::1%eth0`) are accepted.
 *
 * @example
 * ```ts
 * import { isIPv6 } from "./endpoint.ts";
 * isIPv6("2001:db8::5"); // true
 * isIPv6("[::1]"); // false: brackets belong to host:port syntax, not to the address
 * ```
 */
export function isIPv6(s: string): boolean {
  const pct = s.indexOf("%");
  // A zone (`%eth0`) names an interface: non-empty, no spaces, no further `%`.
  if (pct >= 0 && !/^[^\s%]+$/.test(s.slice(pct + 1))) return false;
  return parseIPv6(pct >= 0 ? s.slice(0, pct) : s) !== undefined;
}

/** RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens. */
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;

/**
 * Whether `s` is a syntactically valid DNS host name (RFC 1123), at most 253 characters, with an
 * optional trailing dot. A name whose last label is all digits is refused: it is a mistyped IPv4
 * address (`300.1.1.1`, `1.2.3`) rather than a name.
 *
 * @example
 * ```ts
 * import { isHostName } from "./endpoint.ts";
 * isHostName("relay.example.net"); // true
 * isHostName("1.2.3"); // false
 * ```
 */
export function isHostName(s: string): boolean {
  const name = s.endsWith(".") ? s.slice(0, -1) : s;
  if (name.length === 0 || name.length > 253) return false;
  const labels = name.split(".");
  if (!labels.every((label) => LABEL.test(label))) return false;
  return !/^\d+$/.test(labels[labels.length - 1]);
}

/** Parses a port number, naming the problem; `input` is the whole endpoint for the message. */
function parsePort(text: string, input: string, allowZero: boolean): number {
  const lowest = allowZero ? 0 : 1;
  if (text === "") throw new OptionError(`"${input}" has no port after ':': use e.g. ${eg(input)}`);
  if (!/^\d{1,5}$/.test(text)) {
    throw new OptionError(`"${input}": port "${text}" is not a number ${lowest}..65535`);
  }
  const port = Number(text);
  if (port === 0 && !allowZero) {
    throw new OptionError(`"${input}": port 0 is not allowed here: use a port 1..65535`);
  }
  if (port > 65535) throw new OptionError(`"${input}": port ${port} is above 65535`);
  return port;
}

/** An example of the right form for the message about `input`. */
function eg(input: string): string {
  return input.startsWith("[") || input.includes("::") ? "[::1]:7443" : "relay.example.net:7443";
}

/** Classifies a host already split from its port. */
function parseHost(host: string, input: string, bracketed: boolean): HostPort["family"] {
  if (bracketed) {
    if (isIPv6(host)) return 6;
    const why = "brackets are only for IPv6, e.g. [2001:db8::1]:7443";
    throw new OptionError(`"${input}": "${host}" is not an IPv6 address (${why})`);
  }
  if (host === "") {
    const all = "or 0.0.0.0:7443 / [::]:7443 to listen on all addresses";
    throw new OptionError(`"${input}" has no host: use e.g. relay.example.net:7443, ${all}`);
  }
  if (isIPv4(host)) return 4;
  if (/^[\d.]*\d[\d.]*$/.test(host)) {
    throw new OptionError(`"${input}": "${host}" is not a valid IPv4 address`);
  }
  if (isHostName(host)) return "name";
  throw new OptionError(
    `"${input}": "${host}" is not a host name or an IP address (letters, digits, '-' and '.')`,
  );
}

/**
 * Parses `host:port` for a server or listen address: `1.2.3.4:7443`, `[::1]:7443`,
 * `[2001:db8::1]:7443`, `relay.example.net:7443`, `0.0.0.0:7443`, `[::]:7443`.
 * Without a port, `defaultPort` is used if given, else it is an error. An IPv6 address must be in
 * brackets (`2001:db8::1:7443` could mean port 7443 or an address ending in `:7443`). Port 0 is
 * refused unless `options.allowZero` (a listener that lets the kernel pick).
 *
 * @example
 * ```ts
 * import { parseHostPort } from "./endpoint.ts";
 * parseHostPort("[2001:db8::1]:7443"); // { host: "2001:db8::1", port: 7443, family: 6 }
 * parseHostPort("relay.example.net", 7443);
 * // { host: "relay.example.net", port: 7443, family: "name" }
 * parseHostPort("0.0.0.0:0", undefined, { allowZero: true });
 * // { host: "0.0.0.0", port: 0, family: 4 }
 * ```
 */
export function parseHostPort(
  s: string,
  defaultPort?: number,
  options: HostPortOptions = {},
): HostPort {
  const input = s.trim();
  const allowZero = options.allowZero ?? false;
  if (
    defaultPort !== undefined &&
    !(Number.isInteger(defaultPort) && defaultPort >= 0 && defaultPort <= 65535)
  ) {
    throw new RangeError(`parseHostPort(): defaultPort ${defaultPort} is not a port 0..65535`);
  }
  if (input === "") {
    throw new OptionError("the address is empty: use host:port, e.g. relay.example.net:7443");
  }
  if (/\s/.test(input)) throw new OptionError(`"${input}" contains whitespace`);

  let host: string;
  let portText: string | undefined;
  let bracketed = false;
  if (input.startsWith("[")) {
    const close = input.indexOf("]");
    if (close < 0) throw new OptionError(`"${input}" has '[' without ']': use e.g. [::1]:7443`);
    host = input.slice(1, close);
    bracketed = true;
    const rest = input.slice(close + 1);
    if (rest.startsWith(":")) portText = rest.slice(1);
    else if (rest !== "") {
      throw new OptionError(`"${input}": expected ':port' after ']', found "${rest}"`);
    }
  } else if (isIPv6(input) || input.split(":").length > 2) {
    // More than one colon: an IPv6 address, with or without a port glued on; make it explicit.
    if (isIPv6(input)) {
      const example = `[${input}]:${defaultPort ?? 7443}`;
      throw new OptionError(`"${input}": put an IPv6 address in brackets, e.g. ${example}`);
    }
    const example = "[2001:db8::1]:7443";
    throw new OptionError(
      `"${input}" has more than one ':': put IPv6 in brackets, e.g. ${example}`,
    );
  } else {
    const colon = input.indexOf(":");
    host = colon < 0 ? input : input.slice(0, colon);
    portText = colon < 0 ? undefined : input.slice(colon + 1);
  }

  const family = parseHost(host, input, bracketed);
  let port: number;
  if (portText !== undefined) port = parsePort(portText, input, allowZero);
  else if (defaultPort !== undefined) port = defaultPort;
  else throw new OptionError(`"${input}" has no port: use host:port, e.g. ${eg(input)}`);
  return { host, port, family };
}
