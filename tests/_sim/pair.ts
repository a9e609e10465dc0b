/**
 * An in-memory bonded pair for tests: two `BondEndpoint`s, a client and a server, joined by
 * N simulated links on a virtual clock. No sockets, no sleeps: the clock jumps from one event
 * to the next.
 *
 * Each direction of a link models a TCP-over-TLS pipe: a rate (bytes/ms), a one-way delay, FIFO
 * order, and a send queue; while the queue holds more than its capacity the sending endpoint
 * is told the link is blocked, and told again when it drains. Every frame goes through
 * `encodeFrame` / `decodeFrame`, so the wire codec runs too.
 *
 * One instant of the event loop, in order (repeated at the same `now` while anything moves):
 * 1. scheduled test actions due now run (kill, stall, revive, add a link);
 * 2. pipes move bytes from their queue onto the wire; a drained pipe unblocks its link;
 * 3. frames whose arrival time has come are decoded and handed to `receive()`;
 * 4. `handleTimeout(now)` on each side whose `nextTimeout()` is due;
 * 5. input is pushed while `inputRoom() > 0`, then `endInput()`;
 * 6. `pollTransmit(now)` until null; each frame is encoded, counted and queued on its pipe, and
 *    a pipe over capacity blocks its link;
 * 7. output is taken (at the output's pace, if it has one), `outputDone()` once complete;
 * 8. `pollEvent()` until null; a silent or broken link is closed on both sides, as the real
 *    driver does;
 * then the step hook runs (invariants), and the clock jumps to the next event: an arrival, a
 * pipe draining, a timeout, an output slot or a scheduled action.
 *
 * A stalled link delivers nothing either way and keeps what it is given, so its sender ends up
 * blocked; a killed link loses whatever it carried. A side whose `nextTimeout()` was already due
 * at an earlier instant and still is after this one would make a real driver spin (its timer
 * fires at once, again and again); such instants are counted in `spins`.
 * @module
 */
import assert from "node:assert/strict";
import {
  BondEndpoint,
  DEFAULT_ENDPOINT_OPTIONS,
  type EndpointEvent,
  type EndpointOptions,
} from "../../core/session/endpoint.ts";
import {
  decodeFrame,
  DEFAULT_VPN_OUI,
  encodeFrame,
  type LinkCaps,
  type LinkPriority,
} from "../../core/frame/mod.ts";
import { proportionalPolicy } from "../../core/scheduler/proportional.ts";

// ---- Seeded randomness ----

/**
 * mulberry32: a tiny 32-bit PRNG. The same seed gives the same sequence of floats in [0, 1).
 * @example
 * ```ts
 * const rand = mulberry32(7);
 * const x = rand();
 * ```
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed used when BONDCTL_FUZZ_SEED is not set (or not readable). */
export const DEFAULT_SEED = 0x5eed_b0d;

let seedLogged = false;

/**
 * The seed for randomised tests: BONDCTL_FUZZ_SEED if set and readable, else DEFAULT_SEED.
 * Logged once per process so a failure can be replayed.
 * @example
 * ```ts
 * const rand = mulberry32(simSeed());
 * ```
 */
export function simSeed(): number {
  let seed = DEFAULT_SEED;
  try {
    const perm = Deno.permissions.querySync({ name: "env", variable: "BONDCTL_FUZZ_SEED" });
    const raw = perm.state === "granted" ? Deno.env.get("BONDCTL_FUZZ_SEED") : undefined;
    if (raw !== undefined && raw.trim() !== "") {
      const n = Number(raw);
      if (!Number.isSafeInteger(n)) throw new Error(`BONDCTL_FUZZ_SEED=${raw} is not an integer`);
      seed = n >>> 0;
    }
  } catch (e) {
    if (e instanceof Error && e.message.startsWith("BONDCTL_FUZZ_SEED")) throw e;
  }
  if (!seedLogged) {
    seedLogged = true;
    console.log(`sim seed: ${seed} (replay: BONDCTL_FUZZ_SEED=${seed} deno test --allow-env ...)`);
  }
  return seed;
}

/**
 * `length` pseudo-random bytes from `rand`.
 * @example
 * ```ts
 * const data = randomBytes(mulberry32(1), 1024);
 * ```
 */
