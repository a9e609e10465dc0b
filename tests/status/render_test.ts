/**
 * The live view's text: liveLines() and summaryLine() on docs/STATS.md's example snapshot and
 * on edge cases (no session yet, a narrow terminal, receive), and the terminal writer
 * (LiveView, ProgressLine) on a fake stderr.
 */
import assert from "node:assert/strict";
import { ANSI, clockTime, liveLines, PLAIN, summaryLine } from "../../core/status/render.ts";
import { EXAMPLE_SNAPSHOT } from "../../core/status/schema_doc.ts";
import type { StatusSnapshot } from "../../core/status/snapshot.ts";
import { LiveView, ProgressLine, StepsProgress } from "../../cli/live_view_io.ts";

// deno-lint-ignore no-control-regex -- ANSI escape codes are what the view writes
const strip = (s: string) => s.replaceAll(/\x1b\[[0-9;]*[A-Za-z]/g, "");

Deno.test("liveLines() shows every link with its figures, the totals, buffer and encoder", () => {
  const lines = liveLines(EXAMPLE_SNAPSHOT, { width: 120 });
  const text = lines.join("\n");
  assert.match(lines[0], /^bondctl send · session 3fa9c2e1b0d4 · 1:03 · open$/);
  assert.match(
    lines[1],
    /link\s+name\s+state\s+sending\s+share\s+rate\s+RTT\s+in flight\s+re-sent\s+cost/,
  );
  assert.match(
    lines[2],
    /^\s+1 ppp0\s+up\s+5\.9 Mbit\/s\s+52 %\s+8\.1 Mbit\/s\s+63 ms\s+96\.0 KiB\s+0 B\s+1$/,
  );
  assert.match(lines[3], /^\s+2 ppp1\s+up\s+5\.4 Mbit\/s\s+48 %.*64\.0 KiB\s+2$/);
  assert.match(lines[4], /^\s+3 wlan0\s+stalled\s+0 bit\/s\s+0 %.*256\.0 KiB\s+1$/);
  assert.match(text, /total 11\.3 Mbit\/s on 2\/3 links up · read 79\.1 MiB, delivered 78\.8 MiB/);
  assert.match(text, /receiver's buffer period 1\.3 s/);
  assert.match(
    text,
    /encoder: 12\.2 Mbit\/s recommended \(capacity 15\.4 Mbit\/s on links 1,2, 0\.7 % re-sent, x0\.8\)/,
  );
  for (const l of lines) assert.ok(l.length <= 120, `too wide: ${l}`);
});

Deno.test("liveLines() fits a narrow terminal by dropping columns from the right", () => {
  const lines = liveLines(EXAMPLE_SNAPSHOT, { width: 60 });
  for (const l of lines) assert.ok(l.length <= 60, `${l.length}: ${l}`);
  assert.match(lines[1], /link\s+name\s+state\s+sending/);
  assert.doesNotMatch(lines[1], /cost/);
});

Deno.test("liveLines() with colour: the same text, states coloured", () => {
  const plain = liveLines(EXAMPLE_SNAPSHOT, { width: 120, paint: PLAIN });
  const coloured = liveLines(EXAMPLE_SNAPSHOT, { width: 120, paint: ANSI });
  assert.deepEqual(coloured.map(strip), plain);
  assert.ok(coloured[4].includes("\x1b[33mstalled"), "stalled in yellow");
});

Deno.test("liveLines() and summaryLine() before any session", () => {
  const snap: StatusSnapshot = { ...EXAMPLE_SNAPSHOT, sessions: [] };
  assert.deepEqual(liveLines(snap, { width: 80 }), ["bondctl send · 1:05 · connecting…"]);
  assert.equal(summaryLine({ ...snap, role: "receive" }), "no session");
});

Deno.test("summaryLine() says it all in one line", () => {
  assert.equal(
    summaryLine(EXAMPLE_SNAPSHOT),
    "session 3fa9c2e1b0d4 1:03: 11.3 Mbit/s (1 5.9 Mbit/s, 2 5.4 Mbit/s, 3 stalled), " +
      "RTT 63 ms-240 ms, re-sent 320.0 KiB, buffer 1.3 s, encoder 12.2 Mbit/s",
  );
});

Deno.test("a receiver's view: bytes received, the buffer it holds, no encoder line", () => {
  const s = EXAMPLE_SNAPSHOT.sessions[0];
  const snap: StatusSnapshot = {
    ...EXAMPLE_SNAPSHOT,
    role: "receive",
    sessions: [{
      ...s,
      client: "van-1",
      bitrate: null,
      buffer: { periodMs: 900, heldBytes: 2 << 20, heldMs: 1450 },
    }],
  };
  const text = liveLines(snap, { width: 120 }).join("\n");
  assert.match(text, /session 3fa9c2e1b0d4 · client van-1/);
  assert.match(text, /receiving/);
  assert.match(text, /buffer period 900 ms, holding 2\.0 MiB \(1\.4 s\)/);
  assert.doesNotMatch(text, /encoder/);
  assert.match(summaryLine(snap), /holding 2\.0 MiB$/);
});

Deno.test("clockTime() counts minutes, then hours", () => {
  assert.equal(clockTime(0), "0:00");
  assert.equal(clockTime(61_999), "1:01");
  assert.equal(clockTime(3_600_000 + 62_000), "1:01:02");
});

/** A fake stderr that applies the escape codes the view uses to a screen of lines. */
class Screen {
  lines: string[] = [""];
  row = 0;
  writes = 0;
  write = (text: string) => {
    this.writes++;
    // deno-lint-ignore no-control-regex -- the escape codes under test
    const re = /\x1b\[(\d*)([FJK])|\r|\n|[^\x1b\r\n]+/g;
    for (const m of text.matchAll(re)) {
      if (m[0] === "\n") {
        this.row++;
        if (this.row >= this.lines.length) this.lines.push("");
      } else if (m[0] === "\r") {
        this.lines[this.row] = "";
      } else if (m[2] === "F") {
        this.row -= Number(m[1] || 1);
      } else if (m[2] === "J") {
        this.lines.length = this.row + 1;
        this.lines[this.row] = "";
      } else if (m[2] === "K") {
        this.lines[this.row] = "";
      } else this.lines[this.row] += m[0];
    }
  };
}

Deno.test("LiveView on a terminal redraws in place, log lines scroll above it", () => {
  const screen = new Screen();
  const view = new LiveView({
    who: "send",
    isTty: true,
    colour: false,
    columns: () => 121,
    write: screen.write,
  });
  assert.equal(view.mode, "terminal");
  view.show(EXAMPLE_SNAPSHOT, 0);
  const block = liveLines(EXAMPLE_SNAPSHOT, { width: 120 });
  assert.deepEqual(screen.lines.slice(0, -1), block);
  // A second draw replaces the first: the screen holds one block, not two.
  view.show({ ...EXAMPLE_SNAPSHOT, uptimeMs: 66_000 }, 1000);
  assert.deepEqual(screen.lines.slice(0, -1), block);
  // A log line goes above; the block follows it.
  const log = view.wrapLogger({
    info: (m) => screen.write(`bondctl send: ${m}\n`),
    warn: () => {},
    debug: () => {},
  });
  log.info("link 3 stalled");
  assert.equal(screen.lines[0], "bondctl send: link 3 stalled");
  assert.deepEqual(screen.lines.slice(1, -1), block);
  view.clear();
  assert.deepEqual(screen.lines, ["bondctl send: link 3 stalled", ""]);
});

Deno.test("LiveView off a terminal: one summary line per interval; --quiet: nothing", () => {
  const out: string[] = [];
  const view = new LiveView({
    who: "send",
    isTty: false,
    write: (t) => out.push(t),
    summaryEveryMs: 10_000,
  });
  assert.equal(view.mode, "lines");
  for (let t = 0; t <= 25_000; t += 1000) view.show(EXAMPLE_SNAPSHOT, t);
  assert.equal(out.length, 2, "at 10 and 20 s: none at once, a line of zeros says nothing");
  assert.equal(out[0], `bondctl send: ${summaryLine(EXAMPLE_SNAPSHOT)}\n`);
  const quiet = new LiveView({ who: "send", quiet: true, isTty: true, write: (t) => out.push(t) });
  quiet.show(EXAMPLE_SNAPSHOT, 0);
  assert.equal(quiet.mode, "off");
  assert.equal(out.length, 2);
});

Deno.test("ProgressLine rewrites one line and keeps log lines above it", () => {
  const screen = new Screen();
  const bar = new ProgressLine({ isTty: true, write: screen.write, columns: () => 80 });
  bar.set("policy earliest (1/7): 10.0 of 60.0 s simulated");
  bar.set("policy earliest (1/7): 20.0 of 60.0 s simulated");
  assert.deepEqual(screen.lines, ["policy earliest (1/7): 20.0 of 60.0 s simulated"]);
  bar.above(() => screen.write("simulate: policy fewest (2/7)...\n"));
  assert.deepEqual(screen.lines, [
    "simulate: policy fewest (2/7)...",
    "policy earliest (1/7): 20.0 of 60.0 s simulated",
  ]);
  bar.done();
  assert.deepEqual(screen.lines, ["simulate: policy fewest (2/7)...", ""]);
  const off = new ProgressLine({ isTty: false, write: screen.write });
  off.set("nothing");
  assert.equal(off.active, false);
  assert.deepEqual(screen.lines, ["simulate: policy fewest (2/7)...", ""]);
});

Deno.test("the relay's link table: traffic received, RTT; nothing about its own sending", () => {
  const snap: StatusSnapshot = { ...EXAMPLE_SNAPSHOT, role: "receive" };
  const head = liveLines(snap, { width: 120 })[1];
  assert.match(head, /link\s+name\s+state\s+receiving\s+share\s+RTT$/);
});

Deno.test("StepsProgress: elapsed of the planned total, the pace of done steps counted", () => {
  let t = 0;
  const bar = new ProgressLine({ isTty: true, write: () => {} });
  const steps = new StepsProgress(bar, "bench", 3, 20_000, () => t);
  steps.step(0, "bondctl-earliest");
  t = 5000;
  assert.equal(steps.text(), "bench: [1/3] bondctl-earliest: 5 of 20 s · 0:05 of about 1:00");
  t = 30_000; // the first step took 30 s, not 20: the rest are expected to as well
  steps.step(1, "single-best");
  assert.equal(steps.text(), "bench: [2/3] single-best: 0 of 20 s · 0:30 of about 1:30");
  steps.stop();
});
