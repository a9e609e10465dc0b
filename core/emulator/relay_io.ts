/**
 * The link emulator on real sockets: per link a TCP relay on loopback (or any local address)
 * between a sender and its server, applying the link's model (`link.ts`, `path.ts`): rate
 * following a capacity curve (constant, changed at run time, or a trace in any of the three
 * formats), one-way delay, jitter that keeps order, loss stalls, and outages (closed: both
 * sockets reset; silent: bytes held, nothing closed). No root needed. `bondctl bench --lab
 * loopback` runs on it, and tests use it to break links on purpose:
 *
 * ```ts
 * const emu = await startEmulator({ links: ["20mbit/20ms", "10mbit/30ms"], target: "127.0.0.1:7443" });
 * // bondctl send --link 127.0.0.2,via=127.0.0.1:${emu.ports[0]} --link 127.0.0.3,via=...
 * emu.cut(1, "silent"); emu.restore(1); emu.setRate(2, 5e6);
 * await emu.close();
 * ```
 *
 * Per accepted connection, in order:
 * 1. refuse it (reset) while the link is cut `closed`; else dial the target;
 * 2. bytes read from either side go into that direction's path with their due time; reading
 *    pauses while the path's queue is full (about 100 ms of the rate), so the sender's own
 *    TCP feels the bottleneck;
 * 3. one timer per link fires at the next due time (or when the queue gets room) and writes
 *    what is due, in order, to the other side; an end of stream travels in order too;
 * 4. a reset or error on one side resets the other.
 * @module
 */
import net from "node:net";
import { parseHostPort } from "../config/endpoint.ts";
import { parseSimLink } from "../sim/link_spec.ts";
import { loadTrace } from "../sim/trace_io.ts";
import { Rng } from "../sim/rng.ts";
import { type CutKind, EmulatedLink, type EmulatedLinkSpec, emulatedLinkSpec } from "./link.ts";
import type { LinkState } from "./link.ts";

/**
 * Options of {@link startEmulator}.
 * @example
 * ```ts
 * const o: EmulatorOptions = { links: ["20mbit/20ms"], target: "127.0.0.1:7443", seed: 7 };
 * ```
 */
export interface EmulatorOptions {
  /**
   * The links, numbered from 1: `simulate`'s specs (`20mbit/20ms`, `trace:FILE/40ms`,
   * `5mbit/30ms,jitter=10ms`) or ready {@link EmulatedLinkSpec}s.
   */
  links: readonly (string | EmulatedLinkSpec)[];
  /** Where every relay connects: `host:port` or `{ host, port }`. */
  target: string | { host: string; port: number };
  /** Address the relays listen on (default 127.0.0.1). */
  host?: string;
  /** Seed for jitter and loss (default 1). */
  seed?: number;
  /** False: apply delay, jitter and outages but no rate (something else shapes). */
  rateLimit?: boolean;
}

/**
 * Byte counts of one link.
 * @example
 * ```ts
 * const s: EmulatorLinkStats = emu.stats(1); console.log(s.upBytes, s.state);
 * ```
 */
export interface EmulatorLinkStats {
  /** Bytes delivered sender to receiver. */
  upBytes: number;
  /** Bytes delivered receiver to sender. */
  downBytes: number;
  /** Connections accepted (refused ones not counted). */
  connections: number;
  state: LinkState;
}

/**
 * A running emulator. Link numbers are from 1, as on the command line.
 * @example
 * ```ts
 * const emu: Emulator = await startEmulator(opts); emu.cut(1, "silent"); emu.restore(1);
 * ```
 */
export interface Emulator {
  /** `ports[i - 1]` is link i's relay port. */
  readonly ports: readonly number[];
  /** The address the relays listen on. */
  readonly host: string;
  /** Cuts link `link`: `closed` resets its connections (default), `silent` holds its bytes. */
  cut(link: number, kind?: CutKind): void;
  /** Ends a cut. */
  restore(link: number): void;
  /** Link `link` carries `bps` (both directions) from now on. */
  setRate(link: number, bps: number): void;
  stats(link: number): EmulatorLinkStats;
  /** Resets every connection and stops listening. */
  close(): Promise<void>;
}

