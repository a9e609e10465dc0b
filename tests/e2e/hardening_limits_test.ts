/**
 * The relay's limits with real processes: each newcomer over a limit is refused with a reason
 * that names the limit (on the sender's one error line and in the receiver's log) while the
 * sessions already running go on to byte-identical outputs; and pre-authentication
 * protection: connections that connect and then say nothing (TCP only, or TLS and no HELLO)
 * are dropped after --handshake-timeout, and over --max-unauthenticated a connection is
 * closed at once.
 * @module
 */
import assert from "node:assert/strict";
import { dialTls } from "../../core/tunnel/tls_client_io.ts";
import { assertOneErrorLine, exited, Lab, type Receiver, until, WAIT_MS, within } from "./_e2e.ts";
import { FedSender, filesIn, sha, writeClients } from "./_hardening.ts";

/** Runs `send` with `tokenFile` on a small file over `links`; its exit. */
function oneShot(lab: Lab, r: Receiver, tokenFile: string, links: string[]) {
  return exited(lab.spawn([
    "send",
    "--server",
    r.server,
    "--pin",
    r.pin,
    "--token-file",
    tokenFile,
    "--input",
    lab.path("small.bin"),
    ...links.flatMap((l) => ["--link", l]),
  ]));
}

/** Ends a fed sender's input and checks its output file (found by `re`) is its input. */
async function finishIntact(s: FedSender, dir: string, re: RegExp, what: string) {
  await s.end();
  const e = await exited(s.proc);
  assert.equal(e.code, 0, `${what}: ${e.stderr}`);
  const [file] = await filesIn(dir, re);
  assert.ok(file, `${what}: no output file`);
  await until(async () => (await Deno.stat(`${dir}/${file}`)).size === s.written, `${what} output`);
  assert.equal(sha(await Deno.readFile(`${dir}/${file}`)), sha(s.input()), `${what} differs`);
}

Deno.test("limits refuse newcomers with the reason and leave running sessions alone", async (t) => {
  const lab = await Lab.open();
  try {
    const tokens = { alpha: "alpha-" + crypto.randomUUID(), beta: "beta-" + crypto.randomUUID() };
    await writeClients(lab.path("clients.json"), tokens);
    for (const [n, tok] of Object.entries(tokens)) await Deno.writeTextFile(lab.path(n), tok);
    await Deno.writeFile(lab.path("small.bin"), new Uint8Array(2048).fill(1));
    const dir = lab.path("out");
    const r = await lab.receiver([
      "--clients",
      lab.path("clients.json"),
      "--output",
      `${dir}/{client}-{session}.bin`,
      "--max-sessions",
      "3",
      "--max-sessions-per-client",
      "1",
      "--max-links-per-session",
      "2",
    ]);
    const alpha = FedSender.start(lab, r, lab.path("alpha"), ["127.0.0.2", "127.0.0.3"], 11);
    await alpha.feed(256 * 1024);
    await r.proc.waitFor(/session \w+ opened .* client alpha/);

    await t.step("a second session of alpha: --max-sessions-per-client", async () => {
      const e = await oneShot(lab, r, lab.path("alpha"), ["127.0.0.4"]);
      assertOneErrorLine(
        e,
        /client alpha is at its session limit \(1, --max-sessions-per-client\)/,
      );
    });

    const beta = FedSender.start(lab, r, lab.path("beta"), [
      "127.0.0.4",
      "127.0.0.5",
      "127.0.0.6",
    ], 12);
    await t.step("beta's third link: --max-links-per-session", async () => {
      await beta.feed(256 * 1024);
      // The first link opens the session; the other two join at once, and whichever of them is
      // later (it depends on the machine's load) is the one refused.
      await beta.proc.waitFor(
        /link [23] \(127\.0\.0\.[56]\) refused: the server refused this link: the session is at its link limit \(2, --max-links-per-session\)/,
        WAIT_MS,
      );
      await r.proc.waitFor(/refused a link from 127\.0\.0\.[56]:\d+: .*--max-links-per-session/);
    });

    const shared = FedSender.start(lab, r, lab.tokenFile, ["127.0.0.7"], 13);
    await shared.feed(64 * 1024);
    await r.proc.waitFor(/session \w+ opened .* client shared/);
    await t.step("a fourth session: --max-sessions", async () => {
      const e = await oneShot(lab, r, lab.tokenFile, ["127.0.0.8"]);
      assertOneErrorLine(e, /the server is at its session limit \(3, --max-sessions\)/);
    });

    await t.step("the running sessions were not disturbed", async () => {
      await Promise.all([alpha.feed(512 * 1024), beta.feed(512 * 1024), shared.feed(64 * 1024)]);
      await finishIntact(alpha, dir, /^alpha-/, "alpha");
      await finishIntact(beta, dir, /^beta-/, "beta");
      await finishIntact(shared, dir, /^shared-/, "shared");
      assert.doesNotMatch(r.proc.lines.join("\n"), /ended incomplete/);
    });
  } finally {
    await lab.close();
  }
});

