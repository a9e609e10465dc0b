/**
 * The `--link` value: which local link to bond, and how much to use it.
 *
 * Grammar: `ADDR|IFACE|auto[,cost=N][,priority=primary|secondary|backup][,cap=SIZE][,rate=RATE]`
 * `[,via=HOST:PORT]`.
 * Stages, in order: split on `,`; classify the target (IPv4, IPv6 bare or in brackets, `auto`,
 * else a Linux interface name); parse each `key=value` once; fill the defaults. Every failure
 * is an {@link OptionError} that quotes the whole spec (several `--link` flags may be given) and
 * names the key at fault.
 * @module
 */

import { z } from "zod";
import type { LinkPriority } from "../frame/types.ts";
import { type HostPort, isIPv4, isIPv6, parseHostPort } from "./endpoint.ts";
import { OptionError, parseRate, parseSize } from "./units.ts";

export type { LinkPriority };

/**
 * What a link is bound to: a local address, an interface, or "let discovery decide".
 *
 * @example
 * ```ts
 * import type { LinkTarget } from "./link_spec.ts";
 * const modem: LinkTarget = { kind: "interface", name: "ppp0" };
 * const wifi: LinkTarget = { kind: "address", address: "192.168.1.23", family: 4 };
 * ```
 */
export type LinkTarget =
  | { kind: "address"; address: string; family: 4 | 6 }
  | { kind: "interface"; name: string }
  | { kind: "auto" };

/**
 * A parsed `--link` value.
 *
 * @example
 * ```ts
 * import type { LinkSpec } from "./link_spec.ts";
 * const backup: LinkSpec = {
 *   target: { kind: "interface", name: "ppp1" },
 *   cost: 5,
 *   priority: "backup",
 *   capBytes: 2e9,
 *   raw: "ppp1,cost=5,priority=backup,cap=2GB",
 * };
 * ```
 */
export interface LinkSpec {
  /** The interface or local address the link's tunnel is bound to. */
  target: LinkTarget;
  /** Relative cost of a byte on this link: finite, ≥ 0, default 1. */
  cost: number;
  /** Default `"primary"`. */
  priority: LinkPriority;
  /** Data cap for the session in bytes (> 0), if given. */
  capBytes?: number;
  /** Nominal rate in bit/s (> 0), if given. */
  rateBps?: number;
  /**
   * Dial this address instead of `--server` for this link (a relay or test emulator), if
   * given. The link still authenticates to the same server: only where it connects changes.
   */
  via?: HostPort;
  /** The text as the user typed it, for messages. */
  raw: string;
}

/** The keys a spec may carry, in the order messages list them. */
const KEYS = ["cost", "priority", "cap", "rate", "via"] as const;
type Key = typeof KEYS[number];

const EXAMPLES: Readonly<Record<Key, string>> = {
  cost: "2",
  priority: "backup",
  cap: "2GB",
  rate: "20mbit",
  via: "127.0.0.1:40001",
};

const GRAMMAR =
  "ADDR|IFACE[,cost=N][,priority=primary|secondary|backup][,cap=SIZE][,rate=RATE][,via=HOST:PORT]";

// A plain decimal, no sign or exponent; zod then refuses what overflows to Infinity.
const costSchema = z.string().regex(/^(\d+(\.\d+)?|\.\d+)$/).transform(Number).pipe(
  z.number().nonnegative(),
);
const prioritySchema = z.enum(["primary", "secondary", "backup"]);

/** Linux's dev_valid_name(): 1..15 bytes (IFNAMSIZ 16 with the NUL), not "." or "..". */
function interfaceProblem(name: string): string | undefined {
  if (new TextEncoder().encode(name).length > 15) return "is longer than 15 characters";
  if (name === "." || name === "..") return "is not allowed";
  if (/[\s/,:=]/.test(name)) return "may not contain whitespace, '/', ',', ':' or '='";
  return undefined;
}

/** Why an address cannot be a link's own local address, if it cannot. */
function addressProblem(address: string, family: 4 | 6): string | undefined {
  const bare = address.replace(/%.*$/, "").toLowerCase();
  if (family === 4) {
    if (bare === "0.0.0.0") return "is the unspecified address";
    if (bare === "255.255.255.255") return "is the broadcast address";
    const first = Number(bare.split(".")[0]);
    if (first >= 224 && first <= 239) return "is a multicast address";
    return undefined;
  }
  if (/^[0:]+$/.test(bare)) return "is the unspecified address";
  if (bare.startsWith("ff")) return "is a multicast address";
  return undefined;
}

