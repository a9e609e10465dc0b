/**
 * A bench run for people and for scripts, pure: the JSON object (`{ lab, links, contenders:
 * [{ name, goodputBps, efficiency, delayMs: { p50, p99 }, cpuSecondsPerGB, peakRssBytes,
 * lostBytes, longestStallMs }] }` plus more fields), the table, and the SVG chart (goodput over
 * time per contender above the delivery-delay distribution), drawn with core/report.
 * @module
 */
import { formatBytes, formatRate } from "../config/mod.ts";
import { renderChart } from "../report/svg_chart.ts";
import type { ContenderRun } from "./run_io.ts";
import { LAB_DEFAULT_CC } from "./netns_plan.ts";

/**
 * A link as reported.
 * @example
 * ```ts
 * const l: ReportLink = { index: 1, spec: "20mbit", bps: 20e6, delayMs: 0 };
 * ```
 */
export interface ReportLink {
  index: number;
  spec: string;
  /** Configured rate (a trace's mean), bit/s. */
  bps: number;
  /** One-way delay added by the lab (ms): 0 in the netns lab unless a DELAY was typed. */
  delayMs: number;
}

/**
 * What the run was.
 * @example
 * ```ts
 * const report = benchReport(info, runs); // info: RunInfo
 * ```
 */
export interface RunInfo {
  lab: "netns" | "loopback";
  links: ReportLink[];
  durationMs: number;
  /** Paced source rate, or null for a saturating source. */
  paceBps: number | null;
  faults: string[];
  /** The best single link (from 1). */
  best: number;
  kernelCc: string;
  seed: number;
  recordBytes: number;
}

/**
 * One contender in the JSON.
 * @example
 * ```ts
 * const c: ContenderJson = benchReport(info, runs).contenders[0];
 * ```
 */
export interface ContenderJson {
  name: string;
  status: "ok" | "failed" | "skipped";
  note?: string;
  goodputBps: number;
  efficiency: number;
  delayMs: { p50: number; p99: number; max: number; mean: number };
  cpuSecondsPerGB: number | null;
  peakRssBytes: number | null;
  lostBytes: number;
  longestStallMs: number;
  longestStallAtMs: number | null;
  sentBytes: number;
  deliveredBytes: number;
  cpuSeconds: { sender: number; server: number } | null;
  /** Each process's part of `peakRssBytes` (VmHWM). */
  peakRss: { sender: number; server: number } | null;
  timeline: { tMs: number; bps: number }[];
}

/**
 * The whole report.
 * @example
 * ```ts
 * const r: BenchReport = benchReport(info, runs);
 * ```
 */
export interface BenchReport extends Omit<RunInfo, "links"> {
  links: ReportLink[];
  capacityBps: number;
  contenders: ContenderJson[];
}

/**
 * The JSON report.
 * @example
 * ```ts
 * console.log(JSON.stringify(benchReport(info, runs), null, 2));
 * ```
 */
export function benchReport(info: RunInfo, runs: readonly ContenderRun[]): BenchReport {
  const capacityBps = info.links.reduce((a, l) => a + l.bps, 0);
  return { ...info, capacityBps, contenders: runs.map((r) => contenderJson(r, capacityBps)) };
}

function contenderJson(r: ContenderRun, capacityBps: number): ContenderJson {
  const s = r.sink;
  const cpu = r.client && r.server ? r.client.cpuSeconds + r.server.cpuSeconds : null;
  const gb = s ? s.windowBytes / 1e9 : 0;
  return {
    name: r.contender.name,
    status: r.status,
    ...(r.note ? { note: r.note } : {}),
    goodputBps: s?.goodputBps ?? 0,
    efficiency: s && capacityBps > 0 ? s.goodputBps / capacityBps : 0,
    delayMs: s
      ? { p50: s.delayMs.p50, p99: s.delayMs.p99, max: s.delayMs.max, mean: s.delayMs.mean }
      : { p50: 0, p99: 0, max: 0, mean: 0 },
    cpuSecondsPerGB: cpu !== null && gb > 0 ? cpu / gb : null,
    peakRssBytes: r.client && r.server ? r.client.peakRssBytes + r.server.peakRssBytes : null,
    lostBytes: r.lostBytes,
    longestStallMs: s?.longestStallMs ?? 0,
    longestStallAtMs: s?.longestStallAtMs ?? null,
    sentBytes: r.sentBytes,
    deliveredBytes: s?.deliveredBytes ?? 0,
    peakRss: r.client && r.server
      ? { sender: r.client.peakRssBytes, server: r.server.peakRssBytes }
      : null,
    cpuSeconds: r.client && r.server
      ? { sender: r.client.cpuSeconds, server: r.server.cpuSeconds }
      : null,
    timeline: s?.timeline ?? [],
  };
}

/**
 * The table for people, one line per row.
 * @example
 * ```ts
 * for (const line of benchTable(report)) console.log(line);
 * ```
 */
