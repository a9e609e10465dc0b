/**
 * The relay's `--allow` rules: which destinations a SOCKS5 client may reach through the bond.
 * The relay is never an open proxy: with no rule nothing is allowed.
 *
 * Stages of {@link checkDestination}, in order:
 * 1. no rules at all: refuse ("add --allow");
 * 2. the resolved address and the port must be well formed;
 * 3. a special address (loopback, link-local, private, shared CGNAT, unspecified, multicast,
 *    reserved, or one of those inside an IPv4-mapped or NAT64 IPv6 address) is allowed only by
 *    an address rule that names it: a rule whose network lies inside the special range. A name
 *    rule is not enough (an allowed name that a hostile DNS server points at 127.0.0.1 must not
 *    reach the relay's own services: DNS rebinding), and neither is a catch-all such as
 *    `0.0.0.0/0` (it is there to open the Internet, not the relay's LAN);
 * 4. any other address is allowed when a rule matches the name the client asked for (name and
 *    wildcard rules) or the address the relay connects to (address and CIDR rules), and that
 *    same rule lists the port.
 *
 * Rule syntax: `HOST:PORTS`. HOST is a DNS name (`downloads.example.com`, case-insensitive), a
 * wildcard (`*.example.com`: subdomains only, not the apex), an IPv4 address or CIDR
 * (`203.0.113.0/24`), or an IPv6 address or CIDR in brackets (`[2001:db8::1]`,
 * `[2001:db8::/32]`). PORTS is `*` (1-65535), a port, a range (`8000-8100`) or a comma list of
 * those (`80,443,8000-8100`).
 *
 * There is no `*:PORTS`. A rule that opens everything must be spelled `0.0.0.0/0:*` and
 * `[::/0]:*`: a bare `*` is easily copied from an example or typed by habit, and the explicit
 * spelling tells whoever reads the configuration that every IPv4 and IPv6 address on the
 * Internet is reachable (while, by stage 3, the relay's loopback and private networks are not).
 * @module
 */

import {
  formatIpAddress,
  formatIpNetwork,
  type IpAddress,
  type IpNetwork,
  networkContains,
  networkWithin,
  parseIpAddress,
  parseIpNetwork,
  toV6Space,
} from "../config/ip_address.ts";

/**
 * What a rule matches: a name, the subdomains of a name, or an IP network (a single address is
 * a /32 or /128 network).
 *
 * @example
 * ```ts
 * import type { AllowHost } from "./allow_rules.ts";
 * const host: AllowHost = { kind: "wildcard", suffix: "example.com" };
 * ```
 */
export type AllowHost =
  | { kind: "name"; name: string }
  | { kind: "wildcard"; suffix: string }
  | { kind: "network"; network: IpNetwork };

/**
 * A parsed `--allow` rule. `ports` are inclusive ranges, sorted and merged.
 *
 * @example
 * ```ts
 * import { parseAllowRule } from "./allow_rules.ts";
 * const rule = parseAllowRule("*.example.com:80,443");
 * rule.ports; // [[80, 80], [443, 443]]
 * ```
 */
export interface AllowRule {
  /** The rule as the user typed it, for messages. */
  text: string;
  host: AllowHost;
  ports: ReadonlyArray<readonly [number, number]>;
}

/** The outcome of {@link checkDestination}; `reason` says which check refused. */
export type AllowVerdict = { ok: true } | { ok: false; reason: string };

/** A DNS label as rules accept it: letters, digits, inner hyphens, and underscores. */
const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

/**
 * Parses one `--allow` rule. Throws an `Error` whose message starts with `--allow "RULE":` and
 * says what is wrong.
 *
 * @example
 * ```ts
 * import { parseAllowRule } from "./allow_rules.ts";
 * parseAllowRule("[2001:db8::/32]:443").host.kind; // "network"
 * parseAllowRule("foo:99999"); // throws: --allow "foo:99999": port 99999 is out of range 1-65535
 * ```
 */
