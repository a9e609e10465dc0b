import assert from "node:assert/strict";
import {
  assignTables,
  buildInventory,
  type CurrentRouting,
  type DiscoveredLink,
  type IpRoute,
  type IpRule,
  isPresent,
  parseRouteState,
  planApply,
  planRemove,
  type RouteItem,
  type RouteState,
  RouteStateError,
  showCommand,
  stateAfter,
} from "../../core/links/mod.ts";
import { box, boxInput, boxRouting } from "./_fixtures.ts";

const O = { tableBase: 100, priority: 5000 };

const ppp1Items: RouteItem[] = [
  { what: "default", link: "ppp1", family: 4, table: 102, dev: "ppp1" },
  { what: "unreachable", link: "ppp1", family: 4, table: 102, metric: 4000 },
  { what: "rule", link: "ppp1", family: 4, table: 102, src: "100.71.3.9", priority: 5000 },
];
const previous: RouteState = { version: 1, tables: { ppp1: 102 }, items: ppp1Items };

Deno.test("assignTables() keeps earlier tables and fills the lowest free numbers", () => {
  assert.deepEqual(assignTables(["a", "b", "c"], {}, 100), { a: 101, b: 102, c: 103 });
  assert.deepEqual(assignTables(["a", "b", "c"], { b: 101, gone: 103 }, 100), {
    b: 101,
    gone: 103,
    a: 102,
    c: 104,
  });
  assert.deepEqual(assignTables(["x"], {}, 200), { x: 201 });
});

Deno.test("planApply() on the fixture box: tables, routes and rules per link and family", () => {
  const plan = planApply(box().links, boxRouting(), previous, O);
  assert.deepEqual(plan.state.tables, {
    ppp1: 102,
    eth0: 101,
    wlan0: 103,
    enx0c5b8f279a64: 104,
    wwan0: 105,
    ppp0: 106,
  });
  assert.deepEqual(plan.inPlace, ppp1Items, "ppp1's table and rule are there already");
  assert.deepEqual(plan.commands.map((c) => showCommand(c.argv)), [
    "ip -4 route replace default via 192.168.1.1 dev eth0 table 101",
    "ip -4 route add unreachable default metric 4000 table 101",
    "ip -6 route replace default via fe80::1 dev eth0 table 101",
    "ip -6 route add unreachable default metric 4000 table 101",
    "ip -4 route replace default via 172.20.10.1 dev wlan0 table 103",
    "ip -4 route add unreachable default metric 4000 table 103",
    "ip -4 route replace default via 192.168.8.1 dev enx0c5b8f279a64 table 104",
    "ip -4 route add unreachable default metric 4000 table 104",
    // wwan0 is point-to-point (raw IP): dev only, whatever gateway ModemManager gave.
    "ip -4 route replace default dev wwan0 table 105",
    "ip -4 route add unreachable default metric 4000 table 105",
    "ip -6 route replace default dev wwan0 table 105",
    "ip -6 route add unreachable default metric 4000 table 105",
    "ip -4 route replace default dev ppp0 table 106",
    "ip -4 route add unreachable default metric 4000 table 106",
    "ip -4 rule add from 192.168.1.50 lookup 101 priority 5000",
    "ip -6 rule add from 2a02:8109:b6c0:1a00:20d:b9ff:fe5f:2c10 lookup 101 priority 5000",
    "ip -4 rule add from 172.20.10.4 lookup 103 priority 5000",
    "ip -4 rule add from 192.168.8.100 lookup 104 priority 5000",
    "ip -4 rule add from 10.64.12.7 lookup 105 priority 5000",
    "ip -6 rule add from 2a01:599:112:7c3e:48a1:33ff:fe20:91d4 lookup 105 priority 5000",
    "ip -4 rule add from 10.112.34.56 lookup 106 priority 5000",
  ]);
  assert.equal(plan.state.items.length, 24, "what it adds and what it had");
  assert.deepEqual(plan.notes, []);
});

Deno.test("planApply() records nothing it did not install", () => {
  // Without a state file, ppp1's rule in table 102 is someone else's: ppp1 gets a table of
  // its own, and nothing in 102 is recorded.
  const plan = planApply(box().links.filter((l) => l.name === "ppp1"), boxRouting(), null, O);
  assert.deepEqual(plan.state.tables, { ppp1: 101 });
  assert.ok(plan.state.items.every((i) => i.table === 101));
});

Deno.test("planApply() leaves out a family without a default route, with a note", () => {
  const input = boxInput();
  input.routes = input.routes.filter((r) => !(r.family === 6 && r.dev === "eth0"));
  const plan = planApply(
    buildInventory(input).links.filter((l) => l.name === "eth0"),
    boxRouting(),
    null,
    O,
  );
  assert.deepEqual(plan.notes, [
    "eth0: IPv6 address 2a02:8109:b6c0:1a00:20d:b9ff:fe5f:2c10 but no IPv6 default route: left out",
  ]);
  assert.ok(plan.commands.every((c) => c.item.family === 4));
});

