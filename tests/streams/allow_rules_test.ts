// Tests of core/streams/allow_rules.ts, in order: a numbered table of rules that parse (with
// what they hold), a numbered table of rules that are refused (with the exact message), a
// numbered table of checkDestination() verdicts (name rules, wildcards, CIDRs, ports, the
// special ranges and DNS rebinding, IPv4-mapped and NAT64 forms), every special range against
// broad and naming rules, specialRangeOf(), and a seeded fuzz test that checkDestination()
// never throws (replay: BONDCTL_FUZZ_SEED=N deno test --allow-env=BONDCTL_FUZZ_SEED
// tests/streams/).

import assert from "node:assert/strict";
import {
  type AllowRule,
  checkDestination,
  parseAllowRule,
  parseAllowRules,
  specialRangeOf,
} from "../../core/streams/allow_rules.ts";
import { formatIpNetwork, parseIpAddress, toV6Space } from "../../core/config/ip_address.ts";
import { fuzzSeed, mulberry32 } from "./_random.ts";

/** A rule's host as one string, for compact tables. */
function hostOf(rule: AllowRule): string {
  const h = rule.host;
  if (h.kind === "name") return `name ${h.name}`;
  if (h.kind === "wildcard") return `wildcard ${h.suffix}`;
  return `network ${formatIpNetwork(h.network)}`;
}

// ---- Rules that parse ----

const accepted: Array<[number, string, string, Array<[number, number]>]> = [
  [1, "downloads.example.com:443", "name downloads.example.com", [[443, 443]]],
  [2, "Downloads.Example.COM.:443", "name downloads.example.com", [[443, 443]]],
  [3, "*.example.com:80,443", "wildcard example.com", [[80, 80], [443, 443]]],
  [4, "203.0.113.0/24:*", "network 203.0.113.0/24", [[1, 65535]]],
  [5, "203.0.113.7:8000-8100", "network 203.0.113.7/32", [[8000, 8100]]],
  [6, "[2001:db8::1]:443", "network 2001:db8::1/128", [[443, 443]]],
  [7, "[2001:DB8::/32]:443", "network 2001:db8::/32", [[443, 443]]],
  [8, "0.0.0.0/0:*", "network 0.0.0.0/0", [[1, 65535]]],
  [9, "[::/0]:*", "network ::/0", [[1, 65535]]],
  [10, "127.0.0.1:8080", "network 127.0.0.1/32", [[8080, 8080]]],
  [11, "[::1]:22", "network ::1/128", [[22, 22]]],
  [12, "a.b:443,80,81-90,85", "name a.b", [[80, 90], [443, 443]]], // sorted and merged
  [13, "a.b:1,65535", "name a.b", [[1, 1], [65535, 65535]]],
  [14, "  a.b:443  ", "name a.b", [[443, 443]]], // surrounding spaces from a shell quote
  [15, "localhost:631", "name localhost", [[631, 631]]],
  [16, "_svc.example.com:5060", "name _svc.example.com", [[5060, 5060]]],
  [17, "*.com:443", "wildcard com", [[443, 443]]],
  [18, "[::ffff:10.0.0.0/104]:80", "network ::ffff:10.0.0.0/104", [[80, 80]]],
  [19, "x.example:10-10", "name x.example", [[10, 10]]],
  [20, "10.0.0.0/8:22,2222", "network 10.0.0.0/8", [[22, 22], [2222, 2222]]],
];

for (const [n, text, host, ports] of accepted) {
  Deno.test(`parseAllowRule() accepts case ${n}: ${text}`, () => {
    const rule = parseAllowRule(text);
    assert.equal(rule.text, text);
    assert.equal(hostOf(rule), host);
    assert.deepEqual(rule.ports, ports);
  });
}

// ---- Rules that are refused ----

