/**
 * UDP as datagram streams: each datagram stays one block, whole, from end to end.
 * - The sender's `--input udp-listen://ADDR:PORT`: one socket; every source address that
 *   sends to it becomes one datagram stream of the session (label `udp`); what comes back on
 *   that stream is sent to that source address; a source silent for the idle time has its
 *   stream ended (and a new one opens if it speaks again).
 * - The relay's `--output udp://HOST:PORT`: every `udp` stream gets its own socket connected
 *   to the target, so that the target's replies travel back on that stream alone.
 * UDP has no backpressure: a datagram that finds its flow's queue full is dropped and counted,
 * as a full socket buffer would; a send the kernel refuses (no listener: ICMP port
 * unreachable) is counted, not fatal.
 *
 * `node:dgram` rather than `Deno.listenDatagram`: the latter needs `--unstable-net` in Deno
 * 2.9 (it is not even defined without it), and `node:dgram` binds, connects and reads each
 * datagram whole without any flag.
 * @module
 */
import dgram from "node:dgram";
import type { Logger, SessionDriver, StreamPort } from "../session/driver_io.ts";
import type { HostPort } from "../config/endpoint.ts";
import { formatHostPort } from "../config/stream_url.ts";
import { StreamCode } from "../frame/types.ts";
import type { LiveOptions } from "../session/stream_header.ts";
import type { StreamCounters } from "./stream_counters.ts";
import type { Refusal } from "./tcp_io.ts";

/** The label of a UDP flow's stream: the relay sends it to its `--output udp://`. */
export const UDP_LABEL = "udp";
/** A source silent this long has its stream ended (ms). */
export const DEFAULT_UDP_IDLE_MS = 30_000;
/** Datagrams waiting in one flow for the session to take them, at most (bytes). */
const FLOW_QUEUE_BYTES = 4 * 1024 * 1024;

/** What the UDP adapters did, for the final report. */
export class UdpCounters {
  datagramsIn = 0;
  datagramsOut = 0;
  /** Dropped because a flow's queue was full (the session could not take them). */
  queueDrops = 0;
  /** Sends the kernel refused (no listener at the target, for one). */
  sendErrors = 0;

  /** One line for the final report. */
  summary(): string {
    return `udp: ${this.datagramsIn} datagrams in, ${this.datagramsOut} out` +
      (this.queueDrops > 0 ? `, ${this.queueDrops} dropped at a full queue` : "") +
      (this.sendErrors > 0 ? `, ${this.sendErrors} sends refused by the kernel` : "");
  }
}

/** Datagrams waiting to be read into a stream, and a reader waiting for them. */
class DatagramQueue {
  #items: Uint8Array[] = [];
  #head = 0;
  #bytes = 0;
  #wait: ((d: Uint8Array | null) => void) | null = null;
  #ended = false;