export function parseAllowRule(text: string): AllowRule {
  const fail = (message: string): never => {
    throw new Error(`--allow ${JSON.stringify(text)}: ${message}`);
  };
  const trimmed = text.trim();
  if (trimmed === "") fail("empty rule (expected HOST:PORTS, e.g. example.com:443)");
  if (/\s/.test(trimmed)) fail("a rule has no spaces (one rule per --allow)");
  let hostText: string;
  let portsText: string;
  if (trimmed.startsWith("[")) {
    const close = trimmed.indexOf("]");
    if (close < 0) fail('"[" without "]" (IPv6 rules look like [2001:db8::1]:443)');
    hostText = trimmed.slice(1, close);
    const after = trimmed.slice(close + 1);
    if (after.startsWith("/")) {
      fail(`put the prefix inside the brackets: [${hostText}${after.split(":")[0]}]:PORTS`);
    }
    if (!after.startsWith(":")) fail("missing :PORTS after the IPv6 address (e.g. [::1]:443)");
    portsText = after.slice(1);
    return { text, host: parseBracketedHost(hostText, fail), ports: parsePorts(portsText, fail) };
  }
  const colon = trimmed.lastIndexOf(":");
  if (colon < 0) fail("missing :PORTS (e.g. example.com:443, or example.com:* for any port)");
  hostText = trimmed.slice(0, colon);
  portsText = trimmed.slice(colon + 1);
  if (hostText.includes(":")) fail(`IPv6 addresses go in brackets: [${hostText}]:${portsText}`);
  return { text, host: parsePlainHost(hostText, fail), ports: parsePorts(portsText, fail) };
}

/**
 * Parses every rule; the first bad one throws (see {@link parseAllowRule}).
 *
 * @example
 * ```ts
 * import { parseAllowRules } from "./allow_rules.ts";
 * parseAllowRules(["0.0.0.0/0:*", "[::/0]:*"]).length; // 2
 * ```
 */
export function parseAllowRules(texts: readonly string[]): AllowRule[] {
  return texts.map(parseAllowRule);
}

function parseBracketedHost(host: string, fail: (m: string) => never): AllowHost {
  if (host.includes("%")) fail("a zone (%eth0) names an interface of this host, not a destination");
  const network = parseIpNetwork(host);
  if (typeof network === "string") return fail(network);
  if (network.family !== 6) fail("brackets are for IPv6 addresses; write IPv4 without them");
  return { kind: "network", network };
}

function parsePlainHost(host: string, fail: (m: string) => never): AllowHost {
  if (host === "") fail("missing host before :PORTS");
  if (host === "*") {
    fail(
      "there is no catch-all host; to allow every destination write 0.0.0.0/0:* and [::/0]:* " +
        "(loopback and private addresses still need rules of their own)",
    );
  }
  if (/^[0-9.]+(\/.*)?$/.test(host) || host.includes("/")) {
    const network = parseIpNetwork(host);
    if (typeof network === "string") return fail(network);
    return { kind: "network", network };
  }
  if (host.startsWith("*.")) {
    const suffix = normaliseName(host.slice(2));
    const problem = nameProblem(suffix);
    if (problem) fail(`wildcard *.${host.slice(2)}: ${problem}`);
    return { kind: "wildcard", suffix };
  }
  if (host.includes("*")) {
    fail('a wildcard is only allowed as a whole first label: "*.example.com"');
  }
  const name = normaliseName(host);
  const problem = nameProblem(name);
  if (problem) fail(problem);
  return { kind: "name", name };
}

/** Lowercase, without one trailing dot: the form names are compared in. */
function normaliseName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith(".") ? lower.slice(0, -1) : lower;
}

/** Why a (normalised) name is not a host name, or undefined when it is one. */
function nameProblem(name: string): string | undefined {
  if (name === "") return "empty host name";
  if (name.length > 253) return `host name is ${name.length} characters long (at most 253)`;
  const labels = name.split(".");
  const bad = labels.find((label) => !LABEL.test(label));
  if (bad !== undefined) {
    return bad === ""
      ? `host name "${name}" has an empty label`
      : `host name label "${bad}" is not letters, digits, "-" and "_" (1-63, no "-" at an end)`;
  }
  // As in socks5.ts: libc reads `1.2.3`, `2130706433` and `0x7f000001` as addresses.
  if (/^([0-9]+|0x[0-9a-f]*)$/i.test(labels[labels.length - 1])) {
    return `"${name}" is neither a host name nor a dotted-decimal IPv4 address`;
  }
  return undefined;
}