/**
 * A link emulator setting that cannot work; the message says what to change.
 * @example
 * ```ts
 * try { await startEmulator({ links: [], target: "127.0.0.1:1" }); } catch (e) { if (e instanceof EmulatorError) console.error(e.message); }
 * ```
 */
export class EmulatorError extends Error {
  override name = "EmulatorError";
}

interface Pair {
  client: net.Socket;
  server: net.Socket;
  closed: boolean;
}

type Item = { pair: Pair; data: Uint8Array | null };

/** Relays of one link. */
class LinkRelay {
  readonly model: EmulatedLink<Item>;
  readonly pairs = new Set<Pair>();
  readonly server: net.Server;
  connections = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #pausedUp = new Set<net.Socket>();
  #pausedDown = new Set<net.Socket>();

  constructor(
    spec: EmulatedLinkSpec,
    rng: Rng,
    readonly clock: () => number,
    readonly target: { host: string; port: number },
  ) {
    this.model = new EmulatedLink<Item>(spec, rng);
    // Half-open: an end of stream travels through the path like data, in order.
    this.server = net.createServer({ allowHalfOpen: true }, (c) => this.#accept(c));
  }

  #accept(client: net.Socket): void {
    // 1.
    if (!this.model.accepts) {
      client.on("error", () => {});
      client.resetAndDestroy();
      return;
    }
    this.connections++;
    const server = net.connect({
      host: this.target.host,
      port: this.target.port,
      allowHalfOpen: true,
    });
    const pair: Pair = { client, server, closed: false };
    this.pairs.add(pair);
    for (const s of [client, server]) {
      s.setNoDelay(true);
      s.on("error", () => this.#reset(pair));
      // A clean close (both ends done) needs nothing; one after an error was reset already.
      s.on("close", () => {
        if (client.destroyed && server.destroyed) this.#forget(pair);
      });
    }
    // 2.
    const feed = (from: net.Socket, up: boolean) => {
      const path = up ? this.model.up : this.model.down;
      const paused = up ? this.#pausedUp : this.#pausedDown;
      from.on("data", (chunk: Uint8Array) => {
        if (pair.closed) return;
        const now = this.clock();
        path.push({ pair, data: chunk }, chunk.length, now);
        if (!path.hasRoom(now)) {
          from.pause();
          paused.add(from);
        }
        this.#wake();
      });
      from.on("end", () => {
        if (pair.closed) return;
        path.push({ pair, data: null }, 0, this.clock());
        this.#wake();
      });
    };
    feed(client, true);
    feed(server, false);
  }

  /** 4. One side broke: reset both, drop what they had in flight. */
  #reset(pair: Pair): void {
    if (pair.closed) return;
    pair.closed = true;
    this.pairs.delete(pair);
    this.#pausedUp.delete(pair.client);
    this.#pausedDown.delete(pair.server);
    for (const s of [pair.client, pair.server]) {
      if (!s.destroyed) s.resetAndDestroy();
    }
    this.model.up.drop((i) => i.pair === pair);
    this.model.down.drop((i) => i.pair === pair);
  }