const refused: Array<[number, string, string]> = [
  [1, "foo:99999", "port 99999 is out of range 1-65535"],
  [2, "foo:0", "port 0 is out of range 1-65535"],
  [3, "foo:" + "9".repeat(400), `port ${"9".repeat(400)} is out of range 1-65535`],
  [4, "foo:0443", 'port "0443" has a leading zero'],
  [5, "foo:https", '"https" is not a port number'],
  [6, "foo:-1", '"" is not a port number'],
  [7, "foo:+80", '"+80" is not a port number'],
  [8, "foo:", "missing ports after ':' (a port, a range 8000-8100, a list, or *)"],
  [9, "foo", "missing :PORTS (e.g. example.com:443, or example.com:* for any port)"],
  [10, "foo:8100-8000", "port range 8100-8000 is reversed (write 8000-8100)"],
  [11, "foo:80,,443", 'empty item in the port list "80,,443"'],
  [12, "foo:80,", 'empty item in the port list "80,"'],
  [13, "foo:80,*", '"*" stands alone: it already means every port'],
  [14, "foo:1-2-3", '"2-3" is not a port number'],
  [
    15,
    "*:443",
    "there is no catch-all host; to allow every destination write 0.0.0.0/0:* and [::/0]:* " +
    "(loopback and private addresses still need rules of their own)",
  ],
  [
    16,
    "*:*",
    "there is no catch-all host; to allow every destination write 0.0.0.0/0:* and [::/0]:* " +
    "(loopback and private addresses still need rules of their own)",
  ],
  [17, ":443", "missing host before :PORTS"],
  [18, "", "empty rule (expected HOST:PORTS, e.g. example.com:443)"],
  [19, "a.b:80 c.d:80", "a rule has no spaces (one rule per --allow)"],
  [20, "2001:db8::1:443", "IPv6 addresses go in brackets: [2001:db8::1]:443"],
  [21, "[2001:db8::1]", "missing :PORTS after the IPv6 address (e.g. [::1]:443)"],
  [22, "[2001:db8::1:443", '"[" without "]" (IPv6 rules look like [2001:db8::1]:443)'],
  [23, "[2001:db8::]/32:443", "put the prefix inside the brackets: [2001:db8::/32]:PORTS"],
  [24, "[1.2.3.4]:80", "brackets are for IPv6 addresses; write IPv4 without them"],
  [25, "[fe80::1%eth0]:80", "a zone (%eth0) names an interface of this host, not a destination"],
  [26, "[example.com]:80", '"example.com" is not an IPv4 or IPv6 address'],
  [27, "203.0.113.5/24:*", "host bits are set after /24: did you mean 203.0.113.0/24?"],
  [28, "10.0.0.0/33:*", 'prefix "/33" must be a number from 0 to 32'],
  [29, "300.1.1.1:80", '"300.1.1.1" is not an IPv4 or IPv6 address'],
  [30, "1.2.3:80", '"1.2.3" is not an IPv4 or IPv6 address'],
  [31, "01.2.3.4:80", '"01.2.3.4" is not an IPv4 or IPv6 address'],
  [32, "example.com/24:80", '"example.com" is not an IPv4 or IPv6 address'],
  [33, "a*.example.com:80", 'a wildcard is only allowed as a whole first label: "*.example.com"'],
  [34, "a.*.example.com:80", 'a wildcard is only allowed as a whole first label: "*.example.com"'],
  [35, "*.:80", "wildcard *.: empty host name"],
  [
    36,
    "*.*.example.com:80",
    'wildcard *.*.example.com: host name label "*" is not letters, ' +
    'digits, "-" and "_" (1-63, no "-" at an end)',
  ],
  [
    37,
    "exa_mple!.com:80",
    'host name label "exa_mple!" is not letters, digits, "-" and "_" ' +
    '(1-63, no "-" at an end)',
  ],
  [38, "a..b:80", 'host name "a..b" has an empty label'],
  [
    39,
    "-a.b:80",
    'host name label "-a" is not letters, digits, "-" and "_" (1-63, no "-" at an end)',
  ],
  [
    40,
    `${"a".repeat(64)}.com:80`,
    `host name label "${"a".repeat(64)}" is not letters, digits, ` +
    '"-" and "_" (1-63, no "-" at an end)',
  ],
  [41, `${"a.".repeat(127)}com:80`, "host name is 257 characters long (at most 253)"],
  [
    42,
    "bücher.de:443",
    'host name label "bücher" is not letters, digits, "-" and "_" ' +
    '(1-63, no "-" at an end)',
  ],
  [43, "0x7f000001:80", '"0x7f000001" is neither a host name nor a dotted-decimal IPv4 address'],
  [
    44,
    "*.1.2.3:80",
    'wildcard *.1.2.3: "1.2.3" is neither a host name nor a dotted-decimal ' +
    "IPv4 address",
  ],
];

for (const [n, text, message] of refused) {
  Deno.test(`parseAllowRule() refuses case ${n}: ${JSON.stringify(text.slice(0, 40))}`, () => {
    assert.throws(() => parseAllowRule(text), (error) => {
      assert.ok(error instanceof Error);
      assert.equal(error.message, `--allow ${JSON.stringify(text)}: ${message}`);
      return true;
    });
  });
}

