/**
 * A test application for datagram streams on the in-memory pair (tests/_sim/pair.ts): the
 * client opens datagram streams and pushes numbered datagrams on a clock (a live source never
 * waits); the server takes each stream the client opens and records every datagram it gets,
 * with its arrival time; it can answer each one with a reply datagram.
 *
 * Each datagram is `index u32 | len u16 | pseudo-random bytes from (stream, index)`, so that a
 * receiver checks order, boundaries and content of every datagram on its own.
 *
 * Plugged in as each side's `streams` hook; each call is one pass:
 * 1. the client opens its streams and pushes what its schedule has due by `now`;
 * 2. both sides read new events (streams opened, reset, closed);
 * 3. both sides take every stream's output and check each datagram.
 * @module
 */
import assert from "node:assert/strict";
import type { SimPair, SimSide } from "./pair.ts";
import type { LiveOptions } from "../../core/session/stream_header.ts";

/** What one datagram stream's source sends. */
export interface LiveSource {
  label: string;
  live: LiveOptions;
  /** Datagrams per second. */
  rate: number;
  /** Size of datagram `i` (octets, at least 6). */
  size: (i: number) => number;
  /** How many to send, from `startMs`. */
  count: number;
  startMs?: number;
  /** Send nothing while `pauseAt(i, now)` is true for the next index (a source that stops). */
  pause?: (i: number, now: number) => boolean;
}

/** What one side saw of a stream. */
export interface LiveFlow {
  id: number;
  label: string;
  /** Index of each datagram received, in arrival order, and when. */
  got: number[];
  at: number[];
  /** Datagrams pushed (client) with when. */
  pushedAt: number[];
  closed: boolean;
  reset: boolean;
}

/** Builds datagram `index` of stream `salt`, `size` octets. */
export function datagram(salt: number, index: number, size: number): Uint8Array {
  const d = new Uint8Array(size);
  const v = new DataView(d.buffer);
  v.setUint32(0, index);
  v.setUint16(4, size);
  let x = (salt * 0x9e3779b1 + index * 0x85ebca6b) >>> 0;
  for (let i = 6; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    d[i] = x >>> 24;
  }
  return d;
}

/** Checks a datagram's boundaries and content; returns its index. */
export function checkDatagram(salt: number, d: Uint8Array): number {
  assert.ok(d.length >= 6, `a datagram of ${d.length} octets`);
  const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
  const index = v.getUint32(0);
  assert.equal(v.getUint16(4), d.length, `datagram ${index}: its boundaries moved`);
  const want = datagram(salt, index, d.length);
  for (let i = 6; i < d.length; i++) {
    if (d[i] !== want[i]) assert.fail(`datagram ${index}: octet ${i} differs`);
  }
  return index;
}

/**
 * @example
 * ```ts
 * const app = new LiveApp([{ label: "udp", live: { deadlineMs: 800 }, rate: 500,
 *   size: () => 1316, count: 2000 }]);
 * const pair = new SimPair({ links, client: { streams: (s, n) => app.client(s, n) },
 *   server: { streams: (s, n) => app.server(s, n) } });
 * app.attach(pair);
 * ```
 */
export class LiveApp {
  readonly sources: LiveSource[];
  /** The client's streams, by source index. */
  readonly sent: LiveFlow[] = [];
  /** The server's view of each stream, by id. */
  readonly received = new Map<number, LiveFlow>();
  /** The client's view of the replies, by id. */
  readonly replies = new Map<number, LiveFlow>();
  /** The server answers each datagram with one of this size (0: no replies). */
  replySize = 0;
  #next: number[] = [];
  #seen = { client: 0, server: 0 };
  #ends = new Set<number>();
  /** Streams whose output each side has finished. */
  #outDone = { client: new Set<number>(), server: new Set<number>() };

  constructor(sources: LiveSource[]) {
    this.sources = sources;
  }

