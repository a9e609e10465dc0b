import assert from "node:assert/strict";
import type { LinkKind } from "../../core/frame/types.ts";
import {
  classifyInterface,
  type IpLink,
  kindFromInterfaceName,
  parseSysfsListing,
  parseUeventDevtype,
  type SysfsFacts,
} from "../../core/links/mod.ts";

const link = (ifname: string, more: Partial<IpLink> = {}): IpLink => ({
  ifindex: 1,
  ifname,
  flags: ["UP", "LOWER_UP"],
  linkType: "ether",
  ...more,
});

// #, interface, sysfs facts, expected kind, expected evidence
const CASES: [number, IpLink, SysfsFacts, LinkKind, string][] = [
  [
    1,
    link("lo", { linkType: "loopback", flags: ["LOOPBACK", "UP"] }),
    {},
    "loopback",
    "link type loopback",
  ],
  [2, link("ppp0", { linkType: "ppp" }), {}, "ppp", "link type ppp"],
  [3, link("pppoe-wan", { linkType: "ppp" }), {}, "ppp", "link type ppp"],
  [
    4,
    link("wwan0", { linkType: "none" }),
    { driver: "qmi_wwan", subsystem: "usb", devtype: "wwan" },
    "wwan",
    "devtype wwan",
  ],
  [
    5,
    link("wwp0s20f0u6i4", { linkType: "none" }),
    { driver: "cdc_mbim", subsystem: "usb" },
    "wwan",
    "driver cdc_mbim",
  ],
  [6, link("mhi_hwip0", { linkType: "none" }), { driver: "mhi_net" }, "wwan", "driver mhi_net"],
  [
    7,
    link("enx0c5b8f279a64"),
    { driver: "cdc_ether", subsystem: "usb" },
    "usb-ethernet",
    "driver cdc_ether",
  ],
  [
    8,
    link("usb0"),
    { driver: "rndis_host", subsystem: "usb" },
    "usb-ethernet",
    "driver rndis_host",
  ],
  [9, link("eth2"), { driver: "some_new_usb_nic", subsystem: "usb" }, "usb-ethernet", "usb device"],
  [10, link("enx001122334455"), {}, "usb-ethernet", "name"],
  [
    11,
    link("wlan0"),
    { wireless: true, driver: "iwlwifi", subsystem: "pci", devtype: "wlan" },
    "wifi",
    "sysfs wireless",
  ],
  [12, link("wlp2s0"), { devtype: "wlan" }, "wifi", "devtype wlan"],
  [
    13,
    link("wlx00c0ca123456"),
    { wireless: true, driver: "rt2800usb", subsystem: "usb" },
    "wifi",
    "sysfs wireless",
  ],
  [14, link("eth0"), { driver: "igb", subsystem: "pci" }, "ethernet", "pci device"],
  [15, link("enp3s0"), { driver: "r8169", subsystem: "pci" }, "ethernet", "pci device"],
  [16, link("eth0"), { driver: "virtio_net", subsystem: "virtio" }, "ethernet", "virtio device"],
  [17, link("wan1", { infoKind: "veth" }), {}, "ethernet", "veth interface"],
  [
    18,
    link("docker0", { infoKind: "bridge" }),
    { devtype: "bridge" },
    "ethernet",
    "bridge interface",
  ],
  [19, link("tun0", { linkType: "none", infoKind: "tun" }), {}, "unknown", "tun interface"],
  [
    20,
    link("wg0", { linkType: "none", infoKind: "wireguard" }),
    {},
    "unknown",
    "wireguard interface",
  ],
  [21, link("ifb0", { infoKind: "ifb" }), {}, "unknown", "ifb interface"],
  [22, link("ppp9", { infoKind: "veth" }), {}, "ppp", "name"],
  [23, link("foo0", { linkType: "ether" }), {}, "ethernet", "link type ether"],
  [24, link("can0", { linkType: "can" }), {}, "unknown", "link type can"],
];

Deno.test("classifyInterface() tells ppp, wwan, usb-ethernet, ethernet, wifi apart (table)", () => {
  for (const [n, l, sys, kind, evidence] of CASES) {
    assert.deepEqual(classifyInterface(l, sys), { kind, evidence }, `#${n} ${l.ifname}`);
  }
});

Deno.test("kindFromInterfaceName() guesses from common Linux names", () => {
  const names: [string, LinkKind][] = [
    ["ppp1", "ppp"],
    ["wwan1", "wwan"],
    ["rmnet_data0", "wwan"],
    ["usb0", "usb-ethernet"],
    ["wlan1", "wifi"],
    ["eno1", "ethernet"],
    ["lo", "loopback"],
    ["tailscale0", "unknown"],
  ];
  for (const [name, kind] of names) assert.equal(kindFromInterfaceName(name), kind, name);
});

Deno.test("parseSysfsListing() and parseUeventDevtype() read sysfs facts", () => {
  assert.deepEqual(parseSysfsListing("wlan0\t1\tiwlwifi\tpci\twlan\nlo\t0\t\t\t\n\n"), {
    wlan0: { wireless: true, driver: "iwlwifi", subsystem: "pci", devtype: "wlan" },
    lo: {},
  });
  assert.equal(parseUeventDevtype("DEVTYPE=wwan\nINTERFACE=wwan0\n"), "wwan");
  assert.equal(parseUeventDevtype("INTERFACE=eth0\nIFINDEX=2\n"), undefined);
});
