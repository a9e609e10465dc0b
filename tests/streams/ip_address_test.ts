// Tests of core/config/ip_address.ts, in order: a numbered table of IPv4 texts, a numbered
// table of IPv6 texts with their canonical (RFC 5952) form, a table of networks and of network
// errors, containment, and two seeded cross-checks: against Node's `net.isIP` on generated
// texts, and against the WHATWG URL serializer on random addresses (replay:
// BONDCTL_FUZZ_SEED=N deno test --allow-env=BONDCTL_FUZZ_SEED tests/streams/).

import assert from "node:assert/strict";
import net from "node:net";
import {
  formatIpNetwork,
  formatIPv6,
  type IpNetwork,
  isIPv4Mapped,
  networkContains,
  networkWithin,
  parseIpAddress,
  parseIpNetwork,
  parseIPv4,
  parseIPv6,
  toV6Space,
} from "../../core/config/ip_address.ts";
import { fuzzSeed, mulberry32 } from "./_random.ts";

// ---- IPv4 ----

const ipv4: Array<[number, string, number[] | undefined]> = [
  [1, "0.0.0.0", [0, 0, 0, 0]],
  [2, "255.255.255.255", [255, 255, 255, 255]],
  [3, "192.0.2.1", [192, 0, 2, 1]],
  [4, "256.0.0.1", undefined],
  [5, "01.2.3.4", undefined], // octal to inet_aton
  [6, "127.1", undefined], // short form to inet_aton
  [7, "0x7f.0.0.1", undefined],
  [8, "1.2.3.4.", undefined],
  [9, "1.2.3", undefined],
  [10, "1.2.3.4.5", undefined],
  [11, "", undefined],
  [12, " 1.2.3.4", undefined],
  [13, "1.2.3.-4", undefined],
  [14, "1..3.4", undefined],
  [15, "1.2.3.1000", undefined],
  [16, "１.2.3.4", undefined], // a full-width digit
];

for (const [n, text, octets] of ipv4) {
  Deno.test(`parseIPv4() case ${n}: ${JSON.stringify(text)}`, () => {
    const got = parseIPv4(text);
    assert.deepEqual(got ? [...got] : undefined, octets);
  });
}

// ---- IPv6 ----

/** [case, text, canonical form or undefined when invalid] */
const ipv6: Array<[number, string, string | undefined]> = [
  [1, "::", "::"],
  [2, "::1", "::1"],
  [3, "0:0:0:0:0:0:0:1", "::1"],
  [4, "2001:DB8::1", "2001:db8::1"],
  [5, "2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"],
  [6, "2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"], // equal runs: the first is compressed
  [7, "2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"], // one zero group stays
  [8, "1:0:0:2:0:0:0:3", "1:0:0:2::3"], // the longest run wins
  [9, "fe80::", "fe80::"],
  [10, "::ffff:1.2.3.4", "::ffff:1.2.3.4"],
  [11, "::FFFF:0102:0304", "::ffff:1.2.3.4"], // mapped is printed with IPv4 (RFC 5952, 5)
  [12, "64:ff9b::192.0.2.33", "64:ff9b::c000:221"],
  [13, "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"],
  [14, "1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"],
  [15, "1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"],
  [16, "::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"],
  [17, "1::2::3", undefined],
  [18, "1:2:3:4:5:6:7:8:9", undefined],
  [19, "1:2:3:4:5:6:7", undefined],
  [20, "1::2:3:4:5:6:7:8", undefined], // "::" must stand for at least one group
  [21, ":1::", undefined],
  [22, "1::2:", undefined],
  [23, ":::", undefined],
  [24, "12345::", undefined],
  [25, "g::1", undefined],
  [26, "fe80::1%eth0", undefined], // zones name interfaces of this host
  [27, "[::1]", undefined],
  [28, "::1.2.3.4:5", undefined], // IPv4 only in last place
  [29, "1.2.3.4::", undefined],
  [30, "::ffff:01.2.3.4", undefined],
  [31, "1:2:3:4:5:6:7:1.2.3.4", undefined], // nine groups
  [32, "", undefined],
  [33, ":", undefined],
  [34, "::1 ", undefined],
];

