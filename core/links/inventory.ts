/**
 * Discovery, the pure part: from what `ip`, sysfs and ModemManager said, the list of WAN links
 * this box can bond, and the interfaces left out with the reason.
 *
 * Stages, in order:
 * 1. classify every interface (classify.ts);
 * 2. its state from the flags and operstate (up, down, no-carrier, dormant);
 * 3. its addresses a tunnel can bind to (global scope, not tentative/deprecated);
 * 4. its gateways from default routes in any table, main first and lowest metric first;
 * 5. leave out loopback, non-WAN kinds, links that are not up, have no address, or have no
 *    route out (no default route uses them and they are not point-to-point);
 * 6. attach what ModemManager knows, matched by the modem's net port or, for PPP, by the tty
 *    the pppd peer file names.
 * @module
 */
import type { LinkKind } from "../frame/types.ts";
import { classifyInterface } from "./classify.ts";
import type { Family, IpAddress, IpLink, IpRoute } from "./ip_json.ts";
import type { ModemInfo } from "./mmcli_json.ts";
import type { SysfsFacts } from "./sysfs.ts";

/**
 * An interface's state, from its flags and operstate.
 * @example
 * ```ts
 * const s: LinkState = "no-carrier";
 * ```
 */
export type LinkState = "up" | "down" | "no-carrier" | "dormant";

/**
 * Why an interface is not offered as a link.
 * @example
 * ```ts
 * const r: ExclusionReason = "no-route"; // docker0 without a default route
 * ```
 */
export type ExclusionReason = "loopback" | "not-wan" | "down" | "no-address" | "no-route";

/**
 * How a tool fared during discovery: reported in the output, never fatal.
 * @example
 * ```ts
 * const s: ToolStatus = "not-installed"; // printed as "mmcli: not installed"
 * ```
 */
export type ToolStatus = "ok" | "not-installed" | "not-running" | "failed";

/**
 * One tool's status, e.g. `{ tool: "mmcli", status: "not-installed" }`.
 * @example
 * ```ts
 * const note: ToolNote = { tool: "mmcli", status: "not-running", detail: "ModemManager is not running" };
 * ```
 */
export interface ToolNote {
  tool: string;
  status: ToolStatus;
  detail?: string;
}

/**
 * One address of a link that a tunnel can bind to.
 * @example
 * ```ts
 * const a: LinkAddress = { family: 4, address: "10.112.34.56", prefixlen: 32, peer: "10.64.64.64" };
 * ```
 */
export interface LinkAddress {
  family: Family;
  address: string;
  prefixlen: number;
  peer?: string;
}

/**
 * What ModemManager adds to a link (the patent's [0034]).
 * @example
 * ```ts
 * const m: LinkModem = { index: 0, provider: "Movistar", technology: "lte", signal: 67 };
 * ```
 */
export interface LinkModem {
  index: number;
  model?: string;
  state?: string;
  provider?: string;
  technology?: string;
  signal?: number;
}

/**
 * A usable WAN link.
 * @example
 * ```ts
 * const l = inventory.links.find((l) => l.name === "ppp0");
 * l?.addresses[0].address; // "10.112.34.56"
 * ```
 */
export interface DiscoveredLink {
  name: string;
  ifindex: number;
  kind: LinkKind;
  /** What decided the kind: "driver qmi_wwan", "sysfs wireless", "name" ... */
  evidence: string;
  state: LinkState;
  mtu?: number;
  /** Bindable addresses, the preferred one of each family first. */
  addresses: LinkAddress[];
  gateway4?: string;
  gateway6?: string;
  /** ppp and raw-IP wwan: no gateway address, the route is `dev IF`. */
  pointToPoint: boolean;
  modem?: LinkModem;
}

/**
 * An interface left out, and why.
 * @example
 * ```ts
 * const x: ExcludedInterface = { name: "docker0", kind: "ethernet", reason: "no-route",
 *   detail: "no default route uses it" };
 * ```
 */
export interface ExcludedInterface {
  name: string;
  kind: LinkKind;
  reason: ExclusionReason;
  detail: string;
}

/**
 * The result of discovery.
 * @example
 * ```ts
 * const inv = buildInventory(input);
 * for (const l of inv.links) console.log(l.name, l.kind);
 * ```
 */
export interface Inventory {
  links: DiscoveredLink[];
  excluded: ExcludedInterface[];
  tools: ToolNote[];
}

/**
 * Everything discovery reads, already parsed.
 * @example
 * ```ts
 * const input: DiscoveryInput = { links, addrs, routes: [...r4, ...r6], sysfs: {}, tools: [] };
 * ```
 */
export interface DiscoveryInput {
  links: IpLink[];
  addrs: IpAddress[];
  /** IPv4 and IPv6 routes of every table. */
  routes: IpRoute[];
  sysfs: Record<string, SysfsFacts>;
  modems?: ModemInfo[];
  /** PPP interface name -> the tty its pppd peer file names (ttyUSB2), to find its modem. */
  pppTtys?: Record<string, string>;
  tools: ToolNote[];
}