function parsePorts(text: string, fail: (m: string) => never): Array<[number, number]> {
  if (text === "") fail("missing ports after ':' (a port, a range 8000-8100, a list, or *)");
  if (text === "*") return [[1, 65535]];
  const ranges: Array<[number, number]> = [];
  for (const item of text.split(",")) {
    if (item === "") fail(`empty item in the port list "${text}"`);
    if (item === "*") fail('"*" stands alone: it already means every port');
    const dash = item.indexOf("-");
    if (dash < 0) {
      const port = parsePort(item, fail);
      ranges.push([port, port]);
      continue;
    }
    const low = parsePort(item.slice(0, dash), fail);
    const high = parsePort(item.slice(dash + 1), fail);
    if (low > high) fail(`port range ${item} is reversed (write ${high}-${low})`);
    ranges.push([low, high]);
  }
  ranges.sort((a, b) => a[0] - b[0]);
  const merged: Array<[number, number]> = [];
  for (const [low, high] of ranges) {
    const last = merged[merged.length - 1];
    if (last && low <= last[1] + 1) last[1] = Math.max(last[1], high);
    else merged.push([low, high]);
  }
  return merged;
}

function parsePort(text: string, fail: (m: string) => never): number {
  if (!/^[0-9]+$/.test(text)) fail(`"${text}" is not a port number`);
  if (text.length > 1 && text.startsWith("0")) fail(`port "${text}" has a leading zero`);
  const port = Number(text);
  if (port < 1 || port > 65535) fail(`port ${text} is out of range 1-65535`);
  return port;
}

// ---- Special addresses ----

/** A range the relay refuses unless a rule inside it names the address. */
interface SpecialRange {
  network: IpNetwork;
  label: string;
}

function special(cidr: string, label: string): SpecialRange {
  return { network: parseIpNetwork(cidr) as IpNetwork, label };
}

/** IPv4 ranges that reach the relay itself or its neighbours, not the Internet. */
const SPECIAL_V4: readonly SpecialRange[] = [
  special("0.0.0.0/8", "unspecified"), // Linux connects 0.0.0.0 to the host itself
  special("10.0.0.0/8", "private"),
  special("100.64.0.0/10", "shared (carrier-grade NAT)"),
  special("127.0.0.0/8", "loopback"),
  special("169.254.0.0/16", "link-local"), // also cloud metadata services (169.254.169.254)
  special("172.16.0.0/12", "private"),
  special("192.168.0.0/16", "private"),
  special("224.0.0.0/4", "multicast"),
  special("240.0.0.0/4", "reserved"), // includes the broadcast address 255.255.255.255
];

/** IPv6 ranges; the embedding prefixes are handled by {@link specialRangeOf}. */
const SPECIAL_V6: readonly SpecialRange[] = [
  special("::/128", "unspecified"),
  special("::1/128", "loopback"),
  special("::/96", "deprecated IPv4-compatible"),
  special("fc00::/7", "private (unique local)"),
  special("fe80::/10", "link-local"),
  special("fec0::/10", "private (deprecated site-local)"),
  special("ff00::/8", "multicast"),
];

/** IPv6 prefixes whose last 32 bits are an IPv4 address that the packet reaches. */
const EMBEDDING: readonly { network: IpNetwork; label: string }[] = [
  { network: parseIpNetwork("::ffff:0:0/96") as IpNetwork, label: "IPv4-mapped" },
  { network: parseIpNetwork("64:ff9b::/96") as IpNetwork, label: "NAT64" },
];

/**
 * The special range holding a 16-octet address (the most specific one), or undefined for an
 * ordinary Internet address. Inside `::ffff:0:0/96` and `64:ff9b::/96` the embedded IPv4
 * address decides, and the range returned is the IPv4 range lifted into that prefix.
 *
 * @example
 * ```ts
 * import { specialRangeOf } from "./allow_rules.ts";
 * import { parseIpAddress, toV6Space } from "../config/ip_address.ts";
 * specialRangeOf(toV6Space(parseIpAddress("127.0.0.1")!))?.label; // "loopback"
 * specialRangeOf(toV6Space(parseIpAddress("2001:db8::1")!)); // undefined
 * ```
 */
export function specialRangeOf(
  address: Uint8Array,
): { label: string; network: IpNetwork } | undefined {
  for (const embedding of EMBEDDING) {
    if (!networkContains(embedding.network, address)) continue;
    const inner = SPECIAL_V4.find((range) => networkContains(range.network, liftV4(address)));
    if (!inner) return undefined;
    const bytes = embedding.network.bytes.slice();
    bytes.set(inner.network.bytes.subarray(12), 12);
    const isMapped = embedding.label === "IPv4-mapped";
    return {
      // A mapped address and its IPv4 form are one destination: print it as IPv4.
      network: { family: isMapped ? 4 : 6, bytes, prefix: inner.network.prefix },
      label: isMapped ? inner.label : `${inner.label} (inside ${embedding.label})`,
    };
  }
  let best: SpecialRange | undefined;
  for (const range of SPECIAL_V6) {
    if (
      networkContains(range.network, address) && range.network.prefix > (best?.network.prefix ?? -1)
    ) {
      best = range;
    }
  }
  return best;
}

