/**
 * The server side of links: a TLS listener (`Deno.listenTls`, the fastest TLS here) whose
 * accepted connections become `Transport`s. A connection that fails its handshake (plain
 * TCP garbage, a scanner) is closed and logged, never fatal.
 * @module
 */
import type { Transport, TransportClose } from "./transport.ts";

/** Listener options. */
export interface ListenOptions {
  hostname: string;
  port: number;
  certPem: string;
  keyPem: string;
}

/** A running listener. */
export interface TlsListener {
  readonly port: number;
  close(): void;
}

const HIGH_WATER = 512 * 1024;

/**
 * Accepts TLS connections and hands each to `onConn` once its handshake is done.
 * @example
 * ```ts
 * const l = listenTls({ hostname: "0.0.0.0", port: 7443, certPem, keyPem }, (t) => serve(t),
 *   (msg) => console.error(msg));
 * ```
 */
export function listenTls(
  opts: ListenOptions,
  onConn: (t: Transport) => void,
  onRejected: (message: string) => void,
): TlsListener {
  const listener = Deno.listenTls({
    hostname: opts.hostname,
    port: opts.port,
    cert: opts.certPem,
    key: opts.keyPem,
  });
  let closed = false;
  (async () => {
    while (!closed) {
      let conn: Deno.TlsConn;
      try {
        conn = await listener.accept();
      } catch (e) {
        if (closed || e instanceof Deno.errors.BadResource) return;
        onRejected(`accept failed: ${(e as Error).message}`);
        continue;
      }
      const remote = addr(conn.remoteAddr);
      conn.handshake().then(
        () => onConn(wrapDenoConn(conn)),
        (e) => {
          onRejected(`TLS handshake with ${remote} failed: ${(e as Error).message}`);
          try {
            conn.close();
          } catch { /* already closed */ }
        },
      );
    }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    close() {
      closed = true;
      listener.close();
    },
  };
}

function addr(a: Deno.Addr): string {
  const n = a as Deno.NetAddr;
  return n.hostname.includes(":") ? `[${n.hostname}]:${n.port}` : `${n.hostname}:${n.port}`;
}

function wrapDenoConn(conn: Deno.TlsConn): Transport {
  const dataCbs: ((c: Uint8Array) => void)[] = [];
  const drainCbs: (() => void)[] = [];
  const closeCbs: ((w: TransportClose) => void)[] = [];
  const queue: Uint8Array[] = [];
  let queued = 0;
  let writing = false;
  let closed = false;
  let ending = false;
  let endResolve: (() => void) | null = null;

  const finish = (why: TransportClose) => {
    if (closed) return;
    closed = true;
    try {
      conn.close();
    } catch { /* already closed */ }
    for (const cb of closeCbs) cb(why);
    endResolve?.();
  };

  (async () => {
    try {
      // One read buffer, copied out per read: a view would pin 256 KiB per small read.
      const buf = new Uint8Array(256 * 1024);
      for (;;) {
        const n = await conn.read(buf);
        if (n === null) break;
        const chunk = buf.slice(0, n);
        for (const cb of dataCbs) cb(chunk);
      }
      finish({});
    } catch (e) {
      finish({ error: (e as Error).message });
    }
  })();

  const pump = async () => {
    writing = true;
    try {
      while (queue.length > 0 && !closed) {
        const chunk = queue.shift()!;
        let off = 0;
        while (off < chunk.length) off += await conn.write(chunk.subarray(off));
        const before = queued;
        queued -= chunk.length;
        if (before > HIGH_WATER && queued <= HIGH_WATER) { for (const cb of drainCbs) cb(); }
      }
      if (ending && !closed) {
        await conn.closeWrite().catch(() => {});
      }
    } catch (e) {
      finish({ error: (e as Error).message });
    } finally {
      writing = false;
    }
  };

  return {
    local: addr(conn.localAddr),
    remote: addr(conn.remoteAddr),
    write(bytes) {
      if (closed || ending) return false;
      queue.push(bytes);
      queued += bytes.length;
      if (!writing) pump();
      return queued <= HIGH_WATER;
    },
    get queuedBytes() {
      return queued;
    },
    onData: (cb) => void dataCbs.push(cb),
    onDrain: (cb) => void drainCbs.push(cb),
    onClose: (cb) => void closeCbs.push(cb),
    end() {
      if (closed) return Promise.resolve();
      ending = true;
      const p = new Promise<void>((r) => (endResolve = r));
      if (!writing) pump();
      // The peer closes when it has read everything; do not wait on it forever.
      Deno.unrefTimer(setTimeout(() => finish({}), 2000));
      return p;
    },
    destroy: () => finish({}),
  };
}