/** Classifies the first element of a spec. */
function parseTarget(text: string, fail: (problem: string) => never): LinkTarget {
  if (text === "") {
    fail("no link given: name an interface (ppp0), an address (192.168.8.100) or auto");
  }
  if (text === "auto") return { kind: "auto" };
  let address: string | undefined;
  let family: 4 | 6 | undefined;
  if (text.startsWith("[")) {
    const inner = text.endsWith("]") ? text.slice(1, -1) : "";
    if (!isIPv6(inner)) fail(`"${text}" is not a bracketed IPv6 address like [2001:db8::5]`);
    [address, family] = [inner, 6];
  } else if (isIPv4(text)) {
    [address, family] = [text, 4];
  } else if (isIPv6(text)) {
    [address, family] = [text, 6];
  }
  if (address !== undefined && family !== undefined) {
    const problem = addressProblem(address, family);
    if (problem !== undefined) fail(`${address} ${problem}: give the link's own address`);
    return { kind: "address", address, family };
  }
  if (text.includes("=")) fail(`the link must come first: ${GRAMMAR}`);
  if (text.includes(":")) fail(`"${text}" is not a valid IPv6 address`);
  if (/^[\d.]*\d[\d.]*$/.test(text)) fail(`"${text}" is not a valid IPv4 address`);
  const problem = interfaceProblem(text);
  if (problem !== undefined) fail(`interface name "${text}" ${problem}`);
  return { kind: "interface", name: text };
}

/** Parses one option value; `fail` adds the spec to the message. */
function parseValue(
  key: Key,
  value: string,
  fail: (problem: string) => never,
): number | LinkPriority | HostPort {
  switch (key) {
    case "via": {
      try {
        return parseHostPort(value);
      } catch (e) {
        if (e instanceof OptionError) fail(`via: ${e.message}`);
        throw e;
      }
    }
    case "cost": {
      if (value.startsWith("-")) fail(`cost ${value} is negative: use a number ≥ 0, e.g. cost=2`);
      const cost = costSchema.safeParse(value);
      if (!cost.success) fail(`cost "${value}" is not a number ≥ 0 (e.g. cost=2 or cost=0.5)`);
      return cost.data;
    }
    case "priority": {
      const priority = prioritySchema.safeParse(value);
      if (!priority.success) {
        fail(`priority "${value}" is not one of ${prioritySchema.options.join(", ")}`);
      }
      return priority.data;
    }
    case "cap":
    case "rate": {
      let n: number;
      try {
        n = key === "cap" ? parseSize(value) : parseRate(value);
      } catch (e) {
        if (e instanceof OptionError) fail(`${key}: ${e.message}`);
        throw e;
      }
      if (key === "cap" && n === 0) {
        fail(`cap=0 would forbid the link: leave it out or use priority=backup`);
      }
      return n;
    }
  }
}

/**
 * Parses a `--link` value such as `ppp0,cost=3,priority=backup,cap=2GB,rate=20mbit`,
 * `192.168.8.100`, `[2001:db8::5],cost=0`, `fe80::1%eth0` or `auto`.
 *
 * The target is an IPv4 address, an IPv6 address (bare or in brackets, with an optional zone),
 * `auto` (returned as `{ kind: "auto" }`: whether it is supported is the caller's decision), or
 * a Linux interface name (1..15 characters without whitespace, `/`, `,`, `:` or `=`). The
 * unspecified, broadcast and multicast addresses are refused. Keys may appear once each; `cap`
 * takes a size ({@link parseSize}, > 0) and `rate` a rate ({@link parseRate}); `via=HOST:PORT`
 * ({@link parseHostPort}) makes this link dial that address instead of `--server` (a relay or
 * test emulator).
 *
 * @example
 * ```ts
 * import { parseLinkSpec } from "./link_spec.ts";
 * const spec = parseLinkSpec("ppp0,cost=3,priority=backup,rate=20mbit");
 * // { target: { kind: "interface", name: "ppp0" }, cost: 3, priority: "backup",
 * //   rateBps: 20000000, raw: "ppp0,cost=3,priority=backup,rate=20mbit" }
 * ```
 */
export function parseLinkSpec(s: string): LinkSpec {
  const fail: (problem: string) => never = (problem) => {
    throw new OptionError(`"${s}": ${problem}`);
  };
  const [first, ...rest] = s.split(",").map((part) => part.trim());
  const spec: LinkSpec = { target: parseTarget(first, fail), cost: 1, priority: "primary", raw: s };

  const seen = new Set<Key>();
  for (const option of rest) {
    if (option === "") fail(`empty option after ','`);
    const eq = option.indexOf("=");
    const name = (eq < 0 ? option : option.slice(0, eq)).trim();
    const value = eq < 0 ? undefined : option.slice(eq + 1).trim();
    if (!(KEYS as readonly string[]).includes(name)) {
      fail(`unknown key "${name}": expected ${KEYS.join(", ")} (${GRAMMAR})`);
    }
    const key = name as Key;
    if (seen.has(key)) fail(`${key} is given twice`);
    seen.add(key);
    if (value === undefined) fail(`${key} needs a value, e.g. ${key}=${EXAMPLES[key]}`);
    if (value === "") fail(`${key} is empty: use e.g. ${key}=${EXAMPLES[key]}`);

    const parsed = parseValue(key, value, fail);
    if (key === "cost") spec.cost = parsed as number;
    else if (key === "priority") spec.priority = parsed as LinkPriority;
    else if (key === "cap") spec.capBytes = parsed as number;
    else if (key === "via") spec.via = parsed as HostPort;
    else spec.rateBps = parsed as number;
  }
  return spec;
}
