/**
 * The byte pipe under one link, as the session driver sees it: whatever carries the TLS
 * stream (a `node:tls` client socket, a `Deno.TlsConn`, or a fake in tests) hides behind this.
 * @module
 */

/** Why a transport closed, when it was not asked to. */
export interface TransportClose {
  /** Error text from the platform, if the close was not orderly. */
  error?: string;
}

/**
 * One connected, encrypted byte stream.
 * @example
 * ```ts
 * transport.onData((chunk) => reader.push(chunk));
 * if (!transport.write(bytes)) transport.onDrain(() => resume());
 * ```
 */
export interface Transport {
  /** Local and remote address, for messages. */
  readonly local: string;
  readonly remote: string;
  /** Queues bytes; false once the queue is above its high-water mark (wait for drain). */
  write(bytes: Uint8Array): boolean;
  /** Bytes queued and not yet handed to the kernel. */
  readonly queuedBytes: number;
  onData(cb: (chunk: Uint8Array) => void): void;
  onDrain(cb: () => void): void;
  onClose(cb: (why: TransportClose) => void): void;
  /** Flushes what is queued, then closes. Resolves once closed. */
  end(): Promise<void>;
  /** Closes at once, dropping what is queued. */
  destroy(): void;
}