/**
 * Builds the inventory (stages 1-6 above).
 * @example
 * ```ts
 * const inv = buildInventory({ links, addrs, routes, sysfs, modems, tools });
 * inv.excluded.find((x) => x.name === "lo")?.reason; // "loopback"
 * ```
 */
export function buildInventory(input: DiscoveryInput): Inventory {
  const links: DiscoveredLink[] = [];
  const excluded: ExcludedInterface[] = [];
  for (const l of [...input.links].sort((a, b) => a.ifindex - b.ifindex)) {
    // 1.
    const { kind, evidence } = classifyInterface(l, input.sysfs[l.ifname]);
    const leave = (reason: ExclusionReason, detail: string) =>
      excluded.push({ name: l.ifname, kind, reason, detail });
    if (kind === "loopback") {
      leave("loopback", "loopback");
      continue;
    }
    if (kind === "unknown") {
      leave("not-wan", `not a WAN link (${evidence})`);
      continue;
    }
    // 2.
    const state = stateOf(l);
    if (state !== "up") {
      leave("down", state === "no-carrier" ? "no carrier (cable or radio down)" : `it is ${state}`);
      continue;
    }
    // 3.
    const addresses = bindable(input.addrs.filter((a) => a.ifname === l.ifname));
    if (addresses.length === 0) {
      leave("no-address", "no global address");
      continue;
    }
    // 4.
    const pointToPoint = l.flags.includes("POINTOPOINT") || kind === "ppp";
    const defaults = input.routes.filter((r) =>
      r.dst === "default" && r.dev === l.ifname && r.type === "unicast"
    );
    // 5.
    if (defaults.length === 0 && !pointToPoint) {
      leave("no-route", "no default route uses it");
      continue;
    }
    const link: DiscoveredLink = {
      name: l.ifname,
      ifindex: l.ifindex,
      kind,
      evidence,
      state,
      addresses,
      pointToPoint,
    };
    if (l.mtu !== undefined) link.mtu = l.mtu;
    const gw4 = bestGateway(defaults, 4);
    const gw6 = bestGateway(defaults, 6);
    if (gw4) link.gateway4 = gw4;
    if (gw6) link.gateway6 = gw6;
    // 6.
    const modem = modemOf(l.ifname, kind, input.modems ?? [], input.pppTtys ?? {});
    if (modem) link.modem = modem;
    links.push(link);
  }
  return { links, excluded, tools: input.tools };
}

function stateOf(l: IpLink): LinkState {
  if (!l.flags.includes("UP")) return "down";
  if (l.flags.includes("NO-CARRIER") || l.operstate === "LOWERLAYERDOWN") return "no-carrier";
  if (l.operstate === "DORMANT") return "dormant";
  // ppp and many modems report UNKNOWN: LOWER_UP is what counts.
  if (l.operstate === "DOWN" && !l.flags.includes("LOWER_UP")) return "no-carrier";
  return "up";
}

/** Global, settled addresses; per family the stable ones before IPv6 privacy addresses. */
function bindable(addrs: IpAddress[]): LinkAddress[] {
  const ok = addrs.filter((a) => a.usable && a.scope === "global");
  const order = (a: IpAddress) => (a.family === 4 ? 0 : 2) + (a.temporary ? 1 : 0);
  return ok
    .map((a, i) => ({ a, i }))
    .sort((x, y) => order(x.a) - order(y.a) || x.i - y.i)
    .map(({ a }) => {
      const out: LinkAddress = { family: a.family, address: a.local, prefixlen: a.prefixlen };
      if (a.peer) out.peer = a.peer;
      return out;
    });
}

function bestGateway(defaults: IpRoute[], family: Family): string | undefined {
  const rank = (r: IpRoute) => (r.table === "main" ? 0 : 1);
  const withGw = defaults
    .filter((r) => r.family === family && r.gateway)
    .sort((a, b) => rank(a) - rank(b) || (a.metric ?? 0) - (b.metric ?? 0));
  return withGw[0]?.gateway;
}

function modemOf(
  ifname: string,
  kind: LinkKind,
  modems: ModemInfo[],
  pppTtys: Record<string, string>,
): LinkModem | undefined {
  let m = modems.find((m) => m.ports.some((p) => p.type === "net" && p.name === ifname));
  const tty = pppTtys[ifname];
  if (!m && kind === "ppp" && tty) m = modems.find((m) => m.ports.some((p) => p.name === tty));
  if (!m) return undefined;
  const out: LinkModem = { index: m.index };
  for (const k of ["model", "state", "provider", "technology", "signal"] as const) {
    if (m[k] !== undefined) (out as unknown as Record<string, unknown>)[k] = m[k];
  }
  return out;
}

/**
 * The preferred address of `family` on a link, if it has one.
 * @example
 * ```ts
 * addressOf(link, 4); // "10.112.34.56"
 * ```
 */
export function addressOf(link: DiscoveredLink, family: Family): string | undefined {
  return link.addresses.find((a) => a.family === family)?.address;
}
