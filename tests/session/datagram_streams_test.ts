// Tests of datagram streams in the session (core/session/endpoint.ts with outbound.ts,
// inbound.ts and live_order.ts) on the in-memory pair, on a virtual clock, in order:
// 1. a reliable datagram stream keeps every boundary (empty and 65,507-octet datagrams too)
//    and delivers each once, in order, also with a link killed; replies come back as datagrams;
// 2. a live stream (120 ms) with a link that goes silent keeps flowing: no pause much longer
//    than the deadline, drops counted the same on both sides;
// 3. FEC rebuilds what the silent link held, without waiting for a re-send;
// 4. SKIP: datagrams lost just before the source pauses are given up at the sender's word,
//    so the next datagram is not held for the receiver's deadline;
// 5. a peer that mixes datagram and byte blocks, or sends SKIP on a byte stream, is refused;
// 6. seeded runs with random links, deadlines, FEC, policies and link faults hold the
//    invariants: in order, whole, once, and every datagram delivered or counted.

import assert from "node:assert/strict";
import { type LinkSpec, mulberry32, SimPair, simSeed } from "../_sim/pair.ts";
import { datagram, LiveApp, type LiveFlow, longestSilence } from "../_sim/live_app.ts";
import { BondEndpoint, DEFAULT_ENDPOINT_OPTIONS } from "../../core/session/endpoint.ts";
import { DEFAULT_VPN_OUI, type Frame } from "../../core/frame/mod.ts";
import { proportionalPolicy } from "../../core/scheduler/proportional.ts";
import { createPolicy } from "../../core/scheduler/registry.ts";

const LINKS4: LinkSpec[] = [
  { index: 1, mbps: 10, delayMs: 20 },
  { index: 2, mbps: 10, delayMs: 30 },
  { index: 3, mbps: 8, delayMs: 40 },
  { index: 4, mbps: 6, delayMs: 50 },
];

function assertInOrder(f: LiveFlow, what: string): void {
  for (let i = 1; i < f.got.length; i++) {
    assert.ok(f.got[i] > f.got[i - 1], `${what}: ${f.got[i]} after ${f.got[i - 1]}`);
  }
}

function livePair(app: LiveApp, links = LINKS4, policy = "earliest") {
  const pair = new SimPair({
    links,
    endpoint: { policy: createPolicy(policy) },
    client: { streams: (s, now) => app.client(s, now) },
    server: { streams: (s, now) => app.server(s, now) },
  });
  app.attach(pair);
  return pair;
}

Deno.test("1a. a reliable datagram stream keeps every boundary and every datagram", () => {
  const sizes = [6, 65_507, 7, 1316, 0, 200];
  const app = new LiveApp([{
    label: "udp",
    live: {},
    rate: 2000,
    size: (i) => Math.max(6, sizes[i % sizes.length]),
    count: 600,
  }]);
  app.replySize = 40;
  const pair = livePair(app);
  pair.schedule(150, (p) => p.killLink(1));
  pair.runToCompletion(60_000);
  const f = [...app.received.values()][0];
  assert.equal(f.label, "udp");
  assert.deepEqual(f.got, Array.from({ length: 600 }, (_, i) => i), "each once, in order");
  const replies = app.replies.get(f.id)!;
  assert.deepEqual(replies.got, f.got, "a reply for each, as datagrams");
  assert.ok(f.closed && replies.closed);
  const live = pair.server.ep.liveTotals();
  assert.equal(live.received.delivered, 600);
  assert.equal(live.received.skipped, 0);
});

