/**
 * The JSON that iproute2 prints (`ip -j -d link`, `ip -j addr`, `ip -j route show table all`,
 * `ip -j rule`), read with zod: extra fields are ignored, the fields we use are checked.
 * Pure: text in, typed records out.
 * @module
 */
import { z } from "zod";
import { parseToolJson } from "./tool_json.ts";

/**
 * An address family as the routing code speaks of it.
 * @example
 * ```ts
 * const f: Family = 6;
 * ```
 */
export type Family = 4 | 6;

const linkSchema = z.object({
  ifindex: z.int().nonnegative(),
  ifname: z.string().min(1),
  flags: z.array(z.string()).default([]),
  mtu: z.int().nonnegative().optional(),
  operstate: z.string().optional(),
  link_type: z.string().optional(),
  address: z.string().optional(),
  linkinfo: z.object({ info_kind: z.string().optional() }).optional(),
});

/**
 * One interface from `ip -j -d link`.
 * @example
 * ```ts
 * const eth0: IpLink = { ifindex: 2, ifname: "eth0", flags: ["UP", "LOWER_UP"], mtu: 1500,
 *   operstate: "UP", linkType: "ether" };
 * ```
 */
export interface IpLink {
  ifindex: number;
  ifname: string;
  flags: string[];
  mtu?: number;
  operstate?: string;
  linkType?: string;
  /** `linkinfo.info_kind` with `-d`: veth, bridge, tun, wireguard ... */
  infoKind?: string;
}

/**
 * Parses `ip -j -d link` (or `ip -j link`).
 * @example
 * ```ts
 * const links = parseIpLinks(await Deno.readTextFile("fixtures/ip/link.json"));
 * ```
 */
export function parseIpLinks(text: string, tool = "ip -j -d link"): IpLink[] {
  return parseToolJson(tool, z.array(linkSchema), text).map((l) => ({
    ifindex: l.ifindex,
    ifname: l.ifname,
    flags: l.flags,
    mtu: l.mtu,
    operstate: l.operstate,
    linkType: l.link_type,
    infoKind: l.linkinfo?.info_kind,
  }));
}

const addrInfoSchema = z.object({
  family: z.string(),
  local: z.string().optional(),
  address: z.string().optional(),
  prefixlen: z.int().min(0).max(128),
  scope: z.string().optional(),
  dynamic: z.boolean().optional(),
  temporary: z.boolean().optional(),
  tentative: z.boolean().optional(),
  deprecated: z.boolean().optional(),
  dadfailed: z.boolean().optional(),
});

const addrSchema = z.object({
  ifindex: z.int().nonnegative(),
  ifname: z.string().min(1),
  flags: z.array(z.string()).default([]),
  mtu: z.int().nonnegative().optional(),
  operstate: z.string().optional(),
  link_type: z.string().optional(),
  addr_info: z.array(addrInfoSchema).default([]),
});

/**
 * One address of one interface from `ip -j addr`.
 * @example
 * ```ts
 * const a: IpAddress = { ifname: "ppp0", family: 4, local: "10.112.34.56", peer: "10.64.64.64",
 *   prefixlen: 32, scope: "global", temporary: false, usable: true };
 * ```
 */
export interface IpAddress {
  ifname: string;
  family: Family;
  local: string;
  /** The far end of a point-to-point address (`peer` in `ip addr add`). */
  peer?: string;
  prefixlen: number;
  scope: string;
  /** An IPv6 privacy address: it changes over time, so it is the last choice to bind. */
  temporary: boolean;
  /** False while DAD runs or after it failed, or once deprecated: do not bind to it. */
  usable: boolean;
}

/**
 * Parses `ip -j addr` into a flat list of addresses (interfaces without addresses vanish).
 * @example
 * ```ts
 * const addrs = parseIpAddrs(await Deno.readTextFile("fixtures/ip/addr.json"));
 * ```
 */