for (const [n, text, canonical] of ipv6) {
  Deno.test(`parseIPv6()/formatIPv6() case ${n}: ${JSON.stringify(text)}`, () => {
    const got = parseIPv6(text);
    assert.equal(got ? formatIPv6(got) : undefined, canonical);
    if (got) assert.deepEqual(parseIPv6(formatIPv6(got)), got, "the canonical form parses back");
  });
}

Deno.test("parseIpAddress() tells the families apart and refuses names", () => {
  assert.equal(parseIpAddress("10.0.0.1")?.family, 4);
  assert.equal(parseIpAddress("::1")?.family, 6);
  assert.equal(parseIpAddress("example.com"), undefined);
  assert.equal(parseIpAddress("localhost"), undefined);
});

Deno.test("toV6Space() maps IPv4 to ::ffff:a.b.c.d and isIPv4Mapped() sees it", () => {
  const lifted = toV6Space(parseIpAddress("127.0.0.1")!);
  assert.equal(formatIPv6(lifted), "::ffff:127.0.0.1");
  assert.ok(isIPv4Mapped(lifted));
  assert.ok(!isIPv4Mapped(parseIPv6("::127.0.0.1")!));
  assert.ok(!isIPv4Mapped(parseIPv6("64:ff9b::127.0.0.1")!));
});

// ---- Networks ----

const networks: Array<[number, string, string]> = [
  // [case, text, printed form or error message]
  [1, "10.0.0.0/8", "10.0.0.0/8"],
  [2, "0.0.0.0/0", "0.0.0.0/0"],
  [3, "192.0.2.7", "192.0.2.7/32"],
  [4, "2001:db8::/32", "2001:db8::/32"],
  [5, "::/0", "::/0"],
  [6, "::1", "::1/128"],
  [7, "203.0.113.5/24", "host bits are set after /24: did you mean 203.0.113.0/24?"],
  [8, "2001:db8::1/32", "host bits are set after /32: did you mean 2001:db8::/32?"],
  [9, "10.0.0.0/33", 'prefix "/33" must be a number from 0 to 32'],
  [10, "::/129", 'prefix "/129" must be a number from 0 to 128'],
  [11, "10.0.0.0/08", 'prefix "/08" must be a number from 0 to 32'],
  [12, "10.0.0.0/", 'prefix "/" must be a number from 0 to 32'],
  [13, "10.0.0/8", '"10.0.0" is not an IPv4 or IPv6 address'],
  [14, "10.0.0.0/8/8", 'prefix "/8/8" must be a number from 0 to 32'],
  [15, "172.16.0.0/12", "172.16.0.0/12"],
  [16, "172.17.0.0/12", "host bits are set after /12: did you mean 172.16.0.0/12?"],
];

for (const [n, text, expected] of networks) {
  Deno.test(`parseIpNetwork() case ${n}: ${text}`, () => {
    const got = parseIpNetwork(text);
    assert.equal(typeof got === "string" ? got : formatIpNetwork(got), expected);
  });
}

const net4 = (text: string) => parseIpNetwork(text) as IpNetwork;
const addr = (text: string) => toV6Space(parseIpAddress(text)!);

Deno.test("networkContains() checks whole octets and the partial octet of a prefix", () => {
  assert.ok(networkContains(net4("172.16.0.0/12"), addr("172.31.255.255")));
  assert.ok(!networkContains(net4("172.16.0.0/12"), addr("172.32.0.0")));
  assert.ok(!networkContains(net4("172.16.0.0/12"), addr("172.15.255.255")));
  assert.ok(networkContains(net4("0.0.0.0/0"), addr("8.8.8.8")));
  assert.ok(!networkContains(net4("0.0.0.0/0"), addr("2001:db8::1")), "IPv4 /0 is not ::/0");
  assert.ok(networkContains(net4("::/0"), addr("8.8.8.8")), "::/0 holds the mapped space");
  assert.ok(networkContains(net4("fe80::/10"), addr("febf::1")));
  assert.ok(!networkContains(net4("fe80::/10"), addr("fec0::1")));
  assert.ok(networkContains(net4("::ffff:10.0.0.0/104"), addr("10.1.2.3")), "mapped = IPv4");
});

