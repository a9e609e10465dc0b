import assert from "node:assert/strict";
import {
  type HostPort,
  isHostName,
  isIPv4,
  isIPv6,
  OptionError,
  parseHostPort,
} from "../../core/config/mod.ts";

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

// #, input, default port, allowZero, expected
const ACCEPTED: [number, string, number | undefined, boolean, HostPort][] = [
  [1, "1.2.3.4:7443", undefined, false, { host: "1.2.3.4", port: 7443, family: 4 }],
  [2, "[::1]:7443", undefined, false, { host: "::1", port: 7443, family: 6 }],
  [3, "[2001:db8::1]:7443", undefined, false, { host: "2001:db8::1", port: 7443, family: 6 }],
  [4, "relay.example.net:7443", undefined, false, {
    host: "relay.example.net",
    port: 7443,
    family: "name",
  }],
  [5, "0.0.0.0:7443", undefined, false, { host: "0.0.0.0", port: 7443, family: 4 }],
  [6, "[::]:7443", undefined, false, { host: "::", port: 7443, family: 6 }],
  [7, "localhost:1", undefined, false, { host: "localhost", port: 1, family: "name" }],
  [8, "host:65535", undefined, false, { host: "host", port: 65535, family: "name" }],
  [9, "relay.example.net", 7443, false, {
    host: "relay.example.net",
    port: 7443,
    family: "name",
  }],
  [10, "[::1]", 7443, false, { host: "::1", port: 7443, family: 6 }],
  [11, "10.0.0.1", 9000, false, { host: "10.0.0.1", port: 9000, family: 4 }],
  [12, "0.0.0.0:0", undefined, true, { host: "0.0.0.0", port: 0, family: 4 }],
  [13, "[::]:0", undefined, true, { host: "::", port: 0, family: 6 }],
  [14, "[fe80::1%eth0]:7443", undefined, false, {
    host: "fe80::1%eth0",
    port: 7443,
    family: 6,
  }],
  [15, " relay.example.net:7443 ", undefined, false, {
    host: "relay.example.net",
    port: 7443,
    family: "name",
  }],
  [16, "relay.example.net.:7443", undefined, false, {
    host: "relay.example.net.",
    port: 7443,
    family: "name",
  }],
  [17, "my-relay-01:80", undefined, false, { host: "my-relay-01", port: 80, family: "name" }],
  [18, "[::ffff:192.0.2.1]:443", undefined, false, {
    host: "::ffff:192.0.2.1",
    port: 443,
    family: 6,
  }],
  [19, "1.2.3.4:07443", undefined, false, { host: "1.2.3.4", port: 7443, family: 4 }],
];

// #, input, default port, allowZero, what the message must mention
const REJECTED: [number, string, number | undefined, boolean, string[]][] = [
  [1, "", undefined, false, ["empty", "host:port"]],
  [2, "relay.example.net", undefined, false, ["no port", "relay.example.net:7443"]],
  [3, "::1", undefined, false, ["brackets", "[::1]:7443"]],
  [4, "2001:db8::1:7443", undefined, false, ["brackets", "[2001:db8::1:7443]"]],
  [5, "::1", 9000, false, ["brackets", "[::1]:9000"]],
  [6, "1:2:3", undefined, false, ["brackets"]],
  [7, "host:", undefined, false, ["no port after ':'"]],
  [8, "host:0", undefined, false, ["port 0 is not allowed"]],
  [9, "host:65536", undefined, false, ["port 65536 is above 65535"]],
  [10, "host:99999", undefined, true, ["above 65535"]],
  [11, "host:http", undefined, false, ['port "http" is not a number 1..65535']],
  [12, "host:-1", undefined, false, ['port "-1"']],
  [13, "host:123456", undefined, false, ['port "123456"']],
  [14, ":7443", undefined, false, ["no host", "0.0.0.0:7443"]],
  [15, "[::1", undefined, false, ["'[' without ']'"]],
  [16, "[::1]7443", undefined, false, ["expected ':port' after ']'"]],
  [17, "[1.2.3.4]:7443", undefined, false, ["not an IPv6 address", "brackets are only for IPv6"]],
  [18, "[]:7443", undefined, false, ["not an IPv6 address"]],
  [19, "300.1.1.1:7443", undefined, false, ['"300.1.1.1" is not a valid IPv4 address']],
  [20, "1.2.3:7443", undefined, false, ["not a valid IPv4 address"]],
  [21, "relay_1.example.net:7443", undefined, false, ["not a host name or an IP address"]],
  [22, "-relay.example.net:7443", undefined, false, ["not a host name"]],
  [23, "relay..example.net:7443", undefined, false, ["not a host name"]],
  [24, "relay example:7443", undefined, false, ["whitespace"]],
  [25, "[::1]:", undefined, false, ["no port after ':'"]],
  [26, "[::1]:0", undefined, false, ["port 0 is not allowed"]],
  [27, `${"a".repeat(64)}.net:7443`, undefined, false, ["not a host name"]],
  [28, "host:7443:1", undefined, false, ["brackets"]],
];

