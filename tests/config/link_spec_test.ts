import assert from "node:assert/strict";
import { type LinkSpec, OptionError, parseLinkSpec } from "../../core/config/mod.ts";

/** Asserts that `fn` throws a one-line OptionError mentioning every `parts` string. */
function assertOptionError(fn: () => unknown, parts: readonly string[], row: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof OptionError, `${row}: expected an OptionError, got ${e}`);
    assert.ok(!e.message.includes("\n"), `${row}: message is one line: ${e.message}`);
    for (const part of parts) {
      assert.ok(e.message.includes(part), `${row}: "${e.message}" should mention "${part}"`);
    }
    return true;
  }, row);
}

const defaults = { cost: 1, priority: "primary" } as const;

// #, input, expected spec without `raw` (raw is checked to be the input)
const ACCEPTED: [number, string, Omit<LinkSpec, "raw">][] = [
  [1, "ppp0", { target: { kind: "interface", name: "ppp0" }, ...defaults }],
  [2, "wwan0", { target: { kind: "interface", name: "wwan0" }, ...defaults }],
  [3, "enx001122334455", { target: { kind: "interface", name: "enx001122334455" }, ...defaults }],
  [4, "eth0.100", { target: { kind: "interface", name: "eth0.100" }, ...defaults }],
  [5, "192.168.8.100", {
    target: { kind: "address", address: "192.168.8.100", family: 4 },
    ...defaults,
  }],
  [6, "2001:db8::5", {
    target: { kind: "address", address: "2001:db8::5", family: 6 },
    ...defaults,
  }],
  [7, "[2001:db8::5]", {
    target: { kind: "address", address: "2001:db8::5", family: 6 },
    ...defaults,
  }],
  [8, "fe80::1%eth0", {
    target: { kind: "address", address: "fe80::1%eth0", family: 6 },
    ...defaults,
  }],
  [9, "auto", { target: { kind: "auto" }, ...defaults }],
  [10, "ppp0,cost=3", {
    target: { kind: "interface", name: "ppp0" },
    cost: 3,
    priority: "primary",
  }],
  [11, "ppp0,cost=0", {
    target: { kind: "interface", name: "ppp0" },
    cost: 0,
    priority: "primary",
  }],
  [12, "ppp0,cost=0.5,priority=backup", {
    target: { kind: "interface", name: "ppp0" },
    cost: 0.5,
    priority: "backup",
  }],
  [13, "wlan0,priority=secondary", {
    target: { kind: "interface", name: "wlan0" },
    cost: 1,
    priority: "secondary",
  }],
  [14, "ppp1,cap=2GB", {
    target: { kind: "interface", name: "ppp1" },
    ...defaults,
    capBytes: 2e9,
  }],
  [15, "ppp1,cap=512MiB,rate=20mbit", {
    target: { kind: "interface", name: "ppp1" },
    ...defaults,
    capBytes: 512 * 2 ** 20,
    rateBps: 20e6,
  }],
  [16, "10.0.0.2,rate=1.5gbit,cost=2,priority=primary,cap=64k", {
    target: { kind: "address", address: "10.0.0.2", family: 4 },
    cost: 2,
    priority: "primary",
    capBytes: 65536,
    rateBps: 1.5e9,
  }],
  [17, "eth0, cost=2 , priority=backup", {
    target: { kind: "interface", name: "eth0" },
    cost: 2,
    priority: "backup",
  }],
  [18, "[::ffff:192.0.2.1],cost=4", {
    target: { kind: "address", address: "::ffff:192.0.2.1", family: 6 },
    cost: 4,
    priority: "primary",
  }],
  [19, "auto,cost=2", { target: { kind: "auto" }, cost: 2, priority: "primary" }],
  [20, "usb0,rate=2mbps", {
    target: { kind: "interface", name: "usb0" },
    ...defaults,
    rateBps: 2e6,
  }],
];

