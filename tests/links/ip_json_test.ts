import assert from "node:assert/strict";
import {
  parseIpAddrs,
  parseIpLinks,
  parseIpRoutes,
  parseIpRules,
  ToolOutputError,
} from "../../core/links/mod.ts";
import { fixture } from "./_fixtures.ts";

Deno.test("parseIpLinks() reads ip -j -d link: names, flags, link type, info_kind", () => {
  const links = parseIpLinks(fixture("ip/link.json"));
  assert.equal(links.length, 10);
  const by = (n: string) => links.find((l) => l.ifname === n)!;
  assert.equal(by("wwan0").linkType, "none");
  assert.deepEqual(by("wwan0").flags, ["POINTOPOINT", "NOARP", "UP", "LOWER_UP"]);
  assert.equal(by("docker0").infoKind, "bridge");
  assert.equal(by("tun0").infoKind, "tun");
  assert.equal(by("ppp1").linkType, "ppp");
  assert.equal(by("eth0").mtu, 1500);
});

Deno.test("parseIpAddrs() flattens addresses, with peers, scopes and DAD state", () => {
  const addrs = parseIpAddrs(fixture("ip/addr.json"));
  const ppp0 = addrs.filter((a) => a.ifname === "ppp0");
  assert.deepEqual(ppp0[0], {
    ifname: "ppp0",
    family: 4,
    local: "10.112.34.56",
    peer: "10.64.64.64",
    prefixlen: 32,
    scope: "global",
    temporary: false,
    usable: true,
  });
  assert.equal(ppp0[1].scope, "link");
  const wlan6 = addrs.find((a) => a.ifname === "wlan0" && a.family === 6 && a.scope === "global")!;
  assert.equal(wlan6.usable, false, "a tentative address is not usable");
  const tmp = addrs.find((a) => a.local === "2a02:8109:b6c0:1a00:6f3e:9d2a:1c44:7b01")!;
  assert.equal(tmp.temporary, true);
  assert.equal(addrs.filter((a) => a.ifname === "eth1").length, 0);
});

Deno.test("parseIpRoutes() puts routes without a table field in main, keeps types", () => {
  const routes = parseIpRoutes(fixture("ip/route4.json"), 4);
  const def = routes.filter((r) => r.dst === "default");
  assert.deepEqual(def.map((r) => [r.dev, r.table, r.type]), [
    ["eth0", "main", "unicast"],
    ["wlan0", "main", "unicast"],
    ["enx0c5b8f279a64", "main", "unicast"],
    ["wwan0", "main", "unicast"],
    ["ppp1", "102", "unicast"],
    [undefined, "102", "unreachable"],
  ]);
  assert.equal(routes.find((r) => r.type === "local")?.table, "local");
  // `ip route show table 101` prints no table field: the caller names it.
  const shown = parseIpRoutes('[{"dst":"default","gateway":"10.0.0.1","dev":"eth0"}]', 4, "101");
  assert.equal(shown[0].table, "101");
});

Deno.test("parseIpRules() reads priorities, sources (with a prefix length) and tables", () => {
  assert.deepEqual(parseIpRules(fixture("ip/rule4.json"), 4)[1], {
    family: 4,
    priority: 5000,
    src: "100.71.3.9",
    table: "102",
  });
  const prefixed = parseIpRules('[{"priority":9,"src":"10.1.0.0","srclen":16,"table":"7"}]', 4);
  assert.equal(prefixed[0].src, "10.1.0.0/16");
  const host6 = parseIpRules('[{"priority":9,"src":"2001:db8::1","srclen":128,"table":"7"}]', 6);
  assert.equal(host6[0].src, "2001:db8::1");
  assert.deepEqual(parseIpRules("", 6), [], "ip prints nothing for no rules");
});

// #, input, the message must name
const BROKEN: [number, () => unknown, RegExp][] = [
  [1, () => parseIpLinks("not json"), /^ip -j -d link: output is not JSON/],
  [2, () => parseIpLinks('{"ifname":"eth0"}'), /^ip -j -d link: unexpected output at \(top\)/],
  [3, () => parseIpLinks('[{"ifindex":1}]'), /^ip -j -d link: unexpected output at 0\.ifname/],
  [
    4,
    () => parseIpAddrs('[{"ifindex":1,"ifname":"x","addr_info":[{"family":"inet"}]}]'),
    /^ip -j addr: .*0\.addr_info\.0\.prefixlen/,
  ],
  [5, () => parseIpRoutes('[{"gateway":"1.2.3.4"}]', 4), /^ip -j -4 route: .*0\.dst/],
  [6, () => parseIpRules('[{"src":"all"}]', 6), /^ip -j -6 rule: .*0\.priority/],
  [7, () => parseIpRoutes('[{"dst":"default","metric":-1}]', 4), /metric/],
];

Deno.test("ip parsers reject malformed output, naming the tool and the field (table)", () => {
  for (const [n, run, message] of BROKEN) {
    assert.throws(run, (e: unknown) => {
      assert.ok(e instanceof ToolOutputError, `#${n}: ${e}`);
      assert.match(e.message, message, `#${n}`);
      return true;
    });
  }
});

Deno.test("ip parsers ignore fields they do not use", () => {
  const links = parseIpLinks(
    '[{"ifindex":9,"ifname":"x","flags":[],"future_field":{"a":1},"link_type":"ether"}]',
  );
  assert.equal(links[0].ifname, "x");
});
