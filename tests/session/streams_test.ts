// Tests of the session's streams (core/session/endpoint.ts, stream_ids.ts, stream_header.ts) on
// the in-memory pair, on a virtual clock, in order:
// 1. the open header and the id space on their own;
// 2. many concurrent streams both ways over four unequal links, byte for byte, also with a link
//    killed mid-way;
// 3. independence: a reader that stops taking holds memory at its stream's bound and does not
//    hold up the other streams;
// 4. half-close, reset by the far side, the stream limit, a header that cannot be read;
// 5. the session ends only when its streams are over.

import assert from "node:assert/strict";
import {
  assertSameBytes,
  type LinkSpec,
  mulberry32,
  randomBytes,
  SimPair,
  simSeed,
} from "../_sim/pair.ts";
import { StreamApp } from "../_sim/stream_app.ts";
import {
  decodeStreamHeader,
  encodeStreamHeader,
  StreamHeaderError,
} from "../../core/session/stream_header.ts";
import { StreamIds } from "../../core/session/stream_ids.ts";
import { DEFAULT_VPN_OUI, type Frame, StreamCode } from "../../core/frame/mod.ts";
import { BondEndpoint, DEFAULT_ENDPOINT_OPTIONS } from "../../core/session/endpoint.ts";
import { proportionalPolicy } from "../../core/scheduler/proportional.ts";

const KiB = 1024;
const UNEQUAL4: LinkSpec[] = [
  { index: 1, mbps: 20, delayMs: 20 },
  { index: 2, mbps: 10, delayMs: 30 },
  { index: 3, mbps: 5, delayMs: 40 },
  { index: 4, mbps: 2, delayMs: 75 },
];

function bytes(n: number, salt: number): Uint8Array {
  return randomBytes(mulberry32(simSeed() ^ salt), n);
}

Deno.test("1a. the open header round-trips and rejects what it cannot read", () => {
  const h = encodeStreamHeader({ kind: "datagrams", label: "udp:127.0.0.1:9000 ✓" });
  const got = decodeStreamHeader(new Uint8Array([...h, 1, 2, 3]));
  assert.deepEqual(got?.header, { kind: "datagrams", label: "udp:127.0.0.1:9000 ✓" });
  assert.deepEqual([...got!.rest], [1, 2, 3]);
  for (let cut = 0; cut < h.length; cut++) {
    assert.equal(decodeStreamHeader(h.subarray(0, cut)), null, `a header cut at ${cut}`);
  }
  assert.throws(() => decodeStreamHeader(new Uint8Array([9, 0, 0])), StreamHeaderError);
  assert.throws(() => decodeStreamHeader(new Uint8Array([0, 0xff, 0xff])), StreamHeaderError);
  assert.throws(() => decodeStreamHeader(new Uint8Array([0, 0, 1, 0xff])), StreamHeaderError);
  assert.throws(() => encodeStreamHeader({ kind: "bytes", label: "x".repeat(1025) }), RangeError);
});

Deno.test("1b. stream ids: odd for the client, even for the server, never reused", () => {
  const client = new StreamIds("client");
  const server = new StreamIds("server");
  assert.deepEqual([client.allocate(), client.allocate()], [1, 3]);
  assert.deepEqual([server.allocate(), server.allocate()], [2, 4]);
  assert.equal(server.classifyPeer(1), "new");
  assert.equal(server.classifyPeer(2), "invalid");
  assert.equal(server.classifyPeer(0), "invalid");
  // Links reorder: 5 may show up before 3; both open, then close out of order.
  server.opened(5);
  assert.equal(server.classifyPeer(3), "new");
  server.opened(3);
  server.opened(1);
  server.closed(5);
  server.closed(1);
  assert.equal(server.classifyPeer(5), "closed");
  assert.equal(server.classifyPeer(1), "closed");
  assert.equal(server.classifyPeer(3), "open");
  server.closed(3);
  assert.equal(server.classifyPeer(3), "closed");
  assert.equal(server.classifyPeer(7), "new");
  assert.equal(server.openCount, 0);
  assert.ok(client.wasAllocated(3) && !client.wasAllocated(5) && !client.wasAllocated(2));
});

