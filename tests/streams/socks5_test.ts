// Tests of core/streams/socks5.ts, in order: a numbered table of handshakes that end in
// `connect`, a numbered table of handshakes that end in `fail` (with the exact bytes written),
// split invariance (every partition of short handshakes, every 2- and 3-piece split of longer
// ones, byte by byte), the caller's contract (feed after the end, a reused read buffer),
// encodeSocksReply(), socksReplyForError(), describeSocksTarget(), and a seeded fuzz test of
// 100,000 inputs (replay: BONDCTL_FUZZ_SEED=N deno test --allow-env=BONDCTL_FUZZ_SEED
// tests/streams/).

import assert from "node:assert/strict";
import {
  describeSocksTarget,
  encodeSocksReply,
  Socks5Handshake,
  socksReplyForError,
  type SocksStep,
  type SocksTarget,
} from "../../core/streams/socks5.ts";
import { fuzzSeed, mulberry32 } from "./_random.ts";

// ---- Helpers ----

const GREETING = [5, 1, 0];
const ascii = (s: string) => [...new TextEncoder().encode(s)];
const domainRequest = (name: string | number[], port = 443, cmd = 1) => {
  const octets = typeof name === "string" ? ascii(name) : name;
  return [5, cmd, 0, 3, octets.length, ...octets, port >> 8, port & 0xff];
};
const hex = (bytes: Uint8Array | number[]) =>
  [...bytes].map((b) => b.toString(16).padStart(2, "0")).join(" ");

/** The steps as plain data, `need-more` dropped, so that different splits compare equal. */
type Plain =
  | { reply: string }
  | { connect: SocksTarget; rest: string }
  | { fail: string; reason: string };

function plain(steps: SocksStep[]): Plain[] {
  const out: Plain[] = [];
  for (const step of steps) {
    if (step.type === "reply") out.push({ reply: hex(step.bytes) });
    if (step.type === "connect") out.push({ connect: step.target, rest: hex(step.rest) });
    if (step.type === "fail") out.push({ fail: hex(step.bytes), reason: step.reason });
  }
  return out;
}

/** Feeds `chunks` one after the other; checks the step-list contract on every call. */
function run(chunks: Uint8Array[]): { steps: Plain[]; state: string } {
  const hs = new Socks5Handshake();
  const all: SocksStep[] = [];
  for (const [i, chunk] of chunks.entries()) {
    if (hs.state === "failed") break;
    if (hs.state === "connect") {
      // What arrives after the request is the stream's data: the adapter relays it after `rest`.
      const step = all[all.length - 1] as Extract<SocksStep, { type: "connect" }>;
      all[all.length - 1] = { ...step, rest: concatAll([step.rest, ...chunks.slice(i)]) };
      break;
    }
    const steps = hs.feed(chunk);
    assert.ok(steps.length > 0, "feed() returns at least one step");
    const last = steps[steps.length - 1].type;
    assert.ok(last === "need-more" || last === "connect" || last === "fail", `last is ${last}`);
    assert.ok(steps.slice(0, -1).every((s) => s.type === "reply"), "only replies before it");
    all.push(...steps);
  }
  return { steps: plain(all), state: hs.state };
}

const whole = (bytes: number[]) => run([Uint8Array.from(bytes)]);

function concatAll(chunks: Uint8Array[]): Uint8Array {
  return Uint8Array.from(chunks.flatMap((c) => [...c]));
}

// ---- Handshakes that end in connect ----

