/**
 * End-to-end streams with the real processes over loopback links, in order:
 * 1. TCP interception: ten concurrent connections to `send --input tcp-listen://` over four
 *    links, each relayed by `receive --output tcp://` to its own connection to a destination
 *    server; every request and every reply byte-identical (SHA-256), half-close carried;
 *    again with one link killed mid-stream (`ss -K`, root only);
 * 2. a destination that refuses: the source's connection is closed, counted and logged, and
 *    the session goes on;
 * 3. SOCKS5: curl downloads a 50 MB file from a local HTTP server through the bond with the
 *    same SHA-256; again with a link killed; a destination outside `--allow` is refused with
 *    the SOCKS reply for it, and the relay's `--metrics` count the stream and the refusal.
 * @module
 */
import assert from "node:assert/strict";
import { haveTool } from "../_helpers/bondctl.ts";
import { closedPort, exited, Lab, seededBytes, until } from "./_e2e.ts";

const MiB = 1 << 20;
const root = Deno.uid?.() === 0;
const hasSs = await haveTool("ss");
const hasCurl = await haveTool("curl");
if (!(root && hasSs)) console.log(`skip: link kills need root and ss: root=${root}, ss=${hasSs}`);
if (!hasCurl) console.log("skip: the SOCKS5 download tests need curl");

async function sha256(bytes: Uint8Array): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function readAll(conn: Deno.Conn): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let n = 0;
  const buf = new Uint8Array(64 * 1024);
  for (;;) {
    const r = await conn.read(buf);
    if (r === null) break;
    parts.push(buf.slice(0, r));
    n += r;
  }
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let off = 0; off < bytes.length;) off += await conn.write(bytes.subarray(off));
}

/**
 * A destination: reads each connection to its end (the source half-closed), then answers
 * with a reply derived from what it got, and closes. Records each request's hash.
 */
function destination() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const got: string[] = [];
  const done = (async () => {
    for await (const conn of listener) {
      (async () => {
        try {
          const req = await readAll(conn);
          const h = await sha256(req);
          got.push(h);
          await writeAll(conn, replyFor(h));
        } finally {
          conn.close();
        }
      })();
    }
  })().catch(() => {});
  return { port: (listener.addr as Deno.NetAddr).port, got, close: () => listener.close(), done };
}

function replyFor(hash: string): Uint8Array {
  return seededBytes(parseInt(hash.slice(0, 8), 16), 300 * 1024 + (parseInt(hash[8], 16) << 12));
}

/** Starts the pair for TCP interception; returns the sender's listening port. */
async function interceptPair(lab: Lab, output: string, links = 4) {
  const r = await lab.receiver(["--output", output]);
  const linkArgs = Array.from({ length: links }, (_, i) => ["--link", `127.0.0.${i + 2}`]).flat();
  const s = lab.sender(r, ["--input", "tcp-listen://127.0.0.1:0", ...linkArgs]);
  const port = Number((await s.waitFor(/intercepting TCP on 127\.0\.0\.1:(\d+)/, 30_000))[1]);
  return { r, s, port };
}

async function tenConnections(killMidway: boolean) {
  const lab = await Lab.open();
  const dest = destination();
  try {
    const { r, s, port } = await interceptPair(lab, `tcp://127.0.0.1:${dest.port}`);
    const requests = Array.from({ length: 10 }, (_, i) => seededBytes(1000 + i, 2 * MiB + i));
    let sentBytes = 0;
    const runs = requests.map(async (req, i) => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      const reading = readAll(conn);
      for (let off = 0; off < req.length; off += 256 * 1024) {
        await writeAll(conn, req.subarray(off, off + 256 * 1024));
        sentBytes += Math.min(256 * 1024, req.length - off);
      }
      await conn.closeWrite();
      const reply = await reading;
      conn.close();
      const expected = replyFor(await sha256(req));
      assert.equal(reply.length, expected.length, `reply ${i} length`);
      assert.equal(await sha256(reply), await sha256(expected), `reply ${i}`);
    });
    if (killMidway) {
      await until(() => sentBytes > 8 * MiB, "8 MiB to be sent");
      const k = await new Deno.Command("ss", {
        args: ["-K", "src", "127.0.0.3", "dport", "=", String(r.port)],
        stdout: "null",
        stderr: "null",
      }).output();
      assert.ok(k.success, "ss -K");
    }
    await Promise.all(runs);
    const wanted = await Promise.all(requests.map(sha256));
    await until(() => dest.got.length === 10, "the destination to see all ten");
    assert.deepEqual([...dest.got].sort(), [...wanted].sort(), "every request arrived intact");
    s.kill("SIGINT");
    const sent = await exited(s);
    assert.equal(sent.code, 0, sent.stderr);
    assert.match(sent.stderr, /10 streams: 10 closed, 0 reset/);
    if (killMidway) assert.match(sent.stderr, /link 2 .*closed/);
  } finally {
    dest.close();
    await lab.close();
  }
}

