/**
 * Random frames and byte mutations for the fuzzers: every frame type with edge values in
 * every field (0, 1, the type's limits, 2^32 - 1, 2^53 - 1), and mutations that break a
 * frame the ways a hostile or broken peer would (bit flips, absurd lengths, unknown types and
 * flags, truncation, insertion, splices of two frames).
 * @module
 */
import {
  DEFAULT_VPN_OUI,
  encodeFrame,
  type Frame,
  type LinkCaps,
  MAX_ACK_RANGES,
  MAX_BLOCK_PAYLOAD,
  MAX_BODY_LENGTH,
  type SeqRange,
} from "../../core/frame/mod.ts";

/**
 * A PRNG (mulberry32) with the helpers the generators need.
 * @example
 * ```ts
 * const r = new Rng(42);
 * const seq = r.chance(0.5) ? r.int(100) : r.u32();
 * ```
 */
export class Rng {
  #state: number;
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }
  /** A float in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let z = this.#state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  u32(): number {
    return this.int(0x1_0000_0000);
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }
}

/**
 * Mixes a run's seed with a sequence number into that sequence's own seed.
 * @example
 * ```ts
 * const seed = sequenceSeed(master, 17); // replays sequence 17 alone
 * ```
 */
export function sequenceSeed(master: number, i: number): number {
  let h = (master ^ Math.imul(i + 1, 0x9e3779b9)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

export const MAX_SEQ = Number.MAX_SAFE_INTEGER;
const U32_EDGES = [0, 1, 2, 0x7fff_ffff, 0x8000_0000, 0xffff_fffe, 0xffff_ffff];
const SEQ_EDGES = [0, 1, 2, 63, 64, 0xffff_ffff, 0x1_0000_0000, MAX_SEQ - 1, MAX_SEQ];

/**
 * A u32 that is an edge value half the time.
 * @example
 * ```ts
 * const window = u32(r);
 * ```
 */
export function u32(r: Rng): number {
  return r.chance(0.5) ? r.pick(U32_EDGES) : r.u32();
}

/**
 * A sequence number: an edge value, small, or anything up to 2^53 - 1.
 * @example
 * ```ts
 * const seq = seqValue(r);
 * ```
 */
export function seqValue(r: Rng): number {
  const k = r.int(4);
  if (k === 0) return r.pick(SEQ_EDGES);
  if (k === 1) return r.int(100);
  if (k === 2) return r.int(0x1_0000_0000);
  return Math.floor(r.next() * MAX_SEQ);
}

/**
 * Up to `max` ascending, disjoint, non-empty ranges starting at or above `floor`.
 * @example
 * ```ts
 * const ack = { cumulative: 10, ranges: ranges(r, 10) };
 * ```
 */
export function ranges(r: Rng, floor: number, max = MAX_ACK_RANGES): SeqRange[] {
  const out: SeqRange[] = [];
  const n = r.chance(0.1) ? max : r.int(Math.min(max, 6) + 1);
  let at = floor;
  for (let i = 0; i < n && at < MAX_SEQ; i++) {
    const gap = r.chance(0.3) ? 0 : r.chance(0.8) ? r.int(20) : Math.floor(r.next() * 1e12);
    const start = Math.min(MAX_SEQ - 1, at + gap);
    const len = r.chance(0.8) ? 1 + r.int(10) : 1 + Math.floor(r.next() * 1e9);
    const end = Math.min(MAX_SEQ, start + len);
    if (end <= start) break;
    out.push([start, end]);
    at = end;
  }
  return out;
}

const PAYLOAD_POOL = new Rng(0xb0d).bytes(MAX_BLOCK_PAYLOAD + 4096);

/**
 * `n` payload octets (a view of a shared random pool: no allocation).
 * @example
 * ```ts
 * const payload = poolBytes(r, 1024);
 * ```
 */
export function poolBytes(r: Rng, n: number): Uint8Array {
  const at = r.int(PAYLOAD_POOL.length - n + 1);
  return PAYLOAD_POOL.subarray(at, at + n);
}

function payloadLength(r: Rng): number {
  const k = r.int(100);
  if (k === 0) return MAX_BLOCK_PAYLOAD;
  if (k < 5) return 0;
  if (k < 8) return r.int(MAX_BLOCK_PAYLOAD + 1);
  return r.int(2048);
}

function text(r: Rng, max: number): string {
  const n = r.chance(0.05) ? max : r.int(40);
  const alphabet = ["a", "z", "0", " ", "é", "\u{1F600}", "\u0000", "\uFEFF", "\n"];
  let s = "";
  let octets = 0;
  for (let i = 0; i < n; i++) {
    const c = r.pick(alphabet);
    const size = new TextEncoder().encode(c).length;
    if (octets + size > max) break; // within `max` UTF-8 octets, whole characters only
    s += c;
    octets += size;
  }
  return s;
}

/**
 * Link capabilities that pass the schema, with edge values.
 * @example
 * ```ts
 * endpoint.addLink(1, caps(r), now);
 * ```
 */
export function caps(r: Rng): LinkCaps {
  const c: LinkCaps = {
    kind: r.pick(["ppp", "wwan", "usb-ethernet", "ethernet", "wifi", "loopback", "unknown"]),
    name: text(r, 40),
    localAddress: r.pick(["", "10.0.0.2", "::1", "x".repeat(256)]),
    cost: r.pick([0, 1, 2.5, 1e300]),
    priority: r.pick(["primary", "secondary", "backup"]),
  };
  if (r.chance(0.3)) c.capBytes = r.pick([0, 1, MAX_SEQ]);
  if (r.chance(0.3)) c.rateBps = r.pick([0, 1, 1e12]);
  if (r.chance(0.2)) c.signal = r.pick([0, 50, 100]);
  if (r.chance(0.2)) c.provider = text(r, 40);
  return c;
}

/**
 * Any frame type, with random and edge field values that the encoder accepts.
 * @example
 * ```ts
 * const bytes = encodeFrame(randomFrame(r));
 * ```
 */
export function randomFrame(r: Rng, oui = DEFAULT_VPN_OUI): Frame {
  const vpn = { oui, index: r.chance(0.7) ? r.int(8) : u32(r) };
  switch (r.int(14)) {
    case 0:
      return { type: "CHALLENGE", vpn, nonce: r.bytes(32) };
    case 1:
      return {
        type: "HELLO",
        vpn,
        join: r.chance(0.5),
        sessionId: r.bytes(16),
        nonce: r.bytes(32),
        proof: r.bytes(32),
        caps: caps(r),
      };
    case 2:
      return {
        type: "HELLO_ACK",
        vpn,
        sessionId: r.bytes(16),
        bufferMs: u32(r),
        proof: r.bytes(32),
      };
    case 3: {
      const f: Frame = {
        type: "DATA",
        vpn,
        streamId: r.chance(0.8) ? 0 : u32(r),
        seq: seqValue(r),
        sendTs: u32(r),
        fin: r.chance(0.2),
        retransmit: r.chance(0.2),
        payload: poolBytes(r, payloadLength(r)),
      };
      // A block of a datagram stream, now and then a parity block (never a fin).
      if (r.chance(0.1)) f.datagram = true;
      if (f.datagram && !f.fin && r.chance(0.3)) f.parity = true;
      return f;
    }
    case 4: {
      const cumulative = seqValue(r);
      return {
        type: "ACK",
        vpn,
        streamId: r.chance(0.8) ? 0 : u32(r),
        cumulative,
        ranges: ranges(r, cumulative),
        windowBytes: u32(r),
        echoTs: u32(r),
        ackDelayUs: u32(r),
      };
    }
    case 5: {
      const rs = ranges(r, r.chance(0.5) ? 0 : seqValue(r));
      return {
        type: "NACK",
        vpn,
        streamId: r.chance(0.8) ? 0 : u32(r),
        ranges: rs.length > 0 ? rs : [[0, 1]],
      };
    }
    case 6:
      return { type: "PING", vpn, ts: u32(r) };
    case 7:
      return { type: "PONG", vpn, echoTs: u32(r) };
    case 8:
      return {
        type: "LINK_REPORT",
        vpn,
        report: { rxBytes: r.pick([0, MAX_SEQ]), txBytes: r.int(1000), rttMs: r.next() * 1e3 },
      };
    case 9:
      return { type: "STREAM_OPEN", vpn, streamId: u32(r), label: text(r, 1024) };
    case 10:
      return {
        type: "STREAM_CLOSE",
        vpn,
        streamId: u32(r),
        reset: r.chance(0.5),
        code: r.int(65536),
      };
    case 11:
      return {
        type: "CLOSE",
        vpn,
        code: r.chance(0.5) ? r.int(12) : r.int(65536),
        reason: text(r, 1024),
      };
    case 12:
      return { type: "SKIP", vpn, streamId: r.chance(0.5) ? 0 : u32(r), seq: seqValue(r) };
    default:
      return { type: "BUFFER", vpn, bufferMs: u32(r) };
  }
}

const LENGTH_EDGES = (len: number) => [
  0,
  1,
  len - 1,
  len + 1,
  MAX_BODY_LENGTH,
  MAX_BODY_LENGTH + 1,
  0x7fff_ffff,
  0xffff_ffff,
];

/**
 * One of a dozen ways to break an encoded frame; may return the input unchanged.
 * @example
 * ```ts
 * const broken = mutate(r, randomEncoded(r), randomEncoded(r));
 * ```
 */
export function mutate(r: Rng, bytes: Uint8Array, other: Uint8Array): Uint8Array {
  const b = bytes.slice();
  const view = new DataView(b.buffer);
  switch (r.int(12)) {
    case 0: { // flip bits
      for (let i = 0, n = 1 + r.int(4); i < n && b.length > 0; i++) {
        b[r.int(b.length)] ^= 1 << r.int(8);
      }
      return b;
    }
    case 1: // an interesting octet anywhere
      if (b.length > 0) b[r.int(b.length)] = r.pick([0, 0x7f, 0x80, 0xff]);
      return b;
    case 2: // an absurd body length
      if (b.length >= 14) view.setUint32(10, r.pick(LENGTH_EDGES(b.length - 14)) >>> 0);
      return b;
    case 3: // another type
      if (b.length >= 9) b[8] = r.int(256);
      return b;
    case 4: // other flags
      if (b.length >= 10) b[9] = r.int(256);
      return b;
    case 5: // another version or OUI
      if (b.length >= 8) b[r.chance(0.5) ? 7 : r.int(3)] = r.int(256);
      return b;
    case 6: // truncated
      return b.subarray(0, r.int(b.length + 1));
    case 7: { // extended
      const out = new Uint8Array(b.length + 1 + r.int(32));
      out.set(b);
      out.set(new Rng(r.u32()).bytes(out.length - b.length), b.length);
      return out;
    }
    case 8: { // an octet inserted or deleted inside
      if (b.length === 0) return b;
      const at = r.int(b.length);
      if (r.chance(0.5)) return new Uint8Array([...b.subarray(0, at), ...b.subarray(at + 1)]);
      return new Uint8Array([...b.subarray(0, at), r.int(256), ...b.subarray(at)]);
    }
    case 9: { // a u64 field set to 2^53 or 2^64 - 1
      if (b.length >= 22) {
        const at = 14 + r.int(b.length - 21);
        view.setBigUint64(at, r.pick([2n ** 53n, 2n ** 64n - 1n, 2n ** 53n - 1n]));
      }
      return b;
    }
    case 10: { // one frame's header, another's body
      const out = new Uint8Array(Math.min(14, b.length) + Math.max(0, other.length - 14));
      out.set(b.subarray(0, 14));
      out.set(other.subarray(14), Math.min(14, b.length));
      return out;
    }
    default: // a random u32 over a random place
      if (b.length >= 4) view.setUint32(r.int(b.length - 3), u32(r));
      return b;
  }
}

/**
 * A fresh random frame, encoded.
 * @example
 * ```ts
 * reader.push(randomEncoded(r));
 * ```
 */
export function randomEncoded(r: Rng): Uint8Array {
  return encodeFrame(randomFrame(r));
}
