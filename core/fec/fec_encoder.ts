/**
 * The sender's side of FEC for one live datagram stream: it collects each group's datagrams as
 * they are given sequence numbers and, once the group is full (or closed early), hands out the
 * group's parity payloads, which go out next, in the group's parity slots.
 *
 * Stages of a group, in order:
 * 1. `addData(seq, datagram)` for each datagram that takes the next data slot;
 * 2. on the k-th, or on `close()` for a partial group, the m parity payloads
 *    (`data count u8 | parity shard`) and the seq of the first parity slot;
 * 3. the next datagram opens the next group.
 * Pure: no clock, no I/O.
 * @module
 */
import { ReedSolomon } from "./reed_solomon.ts";
import { type FecLayout, packShard, PARITY_HEADER, SHARD_HEADER, slotOf } from "./fec_layout.ts";

/** Parity to send: payloads for consecutive seqs from `firstSeq`. */
export interface ParityBatch {
  group: number;
  firstSeq: number;
  payloads: Uint8Array[];
}

/**
 * @example
 * ```ts
 * const enc = new FecEncoder({ k: 2, m: 1, firstSeq: 1 });
 * enc.addData(1, a);
 * const parity = enc.addData(2, b); // { group: 0, firstSeq: 3, payloads: [...] }
 * ```
 */
export class FecEncoder {
  readonly layout: FecLayout;
  #rs: ReedSolomon;
  #group = -1;
  #data: Uint8Array[] = [];
  /** Parity payloads made so far, for reports. */
  parityBlocks = 0;
  parityBytes = 0;

  constructor(layout: FecLayout) {
    this.layout = layout;
    this.#rs = new ReedSolomon(layout.k, layout.m);
  }

  /** The group collecting datagrams now has some, and no parity yet. */
  get open(): boolean {
    return this.#data.length > 0;
  }

  /**
   * The datagram now holds `seq`, which must be a data slot: the next one of the open group,
   * or the first of a later group. Returns the group's parity once it is full.
   */
  addData(seq: number, datagram: Uint8Array): ParityBatch | null {
    const slot = slotOf(this.layout, seq);
    if (!slot || slot.index >= this.layout.k) throw new RangeError(`seq ${seq} is no data slot`);
    if (slot.group !== this.#group) {
      if (this.open) throw new RangeError(`group ${this.#group} was not closed before ${seq}`);
      if (slot.index !== 0) throw new RangeError(`seq ${seq} does not start its group`);
      this.#group = slot.group;
    } else if (slot.index !== this.#data.length) {
      throw new RangeError(`seq ${seq} is not the next data slot of group ${slot.group}`);
    }
    this.#data.push(datagram);
    return this.#data.length === this.layout.k ? this.close() : null;
  }

  /** Closes the open group, full or not: its parity, or null with nothing open. */
  close(): ParityBatch | null {
    if (!this.open) return null;
    const data = this.#data;
    this.#data = [];
    let len = 0;
    for (const d of data) len = Math.max(len, d.length);
    const shardLen = SHARD_HEADER + len;
    // Slots left unused by an early close count as empty datagrams: zero shards, which add
    // nothing to the parity, and which the receiver knows as such from the data count.
    const shards = data.map((d) => packShard(d, shardLen));
    while (shards.length < this.layout.k) shards.push(new Uint8Array(shardLen));
    const payloads = this.#rs.encode(shards).map((p) => {
      const out = new Uint8Array(PARITY_HEADER + shardLen);
      out[0] = data.length;
      out.set(p, PARITY_HEADER);
      return out;
    });
    this.parityBlocks += payloads.length;
    for (const p of payloads) this.parityBytes += p.length;
    const g = this.#group;
    return {
      group: g,
      firstSeq: this.layout.firstSeq + g * (this.layout.k + this.layout.m) + this.layout.k,
      payloads,
    };
  }
}
