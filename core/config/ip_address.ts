/**
 * IP addresses and networks as octets, parsed and printed by hand so that the relay's checks
 * never depend on what a resolver or the OS thinks an odd string means.
 *
 * Stages, in order: parse text (strict dotted-decimal IPv4; RFC 4291 IPv6 with `::` compression
 * and an embedded IPv4 tail); lift every address into one 16-octet space (IPv4 `a.b.c.d` becomes
 * the IPv4-mapped `::ffff:a.b.c.d`, a /n IPv4 network becomes /96+n) so that one comparison
 * serves both families; compare networks by prefix; print canonically (RFC 5952 for IPv6).
 *
 * Strictness is deliberate: `01.2.3.4`, `127.1` and `0x7f.0.0.1` are refused, because libc's
 * `inet_aton` reads them as other addresses than a human does (octal, short forms), and a zone
 * (`fe80::1%eth0`) is refused, because it names an interface of this host, not a destination.
 * @module
 */

/** 4 for IPv4, 6 for IPv6. */
export type IpFamily = 4 | 6;

/**
 * An address as typed: its family and its octets (4 or 16 of them).
 *
 * @example
 * ```ts
 * import type { IpAddress } from "./ip_address.ts";
 * const loopback: IpAddress = { family: 4, bytes: new Uint8Array([127, 0, 0, 1]) };
 * ```
 */
export interface IpAddress {
  family: IpFamily;
  bytes: Uint8Array;
}

/**
 * A network in the 16-octet space: `bytes` has every bit after `prefix` cleared. `family` says
 * how it was written, for printing; an IPv4 network `a.b.c.d/n` is stored as
 * `::ffff:a.b.c.d/(96+n)`.
 *
 * @example
 * ```ts
 * import { parseIpNetwork } from "./ip_address.ts";
 * parseIpNetwork("10.0.0.0/8"); // { family: 4, prefix: 104, bytes: ::ffff:10.0.0.0 }
 * ```
 */
export interface IpNetwork {
  family: IpFamily;
  bytes: Uint8Array;
  /** 0..128, counted in the 16-octet space. */
  prefix: number;
}

const DECIMAL_OCTET = /^(0|[1-9][0-9]{0,2})$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

/**
 * Parses strict dotted-decimal IPv4 (four decimal octets, no leading zeros).
 *
 * @example
 * ```ts
 * import { parseIPv4 } from "./ip_address.ts";
 * parseIPv4("192.0.2.1"); // Uint8Array [192, 0, 2, 1]
 * parseIPv4("127.1"); // undefined
 * ```
 */
export function parseIPv4(text: string): Uint8Array<ArrayBuffer> | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    if (!DECIMAL_OCTET.test(parts[i])) return undefined;
    const value = Number(parts[i]);
    if (value > 255) return undefined;
    out[i] = value;
  }
  return out;
}

/**
 * Parses an IPv6 address without brackets or zone: eight hex groups, one `::` standing for one
 * or more zero groups, and optionally an IPv4 address in place of the last two groups.
 *
 * @example
 * ```ts
 * import { parseIPv6 } from "./ip_address.ts";
 * parseIPv6("::ffff:192.0.2.1")?.length; // 16
 * parseIPv6("1::2::3"); // undefined
 * ```
 */
export function parseIPv6(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (text.length === 0 || text.length > 45) return undefined;
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const head = parseGroups(halves[0], halves.length === 1);
  const tail = halves.length === 2 ? parseGroups(halves[1], true) : [];
  if (head === undefined || tail === undefined) return undefined;
  const count = head.length + tail.length;
  // Without `::` all eight groups are there; with it, it stands for at least one group.
  if (halves.length === 1 ? count !== 8 : count > 7) return undefined;
  const out = new Uint8Array(16);
  const put = (groups: number[], start: number) =>
    groups.forEach((g, i) => {
      out[(start + i) * 2] = g >> 8;
      out[(start + i) * 2 + 1] = g & 0xff;
    });
  put(head, 0);
  put(tail, 8 - tail.length);
  return out;
}