const connects: Array<[number, string, number[], SocksTarget, number[]?]> = [
  [1, "IPv4", [...GREETING, 5, 1, 0, 1, 192, 0, 2, 1, 0, 80], {
    host: "192.0.2.1",
    port: 80,
    kind: "ipv4",
  }],
  [2, "IPv6 loopback is compressed", [
    ...GREETING,
    ...[5, 1, 0, 4, ...Array(15).fill(0), 1, 0x01, 0xbb],
  ], { host: "::1", port: 443, kind: "ipv6" }],
  [3, "IPv6 in RFC 5952 form", [
    ...GREETING,
    ...[5, 1, 0, 4, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0xab, 0x1f, 0x90],
  ], { host: "2001:db8::1:0:0:ab", port: 8080, kind: "ipv6" }],
  [4, "IPv4-mapped IPv6 keeps its IPv4 tail", [
    ...GREETING,
    ...[5, 1, 0, 4, ...Array(10).fill(0), 0xff, 0xff, 127, 0, 0, 1, 0, 22],
  ], { host: "::ffff:127.0.0.1", port: 22, kind: "ipv6" }],
  [5, "domain", [...GREETING, ...domainRequest("downloads.example.com")], {
    host: "downloads.example.com",
    port: 443,
    kind: "domain",
  }],
  [6, "domain with trailing dot, mixed case, underscore", [
    ...GREETING,
    ...domainRequest("_Srv.Example.COM."),
  ], { host: "_Srv.Example.COM.", port: 443, kind: "domain" }],
  [7, "domain that is an IPv4 literal", [...GREETING, ...domainRequest("127.0.0.1", 8080)], {
    host: "127.0.0.1",
    port: 8080,
    kind: "ipv4",
  }],
  [8, "domain that is an IPv6 literal", [...GREETING, ...domainRequest("2001:DB8:0::1")], {
    host: "2001:db8::1",
    port: 443,
    kind: "ipv6",
  }],
  [9, "domain that is a bracketed IPv6 literal", [...GREETING, ...domainRequest("[::1]")], {
    host: "::1",
    port: 443,
    kind: "ipv6",
  }],
  [10, "client offers several methods", [5, 3, 2, 1, 0, ...domainRequest("a.b")], {
    host: "a.b",
    port: 443,
    kind: "domain",
  }],
  [
    11,
    "early data after the request is handed back",
    [
      ...GREETING,
      ...domainRequest("a.example"),
      ...ascii("GET / HTTP/1.1\r\n"),
    ],
    { host: "a.example", port: 443, kind: "domain" },
    ascii("GET / HTTP/1.1\r\n"),
  ],
  [12, "RSV is ignored", [...GREETING, 5, 1, 0x7f, 1, 8, 8, 8, 8, 0, 53], {
    host: "8.8.8.8",
    port: 53,
    kind: "ipv4",
  }],
  [13, "port 65535", [...GREETING, 5, 1, 0, 1, 1, 1, 1, 1, 0xff, 0xff], {
    host: "1.1.1.1",
    port: 65535,
    kind: "ipv4",
  }],
  [14, "a 253-character name", [
    ...GREETING,
    ...domainRequest(Array(4).fill("a".repeat(62)).join(".") + ".b"),
  ], {
    host: Array(4).fill("a".repeat(62)).join(".") + ".b",
    port: 443,
    kind: "domain",
  }],
];

for (const [n, what, bytes, target, rest = []] of connects) {
  Deno.test(`Socks5Handshake connect case ${n}: ${what}`, () => {
    const { steps, state } = whole(bytes);
    assert.deepEqual(steps, [{ reply: "05 00" }, { connect: target, rest: hex(rest) }]);
    assert.equal(state, "connect");
  });
}

// ---- Handshakes that end in fail ----

const REPLY = (code: number) => hex([5, code, 0, 1, 0, 0, 0, 0, 0, 0]);

