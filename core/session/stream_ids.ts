/**
 * Who may open which stream ids, and which of the peer's ids are used up. The client opens odd
 * ids and the server even ones (stream 0 is the session's own stream, open from the start), so
 * the two sides never pick the same id and need no round trip to open one.
 *
 * A peer's stream appears with its first DATA; links reorder, so its id may come after a
 * higher one. Once closed, an id must never open again (a late copy of its data would revive
 * it): closed ids are kept as a watermark (every id below it is closed) plus the closed ids
 * above it, which stay few because ids are handed out in order.
 * Pure: no I/O.
 * @module
 */

/** Which side of the session this is. */
export type SessionSide = "client" | "server";

/**
 * @example
 * ```ts
 * const ids = new StreamIds("client");
 * const mine = ids.allocate();          // 1, then 3, 5...
 * ids.classifyPeer(2);                  // "new": the server's first stream
 * ```
 */
export class StreamIds {
  #next: number;
  #peerParity: number;
  /** Every peer id below this is closed. */
  #closedBelow: number;
  /** Closed peer ids at or above the watermark. */
  #closedAbove = new Set<number>();
  /** Peer ids open now. */
  #open = new Set<number>();

  constructor(side: SessionSide) {
    this.#next = side === "client" ? 1 : 2;
    this.#peerParity = side === "client" ? 0 : 1;
    this.#closedBelow = side === "client" ? 2 : 1;
  }

  /** A fresh id for a stream this side opens. */
  allocate(): number {
    const id = this.#next;
    if (id > 0xffff_fffe) throw new RangeError("stream ids are used up for this session");
    this.#next += 2;
    return id;
  }

  /** Has this side handed out `id` (open now or over)? */
  wasAllocated(id: number): boolean {
    return this.isLocal(id) && id < this.#next;
  }

  /** Was `id` opened by this side? (Stream 0 belongs to both.) */
  isLocal(id: number): boolean {
    return id !== 0 && id % 2 !== this.#peerParity;
  }

  /**
   * What a peer's id means now: "open" (known), "closed" (used up: ignore its data), "new"
   * (the peer opens it now) or "invalid" (the peer may not open it: wrong parity).
   */
  classifyPeer(id: number): "open" | "closed" | "new" | "invalid" {
    if (id === 0 || id % 2 !== this.#peerParity) return "invalid";
    if (this.#open.has(id)) return "open";
    if (id < this.#closedBelow || this.#closedAbove.has(id)) return "closed";
    return "new";
  }

  /** The peer's stream `id` is open now. */
  opened(id: number): void {
    this.#open.add(id);
  }

  /** The peer's stream `id` is over for good. */
  closed(id: number): void {
    this.#open.delete(id);
    if (id < this.#closedBelow) return;
    this.#closedAbove.add(id);
    while (this.#closedAbove.delete(this.#closedBelow)) this.#closedBelow += 2;
  }

  /** Peer streams open now. */
  get openCount(): number {
    return this.#open.size;
  }
}
