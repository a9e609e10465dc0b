/**
 * The wire codec: frames to bytes and back. Pure: no I/O, no clock.
 *
 * Header: OUI u24 | VPN index u32 | version u8 | type u8 | flags u8 | body length u32, then
 * the body; every integer is big-endian. Decoding, in order:
 * 1. `decodeHeader()`: the version octet first (so a future version may change everything
 *    after the VPN ID), then the OUI, the type code, its flag bits, and the declared length
 *    against the global limit and the type's own bounds, so that a stream reader rejects a
 *    bad length before waiting for the body.
 * 2. `decodeFrame()`: the declared length against the octets given.
 * 3. The type's body decoder: its fields, then their values (ranges, UTF-8, JSON, schema).
 *
 * Encoding runs the same checks on the way out, so we never send what a peer would reject.
 * @module
 */

import type { ZodType } from "zod";
import { linkCapsSchema, linkReportSchema } from "./caps_schema.ts";
import {
  FLAG_DATAGRAM,
  FLAG_FIN,
  FLAG_JOIN,
  FLAG_PARITY,
  FLAG_RESET,
  FLAG_RETRANSMIT,
  FRAME_TYPE_CODES,
  HEADER_LENGTH,
  MAX_ACK_RANGES,
  MAX_BLOCK_PAYLOAD,
  MAX_BODY_LENGTH,
  MAX_JSON_LENGTH,
  MAX_TEXT_LENGTH,
  NONCE_LENGTH,
  PROOF_LENGTH,
  PROTOCOL_VERSION,
  SESSION_ID_LENGTH,
  VPN_ID_LENGTH,
} from "./constants.ts";
import { FrameError, type FrameErrorKind, VersionError } from "./errors.ts";
import type {
  AckFrame,
  BufferFrame,
  ChallengeFrame,
  CloseFrame,
  DataFrame,
  Frame,
  FrameType,
  HelloAckFrame,
  HelloFrame,
  LinkReportFrame,
  NackFrame,
  PingFrame,
  PongFrame,
  SeqRange,
  SkipFrame,
  StreamCloseFrame,
  StreamOpenFrame,
  VpnId,
} from "./types.ts";

/**
 * A decoded frame header: checked for version, OUI, type, flag bits and length bounds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeHeader, encodeFrame } from "./codec.ts";
 * const bytes = encodeFrame({ type: "PING", vpn: { oui: 0x02bdc7, index: 1 }, ts: 7 });
 * const header = decodeHeader(bytes);
 * assert.ok(header.typeCode === 7 && header.length === 4);
 * ```
 */
export interface FrameHeader {
  vpn: VpnId;
  version: number;
  typeCode: number;
  flags: number;
  /** Body length in octets, not counting the header. */
  length: number;
}

const U16 = 0xffff;
const U24 = 0xff_ffff;
const U32 = 0xffff_ffff;
const MAX_SEQ = Number.MAX_SAFE_INTEGER;
const MAX_SEQ_BIG = BigInt(MAX_SEQ);
const RANGE_LENGTH = 16;
const HELLO_FIXED = SESSION_ID_LENGTH + NONCE_LENGTH + PROOF_LENGTH;
const HELLO_ACK_FIXED = SESSION_ID_LENGTH + 4 + PROOF_LENGTH;
const DATA_FIXED = 16;
const ACK_FIXED = 26;
const NACK_FIXED = 6;
const SKIP_LENGTH = 12;

const utf8 = new TextEncoder();
// fatal: bad UTF-8 is an error, not U+FFFD; ignoreBOM: a leading U+FEFF is kept, so text
// round-trips exactly.
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** An encoded body: its flag bits and the pieces that follow the header, in order. */
interface Body {
  flags: number;
  parts: Uint8Array[];
}

/** One frame type's bounds and its encode/decode pair. */
interface Codec<F extends Frame> {
  /** Smallest and largest body in octets; equal for a fixed-size type. */
  min: number;
  max: number;
  /** The flag bits this type defines; any other set bit is an error. */
  flags: number;
  encode(frame: F): Body;
  decode(vpn: VpnId, body: Uint8Array, flags: number): F;
}

function fail(kind: FrameErrorKind, message: string): never {
  throw new FrameError(kind, message);
}