/** [case, what, bytes, replies before the failure, bytes written on failure, reason pattern] */
const failures: Array<[number, string, number[], string[], string, RegExp]> = [
  [1, "SOCKS4 greeting", [4, 1, 0, 80, 127, 0, 0, 1, 0], [], "", /first octet is 04.*SOCKS4/],
  [2, "HTTP", ascii("CONNECT x:443 HTTP/1.1\r\n"), [], "", /first octet is 43.*HTTP proxy/],
  [3, "TLS", [0x16, 3, 1, 0, 5], [], "", /first octet is 16,.*TLS/],
  [4, "no methods offered", [5, 0], [], "05 ff", /offers none/],
  [5, "only username/password", [5, 1, 2], [], "05 ff", /offers 02 \(username\/password\)/],
  [6, "GSSAPI and a private method", [5, 2, 1, 0x80], [], "05 ff", /01 \(GSSAPI\), 80\);/],
  [7, "BIND", [...GREETING, 5, 2, 0, 1, 1, 2, 3, 4, 0, 80], ["05 00"], REPLY(7), /02 \(BIND\)/],
  [8, "UDP ASSOCIATE", [...GREETING, 5, 3, 0, 1, 0, 0, 0, 0, 0, 0], ["05 00"], REPLY(7), /UDP/],
  [9, "unknown command", [...GREETING, 5, 9, 0, 1], ["05 00"], REPLY(7), /09 \(an unknown/],
  [10, "unknown ATYP", [...GREETING, 5, 1, 0, 2], ["05 00"], REPLY(8), /address type 02/],
  [11, "request version", [...GREETING, 4, 1, 0, 1], ["05 00"], REPLY(1), /version 04/],
  [12, "empty domain", [...GREETING, 5, 1, 0, 3, 0], ["05 00"], REPLY(4), /is empty/],
  [
    13,
    "NUL in a domain",
    [...GREETING, ...domainRequest([0x61, 0, 0x62])],
    ["05 00"],
    REPLY(4),
    /non-printable octet 00 at offset 1/,
  ],
  [
    14,
    "DEL in a domain",
    [...GREETING, ...domainRequest([0x61, 0x7f])],
    ["05 00"],
    REPLY(4),
    /non-printable octet 7f/,
  ],
  [
    15,
    "UTF-8 in a domain",
    [...GREETING, ...domainRequest("bücher.de")],
    ["05 00"],
    REPLY(4),
    /non-ASCII octet c3.*punycode/,
  ],
  [
    16,
    "a space in a domain",
    [...GREETING, ...domainRequest("a b.com")],
    ["05 00"],
    REPLY(4),
    /label .*"a b"/,
  ],
  [
    17,
    "empty label",
    [...GREETING, ...domainRequest("a..com")],
    ["05 00"],
    REPLY(4),
    /empty label/,
  ],
  [18, "leading dot", [...GREETING, ...domainRequest(".com")], ["05 00"], REPLY(4), /empty label/],
  [19, "a lone dot", [...GREETING, ...domainRequest(".")], ["05 00"], REPLY(4), /empty label/],
  [
    20,
    "hyphen at a label end",
    [...GREETING, ...domainRequest("a-.com")],
    ["05 00"],
    REPLY(4),
    /"a-"/,
  ],
  [
    21,
    "64-octet label",
    [...GREETING, ...domainRequest(`${"a".repeat(64)}.com`)],
    ["05 00"],
    REPLY(4),
    /1-63/,
  ],
  [
    22,
    "254-octet name",
    [...GREETING, ...domainRequest(Array(4).fill("a".repeat(62)).join(".") + ".bc")],
    ["05 00"],
    REPLY(4),
    /254 characters long/,
  ],
  [
    23,
    "short IPv4 form",
    [...GREETING, ...domainRequest("127.1")],
    ["05 00"],
    REPLY(4),
    /non-standard form/,
  ],
  [
    24,
    "integer IPv4 form",
    [...GREETING, ...domainRequest("2130706433")],
    ["05 00"],
    REPLY(4),
    /non-standard form/,
  ],
  [
    25,
    "hex IPv4 form",
    [...GREETING, ...domainRequest("0x7f000001")],
    ["05 00"],
    REPLY(4),
    /non-standard form/,
  ],
  [
    26,
    "octal IPv4 form",
    [...GREETING, ...domainRequest("0177.0.0.1")],
    ["05 00"],
    REPLY(4),
    /non-standard form/,
  ],
  [
    27,
    "IPv6 with a zone",
    [...GREETING, ...domainRequest("fe80::1%eth0")],
    ["05 00"],
    REPLY(4),
    /not letters, digits/,
  ],
  [
    28,
    "port 0",
    [...GREETING, 5, 1, 0, 1, 1, 2, 3, 4, 0, 0],
    ["05 00"],
    REPLY(2),
    /port 0 of 1\.2\.3\.4/,
  ],
  [
    29,
    "port 0 of a name",
    [...GREETING, ...domainRequest("a.example", 0)],
    ["05 00"],
    REPLY(2),
    /port 0/,
  ],
];

for (const [n, what, bytes, replies, written, reason] of failures) {
  Deno.test(`Socks5Handshake fail case ${n}: ${what}`, () => {
    const { steps, state } = whole(bytes);
    const last = steps.at(-1);
    assert.deepEqual(steps.slice(0, -1), replies.map((reply) => ({ reply })));
    assert.ok(last && "fail" in last, `ends in fail: ${JSON.stringify(steps)}`);
    assert.equal(last.fail, written);
    assert.match(last.reason, reason);
    assert.equal(state, "failed");
  });
}

