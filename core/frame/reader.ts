/**
 * Cuts a link's byte stream into frames. Pure: it is given chunks, it never reads a socket.
 *
 * Each `push()`, in order:
 * 1. If an earlier push failed, throw that error again: a link that sent one bad frame is not
 *    trusted to be in step any more (and what it had buffered is let go at the failure).
 * 2. Queue the chunk (by reference, not copied).
 * 3. Once the version octet is in, check it; once the 14-octet header is in, check it all
 *    (OUI, type, flags, length bounds), before any of the body has arrived.
 * 4. Once the whole frame is in, decode it: straight from the chunk when the frame lies inside
 *    one, else from one buffer of exactly the frame's size.
 * 5. Repeat 3-4 until the queue holds less than a frame.
 * @module
 */

import { decodeFrame, decodeHeader, type FrameHeader } from "./codec.ts";
import { HEADER_LENGTH, PROTOCOL_VERSION, VPN_ID_LENGTH } from "./constants.ts";
import { VersionError } from "./errors.ts";
import type { Frame } from "./types.ts";

/**
 * Options for a {@linkcode FrameReader}.
 *
 * @example
 * ```ts
 * import type { FrameReaderOptions } from "./reader.ts";
 * const options: FrameReaderOptions = { expectOui: 0x02bdc7 };
 * ```
 */
export interface FrameReaderOptions {
  /** Reject frames whose VPN OUI differs (FrameError kind "oui"). */
  expectOui?: number;
}

/**
 * Turns the chunks of one link's byte stream into whole frames.
 *
 * Chunks are kept by reference and DATA payloads are views of them: do not reuse or change a
 * chunk after pushing it. After any error the reader stays failed; frames decoded earlier in
 * the same push are dropped with the link (the session re-sends what a dead link held).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeFrame } from "./codec.ts";
 * import { FrameReader } from "./reader.ts";
 * const bytes = encodeFrame({ type: "PING", vpn: { oui: 0x02bdc7, index: 0 }, ts: 1 });
 * const reader = new FrameReader();
 * assert.ok(reader.push(bytes.subarray(0, 5)).length === 0);
 * assert.ok(reader.push(bytes.subarray(5))[0].type === "PING");
 * ```
 */
export class FrameReader {
  readonly #expectOui: number | undefined;
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  /** The checked header of the frame being gathered, once its 14 octets are in. */
  #header: FrameHeader | undefined;
  #error: unknown;
  #failed = false;

  /** @param options `expectOui`: the VPN OUI every frame must carry */
  constructor(options: FrameReaderOptions = {}) {
    this.#expectOui = options.expectOui;
  }

  /**
   * Octets received but not yet returned as frames.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { FrameReader } from "./reader.ts";
   * const reader = new FrameReader();
   * reader.push(new Uint8Array([0x02, 0xbd]));
   * assert.ok(reader.bufferedBytes === 2);
   * ```
   */
  get bufferedBytes(): number {
    return this.#buffered;
  }

  /**
   * Adds a chunk of the stream; returns every frame it completes, in order.
   * Throws a FrameError (every later call throws the same one).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { encodeFrame } from "./codec.ts";
   * import { FrameReader } from "./reader.ts";
   * const vpn = { oui: 0x02bdc7, index: 0 };
   * const a = encodeFrame({ type: "PING", vpn, ts: 1 });
   * const b = encodeFrame({ type: "PONG", vpn, echoTs: 1 });
   * const both = new Uint8Array([...a, ...b]);
   * assert.ok(new FrameReader().push(both).length === 2);
   * ```
   */
  push(chunk: Uint8Array): Frame[] {
    if (this.#failed) throw this.#error;
    try {
      return this.#drain(chunk);
    } catch (error) {
      this.#failed = true;
      this.#error = error;
      // Nothing more will be read from this link: let go of what it sent.
      this.#chunks = [];
      this.#buffered = 0;
      this.#header = undefined;
      throw error;
    }
  }

  #drain(chunk: Uint8Array): Frame[] {
    if (chunk.length > 0) {
      this.#chunks.push(chunk);
      this.#buffered += chunk.length;
    }
    const frames: Frame[] = [];
    while (true) {
      if (this.#header === undefined) {
        if (this.#buffered < HEADER_LENGTH) {
          // The version octet alone decides whether the rest can be read at all.
          if (this.#buffered > VPN_ID_LENGTH) {
            const version = this.#peek(VPN_ID_LENGTH + 1)[VPN_ID_LENGTH];
            if (version !== PROTOCOL_VERSION) throw new VersionError(version, PROTOCOL_VERSION);
          }
          return frames;
        }
        this.#header = decodeHeader(this.#peek(HEADER_LENGTH), this.#expectOui);
      }
      const total = HEADER_LENGTH + this.#header.length;
      if (this.#buffered < total) return frames;
      this.#header = undefined;
      frames.push(decodeFrame(this.#take(total), this.#expectOui));
    }
  }

  /** The first `n` buffered octets; a copy only when they span chunks. */
  #peek(n: number): Uint8Array {
    const first = this.#chunks[0];
    if (first.length >= n) return first.subarray(0, n);
    const out = new Uint8Array(n);
    let at = 0;
    for (const chunk of this.#chunks) {
      const part = chunk.subarray(0, n - at);
      out.set(part, at);
      at += part.length;
      if (at === n) break;
    }
    return out;
  }

  /** Removes and returns the first `n` buffered octets; a copy only when they span chunks. */
  #take(n: number): Uint8Array {
    this.#buffered -= n;
    const first = this.#chunks[0];
    if (first.length > n) {
      this.#chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    if (first.length === n) return this.#chunks.shift()!;
    const out = new Uint8Array(n);
    let at = 0;
    let used = 0; // whole chunks consumed, dropped in one splice (a frame may span many)
    while (at < n) {
      const chunk = this.#chunks[used];
      const part = Math.min(chunk.length, n - at);
      out.set(chunk.subarray(0, part), at);
      at += part;
      if (part === chunk.length) used++;
      else this.#chunks[used] = chunk.subarray(part);
    }
    this.#chunks.splice(0, used);
    return out;
  }
}