function hex(value: number, digits: number): string {
  return "0x" + value.toString(16).toUpperCase().padStart(digits, "0");
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A small fixed-layout piece of a body, written through a DataView. */
function fields(length: number, write: (view: DataView) => void): Uint8Array {
  const bytes = new Uint8Array(length);
  write(new DataView(bytes.buffer));
  return bytes;
}

function uint(what: string, value: number, max: number): number {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    fail("bad-field", `${what} ${value} is not an integer in 0..${max}`);
  }
  return value;
}

function octets(what: string, value: Uint8Array, length: number): Uint8Array {
  if (!(value instanceof Uint8Array) || value.length !== length) {
    fail("bad-field", `${what} must be ${length} octets, not ${value?.length}`);
  }
  return value;
}

function readU64(what: string, view: DataView, at: number): number {
  const value = view.getBigUint64(at);
  if (value > MAX_SEQ_BIG) fail("bad-field", `${what} ${value} exceeds 2^53 - 1`);
  return Number(value);
}

function textBytes(what: string, text: string, max: number): Uint8Array {
  // A lone surrogate would be sent as U+FFFD: refuse rather than change the text.
  if (typeof text !== "string" || !text.isWellFormed()) {
    fail("bad-field", `${what} is not valid Unicode (lone surrogate)`);
  }
  const bytes = utf8.encode(text);
  if (bytes.length > max) {
    fail("oversized", `${what} of ${bytes.length} octets exceeds the limit of ${max}`);
  }
  return bytes;
}

function readText(what: string, bytes: Uint8Array): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return fail("bad-field", `${what} is not valid UTF-8`);
  }
}

function checkSchema<T>(what: string, schema: ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue.path.length > 0 ? ` field "${issue.path.join(".")}"` : "";
  return fail("bad-field", `${what}${field}: ${issue.message}`);
}

function jsonBytes<T>(what: string, schema: ZodType<T>, value: T): Uint8Array {
  return textBytes(what, JSON.stringify(checkSchema(what, schema, value)), MAX_JSON_LENGTH);
}

function readJson<T>(what: string, schema: ZodType<T>, bytes: Uint8Array): T {
  const text = readText(what, bytes);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    fail("bad-field", `${what} is not valid JSON`);
  }
  return checkSchema(what, schema, value);
}

/**
 * Ranges must be non-empty, ascending and disjoint (adjacent is allowed), at most
 * MAX_ACK_RANGES. An ACK's first range may start at `cumulative` (not only above it): such a
 * range is redundant but harmless, so it is not worth a link.
 */
function checkRanges(what: string, ranges: readonly SeqRange[], floor: number): void {
  if (ranges.length > MAX_ACK_RANGES) {
    fail("bad-field", `${what} has ${ranges.length} ranges, over the limit of ${MAX_ACK_RANGES}`);
  }
  let previousEnd = floor;
  ranges.forEach(([start, end], i) => {
    const range = `${what} range ${i} [${start}, ${end})`;
    if (start >= end) fail("bad-field", `${range} is empty`);
    if (start < previousEnd) {
      fail(
        "bad-field",
        i === 0 ? `${range} starts below cumulative ${floor}` : `${range} overlaps range ${i - 1}`,
      );
    }
    previousEnd = end;
  });
}

function writeRanges(what: string, view: DataView, at: number, ranges: readonly SeqRange[]) {
  view.setUint16(at - 2, ranges.length);
  ranges.forEach(([start, end], i) => {
    view.setBigUint64(at + i * RANGE_LENGTH, BigInt(uint(`${what} range start`, start, MAX_SEQ)));
    view.setBigUint64(at + i * RANGE_LENGTH + 8, BigInt(uint(`${what} range end`, end, MAX_SEQ)));
  });
}

/** Reads the u16 range count at `at - 2` and the ranges from `at`, which must fill the body. */
function readRanges(what: string, view: DataView, at: number): SeqRange[] {
  const count = view.getUint16(at - 2);
  if (count > MAX_ACK_RANGES) {
    fail("bad-field", `${what} has ${count} ranges, over the limit of ${MAX_ACK_RANGES}`);
  }
  const expected = at + count * RANGE_LENGTH;
  if (view.byteLength !== expected) {
    fail(
      "bad-length",
      `${what} body of ${view.byteLength} octets should be ${expected} for ${count} ranges`,
    );
  }
  const ranges: SeqRange[] = [];
  for (let i = 0; i < count; i++) {
    const offset = at + i * RANGE_LENGTH;
    ranges.push([
      readU64(`${what} range start`, view, offset),
      readU64(`${what} range end`, view, offset + 8),
    ]);
  }
  return ranges;
}

