/**
 * `receive --metrics`: a live relay is scraped before, during and after a two-link transfer
 * fed through the sender's stdin (so the session stays open between scrapes), and after a
 * sender with the wrong token. Every scrape is parsed with the strict parser of
 * tests/metrics/_prom_parser.ts; the figures must move the way the relay's work says.
 * @module
 */
import assert from "node:assert/strict";
import { exited, Lab, until } from "./_e2e.ts";
import { parsePrometheus, valueOf } from "../metrics/_prom_parser.ts";

const MiB = 1 << 20;

async function scrape(base: string) {
  const res = await fetch(`${base}/metrics`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  return parsePrometheus(await res.text());
}

Deno.test("receive --metrics: /metrics parses during a transfer and its figures move", async () => {
  const lab = await Lab.open();
  try {
    const output = lab.path("out.bin");
    const r = await lab.receiver(["--output", output, "--metrics", "127.0.0.1:0"]);
    const port = (await r.proc.waitFor(/metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics/))[1];
    const base = `http://127.0.0.1:${port}`;

    // Before anyone comes: up, healthy, nothing counted.
    const health = await fetch(`${base}/healthz`);
    assert.equal(health.status, 200);
    assert.equal((await health.text()).trim(), "ok");
    const missing = await fetch(`${base}/nothing`);
    assert.equal(missing.status, 404);
    await missing.body?.cancel();
    const idle = await scrape(base);
    assert.equal(valueOf(idle, "bondctl_relay_listening"), 1);
    assert.equal(valueOf(idle, "bondctl_relay_sessions_active"), 0);
    assert.equal(valueOf(idle, "bondctl_relay_refusals_total", { reason: "auth" }), 0);
    assert.equal(valueOf(idle, "bondctl_relay_received_bytes_total"), 0);

    // A sender with the wrong token is refused, and counted as such.
    const wrong = lab.path("wrong-token");
    await Deno.writeTextFile(wrong, "not-the-token-" + crypto.randomUUID());
    const bad = lab.spawn([
      "send",
      "--server",
      r.server,
      "--pin",
      r.pin,
      "--token-file",
      wrong,
      "--input",
      "/dev/null",
      "--link",
      "127.0.0.2",
    ]);
    assert.equal((await exited(bad)).code, 1);
    await until(
      async () =>
        valueOf(await scrape(base), "bondctl_relay_refusals_total", { reason: "auth" }) === 1,
      "refusals_total{reason=auth} to reach 1",
    );

    // A two-link session fed 1 MiB at a time through stdin.
    const feed = lab.spawn(
      [
        "send",
        "--server",
        r.server,
        "--pin",
        r.pin,
        "--token-file",
        lab.tokenFile,
        "--input",
        "-",
        "--link",
        "127.0.0.2",
        "--link",
        "127.0.0.3",
      ],
      { stdin: "piped" },
    );
    const stdin = feed.child.stdin.getWriter();
    const chunk = new Uint8Array(MiB);
    crypto.getRandomValues(chunk.subarray(0, 65536));
    await stdin.write(chunk);
    let during = await scrape(base);
    await until(async () => {
      during = await scrape(base);
      return (valueOf(during, "bondctl_relay_output_bytes_total") ?? 0) >= MiB &&
        valueOf(during, "bondctl_relay_links_active") === 2;
    }, "the first MiB to reach the output over 2 links");
    assert.equal(valueOf(during, "bondctl_relay_sessions_active"), 1);
    assert.equal(valueOf(during, "bondctl_relay_sessions_by_links", { links: "2" }), 1);
    const session = during.get("bondctl_relay_session_links")!.samples[0].labels;
    assert.match(session.session, /^[0-9a-f]{12}$/);
    assert.equal(session.client, "shared");
    const period = valueOf(during, "bondctl_relay_session_buffer_period_seconds", session)!;
    assert.ok(period > 0 && period <= 3, `buffer period ${period} s`);
    assert.ok(valueOf(during, "bondctl_relay_session_buffer_bytes", session)! >= 0);

    await stdin.write(chunk);
    await until(async () => {
      const now = await scrape(base);
      return (valueOf(now, "bondctl_relay_output_bytes_total") ?? 0) >= 2 * MiB;
    }, "the second MiB to reach the output");
    await stdin.close();
    assert.equal((await exited(feed)).code, 0);

    // After: the session is counted as complete and its bytes stay in the totals.
    let after = await scrape(base);
    await until(async () => {
      after = await scrape(base);
      return valueOf(after, "bondctl_relay_sessions_active") === 0;
    }, "the session to end");
    assert.equal(valueOf(after, "bondctl_relay_sessions_total"), 1);
    assert.equal(valueOf(after, "bondctl_relay_sessions_ended_total", { outcome: "complete" }), 1);
    assert.equal(valueOf(after, "bondctl_relay_output_bytes_total"), 2 * MiB);
    assert.equal(valueOf(after, "bondctl_relay_received_bytes_total"), 2 * MiB);
    assert.equal(valueOf(after, "bondctl_relay_links_accepted_total"), 2);
    assert.equal(valueOf(after, "bondctl_relay_links_active"), 0);
    assert.equal((await Deno.stat(output)).size, 2 * MiB);
  } finally {
    await lab.close();
  }
});

Deno.test("receive --metrics on an address in use: one line, exit 1", async () => {
  const lab = await Lab.open();
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const p = lab.spawn([
      "receive",
      "--listen",
      "127.0.0.1:0",
      "--self-signed",
      "--token-file",
      lab.tokenFile,
      "--metrics",
      `127.0.0.1:${taken.addr.port}`,
    ]);
    const exit = await exited(p);
    assert.equal(exit.code, 1);
    assert.match(
      exit.stderr,
      /bondctl: error: cannot serve --metrics on 127\.0\.0\.1:\d+: the address is already in use/,
    );
  } finally {
    taken.close();
    await lab.close();
  }
});
