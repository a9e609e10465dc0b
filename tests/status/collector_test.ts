/**
 * SessionMeter on a fake endpoint and a virtual clock: rates over the last second, shares,
 * the re-send share over ten seconds, backlog detection, and every snapshot valid against
 * the schema. Also the real thing: a BondEndpoint pair on the simulated links of tests/_sim,
 * its policy tapped for re-sends.
 */
import assert from "node:assert/strict";
import {
  type EndpointView,
  type LinkFigures,
  SessionMeter,
  type SessionSource,
  statusSnapshot,
} from "../../core/status/collector.ts";
import { type SessionSnapshot, StatusSnapshotSchema } from "../../core/status/snapshot.ts";
import { tapPolicy } from "../../core/status/policy_tap.ts";
import { proportionalPolicy } from "../../core/scheduler/proportional.ts";
import { settingsOf } from "../../cli/status_sources.ts";
import { SimPair } from "../_sim/pair.ts";

class FakeEndpoint implements EndpointView {
  state: "open" | "complete" | "failed" = "open";
  links: LinkFigures[] = [];
  outbound = { bytesIn: 0, bytesAcked: 0, bytesResent: 0, queuedBytes: 0 };
  inbound = { bytesOut: 0, heldBytes: 0 };
  bufferMs = 800;
  peerBufferMs = 1200;
  /** Room the paced input offers; large: the input is the limit unless a test says otherwise. */
  room = 4 << 20;
  inputRoom() {
    return this.room;
  }
  linkStats() {
    return this.links.map((l) => ({ ...l }));
  }
  addLink(index: number, name: string): LinkFigures {
    const l: LinkFigures = {
      index,
      name,
      state: "up",
      dataBytes: 0,
      rxBytes: 0,
      rateBps: 0,
      srttMs: 0,
      inFlightBytes: 0,
    };
    this.links.push(l);
    return l;
  }
}

function source(ep: FakeEndpoint, lost: Record<number, number> = {}): SessionSource {
  return {
    id: "ab".repeat(16),
    client: null,
    startedAt: 0,
    endpoint: ep,
    settings: (i) => (i === 2 ? { cost: 2, priority: "primary" } : { cost: 1 }),
    resentBytes: (i) => lost[i] ?? 0,
  };
}

Deno.test("SessionMeter: rates over the last second and each link's share", () => {
  const ep = new FakeEndpoint();
  const a = ep.addLink(1, "ppp0");
  const b = ep.addLink(2, "ppp1");
  const meter = new SessionMeter("send", source(ep));
  // Every 250 ms: link 1 sends 30 kB, link 2 10 kB (960 and 320 kbit/s).
  let snap: SessionSnapshot | undefined;
  for (let t = 0; t <= 3000; t += 250) {
    snap = meter.sample(t);
    assert.doesNotThrow(() => StatusSnapshotSchema.shape.sessions.element.parse(snap), `t=${t}`);
    a.dataBytes += 30_000;
    b.dataBytes += 10_000;
    ep.outbound.bytesIn += 40_000;
  }
  const s = snap!;
  assert.equal(s.links[0].sentBps, 960_000);
  assert.equal(s.links[1].sentBps, 320_000);
  assert.equal(s.links[0].share, 0.75);
  assert.equal(s.links[1].share, 0.25);
  assert.equal(s.totals.sentBps, 1_280_000);
  assert.equal(s.links[0].rttMs, null, "no RTT sample yet: null, not 0");
  assert.equal(s.links[1].cost, 2);
  // costUnits: MB sent x cost
  assert.ok(Math.abs(s.totals.costUnits - (0.36 * 1 + 0.12 * 2)) < 1e-9, `${s.totals.costUnits}`);
  assert.equal(s.buffer.periodMs, 1200, "send shows the receiver's period");
  assert.equal(s.buffer.heldBytes, null);
  assert.ok(s.bitrate);
});

Deno.test("SessionMeter: re-send share over 10 s, and a backlog makes the links the limit", () => {
  const ep = new FakeEndpoint();
  const a = ep.addLink(1, "ppp0");
  a.rateBps = 10e6;
  a.srttMs = 40;
  const meter = new SessionMeter("send", source(ep, { 1: 5000 }));
  let snap: SessionSnapshot | undefined;
  for (let t = 0; t <= 20_000; t += 250) {
    snap = meter.sample(t);
    a.dataBytes += 100_000;
    // re-sends only during the last 5 s: 10 kB of every 100 kB
    if (t >= 15_000) ep.outbound.bytesResent += 10_000;
    ep.outbound.bytesIn += 100_000;
    ep.outbound.queuedBytes = t >= 18_000 ? 1 << 20 : 0;
  }
  const b = snap!.bitrate!;
  // 10 s window: 40 samples of 100 kB; re-sends in the 20 intervals since 15 s (the last
  // increment after the final sample is not seen).
  assert.ok(Math.abs(b.resendShare - 0.05) < 0.003, `resendShare ${b.resendShare}`);
  assert.equal(b.limitedBy, "links", "a backlog held for a whole second");
  assert.equal(b.recommendedBps, Math.round(10e6 * (1 - b.resendShare) * 0.8));
  assert.equal(snap!.links[0].resentBytes, 5000);
});