// ---- One encode/decode pair per frame type ----

function encodeChallenge(f: ChallengeFrame): Body {
  return { flags: 0, parts: [octets("CHALLENGE nonce", f.nonce, NONCE_LENGTH)] };
}

function decodeChallengeBody(vpn: VpnId, body: Uint8Array): ChallengeFrame {
  return { type: "CHALLENGE", vpn, nonce: body.slice() };
}

function encodeHello(f: HelloFrame): Body {
  return {
    flags: f.join ? FLAG_JOIN : 0,
    parts: [
      octets("HELLO sessionId", f.sessionId, SESSION_ID_LENGTH),
      octets("HELLO nonce", f.nonce, NONCE_LENGTH),
      octets("HELLO proof", f.proof, PROOF_LENGTH),
      jsonBytes("HELLO caps", linkCapsSchema, f.caps),
    ],
  };
}

function decodeHelloBody(vpn: VpnId, body: Uint8Array, flags: number): HelloFrame {
  const proofAt = SESSION_ID_LENGTH + NONCE_LENGTH;
  return {
    type: "HELLO",
    vpn,
    join: (flags & FLAG_JOIN) !== 0,
    sessionId: body.slice(0, SESSION_ID_LENGTH),
    nonce: body.slice(SESSION_ID_LENGTH, proofAt),
    proof: body.slice(proofAt, HELLO_FIXED),
    caps: readJson("HELLO caps", linkCapsSchema, body.subarray(HELLO_FIXED)),
  };
}

function encodeHelloAck(f: HelloAckFrame): Body {
  const bufferMs = uint("HELLO_ACK bufferMs", f.bufferMs, U32);
  return {
    flags: 0,
    parts: [
      octets("HELLO_ACK sessionId", f.sessionId, SESSION_ID_LENGTH),
      fields(4, (v) => v.setUint32(0, bufferMs)),
      octets("HELLO_ACK proof", f.proof, PROOF_LENGTH),
    ],
  };
}

function decodeHelloAckBody(vpn: VpnId, body: Uint8Array): HelloAckFrame {
  return {
    type: "HELLO_ACK",
    vpn,
    sessionId: body.slice(0, SESSION_ID_LENGTH),
    bufferMs: viewOf(body).getUint32(SESSION_ID_LENGTH),
    proof: body.slice(SESSION_ID_LENGTH + 4),
  };
}

function encodeData(f: DataFrame): Body {
  if (!(f.payload instanceof Uint8Array)) fail("bad-field", "DATA payload is not a Uint8Array");
  if (f.payload.length > MAX_BLOCK_PAYLOAD) {
    fail(
      "oversized",
      `DATA payload of ${f.payload.length} octets exceeds the limit of ${MAX_BLOCK_PAYLOAD}`,
    );
  }
  const head = fields(DATA_FIXED, (v) => {
    v.setUint32(0, uint("DATA streamId", f.streamId, U32));
    v.setBigUint64(4, BigInt(uint("DATA seq", f.seq, MAX_SEQ)));
    v.setUint32(12, uint("DATA sendTs", f.sendTs, U32));
  });
  const flags = (f.fin ? FLAG_FIN : 0) | (f.retransmit ? FLAG_RETRANSMIT : 0) |
    (f.datagram ? FLAG_DATAGRAM : 0) | (f.parity ? FLAG_PARITY : 0);
  checkDataFlags(flags);
  return { flags, parts: [head, f.payload] };
}

/** Parity exists only in datagram streams, and the end of a stream is never parity. */
function checkDataFlags(flags: number): void {
  if ((flags & FLAG_PARITY) === 0) return;
  if ((flags & FLAG_DATAGRAM) === 0) fail("bad-field", "DATA parity flag without datagram flag");
  if ((flags & FLAG_FIN) !== 0) fail("bad-field", "DATA parity flag with fin flag");
}