Deno.test("planApply() replaces a changed gateway and deletes the rule of an old address", () => {
  const eth0 = box().links.find((l) => l.name === "eth0")!;
  const first = planApply([eth0], { routes: [], rules: [] }, null, O);
  const kernel = applyAll({ routes: [], rules: [] }, first.commands);
  const moved: DiscoveredLink = {
    ...eth0,
    addresses: [{ family: 4, address: "192.168.1.77", prefixlen: 24 }],
    gateway4: "192.168.1.254",
    gateway6: undefined,
  };
  const plan = planApply([moved], kernel, first.state, O);
  assert.deepEqual(plan.commands.map((c) => showCommand(c.argv)), [
    "ip -4 rule del from 192.168.1.50 lookup 101 priority 5000",
    "ip -6 rule del from 2a02:8109:b6c0:1a00:20d:b9ff:fe5f:2c10 lookup 101 priority 5000",
    "ip -6 route del default via fe80::1 dev eth0 table 101",
    "ip -6 route del unreachable default metric 4000 table 101",
    "ip -4 route replace default via 192.168.1.254 dev eth0 table 101",
    "ip -4 rule add from 192.168.1.77 lookup 101 priority 5000",
  ]);
});

Deno.test("planApply() keeps what it recorded for a link that is gone (it may come back)", () => {
  const plan = planApply([], boxRouting(), previous, O);
  assert.deepEqual(plan.commands, []);
  assert.deepEqual(plan.state, previous);
});

Deno.test("planRemove() deletes rules first, and lists what is already gone", () => {
  const state: RouteState = {
    version: 1,
    tables: { ppp1: 102, eth9: 109 },
    items: [...ppp1Items, {
      what: "unreachable",
      link: "eth9",
      family: 4,
      table: 109,
      metric: 4000,
    }],
  };
  const { commands, gone } = planRemove(state, boxRouting());
  assert.deepEqual(commands.map((c) => showCommand(c.argv)), [
    "ip -4 rule del from 100.71.3.9 lookup 102 priority 5000",
    "ip -4 route del default dev ppp1 table 102",
    "ip -4 route del unreachable default metric 4000 table 102",
  ]);
  assert.deepEqual(gone.map((g) => g.link), ["eth9"]);
});

Deno.test("stateAfter() records what ran before a failure", () => {
  const eth0 = box().links.find((l) => l.name === "eth0")!;
  const plan = planApply([eth0], { routes: [], rules: [] }, null, O);
  const partial = stateAfter(null, plan.state.tables, plan.commands.slice(0, 2));
  assert.deepEqual(partial.items, plan.commands.slice(0, 2).map((c) => c.item));
  assert.deepEqual(
    stateAfter(partial, partial.tables, [{ ...plan.commands[0], action: "del" }]).items,
    [
      plan.commands[1].item,
    ],
  );
});

