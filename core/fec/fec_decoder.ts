/**
 * The receiver's side of FEC for one live datagram stream: it files each data and parity block
 * by group and, as soon as a group holds as many blocks as it has datagrams, rebuilds the ones
 * that are missing, without waiting for a re-send. It also tells which missing seqs are never
 * worth waiting for: parity slots, and data slots a group left unused.
 *
 * Stages, in order:
 * 1. `addData()` / `addParity()` as blocks arrive; each returns the datagrams it made
 *    recoverable (seq and bytes);
 * 2. `passable(seq)` for the receiver's ordering: skip this slot without counting a loss;
 * 3. `forgetBelow(seq)` once delivery has passed a group's data.
 * A group whose blocks disagree (parity of different lengths or data counts, a datagram longer
 * than the shards) is never decoded: garbage is worse than a gap.
 * Pure: no clock, no I/O.
 * @module
 */
import { FecError, ReedSolomon } from "./reed_solomon.ts";
import {
  type FecLayout,
  packShard,
  PARITY_HEADER,
  SHARD_HEADER,
  slotOf,
  unpackShard,
} from "./fec_layout.ts";

/** A datagram rebuilt from its group. */
export interface Rebuilt {
  seq: number;
  payload: Uint8Array;
}

interface Group {
  data: (Uint8Array | null)[];
  parity: (Uint8Array | null)[];
  /** Data slots the group covers (from its parity), or null before any parity arrived. */
  count: number | null;
  shardLen: number;
  broken: boolean;
  /** Every covered data slot is present (received or rebuilt). */
  done: boolean;
}

/**
 * @example
 * ```ts
 * const dec = new FecDecoder({ k: 2, m: 1, firstSeq: 1 });
 * dec.addData(1, a);
 * const [got] = dec.addParity(3, parityPayload); // { seq: 2, payload: b }
 * ```
 */
export class FecDecoder {
  readonly layout: FecLayout;
  #rs: ReedSolomon;
  #groups = new Map<number, Group>();
  /** Datagrams rebuilt so far. */
  rebuilt = 0;
  /** Groups found inconsistent and left alone. */
  brokenGroups = 0;

  constructor(layout: FecLayout) {
    this.layout = layout;
    this.#rs = new ReedSolomon(layout.k, layout.m);
  }

  /** Groups held now (for tests and memory checks). */
  get groupCount(): number {
    return this.#groups.size;
  }

  /** A data block arrived at `seq`; returns what it made recoverable. */
  addData(seq: number, payload: Uint8Array): Rebuilt[] {
    const slot = slotOf(this.layout, seq);
    if (!slot || slot.index >= this.layout.k) return [];
    const g = this.#group(slot.group);
    if (g.done || g.broken || g.data[slot.index]) return [];
    g.data[slot.index] = payload;
    return this.#tryDecode(slot.group, g);
  }

  /** A parity block arrived at `seq`; returns what it made recoverable. */
  addParity(seq: number, payload: Uint8Array): Rebuilt[] {
    const slot = slotOf(this.layout, seq);
    if (!slot || slot.index < this.layout.k) return [];
    const g = this.#group(slot.group);
    const j = slot.index - this.layout.k;
    if (g.done || g.broken || g.parity[j]) return [];
    const count = payload[0];
    const shardLen = payload.length - PARITY_HEADER;
    const bad = payload.length < PARITY_HEADER + SHARD_HEADER || count < 1 ||
      count > this.layout.k || (g.count !== null && (count !== g.count || shardLen !== g.shardLen));
    if (bad) return this.#break(g);
    g.count = count;
    g.shardLen = shardLen;
    g.parity[j] = payload.subarray(PARITY_HEADER);
    return this.#tryDecode(slot.group, g);
  }

  /** A missing `seq` that delivery never waits for: a parity slot, or an unused data slot. */
  passable(seq: number): boolean {
    const slot = slotOf(this.layout, seq);
    if (!slot) return false;
    if (slot.index >= this.layout.k) return true;
    const count = this.#groups.get(slot.group)?.count;
    return count !== null && count !== undefined && slot.index >= count;
  }

  /** How many data slots group `group` covers, once one of its parity blocks said so. */
  knownCount(group: number): number | null {
    return this.#groups.get(group)?.count ?? null;
  }

  /** Forgets the groups whose data slots all lie below `seq` (delivery has passed them). */
  forgetBelow(seq: number): void {
    const slot = slotOf(this.layout, seq);
    if (!slot) return;
    const below = slot.index >= this.layout.k ? slot.group + 1 : slot.group;
    for (const g of this.#groups.keys()) if (g < below) this.#groups.delete(g);
  }

  #group(index: number): Group {
    let g = this.#groups.get(index);
    if (!g) {
      g = {
        data: new Array(this.layout.k).fill(null),
        parity: new Array(this.layout.m).fill(null),
        count: null,
        shardLen: 0,
        broken: false,
        done: false,
      };
      this.#groups.set(index, g);
    }
    return g;
  }

  #break(g: Group): Rebuilt[] {
    if (!g.broken) this.brokenGroups++;
    g.broken = true;
    g.data = [];
    g.parity = [];
    return [];
  }

  #tryDecode(index: number, g: Group): Rebuilt[] {
    if (g.count === null) return [];
    const { k, m } = this.layout;
    let present = 0;
    const missing: number[] = [];
    for (let i = 0; i < g.count; i++) {
      const d = g.data[i];
      if (!d) missing.push(i);
      else if (d.length + SHARD_HEADER > g.shardLen) return this.#break(g);
      else present++;
    }
    // Data beyond the covered count cannot exist in a well-formed group.
    for (let i = g.count; i < k; i++) if (g.data[i]) return this.#break(g);
    if (missing.length === 0) {
      g.done = true;
      g.parity = [];
      return [];
    }
    for (const p of g.parity) if (p) present++;
    if (present < g.count) return [];
    const shards: (Uint8Array | null)[] = [];
    for (let i = 0; i < k; i++) {
      const d = g.data[i];
      // Unused slots are zero shards: they added nothing to the parity.
      shards.push(i >= g.count ? new Uint8Array(g.shardLen) : d ? packShard(d, g.shardLen) : null);
    }
    for (let j = 0; j < m; j++) shards.push(g.parity[j]);
    let data: Uint8Array[];
    try {
      data = this.#rs.reconstruct(shards);
    } catch (e) {
      if (e instanceof FecError) return this.#break(g);
      throw e;
    }
    const out: Rebuilt[] = [];
    for (const i of missing) {
      const payload = unpackShard(data[i]);
      if (!payload) return this.#break(g);
      out.push({ seq: this.layout.firstSeq + index * (k + m) + i, payload });
    }
    for (const r of out) {
      const slot = slotOf(this.layout, r.seq)!;
      g.data[slot.index] = r.payload;
    }
    this.rebuilt += out.length;
    g.done = true;
    g.parity = [];
    return out;
  }
}
