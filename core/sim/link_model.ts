/**
 * A simulated link as the tunnel sees it: a TCP-over-TLS connection over one path, with an
 * uplink (sender to receiver, the data) and a downlink (receiver to sender, mostly ACKs),
 * each a {@link Pipe}; outages; and what the endpoints are told about it (`LinkCaps`: cost,
 * priority, data cap, optional nominal rate).
 *
 * Outages, `{ atMs, durationMs, kind }`:
 * - `closed`: the connection breaks. At `atMs` the simulator calls `removeLink()` on both
 *   endpoints and whatever the pipes held is gone; at the end the link is added again, as a
 *   redial would. A new connection gets fresh pipes.
 * - `silent`: the path drops everything and nothing closes. Both directions hold their frames
 *   (see `Hold` in pipe.ts) until TCP's retransmission timer fires after the path is back:
 *   its first timeout is RTT + 200 ms after the silence began and each next one doubles
 *   (up to 120 s), so a silence resumes at the first timeout after it ends.
 * The capacity a link offers over a run excludes its outages (the path had none to offer)
 * but not its loss stalls (the path had it; TCP wasted it).
 * @module
 */
import type { LinkCaps, LinkKind, LinkPriority } from "../frame/types.ts";
import { Capacity, type RateChange } from "./capacity.ts";
import { type Hold, Pipe } from "./pipe.ts";
import type { Rng } from "./rng.ts";

/** A capacity: bit/s, a schedule of changes, or a ready `Capacity` (a trace). */
export type CapacitySpec = number | readonly RateChange[] | Capacity;

/** An interval during which a link's path is gone. */
export interface Outage {
  /** Start (ms). */
  atMs: number;
  /** Length (ms). */
  durationMs: number;
  /** The connection breaks, or the path goes silent without closing. */
  kind: "closed" | "silent";
}

/** One direction's behaviour, all optional for the downlink. */
export interface DirectionSpec {
  /** Rate over time (default for the downlink: {@link DEFAULT_DOWN_BPS}). */
  capacity?: CapacitySpec;
  /** One-way delay (ms). */
  delayMs?: number;
  /** Extra per-frame delay, uniform in [0, jitterMs) (ms). */
  jitterMs?: number;
  /** Probability that an MSS-sized unit is lost (each loss stalls the pipe). */
  loss?: number;
  /** How long a loss stalls the pipe (default RTT + 200 ms). */
  lossStallMs?: number;
}

/** A simulated link: the uplink's fields at the top level, the downlink under `down`. */
export interface SimLinkSpec {
  /** Name in reports and in the endpoints' `LinkCaps` (default `link<N>`). */
  name?: string;
  /** Uplink capacity. */
  capacity: CapacitySpec;
  /** Uplink one-way delay (ms); the downlink's too unless given. */
  delayMs: number;
  /** Extra per-frame delay, uniform in [0, jitterMs) (ms). */
  jitterMs?: number;
  /** Probability that an MSS-sized unit is lost (each loss stalls the pipe). */
  loss?: number;
  /** How long a loss stalls the pipe (default RTT + 200 ms). */
  lossStallMs?: number;
  /** The ACK direction; default a generous 100 Mbit/s, the same delay, no jitter or loss. */
  down?: DirectionSpec;
  /** When the path is gone (see the module comment). */
  outages?: readonly Outage[];
  /** Cost per MB of payload (default 1); also the endpoints' `caps.cost`. */
  costPerMB?: number;
  /** Told to the endpoints (default primary). */
  priority?: LinkPriority;
  /** Data cap for the session (bytes), told to the endpoints. */
  capBytes?: number;
  /** A rate announced to the endpoints as `--link rate=` would (default: none, learned). */
  nominalBps?: number;
  /** Send-queue bytes above which the sender's link is blocked (default 128 KiB). */
  sendBufferBytes?: number;
  /** Told to the endpoints (default wwan). */
  kind?: LinkKind;
}

/** The ACK direction's default rate (bit/s). */
export const DEFAULT_DOWN_BPS = 100e6;
/** The default socket send buffer (bytes). */
export const DEFAULT_SEND_BUFFER_BYTES = 128 * 1024;
/** TCP's minimum retransmission timeout, as Linux has it (ms). */
export const MIN_RTO_MS = 200;
const MAX_RTO_MS = 120_000;

/**
 * Turns a capacity spec into a `Capacity`.
 * @example
 * ```ts
 * toCapacity(20e6).bpsAt(0); // 20_000_000
 * ```
 */
export function toCapacity(spec: CapacitySpec): Capacity {
  if (spec instanceof Capacity) return spec;
  if (typeof spec === "number") return Capacity.constant(spec);
  return Capacity.schedule(spec);
}

/**
 * One link of a simulation: its spec, its caps, and the pipes of its current connection.
 * @example
 * ```ts
 * const link = new SimLink({ capacity: 20e6, delayMs: 20 }, 1, new Rng(1));
 * link.open(0);
 * link.up!.write(1500, 0);
 * ```
 */
export class SimLink {
  /** The link's number, from 1. */
  readonly index: number;
  /** Its name in reports and caps. */
  readonly name: string;
  /** What it was built from. */
  readonly spec: SimLinkSpec;
  /** What the endpoints are told about it. */
  readonly caps: LinkCaps;
  /** Sender-to-receiver capacity. */
  readonly upCapacity: Capacity;
  /** Receiver-to-sender capacity. */
  readonly downCapacity: Capacity;
  /** Outages, ascending by start. */
  readonly outages: readonly Outage[];
  /** The uplink pipe of the open connection, or null while closed. */
  up: Pipe | null = null;
  /** The downlink pipe of the open connection, or null while closed. */
  down: Pipe | null = null;
  /** Connections opened so far. */
  connections = 0;
  #rng: Rng;
  #closedStalls = 0;
  #holds: (Hold & { end: number })[];

