/**
 * Typed errors of the wire codec. Each names what was wrong in words a user can act on; the
 * `kind` lets a caller react (close the link with PROTOCOL_ERROR or VERSION_MISMATCH).
 * @module
 */

import { PROTOCOL_VERSION } from "./constants.ts";

/**
 * What was wrong with a frame:
 * - `short`: fewer octets than the header or the type's fixed fields need;
 * - `oversized`: a length beyond a limit (body, payload, JSON, text);
 * - `unknown-type`: a type code this build does not know;
 * - `bad-length`: a length that disagrees with the bytes or with the type's layout;
 * - `bad-field`: a field out of range, unknown flag bits, bad UTF-8, bad JSON, a schema failure;
 * - `version`: another protocol version (always a {@linkcode VersionError});
 * - `oui`: a VPN OUI other than the one expected.
 *
 * @example
 * ```ts
 * import type { FrameErrorKind } from "./errors.ts";
 * const kind: FrameErrorKind = "short";
 * ```
 */
export type FrameErrorKind =
  | "short"
  | "oversized"
  | "unknown-type"
  | "bad-length"
  | "bad-field"
  | "version"
  | "oui";

/**
 * A frame that cannot be encoded or decoded. Fatal for the link it came from, never for the
 * process.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FrameError } from "./errors.ts";
 * const err = new FrameError("short", "frame of 3 octets is shorter than the 14-octet header");
 * assert.ok(err.kind === "short");
 * ```
 */
export class FrameError extends Error {
  /** What was wrong, for a caller that reacts per case. */
  readonly kind: FrameErrorKind;

  /**
   * @param kind what was wrong
   * @param message one short line telling the user what was wrong
   */
  constructor(kind: FrameErrorKind, message: string) {
    super(message);
    this.name = "FrameError";
    this.kind = kind;
  }
}

/**
 * The peer speaks another protocol version. Raised from the version octet alone, before the
 * rest of the header is read, so a future version may change everything after it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { VersionError } from "./errors.ts";
 * const err = new VersionError(2, 1);
 * assert.ok(err.kind === "version" && err.peerVersion === 2);
 * ```
 */
export class VersionError extends FrameError {
  /** Always `"version"`. */
  declare readonly kind: "version";
  /** The version octet the peer sent. */
  readonly peerVersion: number;
  /** The version this build speaks. */
  readonly ourVersion: number;

  /**
   * @param peerVersion the version octet the peer sent
   * @param ourVersion the version this build speaks
   */
  constructor(peerVersion: number, ourVersion: number = PROTOCOL_VERSION) {
    super(
      "version",
      `peer speaks bondctl protocol version ${peerVersion}, this build speaks version ` +
        `${ourVersion}: upgrade the older side`,
    );
    this.name = "VersionError";
    this.peerVersion = peerVersion;
    this.ourVersion = ourVersion;
  }
}
