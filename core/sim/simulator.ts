/**
 * The discrete-event simulator: two real `BondEndpoint`s (sender and receiver, with the real
 * scheduler, reorder buffer and retransmission) joined by simulated links on a virtual clock.
 * Frames pass between them as objects, never encoded; links carry their encoded size.
 *
 * One instant of the event loop, the clock at `now`:
 * 1. due events, in time order (ties in the order scheduled): frames arriving → `receive()` on
 *    the far side (dropped if their connection closed meanwhile); a send queue drained to its
 *    buffer → `setBlocked(false)`; outages starting and ending (closed: `removeLink()` on both
 *    sides, `addLink()` again at the end); redials; timeline samples; input wake-ups;
 * 2. `handleTimeout(now)` on each side whose `nextTimeout()` is due;
 * 3. `takeOutput()` until null on each side: the receiver verifies each chunk against the input
 *    pattern and measures its delay; `outputDone()` once the stream has ended;
 * 4. the input model pushes while `inputRoom() > 0`; `endInput()` once it is done;
 * 5. `pollTransmit()` until null on each side; each frame goes into its link's pipe (its arrival
 *    is scheduled) and a send queue past its buffer blocks the link (`setBlocked(true)`);
 * 6. `pollEvent()` until null: recorded; a silent or broken link is closed on both sides and
 *    redialled after 0.5 s (doubling to 5 s while its path is down), as the real client does;
 * steps 2-6 run again while they leave work behind (room that sent blocks opened in the input
 *    queue, links that step 6 closed, a deadline that became due);
 * 7. jump to the earliest queued event or endpoint deadline.
 * The run ends when both sides complete, one fails, nothing is left to happen, or the clock
 * passes `durationMs + drainMs`.
 * @module
 */
import { BondEndpoint, DEFAULT_ENDPOINT_OPTIONS } from "../session/endpoint.ts";
import type { EndpointOptions } from "../session/endpoint.ts";
import { DEFAULT_VPN_OUI } from "../frame/constants.ts";
import type { Frame } from "../frame/types.ts";
import { proportionalPolicy } from "../scheduler/proportional.ts";
import { VirtualClock } from "./clock.ts";
import { EventQueue } from "./event_queue.ts";
import { createInputModel, type InputModel } from "./input_model.ts";
import { DEFAULT_SEND_BUFFER_BYTES, type Outage, SimLink } from "./link_model.ts";
import { MAX_CHUNK_BYTES, patternView } from "./pattern.ts";
import type { Pipe } from "./pipe.ts";
import { Rng } from "./rng.ts";
import { Recorder } from "./_recorder.ts";
import type { SimConfig, SimResult } from "./sim_types.ts";
import { wireSize } from "./wire_size.ts";

const DEFAULT_DRAIN_MS = 30_000;
const DEFAULT_SAMPLE_MS = 100;
const REDIAL_FIRST_MS = 500;
const REDIAL_MAX_MS = 5000;
/** How far the clock moves when an endpoint's deadline stays in the past (ms). */
const SPIN_STEP_MS = 1;
const MAX_PASSES = 8;
/** The virtual clock's first instant (ms). */
const START_MS = 0.001;

type Side = {
  name: "client" | "server";
  ep: BondEndpoint;
  outputDone: boolean;
  state: "open" | "complete" | "failed";
};

type QueuedEvent =
  | { kind: "arrive"; link: SimLink; pipe: Pipe; to: Side; frame: Frame; wire: number }
  | { kind: "drain"; link: SimLink; pipe: Pipe; from: Side }
  | { kind: "outage-start" | "outage-end"; link: SimLink; outage: Outage }
  | { kind: "redial"; link: SimLink; generation: number; waitMs: number }
  | { kind: "sample" }
  | { kind: "wake" };

/**
 * Runs one simulation to its end and measures it. Deterministic: the same config (and seed)
 * gives a deep-equal result.
 * @example
 * ```ts
 * const r = runSimulation({
 *   links: [{ capacity: 20e6, delayMs: 20 }, { capacity: 10e6, delayMs: 30 }],
 *   input: { kind: "cbr", bitrateBps: 12e6 },
 *   durationMs: 60_000, seed: 1, policy: proportionalPolicy(),
 *   bufferMs: 3000, maxBufferBytes: 32 << 20,
 * });
 * console.log(r.goodputBps, r.delayMs.p99, r.onTimeShare);
 * ```
 */
export function runSimulation(config: SimConfig): SimResult {
  return new Simulation(config).run();
}

