/**
 * TCP connections as stream ports: an accepted or dialled `Deno.Conn` becomes the two ends of
 * one stream in the session. Reads stop while the stream has no room (the kernel's window then
 * holds the source back); a write waits for the socket, so a slow destination pushes back on
 * the stream alone. The end of the stream half-closes the socket (FIN), so protocols that
 * half-close keep working; a reset closes it at once.
 * @module
 */
import type { StreamPort } from "../session/driver_io.ts";
import { StreamCode } from "../frame/types.ts";
import type { HostPort } from "../config/endpoint.ts";

const READ_SIZE = 64 * 1024;

/** What became of a connection, for counters and logs. */
export interface ConnEnd {
  /** "closed" in order both ways, or "reset" with its reason. */
  how: "closed" | "reset";
  reason?: string;
  byPeer?: boolean;
}

/**
 * The stream port of a connected socket. `first`, if given, is handed to the stream before
 * anything read from the socket (bytes that arrived with a handshake).
 * @example
 * ```ts
 * driver.openStream("bytes", "tcp", connPort(conn, (end) => log(end)));
 * ```
 */
export function connPort(
  conn: Deno.Conn,
  onEnd: (end: ConnEnd) => void = () => {},
  first: Uint8Array | null = null,
): StreamPort {
  let closed = false;
  let readDone = false;
  const closeAll = () => {
    if (closed) return;
    closed = true;
    try {
      conn.close();
    } catch { /* already closed */ }
  };
  return {
    source: {
      async read() {
        if (first) {
          const f = first;
          first = null;
          return f;
        }
        if (closed || readDone) return null;
        const buf = new Uint8Array(READ_SIZE);
        let n: number | null;
        try {
          n = await conn.read(buf);
        } catch (e) {
          if (closed) return null;
          throw e;
        }
        if (n === null) {
          readDone = true;
          return null;
        }
        // Copied when short: a view would pin the whole buffer while its bytes wait.
        return n === buf.length ? buf : buf.slice(0, n);
      },
      close() {
        readDone = true;
      },
    },
    sink: {
      async write(chunk) {
        let off = 0;
        while (off < chunk.length) off += await conn.write(chunk.subarray(off));
      },
      async close() {
        // The peer's half is over: pass its FIN on, keep reading ours.
        if (!closed) await (conn as Deno.TcpConn).closeWrite?.();
      },
    },
    reset(code, reason, byPeer) {
      closeAll();
      onEnd({ how: "reset", reason: reason || `code ${code}`, byPeer });
    },
    closed() {
      closeAll();
      onEnd({ how: "closed" });
    },
  };
}

/** A refusal, in the words and code the peer is told. */
export interface Refusal {
  refuse: number;
  reason: string;
}

/**
 * Dials `to` (an address literal or a name, already checked by the caller). Resolves with the
 * connection or with a refusal that says why: refused, unreachable, or no answer in time.
 * @example
 * ```ts
 * const r = await dialTcp({ host: "127.0.0.1", port: 1935, family: 4 }, 10_000);
 * ```
 */
export async function dialTcp(
  to: { host: string; port: number },
  timeoutMs: number,
): Promise<Deno.TcpConn | Refusal> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<Refusal>((resolve) => {
    timer = setTimeout(
      () => resolve({ refuse: StreamCode.TIMEOUT, reason: `no answer in ${timeoutMs} ms` }),
      timeoutMs,
    );
  });
  const dial = Deno.connect({ hostname: to.host, port: to.port }).then(
    (c) => c,
    (e): Refusal => describeDialError(e),
  );
  const r = await Promise.race([dial, timeout]);
  clearTimeout(timer);
  if ("refuse" in r) {
    // A dial that completes after the timeout must not leak its socket.
    dial.then((c) => {
      if (!("refuse" in c)) c.close();
    });
    return r;
  }
  r.setNoDelay(true);
  return r;
}

function describeDialError(e: unknown): Refusal {
  if (e instanceof Deno.errors.ConnectionRefused) {
    return { refuse: StreamCode.REFUSED, reason: "connection refused" };
  }
  const msg = (e as Error).message ?? String(e);
  if (e instanceof Deno.errors.TimedOut) return { refuse: StreamCode.TIMEOUT, reason: msg };
  return { refuse: StreamCode.UNREACHABLE, reason: msg };
}

/**
 * Accepts connections on `at` and hands each to `onConn` until `close()`.
 * @example
 * ```ts
 * const l = listenTcp({ host: "127.0.0.1", port: 1935, family: 4 }, (c) => intercept(c));
 * ```
 */
export function listenTcp(
  at: HostPort,
  onConn: (conn: Deno.TcpConn) => void,
): { addr: Deno.NetAddr; close(): void; done: Promise<void> } {
  const listener = Deno.listen({ hostname: at.host, port: at.port, transport: "tcp" });
  let closing = false;
  const done = (async () => {
    for (;;) {
      let conn: Deno.TcpConn;
      try {
        conn = await listener.accept();
      } catch (e) {
        if (closing || e instanceof Deno.errors.BadResource) return;
        // A failed accept (too many open files...) must not end the listener.
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      conn.setNoDelay(true);
      onConn(conn);
    }
  })();
  return {
    addr: listener.addr as Deno.NetAddr,
    close() {
      if (closing) return;
      closing = true;
      try {
        listener.close();
      } catch { /* already closed */ }
    },
    done,
  };
}

/**
 * A sink that connects to `to` on its first write: stream 0 of a session whose `--output` is
 * `tcp://` (the patent's server handing the stream on to the platform, [0045]). A refused
 * connection fails the write, and with it the session's output, with the reason.
 * @example
 * ```ts
 * const sink = tcpSink({ host: "127.0.0.1", port: 1935 }, 10_000);
 * ```
 */
export function tcpSink(
  to: { host: string; port: number },
  timeoutMs: number,
): { write(chunk: Uint8Array): Promise<void>; close(): Promise<void> } {
  let conn: Deno.TcpConn | null = null;
  const where = to.host.includes(":") ? `[${to.host}]:${to.port}` : `${to.host}:${to.port}`;
  return {
    async write(chunk) {
      if (!conn) {
        const r = await dialTcp(to, timeoutMs);
        if ("refuse" in r) throw new Error(`tcp://${where}: ${r.reason}`);
        conn = r;
      }
      let off = 0;
      while (off < chunk.length) off += await conn.write(chunk.subarray(off));
    },
    close() {
      try {
        conn?.close();
      } catch { /* already closed */ }
      return Promise.resolve();
    },
  };
}