Deno.test("Socks5Handshake waits for incomplete input instead of failing", () => {
  const partials = [[], [5], [5, 2, 0], [...GREETING, 5, 1, 0, 3, 10, 0x61], [
    ...GREETING,
    ...[5, 1, 0, 4, 0, 0],
  ]];
  for (const bytes of partials) {
    const hs = new Socks5Handshake();
    const steps = hs.feed(Uint8Array.from(bytes));
    assert.equal(steps.at(-1)?.type, "need-more", hex(bytes));
    assert.ok(hs.state === "greeting" || hs.state === "request");
  }
});

// ---- Split invariance ----

/** Every way to cut `bytes` into consecutive non-empty chunks (2^(n-1) of them). */
function* allPartitions(bytes: Uint8Array): Generator<Uint8Array[]> {
  const cuts = bytes.length - 1;
  for (let mask = 0; mask < 1 << cuts; mask++) {
    const chunks: Uint8Array[] = [];
    let start = 0;
    for (let i = 0; i < cuts; i++) {
      if (mask & (1 << i)) {
        chunks.push(bytes.slice(start, i + 1));
        start = i + 1;
      }
    }
    chunks.push(bytes.slice(start));
    yield chunks;
  }
}

const short: Array<[string, number[]]> = [
  ["IPv4 connect", [...GREETING, 5, 1, 0, 1, 10, 0, 0, 1, 0x1f, 0x90]],
  ["domain connect with early data", [...GREETING, ...domainRequest("a.b", 80), 0x47, 0x45]],
  ["BIND refused", [5, 2, 2, 0, 5, 2, 0, 1, 1, 2, 3, 4, 0, 80]],
  ["bad domain", [...GREETING, ...domainRequest("a\x01", 80)]],
  ["no acceptable method", [5, 3, 1, 2, 3, 5, 1, 0]],
];

for (const [what, bytes] of short) {
  Deno.test(`Socks5Handshake gives the same steps for every partition: ${what}`, () => {
    const input = Uint8Array.from(bytes);
    const expected = run([input]);
    let count = 0;
    for (const chunks of allPartitions(input)) {
      assert.deepEqual(run(chunks), expected, chunks.map(hex).join(" | "));
      count++;
    }
    assert.equal(count, 2 ** (bytes.length - 1));
  });
}

const long: Array<[string, number[]]> = [
  ["IPv6 connect with early data", [
    ...GREETING,
    ...[5, 1, 0, 4, 0xfe, 0x80, ...Array(13).fill(0), 9, 0, 80, 1, 2, 3],
  ]],
  ["long domain", [...GREETING, ...domainRequest("downloads.example.com", 443), 9, 9]],
  ["non-standard IPv4 name", [...GREETING, ...domainRequest("0x7f000001")]],
  ["greeting offering 255 methods", [5, 255, ...Array.from({ length: 255 }, (_, i) => 255 - i)]],
];

for (const [what, bytes] of long) {
  Deno.test(`Socks5Handshake gives the same steps for every 1-, 2- and 3-piece split: ${what}`, () => {
    const input = Uint8Array.from(bytes);
    const expected = run([input]);
    assert.ok(expected.state === "connect" || expected.state === "failed");
    const n = input.length;
    for (let i = 1; i < n; i++) {
      assert.deepEqual(run([input.slice(0, i), input.slice(i)]), expected, `cut at ${i}`);
      for (let j = i + 1; j < n; j++) {
        const chunks = [input.slice(0, i), input.slice(i, j), input.slice(j)];
        assert.deepEqual(run(chunks), expected, `cuts at ${i}, ${j}`);
      }
    }
    const bytewise = Array.from(input, (b) => Uint8Array.of(b));
    assert.deepEqual(run(bytewise), expected, "byte by byte");
    // Empty chunks in between change nothing either.
    assert.deepEqual(
      run(bytewise.flatMap((c) => [new Uint8Array(0), c])),
      expected,
      "with empties",
    );
  });
}

// ---- The caller's contract ----

Deno.test("Socks5Handshake.feed() after the end throws: the adapter must stop feeding", () => {
  const done = new Socks5Handshake();
  done.feed(Uint8Array.from([...GREETING, 5, 1, 0, 1, 1, 2, 3, 4, 0, 80]));
  assert.throws(() => done.feed(new Uint8Array(1)), /after the handshake ended \(connect\)/);
  const failed = new Socks5Handshake();
  failed.feed(Uint8Array.of(4));
  assert.throws(() => failed.feed(new Uint8Array(1)), /after the handshake ended \(failed\)/);
});