class Simulation {
  #cfg: SimConfig;
  // Starts 1 µs in: frames carry a microsecond clock in which 0 means "no timestamp", and
  // blocks sent at exactly 0 would give no RTT sample until the start-up queue had drained.
  #clock = new VirtualClock(START_MS);
  #queue = new EventQueue<QueuedEvent>();
  #links: SimLink[];
  #client: Side;
  #server: Side;
  #input: InputModel;
  #rec: Recorder;
  #sampleMs: number;
  #endLimit: number;
  #sendBuffer: number[];
  #greedyMin: number;
  // Progress.
  #inputEnded = false;
  #inputWakeAt = -1;
  /** Per link, bumped by every close and open: a pending redial of an older one is void. */
  #generation: number[];
  #spins = 0;
  #instants = 0;
  #failure: string | undefined;

  constructor(cfg: SimConfig) {
    validate(cfg);
    this.#cfg = cfg;
    const rng = new Rng(cfg.seed);
    this.#sampleMs = cfg.sampleMs ?? DEFAULT_SAMPLE_MS;
    this.#endLimit = cfg.durationMs + (cfg.drainMs ?? DEFAULT_DRAIN_MS);
    const opts = (policy = cfg.policy): EndpointOptions => ({
      ...DEFAULT_ENDPOINT_OPTIONS,
      ...cfg.endpoint,
      oui: DEFAULT_VPN_OUI,
      policy,
      bufferMs: cfg.bufferMs,
      maxBufferBytes: cfg.maxBufferBytes,
    });
    const clientOpts = opts();
    this.#client = side("client", clientOpts);
    this.#server = side("server", opts(proportionalPolicy()));
    this.#links = cfg.links.map((spec, i) => new SimLink(spec, i + 1, rng.fork(`link${i + 1}`)));
    this.#sendBuffer = cfg.links.map((l) => l.sendBufferBytes ?? DEFAULT_SEND_BUFFER_BYTES);
    this.#input = createInputModel(cfg.input, cfg.durationMs, rng.fork("input"));
    // A greedy source pushes big chunks, as a reader of stdin does: fewer blocks span two
    // chunks, and the sender's ByteQueue copies less.
    this.#greedyMin = Math.min(MAX_CHUNK_BYTES / 4, clientOpts.maxQueuedBytes / 2);
    this.#rec = new Recorder(this.#links, {
      bufferMs: cfg.bufferMs,
      durationMs: cfg.durationMs,
      fileInput: cfg.input.kind === "file",
      verify: cfg.verify ?? "sampled",
    });
    this.#generation = new Array(this.#links.length).fill(0);
  }

  run(): SimResult {
    const now = this.#clock.now;
    // The receiver sends no stream of its own: its input is empty.
    this.#server.ep.endInput();
    for (const link of this.#links) {
      link.open(now);
      this.#client.ep.addLink(link.index, link.caps, now);
      this.#server.ep.addLink(link.index, link.caps, now);
      for (const o of link.outages) {
        this.#queue.push(o.atMs, { kind: "outage-start", link, outage: o });
        this.#queue.push(o.atMs + o.durationMs, { kind: "outage-end", link, outage: o });
      }
    }
    this.#queue.push(this.#sampleMs, { kind: "sample" });
    this.#queue.push(this.#cfg.durationMs, { kind: "wake" });
    for (;;) {
      this.#instant();
      if (this.#finished()) break;
      const next = this.#nextTime();
      if (next === null || next > this.#endLimit) break;
      this.#clock.advanceTo(next);
    }
    return this.#result();
  }

  #finished(): boolean {
    const c = this.#client.state;
    const s = this.#server.state;
    return c === "failed" || s === "failed" || (c === "complete" && s === "complete");
  }

  /** Everything due at `now`: steps 1 to 6. */
  #instant(): void {
    this.#instants++;
    const now = this.#clock.now;
    // 1. due events
    for (let t = this.#queue.peekTime(); t !== null && t <= now; t = this.#queue.peekTime()) {
      this.#handle(this.#queue.pop()!, now);
    }
    for (let pass = 0; pass < MAX_PASSES; pass++) {
      // 2. timeouts
      for (const s of [this.#client, this.#server]) {
        const t = s.ep.nextTimeout();
        if (t !== null && t <= now) s.ep.handleTimeout(now);
      }
      // 3. output
      this.#output(this.#server, now);
      this.#output(this.#client, now);
      // 4. input
      const starved = this.#feed(now);
      // 5. transmit
      const sent = this.#transmit(this.#client, now) + this.#transmit(this.#server, now);
      // 6. endpoint events
      const acted = this.#endpointEvents(this.#client, now) +
        this.#endpointEvents(this.#server, now);
      if (!((starved && sent > 0) || acted > 0 || this.#deadlineDue(now))) break;
    }
  }

  #deadlineDue(now: number): boolean {
    for (const s of [this.#client, this.#server]) {
      const t = s.ep.nextTimeout();
      if (t !== null && t <= now) return true;
    }
    return false;
  }

  /** 7. The next instant: the earliest event or endpoint deadline. */
  #nextTime(): number | null {
    const now = this.#clock.now;
    let next = this.#queue.peekTime() ?? Infinity;
    let spun = false;
    for (const s of [this.#client, this.#server]) {
      let t = s.ep.nextTimeout();
      if (t === null) continue;
      if (t <= now) {
        // Still due after MAX_PASSES handlings: a real driver's timer would spin here.
        spun = true;
        t = now + SPIN_STEP_MS;
      }
      if (t < next) next = t;
    }
    if (spun) this.#spins++;
    return Number.isFinite(next) ? next : null;
  }

  #handle(ev: QueuedEvent, now: number): void {
    switch (ev.kind) {
      case "arrive": {
        if (ev.pipe.closed) return; // its connection broke: lost with it
        const index = ev.link.index;
        if (ev.to === this.#server && ev.frame.type === "DATA") {
          this.#rec.delivered(index, ev.frame.payload.length);
        }
        ev.to.ep.receive(index, ev.frame, now, ev.wire);
        return;
      }
      case "drain":
        if (!ev.pipe.closed) this.#checkDrain(ev.link, ev.pipe, ev.from, now);
        return;
      case "outage-start":
        this.#rec.event(now, "outage-start", ev.link.index, undefined, ev.outage.kind);
        if (ev.outage.kind === "closed") this.#closeLink(ev.link, now);
        return;
      case "outage-end":
        this.#rec.event(now, "outage-end", ev.link.index, undefined, ev.outage.kind);
        if (ev.outage.kind === "closed" && !ev.link.up && !ev.link.inOutage(now)) {
          this.#openLink(ev.link, now);
        }
        return;
      case "redial":
        if (ev.generation !== this.#generation[ev.link.index - 1] || ev.link.up) return;
        if (ev.link.inOutage(now)) {
          const waitMs = Math.min(2 * ev.waitMs, REDIAL_MAX_MS);
          this.#queue.push(now + waitMs, { ...ev, waitMs });
        } else this.#openLink(ev.link, now);
        return;
      case "sample":
        this.#rec.sample(now, this.#server.ep.bufferMs);
        if (now + this.#sampleMs <= this.#endLimit) {
          this.#queue.push(now + this.#sampleMs, { kind: "sample" });
        }
        return;
      case "wake":
        return; // only makes an instant happen (the input's end, a production time)
    }
  }

  #openLink(link: SimLink, now: number): void {
    this.#generation[link.index - 1]++;
    link.open(now);
    this.#client.ep.addLink(link.index, link.caps, now);
    this.#server.ep.addLink(link.index, link.caps, now);
    if (link.connections > 1) this.#rec.event(now, "redial", link.index);
  }

  #closeLink(link: SimLink, now: number): void {
    this.#generation[link.index - 1]++;
    link.close();
    this.#client.ep.removeLink(link.index, now);
    this.#server.ep.removeLink(link.index, now);
  }

  /** Step 3: output. The receiver's is verified and timed; the sender's is the empty stream. */
  #output(s: Side, now: number): void {
    for (let c = s.ep.takeOutput(); c !== null; c = s.ep.takeOutput()) {
      if (s === this.#server) this.#rec.output(c, now);
    }
    if (!s.outputDone && s.ep.outputComplete) {
      s.outputDone = true;
      s.ep.outputDone(now);
      if (s === this.#server) this.#rec.outputEnded();
    }
  }

  /** Step 4: input. Returns true when input waits for room the sender does not have. */
  #feed(now: number): boolean {
    const ep = this.#client.ep;
    const input = this.#input;
    input.advance(now);
    let starved = false;
    for (;;) {
      const room = ep.inputRoom();
      // A greedy source pushes big chunks, but the sender paces its input (the room is a few
      // tens of ms of the links' rate): it refills once half of what the sender would hold
      // now is free, whichever comes first.
      const holds = room + ep.outbound.queuedBytes;
      const worth = Math.min(this.#greedyMin, Math.ceil(holds / 2));
      if (room <= 0 || (input.greedy && room < worth)) {
        starved = !input.done(now);
        break;
      }
      const c = input.take(now, room);
      if (c === null) break;
      ep.push(patternView(c.offset, c.bytes));
      this.#rec.input(c.bytes, c.at);
    }
    if (!this.#inputEnded && input.done(now) && ep.state === "open") {
      this.#inputEnded = true;
      ep.endInput();
    }
    const t = input.nextProductionAt();
    if (t !== null && t > now && t !== this.#inputWakeAt) {
      this.#inputWakeAt = t;
      this.#queue.push(t, { kind: "wake" });
    }
    return starved;
  }

  /** Step 5: frames into pipes. Returns the number of frames sent. */
  #transmit(s: Side, now: number): number {
    let n = 0;
    for (let tx = s.ep.pollTransmit(now); tx !== null; tx = s.ep.pollTransmit(now)) {
      n++;
      const link = this.#links[tx.index - 1];
      const pipe = s === this.#client ? link.up : link.down;
      const wire = wireSize(tx.frame);
      s.ep.wrote(tx.index, wire);
      if (pipe === null) continue; // the endpoint still had it; its connection is gone
      if (s === this.#client && tx.frame.type === "DATA") {
        this.#rec.written(tx.index, tx.frame.payload.length);
      }
      const to = s === this.#client ? this.#server : this.#client;
      const at = pipe.write(wire, now);
      if (at !== Infinity) {
        this.#queue.push(at, { kind: "arrive", link, pipe, to, frame: tx.frame, wire });
      }
      if (!pipe.blocked && pipe.queuedBytes(now) > this.#sendBuffer[tx.index - 1]) {
        pipe.blocked = true;
        s.ep.setBlocked(tx.index, true);
        this.#scheduleDrain(link, pipe, s);
      }
    }
    return n;
  }

  #checkDrain(link: SimLink, pipe: Pipe, from: Side, now: number): void {
    if (pipe.queuedBytes(now) <= this.#sendBuffer[link.index - 1]) {
      pipe.blocked = false;
      from.ep.setBlocked(link.index, false);
    } else this.#scheduleDrain(link, pipe, from);
  }

  #scheduleDrain(link: SimLink, pipe: Pipe, from: Side): void {
    const t = pipe.nextDrainAt();
    if (t !== null && t !== Infinity) this.#queue.push(t, { kind: "drain", link, pipe, from });
  }

  /** Step 6: endpoint events. Returns how many needed action. */
  #endpointEvents(s: Side, now: number): number {
    let acted = 0;
    for (let ev = s.ep.pollEvent(); ev !== null; ev = s.ep.pollEvent()) {
      switch (ev.type) {
        case "link-stalled":
        case "link-resumed":
          this.#rec.event(now, ev.type, ev.index, s.name);
          break;
        case "link-silent":
        case "link-error": {
          acted++;
          const link = this.#links[ev.index - 1];
          this.#rec.event(now, ev.type, ev.index, s.name, "message" in ev ? ev.message : undefined);
          if (link.up) {
            this.#closeLink(link, now);
            this.#queue.push(now + REDIAL_FIRST_MS, {
              kind: "redial",
              link,
              generation: this.#generation[link.index - 1],
              waitMs: REDIAL_FIRST_MS,
            });
          }
          break;
        }
        case "complete":
          s.state = "complete";
          this.#rec.event(now, "complete", undefined, s.name);
          break;
        case "failed":
          acted++;
          s.state = "failed";
          this.#failure ??= `${s.name}: ${ev.reason}${ev.byPeer ? " (told by the peer)" : ""}`;
          this.#rec.event(now, "failed", undefined, s.name, ev.reason);
          break;
      }
    }
    return acted;
  }

  #result(): SimResult {
    const end = this.#clock.now;
    this.#rec.sample(end, this.#server.ep.bufferMs);
    const out = this.#client.ep.outbound;
    return this.#rec.result({
      seed: this.#cfg.seed >>> 0,
      policy: this.#cfg.policy.name,
      endMs: end,
      inputBytes: this.#input.bytesProduced,
      bothComplete: this.#client.state === "complete" && this.#server.state === "complete",
      ...(this.#failure !== undefined ? { failure: this.#failure } : {}),
      resentBytes: out.bytesResent,
      duplicateBytes: this.#server.ep.inbound.bytesDuplicate,
      copyBytes: out.bytesDuplicated,
      spins: this.#spins,
      instants: this.#instants,
    }, this.#sampleMs);
  }
}

function side(name: Side["name"], opts: EndpointOptions): Side {
  return { name, ep: new BondEndpoint(opts, 0), outputDone: false, state: "open" };
}

function validate(cfg: SimConfig): void {
  const positive = (what: string, v: number | undefined) => {
    if (v !== undefined && (!(v > 0) || !Number.isFinite(v))) {
      throw new RangeError(`${what} ${v} must be a finite number > 0`);
    }
  };
  if (cfg.links.length === 0) throw new RangeError("a simulation needs at least one link");
  positive("durationMs", cfg.durationMs);
  positive("bufferMs", cfg.bufferMs);
  positive("maxBufferBytes", cfg.maxBufferBytes);
  positive("sampleMs", cfg.sampleMs);
  if (cfg.drainMs !== undefined && !(cfg.drainMs >= 0)) {
    throw new RangeError(`drainMs ${cfg.drainMs} must be ≥ 0`);
  }
  if (!Number.isSafeInteger(cfg.seed)) throw new RangeError(`seed ${cfg.seed} must be an integer`);
}