Deno.test("1b. an empty datagram is delivered as an empty chunk", () => {
  const ep = new BondEndpoint({
    ...DEFAULT_ENDPOINT_OPTIONS,
    side: "server",
    oui: DEFAULT_VPN_OUI,
    policy: proportionalPolicy(),
  }, 0);
  ep.addLink(1, { kind: "ethernet", name: "l", localAddress: "", cost: 1, priority: "primary" }, 0);
  const client = new BondEndpoint({
    ...DEFAULT_ENDPOINT_OPTIONS,
    oui: DEFAULT_VPN_OUI,
    policy: proportionalPolicy(),
  }, 0);
  client.addLink(
    1,
    { kind: "ethernet", name: "l", localAddress: "", cost: 1, priority: "primary" },
    0,
  );
  const id = client.openStream("datagrams", "udp");
  client.streamPush(id, new Uint8Array(0), 0);
  client.streamPush(id, new Uint8Array([9]), 0);
  for (let t = client.pollTransmit(1); t; t = client.pollTransmit(1)) ep.receive(1, t.frame, 2);
  const events = [];
  for (let e = ep.pollEvent(); e; e = ep.pollEvent()) events.push(e);
  assert.deepEqual(events.map((e) => e.type), ["stream-opened"]);
  assert.deepEqual(ep.takeStreamOutput(id), new Uint8Array(0));
  assert.deepEqual(ep.takeStreamOutput(id), new Uint8Array([9]));
  assert.equal(ep.takeStreamOutput(id), null);
});

/** A live stream through four links, link 1 silent from 2 s on (it never closes). */
function stalled(
  live: { deadlineMs: number; fec?: { k: number; m: number } },
  policy = "earliest",
) {
  const app = new LiveApp([{
    label: "udp",
    live,
    rate: 400, // 1316-octet datagrams: 4.2 Mbit/s over 34 Mbit/s of links
    size: () => 1316,
    count: 2400,
  }]);
  const pair = livePair(app, LINKS4, policy);
  pair.schedule(2000, (p) => p.stallLink(1));
  pair.runToCompletion(60_000);
  const f = [...app.received.values()][0];
  return { app, pair, f };
}

Deno.test("2. a live stream keeps flowing when a link goes silent; drops are counted", () => {
  const { pair, f } = stalled({ deadlineMs: 120 });
  assertInOrder(f, "live output");
  const total = 2400;
  const sent = pair.client.ep.liveTotals().sent;
  const got = pair.server.ep.liveTotals().received;
  const dropped = total - f.got.length;
  assert.equal(got.delivered, f.got.length);
  // What the receiver gave up is exactly what did not arrive (the sender's queue drops
  // never got a seq, so the receiver never saw them).
  assert.equal(got.skipped + sent.expired + sent.overflow, dropped);
  assert.ok(got.skipped > 0, "the silent link cost some datagrams");
  assert.ok(dropped < total * 0.1, `${dropped} of ${total} dropped`);
  // The stream never waited much longer than its deadline for the dead link.
  assert.ok(longestSilence(f) < 120 + 100, `a pause of ${longestSilence(f)} ms`);
  console.log(
    `live 120 ms, link 1 silent at 2 s: ${f.got.length}/${total} delivered, ${got.skipped} ` +
      `skipped by the receiver, ${sent.abandoned} given up by the sender, longest pause ` +
      `${longestSilence(f).toFixed(0)} ms`,
  );
});

Deno.test("3. FEC 4+2 rebuilds what the silent link held, without a re-send", () => {
  const plain = stalled({ deadlineMs: 120 });
  const fec = stalled({ deadlineMs: 120, fec: { k: 4, m: 2 } });
  assertInOrder(fec.f, "FEC output");
  const rx = fec.pair.server.ep.liveTotals().received;
  const tx = fec.pair.client.ep.liveTotals().sent;
  assert.ok(rx.rebuilt > 0, "some datagrams were rebuilt");
  assert.ok(
    fec.f.got.length > plain.f.got.length,
    `FEC delivered ${fec.f.got.length}, without ${plain.f.got.length}`,
  );
  assert.equal(tx.parityBlocks, Math.ceil(2400 / 4) * 2, "2 parity blocks per 4 datagrams");
  assert.ok(rx.parity > 0);
  console.log(
    `FEC 4+2: ${fec.f.got.length}/2400 delivered (${rx.rebuilt} rebuilt, ${rx.skipped} ` +
      `skipped); without FEC ${plain.f.got.length}/2400`,
  );
});

