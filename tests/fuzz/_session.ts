/**
 * The session state machine's fuzz targets.
 *
 * `hostileSequence`: one `BondEndpoint` (with data of its own to send back) is fed a hostile
 * peer's frames (each a case): DATA in and out of order, duplicated, far ahead, at absurd
 * sequence numbers, for streams that do not exist, empty FINs in odd places; ACKs and NACKs for
 * blocks never sent, with absurd windows; BUFFER, PING, CLOSE and handshake frames out of place;
 * links added, removed and blocked; an output that sometimes does not drain. Every frame goes
 * through the codec first, and every frame the endpoint sends is encoded, as the driver does.
 * Checked after every step:
 * 1. nothing throws (the endpoint turns violations into events);
 * 2. every frame it sends encodes (a peer would not reject it);
 * 3. bytes held for reassembly and output stay within `maxBufferBytes` plus one block;
 * 4. the output is exactly the peer's blocks 0, 1, 2 ... in order, each once;
 * 5. no spin: handling what is due leaves nothing due at the same instant (a bounded number
 *    of rounds), and `nextTimeout()` is a finite number or null.
 *
 * `pairSequence`: two endpoints over the in-memory links of `tests/_sim/pair.ts` while links
 * are killed, stalled, revived and added at random; the frames they exchange are the cases.
 * Checked: both complete, and each output is the other side's input, byte for byte.
 * @module
 */
import { BondEndpoint, DEFAULT_ENDPOINT_OPTIONS } from "../../core/session/endpoint.ts";
import {
  decodeFrame,
  DEFAULT_VPN_OUI,
  encodeFrame,
  type Frame,
  MAX_BLOCK_PAYLOAD,
} from "../../core/frame/mod.ts";
import { createPolicy } from "../../core/scheduler/registry.ts";
import { type LinkSpec, SimPair } from "../_sim/pair.ts";
import { caps, MAX_SEQ, poolBytes, randomFrame, ranges, Rng, seqValue, u32 } from "./_frames.ts";
import { FuzzCheckError } from "./_decoder.ts";

/** What the session sequences found. */
export interface SessionStats {
  cases: number;
  sequences: number;
  /** Endpoint events seen, by type (and failure reasons' first words). */
  events: Map<string, number>;
}

const OUI = DEFAULT_VPN_OUI;
const POLICIES = ["earliest", "proportional", "fewest", "redundant"] as const;

function check(ok: boolean, what: string): void {
  if (!ok) throw new FuzzCheckError(what);
}

