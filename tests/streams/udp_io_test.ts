// Tests of core/streams/udp_io.ts on loopback sockets, with a stand-in for the session driver
// (the ports it is handed are read and written directly), in order:
// 1. the sender's udp-listen: one stream per source address, each datagram whole and in
//    order, replies back to the right source, an idle source's stream ended;
// 2. the relay's udp output: a socket per stream connected to the target, replies back on the
//    stream, the end of the sender's half ends the way back; other labels are not its business;
// 3. a byte stream into --output udp:// fails with a reason.

import assert from "node:assert/strict";
import dgram from "node:dgram";
import type { Logger, SessionDriver, StreamPort } from "../../core/session/driver_io.ts";
import { StreamCounters } from "../../core/streams/stream_counters.ts";
import {
  noByteStreamSink,
  startUdpIntercept,
  UdpCounters,
  udpOutput,
} from "../../core/streams/udp_io.ts";

const quiet: Logger = { info() {}, warn() {}, debug() {} };

async function socket(): Promise<dgram.Socket & { got: Uint8Array[] }> {
  const s = dgram.createSocket("udp4") as dgram.Socket & { got: Uint8Array[] };
  s.got = [];
  s.on("message", (m: Uint8Array) => s.got.push(Uint8Array.from(m)));
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", () => r()));
  return s;
}

function send(s: dgram.Socket, bytes: Uint8Array, port: number): Promise<void> {
  return new Promise((r) => s.send(bytes, port, "127.0.0.1", () => r()));
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(check(), `timed out waiting for ${what}`);
}

/** The part of a driver the UDP input uses; records the streams it opens. */
function fakeDriver() {
  const opened: { id: number; kind: string; label: string; port: StreamPort }[] = [];
  let live = {};
  const driver = {
    endpoint: { setDatagramOptions: (o: object) => (live = o) },
    openStream(kind: string, label: string, port: StreamPort) {
      const id = 1 + 2 * opened.length;
      opened.push({ id, kind, label, port });
      return id;
    },
  };
  return { opened, live: () => live, driver: () => driver as unknown as SessionDriver };
}

Deno.test("1. udp-listen: a stream per source, datagrams whole, replies to their source", async () => {
  const d = fakeDriver();
  const udp = new UdpCounters();
  const counters = new StreamCounters();
  const l = await startUdpIntercept(
    { host: "127.0.0.1", port: 0, family: 4 },
    d.driver,
    quiet,
    counters,
    udp,
    { live: { deadlineMs: 800 }, idleMs: 300 },
  );
  const a = await socket();
  const b = await socket();
  try {
    const sizes = [1, 1316, 0, 65_507, 7];
    for (const [i, n] of sizes.entries()) {
      await send(a, new Uint8Array(n).fill(i + 1), l.addr.port);
    }
    await send(b, new Uint8Array([42]), l.addr.port);
    await until(() => d.opened.length === 2, "two streams");
    assert.deepEqual(d.live(), { deadlineMs: 800 }, "the live options go with each stream");
    assert.deepEqual(d.opened.map((o) => [o.kind, o.label]), [["datagrams", "udp"], [
      "datagrams",
      "udp",
    ]]);
    const fromA: Uint8Array[] = [];
    for (let i = 0; i < sizes.length; i++) fromA.push((await d.opened[0].port.source.read())!);
    assert.deepEqual(fromA.map((x) => x.length), sizes, "each datagram whole, in order");
    assert.deepEqual(fromA.map((x) => x[0]), [1, 2, undefined, 4, 5]);
    assert.deepEqual(await d.opened[1].port.source.read(), new Uint8Array([42]));
    // Replies go to the source that opened each stream.
    await d.opened[0].port.sink.write(new Uint8Array([7, 7]));
    await d.opened[1].port.sink.write(new Uint8Array([8]));
    await until(() => a.got.length === 1 && b.got.length === 1, "the replies");
    assert.deepEqual(a.got[0], new Uint8Array([7, 7]));
    assert.deepEqual(b.got[0], new Uint8Array([8]));
    assert.equal(l.flows, 2);
    // Silent for the idle time: the stream's input ends; a new datagram opens a new stream.
    assert.equal(await d.opened[0].port.source.read(), null);
    await until(() => l.flows === 0, "both flows to end");
    await send(a, new Uint8Array([9]), l.addr.port);
    await until(() => d.opened.length === 3, "a new stream for the same source");
    assert.equal(udp.datagramsIn, 7);
    assert.equal(udp.datagramsOut, 2);
    assert.equal(counters.openedTotal, 3);
  } finally {
    l.close();
    a.close();
    b.close();
  }
});

Deno.test("2. udp output: a socket per stream to the target, replies back, ends together", async () => {
  const target = await socket();
  const udp = new UdpCounters();
  const extra = udpOutput({ host: "127.0.0.1", port: target.address().port }, quiet, udp);
  assert.equal(extra(3, "tcp"), null, "not a udp stream: someone else's");
  const p1 = await extra(3, "udp")!;
  const p2 = await extra(5, "udp")!;
  assert.ok(!("refuse" in p1) && !("refuse" in p2));
  const s1 = p1 as StreamPort;
  const s2 = p2 as StreamPort;
  try {
    await s1.sink.write(new Uint8Array([1, 2, 3]));
    await s2.sink.write(new Uint8Array(0));
    await until(() => target.got.length === 2, "both datagrams at the target");
    // The target answers each stream's socket: the answer comes out of that stream only.
    const from: { port: number }[] = [];
    target.removeAllListeners("message");
    target.on("message", (_m: Uint8Array, r: dgram.RemoteInfo) => from.push(r));
    await s1.sink.write(new Uint8Array([4]));
    await until(() => from.length === 1, "the stream's socket to be seen");
    await send(target, new Uint8Array([9, 9]), from[0].port);
    assert.deepEqual(await s1.source.read(), new Uint8Array([9, 9]));
    // The sender's half ended: so does the way back.
    await s1.sink.close();
    assert.equal(await s1.source.read(), null);
    assert.equal(udp.datagramsOut, 3);
  } finally {
    s1.closed?.();
    s2.reset(0, "", false);
    target.close();
  }
});

Deno.test("3. a byte stream into --output udp:// fails with a reason", async () => {
  const sink = noByteStreamSink("udp://127.0.0.1:9000");
  await assert.rejects(sink.write(new Uint8Array([1])), /carries datagram streams/);
  await sink.close();
});
