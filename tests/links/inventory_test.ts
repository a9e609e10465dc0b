import assert from "node:assert/strict";
import { addressOf, buildInventory } from "../../core/links/mod.ts";
import { box, boxInput } from "./_fixtures.ts";

Deno.test("buildInventory() finds the box's WAN links in ifindex order", () => {
  assert.deepEqual(box().links.map((l) => [l.name, l.kind, l.evidence]), [
    ["eth0", "ethernet", "pci device"],
    ["wlan0", "wifi", "sysfs wireless"],
    ["enx0c5b8f279a64", "usb-ethernet", "driver cdc_ether"],
    ["wwan0", "wwan", "devtype wwan"],
    ["ppp0", "ppp", "link type ppp"],
    ["ppp1", "ppp", "link type ppp"],
  ]);
});

Deno.test("buildInventory() leaves out loopback, no carrier and tunnels, saying why", () => {
  assert.deepEqual(box().excluded.map((x) => [x.name, x.reason, x.detail]), [
    ["lo", "loopback", "loopback"],
    ["docker0", "down", "no carrier (cable or radio down)"],
    ["eth1", "down", "no carrier (cable or radio down)"],
    ["tun0", "not-wan", "not a WAN link (tun interface)"],
  ]);
});

Deno.test("buildInventory() leaves out a bridge that is up but has no route out", () => {
  const input = boxInput();
  const docker = input.links.find((l) => l.ifname === "docker0")!;
  docker.flags = ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"];
  docker.operstate = "UP";
  const x = buildInventory(input).excluded.find((e) => e.name === "docker0");
  assert.deepEqual(x, {
    name: "docker0",
    kind: "ethernet",
    reason: "no-route",
    detail: "no default route uses it",
  });
});

Deno.test("buildInventory() picks addresses, gateways and point-to-point per link", () => {
  const by = (n: string) => box().links.find((l) => l.name === n)!;
  const eth0 = by("eth0");
  // The stable IPv6 address before the privacy one; no link-local.
  assert.deepEqual(eth0.addresses.map((a) => a.address), [
    "192.168.1.50",
    "2a02:8109:b6c0:1a00:20d:b9ff:fe5f:2c10",
    "2a02:8109:b6c0:1a00:6f3e:9d2a:1c44:7b01",
  ]);
  assert.equal(eth0.gateway4, "192.168.1.1");
  assert.equal(eth0.gateway6, "fe80::1");
  assert.equal(eth0.pointToPoint, false);
  // wlan0's IPv6 address is still tentative.
  assert.equal(addressOf(by("wlan0"), 6), undefined);
  assert.equal(addressOf(by("wlan0"), 4), "172.20.10.4");
  // ppp0: no default route in main, but point-to-point: usable, no gateway.
  const ppp0 = by("ppp0");
  assert.equal(ppp0.pointToPoint, true);
  assert.equal(ppp0.gateway4, undefined);
  assert.deepEqual(ppp0.addresses, [
    { family: 4, address: "10.112.34.56", prefixlen: 32, peer: "10.64.64.64" },
  ]);
  assert.equal(by("wwan0").pointToPoint, true, "raw-IP wwan is POINTOPOINT");
  assert.equal(by("wwan0").gateway4, "10.64.12.8");
});

Deno.test("buildInventory() attaches ModemManager's data by net port and by PPP tty", () => {
  const by = (n: string) => box().links.find((l) => l.name === n)!;
  assert.deepEqual(by("wwan0").modem, {
    index: 0,
    model: "QUECTEL Mobile Broadband Module",
    state: "connected",
    provider: "Movistar",
    technology: "lte",
    signal: 67,
  });
  assert.equal(by("ppp0").modem?.index, 1, "ppp0's peer file dials ttyUSB6, modem 1's port");
  assert.equal(by("ppp0").modem?.provider, "21401");
  assert.equal(by("ppp1").modem, undefined);
  assert.equal(by("eth0").modem, undefined);
});

Deno.test("buildInventory() without ModemManager still lists every link, and keeps the note", () => {
  const inv = box({ modems: [], tools: [{ tool: "mmcli", status: "not-installed" }] });
  assert.equal(inv.links.length, 6);
  assert.ok(inv.links.every((l) => l.modem === undefined));
  assert.deepEqual(inv.tools, [{ tool: "mmcli", status: "not-installed" }]);
});

Deno.test("buildInventory() sees a link whose only default route is in a policy table", () => {
  // ppp1's default route is in table 102 only (an earlier links route --apply).
  const ppp1 = box().links.find((l) => l.name === "ppp1")!;
  assert.ok(ppp1);
  const input = boxInput();
  input.routes = input.routes.filter((r) => r.dev !== "enx0c5b8f279a64" || r.table !== "main");
  input.routes.push({
    family: 4,
    type: "unicast",
    dst: "default",
    gateway: "192.168.8.1",
    dev: "enx0c5b8f279a64",
    table: "103",
  });
  const usb = buildInventory(input).links.find((l) => l.name === "enx0c5b8f279a64");
  assert.equal(usb?.gateway4, "192.168.8.1");
});