function decodeDataBody(vpn: VpnId, body: Uint8Array, flags: number): DataFrame {
  checkDataFlags(flags);
  const view = viewOf(body);
  const frame: DataFrame = {
    type: "DATA",
    vpn,
    streamId: view.getUint32(0),
    seq: readU64("DATA seq", view, 4),
    sendTs: view.getUint32(12),
    fin: (flags & FLAG_FIN) !== 0,
    retransmit: (flags & FLAG_RETRANSMIT) !== 0,
    // The hot path: a view of the received bytes, never a copy.
    payload: body.subarray(DATA_FIXED),
  };
  // Only when set, so that a byte stream's frames look as they always did.
  if (flags & FLAG_DATAGRAM) frame.datagram = true;
  if (flags & FLAG_PARITY) frame.parity = true;
  return frame;
}

function encodeAck(f: AckFrame): Body {
  checkRanges("ACK", f.ranges, f.cumulative);
  const body = fields(ACK_FIXED + f.ranges.length * RANGE_LENGTH, (v) => {
    v.setUint32(0, uint("ACK streamId", f.streamId, U32));
    v.setBigUint64(4, BigInt(uint("ACK cumulative", f.cumulative, MAX_SEQ)));
    v.setUint32(12, uint("ACK windowBytes", f.windowBytes, U32));
    v.setUint32(16, uint("ACK echoTs", f.echoTs, U32));
    v.setUint32(20, uint("ACK ackDelayUs", f.ackDelayUs, U32));
    writeRanges("ACK", v, ACK_FIXED, f.ranges);
  });
  return { flags: 0, parts: [body] };
}

function decodeAckBody(vpn: VpnId, body: Uint8Array): AckFrame {
  const view = viewOf(body);
  const cumulative = readU64("ACK cumulative", view, 4);
  const ranges = readRanges("ACK", view, ACK_FIXED);
  checkRanges("ACK", ranges, cumulative);
  return {
    type: "ACK",
    vpn,
    streamId: view.getUint32(0),
    cumulative,
    ranges,
    windowBytes: view.getUint32(12),
    echoTs: view.getUint32(16),
    ackDelayUs: view.getUint32(20),
  };
}

// A NACK asks for something: one with no ranges is a peer bug, refused both ways.
function checkNackRanges(ranges: readonly SeqRange[]): void {
  if (ranges.length === 0) fail("bad-field", "NACK has no ranges");
  checkRanges("NACK", ranges, 0);
}

function encodeNack(f: NackFrame): Body {
  checkNackRanges(f.ranges);
  const body = fields(NACK_FIXED + f.ranges.length * RANGE_LENGTH, (v) => {
    v.setUint32(0, uint("NACK streamId", f.streamId, U32));
    writeRanges("NACK", v, NACK_FIXED, f.ranges);
  });
  return { flags: 0, parts: [body] };
}

function decodeNackBody(vpn: VpnId, body: Uint8Array): NackFrame {
  const view = viewOf(body);
  const ranges = readRanges("NACK", view, NACK_FIXED);
  checkNackRanges(ranges);
  return { type: "NACK", vpn, streamId: view.getUint32(0), ranges };
}

function encodeSkip(f: SkipFrame): Body {
  const body = fields(SKIP_LENGTH, (v) => {
    v.setUint32(0, uint("SKIP streamId", f.streamId, U32));
    v.setBigUint64(4, BigInt(uint("SKIP seq", f.seq, MAX_SEQ)));
  });
  return { flags: 0, parts: [body] };
}

function decodeSkipBody(vpn: VpnId, body: Uint8Array): SkipFrame {
  const view = viewOf(body);
  return { type: "SKIP", vpn, streamId: view.getUint32(0), seq: readU64("SKIP seq", view, 4) };
}

function encodeBuffer(f: BufferFrame): Body {
  const ms = uint("BUFFER bufferMs", f.bufferMs, U32);
  return { flags: 0, parts: [fields(4, (v) => v.setUint32(0, ms))] };
}

function decodeBufferBody(vpn: VpnId, body: Uint8Array): BufferFrame {
  return { type: "BUFFER", vpn, bufferMs: viewOf(body).getUint32(0) };
}

function encodePing(f: PingFrame): Body {
  const ts = uint("PING ts", f.ts, U32);
  return { flags: 0, parts: [fields(4, (v) => v.setUint32(0, ts))] };
}