Deno.test("parseAllowRules() parses all or throws on the first bad rule", () => {
  assert.equal(parseAllowRules(["a.b:1", "[::/0]:*"]).length, 2);
  assert.throws(() => parseAllowRules(["a.b:1", "c:0", "d:x"]), /--allow "c:0": port 0/);
});

// ---- checkDestination() ----

/**
 * [case, rules, name the client asked for, address it resolved to, port, expected]: expected
 * is "ok" or a pattern that the reason must match.
 */
const verdicts: Array<[number, string[], string, string, number, "ok" | RegExp]> = [
  // No rules: never an open proxy.
  [1, [], "example.com", "93.184.216.34", 443, /^the relay allows no destinations: add --allow$/],
  // Name rules: exact, case-insensitive, trailing dot; the port must be in the same rule.
  [2, ["downloads.example.com:443"], "downloads.example.com", "203.0.113.9", 443, "ok"],
  [3, ["downloads.example.com:443"], "DOWNLOADS.example.COM.", "203.0.113.9", 443, "ok"],
  [
    4,
    ["downloads.example.com:443"],
    "downloads.example.com",
    "203.0.113.9",
    80,
    /"downloads\.example\.com" resolved to 203\.0\.113\.9:80: port 80 is not in "downloads\.example\.com:443"$/,
  ],
  [
    5,
    ["downloads.example.com:443"],
    "example.com",
    "203.0.113.9",
    443,
    /"example\.com" resolved to 203\.0\.113\.9:443: no --allow rule matches$/,
  ],
  [
    6,
    ["downloads.example.com:443"],
    "evil-downloads.example.com",
    "203.0.113.9",
    443,
    /no --allow rule matches/,
  ],
  [
    7,
    ["downloads.example.com:443"],
    "downloads.example.com.evil.net",
    "203.0.113.9",
    443,
    /no --allow rule matches/,
  ],
  // Wildcards: subdomains at any depth, never the apex, never a lookalike.
  [8, ["*.example.com:443"], "a.example.com", "203.0.113.9", 443, "ok"],
  [9, ["*.example.com:443"], "a.b.example.com", "203.0.113.9", 443, "ok"],
  [10, ["*.example.com:443"], "example.com", "203.0.113.9", 443, /no --allow rule matches/],
  [11, ["*.example.com:443"], "badexample.com", "203.0.113.9", 443, /no --allow rule matches/],
  [12, ["*.example.com:443"], "a..example.com", "203.0.113.9", 443, /no --allow rule matches/],
  // A name rule does not match an address literal that happens to be what it resolves to.
  [
    13,
    ["example.com:443"],
    "93.184.216.34",
    "93.184.216.34",
    443,
    /^93\.184\.216\.34:443: no --allow rule matches$/,
  ],
  // Address and CIDR rules match the resolved address, whatever the name.
  [14, ["203.0.113.0/24:*"], "anything.example", "203.0.113.200", 8443, "ok"],
  [15, ["203.0.113.0/24:*"], "anything.example", "203.0.114.1", 443, /no --allow rule matches/],
  [16, ["203.0.113.0/24:*"], "203.0.113.1", "203.0.113.1", 1, "ok"],
  [17, ["203.0.113.7:8000-8100"], "x", "203.0.113.7", 8100, "ok"],
  [
    18,
    ["203.0.113.7:8000-8100"],
    "x",
    "203.0.113.7",
    8101,
    /port 8101 is not in "203\.0\.113\.7:8000-8100"/,
  ],
  [19, ["[2001:db8::/32]:443"], "v6.example", "2001:db8:ffff::1", 443, "ok"],
  [
    20,
    ["[2001:db8::/32]:443"],
    "v6.example",
    "2001:db9::1",
    443,
    /\[2001:db9::1\]:443: no --allow/,
  ],
  [21, ["[2001:db8::1]:443"], "2001:DB8:0::1", "2001:db8::1", 443, "ok"],
  // An IPv4 rule covers the IPv4-mapped form of its addresses, and the other way round.
  [22, ["203.0.113.0/24:443"], "x", "::ffff:203.0.113.5", 443, "ok"],
  [23, ["[::ffff:203.0.113.0/120]:443"], "x", "203.0.113.5", 443, "ok"],
  // The catch-alls, spelled out, open the Internet...
  [24, ["0.0.0.0/0:*", "[::/0]:*"], "example.com", "93.184.216.34", 443, "ok"],
  [25, ["0.0.0.0/0:*", "[::/0]:*"], "example.com", "2606:2800:220:1::1", 443, "ok"],
  [26, ["0.0.0.0/0:*"], "example.com", "2606:2800:220:1::1", 443, /no --allow rule matches/],
  // ...but not the relay's loopback, link-local or private networks.
  [
    27,
    ["0.0.0.0/0:*", "[::/0]:*"],
    "127.0.0.1",
    "127.0.0.1",
    22,
    /^127\.0\.0\.1:22: 127\.0\.0\.1 is a loopback address; only an --allow rule inside 127\.0\.0\.0\/8 admits it \(e\.g\. 127\.0\.0\.1:22\); "0\.0\.0\.0\/0:\*", "\[::\/0\]:\*" do not$/,
  ],
  [
    28,
    ["0.0.0.0/0:*", "[::/0]:*"],
    "::1",
    "::1",
    22,
    /^\[::1\]:22: ::1 is a loopback address; only an --allow rule inside ::1\/128 admits it \(e\.g\. \[::1\]:22\); "\[::\/0\]:\*" does not$/,
  ],
  [
    29,
    ["0.0.0.0/0:*"],
    "meta",
    "169.254.169.254",
    80,
    /a link-local address; only an --allow rule inside 169\.254\.0\.0\/16/,
  ],
  [
    30,
    ["0.0.0.0/0:*"],
    "x",
    "10.1.2.3",
    443,
    /a private address; only an --allow rule inside 10\.0\.0\.0\/8/,
  ],
  [31, ["0.0.0.0/0:*"], "x", "172.31.0.1", 443, /a private address; .* inside 172\.16\.0\.0\/12/],
  [32, ["0.0.0.0/0:*"], "x", "192.168.1.1", 443, /a private address; .* inside 192\.168\.0\.0\/16/],
  [
    33,
    ["[::/0]:*"],
    "x",
    "fd00::1",
    443,
    /a private \(unique local\) address; .* inside fc00::\/7/,
  ],
  [34, ["[::/0]:*"], "x", "fe80::1", 443, /a link-local address; .* inside fe80::\/10/],
  [35, ["0.0.0.0/0:*"], "x", "0.0.0.0", 80, /an? unspecified address/],
  [36, ["[::/0]:*"], "x", "::", 80, /unspecified address; .* inside ::\/128/],
  [37, ["0.0.0.0/0:*"], "x", "224.0.0.251", 5353, /a multicast address/],
  [38, ["[::/0]:*"], "x", "ff02::fb", 5353, /a multicast address; .* inside ff00::\/8/],
  [39, ["0.0.0.0/0:*"], "x", "255.255.255.255", 9, /a reserved address/],
  [40, ["0.0.0.0/0:*"], "x", "100.64.0.1", 80, /shared \(carrier-grade NAT\)/],
  // DNS rebinding: an allowed name pointed at the relay itself is refused.
  [
    41,
    ["downloads.example.com:443"],
    "downloads.example.com",
    "127.0.0.1",
    443,
    /^"downloads\.example\.com" resolved to 127\.0\.0\.1:443: 127\.0\.0\.1 is a loopback address; .*; "downloads\.example\.com:443" does not$/,
  ],
  [42, ["*.example.com:*"], "a.example.com", "10.0.0.5", 5432, /private address/],
  [
    43,
    ["*.example.com:*"],
    "a.example.com",
    "::ffff:127.0.0.1",
    6379,
    /loopback address; only an --allow rule inside 127\.0\.0\.0\/8/,
  ],
  [
    44,
    ["*.example.com:*", "[::/0]:*"],
    "a.example.com",
    "::ffff:10.0.0.1",
    80,
    /"\*\.example\.com:\*", "\[::\/0\]:\*" do not$/,
  ],
  [
    45,
    ["*.example.com:*"],
    "a.example.com",
    "64:ff9b::7f00:1",
    80,
    /loopback \(inside NAT64\) address; .* inside 64:ff9b::7f00:0\/104/,
  ],
  [46, ["*.example.com:*"], "a.example.com", "::7f00:1", 80, /deprecated IPv4-compatible address/],
  // A rule naming a special address admits it, on its ports only.
  [47, ["127.0.0.1:8080"], "127.0.0.1", "127.0.0.1", 8080, "ok"],
  [48, ["127.0.0.1:8080"], "localhost", "127.0.0.1", 8080, "ok"],
  [
    49,
    ["127.0.0.1:8080"],
    "127.0.0.1",
    "127.0.0.1",
    8081,
    /port 8081 is not in "127\.0\.0\.1:8080"/,
  ],
  [50, ["127.0.0.1:8080"], "x", "127.0.0.2", 8080, /loopback address/],
  [51, ["127.0.0.0/8:*"], "x", "127.9.9.9", 1, "ok"],
  [52, ["127.0.0.1:8080"], "x", "::ffff:127.0.0.1", 8080, "ok"],
  [53, ["[::ffff:127.0.0.1]:8080"], "x", "127.0.0.1", 8080, "ok"],
  [54, ["10.0.0.0/8:443"], "db.internal", "10.20.30.40", 443, "ok"],
  [
    55,
    ["10.0.0.0/7:443"],
    "db.internal",
    "10.20.30.40",
    443,
    /private address; .* "10\.0\.0\.0\/7:443" does not$/,
  ], // wider than 10/8
  [56, ["[fe80::/10]:22"], "x", "fe80::1", 22, "ok"],
  [57, ["[::1]:22"], "x", "::1", 22, "ok"],
  [58, ["[::/0]:*", "[::1]:22"], "x", "::1", 22, "ok"],
  [59, ["[fd00::/8]:443"], "x", "fd12::1", 443, "ok"], // inside fc00::/7
  [60, ["169.254.169.254:80"], "x", "169.254.169.254", 80, "ok"],
  [61, ["[64:ff9b::7f00:1]:80"], "x", "64:ff9b::7f00:1", 80, "ok"],
  // NAT64 to a public address is an ordinary address.
  [62, ["[64:ff9b::/96]:443"], "x", "64:ff9b::5db8:d822", 443, "ok"],
  // Malformed input from the adapter: refused, never thrown.
  [
    63,
    ["0.0.0.0/0:*"],
    "x",
    "example.com",
    443,
    /^the resolved address "example\.com" is not an IP address$/,
  ],
  [64, ["0.0.0.0/0:*"], "x", "1.2.3.4", 0, /^port 0 is out of range 1-65535$/],
  [65, ["0.0.0.0/0:*"], "x", "1.2.3.4", 65536, /^port 65536 is out of range/],
  [66, ["0.0.0.0/0:*"], "x", "1.2.3.4", 1.5, /^port 1\.5 is out of range/],
  [67, ["0.0.0.0/0:*"], "x", "fe80::1%eth0", 80, /is not an IP address/],
  [68, ["0.0.0.0/0:*"], "x", "", 80, /is not an IP address/],
  // The name may be empty (an address-only request) and need not be a host name.
  [69, ["203.0.113.0/24:*"], "", "203.0.113.1", 80, "ok"],
  [70, ["*.example.com:*"], "\u0000.example.com", "203.0.113.1", 80, /no --allow rule matches/],
];