Deno.test("networkWithin() is containment of whole networks", () => {
  assert.ok(networkWithin(net4("10.1.0.0/16"), net4("10.0.0.0/8")));
  assert.ok(networkWithin(net4("10.0.0.0/8"), net4("10.0.0.0/8")));
  assert.ok(!networkWithin(net4("10.0.0.0/7"), net4("10.0.0.0/8")));
  assert.ok(!networkWithin(net4("0.0.0.0/0"), net4("127.0.0.0/8")));
  assert.ok(networkWithin(net4("127.0.0.1"), net4("127.0.0.0/8")));
});

// ---- Seeded cross-checks ----

/** A text that is often almost an IPv6 address: groups, "::", an IPv4 tail, stray octets. */
function ipv6ish(random: () => number): string {
  const pick = (n: number) => Math.floor(random() * n);
  const groups = 1 + pick(9);
  const parts: string[] = [];
  for (let i = 0; i < groups; i++) {
    const r = random();
    parts.push(
      r < 0.15
        ? ""
        : r < 0.2
        ? `${pick(300)}.${pick(300)}.${pick(9)}.${pick(256)}`
        : r < 0.25
        ? "0" + pick(10)
        : pick(0x1ffff).toString(16),
    );
  }
  let text = parts.join(":");
  if (random() < 0.4) {
    const at = pick(text.length + 1);
    text = text.slice(0, at) + "::" + text.slice(at);
  }
  return text;
}

Deno.test("parseIPv6() and parseIPv4() agree with node:net isIP on 50,000 generated texts", () => {
  const seed = fuzzSeed();
  console.log(`seed ${seed} (replay with BONDCTL_FUZZ_SEED=${seed} and --allow-env)`);
  const random = mulberry32(seed);
  let valid = 0;
  for (let i = 0; i < 50_000; i++) {
    const text = random() < 0.2
      ? Array.from({ length: 4 }, () => String(Math.floor(random() * 300))).join(".")
      : ipv6ish(random);
    const mine = parseIPv4(text) ? 4 : parseIPv6(text) ? 6 : 0;
    assert.equal(mine, net.isIP(text), `case ${i} of seed ${seed}: ${JSON.stringify(text)}`);
    if (mine) valid++;
  }
  // Both outcomes must be common, or the generator does not test anything.
  assert.ok(valid > 5_000 && valid < 45_000, `valid ${valid}`);
});

Deno.test("formatIPv6() matches the WHATWG URL serializer on 20,000 random addresses", () => {
  const seed = fuzzSeed();
  console.log(`seed ${seed} (replay with BONDCTL_FUZZ_SEED=${seed} and --allow-env)`);
  const random = mulberry32(seed);
  for (let i = 0; i < 20_000; i++) {
    // Mostly zero groups, so that runs of every length and position come up.
    const bytes = new Uint8Array(16);
    for (let g = 0; g < 8; g++) {
      if (random() < 0.5) continue;
      bytes[2 * g] = random() < 0.5 ? 0 : Math.floor(random() * 256);
      bytes[2 * g + 1] = Math.floor(random() * 256);
    }
    if (isIPv4Mapped(bytes)) continue; // the URL serializer prints those in hex
    const text = formatIPv6(bytes);
    const where = `case ${i} of seed ${seed}: ${text}`;
    assert.equal(new URL(`http://[${text}]/`).hostname, `[${text}]`, where);
    assert.deepEqual(parseIPv6(text), bytes, where);
  }
});
