/**
 * The first bytes of every stream opened inside a session (all but stream 0): what kind of
 * stream it is and its label (where the opener wants it to go). Carried in the stream itself
 * rather than in a control frame, so that opening a stream is exactly as reliable and as
 * ordered as its data: a link dying with the open on board loses nothing, and the label can
 * never arrive after the data it governs.
 *
 * Layout: `kind u8 | label length u16 | label UTF-8`.
 * Pure: no I/O.
 * @module
 */

/** How a stream's blocks are delivered. */
export type StreamKind = "bytes" | "datagrams";

/** A stream's open header. */
export interface StreamHeader {
  kind: StreamKind;
  /** The opener's label: a destination such as `tcp`, `socks:host:port` or `udp:addr:port`. */
  label: string;
}

const KIND_CODES: Record<StreamKind, number> = { bytes: 0, datagrams: 1 };
/** Longest label, in UTF-8 octets. */
export const MAX_STREAM_LABEL = 1024;
const FIXED = 3;

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
  const out = new Uint8Array(FIXED + label.length);
  const v = new DataView(out.buffer);
  v.setUint8(0, KIND_CODES[h.kind]);
  v.setUint16(1, label.length);
  out.set(label, FIXED);
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
  if (bytes.length < FIXED + len) return null;
  let label: string;
  try {
    label = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(FIXED, FIXED + len));
  } catch {
    throw new StreamHeaderError("stream label is not UTF-8");
  }
  return { header: { kind, label }, rest: bytes.subarray(FIXED + len) };
}