for (const [n, texts, name, address, port, expected] of verdicts) {
  Deno.test(`checkDestination() case ${n}: ${name || "(no name)"} -> ${address}:${port}`, () => {
    const verdict = checkDestination(parseAllowRules(texts), name, address, port);
    if (expected === "ok") {
      assert.deepEqual(verdict, { ok: true });
    } else {
      assert.equal(verdict.ok, false);
      assert.match((verdict as { reason: string }).reason, expected);
    }
  });
}

// ---- Every special range ----

/** [address inside a special range, the smallest rule that names its range] */
const specials: Array<[string, string]> = [
  ["0.1.2.3", "0.0.0.0/8"],
  ["10.255.0.1", "10.0.0.0/8"],
  ["100.127.255.254", "100.64.0.0/10"],
  ["127.255.255.255", "127.0.0.0/8"],
  ["169.254.0.1", "169.254.0.0/16"],
  ["172.16.0.1", "172.16.0.0/12"],
  ["192.168.255.255", "192.168.0.0/16"],
  ["239.255.255.250", "224.0.0.0/4"],
  ["240.0.0.1", "240.0.0.0/4"],
  ["::", "[::/128]"],
  ["::1", "[::1/128]"],
  ["::10.0.0.1", "[::/96]"],
  ["fc00::1", "[fc00::/7]"],
  ["fdff:ffff::1", "[fc00::/7]"],
  ["febf::1", "[fe80::/10]"],
  ["fec0::1", "[fec0::/10]"],
  ["ff05::2", "[ff00::/8]"],
  ["::ffff:192.168.0.1", "192.168.0.0/16"],
  ["64:ff9b::a00:1", "[64:ff9b::a00:0/104]"],
];