/** Ten streams each way-and-back: the client sends a request, the server a different reply. */
function tenStreams(kill?: { index: number; at: number }) {
  const replies = new Map<string, Uint8Array>();
  const requests = new Map<number, Uint8Array>();
  const server = new StreamApp((label) => {
    const reply = bytes(40 * KiB + label.length * 997, label.length * 31 + 7);
    replies.set(label, reply);
    return { reply };
  });
  const client = new StreamApp();
  for (let i = 0; i < 10; i++) {
    const req = bytes(120 * KiB + i * 3001, 100 + i);
    requests.set(i, req);
    client.open(`tcp:stream-${i}`, req);
  }
  const pair = new SimPair({
    links: UNEQUAL4,
    client: { streams: (s, now) => client.pass(s, now) },
    server: { streams: (s, now) => server.pass(s, now) },
  });
  if (kill) pair.schedule(kill.at, (p) => p.killLink(kill.index));
  pair.runToCompletion(60_000);
  assert.equal(client.conns.size, 10);
  assert.equal(server.conns.size, 10);
  for (const c of client.conns.values()) {
    const i = Number(c.label.split("-")[1]);
    const s = server.conns.get(c.id)!;
    assert.equal(s.label, c.label, "the label travels with the stream");
    assertSameBytes(server.output(c.id), requests.get(i)!, `request ${i} (seed ${pair.seed})`);
    assertSameBytes(client.output(c.id), replies.get(c.label)!, `reply ${i}`);
    assert.ok(c.closed && s.closed, `stream ${c.id} closed on both sides`);
    assert.equal(c.reset, null);
  }
  for (const side of [pair.client, pair.server]) {
    assert.equal(side.ep.state, "complete");
    assert.equal(side.ep.streamStats().length, 0, "no stream is left behind");
  }
  return pair;
}

Deno.test("2a. ten concurrent streams both ways over four unequal links, byte for byte", () => {
  const pair = tenStreams();
  // The streams shared the links: every link carried some of it.
  for (const l of pair.client.ep.linkStats()) assert.ok(l.dataBytes > 0, `link ${l.index}`);
});

Deno.test("2b. ten streams with the fastest link killed mid-way: nothing lost", () => {
  tenStreams({ index: 1, at: 150 });
});

Deno.test("3. a stream whose reader stops holds its bound and does not stall the others", () => {
  const server = new StreamApp(() => ({ reply: new Uint8Array(0) }));
  const client = new StreamApp();
  const big = bytes(3 * 1024 * KiB, 1);
  const small = Array.from({ length: 4 }, (_, i) => bytes(200 * KiB, 10 + i));
  client.open("slow", big);
  for (const [i, s] of small.entries()) client.open(`quick-${i}`, s);
  let maxHeld = 0;
  const streamBuffer = 256 * KiB;
  const pair = new SimPair({
    links: UNEQUAL4,
    endpoint: { streamBufferBytes: streamBuffer },
    client: { streams: (s, now) => client.pass(s, now) },
    server: {
      streams: (s, now) => {
        // The first stream's reader takes nothing for the first 5 s.
        const slow = server.conns.get(1);
        if (slow) slow.paused = now < 5000;
        const moved = server.pass(s, now);
        for (const st of s.ep.streamStats()) {
          if (st.id === 1) maxHeld = Math.max(maxHeld, st.heldBytes);
        }
        return moved;
      },
    },
  });
  pair.runUntil(
    () => [3, 5, 7, 9].every((id) => server.conns.get(id)?.outputDone),
    4000,
    "the quick streams to finish while the slow one is stuck",
  );
  assert.ok(pair.now < 5000);
  assert.ok(!server.conns.get(1)!.outputDone, "the slow stream is still held back");
  for (const [i, s] of small.entries()) assertSameBytes(server.output(3 + 2 * i), s, `quick-${i}`);
  pair.runToCompletion(60_000);
  assertSameBytes(server.output(1), big, "the slow stream, once its reader resumed");
  // Memory: what one stream holds stays within its window (plus one block in flight).
  assert.ok(maxHeld <= streamBuffer + 256 * KiB, `held ${maxHeld} bytes`);
  assert.ok(maxHeld > 0);
});

Deno.test("4a. half-close: the client ends its half, the server goes on and ends later", () => {
  const reply = bytes(300 * KiB, 5);
  const server = new StreamApp(() => ({ reply }));
  const client = new StreamApp();
  client.open("half", new Uint8Array(0));
  const pair = new SimPair({
    links: UNEQUAL4.slice(0, 2),
    client: { streams: (s, now) => client.pass(s, now) },
    server: { streams: (s, now) => server.pass(s, now) },
  });
  pair.runToCompletion(30_000);
  assertSameBytes(client.output(1), reply, "the reply after the request's end");
  assert.equal(server.output(1).length, 0);
});

