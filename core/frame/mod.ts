/**
 * bondctl's wire format: the frame model, its constants, and a strict, pure codec.
 *
 * Every frame is `VPN ID (OUI 3 + index 4) | version u8 | type u8 | flags u8 | length u32 |
 * body`. {@linkcode encodeFrame} and {@linkcode decodeFrame} handle one whole frame;
 * {@linkcode FrameReader} cuts a link's byte stream into frames. Anything malformed is a
 * {@linkcode FrameError} (a {@linkcode VersionError} for another protocol version): fatal for
 * that link, never for the process.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEFAULT_VPN_OUI, encodeFrame, FrameReader } from "./mod.ts";
 * const vpn = { oui: DEFAULT_VPN_OUI, index: 0 };
 * const reader = new FrameReader({ expectOui: DEFAULT_VPN_OUI });
 * const [frame] = reader.push(encodeFrame({ type: "PING", vpn, ts: 42 }));
 * assert.ok(frame.type === "PING" && frame.ts === 42);
 * ```
 * @module
 */

export * from "./types.ts";
export * from "./constants.ts";
export * from "./errors.ts";
export * from "./codec.ts";
export * from "./reader.ts";
export * from "./caps_schema.ts";
