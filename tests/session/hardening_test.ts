// Regression tests for the bugs the fuzzer (tests/fuzz/) found in the session core, one test
// per bug, numbered as in docs/SECURITY.md ("Found by fuzzing"):
// 1. DATA at seq 2^53 - 1 made the receiver's next ACK unencodable (the driver threw: the
//    process died);
// 2. a hedged block whose late copy and re-send shared one link was never sent again when
//    that link died (the session hung until --link-timeout);
// 3. the ACK of an empty FIN lost with a link: the FIN (0 bytes in flight) never counted as
//    stalled, and a peer's CLOSE(NORMAL) did not count as its receipt;
// 4. in-order blocks into an output that does not drain (a peer ignoring the window, or a
//    zero-window probe every RTT) grew memory without bound;
// 5. a window update due while no link is up kept `nextTimeout()` at 0: the driver spun;
// 6. DATA for a stream that does not exist was written to the output as stream 0;
// 7. a FrameReader that failed kept holding what the link had sent.

import assert from "node:assert/strict";
import {
  BondEndpoint,
  DEFAULT_ENDPOINT_OPTIONS,
  type EndpointEvent,
} from "../../core/session/endpoint.ts";
import { OutboundStream } from "../../core/session/outbound.ts";
import {
  CloseCode,
  DEFAULT_VPN_OUI,
  encodeFrame,
  type Frame,
  FrameReader,
  type LinkCaps,
  MAX_BLOCK_PAYLOAD,
} from "../../core/frame/mod.ts";
import { proportionalPolicy } from "../../core/scheduler/proportional.ts";

const OUI = DEFAULT_VPN_OUI;
const CAPS: LinkCaps = {
  kind: "ethernet",
  name: "l",
  localAddress: "10.0.0.2",
  cost: 1,
  priority: "primary",
};

function endpoint(maxBufferBytes = 1 << 20): BondEndpoint {
  return new BondEndpoint({
    ...DEFAULT_ENDPOINT_OPTIONS,
    oui: OUI,
    policy: proportionalPolicy(),
    maxBufferBytes,
  }, 0);
}

function data(seq: number, payload: Uint8Array, fin = false, streamId = 0): Frame {
  return {
    type: "DATA",
    vpn: { oui: OUI, index: 1 },
    streamId,
    seq,
    sendTs: 0,
    fin,
    retransmit: false,
    payload,
  };
}

/** Every frame the endpoint has to send now, encoded as the driver does (throws if it can't). */
function transmitAll(ep: BondEndpoint, now: number): Frame[] {
  const out: Frame[] = [];
  for (let t = ep.pollTransmit(now); t; t = ep.pollTransmit(now)) {
    encodeFrame(t.frame);
    out.push(t.frame);
  }
  return out;
}

function events(ep: BondEndpoint): EndpointEvent[] {
  const out: EndpointEvent[] = [];
  for (let e = ep.pollEvent(); e; e = ep.pollEvent()) out.push(e);
  return out;
}

Deno.test("1. DATA at seq 2^53 - 1 fails the session instead of an unencodable ACK", () => {
  const ep = endpoint();
  ep.addLink(1, CAPS, 0);
  ep.receive(1, data(Number.MAX_SAFE_INTEGER, new Uint8Array(10)), 1);
  ep.handleTimeout(10);
  transmitAll(ep, 10); // threw "ACK range end 9007199254740992" before the fix
  const failed = events(ep).find((e) => e.type === "failed");
  assert.ok(failed && failed.type === "failed" && failed.code === CloseCode.PROTOCOL_ERROR);
  assert.match(failed.reason, /invalid-seq/);
});

Deno.test("2. a hedged block re-sent on the same link goes out again when that link dies", () => {
  const out = new OutboundStream(0, { maxQueuedBytes: 1 << 20, initialWindowBytes: 1 << 20 });
  out.push(new Uint8Array(100));
  const rec = out.nextBlock(100)!;
  const stamp = (at: number) => ({
    bytes: 100,
    sentAt: at,
    deliveredAtSend: 0,
    deliveredTimeAtSend: at,
  });
  out.sent(rec, 1, stamp(0));
  out.hedge(rec); // late: its copy stays in flight on link 1, the block queues to go again
  assert.equal(out.nextBlock(100), rec);
  out.sent(rec, 1, stamp(10)); // the only link: the re-send goes on link 1 too
  const credits = out.linkLost(1);
  assert.equal(credits.length, 2, "both transmissions on link 1 are lost");
  assert.equal(out.peekResend(), rec, "the block must be queued to go again");
});

