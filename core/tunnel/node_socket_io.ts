/**
 * A `node:tls` socket as a `Transport`: what the client's links and the server's accepted
 * connections share. Writes are queued by the socket; `write()` answers false above
 * `highWater` bytes queued, and `onDrain` fires once the socket has emptied its queue.
 * @module
 */
import type tls from "node:tls";
import type { Transport, TransportClose } from "./transport.ts";

/** Bytes queued in a socket before `write()` asks the caller to wait (default). */
export const SOCKET_HIGH_WATER = 512 * 1024;

/** How long `end()` waits for the peer to close its side before destroying (ms). */
const END_GRACE_MS = 2000;

/**
 * Wraps a connected (TLS-established) socket.
 * @example
 * ```ts
 * socket.once("secureConnect", () => onLink(wrapNodeSocket(socket)));
 * ```
 */
export function wrapNodeSocket(
  socket: tls.TLSSocket,
  highWater: number = SOCKET_HIGH_WATER,
): Transport {
  const closeCbs: ((why: TransportClose) => void)[] = [];
  let closed = false;
  let lastError: string | undefined;
  socket.on("error", (e: Error & { code?: string }) => {
    lastError = e.code ?? e.message;
  });
  socket.on("close", () => {
    if (closed) return;
    closed = true;
    for (const cb of closeCbs) cb({ error: lastError });
  });
  socket.setNoDelay(true);
  const addr = (host: string | undefined, port: number | undefined) =>
    host?.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
  return {
    local: addr(socket.localAddress, socket.localPort),
    remote: addr(socket.remoteAddress, socket.remotePort),
    write(bytes) {
      if (closed) return false;
      socket.write(bytes);
      return socket.writableLength <= highWater;
    },
    get queuedBytes() {
      return socket.writableLength;
    },
    onData: (cb) => socket.on("data", (d: Uint8Array) => cb(d)),
    onDrain: (cb) => socket.on("drain", cb),
    onClose: (cb) => closeCbs.push(cb),
    end: () =>
      new Promise<void>((resolve) => {
        if (closed) return resolve();
        closeCbs.push(() => resolve());
        socket.end();
        // A peer that never closes its side must not hold us forever.
        Deno.unrefTimer(setTimeout(() => socket.destroy(), END_GRACE_MS));
      }),
    destroy: () => socket.destroy(),
  };
}
