/**
 * The first bytes of every stream opened inside a session (all but stream 0): what kind of
 * stream it is and its label (where the opener wants it to go). Carried in the stream itself
 * rather than in a control frame, so that opening a stream is exactly as reliable and as
 * ordered as its data: a link dying with the open on board loses nothing, and the label can
 * never arrive after the data it governs.
 *
 * Layout: `kind u8 | label length u16 | label UTF-8`, and for a datagram stream then
 * `deadline ms u32 | fec data u8 | fec parity u8` (0 for none): the receiver must know the
 * deadline to stop waiting for what is late, and the FEC layout to read parity. A datagram
 * stream's header is a block of its own (its first datagram), never followed by data in it.
 * Pure: no I/O.
 * @module
 */
import { MAX_FEC_DATA, MAX_FEC_PARITY } from "../fec/fec_layout.ts";

/** How a stream's blocks are delivered. */
export type StreamKind = "bytes" | "datagrams";

/** A stream's open header. */
export interface StreamHeader extends LiveOptions {
  kind: StreamKind;
  /** The opener's label: a destination such as `tcp`, `socks:host:port` or `udp:addr:port`. */
  label: string;
}

/**
 * How a datagram stream treats lateness (absent on a byte stream, and when unset).
 * @example
 * ```ts
 * const live: LiveOptions = { deadlineMs: 800, fec: { k: 8, m: 2 } };
 * ```
 */
export interface LiveOptions {
  /** Live mode: what cannot arrive within this long after it was sent is dropped (ms). */
  deadlineMs?: number;
  /** Live mode only: m Reed-Solomon parity blocks for every k datagrams. */
  fec?: { k: number; m: number };
}

const KIND_CODES: Record<StreamKind, number> = { bytes: 0, datagrams: 1 };
/** Longest label, in UTF-8 octets. */
export const MAX_STREAM_LABEL = 1024;
/** Longest deadline a live stream may have (ms): ten minutes is no longer live. */
export const MAX_DEADLINE_MS = 600_000;
const FIXED = 3;
/** A datagram stream's live fields after the label. */
const LIVE_FIXED = 6;

/**
 * What is wrong with live options, or null: a deadline within 1 ms .. 10 min, FEC only with a
 * deadline and within its limits.
 * @example
 * ```ts
 * liveOptionsProblem({ fec: { k: 8, m: 2 } }); // "FEC needs a deadline (live mode)"
 * ```
 */
export function liveOptionsProblem(o: LiveOptions): string | null {
  const d = o.deadlineMs;
  if (d !== undefined && (!Number.isInteger(d) || d < 1 || d > MAX_DEADLINE_MS)) {
    return `deadline ${d} ms is not within 1 .. ${MAX_DEADLINE_MS} ms`;
  }
  if (!o.fec) return null;
  if (d === undefined) return "FEC needs a deadline (live mode)";
  const { k, m } = o.fec;
  if (!Number.isInteger(k) || k < 1 || k > MAX_FEC_DATA) {
    return `FEC data count ${k} is not within 1 .. ${MAX_FEC_DATA}`;
  }
  if (!Number.isInteger(m) || m < 1 || m > MAX_FEC_PARITY) {
    return `FEC parity count ${m} is not within 1 .. ${MAX_FEC_PARITY}`;
  }
  return null;
}

/** A peer's stream header that cannot be understood: the stream is reset, not the session. */
export class StreamHeaderError extends Error {
  override name = "StreamHeaderError";
}

/**
 * Encodes a header.
 * @example
 * ```ts
 * const bytes = encodeStreamHeader({ kind: "bytes", label: "socks:example.com:443" });
 * ```
 */
export function encodeStreamHeader(h: StreamHeader): Uint8Array {
  const label = new TextEncoder().encode(h.label);
  if (label.length > MAX_STREAM_LABEL) {
    throw new RangeError(`stream label is ${label.length} octets; at most ${MAX_STREAM_LABEL}`);
  }
  const live = h.kind === "datagrams";
  if (!live && (h.deadlineMs !== undefined || h.fec)) {
    throw new RangeError("a byte stream has no deadline or FEC");
  }
  const problem = liveOptionsProblem(h);
  if (problem) throw new RangeError(problem);
  const out = new Uint8Array(FIXED + label.length + (live ? LIVE_FIXED : 0));
  const v = new DataView(out.buffer);
  v.setUint8(0, KIND_CODES[h.kind]);
  v.setUint16(1, label.length);
  out.set(label, FIXED);
  if (live) {
    const at = FIXED + label.length;
    v.setUint32(at, h.deadlineMs ?? 0);
    v.setUint8(at + 4, h.fec?.k ?? 0);
    v.setUint8(at + 5, h.fec?.m ?? 0);
  }
  return out;
}

/**
 * Reads a header from the start of `bytes`: the header and the bytes after it, or null while
 * more bytes are needed. Throws {@linkcode StreamHeaderError} for an unknown kind, an overlong
 * label or a label that is not UTF-8.
 * @example
 * ```ts
 * const got = decodeStreamHeader(firstBytes); // { header, rest } or null
 * ```
 */
export function decodeStreamHeader(
  bytes: Uint8Array,
): { header: StreamHeader; rest: Uint8Array } | null {
  if (bytes.length < FIXED) return null;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const code = v.getUint8(0);
  const kind = (Object.keys(KIND_CODES) as StreamKind[]).find((k) => KIND_CODES[k] === code);
  if (!kind) throw new StreamHeaderError(`unknown stream kind ${code}`);
  const len = v.getUint16(1);
  if (len > MAX_STREAM_LABEL) {
    throw new StreamHeaderError(`stream label of ${len} octets; at most ${MAX_STREAM_LABEL}`);
  }
  const end = FIXED + len + (kind === "datagrams" ? LIVE_FIXED : 0);
  if (bytes.length < end) return null;
  let label: string;
  try {
    label = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(FIXED, FIXED + len));
  } catch {
    throw new StreamHeaderError("stream label is not UTF-8");
  }
  const header: StreamHeader = { kind, label };
  if (kind === "datagrams") {
    // Set only when non-zero, so that a plain datagram stream's header is just kind and label.
    const deadline = v.getUint32(FIXED + len);
    const k = v.getUint8(FIXED + len + 4);
    const m = v.getUint8(FIXED + len + 5);
    if (deadline > 0) header.deadlineMs = deadline;
    if (k > 0 || m > 0) header.fec = { k, m };
    const problem = liveOptionsProblem(header);
    if (problem) throw new StreamHeaderError(`stream header: ${problem}`);
  }
  return { header, rest: bytes.subarray(end) };
}