/** The last four octets of a 16-octet address as an IPv4-mapped address. */
function liftV4(address: Uint8Array): Uint8Array {
  const out = new Uint8Array(16);
  out[10] = 0xff;
  out[11] = 0xff;
  out.set(address.subarray(12), 12);
  return out;
}

// ---- Checking a destination ----

function portAllowed(rule: AllowRule, port: number): boolean {
  return rule.ports.some(([low, high]) => port >= low && port <= high);
}

function nameMatches(rule: AllowRule, name: string): boolean {
  if (name === "") return false;
  if (rule.host.kind === "name") return rule.host.name === name;
  if (rule.host.kind === "wildcard") return name.endsWith(`.${rule.host.suffix}`);
  return false;
}

function addressMatches(rule: AllowRule, address: Uint8Array): boolean {
  return rule.host.kind === "network" && networkContains(rule.host.network, address);
}

/**
 * Whether the relay may connect to `address` (what `name` resolved to on the relay, or the
 * literal the client sent) on `port`. Never throws; see the module comment for the order of the
 * checks.
 *
 * @example
 * ```ts
 * import { checkDestination, parseAllowRule } from "./allow_rules.ts";
 * const rules = [parseAllowRule("downloads.example.com:443")];
 * checkDestination(rules, "downloads.example.com", "203.0.113.9", 443); // { ok: true }
 * checkDestination(rules, "downloads.example.com", "127.0.0.1", 443).ok; // false: rebinding
 * ```
 */
export function checkDestination(
  rules: readonly AllowRule[],
  name: string,
  address: string,
  port: number,
): AllowVerdict {
  // 1. Never an open proxy.
  if (rules.length === 0) return refuse("the relay allows no destinations: add --allow");
  // 2. Well-formed input (the adapter passes what a resolver returned; do not trust it).
  const parsed = parseIpAddress(address);
  if (!parsed) {
    return refuse(`the resolved address ${JSON.stringify(address)} is not an IP address`);
  }
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    return refuse(`port ${port} is out of range 1-65535`);
  }
  const where = describe(name, parsed, port);
  const bytes = toV6Space(parsed);
  // A malformed name matches no name rule (`a..example.com` must not pass `*.example.com`).
  const asked = nameProblem(normaliseName(name)) ? "" : normaliseName(name);
  // 3. Special addresses need an address rule inside their range.
  const range = specialRangeOf(bytes);
  if (range) {
    const naming = rules.filter((r) =>
      addressMatches(r, bytes) && r.host.kind === "network" &&
      networkWithin(r.host.network, range.network)
    );
    if (naming.some((r) => portAllowed(r, port))) return { ok: true };
    if (naming.length > 0) return refuse(`${where}: port ${port} is not in ${list(naming)}`);
    const broad = rules.filter((r) => addressMatches(r, bytes) || nameMatches(r, asked));
    const single = formatIpAddress(parsed);
    const example = parsed.family === 4 ? `${single}:${port}` : `[${single}]:${port}`;
    return refuse(
      `${where}: ${single} is a ${range.label} address; only an --allow rule inside ` +
        `${formatIpNetwork(range.network)} admits it (e.g. ${example})` +
        (broad.length > 0 ? `; ${list(broad)} ${broad.length > 1 ? "do" : "does"} not` : ""),
    );
  }
  // 4. Ordinary addresses: the name or the address, with the port, in one rule.
  const matching = rules.filter((r) => nameMatches(r, asked) || addressMatches(r, bytes));
  if (matching.some((r) => portAllowed(r, port))) return { ok: true };
  if (matching.length > 0) return refuse(`${where}: port ${port} is not in ${list(matching)}`);
  return refuse(`${where}: no --allow rule matches`);
}

function refuse(reason: string): AllowVerdict {
  return { ok: false, reason };
}

/** `name (address):port`, or `address:port` when the client sent the address itself. */
function describe(name: string, address: IpAddress, port: number): string {
  const text = formatIpAddress(address);
  const hostPort = address.family === 6 ? `[${text}]:${port}` : `${text}:${port}`;
  const literal = parseIpAddress(name);
  if (name === "" || (literal && formatIpAddress(literal) === text)) return hostPort;
  return `${JSON.stringify(name)} resolved to ${hostPort}`;
}

function list(rules: readonly AllowRule[]): string {
  return rules.map((r) => `"${r.text}"`).join(", ");
}