Deno.test("3a. an empty FIN counts in flight, so its link can be found stalled", () => {
  const ep = endpoint();
  ep.addLink(1, CAPS, 0);
  ep.endInput();
  const fin = transmitAll(ep, 0).find((f) => f.type === "DATA");
  assert.ok(fin && fin.type === "DATA" && fin.fin && fin.payload.length === 0);
  const stats = ep.linkStats()[0];
  assert.equal(stats.inFlightBytes, 1, "the empty FIN holds one byte of its link's budget");
  let stalled = false;
  for (let now = 1; now < 5000 && !stalled; now += 50) {
    ep.handleTimeout(now);
    transmitAll(ep, now);
    stalled = events(ep).some((e) => e.type === "link-stalled");
  }
  assert.ok(stalled, "a link holding only an unacknowledged FIN must be found stalled");
});

Deno.test("3b. the peer's CLOSE(NORMAL) counts as receipt of our FIN whose ACK was lost", () => {
  const ep = endpoint();
  ep.addLink(1, CAPS, 0);
  ep.endInput();
  transmitAll(ep, 0); // our FIN, whose ACK never comes
  ep.receive(1, data(0, new Uint8Array(0), true), 5); // the peer's stream: empty
  ep.takeOutput();
  ep.outputDone(6);
  ep.receive(1, {
    type: "CLOSE",
    vpn: { oui: OUI, index: 1 },
    code: CloseCode.NORMAL,
    reason: "complete",
  }, 7);
  transmitAll(ep, 7);
  assert.ok(events(ep).some((e) => e.type === "complete"), "the session completes");
  assert.ok(ep.outbound.finished);
});

Deno.test("4. in-order blocks into an output that never drains stay within --max-buffer", () => {
  const max = 256 * 1024;
  const ep = endpoint(max);
  ep.addLink(1, CAPS, 0);
  const block = new Uint8Array(60_000);
  for (let seq = 0, now = 1; seq < 200; seq++, now++) {
    ep.receive(1, data(ep.inbound.cumulative, block), now);
    transmitAll(ep, now);
    assert.ok(
      ep.inbound.heldBytes <= max + MAX_BLOCK_PAYLOAD,
      `${ep.inbound.heldBytes} bytes held after ${seq + 1} blocks`,
    );
  }
  // What was refused comes again later: the output drains, and the stream goes on.
  while (ep.takeOutput());
  const before = ep.inbound.cumulative;
  ep.receive(1, data(before, block), 500);
  assert.equal(ep.inbound.cumulative, before + 1);
});

Deno.test("5. a window update due while no link is up does not make nextTimeout() spin", () => {
  const max = 256 * 1024;
  const ep = endpoint(max);
  ep.addLink(1, CAPS, 0);
  for (let seq = 0; seq < 8; seq++) ep.receive(1, data(seq, new Uint8Array(60_000)), 1);
  ep.handleTimeout(10);
  transmitAll(ep, 10); // the ACK says the window is nearly shut
  ep.removeLink(1, 20);
  while (ep.takeOutput()); // the output drains: a window update is due, and no link to carry it
  const next = ep.nextTimeout();
  assert.ok(next === null || next > 20, `nextTimeout() ${next} is due at once with no link`);
  ep.addLink(2, CAPS, 30);
  assert.equal(ep.nextTimeout(), 0, "due at once as soon as a link can carry it");
});

Deno.test("6. DATA for a stream that does not exist costs its link and reaches no output", () => {
  const ep = endpoint();
  ep.addLink(1, CAPS, 0);
  ep.receive(1, data(0, new Uint8Array([1, 2, 3]), false, 7), 1);
  assert.equal(ep.takeOutput(), null);
  const ev = events(ep);
  assert.ok(ev.some((e) => e.type === "link-error" && /stream 7/.test(e.message)));
  assert.equal(ep.state, "open", "the session itself goes on");
});

Deno.test("7. a FrameReader that failed lets go of what it held", () => {
  const reader = new FrameReader({ expectOui: OUI });
  // A DATA frame whose body is all 0xff: its seq (2^64 - 1) fails once the body is complete.
  const frame = encodeFrame(data(0, new Uint8Array(100_000)));
  frame.fill(0xff, 14);
  reader.push(frame.slice(0, 60_000));
  assert.equal(reader.bufferedBytes, 60_000);
  assert.throws(() => reader.push(frame.slice(60_000)), /exceeds 2\^53/);
  assert.equal(reader.bufferedBytes, 0, "the failed reader still holds the link's bytes");
  assert.throws(() => reader.push(new Uint8Array(1)), /exceeds 2\^53/, "it stays failed");
});