for (const [address, naming] of specials) {
  Deno.test(`checkDestination() refuses ${address} to broad rules and admits it to ${naming}`, () => {
    const broad = parseAllowRules(["0.0.0.0/0:*", "[::/0]:*", "x.example:*"]);
    const refusal = checkDestination(broad, "x.example", address, 443);
    assert.equal(refusal.ok, false, `${address} must be special`);
    const admitted = checkDestination(
      parseAllowRules([`${naming}:443`]),
      "x.example",
      address,
      443,
    );
    assert.deepEqual(admitted, { ok: true }, JSON.stringify(admitted));
  });
}

const ordinary = [
  "1.1.1.1",
  "9.255.255.255",
  "11.0.0.0",
  "100.63.255.255",
  "100.128.0.0",
  "126.255.255.255",
  "128.0.0.0",
  "169.253.255.255",
  "172.15.255.255",
  "172.32.0.0",
  "192.167.255.255",
  "192.169.0.0",
  "223.255.255.255",
  "2001:db8::1",
  "2606:4700::1111",
  "fbff::1",
  "fe00::1",
  "2a00::1",
  "::ffff:8.8.8.8",
  "64:ff9b::808:808",
  "::1:0:0:1",
];

Deno.test("specialRangeOf() leaves ordinary addresses at the edges of special ranges alone", () => {
  for (const address of ordinary) {
    assert.equal(specialRangeOf(toV6Space(parseIpAddress(address)!)), undefined, address);
    const rules = parseAllowRules(["0.0.0.0/0:443", "[::/0]:443"]);
    assert.deepEqual(checkDestination(rules, "", address, 443), { ok: true }, address);
  }
});

