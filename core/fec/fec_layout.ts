/**
 * Where FEC groups sit in a live datagram stream's sequence numbers, and how a datagram becomes
 * a shard. The layout is fixed by `k`, `m` and the first seq (1 when block 0 is the stream's
 * open header): group g holds seqs `first + g(k+m)` onwards, k data slots then m parity slots.
 * Because the positions are arithmetic, a receiver that misses a parity block still knows that
 * seq is parity and never waits for it. A group the sender closes early (the source paused,
 * or ended) leaves its last data slots unused; its parity says how many data slots it covers.
 *
 * A datagram's shard is `length u16 | datagram | zero padding` up to the group's shard length,
 * so that one code covers datagrams of different sizes and a rebuilt shard gives the datagram
 * back exactly. A parity block's payload is `data count u8 | parity shard`.
 * Pure: arithmetic and byte packing only.
 * @module
 */

/** Where FEC groups start and how big they are. */
export interface FecLayout {
  /** Data slots per group. */
  k: number;
  /** Parity slots per group. */
  m: number;
  /** The seq of group 0's first data slot. */
  firstSeq: number;
}

/** Largest k and m `--fec` accepts (k + m stays far below the code's 256). */
export const MAX_FEC_DATA = 64;
export const MAX_FEC_PARITY = 16;

/** Octets before the shard in a parity payload: the group's data count. */
export const PARITY_HEADER = 1;
/** Octets before the datagram in a shard: its length. */
export const SHARD_HEADER = 2;
/** Largest datagram a shard can describe (IPv4 UDP's payload limit fits). */
export const MAX_SHARD_DATAGRAM = 0xffff;

/** A seq's place in the layout: its group, and its index there (data below k, parity from k). */
export interface Slot {
  group: number;
  index: number;
}

/**
 * The group and index of `seq`, or null below the first group (the open header).
 * @example
 * ```ts
 * slotOf({ k: 8, m: 2, firstSeq: 1 }, 11); // { group: 1, index: 0 }
 * ```
 */
export function slotOf(l: FecLayout, seq: number): Slot | null {
  if (seq < l.firstSeq) return null;
  const n = l.k + l.m;
  const off = seq - l.firstSeq;
  const group = Math.floor(off / n);
  return { group, index: off - group * n };
}

/**
 * The seq of group `g`'s slot `index`.
 * @example
 * ```ts
 * seqOf({ k: 8, m: 2, firstSeq: 1 }, 1, 8); // 19: group 1's first parity slot
 * ```
 */
export function seqOf(l: FecLayout, group: number, index: number): number {
  return l.firstSeq + group * (l.k + l.m) + index;
}

/**
 * How many data slots lie in [a, b): what skipping that range may cost at most.
 * @example
 * ```ts
 * dataSlotsIn({ k: 8, m: 2, firstSeq: 1 }, 1, 21); // 16
 * ```
 */
export function dataSlotsIn(l: FecLayout, a: number, b: number): number {
  if (b <= a) return 0;
  const upTo = (s: number): number => {
    // Data slots in [0, s): the slots below the layout all count (the header is not skipped).
    if (s <= l.firstSeq) return s;
    const n = l.k + l.m;
    const off = s - l.firstSeq;
    const full = Math.floor(off / n);
    return l.firstSeq + full * l.k + Math.min(l.k, off - full * n);
  };
  return upTo(b) - upTo(a);
}

/**
 * A datagram as a shard of `length` octets (length >= datagram + 2).
 * @example
 * ```ts
 * packShard(new Uint8Array([7]), 4); // [0, 1, 7, 0]
 * ```
 */
export function packShard(datagram: Uint8Array, length: number): Uint8Array {
  const s = new Uint8Array(length);
  s[0] = datagram.length >>> 8;
  s[1] = datagram.length & 0xff;
  s.set(datagram, SHARD_HEADER);
  return s;
}

/**
 * The datagram inside a rebuilt shard, or null if its length field does not fit (a broken
 * group: never deliver garbage).
 * @example
 * ```ts
 * unpackShard(new Uint8Array([0, 1, 7, 0])); // [7]
 * ```
 */
export function unpackShard(shard: Uint8Array): Uint8Array | null {
  if (shard.length < SHARD_HEADER) return null;
  const len = (shard[0] << 8) | shard[1];
  if (SHARD_HEADER + len > shard.length) return null;
  return shard.slice(SHARD_HEADER, SHARD_HEADER + len);
}

/**
 * `--fec K+M`: k datagrams and m parity blocks per group, within the limits.
 * Throws RangeError with a message for the user.
 * @example
 * ```ts
 * parseFecSpec("8+2"); // { k: 8, m: 2 }
 * ```
 */
export function parseFecSpec(text: string): { k: number; m: number } {
  const m = /^\s*(\d{1,3})\s*\+\s*(\d{1,3})\s*$/.exec(text);
  if (!m) throw new RangeError(`"${text}" is not K+M (datagrams + parity blocks), e.g. 8+2`);
  const k = Number(m[1]);
  const p = Number(m[2]);
  if (k < 1 || k > MAX_FEC_DATA) throw new RangeError(`K must be within 1 .. ${MAX_FEC_DATA}`);
  if (p < 1 || p > MAX_FEC_PARITY) throw new RangeError(`M must be within 1 .. ${MAX_FEC_PARITY}`);
  return { k, m: p };
}
