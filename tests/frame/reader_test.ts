// Tests of core/frame/reader.ts: whole frames out of a byte stream cut anywhere, early
// rejection from the header alone, and the reader staying failed after an error.

import assert from "node:assert/strict";
import {
  DEFAULT_VPN_OUI,
  encodeFrame,
  type Frame,
  FrameError,
  FrameReader,
  MAX_BODY_LENGTH,
  VersionError,
  type VpnId,
} from "../../core/frame/mod.ts";

const vpn: VpnId = { oui: DEFAULT_VPN_OUI, index: 3 };
const payload = Uint8Array.from({ length: 40 }, (_, i) => i);

const frames: Frame[] = [
  { type: "PING", vpn, ts: 1 },
  { type: "DATA", vpn, streamId: 1, seq: 0, sendTs: 9, fin: false, retransmit: false, payload },
  { type: "STREAM_OPEN", vpn, streamId: 2, label: "tcp → 192.0.2.7:22" },
  {
    type: "ACK",
    vpn,
    streamId: 1,
    cumulative: 1,
    ranges: [[3, 5]],
    windowBytes: 1 << 20,
    echoTs: 9,
    ackDelayUs: 100,
  },
  { type: "LINK_REPORT", vpn, report: { rxBytes: 10, txBytes: 20, rttMs: 31 } },
  { type: "DATA", vpn, streamId: 1, seq: 1, sendTs: 10, fin: true, retransmit: true, payload },
  { type: "CLOSE", vpn, code: 0, reason: "done" },
];
const encoded = frames.map(encodeFrame);
const stream = concat(encoded);

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** A header, and nothing more, declaring `length` octets of body. */
function headerOnly(typeCode: number, length: number, version = 1): Uint8Array {
  const header = encodeFrame({ type: "PING", vpn, ts: 0 }).slice(0, 14);
  header[7] = version;
  header[8] = typeCode;
  new DataView(header.buffer).setUint32(10, length);
  return header;
}

Deno.test("FrameReader.push() returns every frame of one chunk, in order, without copying", () => {
  const reader = new FrameReader({ expectOui: DEFAULT_VPN_OUI });
  const out = reader.push(stream);
  assert.deepStrictEqual(out, frames);
  assert.equal(reader.bufferedBytes, 0);
  const data = out[1];
  assert.equal(data.type, "DATA");
  assert.equal(data.payload.buffer, stream.buffer);
});

Deno.test("FrameReader.push() reassembles frames split at every byte boundary", () => {
  for (let cut = 0; cut <= stream.length; cut++) {
    const reader = new FrameReader();
    const out = [...reader.push(stream.subarray(0, cut)), ...reader.push(stream.subarray(cut))];
    assert.deepStrictEqual(out, frames, `cut at ${cut}`);
    assert.equal(reader.bufferedBytes, 0);
  }
});

Deno.test("FrameReader.push() reassembles frames pushed one octet at a time", () => {
  const reader = new FrameReader();
  const out: Frame[] = [];
  for (let i = 0; i < stream.length; i++) {
    out.push(...reader.push(stream.subarray(i, i + 1)));
    assert.ok(reader.bufferedBytes < 14 + 16 + payload.length + 1);
  }
  assert.deepStrictEqual(out, frames);
});

Deno.test("FrameReader.push() copies a frame spanning chunks into one buffer of its size", () => {
  const reader = new FrameReader();
  const data = encoded[1];
  assert.deepStrictEqual(reader.push(data.subarray(0, 20)), []);
  assert.equal(reader.bufferedBytes, 20);
  const [frame] = reader.push(data.subarray(20));
  assert.equal(frame.type, "DATA");
  assert.equal(frame.payload.buffer.byteLength, data.length);
});

Deno.test("FrameReader.push() keeps a partial frame after whole ones", () => {
  const reader = new FrameReader();
  const cut = encoded[0].length + encoded[1].length + 5;
  assert.deepStrictEqual(reader.push(stream.subarray(0, cut)), frames.slice(0, 2));
  assert.equal(reader.bufferedBytes, 5);
  assert.deepStrictEqual(reader.push(new Uint8Array(0)), []);
  assert.deepStrictEqual(reader.push(stream.subarray(cut)), frames.slice(2));
});

Deno.test("FrameReader.push() rejects an oversized length from the header alone", () => {
  const reader = new FrameReader();
  assert.throws(() => reader.push(headerOnly(4, MAX_BODY_LENGTH + 1)), { kind: "oversized" });
});

Deno.test("FrameReader.push() rejects a fixed-size type's wrong length from the header alone", () => {
  const reader = new FrameReader();
  assert.throws(() => reader.push(headerOnly(7, 1000)), { kind: "bad-length" });
});

Deno.test("FrameReader.push() rejects another version as soon as the version octet is in", () => {
  const reader = new FrameReader();
  const header = headerOnly(7, 4, 2);
  assert.deepStrictEqual(reader.push(header.subarray(0, 7)), []);
  assert.throws(() => reader.push(header.subarray(7, 8)), VersionError);
});

Deno.test("FrameReader.push() rejects an unexpected OUI", () => {
  const reader = new FrameReader({ expectOui: 0x00_00_01 });
  assert.throws(() => reader.push(encoded[0]), { kind: "oui" });
});

Deno.test("FrameReader.push() stays failed after an error, throwing the same error", () => {
  const reader = new FrameReader();
  const bad = encoded[2].slice();
  bad[bad.length - 1] = 0xff; // the label is no longer valid UTF-8
  let first: unknown;
  try {
    reader.push(concat([encoded[0], bad]));
  } catch (error) {
    first = error;
  }
  assert.ok(first instanceof FrameError);
  assert.equal(first.kind, "bad-field");
  for (const chunk of [encoded[0], new Uint8Array(0)]) {
    assert.throws(() => reader.push(chunk), (error) => error === first);
  }
});
