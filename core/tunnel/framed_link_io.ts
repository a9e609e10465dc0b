/**
 * A transport that speaks frames: during the handshake it is read one frame at a time
 * (`next()`), afterwards every frame is pushed to the session (`attach()`). A malformed frame
 * ends this link only, with the error passed on.
 * @module
 */
import { encodeFrame, FrameReader } from "../frame/mod.ts";
import type { Frame } from "../frame/types.ts";
import type { Transport } from "./transport.ts";

/** Handlers once the link belongs to a session. */
export interface FrameHandlers {
  frame(frame: Frame, wireBytes: number): void;
  /** The link ended: `error` is set when a bad frame or a socket error ended it. */
  closed(error?: Error): void;
}

/**
 * @example
 * ```ts
 * const link = new FramedLink(transport, oui);
 * const hello = await link.next(10_000);
 * link.attach({ frame: (f) => endpoint.receive(1, f, now()), closed: () => {} });
 * ```
 */
export class FramedLink {
  readonly transport: Transport;
  #reader: FrameReader;
  #pending: Frame[] = [];
  #waiter: { resolve: (f: Frame) => void; reject: (e: Error) => void } | null = null;
  #handlers: FrameHandlers | null = null;
  #closedWith: Error | null | undefined = undefined;

  constructor(transport: Transport, oui: number) {
    this.transport = transport;
    this.#reader = new FrameReader({ expectOui: oui });
    transport.onData((chunk) => this.#onData(chunk));
    transport.onClose((why) => this.#onClose(why.error ? new Error(why.error) : null));
  }

  /** Sends one frame; false when the transport is above its high-water mark. */
  send(frame: Frame): boolean {
    return this.transport.write(encodeFrame(frame));
  }

  /** The next frame, for handshakes. Rejects on close, bad frame, or after `timeoutMs`. */
  next(timeoutMs: number, what = "a frame"): Promise<Frame> {
    const f = this.#pending.shift();
    if (f) return Promise.resolve(f);
    if (this.#closedWith !== undefined) {
      return Promise.reject(
        this.#closedWith ?? new Error(`connection closed while waiting for ${what}`),
      );
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiter = null;
        reject(new Error(`no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiter = {
        resolve: (f) => {
          clearTimeout(timer);
          resolve(f);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
    });
  }

  /** From now on every frame goes to `handlers` (frames already read go first). */
  attach(handlers: FrameHandlers): void {
    this.#handlers = handlers;
    for (const f of this.#pending.splice(0)) handlers.frame(f, 0);
    if (this.#closedWith !== undefined) handlers.closed(this.#closedWith ?? undefined);
  }

  #onData(chunk: Uint8Array): void {
    if (this.#closedWith !== undefined) return;
    let frames: Frame[];
    try {
      frames = this.#reader.push(chunk);
    } catch (e) {
      this.#fail(e as Error);
      return;
    }
    const perFrame = frames.length > 0 ? chunk.length / frames.length : 0;
    for (const f of frames) {
      if (this.#handlers) this.#handlers.frame(f, perFrame);
      else if (this.#waiter) {
        const w = this.#waiter;
        this.#waiter = null;
        w.resolve(f);
      } else this.#pending.push(f);
    }
  }

  #fail(e: Error): void {
    const handshaking = this.#handlers === null;
    this.#onClose(e);
    // During a handshake the caller still answers (a CLOSE naming both versions, say) and
    // then closes the transport itself; in a session nobody else will.
    if (!handshaking) this.transport.destroy();
  }

  #onClose(error: Error | null): void {
    if (this.#closedWith !== undefined) return;
    this.#closedWith = error;
    if (this.#waiter) {
      const w = this.#waiter;
      this.#waiter = null;
      w.reject(error ?? new Error("connection closed by the peer"));
    }
    this.#handlers?.closed(error ?? undefined);
  }
}