/** The peer's block `seq`: always the same octets for the same seq within a sequence. */
class PeerStream {
  #salt: number;
  constructor(salt: number) {
    this.#salt = salt;
  }
  length(seq: number): number {
    const h = this.#hash(seq);
    const k = h % 100;
    if (k < 3) return MAX_BLOCK_PAYLOAD;
    if (k < 13) return h % 65536;
    if (k < 20) return 0;
    return h % 2048;
  }
  payload(seq: number): Uint8Array {
    return poolBytes(new Rng(this.#hash(seq) ^ 0x5bd1e995), this.length(seq));
  }
  #hash(seq: number): number {
    let h = (this.#salt ^ Math.imul((seq % 0x1_0000_0000) >>> 0, 0x9e3779b1) ^
      Math.floor(seq / 0x1_0000_0000)) >>> 0;
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
    return (h ^ (h >>> 12)) >>> 0;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * One hostile-peer sequence from `seed`; throws FuzzCheckError naming the broken rule.
 * @example
 * ```ts
 * hostileSequence(42, { cases: 0, sequences: 0, events: new Map() });
 * ```
 */
export function hostileSequence(seed: number, stats: SessionStats): void {
  const r = new Rng(seed);
  const maxBuffer = r.pick([64 * 1024, 256 * 1024, 1 << 20, 32 << 20]);
  let now = 0;
  const ep = new BondEndpoint({
    ...DEFAULT_ENDPOINT_OPTIONS,
    oui: OUI,
    policy: createPolicy(r.pick(POLICIES)),
    maxBufferBytes: maxBuffer,
    maxQueuedBytes: r.pick([64 * 1024, 1 << 20]),
    bufferMs: r.pick([100, 3000]),
    linkTimeoutMs: r.pick([1000, 30_000]),
  }, now);
  const peer = new PeerStream(r.u32());
  const links = new Set<number>();
  const addLink = (i: number) => {
    ep.addLink(i, caps(r), now);
    links.add(i);
  };
  for (let i = 1, n = 1 + r.int(3); i <= n; i++) addLink(i);
  const slowOutput = r.chance(0.25);
  const stuckOutput = r.chance(0.5);
  // A flood: in-order blocks as fast as they come, whatever the window says.
  const flood = r.chance(0.15);
  let toPush = r.int(2 << 20);
  let outSeq = 0; // the next peer block the output must show
  let outputDone = false;
  let highest = -1;

  const pickLink = () => r.chance(0.05) ? 99 : links.size > 0 ? r.pick([...links]) : 1 + r.int(3);

  const hostileFrame = (): Frame => {
    const vpn = { oui: OUI, index: r.int(4) };
    const cum = ep.inbound.cumulative;
    const k = flood ? r.int(60) : r.int(100);
    if (k < 55) {
      let seq: number;
      const s = r.int(10);
      if (flood) seq = cum + (r.chance(0.8) ? 0 : r.int(4));
      else if (s < 5) seq = cum + r.int(8);
      else if (s < 6 && cum > 0) seq = Math.max(0, cum - 1 - r.int(5));
      else if (s < 8) seq = cum + r.int(2000);
      else if (s < 9) seq = seqValue(r);
      else seq = Math.min(MAX_SEQ, highest + 1);
      highest = Math.max(highest, seq);
      return {
        type: "DATA",
        vpn,
        streamId: r.chance(0.95) ? 0 : u32(r),
        seq,
        sendTs: u32(r),
        fin: r.chance(0.03),
        retransmit: r.chance(0.1),
        payload: peer.payload(seq),
      };
    }
    if (k < 75) {
      const base = ep.outbound.peerCumulative;
      const c = r.int(10);
      const cumulative = c < 5 ? base + r.int(5) : c < 7 ? r.int(100) : seqValue(r);
      return {
        type: "ACK",
        vpn,
        streamId: r.chance(0.95) ? 0 : u32(r),
        cumulative,
        ranges: ranges(r, cumulative),
        windowBytes: u32(r),
        echoTs: u32(r),
        ackDelayUs: u32(r),
      };
    }
    if (k < 85) {
      const rs = ranges(r, r.chance(0.6) ? ep.outbound.peerCumulative : seqValue(r));
      return {
        type: "NACK",
        vpn,
        streamId: r.chance(0.95) ? 0 : u32(r),
        ranges: rs.length > 0 ? rs : [[0, 1]],
      };
    }
    if (k < 88) return { type: "BUFFER", vpn, bufferMs: u32(r) };
    if (k < 93) {
      return { type: r.chance(0.5) ? "PING" : "PONG", vpn, ts: u32(r), echoTs: u32(r) } as Frame;
    }
    if (k < 95) {
      return { type: "CLOSE", vpn, code: r.chance(0.3) ? 0 : r.int(12), reason: "fuzz" };
    }
    const f = randomFrame(r, OUI);
    // Any frame type, but a DATA block still carries the peer's octets for its seq.
    return f.type === "DATA" ? { ...f, payload: peer.payload(f.seq) } : f;
  };

  const call = <T>(what: string, fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      if (e instanceof FuzzCheckError) throw e;
      throw new FuzzCheckError(`${what} threw ${(e as Error).name}: ${(e as Error).message}`);
    }
  };

  /** The driver's turn: timeouts, transmit, output, events. */
  const service = () => {
    for (let round = 0;; round++) {
      const due = call("nextTimeout()", () => ep.nextTimeout());
      check(due === null || Number.isFinite(due), `nextTimeout() is ${due}`);
      if (due === null || due > now) break;
      check(round < 400, `spin: nextTimeout() ${due} stays due at ${now} (state ${ep.state})`);
      call("handleTimeout()", () => ep.handleTimeout(now));
      drain();
    }
    drain();
  };
  const drain = () => {
    let n = 0;
    for (
      let t = call("pollTransmit()", () => ep.pollTransmit(now));
      t;
      t = call("pollTransmit()", () => ep.pollTransmit(now))
    ) {
      check(++n < 100_000, "pollTransmit() does not run dry");
      try {
        encodeFrame(t.frame);
      } catch (e) {
        throw new FuzzCheckError(
          `the endpoint sent a ${t.frame.type} the codec refuses: ${(e as Error).message}`,
        );
      }
      if (r.chance(0.02)) ep.setBlocked(t.index, true);
    }
    for (let ev = ep.pollEvent(); ev; ev = ep.pollEvent()) {
      const key = ev.type === "failed"
        ? `failed (${ev.byPeer ? "by the peer" : `code ${ev.code}`})`
        : ev.type;
      stats.events.set(key, (stats.events.get(key) ?? 0) + 1);
      if (ev.type === "link-silent" || ev.type === "link-error") {
        ep.removeLink(ev.index, now);
        links.delete(ev.index);
      }
    }
    // A slow output takes a chunk now and then; a stuck one (half the slow cases) nothing.
    const takeAll = !slowOutput || r.chance(0.02);
    const takeNone = slowOutput && (stuckOutput || r.chance(0.9));
    for (let c = takeNone ? null : ep.takeOutput(); c; c = takeAll ? ep.takeOutput() : null) {
      while (peer.length(outSeq) === 0) outSeq++;
      check(
        sameBytes(c, peer.payload(outSeq)),
        `output chunk of ${c.length} octets is not the peer's block ${outSeq}`,
      );
      outSeq++;
    }
    if (ep.outputComplete && !outputDone) {
      outputDone = true;
      ep.outputDone(now);
    }
    const held = ep.inbound.heldBytes;
    check(
      held <= maxBuffer + MAX_BLOCK_PAYLOAD,
      `${held} octets held, over --max-buffer ${maxBuffer} plus one block`,
    );
  };

  const steps = 20 + r.int(180);
  for (let step = 0; step < steps; step++) {
    now += r.chance(0.9) ? r.next() * 20 : r.next() * 12_000;
    const a = r.int(100);
    if (a < 70) {
      const frame = decodeFrame(encodeFrame(hostileFrame()), OUI);
      stats.cases++;
      const link = pickLink();
      call(`receive(${frame.type})`, () => ep.receive(link, frame, now, 100));
    } else if (a < 75) {
      addLink(1 + r.int(4));
    } else if (a < 80) {
      const i = pickLink();
      call("removeLink()", () => ep.removeLink(i, now));
      links.delete(i);
    } else if (a < 83) {
      ep.setBlocked(pickLink(), r.chance(0.5));
    } else if (a < 95) {
      const room = ep.inputRoom();
      const n = Math.min(room, toPush, 1 + r.int(128 * 1024));
      if (n > 0) {
        ep.push(poolBytes(r, n));
        toPush -= n;
      }
    } else if (a < 97) {
      ep.endInput();
    }
    service();
  }
  stats.sequences++;
}

/**
 * One sequence of two endpoints over faulty in-memory links.
 * @example
 * ```ts
 * pairSequence(42, { cases: 0, sequences: 0, events: new Map() });
 * ```
 */
export function pairSequence(seed: number, stats: SessionStats): void {
  const r = new Rng(seed);
  const n = 1 + r.int(3);
  const specs: LinkSpec[] = Array.from({ length: n }, (_, i) => ({
    index: i + 1,
    mbps: r.pick([1, 5, 20, 100]),
    delayMs: r.pick([1, 10, 40, 120]),
  }));
  const clientIn = poolBytes(r, r.int(MAX_BLOCK_PAYLOAD)).slice();
  const serverIn = r.chance(0.3) ? poolBytes(r, r.int(64 * 1024)).slice() : new Uint8Array(0);
  const pair = new SimPair({
    links: specs,
    seed: r.u32(),
    endpoint: {
      policy: createPolicy(r.pick(POLICIES)),
      maxBufferBytes: r.pick([256 * 1024, 4 << 20]),
      bufferMs: r.pick([500, 3000]),
      // Past the faults: a side that sent CLOSE waits for the peer's while links are down
      // (the last ACK can be lost with every link at once: see docs/SECURITY.md).
      lingerMs: 10_000,
    },
    client: { input: clientIn, outputMbps: r.chance(0.2) ? 2 : undefined },
    server: { input: serverIn, outputMbps: r.chance(0.2) ? 2 : undefined },
  });
  // Faults in the first 5 s; every link is back (a fresh connection) by 6 s.
  for (let f = 0, faults = r.int(6); f < faults; f++) {
    const index = 1 + r.int(n);
    const at = r.next() * 5000;
    const kind = r.int(3);
    pair.schedule(at, (p) => {
      if (!p.links.has(index)) return;
      if (kind === 0) p.killLink(index);
      else if (kind === 1) p.stallLink(index);
      else p.reviveLink(index);
    });
  }
  pair.schedule(6000, (p) => {
    for (const spec of specs) {
      const l = p.links.get(spec.index);
      if (!l || l.up.stalled) p.addLink(spec);
    }
  });
  try {
    pair.runToCompletion(600_000);
  } catch (e) {
    throw new FuzzCheckError(`the pair did not complete: ${(e as Error).message.split("\n")[0]}`, {
      cause: e,
    });
  }
  check(sameBytes(pair.server.output(), clientIn), "the server's output is not the client's input");
  check(sameBytes(pair.client.output(), serverIn), "the client's output is not the server's input");
  stats.cases += pair.client.framesTx + pair.server.framesTx;
  stats.sequences++;
}
