/**
 * One input shared by the sessions `send --restart` runs one after another. Each session
 * reads through its own view; a session that ends closes its view, not the input, so the next
 * session goes on from the input's current position. A chunk whose read was still pending
 * when its session ended is kept for the next session instead of being dropped.
 * No I/O of its own: it wraps any `Source`.
 * @module
 */
import type { Source } from "./driver_io.ts";

/**
 * @example
 * ```ts
 * const input = new ResumableInput(await openSource("-"));
 * const first = input.view();   // session 1 reads this; its driver closes it when it ends
 * const second = input.view();  // session 2 starts at input.position
 * ```
 */
export class ResumableInput {
  #src: Source;
  /** A chunk read for a session that had ended by then: the next view's first. */
  #kept: Uint8Array | null = null;
  /** The read in progress, so that a new view never reads beside an old one's pending read. */
  #busy: Promise<void> = Promise.resolve();
  #current: symbol | null = null;
  #closed = false;
  /** Bytes handed to sessions so far: where the next session starts in the input. */
  position = 0;
  /** The input has reached its end. */
  ended = false;

  constructor(src: Source) {
    this.#src = src;
  }

  /** Nothing more can come: the input was closed, or it ended and nothing is kept. */
  get exhausted(): boolean {
    return this.#closed || (this.ended && this.#kept === null);
  }

  /** A view for the next session; earlier views read nothing more. */
  view(): Source {
    const me = Symbol("view");
    this.#current = me;
    const live = () => this.#current === me && !this.#closed;
    return {
      read: async () => {
        if (!live()) return null;
        const before = this.#busy;
        let release!: () => void;
        this.#busy = new Promise((r) => (release = r));
        try {
          await before;
          if (!live()) return null;
          let chunk = this.#kept;
          this.#kept = null;
          if (chunk === null) {
            if (this.ended) return null;
            chunk = await this.#src.read();
            if (chunk === null) {
              this.ended = true;
              return null;
            }
          }
          if (!live()) {
            this.#kept = chunk; // its session ended while it was read
            return null;
          }
          this.position += chunk.length;
          return chunk;
        } finally {
          release();
        }
      },
      close: () => {
        if (this.#current === me) this.#current = null;
      },
    };
  }

  /** Closes the input itself (a signal: stop reading for good). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#current = null;
    this.#src.close();
  }
}
