// Tests of core/frame/codec.ts, in order: round trips of every frame type, exact wire bytes,
// a numbered table of malformed frames, a table of frames the encoder refuses, and a seeded
// fuzz test (replay: BONDCTL_FUZZ_SEED=N deno test --allow-env=BONDCTL_FUZZ_SEED tests/frame/).

import assert from "node:assert/strict";
import {
  CloseCode,
  decodeFrame,
  decodeHeader,
  DEFAULT_VPN_OUI,
  encodeFrame,
  type Frame,
  FRAME_TYPE_CODES,
  FrameError,
  type FrameErrorKind,
  type LinkCaps,
  MAX_ACK_RANGES,
  MAX_BLOCK_PAYLOAD,
  MAX_BODY_LENGTH,
  MAX_JSON_LENGTH,
  MAX_TEXT_LENGTH,
  type SeqRange,
  VersionError,
  type VpnId,
} from "../../core/frame/mod.ts";

const vpn: VpnId = { oui: DEFAULT_VPN_OUI, index: 0x01020304 };
const U32 = 0xffff_ffff;
const MAX_SEQ = Number.MAX_SAFE_INTEGER;

function fill(length: number, from: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (from + i) & 0xff);
}

function hexOf(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

const minimalCaps: LinkCaps = {
  kind: "ppp",
  name: "ppp0",
  localAddress: "10.64.0.2",
  cost: 1,
  priority: "primary",
};
const fullCaps: LinkCaps = {
  kind: "wwan",
  name: "wwan0",
  localAddress: "fe80::1%wwan0",
  cost: 2.5,
  priority: "backup",
  capBytes: 5_000_000_000,
  rateBps: 50e6,
  provider: "Telia ✓",
  signal: 73,
  technology: "lte",
};
const manyRanges: SeqRange[] = Array.from({ length: MAX_ACK_RANGES }, (_, i) => [
  100 + 10 * i,
  105 + 10 * i,
]);

/** One frame per case worth keeping: every type, every flag, edge values. */
const samples: [string, Frame][] = [
  ["a CHALLENGE", { type: "CHALLENGE", vpn, nonce: fill(32, 1) }],
  ["a HELLO for a new session", {
    type: "HELLO",
    vpn,
    join: false,
    sessionId: fill(16, 2),
    nonce: fill(32, 3),
    proof: fill(32, 4),
    caps: minimalCaps,
  }],
  ["a joining HELLO with every capability", {
    type: "HELLO",
    vpn: { oui: 0xffffff, index: U32 },
    join: true,
    sessionId: fill(16, 5),
    nonce: fill(32, 6),
    proof: fill(32, 7),
    caps: fullCaps,
  }],
  ["a HELLO_ACK", {
    type: "HELLO_ACK",
    vpn,
    sessionId: fill(16, 8),
    bufferMs: 3000,
    proof: fill(32, 9),
  }],
  ["a DATA block", {
    type: "DATA",
    vpn,
    streamId: 7,
    seq: 123_456_789_012,
    sendTs: 0xfedc_ba98,
    fin: false,
    retransmit: false,
    payload: fill(300, 10),
  }],
  ["an empty final retransmitted DATA block at the largest seq", {
    type: "DATA",
    vpn: { oui: 0, index: 0 },
    streamId: U32,
    seq: MAX_SEQ,
    sendTs: U32,
    fin: true,
    retransmit: true,
    payload: new Uint8Array(0),
  }],
  ["a retransmitted DATA block", {
    type: "DATA",
    vpn,
    streamId: 0,
    seq: 0,
    sendTs: 0,
    fin: false,
    retransmit: true,
    payload: fill(5, 11),
  }],
  ["an ACK without ranges", {
    type: "ACK",
    vpn,
    streamId: 1,
    cumulative: 0,
    ranges: [],
    windowBytes: U32,
    echoTs: 12,
    ackDelayUs: 13,
  }],
  ["an ACK whose ranges start at its cumulative and touch", {
    type: "ACK",
    vpn,
    streamId: 2,
    cumulative: 10,
    ranges: [[10, 12], [12, 15], [20, MAX_SEQ]],
    windowBytes: 65536,
    echoTs: U32,
    ackDelayUs: 250,
  }],
  ["an ACK with the most ranges", {
    type: "ACK",
    vpn,
    streamId: 3,
    cumulative: 99,
    ranges: manyRanges,
    windowBytes: 0,
    echoTs: 0,
    ackDelayUs: U32,
  }],
  ["a NACK", { type: "NACK", vpn, streamId: 4, ranges: [[0, 1], [5, 9]] }],
  ["a NACK with the most ranges", { type: "NACK", vpn, streamId: U32, ranges: manyRanges }],
  ["a PING", { type: "PING", vpn, ts: U32 }],
  ["a BUFFER", { type: "BUFFER", vpn, bufferMs: 2500 }],
  ["a PONG", { type: "PONG", vpn, echoTs: 1 }],
  ["a LINK_REPORT with only counters", {
    type: "LINK_REPORT",
    vpn,
    report: { rxBytes: 0, txBytes: 0 },
  }],
  ["a LINK_REPORT with every measurement", {
    type: "LINK_REPORT",
    vpn,
    report: { rxBytes: 1e12, txBytes: 42, rttMs: 38.25, rateBps: 1.5e7, signal: 0, provider: "3" },
  }],
  ["a STREAM_OPEN with a non-ASCII label and a leading BOM", {
    type: "STREAM_OPEN",
    vpn,
    streamId: 5,
    label: "\uFEFFtcp → 192.0.2.1:443 ✓ 𝄞",
  }],
  ["a STREAM_OPEN with an empty label", { type: "STREAM_OPEN", vpn, streamId: 0, label: "" }],
  ["an orderly STREAM_CLOSE", { type: "STREAM_CLOSE", vpn, streamId: 6, reset: false, code: 0 }],
  ["a STREAM_CLOSE reset", { type: "STREAM_CLOSE", vpn, streamId: U32, reset: true, code: 0xffff }],
  ["a CLOSE", { type: "CLOSE", vpn, code: CloseCode.OUTPUT_FAILED, reason: "disk full" }],
  ["a CLOSE with a code this build does not know", {
    type: "CLOSE",
    vpn,
    code: 0xffff,
    reason: "x".repeat(MAX_TEXT_LENGTH),
  }],
  ["an empty DATA datagram", {
    type: "DATA",
    vpn,
    streamId: 3,
    seq: 7,
    sendTs: 1,
    fin: false,
    retransmit: false,
    datagram: true,
    payload: new Uint8Array(0),
  }],
  ["a retransmitted DATA parity block", {
    type: "DATA",
    vpn,
    streamId: 5,
    seq: MAX_SEQ,
    sendTs: U32,
    fin: false,
    retransmit: true,
    datagram: true,
    parity: true,
    payload: fill(1319, 3),
  }],
  ["a datagram stream's fin", {
    type: "DATA",
    vpn,
    streamId: 5,
    seq: 12,
    sendTs: 0,
    fin: true,
    retransmit: false,
    datagram: true,
    payload: new Uint8Array(0),
  }],
  ["a SKIP", { type: "SKIP", vpn, streamId: 1, seq: 0 }],
  ["a SKIP at the largest seq", { type: "SKIP", vpn, streamId: U32, seq: MAX_SEQ }],
];

// ---- Round trips ----

for (const [what, frame] of samples) {
  Deno.test(`encodeFrame() and decodeFrame() round-trip ${what}`, () => {
    assert.deepStrictEqual(decodeFrame(encodeFrame(frame), frame.vpn.oui), frame);
  });
}

Deno.test("encodeFrame() and decodeFrame() round-trip a DATA block of the largest payload", () => {
  const frame: Frame = {
    type: "DATA",
    vpn,
    streamId: 1,
    seq: 1,
    sendTs: 1,
    fin: false,
    retransmit: false,
    payload: fill(MAX_BLOCK_PAYLOAD, 0),
  };
  assert.deepStrictEqual(decodeFrame(encodeFrame(frame)), frame);
});

Deno.test("the round-trip samples cover every frame type", () => {
  const covered = new Set(samples.map(([, frame]) => frame.type));
  assert.deepStrictEqual([...covered].sort(), Object.keys(FRAME_TYPE_CODES).sort());
});

Deno.test("decodeFrame() returns a DATA payload that views the input, not a copy", () => {
  const bytes = encodeFrame(samples[4][1]);
  const frame = decodeFrame(bytes);
  assert.equal(frame.type, "DATA");
  assert.equal(frame.payload.buffer, bytes.buffer);
  assert.equal(frame.payload.byteOffset, 14 + 16);
});

// ---- Exact wire bytes (these pin the format; changing one is a new protocol version) ----

Deno.test("encodeFrame() writes the header and a PING body as specified", () => {
  const bytes = encodeFrame({ type: "PING", vpn, ts: 0x0a0b0c0d });
  assert.equal(hexOf(bytes), "02bdc7" + "01020304" + "01" + "07" + "00" + "00000004" + "0a0b0c0d");
});

Deno.test("encodeFrame() writes a DATA body as specified", () => {
  const payload = new Uint8Array([0xaa]);
  const frame: Frame = {
    type: "DATA",
    vpn,
    streamId: 5,
    seq: 2 ** 32 + 1,
    sendTs: 7,
    fin: true,
    retransmit: true,
    payload,
  };
  const expected = "02bdc701020304" + "01" + "04" + "03" + "00000011" + "00000005" +
    "0000000100000001" + "00000007" + "aa";
  assert.equal(hexOf(encodeFrame(frame)), expected);
});

Deno.test("encodeFrame() writes a parity datagram's flags and a SKIP body as specified", () => {
  const parity: Frame = {
    type: "DATA",
    vpn,
    streamId: 5,
    seq: 3,
    sendTs: 0,
    fin: false,
    retransmit: false,
    datagram: true,
    parity: true,
    payload: new Uint8Array([0xbb]),
  };
  assert.equal(hexOf(encodeFrame(parity)).slice(16, 20), "040c", "type 4, flags 0x04 | 0x08");
  const skip: Frame = { type: "SKIP", vpn, streamId: 9, seq: 2 ** 32 + 2 };
  const expected = "02bdc701020304" + "01" + "0e" + "00" + "0000000c" + "00000009" +
    "0000000100000002";
  assert.equal(hexOf(encodeFrame(skip)), expected);
});

Deno.test("encodeFrame() writes an ACK body as specified", () => {
  const frame: Frame = {
    type: "ACK",
    vpn,
    streamId: 1,
    cumulative: 2,
    ranges: [[3, 4]],
    windowBytes: 3,
    echoTs: 4,
    ackDelayUs: 5,
  };
  const expected = "02bdc701020304" + "01" + "05" + "00" + "0000002a" + "00000001" +
    "0000000000000002" + "00000003" + "00000004" + "00000005" + "0001" +
    "0000000000000003" + "0000000000000004";
  assert.equal(hexOf(encodeFrame(frame)), expected);
});

Deno.test("decodeHeader() reads the version before the rest of the header", () => {
  const header = encodeFrame({ type: "PING", vpn, ts: 1 });
  const future = header.slice(0, 8);
  future[7] = 2;
  assert.throws(() => decodeHeader(future), VersionError);
  assert.throws(() => decodeHeader(header.subarray(0, 8)), { kind: "short" });
  assert.deepStrictEqual(decodeHeader(header.subarray(0, 14)), {
    vpn,
    version: 1,
    typeCode: 7,
    flags: 0,
    length: 4,
  });
});

// ---- Malformed frames: each row is one way a peer can be wrong ----

function u16(n: number): number[] {
  return [n >>> 8, n & 0xff];
}
function u32(n: number): number[] {
  return [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}
function u64(n: bigint): number[] {
  return [...u32(Number(n >> 32n)), ...u32(Number(n & 0xffff_ffffn))];
}
function text(s: string): number[] {
  return [...new TextEncoder().encode(s)];
}
function rangeOctets(ranges: [bigint, bigint][]): number[] {
  return ranges.flatMap(([start, end]) => [...u64(start), ...u64(end)]);
}
function ackBody(cumulative: bigint, ranges: [bigint, bigint][], count = ranges.length): number[] {
  return [...u32(1), ...u64(cumulative), ...u32(0), ...u32(0), ...u32(0), ...u16(count)]
    .concat(rangeOctets(ranges));
}
const helloFixed = [...fill(80, 0)];
const capsJson = JSON.stringify(minimalCaps);

interface RawOptions {
  flags?: number;
  version?: number;
  oui?: number;
  /** Declared body length, when it should differ from the body given. */
  length?: number;
}

/** A frame built by hand, independently of the encoder. */
function raw(typeCode: number, body: number[], options: RawOptions = {}): Uint8Array {
  const oui = options.oui ?? DEFAULT_VPN_OUI;
  return Uint8Array.from([
    oui >>> 16,
    (oui >>> 8) & 0xff,
    oui & 0xff,
    ...u32(1),
    options.version ?? 1,
    typeCode,
    options.flags ?? 0,
    ...u32(options.length ?? body.length),
    ...body,
  ]);
}

interface Row {
  what: string;
  bytes: Uint8Array;
  kind: FrameErrorKind;
  /** Part of the message the user will read. */
  says?: RegExp;
  expectOui?: number;
}

const T = FRAME_TYPE_CODES;
const ping = raw(T.PING, u32(1));
const malformed: Row[] = [
  { what: "an empty input", bytes: new Uint8Array(0), kind: "short" },
  { what: "a header of 13 octets", bytes: ping.subarray(0, 13), kind: "short", says: /13 octets/ },
  { what: "version 0", bytes: raw(T.PING, u32(1), { version: 0 }), kind: "version" },
  { what: "version 2", bytes: raw(T.PING, u32(1), { version: 2 }), kind: "version" },
  {
    what: "version 2 in just the VPN ID and version",
    bytes: Uint8Array.from([2, 0xbd, 0xc7, 0, 0, 0, 1, 2]),
    kind: "version",
  },
  {
    what: "an OUI other than the expected one",
    bytes: raw(T.PING, u32(1), { oui: 0x123456 }),
    kind: "oui",
    says: /0x123456.*0x02BDC7/,
    expectOui: DEFAULT_VPN_OUI,
  },
  { what: "unknown type 0", bytes: raw(0, []), kind: "unknown-type", says: /type 0/ },
  { what: "unknown type 200", bytes: raw(200, u32(1)), kind: "unknown-type", says: /type 200/ },
  {
    what: "a declared length over MAX_BODY_LENGTH, header only",
    bytes: raw(T.DATA, [], { length: MAX_BODY_LENGTH + 1 }),
    kind: "oversized",
  },
  {
    what: "a DATA body shorter than its fixed fields",
    bytes: raw(T.DATA, [1, 2, 3]),
    kind: "short",
    says: /^DATA frame body of 3 octets is shorter than its 16 fixed octets$/,
  },
  {
    what: "a CHALLENGE body of 31 octets",
    bytes: raw(T.CHALLENGE, [...fill(31, 0)]),
    kind: "short",
  },
  { what: "a HELLO body of 79 octets", bytes: raw(T.HELLO, helloFixed.slice(1)), kind: "short" },
  {
    what: "a HELLO_ACK body of 51 octets",
    bytes: raw(T.HELLO_ACK, [...fill(51, 0)]),
    kind: "short",
  },
  { what: "an ACK body of 25 octets", bytes: raw(T.ACK, ackBody(0n, []).slice(1)), kind: "short" },
  { what: "a NACK body of 5 octets", bytes: raw(T.NACK, [0, 0, 0, 1, 0]), kind: "short" },
  { what: "a PING body of 3 octets", bytes: raw(T.PING, [0, 0, 0]), kind: "short" },
  { what: "a PONG body of 0 octets", bytes: raw(T.PONG, []), kind: "short" },
  { what: "a STREAM_OPEN body of 3 octets", bytes: raw(T.STREAM_OPEN, [0, 0, 0]), kind: "short" },
  {
    what: "a STREAM_CLOSE body of 5 octets",
    bytes: raw(T.STREAM_CLOSE, [0, 0, 0, 0, 0]),
    kind: "short",
  },
  { what: "a CLOSE body of 1 octet", bytes: raw(T.CLOSE, [0]), kind: "short" },
  { what: "a frame cut short of its declared length", bytes: ping.subarray(0, 16), kind: "short" },
  {
    what: "a frame longer than its declared length",
    bytes: Uint8Array.from([...ping, 0]),
    kind: "bad-length",
  },
  { what: "a PING body of 5 octets", bytes: raw(T.PING, [0, 0, 0, 0, 0]), kind: "bad-length" },
  {
    what: "a HELLO_ACK body of 53 octets",
    bytes: raw(T.HELLO_ACK, [...fill(53, 0)]),
    kind: "bad-length",
  },
  {
    what: "unknown DATA flag bits",
    bytes: raw(T.DATA, [...fill(16, 0)], { flags: 0x10 }),
    kind: "bad-field",
    says: /DATA.*0x10/,
  },
  {
    what: "a DATA parity flag without the datagram flag",
    bytes: raw(T.DATA, [...fill(16, 0)], { flags: 0x08 }),
    kind: "bad-field",
    says: /parity flag without datagram/,
  },
  {
    what: "a DATA parity flag on a fin",
    bytes: raw(T.DATA, [...fill(16, 0)], { flags: 0x0d }),
    kind: "bad-field",
    says: /parity flag with fin/,
  },
  { what: "a SKIP body of 11 octets", bytes: raw(T.SKIP, [...fill(11, 0)]), kind: "short" },
  { what: "a SKIP body of 13 octets", bytes: raw(T.SKIP, [...fill(13, 0)]), kind: "bad-length" },
  {
    what: "a SKIP seq of 2^53",
    bytes: raw(T.SKIP, [...u32(1), ...u64(2n ** 53n)]),
    kind: "bad-field",
    says: /SKIP seq/,
  },
  {
    what: "a flag on a SKIP",
    bytes: raw(T.SKIP, [...fill(12, 0)], { flags: 1 }),
    kind: "bad-field",
  },
  {
    what: "a flag on a CHALLENGE",
    bytes: raw(T.CHALLENGE, [...fill(32, 0)], { flags: 1 }),
    kind: "bad-field",
  },
  {
    what: "HELLO flag bit 0x80",
    bytes: raw(T.HELLO, helloFixed.concat(text(capsJson)), { flags: 0x81 }),
    kind: "bad-field",
  },
  {
    what: "a DATA seq of 2^53",
    bytes: raw(T.DATA, [...u32(1), ...u64(2n ** 53n), ...u32(0)]),
    kind: "bad-field",
    says: /seq 9007199254740992/,
  },
  {
    what: "an ACK cumulative of 2^64 - 1",
    bytes: raw(T.ACK, ackBody(2n ** 64n - 1n, [])),
    kind: "bad-field",
  },
  {
    what: "ACK ranges out of order",
    bytes: raw(T.ACK, ackBody(0n, [[10n, 12n], [3n, 5n]])),
    kind: "bad-field",
  },
  {
    what: "overlapping ACK ranges",
    bytes: raw(T.ACK, ackBody(0n, [[3n, 6n], [5n, 8n]])),
    kind: "bad-field",
    says: /overlaps/,
  },
  {
    what: "an empty ACK range",
    bytes: raw(T.ACK, ackBody(0n, [[5n, 5n]])),
    kind: "bad-field",
    says: /empty/,
  },
  {
    what: "an ACK range below the cumulative",
    bytes: raw(T.ACK, ackBody(6n, [[5n, 9n]])),
    kind: "bad-field",
  },
  {
    what: "an ACK range count over the limit",
    bytes: raw(T.ACK, ackBody(0n, [], MAX_ACK_RANGES + 1)),
    kind: "bad-field",
  },
  {
    what: "an ACK range count of 2 with 1 range",
    bytes: raw(T.ACK, ackBody(0n, [[1n, 2n]], 2)),
    kind: "bad-length",
  },
  { what: "a NACK without ranges", bytes: raw(T.NACK, [...u32(1), 0, 0]), kind: "bad-field" },
  {
    what: "a NACK range end of 2^53",
    bytes: raw(T.NACK, [...u32(1), ...u16(1), ...rangeOctets([[1n, 2n ** 53n]])]),
    kind: "bad-field",
  },
  {
    what: "a STREAM_OPEN label of bad UTF-8",
    bytes: raw(T.STREAM_OPEN, [...u32(1), 0x61, 0xff]),
    kind: "bad-field",
    says: /UTF-8/,
  },
  {
    what: "a CLOSE reason of overlong UTF-8",
    bytes: raw(T.CLOSE, [0, 0, 0xc0, 0x80]),
    kind: "bad-field",
  },
  {
    what: "a STREAM_OPEN label over MAX_TEXT_LENGTH",
    bytes: raw(T.STREAM_OPEN, [...u32(1), ...text("y".repeat(MAX_TEXT_LENGTH + 1))]),
    kind: "oversized",
  },
  {
    what: "a DATA payload over MAX_BLOCK_PAYLOAD",
    bytes: raw(T.DATA, [...fill(16 + MAX_BLOCK_PAYLOAD + 1, 0)]),
    kind: "oversized",
  },
  {
    what: "HELLO caps that are not JSON",
    bytes: raw(T.HELLO, helloFixed.concat(text("{kind:"))),
    kind: "bad-field",
    says: /JSON/,
  },
  {
    what: "HELLO caps of bad UTF-8",
    bytes: raw(T.HELLO, helloFixed.concat([0x7b, 0xfe, 0x7d])),
    kind: "bad-field",
  },
  {
    what: "HELLO caps failing the schema",
    bytes: raw(T.HELLO, helloFixed.concat(text(JSON.stringify({ ...minimalCaps, signal: 101 })))),
    kind: "bad-field",
    says: /"signal"/,
  },
  {
    what: "HELLO caps with an extra key",
    bytes: raw(T.HELLO, helloFixed.concat(text(JSON.stringify({ ...minimalCaps, admin: true })))),
    kind: "bad-field",
    says: /admin/,
  },
  {
    what: "HELLO caps with a __proto__ key",
    bytes: raw(T.HELLO, helloFixed.concat(text(capsJson.replace("{", '{"__proto__":{},')))),
    kind: "bad-field",
  },
  {
    what: "HELLO caps over MAX_JSON_LENGTH",
    bytes: raw(T.HELLO, helloFixed.concat(text(capsJson + " ".repeat(MAX_JSON_LENGTH)))),
    kind: "oversized",
  },
  { what: "an empty LINK_REPORT", bytes: raw(T.LINK_REPORT, []), kind: "bad-field", says: /JSON/ },
  {
    what: "a LINK_REPORT that is a JSON array",
    bytes: raw(T.LINK_REPORT, text("[1,2]")),
    kind: "bad-field",
  },
  {
    what: "a LINK_REPORT with negative rxBytes",
    bytes: raw(T.LINK_REPORT, text('{"rxBytes":-1,"txBytes":0}')),
    kind: "bad-field",
    says: /"rxBytes"/,
  },
  {
    what: "a LINK_REPORT with an extra key",
    bytes: raw(T.LINK_REPORT, text('{"rxBytes":1,"txBytes":0,"lossPct":3}')),
    kind: "bad-field",
    says: /lossPct/,
  },
];

malformed.forEach((row, i) => {
  const n = String(i + 1).padStart(2, "0");
  Deno.test(`decodeFrame() rejects #${n}: ${row.what}`, () => {
    assert.throws(() => decodeFrame(row.bytes, row.expectOui), (error) => {
      assert.ok(error instanceof FrameError, `not a FrameError: ${error}`);
      assert.equal(error.kind, row.kind, error.message);
      assert.equal(error instanceof VersionError, row.kind === "version");
      if (row.says) assert.match(error.message, row.says);
      return true;
    });
  });
});

Deno.test("decodeFrame() names both versions in a VersionError", () => {
  for (const version of [0, 2]) {
    assert.throws(() => decodeFrame(raw(T.PING, u32(1), { version })), (error) => {
      assert.ok(error instanceof VersionError);
      assert.equal(error.peerVersion, version);
      assert.equal(error.ourVersion, 1);
      assert.match(error.message, new RegExp(`version ${version}\\b.*version 1\\b`));
      return true;
    });
  }
});

// ---- Frames the encoder refuses, so that we never send what the peer would reject ----

const data = samples[4][1] as Extract<Frame, { type: "DATA" }>;
const ack = samples[8][1] as Extract<Frame, { type: "ACK" }>;
const hello = samples[1][1] as Extract<Frame, { type: "HELLO" }>;
const refused: [string, Frame, FrameErrorKind][] = [
  ["a seq of 2^53", { ...data, seq: 2 ** 53 }, "bad-field"],
  ["a negative seq", { ...data, seq: -1 }, "bad-field"],
  ["a fractional seq", { ...data, seq: 1.5 }, "bad-field"],
  ["a NaN sendTs", { ...data, sendTs: NaN }, "bad-field"],
  ["a streamId of 2^32", { ...data, streamId: 2 ** 32 }, "bad-field"],
  ["an OUI over 0xFFFFFF", { ...data, vpn: { oui: 0x1000000, index: 0 } }, "bad-field"],
  ["a VPN index of 2^32", { ...data, vpn: { oui: 0, index: 2 ** 32 } }, "bad-field"],
  [
    "a payload over MAX_BLOCK_PAYLOAD",
    { ...data, payload: new Uint8Array(MAX_BLOCK_PAYLOAD + 1) },
    "oversized",
  ],
  ["a nonce of 31 octets", { type: "CHALLENGE", vpn, nonce: new Uint8Array(31) }, "bad-field"],
  ["a HELLO proof of 33 octets", { ...hello, proof: new Uint8Array(33) }, "bad-field"],
  [
    "caps with an extra key",
    { ...hello, caps: { ...minimalCaps, extra: 1 } as LinkCaps },
    "bad-field",
  ],
  ["caps with signal 101", { ...hello, caps: { ...minimalCaps, signal: 101 } }, "bad-field"],
  [
    "caps with an infinite cost",
    { ...hello, caps: { ...minimalCaps, cost: Infinity } },
    "bad-field",
  ],
  ["caps with a name over 256 characters", {
    ...hello,
    caps: { ...minimalCaps, name: "n".repeat(257) },
  }, "bad-field"],
  ["ACK ranges out of order", { ...ack, ranges: [[20, 21], [10, 12]] }, "bad-field"],
  ["an ACK range below the cumulative", { ...ack, ranges: [[9, 12]] }, "bad-field"],
  ["an ACK range end of 2^53", { ...ack, ranges: [[20, 2 ** 53]] }, "bad-field"],
  ["too many ACK ranges", { ...ack, ranges: [...manyRanges, [10_000, 10_001]] }, "bad-field"],
  ["a NACK without ranges", { type: "NACK", vpn, streamId: 1, ranges: [] }, "bad-field"],
  ["a HELLO_ACK bufferMs of -1", {
    type: "HELLO_ACK",
    vpn,
    sessionId: fill(16, 0),
    bufferMs: -1,
    proof: fill(32, 0),
  }, "bad-field"],
  ["a label over MAX_TEXT_LENGTH", {
    type: "STREAM_OPEN",
    vpn,
    streamId: 1,
    label: "é".repeat(513),
  }, "oversized"],
  [
    "a label with a lone surrogate",
    { type: "STREAM_OPEN", vpn, streamId: 1, label: "a\uD800" },
    "bad-field",
  ],
  ["a CLOSE code over 0xFFFF", { type: "CLOSE", vpn, code: 0x10000, reason: "" }, "bad-field"],
  ["a LINK_REPORT with negative txBytes", {
    type: "LINK_REPORT",
    vpn,
    report: { rxBytes: 0, txBytes: -5 },
  }, "bad-field"],
  ["an unknown type", { type: "FOO", vpn } as unknown as Frame, "unknown-type"],
  ["a parity block that is not a datagram", { ...data, parity: true }, "bad-field"],
  ["a parity block that ends its stream", {
    ...data,
    datagram: true,
    parity: true,
    fin: true,
  }, "bad-field"],
  ["a SKIP seq of 2^53", { type: "SKIP", vpn, streamId: 1, seq: 2 ** 53 }, "bad-field"],
];

for (const [what, frame, kind] of refused) {
  Deno.test(`encodeFrame() refuses ${what}`, () => {
    assert.throws(() => encodeFrame(frame), (error) => {
      assert.ok(error instanceof FrameError, `not a FrameError: ${error}`);
      assert.equal(error.kind, kind, error.message);
      return true;
    });
  });
}

// ---- Seeded fuzzing ----

/** mulberry32: a tiny seeded PRNG, good enough to pick mutations. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

function fuzzSeed(): number {
  const permission = Deno.permissions.querySync({ name: "env", variable: "BONDCTL_FUZZ_SEED" });
  const given = permission.state === "granted" ? Deno.env.get("BONDCTL_FUZZ_SEED") : undefined;
  return given ? Number(given) >>> 0 : 0x5eed_0001;
}

/** One random change to a valid frame; most keep the header plausible to reach the bodies. */
function mutate(random: () => number, original: Uint8Array): Uint8Array {
  const pick = (n: number) => Math.floor(random() * n);
  const bytes = original.slice();
  const withBody = (body: Uint8Array) => {
    const out = new Uint8Array(14 + body.length);
    out.set(original.subarray(0, 14));
    new DataView(out.buffer).setUint32(10, body.length);
    out.set(body, 14);
    return out;
  };
  switch (pick(6)) {
    case 0: // flip 1 to 4 bits anywhere (flags, lengths, fields)
      for (let k = 1 + pick(4); k > 0; k--) bytes[pick(bytes.length)] ^= 1 << pick(8);
      return bytes;
    case 1: // truncate
      return bytes.subarray(0, pick(bytes.length));
    case 2: // overwrite 1 to 8 octets of the body with random values
      for (let k = 1 + pick(8); k > 0 && bytes.length > 14; k--) {
        bytes[14 + pick(bytes.length - 14)] = pick(256);
      }
      return bytes;
    case 3: // cut or grow the body and fix the declared length
      return withBody(
        Uint8Array.from({ length: pick(bytes.length + 16) }, (_, i) => bytes[14 + i] ?? pick(256)),
      );
    case 4: // a random body under a valid header
      return withBody(Uint8Array.from({ length: pick(80) }, () => pick(256)));
    default: // random octets, often with the right version octet
      return Uint8Array.from(
        { length: pick(40) },
        (_, i) => (i === 7 && random() < 0.8 ? 1 : pick(256)),
      );
  }
}

Deno.test("decodeFrame() returns a frame or throws FrameError on 20,000 mutated frames", () => {
  const seed = fuzzSeed();
  console.log(`fuzz seed ${seed} (replay with BONDCTL_FUZZ_SEED=${seed} and --allow-env)`);
  const random = mulberry32(seed);
  const corpus = samples.map(([, frame]) => encodeFrame(frame));
  let accepted = 0;
  for (let i = 0; i < 20_000; i++) {
    const input = mutate(random, corpus[Math.floor(random() * corpus.length)]);
    const where = `case ${i} of seed ${seed}, input ${hexOf(input)}`;
    let frame: Frame;
    try {
      frame = decodeFrame(input, random() < 0.1 ? DEFAULT_VPN_OUI : undefined);
    } catch (error) {
      assert.ok(error instanceof FrameError, `${where}: threw ${error}`);
      continue;
    }
    accepted++;
    // What the decoder accepts, the encoder accepts too; binary bodies have one encoding.
    const again = encodeFrame(frame);
    if (frame.type === "HELLO" || frame.type === "LINK_REPORT") {
      assert.equal(hexOf(encodeFrame(decodeFrame(again))), hexOf(again), where);
    } else {
      assert.equal(hexOf(again), hexOf(input), where);
    }
  }
  // Both outcomes must be common, or the mutations are not reaching the body decoders.
  assert.ok(accepted > 1000 && accepted < 19_000, `${accepted} of 20000 accepted`);
});