Deno.test("--max-buffer-total refuses a session whose reassembly memory would not fit", async () => {
  const lab = await Lab.open();
  try {
    await Deno.writeFile(lab.path("small.bin"), new Uint8Array(2048).fill(2));
    const r = await lab.receiver([
      "--output",
      lab.path("{session}.bin"),
      "--max-buffer",
      "1MiB",
      "--max-buffer-total",
      "1.5MiB",
    ]);
    const first = FedSender.start(lab, r, lab.tokenFile, ["127.0.0.2"], 21);
    await first.feed(128 * 1024);
    await r.proc.waitFor(/session \w+ opened/);
    const e = await oneShot(lab, r, lab.tokenFile, ["127.0.0.3"]);
    assertOneErrorLine(e, /reassembly memory is taken .*--max-buffer-total/);
    await first.feed(128 * 1024);
    await finishIntact(first, lab.dir, /^[0-9a-f]{32}\.bin$/, "the first session");
  } finally {
    await lab.close();
  }
});

/** A TCP connection that reads until the server closes it; resolves with when that was. */
async function idleTcp(port: number) {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const opened = performance.now();
  const closed = (async () => {
    const buf = new Uint8Array(1024);
    for (;;) {
      const n = await conn.read(buf).catch(() => null);
      if (n === null) return performance.now() - opened;
    }
  })();
  return { conn, closed };
}

Deno.test("slowloris: silent connections are dropped after --handshake-timeout, capped meanwhile", async () => {
  const lab = await Lab.open();
  const conns: Deno.Conn[] = [];
  try {
    const r = await lab.receiver([
      "--output",
      lab.path("{session}.bin"),
      "--handshake-timeout",
      "1s",
      "--max-unauthenticated",
      "3",
    ]);
    const running = FedSender.start(lab, r, lab.tokenFile, ["127.0.0.2", "127.0.0.3"], 31);
    await running.feed(256 * 1024);
    await r.proc.waitFor(/session \w+ opened/);

    // Two TCP connections that never start TLS, one TLS connection that never says HELLO.
    const tcp = [await idleTcp(r.port), await idleTcp(r.port)];
    conns.push(...tcp.map((c) => c.conn));
    const tls = await dialTls({
      host: "127.0.0.1",
      port: r.port,
      trust: { kind: "pin", pin: r.pin },
      timeoutMs: WAIT_MS,
    });
    const tlsOpened = performance.now();
    const tlsClosed = new Promise<number>((res) => {
      tls.onData(() => {}); // the CHALLENGE, never answered
      tls.onClose(() => res(performance.now() - tlsOpened));
    });
    // The cap: a fourth connection is closed at once.
    const over = await idleTcp(r.port);
    conns.push(over.conn);
    const overMs = await within(over.closed, WAIT_MS, "the connection over the cap to close");
    await r.proc.waitFor(/refused a connection from .*--max-unauthenticated/);

    const dropped = await within(
      Promise.all([...tcp.map((c) => c.closed), tlsClosed]),
      WAIT_MS,
      "the silent connections to be dropped",
    );
    console.log(
      `over the cap: closed after ${overMs.toFixed(0)} ms; silent connections dropped after ` +
        dropped.map((ms) => `${ms.toFixed(0)} ms`).join(", ") + " (--handshake-timeout 1s)",
    );
    await r.proc.waitFor(/dropped 127\.0\.0\.1:\d+: not authenticated within 1 s/);

    // The session that was running is intact, and a newcomer gets in once the slots are free.
    await running.feed(256 * 1024);
    await finishIntact(running, lab.dir, /^[0-9a-f]{32}\.bin$/, "the running session");
    await Deno.writeFile(lab.path("small.bin"), new Uint8Array(2048).fill(3));
    const late = await oneShot(lab, r, lab.tokenFile, ["127.0.0.4"]);
    assert.equal(late.code, 0, late.stderr);
  } finally {
    for (const c of conns) {
      try {
        c.close();
      } catch { /* closed by the server */ }
    }
    await lab.close();
  }
});

Deno.test("a fixed --output serves one session at a time; the second is told why", async () => {
  const lab = await Lab.open();
  try {
    await Deno.writeFile(lab.path("small.bin"), new Uint8Array(2048).fill(4));
    const out = lab.path("fixed.bin");
    const r = await lab.receiver(["--output", out]);
    const first = FedSender.start(lab, r, lab.tokenFile, ["127.0.0.2"], 41);
    await first.feed(128 * 1024);
    await r.proc.waitFor(/session \w+ opened/);
    const second = await oneShot(lab, r, lab.tokenFile, ["127.0.0.3"]);
    assertOneErrorLine(second, /busy with another session: --output .*fixed\.bin is in use/);
    await first.feed(128 * 1024);
    await first.end();
    assert.equal((await exited(first.proc)).code, 0);
    await until(async () => (await Deno.stat(out)).size === first.written, "the first output");
    assert.equal(sha(await Deno.readFile(out)), sha(first.input()));
  } finally {
    await lab.close();
  }
});