  /** Link number `index` (from 1) built from `spec`, drawing randomness from `rng`. */
  constructor(spec: SimLinkSpec, index: number, rng: Rng) {
    this.index = index;
    this.spec = spec;
    this.name = spec.name ?? `link${index}`;
    this.#rng = rng;
    const d = spec.down ?? {};
    check(this.name, "delay", spec.delayMs, 0);
    check(this.name, "jitter", spec.jitterMs ?? 0, 0);
    check(this.name, "down delay", d.delayMs ?? 0, 0);
    for (const p of [spec.loss ?? 0, d.loss ?? 0]) {
      if (!(p >= 0 && p < 1)) throw new RangeError(`${this.name}: loss ${p} must be in [0, 1)`);
    }
    this.upCapacity = toCapacity(spec.capacity);
    this.downCapacity = toCapacity(d.capacity ?? DEFAULT_DOWN_BPS);
    this.outages = [...(spec.outages ?? [])].sort((a, b) => a.atMs - b.atMs);
    for (const o of this.outages) {
      check(this.name, "outage start", o.atMs, 0);
      check(this.name, "outage duration", o.durationMs, 0);
    }
    this.#holds = mergeHolds(
      this.outages.filter((o) => o.kind === "silent").map((o) => ({
        from: o.atMs,
        until: this.#tcpResume(o),
        end: o.atMs + o.durationMs,
      })),
    );
    this.caps = {
      kind: spec.kind ?? "wwan",
      name: this.name,
      localAddress: `10.${(index >> 8) & 0xff}.${index & 0xff}.2`,
      cost: spec.costPerMB ?? 1,
      priority: spec.priority ?? "primary",
      ...(spec.capBytes !== undefined ? { capBytes: spec.capBytes } : {}),
      ...(spec.nominalBps !== undefined ? { rateBps: spec.nominalBps } : {}),
    };
  }

  /** Round-trip propagation delay (ms). */
  get rttMs(): number {
    return this.spec.delayMs + (this.spec.down?.delayMs ?? this.spec.delayMs);
  }

  /** Loss stalls over every connection so far. */
  get lossStalls(): number {
    return this.#closedStalls + (this.up?.lossStalls ?? 0) + (this.down?.lossStalls ?? 0);
  }

  /** Opens a new connection at `now`: fresh, empty pipes. */
  open(now: number): void {
    this.close();
    const s = this.spec;
    const d = s.down ?? {};
    const stall = this.rttMs + MIN_RTO_MS;
    const n = this.connections++;
    // A new connection knows nothing of silences its path already came back from.
    const holds = this.#holds.filter((h) => h.end > now);
    this.up = new Pipe({
      capacity: this.upCapacity,
      delayMs: s.delayMs,
      jitterMs: s.jitterMs ?? 0,
      loss: s.loss ?? 0,
      lossStallMs: s.lossStallMs ?? stall,
      holds,
      rng: this.#rng.fork(`up/${n}`),
    });
    this.down = new Pipe({
      capacity: this.downCapacity,
      delayMs: d.delayMs ?? s.delayMs,
      jitterMs: d.jitterMs ?? 0,
      loss: d.loss ?? 0,
      lossStallMs: d.lossStallMs ?? stall,
      holds,
      rng: this.#rng.fork(`down/${n}`),
    });
  }

  /** The connection is gone; frames on it are lost. */
  close(): void {
    for (const pipe of [this.up, this.down]) {
      if (!pipe) continue;
      pipe.closed = true;
      this.#closedStalls += pipe.lossStalls;
    }
    this.up = null;
    this.down = null;
  }

  /** Is the path in an outage at `t`? */
  inOutage(t: number): Outage | null {
    for (const o of this.outages) {
      if (t >= o.atMs && t < o.atMs + o.durationMs) return o;
    }
    return null;
  }

  /** Uplink bytes the path offered between `t0` and `t1`, outages excluded. */
  offeredBytes(t0: number, t1: number): number {
    let bytes = this.upCapacity.bytesBetween(t0, t1);
    for (const o of this.outages) {
      const a = Math.max(t0, o.atMs);
      const b = Math.min(t1, o.atMs + o.durationMs);
      if (b > a) bytes -= this.upCapacity.bytesBetween(a, b);
    }
    return Math.max(0, bytes);
  }

  /** When TCP sends again after a silence: its first backed-off timeout after the end. */
  #tcpResume(o: Outage): number {
    let step = this.rttMs + MIN_RTO_MS;
    let t = o.atMs + step;
    const end = o.atMs + o.durationMs;
    while (t < end) {
      step = Math.min(2 * step, MAX_RTO_MS);
      t += step;
    }
    return t;
  }
}

/** Sorts holds and merges those that overlap, so a pipe sees them ascending and disjoint. */
function mergeHolds<H extends Hold & { end: number }>(holds: H[]): H[] {
  holds.sort((a, b) => a.from - b.from);
  const out: H[] = [];
  for (const h of holds) {
    const last = out[out.length - 1];
    if (last && h.from <= last.until) {
      last.until = Math.max(last.until, h.until);
      last.end = Math.max(last.end, h.end);
    } else out.push({ ...h });
  }
  return out;
}

function check(link: string, what: string, v: number, min: number): void {
  if (!(v >= min) || !Number.isFinite(v)) {
    throw new RangeError(`${link}: ${what} ${v} must be a finite number ≥ ${min}`);
  }
}