function decodePingBody(vpn: VpnId, body: Uint8Array): PingFrame {
  return { type: "PING", vpn, ts: viewOf(body).getUint32(0) };
}

function encodePong(f: PongFrame): Body {
  const echoTs = uint("PONG echoTs", f.echoTs, U32);
  return { flags: 0, parts: [fields(4, (v) => v.setUint32(0, echoTs))] };
}

function decodePongBody(vpn: VpnId, body: Uint8Array): PongFrame {
  return { type: "PONG", vpn, echoTs: viewOf(body).getUint32(0) };
}

function encodeLinkReport(f: LinkReportFrame): Body {
  return { flags: 0, parts: [jsonBytes("LINK_REPORT", linkReportSchema, f.report)] };
}

function decodeLinkReportBody(vpn: VpnId, body: Uint8Array): LinkReportFrame {
  return { type: "LINK_REPORT", vpn, report: readJson("LINK_REPORT", linkReportSchema, body) };
}

function encodeStreamOpen(f: StreamOpenFrame): Body {
  const streamId = uint("STREAM_OPEN streamId", f.streamId, U32);
  const label = textBytes("STREAM_OPEN label", f.label, MAX_TEXT_LENGTH);
  return { flags: 0, parts: [fields(4, (v) => v.setUint32(0, streamId)), label] };
}

function decodeStreamOpenBody(vpn: VpnId, body: Uint8Array): StreamOpenFrame {
  const streamId = viewOf(body).getUint32(0);
  return {
    type: "STREAM_OPEN",
    vpn,
    streamId,
    label: readText("STREAM_OPEN label", body.subarray(4)),
  };
}

function encodeStreamClose(f: StreamCloseFrame): Body {
  const body = fields(6, (v) => {
    v.setUint32(0, uint("STREAM_CLOSE streamId", f.streamId, U32));
    v.setUint16(4, uint("STREAM_CLOSE code", f.code, U16));
  });
  return { flags: f.reset ? FLAG_RESET : 0, parts: [body] };
}

function decodeStreamCloseBody(vpn: VpnId, body: Uint8Array, flags: number): StreamCloseFrame {
  const view = viewOf(body);
  const reset = (flags & FLAG_RESET) !== 0;
  return { type: "STREAM_CLOSE", vpn, streamId: view.getUint32(0), reset, code: view.getUint16(4) };
}

function encodeClose(f: CloseFrame): Body {
  const code = uint("CLOSE code", f.code, U16);
  const reason = textBytes("CLOSE reason", f.reason, MAX_TEXT_LENGTH);
  return { flags: 0, parts: [fields(2, (v) => v.setUint16(0, code)), reason] };
}

function decodeCloseBody(vpn: VpnId, body: Uint8Array): CloseFrame {
  // An unknown code (from a newer peer) is kept: the reason text still tells the user why.
  const code = viewOf(body).getUint16(0);
  return { type: "CLOSE", vpn, code, reason: readText("CLOSE reason", body.subarray(2)) };
}

function codec<F extends Frame>(
  min: number,
  max: number,
  flags: number,
  encode: (frame: F) => Body,
  decode: (vpn: VpnId, body: Uint8Array, flags: number) => F,
): Codec<F> {
  return { min, max, flags, encode, decode };
}