Deno.test("4. SKIP: what the sender gave up does not hold up the next datagram", () => {
  // Two endpoints and one link, frames carried by hand: datagrams 8 and 9 (seqs 9 and 10)
  // are lost, the source then pauses. Nothing after them reveals the gap to the receiver;
  // only the sender's SKIP, once their deadline passed, lets datagram 10 out as it arrives.
  const caps = {
    kind: "ethernet" as const,
    name: "l",
    localAddress: "",
    cost: 1,
    priority: "primary" as const,
  };
  const opts = { ...DEFAULT_ENDPOINT_OPTIONS, oui: DEFAULT_VPN_OUI, policy: proportionalPolicy() };
  const client = new BondEndpoint({ ...opts, side: "client" }, 0);
  const server = new BondEndpoint({ ...opts, side: "server" }, 0);
  client.addLink(1, caps, 0);
  server.addLink(1, caps, 0);
  const carry = (
    from: BondEndpoint,
    to: BondEndpoint,
    now: number,
    drop = (_f: Frame) => false,
  ) => {
    const sent: Frame[] = [];
    for (let t = from.pollTransmit(now); t; t = from.pollTransmit(now)) {
      sent.push(t.frame);
      if (!drop(t.frame)) to.receive(1, t.frame, now + 5);
    }
    return sent;
  };
  const id = client.openStream("datagrams", "udp", { deadlineMs: 200 });
  for (let i = 0; i < 10; i++) client.streamPush(id, datagram(id, i, 100), 0);
  carry(client, server, 0, (f) => f.type === "DATA" && (f.seq === 9 || f.seq === 10));
  const out = () => {
    const got: number[] = [];
    for (let c = server.takeStreamOutput(id); c; c = server.takeStreamOutput(id)) {
      got.push(new DataView(c.buffer, c.byteOffset).getUint32(0));
    }
    return got;
  };
  assert.deepEqual(out(), [0, 1, 2, 3, 4, 5, 6, 7]);
  carry(server, client, 10); // ACKs: everything but seqs 9 and 10
  server.handleTimeout(20);
  carry(server, client, 20);
  // 200 ms after their push, 8 and 9 are past their deadline: the sender gives them up.
  const due = client.nextTimeout();
  assert.ok(due !== null && due <= 200, `the sender wakes at ${due}`);
  client.handleTimeout(200);
  const skips = carry(client, server, 200).filter((f) => f.type === "SKIP");
  assert.deepEqual(skips.map((f) => f.type === "SKIP" && f.seq), [11]);
  // The source resumes: datagram 10 comes out at once, not a deadline later.
  client.streamPush(id, datagram(id, 10, 100), 210);
  carry(client, server, 210);
  assert.deepEqual(out(), [10]);
  const rx = server.liveTotals().received;
  assert.equal(rx.skipped, 2);
  assert.equal(rx.delivered, 9);
  // The receiver's ACK moved past the gap: the sender stops repeating its SKIP.
  carry(server, client, 230);
  server.handleTimeout(240);
  carry(server, client, 240);
  client.handleTimeout(600);
  assert.equal(carry(client, server, 600).filter((f) => f.type === "SKIP").length, 0);
});