export function randomBytes(rand: () => number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i += 4) {
    let x = (rand() * 4294967296) >>> 0;
    for (let j = i; j < i + 4 && j < length; j++) {
      out[j] = x & 0xff;
      x >>>= 8;
    }
  }
  return out;
}

/**
 * Asserts that two byte strings are equal, naming the first differing offset.
 * @example
 * ```ts
 * assertSameBytes(pair.server.output(), input, "server output");
 * ```
 */
export function assertSameBytes(actual: Uint8Array, expected: Uint8Array, label: string): void {
  const n = Math.min(actual.length, expected.length);
  let i = 0;
  while (i < n && actual[i] === expected[i]) i++;
  if (i === n && actual.length === expected.length) return;
  assert.fail(
    `${label}: ${actual.length} bytes, expected ${expected.length}; ` +
      (i < n ? `first difference at offset ${i}` : `identical for the first ${n} bytes`),
  );
}

/** Converts Mbit/s to bytes per ms. */
export function mbpsToBytesPerMs(mbps: number): number {
  return (mbps * 1e6) / 8 / 1000;
}

// ---- Links ----

/** One simulated link. Both directions have the same rate and delay unless given apart. */
export interface LinkSpec {
  index: number;
  /** Rate in Mbit/s (client to server, and back unless `downMbps`). */
  mbps: number;
  /** Rate server to client in Mbit/s (default `mbps`). */
  downMbps?: number;
  /** One-way delay (ms). */
  delayMs: number;
  /** Send-queue bytes above which the sender's link is blocked (default 128 KiB). */
  capacityBytes?: number;
  priority?: LinkPriority;
  /** Announce the rate in the link's caps (`--link rate=`); default false: it is learned. */
  nominal?: boolean;
}

/** Default send-queue capacity of a pipe (bytes). */
export const DEFAULT_CAPACITY = 128 * 1024;

interface WireFrame {
  bytes: Uint8Array;
  finishAt: number;
  arriveAt: number;
  order: number;
}

/** One direction of a link: a FIFO with a rate, a delay and a bounded send queue. */
export class Pipe {
  /** Rate (bytes/ms); a change applies to frames queued after it. */
  bytesPerMs: number;
  readonly delayMs: number;
  readonly capacity: number;
  /** Whether the sending endpoint has been told the link is blocked. */
  blocked = false;
  stalled = false;
  /** Bytes queued and not yet serialized onto the wire. */
  queuedBytes = 0;
  /** Frames and bytes delivered. */
  deliveredFrames = 0;
  deliveredBytes = 0;
  #frames: WireFrame[] = [];
  #head = 0; // next frame to arrive
  #sentHead = 0; // next frame to finish serialization
  #busyUntil = 0;

  constructor(bytesPerMs: number, delayMs: number, capacity: number) {
    this.bytesPerMs = bytesPerMs;
    this.delayMs = delayMs;
    this.capacity = capacity;
  }

  /** Frames sent and not yet delivered. */
  get pendingFrames(): number {
    return this.#frames.length - this.#head;
  }