Deno.test("parseHostPort() accepts v4, bracketed v6 and names with ports (table)", () => {
  for (const [n, input, defaultPort, allowZero, expected] of ACCEPTED) {
    assert.deepEqual(
      parseHostPort(input, defaultPort, { allowZero }),
      expected,
      `#${n} ${JSON.stringify(input)}`,
    );
  }
});

Deno.test("parseHostPort() rejects bad endpoints and names the problem (table)", () => {
  for (const [n, input, defaultPort, allowZero, parts] of REJECTED) {
    assertOptionError(
      () => parseHostPort(input, defaultPort, { allowZero }),
      parts,
      `#${n} ${JSON.stringify(input)}`,
    );
  }
});

Deno.test("parseHostPort() rejects a bare IPv6 address with a hint to use brackets", () => {
  assert.throws(() => parseHostPort("2001:db8::1"), {
    name: "OptionError",
    message: '"2001:db8::1": put an IPv6 address in brackets, e.g. [2001:db8::1]:7443',
  });
});

Deno.test("parseHostPort() allows port 0 only for listeners", () => {
  assert.equal(parseHostPort("127.0.0.1:0", undefined, { allowZero: true }).port, 0);
  assert.throws(() => parseHostPort("127.0.0.1:0"), OptionError);
});

Deno.test("parseHostPort() refuses an impossible default port as a programming error", () => {
  assert.throws(() => parseHostPort("host", 70000), RangeError);
  assert.throws(() => parseHostPort("host", 1.5), RangeError);
});

// #, input, isIPv4, isIPv6
const ADDRESSES: [number, string, boolean, boolean][] = [
  [1, "1.2.3.4", true, false],
  [2, "255.255.255.255", true, false],
  [3, "256.1.1.1", false, false],
  [4, "01.2.3.4", false, false], // leading zero: octal in some tools
  [5, "1.2.3", false, false],
  [6, "1.2.3.4 ", false, false],
  [7, "::1", false, true],
  [8, "::", false, true],
  [9, "2001:db8::5", false, true],
  [10, "fe80::1%eth0", false, true],
  [11, "::ffff:1.2.3.4", false, true],
  [12, "[::1]", false, false],
  [13, "1::2::3", false, false],
  [14, "1:2:3:4:5:6:7:8:9", false, false],
  [15, "localhost", false, false],
  [16, "", false, false],
];

Deno.test("isIPv4() and isIPv6() are strict (table)", () => {
  for (const [n, input, v4, v6] of ADDRESSES) {
    assert.equal(isIPv4(input), v4, `#${n} isIPv4(${JSON.stringify(input)})`);
    assert.equal(isIPv6(input), v6, `#${n} isIPv6(${JSON.stringify(input)})`);
  }
});

Deno.test("isHostName() follows RFC 1123 and refuses all-digit last labels", () => {
  assert.equal(isHostName("relay.example.net"), true);
  assert.equal(isHostName("a"), true);
  assert.equal(isHostName("1password.com"), true);
  assert.equal(isHostName("1.2.3"), false);
  assert.equal(isHostName("a-.example"), false);
  assert.equal(
    isHostName(`${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(61)}`),
    true,
  );
  assert.equal(
    isHostName(`${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(62)}`),
    false,
  );
});