export function benchTable(r: BenchReport): string[] {
  const out: string[] = [];
  const links = r.links.map((l) =>
    `${l.index}: ${l.spec}${r.lab === "netns" && l.delayMs === 0 ? "" : ` (${l.delayMs} ms)`}`
  );
  out.push(
    `bench --lab ${r.lab}: ${links.join("  ")}; sum ${formatRate(r.capacityBps)}; ` +
      `${(r.durationMs / 1000).toFixed(0)} s each; ` +
      (r.paceBps === null ? "saturating source" : `source paced at ${formatRate(r.paceBps)}`),
  );
  if (r.faults.length) out.push(`faults: ${r.faults.join("; ")}`);
  const head = [
    "contender",
    "goodput",
    "effic.",
    "p50",
    "p99",
    "CPU s/GB",
    "peak RSS",
    "lost",
    "stall",
  ];
  const nameWidth = Math.max(18, ...r.contenders.map((c) => c.name.length + 3));
  const widths = [nameWidth, 14, 8, 9, 9, 10, 11, 11, 9];
  const row = (cells: string[]) =>
    cells.map((c, i) => i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i])).join("");
  out.push(row(head));
  const ms = (v: number) => (v >= 10_000 ? `${(v / 1000).toFixed(1)}s` : `${Math.round(v)}ms`);
  for (const c of r.contenders) {
    if (c.status !== "ok" && c.goodputBps === 0) {
      out.push(row([c.name, c.status, "", "", "", "", "", "", ""]).trimEnd());
      continue;
    }
    out.push(row([
      c.name + (c.status === "ok" ? "" : "!"),
      formatRate(c.goodputBps),
      `${(100 * c.efficiency).toFixed(1)} %`,
      ms(c.delayMs.p50),
      ms(c.delayMs.p99),
      c.cpuSecondsPerGB === null ? "-" : c.cpuSecondsPerGB.toFixed(1),
      c.peakRssBytes === null ? "-" : formatBytes(c.peakRssBytes),
      formatBytes(c.lostBytes),
      ms(c.longestStallMs),
    ]));
  }
  const single = r.contenders.find((c) => c.name === "single-best");
  if (single) {
    out.push(`single-best is link ${r.best} (${r.links[r.best - 1].spec}) over plain TCP`);
  }
  if (r.contenders.some((c) => c.name === "kernel-mptcp" || c.name === "single-best")) {
    out.push(`kernel contenders use ${r.kernelCc} (set per socket)`);
  }
  if (r.lab === "netns" && r.contenders.some((c) => c.name.startsWith("bondctl-"))) {
    out.push(`bondctl's links use the namespaces' default congestion control, ${LAB_DEFAULT_CC}`);
  }
  for (const c of r.contenders) {
    if (c.note) out.push(`${c.name}: ${c.status === "ok" ? "" : `${c.status}: `}${c.note}`);
  }
  const lost = r.contenders.filter((c) => c.status === "ok" && c.lostBytes > 0);
  for (const c of lost) out.push(`warning: ${c.name} lost ${c.lostBytes} bytes`);
  return out;
}

/**
 * The chart: goodput over time per contender, then the delivery-delay distribution
 * (percentile against ms), two charts stacked in one SVG.
 * @example
 * ```ts
 * await Deno.writeTextFile("bench.svg", benchChart(report, histograms));
 * ```
 */
export function benchChart(
  r: BenchReport,
  quantiles: ReadonlyMap<string, (q: number) => number>,
): string {
  const ok = r.contenders.filter((c) => c.timeline.length > 0);
  const title = `bench --lab ${r.lab}: ${r.links.map((l) => l.spec).join(", ")}`;
  const goodput = renderChart({
    title,
    xLabel: "time since the contender started (s)",
    panels: [{
      title: "goodput (each contender in turn, same links)",
      yLabel: "bit/s",
      series: ok.map((c) => ({
        name: c.name,
        points: c.timeline.map((p) => [p.tMs / 1000, p.bps] as [number, number]),
      })),
    }],
  });
  const pct = Array.from({ length: 99 }, (_, i) => i + 1);
  const delay = renderChart({
    title: "delivery delay distribution",
    xLabel: "percentile of bytes",
    panels: [{
      title: "delay (ms) at each percentile",
      yLabel: "ms",
      series: ok.filter((c) => quantiles.has(c.name)).map((c) => ({
        name: c.name,
        points: pct.map((p) => [p, quantiles.get(c.name)!(p / 100)] as [number, number]),
      })),
    }],
  });
  return stackSvgs([goodput, delay]);
}

/** Stacks standalone SVG documents vertically in one. */
function stackSvgs(docs: string[]): string {
  let y = 0;
  let width = 0;
  const parts: string[] = [];
  for (const d of docs) {
    const w = Number(/width="(\d+)"/.exec(d)?.[1] ?? 900);
    const h = Number(/height="(\d+)"/.exec(d)?.[1] ?? 300);
    parts.push(`<g transform="translate(0 ${y})">\n${d.trim()}\n</g>`);
    y += h;
    width = Math.max(width, w);
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" ` +
    `viewBox="0 0 ${width} ${y}">\n${parts.join("\n")}\n</svg>\n`;
}
