// FEC's cost and gain beside the `redundant` policy, on the real endpoints over the in-memory
// pair (tests/_sim/pair.ts), on a virtual clock, so every figure is the same on every run.
//
// The scenario: a live stream of 1316-octet datagrams (MPEG-TS over UDP), 400 a second
// (4.2 Mbit/s), for 6 s over four links (10 Mbit/s 20 ms, 10/30, 8/40, 6/50); at 2 s the
// fastest link dies for good, either silently (nothing arrives, nothing closes: found only when
// its acknowledgements stop) or closed (the sender knows at once). For deadlines of 800, 300,
// 150 and 100 ms (800 and 100 for a closed link), four ways to send: `earliest` alone, `earliest` with FEC 8+2 and 4+2, and
// `redundant` (every block on the two best links). Per run: datagrams dropped, datagrams
// rebuilt from parity (including those whose own block was merely slower than the parity),
// the 99th percentile of the delay from push to delivery, and the extra bytes sent beyond the
// datagrams themselves (re-sends, parity, copies), as a share of the stream. A row without a
// fault shows the same at rest.
//
// Checked, from the runs themselves: where the deadline is shorter than the time a silent link
// takes to be found, FEC 8+2 drops fewer datagrams than no FEC; parity costs M/K of the stream
// (about 25 % for 8+2); `redundant` sends about twice the stream. The table is printed (and
// copied into docs/SCHEDULING.md).

import assert from "node:assert/strict";
import { type LinkSpec, SimPair } from "../_sim/pair.ts";
import { LiveApp } from "../_sim/live_app.ts";
import { createPolicy } from "../../core/scheduler/registry.ts";

const LINKS: LinkSpec[] = [
  { index: 1, mbps: 10, delayMs: 20 },
  { index: 2, mbps: 10, delayMs: 30 },
  { index: 3, mbps: 8, delayMs: 40 },
  { index: 4, mbps: 6, delayMs: 50 },
];
const RATE = 400;
const COUNT = 2400;
const SIZE = 1316;

interface Mode {
  name: string;
  policy: string;
  fec?: { k: number; m: number };
}
const MODES: Mode[] = [
  { name: "earliest", policy: "earliest" },
  { name: "FEC 8+2", policy: "earliest", fec: { k: 8, m: 2 } },
  { name: "FEC 4+2", policy: "earliest", fec: { k: 4, m: 2 } },
  { name: "redundant", policy: "redundant" },
];

interface Result {
  dropped: number;
  rebuilt: number;
  extraPct: number;
  /** 99th percentile of push-to-delivery delay over the datagrams delivered (ms). */
  p99Ms: number;
}

type Fault = "none" | "silent" | "closed";

function runOne(fault: Fault, deadlineMs: number, mode: Mode): Result {
  const app = new LiveApp([{
    label: "udp",
    live: { deadlineMs, fec: mode.fec },
    rate: RATE,
    size: () => SIZE,
    count: COUNT,
  }]);
  const pair = new SimPair({
    links: LINKS,
    endpoint: { policy: createPolicy(mode.policy) },
    client: { streams: (s, now) => app.client(s, now) },
    server: { streams: (s, now) => app.server(s, now) },
  });
  app.attach(pair);
  if (fault !== "none") {
    pair.schedule(2000, (p) => fault === "silent" ? p.stallLink(1) : p.killLink(1));
  }
  pair.runToCompletion(60_000);
  const f = [...app.received.values()][0];
  for (let i = 1; i < f.got.length; i++) assert.ok(f.got[i] > f.got[i - 1], "in order");
  const payload = COUNT * SIZE;
  let sent = 0;
  for (const l of pair.client.ep.linkStats()) sent += l.dataBytes;
  const sender = app.sent[0];
  const delays = f.got.map((i, j) => f.at[j] - sender.pushedAt[i]).sort((a, b) => a - b);
  return {
    p99Ms: delays[Math.min(delays.length - 1, Math.floor(delays.length * 0.99))],
    dropped: COUNT - f.got.length,
    rebuilt: pair.server.ep.liveTotals().received.rebuilt,
    extraPct: (100 * (sent - payload)) / payload,
  };
}

const DEADLINES = [800, 300, 150, 100];
/** A closed link is found at once: two deadlines are enough to show it. */
const CLOSED_DEADLINES = [800, 100];
const deadlinesFor = (fault: Fault) =>
  fault === "none" ? [150] : fault === "closed" ? CLOSED_DEADLINES : DEADLINES;
const results = new Map<string, Result>();
const key = (fault: string, d: number, m: string) => `${fault}/${d}/${m}`;

Deno.test("FEC and redundant against a link dying: drops and extra bytes, every deadline", () => {
  const rows: string[] = [];
  for (const fault of ["none", "silent", "closed"] as const) {
    for (const d of deadlinesFor(fault)) {
      const cells = MODES.map((m) => {
        const r = runOne(fault, d, m);
        results.set(key(fault, d, m.name), r);
        const rebuilt = r.rebuilt > 0 ? ` (${r.rebuilt})` : "";
        return `${r.dropped}${rebuilt} / ${r.p99Ms.toFixed(0)} ms / +${r.extraPct.toFixed(1)} %`;
      });
      rows.push(`| ${fault} | ${d} ms | ${cells.join(" | ")} |`);
    }
  }
  console.log(
    [
      `datagrams dropped of ${COUNT} (rebuilt from parity) / p99 delay / extra bytes sent`,
      `| link 1 dies | deadline | ${MODES.map((m) => m.name).join(" | ")} |`,
      `| --- | --- | ${MODES.map(() => "---").join(" | ")} |`,
      ...rows,
    ].join("\n"),
  );
});

Deno.test("what the figures show: FEC's gain where the deadline is short, and its price", () => {
  const r = (fault: string, d: number, m: string) => results.get(key(fault, d, m))!;
  const runs = (["none", "silent", "closed"] as const).reduce(
    (n, f) => n + deadlinesFor(f).length,
    0,
  );
  assert.ok(results.size === runs * MODES.length, "the table ran first");
  // Without a fault nothing is dropped, whatever the mode.
  for (const m of MODES) assert.equal(r("none", 150, m.name).dropped, 0, m.name);
  // Short deadlines, a silent link: waiting to find it dead costs datagrams; parity does not wait.
  for (const d of [150, 100]) {
    const plain = r("silent", d, "earliest").dropped;
    const fec = r("silent", d, "FEC 8+2").dropped;
    assert.ok(plain > 0, `a silent link costs datagrams at ${d} ms`);
    assert.ok(fec < plain, `FEC 8+2 at ${d} ms: ${fec} dropped, ${plain} without`);
    assert.ok(r("silent", d, "FEC 8+2").rebuilt > 0);
  }
  // The price: parity is m/k of the stream, copies double it.
  for (const fault of ["silent", "closed"] as const) {
    for (const d of deadlinesFor(fault)) {
      const fec8 = r(fault, d, "FEC 8+2").extraPct;
      const fec4 = r(fault, d, "FEC 4+2").extraPct;
      const red = r(fault, d, "redundant").extraPct;
      assert.ok(fec8 >= 25 && fec8 < 35, `FEC 8+2 costs ${fec8} %`);
      assert.ok(fec4 >= 50 && fec4 < 60, `FEC 4+2 costs ${fec4} %`);
      assert.ok(red > 90, `redundant costs ${red} %`);
    }
  }
});
