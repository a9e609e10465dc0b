/**
 * The emulator on real loopback sockets: bytes arrive intact and in order, not before the
 * link's delay; a closed cut resets the connection and refuses new ones until restored; a
 * silent cut holds bytes without closing and delivers them after restore; setRate and close.
 * Asserts lower bounds that the model guarantees, never speed.
 * @module
 */
import assert from "node:assert/strict";
import net from "node:net";
import { startEmulator } from "../../core/emulator/relay_io.ts";

/** A server that collects what each connection sends; echoes nothing. */
async function sinkServer() {
  const received: { bytes: number; firstAt: number; ended: boolean; data: Uint8Array[] }[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    const r = { bytes: 0, firstAt: 0, ended: false, data: [] as Uint8Array[] };
    received.push(r);
    s.on("data", (d: Uint8Array) => {
      if (r.bytes === 0) r.firstAt = performance.now();
      r.bytes += d.length;
      r.data.push(d);
    });
    s.on("end", () => {
      r.ended = true;
      s.end();
    });
    s.on("error", () => {});
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    received,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

function dial(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: "127.0.0.1", port }, () => resolve(s));
    s.once("error", reject);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) throw new Error(`timed out after ${ms} ms: ${what}`);
    await sleep(10);
  }
}

Deno.test("startEmulator() relays bytes intact, in order, after the link's delay", async () => {
  const sink = await sinkServer();
  const emu = await startEmulator({
    links: ["50mbit/40ms", "10mbit/10ms,jitter=5ms"],
    target: `127.0.0.1:${sink.port}`,
  });
  try {
    assert.equal(emu.ports.length, 2);
    const payload = new Uint8Array(300_000).map((_, i) => (i * 7) & 0xff);
    const t0 = performance.now();
    const c = await dial(emu.ports[0]);
    c.write(payload);
    c.end();
    await until(() => sink.received[0]?.ended === true, 10_000, "the end of stream");
    const r = sink.received[0];
    assert.ok(r.firstAt - t0 >= 39, `the first byte came after ${r.firstAt - t0} ms (< 40 ms)`);
    const got = new Uint8Array(r.bytes);
    let o = 0;
    for (const d of r.data) {
      got.set(d, o);
      o += d.length;
    }
    assert.deepEqual(got, payload);
    assert.equal(emu.stats(1).upBytes, payload.length);
    assert.equal(emu.stats(1).connections, 1);
    c.destroy();
  } finally {
    await emu.close();
    await sink.close();
  }
});

Deno.test("a closed cut resets the link's connections and refuses new ones until restored", async () => {
  const sink = await sinkServer();
  const emu = await startEmulator({ links: ["10mbit/5ms"], target: `127.0.0.1:${sink.port}` });
  try {
    const c = await dial(emu.ports[0]);
    const closed = new Promise<string>((r) => {
      c.on("error", (e) => r((e as NodeJS.ErrnoException).code ?? e.message));
      c.on("close", () => r("close"));
    });
    c.write(new Uint8Array(1000));
    await until(() => (sink.received[0]?.bytes ?? 0) === 1000, 5000, "the first bytes");
    emu.cut(1, "closed");
    assert.equal(emu.stats(1).state, "closed");
    assert.match(await closed, /ECONNRESET|close/);
    // A new connection is reset at once (during or right after the handshake).
    const ended = await new Promise<string>((r) => {
      const again = net.connect({ host: "127.0.0.1", port: emu.ports[0] });
      again.on("error", (e) => r((e as NodeJS.ErrnoException).code ?? "error"));
      again.on("close", () => r("close"));
    });
    assert.match(ended, /ECONNRESET|close/);
    emu.restore(1);
    const ok = await dial(emu.ports[0]);
    ok.write(new Uint8Array(500));
    await until(() => sink.received.some((r) => r.bytes === 500), 5000, "bytes after restore");
    ok.destroy();
  } finally {
    await emu.close();
    await sink.close();
  }
});

Deno.test("a silent cut holds bytes without closing; restore delivers them", async () => {
  const sink = await sinkServer();
  const emu = await startEmulator({ links: ["10mbit/5ms"], target: `127.0.0.1:${sink.port}` });
  try {
    const c = await dial(emu.ports[0]);
    let closed = false;
    c.on("close", () => (closed = true));
    c.on("error", () => {});
    c.write(new Uint8Array(100));
    await until(() => (sink.received[0]?.bytes ?? 0) === 100, 5000, "the first bytes");
    emu.cut(1, "silent");
    c.write(new Uint8Array(2000));
    await sleep(300);
    assert.equal(sink.received[0].bytes, 100, "nothing passes a silent link");
    assert.equal(closed, false, "a silent link closes nothing");
    emu.restore(1);
    await until(() => sink.received[0].bytes === 2100, 5000, "the held bytes");
    emu.setRate(1, 1e6);
    c.write(new Uint8Array(1000));
    await until(() => sink.received[0].bytes === 3100, 5000, "bytes after setRate");
    assert.throws(() => emu.cut(2), /no link 2/);
    c.destroy();
  } finally {
    await emu.close();
    await sink.close();
  }
});