  enqueue(bytes: Uint8Array, now: number, order: number): void {
    const start = Math.max(now, this.#busyUntil);
    const finishAt = start + bytes.length / this.bytesPerMs;
    this.#busyUntil = finishAt;
    this.#frames.push({ bytes, finishAt, arriveAt: finishAt + this.delayMs, order });
    this.queuedBytes += bytes.length;
  }

  /** Moves frames whose serialization has finished out of the send queue. */
  advance(now: number): void {
    if (this.stalled) return;
    while (this.#sentHead < this.#frames.length && this.#frames[this.#sentHead].finishAt <= now) {
      this.queuedBytes -= this.#frames[this.#sentHead].bytes.length;
      this.#sentHead++;
    }
  }

  /** Removes and returns the frames that have arrived by `now`. */
  arrivals(now: number): WireFrame[] {
    const out: WireFrame[] = [];
    if (this.stalled) return out;
    while (this.#head < this.#sentHead && this.#frames[this.#head].arriveAt <= now) {
      const f = this.#frames[this.#head++];
      this.deliveredFrames++;
      this.deliveredBytes += f.bytes.length;
      out.push(f);
    }
    if (this.#head > 1024 && this.#head * 2 > this.#frames.length) {
      this.#frames = this.#frames.slice(this.#head);
      this.#sentHead -= this.#head;
      this.#head = 0;
    }
    return out;
  }

  /** The next time this pipe changes by itself, or null. */
  nextEvent(): number | null {
    if (this.stalled) return null;
    let t: number | null = null;
    if (this.#head < this.#frames.length) t = this.#frames[this.#head].arriveAt;
    if (this.blocked && this.#sentHead < this.#frames.length) {
      const f = this.#frames[this.#sentHead].finishAt;
      if (t === null || f < t) t = f;
    }
    return t;
  }

  /** The path recovers: whatever waited is sent again from `now`, in order. */
  resume(now: number): void {
    this.stalled = false;
    this.#busyUntil = now;
    this.queuedBytes = 0;
    this.#sentHead = this.#head;
    for (let i = this.#head; i < this.#frames.length; i++) {
      const f = this.#frames[i];
      f.finishAt = this.#busyUntil + f.bytes.length / this.bytesPerMs;
      f.arriveAt = f.finishAt + this.delayMs;
      this.#busyUntil = f.finishAt;
      this.queuedBytes += f.bytes.length;
    }
  }
}

/** A link between the two sides: one pipe each way. */
export interface SimLink {
  spec: LinkSpec;
  caps: LinkCaps;
  /** Client to server. */
  up: Pipe;
  /** Server to client. */
  down: Pipe;
}

// ---- Sides ----

/** What one side reads and how fast it writes. */
export interface SideSpec {
  /** The stream this side sends; absent: the empty stream (input ends at once). */
  input?: Uint8Array;
  /** Output pace in Mbit/s; absent: the output takes everything at once. */
  outputMbps?: number;
  /**
   * Drives this side's other streams (opens, feeds, drains, resets) at step 5 of every pass;
   * returns how much it moved (0 when idle), so that the instant goes on while it works.
   */
  streams?: (side: SimSide, now: number) => number;
}

/** An event and when it happened. */
export interface TimedEvent {
  at: number;
  event: EndpointEvent;
}

/** One endpoint with its input, output and counters. */
export class SimSide {
  readonly name: "client" | "server";
  readonly ep: BondEndpoint;
  readonly events: TimedEvent[] = [];
  /** Instants after which `nextTimeout()` was still due (a real driver would spin). */
  spins = 0;
  firstSpinAt: number | null = null;
  wireBytesTx = 0;
  framesTx = 0;
  /** Frames written to a link that had no pipe (killed): lost. */
  framesDropped = 0;
  /** Largest DATA payload this side has received. */
  maxBlockRx = 0;
  completedAt: number | null = null;
  failedAt: number | null = null;
  #input: Uint8Array;
  #inputAt = 0;
  #rand: () => number;
  #output: Uint8Array[] = [];
  #outputBytes = 0;
  #outBytesPerMs: number | null;
  #writerFreeAt = 0;
  #outputDone = false;
  #streams: ((side: SimSide, now: number) => number) | null;

  constructor(
    name: "client" | "server",
    opts: EndpointOptions,
    spec: SideSpec,
    rand: () => number,
    now: number,
  ) {
    this.name = name;
    this.ep = new BondEndpoint({ ...opts, side: name }, now);
    this.#streams = spec.streams ?? null;
    this.#input = spec.input ?? new Uint8Array(0);
    this.#outBytesPerMs = spec.outputMbps === undefined ? null : mbpsToBytesPerMs(spec.outputMbps);
    this.#rand = rand;
  }

  /** Everything written to the output so far, concatenated. */
  output(): Uint8Array {
    const out = new Uint8Array(this.#outputBytes);
    let at = 0;
    for (const c of this.#output) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
  get outputBytes(): number {
    return this.#outputBytes;
  }
  get inputBytes(): number {
    return this.#input.length;
  }
  /** Events of one type, with their times. */
  eventsOf<T extends EndpointEvent["type"]>(type: T): TimedEvent[] {
    return this.events.filter((e) => e.event.type === type);
  }

  /** Step 5, for the test's own streams: returns how much it moved. */
  streams(now: number): number {
    return this.#streams ? this.#streams(this, now) : 0;
  }

  /** Step 5: pushes input while there is room; returns the bytes pushed. */
  feed(): number {
    let pushed = 0;
    while (this.#inputAt < this.#input.length) {
      const room = this.ep.inputRoom();
      if (room <= 0) break;
      const chunk = 1 + Math.floor(this.#rand() * 64 * 1024);
      const n = Math.min(room, chunk, this.#input.length - this.#inputAt);
      this.ep.push(this.#input.subarray(this.#inputAt, this.#inputAt + n));
      this.#inputAt += n;
      pushed += n;
    }
    if (this.#inputAt >= this.#input.length && !this.ep.outbound.inputEnded) this.ep.endInput();
    return pushed;
  }

  /** Step 7: takes output at the output's pace; returns the bytes taken. */
  drain(now: number): number {
    let taken = 0;
    while (this.#outBytesPerMs === null || this.#writerFreeAt <= now) {
      const c = this.ep.takeOutput();
      if (!c) break;
      this.#output.push(c);
      this.#outputBytes += c.length;
      taken += c.length;
      if (this.#outBytesPerMs !== null) {
        this.#writerFreeAt = Math.max(this.#writerFreeAt, now) + c.length / this.#outBytesPerMs;
      }
    }
    const idle = this.#outBytesPerMs === null || this.#writerFreeAt <= now;
    if (!this.#outputDone && idle && this.ep.outputComplete) {
      this.#outputDone = true;
      this.ep.outputDone(now);
    }
    return taken;
  }

  /** When the output can take its next chunk, if later than `now`. */
  nextOutputSlot(now: number): number | null {
    return this.#outBytesPerMs !== null && this.#writerFreeAt > now ? this.#writerFreeAt : null;
  }
}

// ---- The pair ----

/** Options of a simulated pair. */
export interface PairOptions {
  links: LinkSpec[];
  /** PRNG seed for input chunking (default: `simSeed()`). */
  seed?: number;
  endpoint?: Partial<Omit<EndpointOptions, "oui">>;
  client?: SideSpec;
  server?: SideSpec;
  /** Runs after every instant (for invariants). */
  onStep?: (pair: SimPair) => void;
}

/**
 * Two endpoints and their links on a virtual clock.
 * @example
 * ```ts
 * const pair = new SimPair({
 *   links: [{ index: 1, mbps: 20, delayMs: 20 }],
 *   client: { input: new Uint8Array(1000) },
 * });
 * pair.runToCompletion(10_000);
 * ```
 */
export class SimPair {
  now = 0;
  readonly seed: number;
  readonly rand: () => number;
  readonly client: SimSide;
  readonly server: SimSide;
  readonly links = new Map<number, SimLink>();
  /** Instants processed. */
  instants = 0;
  #onStep?: (pair: SimPair) => void;
  #actions: { at: number; run: (pair: SimPair) => void }[] = [];
  #order = 0;

  constructor(opts: PairOptions) {
    this.seed = opts.seed ?? simSeed();
    this.rand = mulberry32(this.seed);
    const epOpts = (): EndpointOptions => ({
      ...DEFAULT_ENDPOINT_OPTIONS,
      oui: DEFAULT_VPN_OUI,
      policy: proportionalPolicy(),
      ...opts.endpoint,
    });
    this.client = new SimSide("client", epOpts(), opts.client ?? {}, this.rand, this.now);
    this.server = new SimSide("server", epOpts(), opts.server ?? {}, this.rand, this.now);
    this.#onStep = opts.onStep;
    for (const spec of opts.links) this.addLink(spec);
  }

  /** A new link (or a new connection replacing one with the same index) on both sides. */
  addLink(spec: LinkSpec): void {
    this.links.delete(spec.index);
    const caps: LinkCaps = {
      kind: "ethernet",
      name: `sim${spec.index}`,
      localAddress: `10.0.${spec.index & 0xff}.2`,
      cost: 1,
      priority: spec.priority ?? "primary",
      ...(spec.nominal ? { rateBps: spec.mbps * 1e6 } : {}),
    };
    const cap = spec.capacityBytes ?? DEFAULT_CAPACITY;
    this.links.set(spec.index, {
      spec,
      caps,
      up: new Pipe(mbpsToBytesPerMs(spec.mbps), spec.delayMs, cap),
      down: new Pipe(mbpsToBytesPerMs(spec.downMbps ?? spec.mbps), spec.delayMs, cap),
    });
    this.client.ep.addLink(spec.index, caps, this.now);
    this.server.ep.addLink(spec.index, caps, this.now);
  }

  /** The link's connection breaks: both sides see it close; frames in flight are lost. */
  killLink(index: number): void {
    this.links.delete(index);
    this.client.ep.removeLink(index, this.now);
    this.server.ep.removeLink(index, this.now);
  }

  /** The link silently stops delivering, both ways: frames wait forever, nothing closes. */
  stallLink(index: number): void {
    const link = this.#link(index);
    link.up.stalled = true;
    link.down.stalled = true;
  }

  /** The link's rate client to server becomes `mbps` (a modem slowing down). */
  setUpRate(index: number, mbps: number): void {
    this.#link(index).up.bytesPerMs = mbpsToBytesPerMs(mbps);
  }

  /** A stalled link delivers again: what waited goes out from now, in order. */
  reviveLink(index: number): void {
    const link = this.#link(index);
    link.up.resume(this.now);
    link.down.resume(this.now);
  }

  /** Runs `run` at virtual time `at` (step 1 of that instant). */
  schedule(at: number, run: (pair: SimPair) => void): void {
    this.#actions.push({ at, run });
    this.#actions.sort((a, b) => a.at - b.at);
  }

  /** Both sides have reported "complete". */
  get complete(): boolean {
    return this.client.completedAt !== null && this.server.completedAt !== null;
  }

  /**
   * Runs until `done()` holds, failing the test with the pair's state if the virtual clock
   * would pass `deadline` (ms) first.
   */
  runUntil(done: (pair: SimPair) => boolean, deadline: number, what = "the condition"): void {
    for (;;) {
      this.#instant();
      if (done(this)) return;
      const next = this.#nextEventTime();
      if (next === null || next > deadline) {
        const why = next === null ? "nothing left to happen" : `virtual deadline ${deadline} ms`;
        assert.fail(`${why} before ${what} (seed ${this.seed})\n${this.describe()}`);
      }
      this.now = next;
    }
  }

  /** Runs until both sides report "complete" (fails the test on a failure or the deadline). */
  runToCompletion(deadline: number): void {
    this.runUntil(
      (p) => {
        for (const side of [p.client, p.server]) {
          if (side.failedAt !== null) {
            const ev = side.eventsOf("failed")[0].event;
            assert.fail(
              `${side.name} failed at ${side.failedAt} ms: ${JSON.stringify(ev)} ` +
                `(seed ${this.seed})\n${this.describe()}`,
            );
          }
        }
        return p.complete;
      },
      deadline,
      "both sides complete",
    );
  }

  /** A multi-line picture of the pair, for failure messages. */
  describe(): string {
    const lines = [`t=${this.now.toFixed(3)} ms after ${this.instants} instants`];
    for (const s of [this.client, this.server]) {
      const o = s.ep.outbound;
      const i = s.ep.inbound;
      const evs = s.events.map((e) =>
        `${e.event.type}${"index" in e.event ? e.event.index : ""}@${e.at.toFixed(0)}`
      );
      lines.push(
        `${s.name}: ${s.ep.state}; out in=${o.bytesIn}/${s.inputBytes} acked=${o.bytesAcked} ` +
          `unacked=${o.unackedCount} queued=${o.queuedBytes} resent=${o.bytesResent} ` +
          `ended=${o.inputEnded} finished=${o.finished}; in out=${s.outputBytes} ` +
          `held=${i.heldBytes} cum=${i.cumulative} finished=${i.finished}; spins=${s.spins}; ` +
          `events ${evs.slice(0, 20).join(" ")}${evs.length > 20 ? " ..." : ""}`,
      );
      for (const l of s.ep.linkStats()) {
        lines.push(
          `  link ${l.index} ${l.state} data=${l.dataBytes} rate=${Math.round(l.rateBps)} ` +
            `srtt=${l.srttMs.toFixed(1)} inflight=${l.inFlightBytes}`,
        );
      }
    }
    for (const [index, l] of this.links) {
      for (const [dir, p] of [["up", l.up], ["down", l.down]] as const) {
        lines.push(
          `  pipe ${index} ${dir}: queued=${p.queuedBytes} pending=${p.pendingFrames} ` +
            `blocked=${p.blocked} stalled=${p.stalled}`,
        );
      }
    }
    return lines.join("\n");
  }

  #link(index: number): SimLink {
    const link = this.links.get(index);
    if (!link) throw new Error(`no simulated link ${index}`);
    return link;
  }

  #pipe(from: SimSide, index: number): Pipe | null {
    const link = this.links.get(index);
    if (!link) return null;
    return from === this.client ? link.up : link.down;
  }

  /** Processes everything due at `now`. */
  #instant(): void {
    this.instants++;
    const now = this.now;
    const sides = [this.client, this.server];
    for (let pass = 0; pass < 64; pass++) {
      let moved = 0;
      // 1. scheduled actions
      while (this.#actions.length > 0 && this.#actions[0].at <= now) {
        this.#actions.shift()!.run(this);
        moved++;
      }
      // 2. pipes drain; a drained pipe unblocks its link
      for (const [index, link] of this.links) {
        for (const [pipe, side] of [[link.up, this.client], [link.down, this.server]] as const) {
          pipe.advance(now);
          if (pipe.blocked && pipe.queuedBytes <= pipe.capacity) {
            pipe.blocked = false;
            side.ep.setBlocked(index, false);
            moved++;
          }
        }
      }
      // 3. arrivals, in arrival order across links
      const arrived: { index: number; to: SimSide; bytes: Uint8Array; at: number; o: number }[] =
        [];
      for (const [index, link] of this.links) {
        for (const f of link.up.arrivals(now)) {
          arrived.push({ index, to: this.server, bytes: f.bytes, at: f.arriveAt, o: f.order });
        }
        for (const f of link.down.arrivals(now)) {
          arrived.push({ index, to: this.client, bytes: f.bytes, at: f.arriveAt, o: f.order });
        }
      }
      arrived.sort((a, b) => a.at - b.at || a.o - b.o);
      for (const a of arrived) {
        const frame = decodeFrame(a.bytes, DEFAULT_VPN_OUI);
        if (frame.type === "DATA") {
          a.to.maxBlockRx = Math.max(a.to.maxBlockRx, frame.payload.length);
        }
        a.to.ep.receive(a.index, frame, now, a.bytes.length);
        moved++;
      }
      for (const side of sides) {
        // 4. timeouts
        const t = side.ep.nextTimeout();
        if (t !== null && t <= now) side.ep.handleTimeout(now);
        // 5. input
        moved += side.feed();
        moved += side.streams(now);
        // 6. transmit
        for (let tx = side.ep.pollTransmit(now); tx; tx = side.ep.pollTransmit(now)) {
          moved++;
          const bytes = encodeFrame(tx.frame);
          side.ep.wrote(tx.index, bytes.length);
          side.wireBytesTx += bytes.length;
          side.framesTx++;
          const pipe = this.#pipe(side, tx.index);
          if (!pipe) {
            side.framesDropped++;
            continue;
          }
          pipe.enqueue(bytes, now, this.#order++);
          if (!pipe.blocked && pipe.queuedBytes > pipe.capacity) {
            pipe.blocked = true;
            side.ep.setBlocked(tx.index, true);
          }
        }
        // 7. output
        moved += side.drain(now);
        // 8. events
        for (let ev = side.ep.pollEvent(); ev; ev = side.ep.pollEvent()) {
          moved++;
          side.events.push({ at: now, event: ev });
          if (ev.type === "complete") side.completedAt ??= now;
          if (ev.type === "failed") side.failedAt ??= now;
          if ((ev.type === "link-silent" || ev.type === "link-error") && this.links.has(ev.index)) {
            this.killLink(ev.index);
          }
        }
      }
      if (moved === 0) break;
    }
    for (const side of sides) {
      // A deadline handled at exactly `now` may still read as due through float rounding
      // (`a + b` against `now - a >= b`); it is handled at the next instant. One that was
      // already due before this instant and still is would make a real driver spin.
      const t = side.ep.nextTimeout();
      if (t !== null && t < now - 1e-6) {
        side.spins++;
        side.firstSpinAt ??= now;
      }
    }
    this.#onStep?.(this);
  }

  #nextEventTime(): number | null {
    const now = this.now;
    let next: number | null = null;
    const at = (t: number | null) => {
      if (t !== null && t > now && (next === null || t < next)) next = t;
    };
    if (this.#actions.length > 0) at(Math.max(this.#actions[0].at, now + 1e-6));
    for (const link of this.links.values()) {
      at(link.up.nextEvent());
      at(link.down.nextEvent());
    }
    for (const side of [this.client, this.server]) {
      at(side.ep.nextTimeout());
      at(side.nextOutputSlot(now));
    }
    return next;
  }
}