// #, input, what the message must mention
const REJECTED: [number, string, string[]][] = [
  [1, "", ["no link given", "auto"]],
  [2, ",cost=2", ["no link given"]],
  [3, "ppp0,colour=red", ['unknown key "colour"', "cost, priority, cap, rate"]],
  [4, "ppp0,cost=1,cost=2", ["cost is given twice"]],
  [5, "ppp0,priority=backup,priority=primary", ["priority is given twice"]],
  [6, "ppp0,cost=", ["cost is empty", "cost=2"]],
  [7, "ppp0,cost", ["cost needs a value"]],
  [8, "ppp0,cost=cheap", ['cost "cheap" is not a number']],
  [9, "ppp0,cost=-1", ["cost -1 is negative"]],
  [10, "ppp0,cost=1e3", ['cost "1e3" is not a number']],
  [11, "ppp0,cost=Infinity", ['cost "Infinity"']],
  [12, "ppp0,cost=NaN", ['cost "NaN"']],
  [13, "ppp0,priority=high", ['priority "high"', "primary, secondary, backup"]],
  [14, "ppp0,priority=", ["priority is empty"]],
  [15, "ppp0,cap=lots", ["cap:", '"lots" is not a size']],
  [16, "ppp0,cap=0", ["cap=0"]],
  [17, "ppp0,rate=20mbt", ["rate:", '"20mbt" is not a rate']],
  [18, "ppp0,rate=0", ["rate:", "at least 1 bit/s"]],
  [19, "ppp0,", ["empty option"]],
  [20, "ppp0,,cost=1", ["empty option"]],
  [21, "averyveryverylongname0", ["longer than 15"]],
  [22, "eth/0", ['interface name "eth/0"', "'/'"]],
  [23, "eth 0", ['interface name "eth 0"']],
  [24, "300.1.1.1", ["not a valid IPv4 address"]],
  [25, "192.168.1", ["not a valid IPv4 address"]],
  [26, "2001:db8:::5", ["not a valid IPv6 address"]],
  [27, "[2001:db8::5", ["bracketed IPv6"]],
  [28, "[192.168.8.1]", ["bracketed IPv6"]],
  [29, "cost=2", ["the link must come first"]],
  [30, "0.0.0.0", ["unspecified address"]],
  [31, "[::]", ["unspecified address"]],
  [32, "224.0.0.1", ["multicast"]],
  [33, "ff02::1", ["multicast"]],
  [34, "255.255.255.255", ["broadcast"]],
  [35, "..", ['interface name ".."']],
  [36, "ppp0,COST=2", ['unknown key "COST"']],
];

Deno.test("parseLinkSpec() accepts addresses, interfaces, auto and options (table)", () => {
  for (const [n, input, expected] of ACCEPTED) {
    assert.deepEqual(parseLinkSpec(input), { ...expected, raw: input }, `#${n} ${input}`);
  }
});

Deno.test("parseLinkSpec() rejects bad specs and names the problem (table)", () => {
  for (const [n, input, parts] of REJECTED) {
    assertOptionError(() => parseLinkSpec(input), parts, `#${n} ${JSON.stringify(input)}`);
  }
});

Deno.test("parseLinkSpec() rejects an unknown key", () => {
  assert.throws(() => parseLinkSpec("ppp0,weight=2"), {
    name: "OptionError",
    message: /^"ppp0,weight=2": unknown key "weight": expected cost, priority, cap, rate/,
  });
});

Deno.test("parseLinkSpec() quotes the whole spec to tell several --link flags apart", () => {
  assert.throws(() => parseLinkSpec("ppp1,cost=x"), { message: /^"ppp1,cost=x": / });
});

Deno.test("parseLinkSpec() returns auto for the caller to decide", () => {
  assert.deepEqual(parseLinkSpec("auto").target, { kind: "auto" });
  // Interface names are case-sensitive: only lowercase "auto" is reserved.
  assert.deepEqual(parseLinkSpec("AUTO").target, { kind: "interface", name: "AUTO" });
});

Deno.test("parseLinkSpec() leaves optional fields out when not given", () => {
  const spec = parseLinkSpec("ppp0");
  assert.equal("capBytes" in spec, false);
  assert.equal("rateBps" in spec, false);
});