Deno.test("SessionMeter: a short burst of queued input is not a backlog", () => {
  const ep = new FakeEndpoint();
  const a = ep.addLink(1, "ppp0");
  a.rateBps = 10e6;
  a.srttMs = 40;
  const meter = new SessionMeter("send", source(ep));
  let snap: SessionSnapshot | undefined;
  for (let t = 0; t <= 5000; t += 250) {
    ep.outbound.queuedBytes = t === 5000 ? 1 << 20 : 0;
    snap = meter.sample(t);
  }
  assert.equal(snap!.bitrate!.limitedBy, "input");
});

Deno.test("SessionMeter on receive: bytes received per link, the buffer held, no bitrate", () => {
  const ep = new FakeEndpoint();
  const a = ep.addLink(1, "127.0.0.2");
  const meter = new SessionMeter("receive", source(ep));
  let snap: SessionSnapshot | undefined;
  for (let t = 0; t <= 2000; t += 500) {
    snap = meter.sample(t);
    a.rxBytes += 50_000;
    ep.inbound.bytesOut += 50_000;
    ep.inbound.heldBytes = 100_000;
  }
  const s = snap!;
  assert.equal(s.links[0].receivedBps, 800_000);
  assert.equal(s.links[0].share, 1);
  assert.equal(s.totals.outputBps, 800_000);
  assert.equal(s.buffer.periodMs, 800, "receive shows its own period");
  assert.equal(s.buffer.heldBytes, 100_000);
  assert.equal(s.buffer.heldMs, 1000, "100 kB at 800 kbit/s");
  assert.equal(s.bitrate, null);
});

Deno.test("SessionMeter starts afresh when the session is replaced (send --restart)", () => {
  const ep = new FakeEndpoint();
  const a = ep.addLink(1, "ppp0");
  const src = source(ep);
  const meter = new SessionMeter("send", src);
  for (let t = 0; t <= 2000; t += 250) {
    a.dataBytes += 10_000;
    meter.sample(t);
  }
  // A new session: new id, counters from 0. No negative rate, no rate from the old counters.
  src.id = "cd".repeat(16);
  a.dataBytes = 0;
  const s = meter.sample(2250);
  assert.equal(s.id, "cd".repeat(16));
  assert.equal(s.links[0].sentBps, 0);
});

Deno.test("statusSnapshot() validates against the schema, with and without sessions", () => {
  const empty = statusSnapshot("receive", [], 1500, "2025-01-01T00:00:00.000Z", 500);
  assert.doesNotThrow(() => StatusSnapshotSchema.parse(empty));
  assert.equal(empty.uptimeMs, 1000);
  assert.equal(empty.time, "2025-01-01T00:00:00.000Z");
  const ep = new FakeEndpoint();
  ep.addLink(1, "ppp0");
  const one = statusSnapshot(
    "send",
    [new SessionMeter("send", source(ep))],
    10,
    "1970-01-01T00:00:00.000Z",
    0,
  );
  assert.doesNotThrow(() => StatusSnapshotSchema.parse(one));
  // The schema is strict: a stray field is an error, so the docs cannot miss one.
  assert.throws(() => StatusSnapshotSchema.parse({ ...one, extra: 1 }));
});

Deno.test("SessionMeter on a real BondEndpoint pair: shares follow rates, a dead link's re-sends", () => {
  const tap = tapPolicy(proportionalPolicy());
  const pair = new SimPair({
    seed: 7,
    links: [
      { index: 1, mbps: 20, delayMs: 20 },
      { index: 2, mbps: 10, delayMs: 30 },
      { index: 3, mbps: 5, delayMs: 40 },
    ],
    endpoint: { policy: tap.policy },
    client: { input: new Uint8Array(24 << 20) },
  });
  const meter = new SessionMeter("send", {
    id: "01".repeat(16),
    client: null,
    startedAt: 0,
    endpoint: pair.client.ep,
    settings: (i) => settingsOf(tap.caps(i)),
    resentBytes: (i) => tap.resentBytes(i),
  });
  const snaps: SessionSnapshot[] = [];
  let next = 0;
  pair.schedule(2000, (p) => p.killLink(2));
  pair.runUntil(
    (p) => {
      while (p.now >= next) {
        snaps.push(meter.sample(next));
        next += 250;
      }
      return p.now >= 3500;
    },
    10_000,
    "3.5 s of the session",
  );
  for (const s of snaps) StatusSnapshotSchema.shape.sessions.element.parse(s);
  // Before the kill: every link carries traffic, the fastest the most.
  const before = snaps.find((s) => s.ageMs === 1750)!;
  const [l1, l2, l3] = before.links;
  assert.ok(l1.sentBps > l2.sentBps && l2.sentBps > l3.sentBps, JSON.stringify(before.links));
  assert.ok(
    before.totals.sentBps > 25e6 && before.totals.sentBps < 40e6,
    `${before.totals.sentBps}`,
  );
  assert.equal(l1.cost, 1);
  assert.equal(before.bitrate!.limitedBy, "links", "24 MiB waiting: the links are the limit");
  // After: link 2 is down, what it held was given up and counted; it no longer counts.
  const after = snaps.at(-1)!;
  assert.equal(after.links[1].state, "down");
  assert.ok((after.links[1].resentBytes ?? 0) > 0, "link 2's blocks were sent again");
  assert.equal(after.links[0].resentBytes, 0);
  assert.ok(after.totals.resentBytes > 0);
  const b = after.bitrate!;
  assert.deepEqual(b.links, [1, 3]);
  assert.ok(b.capacityBps > 0.7 * 25e6 && b.capacityBps < 1.3 * 25e6, `capacity ${b.capacityBps}`);
  assert.ok(b.recommendedBps <= 0.8 * b.capacityBps + 1);
});
