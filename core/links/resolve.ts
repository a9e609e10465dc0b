/**
 * Turns `--link` specs into local addresses to bind: an address must be on this machine, an
 * interface name resolves to its address. Pure: the interface list comes in as data (from
 * `Deno.networkInterfaces()` at the edge).
 * @module
 */
import type { LinkKind } from "../frame/types.ts";

/**
 * One address of one interface, as `Deno.networkInterfaces()` lists it.
 * @example
 * ```ts
 * const a: InterfaceAddress = { name: "ppp0", family: "IPv4", address: "10.64.0.2",
 *   netmask: "255.255.255.255", scopeid: null };
 * ```
 */
export interface InterfaceAddress {
  name: string;
  family: "IPv4" | "IPv6";
  address: string;
  netmask: string;
  scopeid: number | null;
}

/**
 * A link bound to a concrete local address.
 * @example
 * ```ts
 * const r: ResolvedLink = { name: "ppp0", localAddress: "10.64.0.2", family: 4, kind: "ppp" };
 * ```
 */
export interface ResolvedLink {
  /** What the user named. */
  name: string;
  localAddress: string;
  family: 4 | 6;
  kind: LinkKind;
  /** The interface that holds the address, when known. */
  interfaceName?: string;
}

/**
 * A `--link` that names nothing on this machine.
 * @example
 * ```ts
 * throw new LinkResolveError("--link ppp9: no such interface here");
 * ```
 */
export class LinkResolveError extends Error {
  override name = "LinkResolveError";
}

/**
 * Guesses the kind of an interface from its name until `links scan` knows better.
 * @example
 * ```ts
 * kindFromName("ppp0"); // "ppp"
 * ```
 */
export function kindFromName(name: string): LinkKind {
  if (/^ppp/.test(name)) return "ppp";
  if (/^(wwan|wwp|rmnet|usb)/.test(name)) return "wwan";
  if (/^(wl|wlan)/.test(name)) return "wifi";
  if (/^(eth|en|em)/.test(name)) return "ethernet";
  if (name === "lo") return "loopback";
  return "unknown";
}

/**
 * Resolves an interface name or an address to the local address to bind.
 * `preferFamily` picks the address family for an interface with both (the server's).
 * @example
 * ```ts
 * resolveLink({ kind: "address", address: "127.0.0.2", family: 4 }, ifaces);
 * ```
 */
export function resolveLink(
  target: { kind: "address"; address: string; family: 4 | 6 } | { kind: "interface"; name: string },
  ifaces: readonly InterfaceAddress[],
  preferFamily: 4 | 6 = 4,
): ResolvedLink {
  if (target.kind === "interface") {
    const mine = ifaces.filter((i) => i.name === target.name);
    if (mine.length === 0) {
      const names = [...new Set(ifaces.map((i) => i.name))].join(", ");
      throw new LinkResolveError(
        `--link ${target.name}: no such interface here (interfaces: ${names || "none"})`,
      );
    }
    const want = preferFamily === 4 ? "IPv4" : "IPv6";
    // Prefer a global address of the server's family; link-local v6 cannot reach a server.
    const usable = mine.filter((i) => !(i.family === "IPv6" && i.address.startsWith("fe80")));
    const pick = usable.find((i) => i.family === want) ?? usable[0];
    if (!pick) {
      throw new LinkResolveError(`--link ${target.name}: the interface has no usable address`);
    }
    return {
      name: target.name,
      localAddress: pick.address,
      family: pick.family === "IPv4" ? 4 : 6,
      kind: kindFromName(target.name),
      interfaceName: target.name,
    };
  }
  const address = target.address.replace(/^\[|\]$/g, "");
  const holder = ifaces.find((i) => sameAddress(i.address, address)) ??
    ifaces.find((i) =>
      i.name === "lo" && target.family === 4 && isIn(address, i.address, i.netmask)
    );
  if (!holder) {
    throw new LinkResolveError(
      `--link ${address}: no interface on this machine has that address ` +
        "(see `ip addr`; a modem's address changes when it reconnects)",
    );
  }
  return {
    name: address,
    localAddress: address,
    family: target.family,
    kind: kindFromName(holder.name),
    interfaceName: holder.name,
  };
}

function sameAddress(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function v4(a: string): number | null {
  const p = a.split(".").map(Number);
  if (p.length !== 4 || p.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) return null;
  return ((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]) >>> 0;
}

/** Is `addr` inside the IPv4 subnet of `ifAddr`/`mask`? (All of 127/8 answers on `lo`.) */
function isIn(addr: string, ifAddr: string, mask: string): boolean {
  const a = v4(addr), b = v4(ifAddr), m = v4(mask);
  if (a === null || b === null || m === null) return false;
  return ((a & m) >>> 0) === ((b & m) >>> 0);
}