Deno.test("Socks5Handshake copies what it keeps: a reused read buffer does not corrupt it", () => {
  const hs = new Socks5Handshake();
  const buffer = new Uint8Array(8);
  const request = [...GREETING, ...domainRequest("ab.cd", 443), 0xaa];
  const steps: SocksStep[] = [];
  for (let i = 0; i < request.length; i += 2) {
    const piece = request.slice(i, i + 2);
    buffer.fill(0xee);
    buffer.set(piece);
    steps.push(...hs.feed(buffer.subarray(0, piece.length)));
  }
  buffer.fill(0xee); // after connect, `rest` must still hold the client's octet
  assert.deepEqual(plain(steps), [{ reply: "05 00" }, {
    connect: { host: "ab.cd", port: 443, kind: "domain" },
    rest: "aa",
  }]);
});

// ---- encodeSocksReply() ----

const replies: Array<[number, number, { host: string; port: number } | undefined, string]> = [
  [1, 0, undefined, "05 00 00 01 00 00 00 00 00 00"],
  [2, 5, undefined, "05 05 00 01 00 00 00 00 00 00"],
  [3, 0, { host: "192.0.2.7", port: 40000 }, "05 00 00 01 c0 00 02 07 9c 40"],
  [
    4,
    0,
    { host: "2001:db8::1", port: 443 },
    "05 00 00 04 20 01 0d b8" + " 00".repeat(11) + " 01 01 bb",
  ],
  [5, 0, { host: "::ffff:10.0.0.1", port: 1 }, "05 00 00 01 0a 00 00 01 00 01"],
  [6, 0, { host: "fe80::1%eth0", port: 2 }, "05 00 00 04 fe 80" + " 00".repeat(13) + " 01 00 02"],
  [7, 0, { host: "[::1]", port: 3 }, "05 00 00 04" + " 00".repeat(15) + " 01 00 03"],
  [
    8,
    0,
    { host: "relay.example", port: 80 },
    "05 00 00 03 0d " + hex(ascii("relay.example")) + " 00 50",
  ],
];

for (const [n, code, bound, expected] of replies) {
  Deno.test(`encodeSocksReply() case ${n}`, () => {
    assert.equal(hex(encodeSocksReply(code, bound)), expected);
  });
}

Deno.test("encodeSocksReply() refuses what it cannot encode", () => {
  assert.throws(() => encodeSocksReply(256), RangeError);
  assert.throws(() => encodeSocksReply(-1), RangeError);
  assert.throws(() => encodeSocksReply(1.5), RangeError);
  assert.throws(() => encodeSocksReply(0, { host: "1.2.3.4", port: 65536 }), RangeError);
  assert.throws(() => encodeSocksReply(0, { host: "", port: 1 }), RangeError);
  assert.throws(() => encodeSocksReply(0, { host: "a b", port: 1 }), RangeError);
  assert.throws(() => encodeSocksReply(0, { host: "a".repeat(256), port: 1 }), RangeError);
});

Deno.test("encodeSocksReply() output parses as a reply: the client's view", () => {
  // A client reads 4 octets, then an address whose length ATYP gives, then 2 port octets.
  for (const host of ["0.0.0.0", "::", "relay.example", "::ffff:1.2.3.4"]) {
    const bytes = encodeSocksReply(0, { host, port: 1080 });
    const atyp = bytes[3];
    const length = atyp === 1 ? 4 : atyp === 4 ? 16 : 1 + bytes[4];
    assert.equal(bytes.length, 4 + length + 2, host);
    assert.equal((bytes[bytes.length - 2] << 8) | bytes[bytes.length - 1], 1080);
  }
});

// ---- socksReplyForError() and describeSocksTarget() ----