/** Hex groups of one side of `::`; an IPv4 tail (only where `mayEndInV4`) counts as two. */
function parseGroups(side: string, mayEndInV4: boolean): number[] | undefined {
  if (side === "") return [];
  const parts = side.split(":");
  const groups: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (i === parts.length - 1 && mayEndInV4 && part.includes(".")) {
      const v4 = parseIPv4(part);
      if (v4 === undefined) return undefined;
      groups.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
    } else if (HEX_GROUP.test(part)) {
      groups.push(parseInt(part, 16));
    } else {
      return undefined;
    }
  }
  return groups;
}

/**
 * Parses an IPv4 or an IPv6 address (no brackets, no zone).
 *
 * @example
 * ```ts
 * import { parseIpAddress } from "./ip_address.ts";
 * parseIpAddress("::1")?.family; // 6
 * parseIpAddress("example.com"); // undefined
 * ```
 */
export function parseIpAddress(text: string): IpAddress | undefined {
  const v4 = parseIPv4(text);
  if (v4) return { family: 4, bytes: v4 };
  const v6 = parseIPv6(text);
  return v6 ? { family: 6, bytes: v6 } : undefined;
}

/**
 * Prints four octets as dotted decimal.
 *
 * @example
 * ```ts
 * import { formatIPv4 } from "./ip_address.ts";
 * formatIPv4(new Uint8Array([10, 0, 0, 1])); // "10.0.0.1"
 * ```
 */
export function formatIPv4(bytes: Uint8Array): string {
  return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
}

/**
 * Prints sixteen octets in RFC 5952 form: lowercase, no leading zeros, the longest run of two or
 * more zero groups (the first of equals) as `::`, and IPv4-mapped addresses as `::ffff:a.b.c.d`.
 *
 * @example
 * ```ts
 * import { formatIPv6, parseIPv6 } from "./ip_address.ts";
 * formatIPv6(parseIPv6("2001:0DB8:0:0:0:0:0:0001")!); // "2001:db8::1"
 * ```
 */
export function formatIPv6(bytes: Uint8Array): string {
  if (isIPv4Mapped(bytes)) return `::ffff:${formatIPv4(bytes.subarray(12))}`;
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((bytes[2 * i] << 8) | bytes[2 * i + 1]);
  let bestStart = -1;
  let bestLength = 1; // a single zero group is never compressed (RFC 5952, 4.2.2)
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  const hex = (gs: number[]) => gs.map((g) => g.toString(16)).join(":");
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}

/**
 * Prints an address in its family's canonical form.
 *
 * @example
 * ```ts
 * import { formatIpAddress, parseIpAddress } from "./ip_address.ts";
 * formatIpAddress(parseIpAddress("FE80:0::1")!); // "fe80::1"
 * ```
 */
export function formatIpAddress(address: IpAddress): string {
  return address.family === 4 ? formatIPv4(address.bytes) : formatIPv6(address.bytes);
}

/**
 * Whether sixteen octets are an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`).
 *
 * @example
 * ```ts
 * import { isIPv4Mapped, parseIPv6 } from "./ip_address.ts";
 * isIPv4Mapped(parseIPv6("::ffff:127.0.0.1")!); // true
 * ```
 */
export function isIPv4Mapped(bytes: Uint8Array): boolean {
  if (bytes.length !== 16) return false;
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}

/**
 * The address in the 16-octet space: IPv4 becomes `::ffff:a.b.c.d`, IPv6 is copied.
 *
 * @example
 * ```ts
 * import { parseIpAddress, toV6Space } from "./ip_address.ts";
 * toV6Space(parseIpAddress("1.2.3.4")!); // the octets of ::ffff:1.2.3.4
 * ```
 */
export function toV6Space(address: IpAddress): Uint8Array {
  if (address.family === 6) return address.bytes.slice();
  const out = new Uint8Array(16);
  out[10] = 0xff;
  out[11] = 0xff;
  out.set(address.bytes, 12);
  return out;
}