Deno.test("5. a peer that mixes datagram and byte blocks, or SKIPs a byte stream, is refused", () => {
  const ep = new BondEndpoint({
    ...DEFAULT_ENDPOINT_OPTIONS,
    side: "server",
    oui: DEFAULT_VPN_OUI,
    policy: proportionalPolicy(),
  }, 0);
  ep.addLink(1, { kind: "ethernet", name: "l", localAddress: "", cost: 1, priority: "primary" }, 0);
  const vpn = { oui: DEFAULT_VPN_OUI, index: 1 };
  const data = (streamId: number, seq: number, payload: Uint8Array, dg: boolean): Frame => ({
    type: "DATA",
    vpn,
    streamId,
    seq,
    sendTs: 0,
    fin: false,
    retransmit: false,
    ...(dg ? { datagram: true } : {}),
    payload,
  });
  // A byte stream (stream 1) that the peer then SKIPs: the link pays.
  ep.receive(1, data(1, 0, new Uint8Array([0, 0, 1, 120]), false), 1);
  ep.receive(1, { type: "SKIP", vpn, streamId: 1, seq: 5 }, 2);
  const events = [];
  for (let e = ep.pollEvent(); e; e = ep.pollEvent()) events.push(e);
  assert.deepEqual(events.map((e) => e.type), ["stream-opened", "link-error"]);
  // A header that says bytes in a block flagged as a datagram: that stream is reset.
  ep.receive(1, data(3, 0, new Uint8Array([0, 0, 0]), true), 3);
  const ev3 = ep.pollEvent();
  assert.equal(ev3?.type, "stream-reset");
  // A datagram block in stream 0 breaks the protocol: the session ends.
  ep.receive(1, data(0, 0, datagram(0, 0, 10), true), 4);
  assert.equal(ep.state, "failed");
});

Deno.test("6. seeded: live streams under random link faults keep their invariants", () => {
  // Random links, deadline, FEC, policy and faults (kill, stall, revive); checked: the session
  // completes, each side's datagrams come out in order, whole, each once, and every datagram
  // is either delivered or counted as dropped by one side.
  const seed = simSeed();
  const rand = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  for (let run = 0; run < 12; run++) {
    const n = 1 + Math.floor(rand() * 4);
    const links: LinkSpec[] = Array.from({ length: n }, (_, i) => ({
      index: i + 1,
      mbps: pick([2, 5, 10, 20]),
      delayMs: pick([5, 20, 40, 80]),
    }));
    const deadlineMs = pick([60, 150, 400, 1000]);
    const fec = rand() < 0.5 ? { k: pick([2, 4, 8]), m: pick([1, 2, 3]) } : undefined;
    const count = 300 + Math.floor(rand() * 500);
    const app = new LiveApp([{
      label: "udp",
      live: { deadlineMs, fec },
      rate: pick([100, 300, 600]),
      size: () => 6 + Math.floor(rand() * 1400),
      count,
    }]);
    app.replySize = rand() < 0.3 ? 30 : 0;
    const what = `seed ${seed} run ${run}: ${n} links, ${deadlineMs} ms, FEC ${
      fec ? `${fec.k}+${fec.m}` : "none"
    }`;
    const pair = livePair(app, links, pick(["earliest", "proportional", "redundant", "fewest"]));
    for (let f = 0, faults = Math.floor(rand() * 4); f < faults; f++) {
      const index = 1 + Math.floor(rand() * n);
      const at = rand() * 1500;
      const kind = Math.floor(rand() * 3);
      pair.schedule(at, (p) => {
        if (!p.links.has(index)) return;
        if (kind === 0) p.killLink(index);
        else if (kind === 1) p.stallLink(index);
        else p.reviveLink(index);
      });
    }
    // Every link is back (a fresh connection) by 2.5 s, so that the session can finish.
    pair.schedule(2500, (p) => {
      for (const spec of links) {
        const l = p.links.get(spec.index);
        if (!l || l.up.stalled) p.addLink(spec);
      }
    });
    pair.runToCompletion(120_000);
    const f = [...app.received.values()][0];
    assert.ok(f, what);
    assertInOrder(f, what);
    const rx = pair.server.ep.liveTotals().received;
    const tx = pair.client.ep.liveTotals().sent;
    assert.equal(rx.delivered, f.got.length, what);
    assert.equal(
      f.got.length + rx.skipped + tx.expired + tx.overflow,
      count,
      `${what}: every datagram delivered or counted`,
    );
    const replies = app.replies.get(f.id)!;
    assertInOrder(replies, `${what}: replies`);
  }
});