const errors: Array<[number, unknown, number]> = [
  [1, Object.assign(new Error("x"), { code: "ECONNREFUSED" }), 5],
  [2, new Deno.errors.ConnectionRefused("x"), 5],
  [3, Object.assign(new Error("x"), { code: "ENETUNREACH" }), 3],
  [4, new Deno.errors.NetworkUnreachable("x"), 3],
  [5, Object.assign(new Error("x"), { code: "EHOSTUNREACH" }), 4],
  [6, Object.assign(new Error("x"), { code: "ENOTFOUND" }), 4],
  [7, new Deno.errors.NotFound("x"), 4],
  [8, Object.assign(new Error("x"), { code: "ETIMEDOUT" }), 6],
  [9, new Deno.errors.TimedOut("x"), 6],
  [10, new Deno.errors.PermissionDenied("x"), 2],
  [11, new Error("something else"), 1],
  [12, "a string", 1],
  [13, null, 1],
  [14, { code: 42, name: "ConnectionRefused" }, 5], // a non-string code falls back to the name
];

for (const [n, error, code] of errors) {
  Deno.test(`socksReplyForError() case ${n}`, () => {
    assert.equal(socksReplyForError(error), code);
  });
}

Deno.test("describeSocksTarget() brackets IPv6 only", () => {
  assert.equal(describeSocksTarget({ host: "::1", port: 22, kind: "ipv6" }), "[::1]:22");
  assert.equal(describeSocksTarget({ host: "1.2.3.4", port: 80, kind: "ipv4" }), "1.2.3.4:80");
  assert.equal(describeSocksTarget({ host: "a.b", port: 443, kind: "domain" }), "a.b:443");
});

// ---- Seeded fuzzing ----

/** Random input: pure noise, or a valid prefix (greeting, request header) with noise after. */
function garbage(random: () => number): Uint8Array {
  const pick = (n: number) => Math.floor(random() * n);
  const noise = (n: number) => Array.from({ length: n }, () => pick(256));
  const printable = (n: number) => Array.from({ length: n }, () => 0x20 + pick(0x60));
  switch (pick(5)) {
    case 0:
      return Uint8Array.from(noise(pick(64)));
    case 1: // a plausible greeting, then noise
      return Uint8Array.from([5, pick(4), ...noise(pick(3)), ...noise(pick(40))]);
    case 2: // a valid greeting and request header, then noise
      return Uint8Array.from([...GREETING, 5, pick(4), pick(2), pick(6), ...noise(pick(40))]);
    case 3: { // a domain request with a random (often printable) name
      const length = pick(260);
      const name = random() < 0.5 ? printable(length) : noise(length);
      return Uint8Array.from([...GREETING, 5, 1, 0, 3, pick(256), ...name, ...noise(pick(4))]);
    }
    default: // a valid request with a few octets flipped
    {
      const bytes = Uint8Array.from([...GREETING, ...domainRequest("host.example", 443), 1]);
      for (let k = 1 + pick(3); k > 0; k--) bytes[pick(bytes.length)] ^= 1 << pick(8);
      return bytes;
    }
  }
}

Deno.test("Socks5Handshake never throws on 100,000 random inputs, split at random", () => {
  const seed = fuzzSeed();
  console.log(`fuzz seed ${seed} (replay with BONDCTL_FUZZ_SEED=${seed} and --allow-env)`);
  const random = mulberry32(seed);
  const outcomes = { connect: 0, failed: 0, greeting: 0, request: 0 };
  for (let i = 0; i < 100_000; i++) {
    const input = garbage(random);
    const where = `case ${i} of seed ${seed}, input ${hex(input)}`;
    const chunks: Uint8Array[] = [];
    for (let at = 0; at < input.length;) {
      const size = 1 + Math.floor(random() * 8);
      chunks.push(input.slice(at, at + size));
      at += size;
    }
    let result;
    try {
      result = run(chunks.length > 0 ? chunks : [input]);
    } catch (error) {
      assert.fail(`${where}: threw ${error}`);
    }
    outcomes[result.state as keyof typeof outcomes]++;
    // However it was split, the input as one chunk gives the same steps.
    if (i % 10 === 0) assert.deepEqual(run([input]), result, where);
    const last = result.steps.at(-1);
    if (last && "connect" in last) {
      const t = last.connect;
      assert.ok(t.port >= 1 && t.port <= 65535, where);
      assert.ok(t.host.length > 0 && /^[\x21-\x7e]+$/.test(t.host), where);
    }
  }
  console.log(`outcomes ${JSON.stringify(outcomes)}`);
  // Every outcome must be common, or the generator is not reaching the request parser.
  for (const [state, count] of Object.entries(outcomes)) {
    assert.ok(count > 1_000, `${state}: ${count}`);
  }
});