/**
 * Parses `ADDRESS/PREFIX` (IPv4 prefix 0..32, IPv6 0..128) or a bare address (a /32 or /128).
 * Returns an error message instead of throwing; bits set after the prefix are an error, because
 * `203.0.113.7/24` is more often a typo than a wish for `203.0.113.0/24`.
 *
 * @example
 * ```ts
 * import { parseIpNetwork } from "./ip_address.ts";
 * parseIpNetwork("2001:db8::/32"); // an IpNetwork with prefix 32
 * parseIpNetwork("10.0.0.1/8"); // "host bits are set after /8: did you mean 10.0.0.0/8?"
 * ```
 */
export function parseIpNetwork(text: string): IpNetwork | string {
  const slash = text.indexOf("/");
  const addressText = slash < 0 ? text : text.slice(0, slash);
  const address = parseIpAddress(addressText);
  if (!address) return `"${addressText}" is not an IPv4 or IPv6 address`;
  const width = address.family === 4 ? 32 : 128;
  let prefix = width;
  if (slash >= 0) {
    const prefixText = text.slice(slash + 1);
    if (!/^(0|[1-9][0-9]{0,2})$/.test(prefixText) || Number(prefixText) > width) {
      return `prefix "/${prefixText}" must be a number from 0 to ${width}`;
    }
    prefix = Number(prefixText);
  }
  const bytes = toV6Space(address);
  const prefix16 = prefix + (address.family === 4 ? 96 : 0);
  const masked = maskTo(bytes, prefix16);
  if (!masked.every((b, i) => b === bytes[i])) {
    const base = formatIpAddress({
      family: address.family,
      bytes: address.family === 4 ? masked.subarray(12) : masked,
    });
    return `host bits are set after /${prefix}: did you mean ${base}/${prefix}?`;
  }
  return { family: address.family, bytes, prefix: prefix16 };
}

/** A copy of `bytes` with every bit after the first `prefix` bits cleared. */
function maskTo(bytes: Uint8Array, prefix: number): Uint8Array {
  const out = bytes.slice();
  for (let bit = prefix; bit < 128; bit++) out[bit >> 3] &= ~(0x80 >> (bit & 7));
  return out;
}

/**
 * Whether `network` contains the 16-octet address `address`.
 *
 * @example
 * ```ts
 * import { networkContains, parseIpAddress, parseIpNetwork, toV6Space } from "./ip_address.ts";
 * const net = parseIpNetwork("10.0.0.0/8");
 * typeof net !== "string" && networkContains(net, toV6Space(parseIpAddress("10.9.9.9")!)); // true
 * ```
 */
export function networkContains(network: IpNetwork, address: Uint8Array): boolean {
  const full = network.prefix >> 3;
  for (let i = 0; i < full; i++) if (address[i] !== network.bytes[i]) return false;
  const rest = network.prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (address[full] & mask) === network.bytes[full];
}

/**
 * Whether every address of `inner` is in `outer`.
 *
 * @example
 * ```ts
 * import { networkWithin, parseIpNetwork, type IpNetwork } from "./ip_address.ts";
 * const net = (t: string) => parseIpNetwork(t) as IpNetwork;
 * networkWithin(net("10.1.0.0/16"), net("10.0.0.0/8")); // true
 * networkWithin(net("0.0.0.0/0"), net("10.0.0.0/8")); // false
 * ```
 */
export function networkWithin(inner: IpNetwork, outer: IpNetwork): boolean {
  return inner.prefix >= outer.prefix && networkContains(outer, inner.bytes);
}

/**
 * Prints a network as it would be written in an `--allow` rule (`10.0.0.0/8`, `2001:db8::/32`).
 *
 * @example
 * ```ts
 * import { formatIpNetwork, parseIpNetwork, type IpNetwork } from "./ip_address.ts";
 * formatIpNetwork(parseIpNetwork("10.0.0.0/8") as IpNetwork); // "10.0.0.0/8"
 * ```
 */
export function formatIpNetwork(network: IpNetwork): string {
  if (network.family === 4) {
    return `${formatIPv4(network.bytes.subarray(12))}/${network.prefix - 96}`;
  }
  return `${formatIPv6(network.bytes)}/${network.prefix}`;
}
