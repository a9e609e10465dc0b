import assert from "node:assert/strict";
import { type AutoChange, AutoLinkSet, buildInventory, isExcluded } from "../../core/links/mod.ts";
import { box, boxInput } from "./_fixtures.ts";

const summary = (cs: AutoChange[]) =>
  cs.map((c) =>
    c.type === "leave"
      ? `leave ${c.index} ${c.name}: ${c.why}`
      : `${c.type} ${c.index} ${c.name} ${c.caps.localAddress}`
  );

const newSet = (over: Partial<ConstructorParameters<typeof AutoLinkSet>[0]> = {}) =>
  new AutoLinkSet({
    family: 4,
    defaults: { cost: 1, priority: "primary" },
    overrides: new Map(),
    exclude: [],
    firstIndex: 1,
    ...over,
  });

Deno.test("AutoLinkSet joins every usable link of the server's family on the first scan", () => {
  assert.deepEqual(summary(newSet().update(box())), [
    "join 1 eth0 192.168.1.50",
    "join 2 wlan0 172.20.10.4",
    "join 3 enx0c5b8f279a64 192.168.8.100",
    "join 4 wwan0 10.64.12.7",
    "join 5 ppp0 10.112.34.56",
    "join 6 ppp1 100.71.3.9",
  ]);
  // IPv6 server: only links with a global IPv6 address.
  assert.deepEqual(summary(newSet({ family: 6 }).update(box())), [
    "join 1 eth0 2a02:8109:b6c0:1a00:20d:b9ff:fe5f:2c10",
    "join 2 wwan0 2a01:599:112:7c3e:48a1:33ff:fe20:91d4",
  ]);
});

Deno.test("AutoLinkSet applies --exclude by name and kind, and options by name", () => {
  const set = newSet({
    exclude: ["wifi", "eth0"],
    overrides: new Map([["ppp1", { cost: 2, priority: "backup", capBytes: 1e9 }]]),
    defaults: { cost: 1, priority: "secondary" },
    firstIndex: 3,
  });
  const joins = set.update(box()).filter((c) => c.type === "join");
  assert.deepEqual(joins.map((c) => c.name), ["enx0c5b8f279a64", "wwan0", "ppp0", "ppp1"]);
  assert.deepEqual(joins.map((c) => c.index), [3, 4, 5, 6]);
  const ppp1 = joins.find((c) => c.name === "ppp1")!;
  assert.equal(ppp1.type === "join" && ppp1.caps.cost, 2);
  assert.equal(ppp1.type === "join" && ppp1.caps.priority, "backup");
  assert.equal(ppp1.type === "join" && ppp1.caps.capBytes, 1e9);
  const wwan = joins.find((c) => c.name === "wwan0")!;
  assert.deepEqual(wwan.type === "join" && wwan.caps, {
    kind: "wwan",
    name: "wwan0",
    localAddress: "10.64.12.7",
    cost: 1,
    priority: "secondary",
    provider: "Movistar",
    signal: 67,
    technology: "lte",
  });
  assert.equal(isExcluded("wlan0", "wifi", ["wifi"]), true);
  assert.equal(isExcluded("wlan0", "wifi", ["wlan1"]), false);
});

Deno.test("AutoLinkSet: a vanished link leaves, comes back with its index, a moved one rejoins", () => {
  const set = newSet();
  set.update(box());
  assert.deepEqual(set.update(box()), [], "the same scan changes nothing");

  // 1. ppp0 vanishes, wwan0 loses its carrier
  const gone = boxInput();
  gone.links = gone.links.filter((l) => l.ifname !== "ppp0");
  gone.links.find((l) => l.ifname === "wwan0")!.flags = ["POINTOPOINT", "NOARP"];
  assert.deepEqual(summary(set.update(buildInventory(gone))), [
    "leave 4 wwan0: it is down",
    "leave 5 ppp0: the interface is gone",
  ]);
  // 2. both come back; ppp0 with a new address (a reconnect): same indices
  const back = boxInput();
  back.addrs.find((a) => a.ifname === "ppp0" && a.family === 4)!.local = "10.112.99.1";
  assert.deepEqual(summary(set.update(buildInventory(back))), [
    "join 4 wwan0 10.64.12.7",
    "join 5 ppp0 10.112.99.1",
  ]);
  // 3. eth0's address changes while it stays up: it rejoins from the new one
  const moved = boxInput();
  moved.addrs.find((a) => a.ifname === "eth0" && a.family === 4)!.local = "192.168.1.77";
  moved.addrs.find((a) => a.ifname === "ppp0" && a.family === 4)!.local = "10.112.99.1";
  const changes = set.update(buildInventory(moved));
  assert.deepEqual(summary(changes), ["rejoin 1 eth0 192.168.1.77"]);
  assert.equal(changes[0].type === "rejoin" && changes[0].from, "192.168.1.50");
  // 4. a new interface gets the next free index
  const more = boxInput();
  more.addrs.find((a) => a.ifname === "eth0" && a.family === 4)!.local = "192.168.1.77";
  more.addrs.find((a) => a.ifname === "ppp0" && a.family === 4)!.local = "10.112.99.1";
  more.links.push({
    ifindex: 20,
    ifname: "ppp2",
    flags: ["POINTOPOINT", "UP", "LOWER_UP"],
    linkType: "ppp",
  });
  more.addrs.push({
    ifname: "ppp2",
    family: 4,
    local: "10.99.0.2",
    peer: "10.64.64.66",
    prefixlen: 32,
    scope: "global",
    temporary: false,
    usable: true,
  });
  assert.deepEqual(summary(set.update(buildInventory(more))), ["join 7 ppp2 10.99.0.2"]);
  assert.equal(set.indexOf("ppp0"), 5);
});

Deno.test("AutoLinkSet: a link that loses only the server's family leaves with that reason", () => {
  const set = newSet();
  set.update(box());
  const input = boxInput();
  input.addrs = input.addrs.filter((a) => !(a.ifname === "eth0" && a.family === 4));
  assert.deepEqual(summary(set.update(buildInventory(input))), [
    "leave 1 eth0: it has no IPv4 address any more",
  ]);
});
