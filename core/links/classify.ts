/**
 * Which kind of link an interface is: ppp, wwan, usb-ethernet, ethernet, wifi, loopback, or
 * unknown (tunnels and other virtual devices, which are not WAN links of this box).
 *
 * Evidence, strongest first: the kernel's link type (loopback, ppp); sysfs (wireless, DEVTYPE,
 * the USB driver); `ip -d`'s info_kind (veth, bridge, tun ...); the interface name, for what
 * sysfs cannot tell (a name like enx001e101f0000 or usb0). Pure.
 * @module
 */
import type { LinkKind } from "../frame/types.ts";
import type { IpLink } from "./ip_json.ts";
import type { SysfsFacts } from "./sysfs.ts";

/** Drivers of cellular modems that expose a raw-IP or Ethernet-like data interface. */
const WWAN_DRIVERS = new Set(["qmi_wwan", "cdc_mbim", "mhi_net", "mhi_wwan_mbim", "ipa", "rmnet"]);
/** Drivers of USB-tethered phones and HiLink-style modems, and USB Ethernet dongles. */
const USB_ETHERNET_DRIVERS = new Set([
  "cdc_ether",
  "cdc_ncm",
  "rndis_host",
  "ipheth",
  "huawei_cdc_ncm",
  "r8152",
  "ax88179_178a",
  "asix",
  "smsc95xx",
  "lan78xx",
]);
/** Virtual kinds that are not WAN links (they ride on another link, or lead nowhere). */
const NOT_WAN_INFO_KINDS = new Set([
  "tun",
  "tap",
  "wireguard",
  "gre",
  "gretap",
  "ipip",
  "sit",
  "ip6tnl",
  "vti",
  "vxlan",
  "geneve",
  "dummy",
  "ifb",
  "nlmon",
  "bond",
  "team",
]);

/**
 * Guesses a kind from the interface name alone (the fallback when sysfs says nothing).
 * @example
 * ```ts
 * kindFromInterfaceName("enx0c5b8f279a64"); // "usb-ethernet"
 * kindFromInterfaceName("wwp0s20f0u6i4"); // "wwan"
 * ```
 */
export function kindFromInterfaceName(name: string): LinkKind {
  if (name === "lo") return "loopback";
  if (/^ppp\d*/.test(name)) return "ppp";
  if (/^(wwan|wwp|rmnet|mhi)/.test(name)) return "wwan";
  // systemd names USB NICs by MAC (enx...); RNDIS/CDC tethering shows up as usb0.
  if (/^(enx|usb)/.test(name)) return "usb-ethernet";
  if (/^(wl|wlan|wlp|ath|ra\d)/.test(name)) return "wifi";
  if (/^(eth|en|em|eno|ens|enp|veth|br)/.test(name)) return "ethernet";
  return "unknown";
}

/**
 * Classifies one interface, with the evidence that decided it.
 * @example
 * ```ts
 * classifyInterface(
 *   { ifindex: 5, ifname: "wwan0", flags: ["POINTOPOINT", "UP"], linkType: "none" },
 *   { driver: "qmi_wwan", subsystem: "usb", devtype: "wwan" },
 * ); // { kind: "wwan", evidence: "driver qmi_wwan" }
 * ```
 */
export function classifyInterface(
  link: IpLink,
  sys: SysfsFacts = {},
): { kind: LinkKind; evidence: string } {
  const name = link.ifname;
  if (link.linkType === "loopback" || link.flags.includes("LOOPBACK")) {
    return { kind: "loopback", evidence: "link type loopback" };
  }
  if (link.linkType === "ppp") return { kind: "ppp", evidence: "link type ppp" };
  if (sys.wireless || sys.devtype === "wlan") {
    return { kind: "wifi", evidence: sys.wireless ? "sysfs wireless" : "devtype wlan" };
  }
  if (sys.devtype === "wwan") return { kind: "wwan", evidence: "devtype wwan" };
  if (sys.driver && WWAN_DRIVERS.has(sys.driver)) {
    return { kind: "wwan", evidence: `driver ${sys.driver}` };
  }
  if (sys.driver && USB_ETHERNET_DRIVERS.has(sys.driver)) {
    return { kind: "usb-ethernet", evidence: `driver ${sys.driver}` };
  }
  if (sys.subsystem === "usb") return { kind: "usb-ethernet", evidence: "usb device" };
  if (link.infoKind && NOT_WAN_INFO_KINDS.has(link.infoKind)) {
    return { kind: "unknown", evidence: `${link.infoKind} interface` };
  }
  // A name says more than "ether" for ppp/wwan/usb names on virtual or odd devices.
  const byName = kindFromInterfaceName(name);
  if (byName !== "unknown" && byName !== "ethernet") return { kind: byName, evidence: "name" };
  if (
    sys.subsystem || link.infoKind === "veth" || link.infoKind === "bridge" ||
    link.infoKind === "vlan" || link.infoKind === "macvlan"
  ) {
    if (link.linkType === "ether" || link.linkType === undefined) {
      return {
        kind: "ethernet",
        evidence: sys.subsystem ? `${sys.subsystem} device` : `${link.infoKind} interface`,
      };
    }
  }
  if (link.linkType === "ether") return { kind: "ethernet", evidence: "link type ether" };
  if (byName === "ethernet") return { kind: "ethernet", evidence: "name" };
  return { kind: "unknown", evidence: `link type ${link.linkType ?? "?"}` };
}