// #, state file text, message
const BAD_STATE: [number, string, RegExp][] = [
  [1, "{", /is not JSON/],
  [2, '{"version":2,"tables":{},"items":[]}', /not a bondctl routing state file \(version/],
  [3, '{"version":1,"tables":{"a":0},"items":[]}', /tables\.a/],
  [
    4,
    '{"version":1,"tables":{},"items":[{"what":"rule","link":"a","family":5,"table":1,"src":"x","priority":1}]}',
    /items\.0\.family/,
  ],
  [5, '{"version":1,"tables":{},"items":[{"what":"bogus"}]}', /items\.0/],
];

Deno.test("parseRouteState() refuses files it did not write (table)", () => {
  for (const [n, text, message] of BAD_STATE) {
    assert.throws(
      () => parseRouteState(text, "/run/bondctl/routes.json"),
      (e: unknown) =>
        e instanceof RouteStateError && message.test(e.message) &&
        e.message.startsWith("/run/bondctl/routes.json"),
      `#${n}`,
    );
  }
  const ok = planApply(box().links, boxRouting(), null, O).state;
  assert.deepEqual(parseRouteState(JSON.stringify(ok), "x"), ok);
});

// ---- a simulated kernel, for the randomised test ----

function toKernel(item: RouteItem): { route?: IpRoute; rule?: IpRule } {
  const table = String(item.table);
  if (item.what === "rule") {
    return { rule: { family: item.family, priority: item.priority, src: item.src, table } };
  }
  if (item.what === "unreachable") {
    return {
      route: {
        family: item.family,
        type: "unreachable",
        dst: "default",
        metric: item.metric,
        table,
      },
    };
  }
  return {
    route: {
      family: item.family,
      type: "unicast",
      dst: "default",
      dev: item.dev,
      gateway: item.gateway,
      table,
    },
  };
}

function applyAll(
  k: CurrentRouting,
  commands: { item: RouteItem; action: "add" | "del" }[],
): CurrentRouting {
  let routes = [...k.routes];
  let rules = [...k.rules];
  for (const c of commands) {
    const { route, rule } = toKernel(c.item);
    const same = (r: IpRoute) => isPresent(c.item, { routes: [r], rules: [] });
    if (c.action === "del") {
      assert.ok(
        isPresent(c.item, { routes, rules }),
        `del of something absent: ${JSON.stringify(c.item)}`,
      );
      if (route) routes = routes.filter((r) => !same(r));
      if (rule) rules = rules.filter((r) => !isPresent(c.item, { routes: [], rules: [r] }));
      continue;
    }
    if (rule) {
      assert.ok(!isPresent(c.item, { routes, rules }), "a rule added twice");
      rules.push(rule);
    }
    if (route && c.item.what === "default") {
      // `replace`: the table's unicast default of that family is overwritten.
      routes = routes.filter((r) =>
        !(r.family === route.family && r.table === route.table && r.dst === "default" &&
          r.type === "unicast")
      );
      routes.push(route);
    } else if (route) {
      assert.ok(!isPresent(c.item, { routes, rules }), "a route added twice");
      routes.push(route);
    }
  }
  return { routes, rules };
}

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomLinks(r: () => number): DiscoveredLink[] {
  const n = 1 + Math.floor(r() * 6);
  const links: DiscoveredLink[] = [];
  for (let i = 0; i < n; i++) {
    const ptp = r() < 0.4;
    const name = ptp ? `ppp${i}` : `eth${i}`;
    const addresses: DiscoveredLink["addresses"] = [];
    if (r() < 0.85) {
      addresses.push({ family: 4, address: `10.${i}.${Math.floor(r() * 3)}.2`, prefixlen: 24 });
    }
    if (r() < 0.5) {
      addresses.push({
        family: 6,
        address: `2001:db8:${i}::${1 + Math.floor(r() * 3)}`,
        prefixlen: 64,
      });
    }
    if (addresses.length === 0) {
      addresses.push({ family: 4, address: `10.${i}.9.2`, prefixlen: 24 });
    }
    const l: DiscoveredLink = {
      name,
      ifindex: i + 2,
      kind: ptp ? "ppp" : "ethernet",
      evidence: "test",
      state: "up",
      addresses,
      pointToPoint: ptp,
    };
    if (!ptp && r() < 0.9) l.gateway4 = `10.${i}.0.${1 + Math.floor(r() * 2)}`;
    if (!ptp && r() < 0.6) l.gateway6 = `fe80::${1 + Math.floor(r() * 2)}`;
    links.push(l);
  }
  return links;
}

Deno.test("planApply() is idempotent and planRemove() undoes exactly it, on random boxes (seeded)", () => {
  const seed = Number(Deno.env.get("BONDCTL_SEED") ?? Math.floor(Math.random() * 2 ** 31));
  console.log(`seed ${seed} (replay with BONDCTL_SEED=${seed})`);
  const r = rng(seed);
  for (let round = 0; round < 300; round++) {
    const where = `seed ${seed}, round ${round}`;
    // Someone else's rule and route are there before bondctl, and must survive it.
    const original: CurrentRouting = {
      routes: [{
        family: 4,
        type: "unicast",
        dst: "default",
        gateway: "192.0.2.1",
        dev: "eth0",
        table: "main",
      }],
      rules: [{ family: 4, priority: 5000, src: "198.51.100.7", table: "77" }],
    };
    let kernel = original;
    let state: RouteState | null = null;
    // Three generations of links: addresses, gateways and the set of links change.
    for (let gen = 0; gen < 3; gen++) {
      const links = randomLinks(r);
      const plan = planApply(links, kernel, state, O);
      kernel = applyAll(kernel, plan.commands);
      state = plan.state;
      const again = planApply(links, kernel, state, O);
      assert.deepEqual(again.commands, [], `${where}: a second apply changes nothing`);
      assert.deepEqual(again.state, state, `${where}: nor the state`);
    }
    const { commands } = planRemove(state!, kernel);
    kernel = applyAll(kernel, commands);
    const ours = (t?: string) => Number(t) > O.tableBase && Number(t) < O.tableBase + 100;
    assert.deepEqual(kernel.rules.filter((x) => ours(x.table)), [], `${where}: a rule was left`);
    assert.deepEqual(kernel.routes.filter((x) => ours(x.table)), [], `${where}: a route was left`);
    assert.deepEqual(kernel, original, `${where}: others' rules and routes are untouched`);
  }
});