Deno.test("1a. ten concurrent intercepted TCP connections over four links, byte for byte", () =>
  tenConnections(false));

Deno.test({
  name: "1b. ten intercepted connections with a link killed mid-stream: nothing lost",
  ignore: !(root && hasSs),
  fn: () => tenConnections(true),
});

Deno.test("2. a destination that refuses: the source's connection closes, the session goes on", async () => {
  const lab = await Lab.open();
  const dest = destination();
  try {
    // The destination refuses every connection: each source connection is closed at once,
    // counted and logged, and the session takes the next one.
    const closed = closedPort();
    const { s, port } = await interceptPair(lab, `tcp://127.0.0.1:${closed}`, 2);
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await writeAll(conn, new TextEncoder().encode("hello"));
    const got = await readAll(conn).catch(() => new Uint8Array(0));
    conn.close();
    assert.equal(got.length, 0, "nothing comes back from a refused destination");
    await s.waitFor(/closed: .*refused/, 30_000);
    // The session goes on: another connection is taken and refused the same way.
    const again = await Deno.connect({ hostname: "127.0.0.1", port });
    assert.equal((await readAll(again).catch(() => new Uint8Array(0))).length, 0);
    again.close();
    s.kill("SIGINT");
    const sent = await exited(s);
    assert.equal(sent.code, 0, sent.stderr);
    assert.match(sent.stderr, /2 streams: 0 closed, 2 reset/);
  } finally {
    dest.close();
    await lab.close();
  }
});

/** A local HTTP server with one big file; returns its port. */
function httpServer(body: Uint8Array) {
  const ac = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen: () => {} },
    () => new Response(body as Uint8Array<ArrayBuffer>),
  );
  return { port: server.addr.port, close: () => ac.abort(), done: server.finished };
}

async function socksDownload(killMidway: boolean) {
  const lab = await Lab.open();
  const body = seededBytes(77, 50 * 1000 * 1000);
  const http = httpServer(body);
  try {
    const r = await lab.receiver([
      "--allow",
      `127.0.0.1:${http.port}`,
      "--metrics",
      "127.0.0.1:0",
    ]);
    const metricsPort =
      (await r.proc.waitFor(/metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics/))[1];
    const s = lab.sender(r, [
      "--input",
      "socks5://127.0.0.1:0",
      "--link",
      "127.0.0.2",
      "--link",
      "127.0.0.3",
      "--link",
      "127.0.0.4",
    ]);
    const port = Number((await s.waitFor(/SOCKS5 server on 127\.0\.0\.1:(\d+)/, 30_000))[1]);
    const out = lab.path("big.bin");
    const curl = new Deno.Command("curl", {
      args: [
        "-sS",
        "--socks5-hostname",
        `127.0.0.1:${port}`,
        `http://localhost:${http.port}/big.bin`,
        "-o",
        out,
      ],
      stderr: "piped",
    }).spawn();
    if (killMidway) {
      await until(
        async () => ((await Deno.stat(out).catch(() => null))?.size ?? 0) > 10 * 1000 * 1000,
        "10 MB to arrive",
      );
      await new Deno.Command("ss", {
        args: ["-K", "src", "127.0.0.3", "dport", "=", String(r.port)],
      }).output();
    }
    const c = await curl.output();
    assert.equal(c.code, 0, new TextDecoder().decode(c.stderr));
    assert.equal(await sha256(await Deno.readFile(out)), await sha256(body), "SHA-256");

    // A destination outside --allow: refused with SOCKS reply 2 (not allowed by ruleset).
    const denied = await new Deno.Command("curl", {
      args: ["-sS", "--socks5-hostname", `127.0.0.1:${port}`, `http://127.0.0.1:${closedPort()}/`],
      stderr: "piped",
      stdout: "null",
    }).output();
    assert.notEqual(denied.code, 0);
    // curl prints the SOCKS reply code: 2 is "connection not allowed by ruleset".
    assert.match(new TextDecoder().decode(denied.stderr), /SOCKS5 connection.*\(2\)|not allowed/i);
    // The relay's metrics count both streams: the download, and the refusal by --allow.
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    assert.match(metrics, /^bondctl_relay_streams_opened_total 1$/m);
    assert.match(metrics, /^bondctl_relay_streams_refused_total\{reason="not_allowed"\} 1$/m);
    assert.match(metrics, /^bondctl_relay_streams_refused_total\{reason="refused"\} 0$/m);
    s.kill("SIGINT");
    const sent = await exited(s);
    assert.equal(sent.code, 0, sent.stderr);
  } finally {
    http.close();
    await lab.close();
  }
}

Deno.test({
  name: "3a. SOCKS5: curl downloads 50 MB through the bond, byte for byte; --allow refuses",
  ignore: !hasCurl,
  fn: () => socksDownload(false),
});

Deno.test({
  name: "3b. SOCKS5 download with a link killed mid-stream",
  ignore: !hasCurl || !(root && hasSs),
  fn: () => socksDownload(true),
});