  /** Both sockets closed cleanly. */
  #forget(pair: Pair): void {
    pair.closed = true;
    this.pairs.delete(pair);
    this.#pausedUp.delete(pair.client);
    this.#pausedDown.delete(pair.server);
  }

  /** 3. Arms the link's timer for the next thing to do. */
  #wake(): void {
    clearTimeout(this.#timer);
    const now = this.clock();
    const times = [this.model.up.nextWakeAt(now), this.model.down.nextWakeAt(now)]
      .filter((t): t is number => t !== null && Number.isFinite(t));
    if (times.length === 0) return;
    const wait = Math.max(0, Math.ceil(Math.min(...times) - now));
    this.#timer = setTimeout(() => this.#tick(), wait);
  }

  #tick(): void {
    const now = this.clock();
    deliver(this.model.up.takeDue(now), (p) => p.server);
    deliver(this.model.down.takeDue(now), (p) => p.client);
    for (
      const [path, paused] of [[this.model.up, this.#pausedUp], [
        this.model.down,
        this.#pausedDown,
      ]] as const
    ) {
      if (paused.size > 0 && path.hasRoom(now)) {
        for (const s of paused) s.resume();
        paused.clear();
      }
    }
    this.#wake();
  }

  cut(kind: CutKind): void {
    this.model.cut(kind, this.clock());
    if (kind === "closed") { for (const p of [...this.pairs]) this.#reset(p); }
    this.#wake();
  }

  restore(): void {
    this.model.restore(this.clock());
    this.#wake();
  }

  setRate(bps: number): void {
    this.model.setRate(bps, this.clock());
    this.#wake();
  }

  async close(): Promise<void> {
    clearTimeout(this.#timer);
    for (const p of [...this.pairs]) this.#reset(p);
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

/** Writes due items, consecutive chunks of one connection in one write. */
function deliver(items: Item[], to: (p: Pair) => net.Socket): void {
  let i = 0;
  while (i < items.length) {
    const pair = items[i].pair;
    const parts: Uint8Array[] = [];
    let ended = false;
    while (i < items.length && items[i].pair === pair) {
      const d = items[i++].data;
      if (d === null) ended = true;
      else parts.push(d);
    }
    if (pair.closed) continue;
    const sock = to(pair);
    if (parts.length === 1) sock.write(parts[0]);
    else if (parts.length > 1) sock.write(concat(parts));
    if (ended) sock.end();
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * Starts one relay per link, listening on `host` (127.0.0.1) at free ports, each forwarding to
 * `target` through its link's model.
 * @example
 * ```ts
 * const emu = await startEmulator({ links: ["10mbit/20ms", "trace:up.csv/40ms"], target: "127.0.0.1:7443" });
 * console.log(emu.ports); // [40123, 40124]
 * emu.cut(2, "closed");
 * await emu.close();
 * ```
 */
export async function startEmulator(o: EmulatorOptions): Promise<Emulator> {
  const target = typeof o.target === "string" ? parseHostPort(o.target) : o.target;
  const host = o.host ?? "127.0.0.1";
  if (o.links.length === 0) throw new EmulatorError("the emulator needs at least one link");
  const specs: EmulatedLinkSpec[] = [];
  for (const [i, l] of o.links.entries()) {
    if (typeof l !== "string") {
      specs.push(l);
      continue;
    }
    const parsed = parseSimLink(l, i + 1);
    const trace = parsed.source.kind === "trace"
      ? await loadTrace(parsed.source.path, parsed.source.format)
      : undefined;
    specs.push(emulatedLinkSpec(parsed, trace, { rateLimit: o.rateLimit }));
  }
  const t0 = performance.now();
  const clock = () => performance.now() - t0;
  const rng = new Rng(o.seed ?? 1);
  const relays = specs.map((s) => new LinkRelay(s, rng, clock, target));
  const ports: number[] = [];
  try {
    for (const r of relays) {
      ports.push(
        await new Promise<number>((resolve, reject) => {
          r.server.once("error", reject);
          r.server.listen({ host, port: 0 }, () => {
            r.server.off("error", reject);
            resolve((r.server.address() as net.AddressInfo).port);
          });
        }),
      );
    }
  } catch (e) {
    await Promise.all(relays.map((r) => r.close().catch(() => {})));
    throw new EmulatorError(`cannot listen on ${host}: ${(e as Error).message}`);
  }
  const relay = (link: number) => {
    const r = relays[link - 1];
    if (!r) throw new EmulatorError(`no link ${link}: links are numbered 1 to ${relays.length}`);
    return r;
  };
  return {
    ports,
    host,
    cut: (link, kind = "closed") => relay(link).cut(kind),
    restore: (link) => relay(link).restore(),
    setRate: (link, bps) => relay(link).setRate(bps),
    stats: (link) => {
      const r = relay(link);
      return {
        upBytes: r.model.up.bytesOut,
        downBytes: r.model.down.bytesOut,
        connections: r.connections,
        state: r.model.state,
      };
    },
    close: async () => {
      await Promise.all(relays.map((r) => r.close()));
    },
  };
}