const CODECS: { [T in FrameType]: Codec<Extract<Frame, { type: T }>> } = {
  CHALLENGE: codec(NONCE_LENGTH, NONCE_LENGTH, 0, encodeChallenge, decodeChallengeBody),
  HELLO: codec(HELLO_FIXED, HELLO_FIXED + MAX_JSON_LENGTH, FLAG_JOIN, encodeHello, decodeHelloBody),
  HELLO_ACK: codec(HELLO_ACK_FIXED, HELLO_ACK_FIXED, 0, encodeHelloAck, decodeHelloAckBody),
  DATA: codec(
    DATA_FIXED,
    DATA_FIXED + MAX_BLOCK_PAYLOAD,
    FLAG_FIN | FLAG_RETRANSMIT | FLAG_DATAGRAM | FLAG_PARITY,
    encodeData,
    decodeDataBody,
  ),
  ACK: codec(ACK_FIXED, ACK_FIXED + MAX_ACK_RANGES * RANGE_LENGTH, 0, encodeAck, decodeAckBody),
  NACK: codec(
    NACK_FIXED,
    NACK_FIXED + MAX_ACK_RANGES * RANGE_LENGTH,
    0,
    encodeNack,
    decodeNackBody,
  ),
  PING: codec(4, 4, 0, encodePing, decodePingBody),
  BUFFER: codec(4, 4, 0, encodeBuffer, decodeBufferBody),
  PONG: codec(4, 4, 0, encodePong, decodePongBody),
  LINK_REPORT: codec(0, MAX_JSON_LENGTH, 0, encodeLinkReport, decodeLinkReportBody),
  STREAM_OPEN: codec(4, 4 + MAX_TEXT_LENGTH, 0, encodeStreamOpen, decodeStreamOpenBody),
  STREAM_CLOSE: codec(6, 6, FLAG_RESET, encodeStreamClose, decodeStreamCloseBody),
  CLOSE: codec(2, 2 + MAX_TEXT_LENGTH, 0, encodeClose, decodeCloseBody),
  SKIP: codec(SKIP_LENGTH, SKIP_LENGTH, 0, encodeSkip, decodeSkipBody),
};

/** Type name and codec by wire code; holes are unknown codes. */
const BY_CODE: (readonly [FrameType, Codec<Frame>])[] = [];
for (const [name, code] of Object.entries(FRAME_TYPE_CODES) as [FrameType, number][]) {
  BY_CODE[code] = [name, CODECS[name]];
}

/**
 * Reads and checks a frame header: the version octet first (a {@linkcode VersionError} names
 * both versions), then the OUI (when `expectOui` is given), the type, its flag bits and the
 * declared body length against the global limit and the type's bounds. Needs the
 * {@linkcode HEADER_LENGTH} octets of the header; any more are ignored.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeHeader, encodeFrame } from "./codec.ts";
 * const bytes = encodeFrame({ type: "PONG", vpn: { oui: 0x02bdc7, index: 3 }, echoTs: 9 });
 * assert.ok(decodeHeader(bytes, 0x02bdc7).vpn.index === 3);
 * ```
 */
export function decodeHeader(bytes: Uint8Array, expectOui?: number): FrameHeader {
  const short = () =>
    fail(
      "short",
      `frame of ${bytes.length} octets is shorter than the ${HEADER_LENGTH}-octet header`,
    );
  if (bytes.length <= VPN_ID_LENGTH) short();
  const version = bytes[VPN_ID_LENGTH];
  if (version !== PROTOCOL_VERSION) throw new VersionError(version, PROTOCOL_VERSION);
  if (bytes.length < HEADER_LENGTH) short();
  const oui = (bytes[0] << 16) | (bytes[1] << 8) | bytes[2];
  if (expectOui !== undefined && oui !== expectOui) {
    fail("oui", `frame is for VPN OUI ${hex(oui, 6)}, this side expects ${hex(expectOui, 6)}`);
  }
  const view = viewOf(bytes);
  const typeCode = bytes[8];
  const flags = bytes[9];
  const length = view.getUint32(10);
  const entry = BY_CODE[typeCode];
  if (entry === undefined) {
    fail(
      "unknown-type",
      `unknown frame type ${typeCode} (this build knows 1..${BY_CODE.length - 1})`,
    );
  }
  const [name, { min, max, flags: known }] = entry;
  if ((flags & ~known) !== 0) {
    fail("bad-field", `${name} frame has unknown flag bits ${hex(flags & ~known, 2)}`);
  }
  if (length > MAX_BODY_LENGTH) {
    fail("oversized", `frame body of ${length} octets exceeds the limit of ${MAX_BODY_LENGTH}`);
  }
  if (length < min) {
    fail("short", `${name} frame body of ${length} octets is shorter than its ${min} fixed octets`);
  }
  if (length > max && min === max) {
    fail("bad-length", `${name} frame body of ${length} octets should be ${max}`);
  }
  if (length > max) {
    fail("oversized", `${name} frame body of ${length} octets exceeds its limit of ${max}`);
  }
  return { vpn: { oui, index: view.getUint32(3) }, version, typeCode, flags, length };
}

