/**
 * A test application for the session's streams on the in-memory pair (tests/_sim/pair.ts): on
 * each side it opens streams, feeds them at the room they give, drains their output (or holds
 * it back, to play a slow reader), answers streams the peer opens and records every event, so
 * that tests can check each stream byte for byte.
 *
 * Plugged in as a side's `streams` hook; each call is one pass:
 * 1. new events: a peer's stream gets a `Conn` (with the reply `answer` gives, or a reset);
 * 2. every open stream is fed while it has room, ended when its input is done;
 * 3. every stream's output is taken (unless paused), `streamOutputDone` once complete.
 * @module
 */
import type { SimSide } from "./pair.ts";
import type { StreamKind } from "../../core/session/stream_header.ts";

/** One stream as the application sees it. */
export interface Conn {
  id: number;
  label: string;
  /** What this side sends on it. */
  send: Uint8Array;
  sentAt: number;
  /** End this side's half once `send` is out. */
  endAfterSend: boolean;
  ended: boolean;
  received: Uint8Array[];
  receivedBytes: number;
  /** Hold the output back (a slow reader). */
  paused: boolean;
  outputDone: boolean;
  closed: boolean;
  reset: { code: number; byPeer: boolean } | null;
}

/** What to do with a stream the peer opened: a reply, or a reset code. */
export type Answer = { reply: Uint8Array; end?: boolean } | { reset: number };

/**
 * @example
 * ```ts
 * const app = new StreamApp(() => ({ reply: new Uint8Array(10) }));
 * new SimPair({ links, client: { streams: (s, now) => app.pass(s, now) } });
 * ```
 */
export class StreamApp {
  readonly conns = new Map<number, Conn>();
  #answer: (label: string) => Answer;
  #seen = 0;
  #toOpen: { kind: StreamKind; label: string; send: Uint8Array; end: boolean }[] = [];

  constructor(answer: (label: string) => Answer = () => ({ reset: 5 })) {
    this.#answer = answer;
  }

  /** Opens a stream at the next pass. */
  open(label: string, send: Uint8Array, end = true, kind: StreamKind = "bytes"): void {
    this.#toOpen.push({ kind, label, send, end });
  }

  /** Received bytes of a stream, concatenated. */
  output(id: number): Uint8Array {
    const c = this.conns.get(id)!;
    const out = new Uint8Array(c.receivedBytes);
    let at = 0;
    for (const part of c.received) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  }

  /** One pass (the side's `streams` hook); returns how much moved. */
  pass(side: SimSide, now: number): number {
    const ep = side.ep;
    let moved = 0;
    for (const o of this.#toOpen.splice(0)) {
      const id = ep.openStream(o.kind, o.label);
      this.conns.set(id, conn(id, o.label, o.send, o.end));
      moved++;
    }
    // 1. events
    for (; this.#seen < side.events.length; this.#seen++) {
      const ev = side.events[this.#seen].event;
      if (ev.type === "stream-opened") {
        const a = this.#answer(ev.label);
        if ("reset" in a) {
          ep.resetStream(ev.id, a.reset, now);
          continue;
        }
        this.conns.set(ev.id, conn(ev.id, ev.label, a.reply, a.end ?? true));
      } else if (ev.type === "stream-reset") {
        const c = this.conns.get(ev.id);
        if (c) c.reset = { code: ev.code, byPeer: ev.byPeer };
      } else if (ev.type === "stream-closed") {
        const c = this.conns.get(ev.id);
        if (c) c.closed = true;
      }
    }
    for (const c of this.conns.values()) {
      if (c.reset || c.closed || !ep.hasStream(c.id)) continue;
      // 2. input
      while (c.sentAt < c.send.length) {
        const room = ep.streamRoom(c.id);
        if (room <= 0) break;
        const n = Math.min(room, 16 * 1024, c.send.length - c.sentAt);
        ep.streamPush(c.id, c.send.subarray(c.sentAt, c.sentAt + n));
        c.sentAt += n;
        moved++;
      }
      if (c.sentAt >= c.send.length && c.endAfterSend && !c.ended) {
        c.ended = true;
        ep.endStream(c.id);
        moved++;
      }
      // 3. output
      if (c.paused) continue;
      for (let chunk = ep.takeStreamOutput(c.id); chunk; chunk = ep.takeStreamOutput(c.id)) {
        c.received.push(chunk);
        c.receivedBytes += chunk.length;
        moved++;
      }
      if (!c.outputDone && ep.streamOutputComplete(c.id)) {
        c.outputDone = true;
        ep.streamOutputDone(c.id, now);
        moved++;
      }
    }
    return moved;
  }
}

function conn(id: number, label: string, send: Uint8Array, end: boolean): Conn {
  return {
    id,
    label,
    send,
    sentAt: 0,
    endAfterSend: end,
    ended: false,
    received: [],
    receivedBytes: 0,
    paused: false,
    outputDone: false,
    closed: false,
    reset: null,
  };
}
