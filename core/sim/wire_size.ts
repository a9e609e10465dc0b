/**
 * The encoded size of a frame, computed from its fields: the simulator passes frame objects
 * between the endpoints instead of encoding and decoding them (that would cost more than the
 * rest of the simulation), but the links must still carry the right number of bytes.
 * A test checks these sizes against `encodeFrame`.
 * @module
 */
import type { Frame } from "../frame/types.ts";
import { HEADER_LENGTH } from "../frame/constants.ts";

const RANGE = 16;
const utf8 = new TextEncoder();

/**
 * Bytes `encodeFrame(frame)` would produce.
 * @example
 * ```ts
 * wireSize({ type: "PING", vpn: { oui: 1, index: 1 }, ts: 0 }); // 18
 * ```
 */
export function wireSize(frame: Frame): number {
  switch (frame.type) {
    case "DATA":
      return HEADER_LENGTH + 16 + frame.payload.length;
    case "ACK":
      return HEADER_LENGTH + 26 + RANGE * frame.ranges.length;
    case "NACK":
      return HEADER_LENGTH + 6 + RANGE * frame.ranges.length;
    case "PING":
    case "PONG":
      return HEADER_LENGTH + 4;
    case "CLOSE":
      return HEADER_LENGTH + 2 + utf8.encode(frame.reason).length;
    default:
      // Handshake and report frames do not occur inside a simulated session; a fair guess.
      return HEADER_LENGTH + 128;
  }
}