Deno.test("specialRangeOf() labels and prints the most specific range", () => {
  const of = (a: string) => {
    const range = specialRangeOf(toV6Space(parseIpAddress(a)!));
    return range && `${range.label} ${formatIpNetwork(range.network)}`;
  };
  assert.equal(of("::1"), "loopback ::1/128"); // not the wider ::/96
  assert.equal(of("::"), "unspecified ::/128");
  assert.equal(of("::ffff:127.0.0.1"), "loopback 127.0.0.0/8");
  assert.equal(of("64:ff9b::a9fe:a9fe"), "link-local (inside NAT64) 64:ff9b::a9fe:0/112");
});

// ---- Seeded fuzzing ----

Deno.test("checkDestination() never throws on 20,000 random names, addresses and ports", () => {
  const seed = fuzzSeed();
  console.log(`fuzz seed ${seed} (replay with BONDCTL_FUZZ_SEED=${seed} and --allow-env)`);
  const random = mulberry32(seed);
  const pick = (n: number) => Math.floor(random() * n);
  const rules = parseAllowRules([
    "0.0.0.0/0:443",
    "[::/0]:80-90",
    "*.example.com:*",
    "10.0.0.0/8:22",
    "[fe80::/10]:*",
  ]);
  const alphabet = "0123456789abcdef.:%[]/-*xX ";
  const text = () =>
    Array.from({ length: pick(24) }, () => alphabet[pick(alphabet.length)]).join("");
  const address = () => {
    const bytes = Uint8Array.from({ length: 16 }, () => (random() < 0.5 ? 0 : pick(256)));
    if (random() < 0.3) [bytes[10], bytes[11]] = [0xff, 0xff];
    const groups = Array.from({ length: 8 }, (_, g) => ((bytes[2 * g] << 8) | bytes[2 * g + 1]));
    return random() < 0.5 ? `${pick(256)}.${pick(256)}.${pick(256)}.${pick(256)}` : groups
      .map((g) => g.toString(16)).join(":");
  };
  const counts = { ok: 0, refused: 0 };
  for (let i = 0; i < 20_000; i++) {
    const name = random() < 0.5 ? `${text()}.example.com` : text();
    const addr = random() < 0.8 ? address() : text();
    const port = random() < 0.9 ? 1 + pick(65535) : [0, -1, 1.5, NaN, 70000][pick(5)];
    const verdict = checkDestination(rules, name, addr, port);
    counts[verdict.ok ? "ok" : "refused"]++;
    if (!verdict.ok) assert.ok(verdict.reason.length > 0);
  }
  console.log(`verdicts ${JSON.stringify(counts)}`);
  assert.ok(counts.ok > 500 && counts.refused > 500, JSON.stringify(counts));
});
