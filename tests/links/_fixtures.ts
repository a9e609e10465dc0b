/**
 * The captured outputs of a multi-modem box (fixtures/ip, fixtures/mmcli) and the inventory
 * they make: eth0 (PCI, IPv4 + IPv6), wlan0 (Wi-Fi, IPv6 still tentative), enx0c5b8f279a64
 * (a USB-tethered HiLink modem), wwan0 (a QMI modem, IPv4 + IPv6), ppp0 (a serial modem,
 * no default route in main), ppp1 (routed by an earlier `links route --apply`), and left out:
 * lo, docker0 (a bridge with no route out), eth1 (no carrier), tun0 (a VPN tunnel).
 * @module
 */
import {
  buildInventory,
  type DiscoveryInput,
  type Inventory,
  parseIpAddrs,
  parseIpLinks,
  parseIpRoutes,
  parseIpRules,
  parseModem,
  parseSysfsListing,
} from "../../core/links/mod.ts";

const root = new URL("../../fixtures/", import.meta.url);

/**
 * A fixture file's text.
 * @example
 * ```ts
 * const text = fixture("ip/addr.json");
 * ```
 */
export function fixture(path: string): string {
  return Deno.readTextFileSync(new URL(path, root));
}

/**
 * Everything discovery reads on the fixture box, parsed.
 * @example
 * ```ts
 * const inv = buildInventory(boxInput());
 * ```
 */
export function boxInput(overrides: Partial<DiscoveryInput> = {}): DiscoveryInput {
  return {
    links: parseIpLinks(fixture("ip/link.json")),
    addrs: parseIpAddrs(fixture("ip/addr.json")),
    routes: [
      ...parseIpRoutes(fixture("ip/route4.json"), 4),
      ...parseIpRoutes(fixture("ip/route6.json"), 6),
    ],
    sysfs: parseSysfsListing(fixture("ip/sysfs.tsv")),
    modems: [parseModem(fixture("mmcli/modem-0.json")), parseModem(fixture("mmcli/modem-1.json"))],
    pppTtys: { ppp0: "ttyUSB6" },
    tools: [{ tool: "mmcli", status: "ok" }],
    ...overrides,
  };
}

/**
 * The fixture box's inventory.
 * @example
 * ```ts
 * box().links.map((l) => l.name);
 * ```
 */
export function box(overrides: Partial<DiscoveryInput> = {}): Inventory {
  return buildInventory(boxInput(overrides));
}

/**
 * The kernel's rules and routes on the fixture box.
 * @example
 * ```ts
 * const now = boxRouting();
 * ```
 */
export function boxRouting() {
  return {
    routes: boxInput().routes,
    rules: [
      ...parseIpRules(fixture("ip/rule4.json"), 4),
      ...parseIpRules(fixture("ip/rule6.json"), 6),
    ],
  };
}
