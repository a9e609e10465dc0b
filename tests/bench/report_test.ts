/**
 * The bench report: the JSON keeps the shape scripts rely on, the table has a row per
 * contender (skipped ones say so), and the chart is one SVG with both charts.
 * @module
 */
import assert from "node:assert/strict";
import { benchChart, BenchRecorder, benchReport, benchTable } from "../../core/bench/mod.ts";
import type { ContenderRun } from "../../core/bench/run_io.ts";

function run(name: string, kind: "bond" | "single" | "mptcp", bytesPerMs: number): ContenderRun {
  const rec = new BenchRecorder({ durationMs: 1000, binMs: 100 });
  for (let t = 0; t < 1000; t += 10) rec.onChunk(bytesPerMs * 10, t);
  rec.onRecord(30, 1000);
  return {
    contender: { name, kind, ...(kind === "bond" ? { policy: "earliest" } : {}) },
    status: "ok",
    sink: rec.figures(1000),
    sentBytes: 1_000_000,
    lostBytes: 0,
    client: { cpuSeconds: 0.5, peakRssBytes: 100e6 },
    server: { cpuSeconds: 0.25, peakRssBytes: 50e6 },
  };
}

const info = {
  lab: "netns" as const,
  links: [{ index: 1, spec: "20mbit", bps: 20e6, delayMs: 0 }, {
    index: 2,
    spec: "10mbit",
    bps: 10e6,
    delayMs: 0,
  }],
  durationMs: 1000,
  paceBps: null,
  faults: [],
  best: 1,
  kernelCc: "cubic",
  seed: 1,
  recordBytes: 8192,
};

Deno.test("benchReport() keeps the JSON shape scripts use", () => {
  const skipped: ContenderRun = {
    contender: { name: "kernel-mptcp", kind: "mptcp" },
    status: "skipped",
    note: "no MPTCP here",
    sink: null,
    sentBytes: 0,
    lostBytes: 0,
    client: null,
    server: null,
  };
  const r = benchReport(info, [
    run("bondctl-earliest", "bond", 3000),
    run("single-best", "single", 2000),
    skipped,
  ]);
  assert.equal(r.lab, "netns");
  assert.equal(r.capacityBps, 30e6);
  assert.deepEqual(r.contenders.map((c) => c.name), [
    "bondctl-earliest",
    "single-best",
    "kernel-mptcp",
  ]);
  const bond = r.contenders[0];
  for (
    const key of [
      "goodputBps",
      "efficiency",
      "delayMs",
      "cpuSecondsPerGB",
      "peakRssBytes",
      "lostBytes",
      "longestStallMs",
    ]
  ) {
    assert.ok(key in bond, `contenders[].${key}`);
  }
  assert.equal(bond.goodputBps, 24e6);
  assert.equal(bond.efficiency, 0.8);
  assert.ok(bond.delayMs.p50 > 29 && bond.delayMs.p50 <= 30);
  assert.equal(bond.peakRssBytes, 150e6);
  assert.deepEqual(bond.peakRss, { sender: 100e6, server: 50e6 });
  assert.equal(r.contenders[2].peakRss, null);
  assert.ok(Math.abs(bond.cpuSecondsPerGB! - 0.75 / 0.003) < 1e-6);
  assert.equal(r.contenders[2].status, "skipped");
  assert.equal(r.contenders[2].cpuSecondsPerGB, null);

  const table = benchTable(r);
  assert.match(table[0], /bench --lab netns: 1: 20mbit {2}2: 10mbit; sum 30\.0 Mbit\/s/);
  assert.ok(
    table.some((l) => /^bondctl-earliest\s+24\.0 Mbit\/s\s+80\.0 %/.test(l)),
    table.join("\n"),
  );
  assert.ok(table.some((l) => /^kernel-mptcp\s+skipped$/.test(l)), table.join("\n"));
  assert.ok(table.some((l) => l === "kernel-mptcp: skipped: no MPTCP here"), table.join("\n"));

  const svg = benchChart(r, new Map([["bondctl-earliest", () => 30]]));
  assert.ok(svg.startsWith("<svg"));
  assert.equal(svg.match(/<svg /g)?.length, 3, "one outer SVG holding two charts");
  assert.match(svg, /delivery delay distribution/);
});