  /**
   * Wakes the pair at every datagram's due time: the pair only runs at its own events, and a
   * source that waited for them would send in bursts.
   */
  attach(pair: SimPair): void {
    this.sources.forEach((src) => {
      const start = src.startMs ?? 0;
      const wake = (i: number) => {
        if (i >= src.count) return;
        pair.schedule(start + (i * 1000) / src.rate, () => wake(i + 1));
      };
      wake(0);
    });
  }

  /** The client's pass. */
  client(side: SimSide, now: number): number {
    const ep = side.ep;
    let moved = 0;
    this.sources.forEach((src, k) => {
      if (!this.sent[k]) {
        if (now < (src.startMs ?? 0)) return;
        const id = ep.openStream("datagrams", src.label, src.live);
        this.sent[k] = flow(id, src.label);
        this.replies.set(id, flow(id, src.label));
        this.#next[k] = 0;
        moved++;
      }
      const f = this.sent[k];
      if (f.reset || f.closed) return;
      const start = src.startMs ?? 0;
      for (let i = this.#next[k]; i < src.count; i = ++this.#next[k]) {
        if (start + (i * 1000) / src.rate > now) break;
        if (src.pause?.(i, now)) break;
        if (ep.streamRoom(f.id) <= 0) break;
        ep.streamPush(f.id, datagram(f.id, i, src.size(i)), now);
        f.pushedAt.push(now);
        moved++;
      }
      if (this.#next[k] >= src.count && !this.#ends.has(f.id)) {
        this.#ends.add(f.id);
        ep.endStream(f.id);
        moved++;
      }
    });
    moved += this.#events(side, "client");
    for (const f of this.replies.values()) moved += this.#drain(side, f, now, "client");
    return moved;
  }

  /** The server's pass. */
  server(side: SimSide, now: number): number {
    let moved = this.#events(side, "server");
    for (const f of this.received.values()) moved += this.#drain(side, f, now, "server");
    return moved;
  }

  #events(side: SimSide, who: "client" | "server"): number {
    let moved = 0;
    for (; this.#seen[who] < side.events.length; this.#seen[who]++) {
      const ev = side.events[this.#seen[who]].event;
      moved++;
      const mine = who === "server" ? this.received : this.replies;
      if (ev.type === "stream-opened" && who === "server") {
        assert.equal(ev.kind, "datagrams");
        this.received.set(ev.id, flow(ev.id, ev.label));
      } else if (ev.type === "stream-reset") {
        const f = mine.get(ev.id) ?? this.sent.find((s) => s?.id === ev.id);
        if (f) f.reset = true;
      } else if (ev.type === "stream-closed") {
        const f = mine.get(ev.id);
        if (f) f.closed = true;
      }
    }
    return moved;
  }

  #drain(side: SimSide, f: LiveFlow, now: number, who: "client" | "server"): number {
    const answer = who === "server";
    const ep = side.ep;
    if (f.reset || !ep.hasStream(f.id)) return 0;
    let moved = 0;
    for (let c = ep.takeStreamOutput(f.id); c; c = ep.takeStreamOutput(f.id)) {
      const index = checkDatagram(f.id, c);
      f.got.push(index);
      f.at.push(now);
      if (answer && this.replySize > 0 && ep.streamRoom(f.id) > 0) {
        ep.streamPush(f.id, datagram(f.id, index, this.replySize), now);
      }
      moved++;
    }
    if (ep.streamOutputComplete(f.id) && !this.#outDone[who].has(f.id)) {
      this.#outDone[who].add(f.id);
      if (answer) ep.endStream(f.id);
      ep.streamOutputDone(f.id, now);
      moved++;
    }
    return moved;
  }
}

function flow(id: number, label: string): LiveFlow {
  return { id, label, got: [], at: [], pushedAt: [], closed: false, reset: false };
}

/** The longest time without a datagram arriving, between the first and the last (ms). */
export function longestSilence(f: LiveFlow): number {
  let worst = 0;
  for (let i = 1; i < f.at.length; i++) worst = Math.max(worst, f.at[i] - f.at[i - 1]);
  return worst;
}