  /** Queues one datagram; false if the queue is full (the datagram is dropped). */
  offer(d: Uint8Array): boolean {
    if (this.#ended) return false;
    if (this.#wait) {
      const w = this.#wait;
      this.#wait = null;
      w(d);
      return true;
    }
    if (this.#bytes + d.length > FLOW_QUEUE_BYTES) return false;
    this.#items.push(d);
    this.#bytes += d.length;
    return true;
  }

  /** The next datagram, or null once ended and drained. */
  take(): Promise<Uint8Array | null> {
    if (this.#head < this.#items.length) {
      const d = this.#items[this.#head];
      this.#items[this.#head++] = EMPTY;
      this.#bytes -= d.length;
      if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
        this.#items = this.#items.slice(this.#head);
        this.#head = 0;
      }
      return Promise.resolve(d);
    }
    if (this.#ended) return Promise.resolve(null);
    return new Promise((r) => (this.#wait = r));
  }

  /** No more datagrams: a waiting reader gets null. */
  end(): void {
    this.#ended = true;
    const w = this.#wait;
    this.#wait = null;
    w?.(null);
  }
}

const EMPTY = new Uint8Array(0);

/** A running `udp-listen://` input. */
export interface UdpIntercept {
  addr: { hostname: string; port: number };
  /** Flows (source addresses) with a stream now. */
  readonly flows: number;
  close(): void;
}

/** How the sender's UDP input behaves. */
export interface UdpInterceptOptions {
  /** Deadline and FEC of every flow's stream (live mode). */
  live: LiveOptions;
  /** A source silent this long has its stream ended (ms). */
  idleMs?: number;
}

interface Flow {
  key: string;
  queue: DatagramQueue;
  lastActive: number;
  id: number | null;
}

/**
 * Listens on `at` (UDP); every source address becomes a datagram stream of `driver`'s session.
 * Resolves once the socket is bound (rejects if it cannot be).
 * @example
 * ```ts
 * const l = await startUdpIntercept(at, () => session.driver, log, counters, udp,
 *   { live: { deadlineMs: 800 } });
 * ```
 */
export async function startUdpIntercept(
  at: HostPort,
  driver: () => SessionDriver,
  log: Logger,
  counters: StreamCounters,
  udp: UdpCounters,
  opts: UdpInterceptOptions,
): Promise<UdpIntercept> {
  const socket = dgram.createSocket({ type: at.family === 6 ? "udp6" : "udp4" });
  await bind(socket, at);
  const idleMs = opts.idleMs ?? DEFAULT_UDP_IDLE_MS;
  const flows = new Map<string, Flow>();
  let closing = false;

  const endFlow = (f: Flow) => {
    if (flows.get(f.key) === f) flows.delete(f.key);
    f.queue.end();
  };

  const open = (key: string, address: string, port: number): Flow => {
    const f: Flow = { key, queue: new DatagramQueue(), lastActive: Date.now(), id: null };
    flows.set(key, f);
    const stream: StreamPort = {
      source: {
        read: () => f.queue.take(),
        close: () => endFlow(f),
      },
      sink: {
        // A reply from the far side goes back to the address that opened the flow.
        write: (chunk) =>
          new Promise((resolve) => {
            f.lastActive = Date.now();
            socket.send(chunk, port, address, (err) => {
              if (err) udp.sendErrors++;
              else udp.datagramsOut++;
              resolve();
            });
          }),
        close: () => Promise.resolve(),
      },
      reset(code, reason) {
        endFlow(f);
        counters.ended({ how: "reset", reason: reason || `code ${code}` });
        log.warn(`datagrams from ${key}: stream ${f.id} reset: ${reason || `code ${code}`}`);
      },
      closed() {
        endFlow(f);
        counters.ended({ how: "closed" });
        log.debug(`datagrams from ${key}: stream ${f.id} closed`);
      },
    };
    try {
      const d = driver();
      d.endpoint.setDatagramOptions(opts.live);
      f.id = d.openStream("datagrams", UDP_LABEL, stream);
      counters.opened();
      log.info(`datagrams from ${key}: stream ${f.id}`);
    } catch (e) {
      log.warn(`datagrams from ${key} refused: ${(e as Error).message}`);
      endFlow(f);
    }
    return f;
  };

  socket.on("message", (msg: Uint8Array, rinfo: dgram.RemoteInfo) => {
    if (closing) return;
    udp.datagramsIn++;
    const key = formatHostPort({ host: rinfo.address, port: rinfo.port });
    const f = flows.get(key) ?? open(key, rinfo.address, rinfo.port);
    f.lastActive = Date.now();
    // A Buffer is a Uint8Array, but a view into a pool: copy, the stream keeps it a while.
    if (!f.queue.offer(Uint8Array.from(msg))) udp.queueDrops++;
  });
  socket.on("error", (e: Error) => log.warn(`udp-listen ${formatHostPort(at)}: ${e.message}`));

  const sweep = setInterval(() => {
    const now = Date.now();
    for (const f of [...flows.values()]) {
      if (now - f.lastActive < idleMs) continue;
      log.info(`datagrams from ${f.key}: idle for ${Math.round(idleMs / 1000)} s, stream ended`);
      endFlow(f);
    }
  }, Math.max(50, Math.min(1000, idleMs / 4)));

  const addr = socket.address();
  return {
    addr: { hostname: addr.address, port: addr.port },
    get flows() {
      return flows.size;
    },
    close() {
      if (closing) return;
      closing = true;
      clearInterval(sweep);
      for (const f of [...flows.values()]) endFlow(f);
      try {
        socket.close();
      } catch { /* closed */ }
    },
  };
}

/**
 * The relay's handler for `udp` streams (relayAcceptor's `extra` hook): a socket connected to
 * `to` per stream. Other labels are not its business (null).
 * @example
 * ```ts
 * relayAcceptor({ ..., extra: udpOutput({ host: "127.0.0.1", port: 9000 }, log, udp) });
 * ```
 */
export function udpOutput(
  to: { host: string; port: number; family?: number | "name" },
  log: Logger,
  udp: UdpCounters,
): (id: number, label: string) => Promise<StreamPort | Refusal> | null {
  return (id, label) => label === UDP_LABEL ? connectUdp(id, to, log, udp) : null;
}

async function connectUdp(
  id: number,
  to: { host: string; port: number; family?: number | "name" },
  log: Logger,
  udp: UdpCounters,
): Promise<StreamPort | Refusal> {
  const where = formatHostPort(to);
  const socket = dgram.createSocket({ type: to.family === 6 ? "udp6" : "udp4" });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.connect(to.port, to.host, () => {
        socket.off("error", reject);
        resolve();
      });
    });
  } catch (e) {
    try {
      socket.close();
    } catch { /* closed */ }
    return { refuse: StreamCode.UNREACHABLE, reason: `udp://${where}: ${(e as Error).message}` };
  }
  const replies = new DatagramQueue();
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    replies.end();
    try {
      socket.close();
    } catch { /* closed */ }
  };
  socket.on("message", (msg: Uint8Array) => {
    udp.datagramsIn++;
    if (!replies.offer(Uint8Array.from(msg))) udp.queueDrops++;
  });
  // A connected socket hears ICMP port unreachable as an error: the target may start later.
  socket.on("error", () => udp.sendErrors++);
  log.debug(`stream ${id}: datagrams to udp://${where}`);
  return {
    source: { read: () => replies.take(), close: () => replies.end() },
    sink: {
      write: (chunk) =>
        new Promise((resolve) => {
          if (closed) return resolve();
          socket.send(chunk, (err) => {
            if (err) udp.sendErrors++;
            else udp.datagramsOut++;
            resolve();
          });
        }),
      // The sender's flow ended: so does the way back.
      close: () => {
        replies.end();
        return Promise.resolve();
      },
    },
    reset: close,
    closed: close,
  };
}

/**
 * Stream 0's output when `--output` is `udp://`: a byte stream has no datagrams to send, so a
 * session that sends one fails with a reason that says what to do instead.
 * @example
 * ```ts
 * openOutput: () => Promise.resolve(noByteStreamSink("udp://127.0.0.1:9000"))
 * ```
 */
export function noByteStreamSink(
  output: string,
): { write(chunk: Uint8Array): Promise<void>; close(): Promise<void> } {
  return {
    write: () =>
      Promise.reject(
        new Error(
          `--output ${output} carries datagram streams (send --input udp-listen://...), ` +
            `not a byte stream`,
        ),
      ),
    close: () => Promise.resolve(),
  };
}

function bind(socket: dgram.Socket, at: HostPort): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(at.port, at.host, () => {
      socket.off("error", reject);
      resolve();
    });
  });
}