/**
 * Decodes exactly one whole frame (header and body). Strict: anything malformed is a
 * {@linkcode FrameError} of the matching kind. A DATA payload is a view of `bytes`, not a
 * copy: keep `bytes` unchanged while the payload is in use.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeFrame, encodeFrame } from "./codec.ts";
 * const vpn = { oui: 0x02bdc7, index: 0 };
 * const frame = decodeFrame(encodeFrame({ type: "CLOSE", vpn, code: 0, reason: "done" }));
 * assert.ok(frame.type === "CLOSE" && frame.reason === "done");
 * ```
 */
export function decodeFrame(bytes: Uint8Array, expectOui?: number): Frame {
  const header = decodeHeader(bytes, expectOui);
  const total = HEADER_LENGTH + header.length;
  if (bytes.length < total) {
    fail(
      "short",
      `frame of ${bytes.length} octets is shorter than the ${total} its header declares`,
    );
  }
  if (bytes.length > total) {
    fail(
      "bad-length",
      `frame of ${bytes.length} octets is longer than the ${total} its header declares`,
    );
  }
  const [, codec] = BY_CODE[header.typeCode];
  return codec.decode(header.vpn, bytes.subarray(HEADER_LENGTH), header.flags);
}

/**
 * Encodes one frame, header included. Validates every field as the decoder would (a
 * {@linkcode FrameError}, mostly `bad-field`), so we never send what the peer would reject.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeFrame } from "./codec.ts";
 * const bytes = encodeFrame({
 *   type: "DATA", vpn: { oui: 0x02bdc7, index: 2 }, streamId: 1, seq: 0, sendTs: 0,
 *   fin: false, retransmit: false, payload: new Uint8Array([1, 2, 3]),
 * });
 * assert.ok(bytes.length === 14 + 16 + 3);
 * ```
 */
export function encodeFrame(frame: Frame): Uint8Array {
  const parts = encodeFrameParts(frame);
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts[0].length + parts[1].length);
  out.set(parts[0], 0);
  out.set(parts[1], parts[0].length);
  return out;
}

/**
 * Payloads at least this large are handed out by reference instead of copied. A smaller one is
 * copied behind its header, so that the frame is one write and one TLS record (16 KiB of
 * plaintext at most): written apart, header and payload were two records, 22 octets more per
 * block, 1 % of a 2 KiB block on a slow modem. Copying a record's worth costs next to nothing.
 */
const ZERO_COPY_MIN = 16 * 1024 - HEADER_LENGTH - 64;

/**
 * Encodes a frame as one or two buffers to be written back to back: the header with the fixed
 * fields, then (for a large DATA payload) the payload itself, uncopied. The hot path of the
 * sender: it saves a copy of every block.
 *
 * @example
 * ```ts
 * import { encodeFrameParts } from "./codec.ts";
 * for (const part of encodeFrameParts(frame)) socket.write(part);
 * ```
 */
export function encodeFrameParts(frame: Frame): Uint8Array[] {
  if (!Object.hasOwn(CODECS, frame.type)) {
    fail("unknown-type", `unknown frame type "${frame.type}"`);
  }
  const { encode } = CODECS[frame.type] as Codec<Frame>;
  const oui = uint("VPN OUI", frame.vpn.oui, U24);
  const index = uint("VPN index", frame.vpn.index, U32);
  const { flags, parts } = encode(frame);
  const length = parts.reduce((sum, part) => sum + part.length, 0);
  const last = parts[parts.length - 1];
  const tail = parts.length > 1 && last.length >= ZERO_COPY_MIN ? last : null;
  const headLength = HEADER_LENGTH + length - (tail ? tail.length : 0);
  const out = new Uint8Array(headLength);
  const view = new DataView(out.buffer);
  out[0] = oui >>> 16;
  out[1] = (oui >>> 8) & 0xff;
  out[2] = oui & 0xff;
  view.setUint32(3, index);
  out[7] = PROTOCOL_VERSION;
  out[8] = FRAME_TYPE_CODES[frame.type];
  out[9] = flags;
  view.setUint32(10, length);
  let at = HEADER_LENGTH;
  for (const part of tail ? parts.slice(0, -1) : parts) {
    out.set(part, at);
    at += part.length;
  }
  return tail ? [out, tail] : [out];
}