export function parseIpAddrs(text: string, tool = "ip -j addr"): IpAddress[] {
  const out: IpAddress[] = [];
  for (const l of parseToolJson(tool, z.array(addrSchema), text)) {
    for (const a of l.addr_info) {
      if (a.family !== "inet" && a.family !== "inet6") continue;
      if (!a.local) continue;
      out.push({
        ifname: l.ifname,
        family: a.family === "inet" ? 4 : 6,
        local: a.local,
        // For a point-to-point address, `address` is the peer; otherwise it is absent.
        peer: a.address && a.address !== a.local ? a.address : undefined,
        prefixlen: a.prefixlen,
        scope: a.scope ?? "global",
        temporary: a.temporary === true,
        usable: !a.tentative && !a.dadfailed && !a.deprecated,
      });
    }
  }
  return out;
}

const routeSchema = z.object({
  type: z.string().optional(),
  dst: z.string(),
  gateway: z.string().optional(),
  dev: z.string().optional(),
  metric: z.int().nonnegative().optional(),
  table: z.union([z.string(), z.int()]).optional(),
  prefsrc: z.string().optional(),
  protocol: z.string().optional(),
});

/**
 * One route from `ip -j route show table all`.
 * @example
 * ```ts
 * const r: IpRoute = { family: 4, type: "unicast", dst: "default", gateway: "192.168.1.1",
 *   dev: "eth0", metric: 100, table: "main" };
 * ```
 */
export interface IpRoute {
  family: Family;
  /** unicast, unreachable, local, broadcast, blackhole, prohibit, multicast ... */
  type: string;
  dst: string;
  gateway?: string;
  dev?: string;
  metric?: number;
  /** "main", "local", or a number as text ("101"). */
  table: string;
}

/**
 * Parses `ip -j -4 route show table all` or its `-6` twin. A route without a `table` field is in
 * `main` (iproute2 omits it there), or in `table` when the output is of `show table N`.
 * @example
 * ```ts
 * const routes = parseIpRoutes(await Deno.readTextFile("fixtures/ip/route4.json"), 4);
 * ```
 */
export function parseIpRoutes(
  text: string,
  family: Family,
  table = "main",
  tool = `ip -j -${family} route`,
): IpRoute[] {
  return parseToolJson(tool, z.array(routeSchema), text).map((r) => ({
    family,
    type: r.type ?? "unicast",
    dst: r.dst,
    gateway: r.gateway,
    dev: r.dev,
    metric: r.metric,
    table: r.table === undefined ? table : String(r.table),
  }));
}

const ruleSchema = z.object({
  priority: z.int().nonnegative(),
  src: z.string().optional(),
  srclen: z.int().optional(),
  table: z.union([z.string(), z.int()]).optional(),
  action: z.string().optional(),
});

/**
 * One policy rule from `ip -j rule`.
 * @example
 * ```ts
 * const r: IpRule = { family: 4, priority: 5000, src: "10.64.12.7", table: "101" };
 * ```
 */
export interface IpRule {
  family: Family;
  priority: number;
  /** "all", or an address (with `/len` when it is a prefix, not a host). */
  src: string;
  table?: string;
}

/**
 * Parses `ip -j -4 rule` or `ip -j -6 rule`.
 * @example
 * ```ts
 * const rules = parseIpRules(await Deno.readTextFile("fixtures/ip/rule4.json"), 4);
 * ```
 */
export function parseIpRules(
  text: string,
  family: Family,
  tool = `ip -j -${family} rule`,
): IpRule[] {
  const full = family === 4 ? 32 : 128;
  return parseToolJson(tool, z.array(ruleSchema), text).map((r) => ({
    family,
    priority: r.priority,
    src: r.src === undefined
      ? "all"
      : r.srclen !== undefined && r.srclen !== full
      ? `${r.src}/${r.srclen}`
      : r.src,
    table: r.table === undefined ? undefined : String(r.table),
  }));
}