Deno.test("4b. a stream the far side refuses is reset on both sides; the session goes on", () => {
  const server = new StreamApp((label) =>
    label === "refuse-me" ? { reset: StreamCode.REFUSED } : { reply: bytes(10 * KiB, 3) }
  );
  const client = new StreamApp();
  client.open("refuse-me", bytes(500 * KiB, 4));
  client.open("fine", bytes(50 * KiB, 6));
  const mainInput = bytes(200 * KiB, 8);
  const pair = new SimPair({
    links: UNEQUAL4,
    client: { input: mainInput, streams: (s, now) => client.pass(s, now) },
    server: { streams: (s, now) => server.pass(s, now) },
  });
  pair.runToCompletion(30_000);
  assert.deepEqual(client.conns.get(1)!.reset, { code: StreamCode.REFUSED, byPeer: true });
  assert.ok(client.conns.get(3)!.closed);
  assertSameBytes(pair.server.output(), mainInput, "stream 0");
  const resets = pair.client.eventsOf("stream-reset");
  assert.equal(resets.length, 1);
});

Deno.test("4c. the peer's streams beyond --max-streams are refused with LIMIT", () => {
  const server = new StreamApp(() => ({ reply: new Uint8Array(0) }));
  const client = new StreamApp();
  for (let i = 0; i < 3; i++) client.open(`s${i}`, bytes(20 * KiB, i));
  const pair = new SimPair({
    links: UNEQUAL4.slice(0, 1),
    endpoint: { maxStreams: 2 },
    client: { streams: (s, now) => client.pass(s, now) },
    server: { streams: (s, now) => server.pass(s, now) },
  });
  pair.runToCompletion(30_000);
  const resets = [...client.conns.values()].filter((c) => c.reset);
  assert.equal(resets.length, 1);
  assert.deepEqual(resets[0].reset, { code: StreamCode.LIMIT, byPeer: true });
  assert.equal(server.conns.size, 2);
  const refused = pair.server.eventsOf("stream-reset");
  assert.equal(refused.length, 1);
  assert.equal((refused[0].event as { byPeer: boolean }).byPeer, false);
});

Deno.test("4d. a header that cannot be read resets its stream, not the session", () => {
  const ep = new BondEndpoint({
    ...DEFAULT_ENDPOINT_OPTIONS,
    side: "server",
    oui: DEFAULT_VPN_OUI,
    policy: proportionalPolicy(),
  }, 0);
  ep.addLink(1, {
    kind: "ethernet",
    name: "l",
    localAddress: "10.0.0.2",
    cost: 1,
    priority: "primary",
  }, 0);
  const data = (streamId: number, seq: number, payload: number[]): Frame => ({
    type: "DATA",
    vpn: { oui: DEFAULT_VPN_OUI, index: 1 },
    streamId,
    seq,
    sendTs: 0,
    fin: false,
    retransmit: false,
    payload: new Uint8Array(payload),
  });
  ep.receive(1, data(1, 0, [9, 0, 0, 42]), 1); // kind 9 does not exist
  const events = [];
  for (let e = ep.pollEvent(); e; e = ep.pollEvent()) events.push(e);
  assert.deepEqual(events.map((e) => e.type), ["stream-reset"]);
  const frames = [];
  for (let t = ep.pollTransmit(2); t; t = ep.pollTransmit(2)) frames.push(t.frame);
  assert.ok(
    frames.some((f) => f.type === "STREAM_CLOSE" && f.reset && f.code === StreamCode.BAD_HEADER),
    JSON.stringify(frames.map((f) => f.type)),
  );
  // Late data of that stream: settled, never revived.
  ep.receive(1, data(1, 1, [1, 2]), 3);
  assert.equal(ep.hasStream(1), false);
  const acks = [];
  for (let t = ep.pollTransmit(4); t; t = ep.pollTransmit(4)) acks.push(t.frame);
  assert.ok(acks.some((f) => f.type === "ACK" && f.streamId === 1 && f.cumulative === 0xffffffff));
  // A stream id the client may not open costs the link.
  ep.receive(1, data(2, 0, [0, 0, 0]), 5);
  const more = [];
  for (let e = ep.pollEvent(); e; e = ep.pollEvent()) more.push(e);
  assert.ok(more.some((e) => e.type === "link-error"));
  assert.equal(ep.state, "open");
});

Deno.test("5. the session completes only once its streams are over", () => {
  const server = new StreamApp(() => ({ reply: new Uint8Array(0) }));
  const client = new StreamApp();
  const late = bytes(100 * KiB, 12);
  // The stream's reader on the server is paused for 3 s: the session must wait for it.
  client.open("late", late);
  const pair = new SimPair({
    links: UNEQUAL4.slice(0, 2),
    client: { streams: (s, now) => client.pass(s, now) },
    server: {
      streams: (s, now) => {
        const c = server.conns.get(1);
        if (c) c.paused = now < 3000;
        return server.pass(s, now);
      },
    },
  });
  pair.runToCompletion(30_000);
  // The server holds the stream's bytes until its reader takes them: it may not end before.
  assert.ok(pair.server.completedAt! >= 3000, `completed at ${pair.server.completedAt}`);
  assertSameBytes(server.output(1), late, "the late stream");
});
