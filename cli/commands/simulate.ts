/**
 * `bondctl simulate`: runs scheduling policies on simulated links (named scenarios or links
 * typed on the command line), with the real sender and receiver code on a virtual clock, and
 * prints what each policy achieves side by side. Same seed, same result.
 * @module
 */
import { Command, Option } from "@commander-js/extra-typings";
import { formatBytes, formatRate } from "../../core/config/mod.ts";
import { loadScenario, scenarioNames } from "../../core/scenario/scenario_io.ts";
import type { Scenario } from "../../core/scenario/scenario.ts";
import { scenarioConfig, scenarioLinks } from "../../core/scenario/to_sim.ts";
import { parseSimLinks } from "../../core/sim/link_spec.ts";
import { loadTrace } from "../../core/sim/trace_io.ts";
import type { Trace } from "../../core/sim/traces.ts";
import { runSimulation } from "../../core/sim/simulator.ts";
import type { SimResult } from "../../core/sim/sim_types.ts";
import { createPolicy, isReference, policyNames } from "../../core/scheduler/registry.ts";
import { renderChart } from "../../core/report/svg_chart.ts";
import { durationArg, sizeArg, UserError } from "../common.ts";
import { ProgressLine, simulatedProgress } from "../live_view_io.ts";
import { tapPolicy } from "../../core/status/policy_tap.ts";
import { parseRate } from "../../core/config/mod.ts";

const EXAMPLES = `
Examples:
  bondctl simulate --scenario patent-example
  bondctl simulate --scenario four-modems --policy all --chart four-modems.svg
  bondctl simulate --links 20mbit/20ms,10mbit/30ms,5mbit/40ms,2mbit/75ms --bitrate 12mbit --duration 60s
  bondctl simulate --links trace:fixtures/traces/mahimahi/ATT-LTE-driving.up/30ms,10mbit/40ms \\
    --input video --bitrate 3mbit --json
  bondctl simulate --list-scenarios

A link is RATE[/DELAY][,cost=N][,priority=primary|secondary|backup][,cap=SIZE][,jitter=DUR][,loss=P]
or trace:FILE[/DELAY] (mahimahi, UCC 5G CSV or NYU one-value-per-second files). DELAY is one-way:
20ms means an RTT of 40 ms. Links are numbered from 1 in the order given.
Policies whose names start with ref- are other systems' algorithms, for comparison only.`;

const ROOT = new URL("../../", import.meta.url);

/** What one policy achieved, as printed and as JSON. */
function policyJson(r: SimResult) {
  return {
    name: r.policy,
    reference: isReference(r.policy),
    outcome: r.outcome,
    goodputBps: r.goodputBps,
    efficiency: r.efficiency,
    delayMs: { p50: r.delayMs.p50, p95: r.delayMs.p95, p99: r.delayMs.p99, max: r.delayMs.max },
    onTimeShare: r.onTimeShare,
    resentBytes: r.resentBytes,
    duplicateBytes: r.duplicateBytes,
    copyBytes: r.copyBytes,
    lostBytes: r.lostBytes,
    meanLinksUsed: r.meanLinksUsed,
    completionMs: r.windowMs,
    links: r.links.map((l) => ({ name: l.name, bytes: l.bytes, cost: l.cost })),
  };
}

/**
 * Builds the `simulate` command.
 * @example
 * ```ts
 * program.addCommand(simulateCommand());
 * ```
 */
export function simulateCommand() {
  return new Command("simulate")
    .description("compare scheduling policies on simulated links (deterministic, no network)")
    .option("--scenario <name|file>", "a named scenario (see --list-scenarios) or a JSON file")
    .option("--links <specs>", "comma-separated link specs (see below)")
    .addOption(
      new Option("--input <kind>", "input model with --links").choices([
        "cbr",
        "video",
        "saturating",
        "file",
      ])
        .default("cbr"),
    )
    .option("--bitrate <rate>", "input bitrate for cbr and video, e.g. 12mbit", (s) => {
      try {
        return parseRate(s);
      } catch (e) {
        throw new UserError(`--bitrate: ${(e as Error).message}`);
      }
    })
    .option("--size <size>", "input size for --input file", sizeArg(1))
    .option("--duration <duration>", "how long the input runs", durationArg(100, 24 * 3600_000))
    .option(
      "--buffer <duration>",
      "receiver's buffer period (start and ceiling)",
      durationArg(50, 600_000),
    )
    .option(
      "--buffer-min <duration>",
      "floor of the adaptive buffer period",
      durationArg(10, 600_000),
    )
    .option("--buffer-fixed", "keep the buffer period fixed")
    .option("--policy <name>", `a policy, or all (${policyNames.join(", ")})`, "all")
    .option("--seed <n>", "random seed (default: the scenario's, else 1)", (s) => {
      const n = Number(s);
      if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) {
        throw new UserError("--seed takes 0 to 4294967295");
      }
      return n;
    })
    .option("--json", "print one JSON object for scripts")
    .option("--chart <file.svg>", "draw per-link throughput and delivery delay over time")
    .option("--list-scenarios", "list the shipped scenarios and exit")
    .option("-q, --quiet", "no progress lines")
    .addHelpText("after", EXAMPLES)
    .action(async (opts) => {
      if (opts.listScenarios) {
        for (const n of await scenarioNames()) {
          const s = await loadScenario(n);
          console.log(`${n.padEnd(24)} ${s.description}`);
        }
        return;
      }
      const scenario = await buildScenario(opts);
      const names = opts.policy === "all" ? [...policyNames] : [opts.policy];
      for (const n of names) createPolicy(n); // unknown names fail before any work
      const parsed = scenarioLinks(scenario);
      const traces = new Map<number, Trace>();
      for (const p of parsed) {
        if (p.source.kind !== "trace") continue;
        const path = opts.scenario ? new URL(p.source.path, ROOT).pathname : p.source.path;
        traces.set(p.index, await loadTrace(path, p.source.format));
      }
      const seed = opts.seed ?? scenario.seed ?? 1;
      const results: SimResult[] = [];
      // On a terminal, a progress line in the simulator's virtual time (the policy is tapped
      // to see it: a tapped policy decides exactly as the bare one).
      const bar = new ProgressLine({ quiet: opts.quiet || opts.json });
      for (const [i, name] of names.entries()) {
        const step = `policy ${name} (${i + 1}/${names.length})`;
        if (!opts.quiet && !opts.json) {
          bar.above(() => console.error(`simulate: ${scenario.name}: ${step}...`));
        }
        const onDecision = simulatedProgress(bar, `simulate: ${step}`, scenario.duration);
        const policy = tapPolicy(createPolicy(name), { onDecision }).policy;
        const cfg = scenarioConfig(scenario, parsed, traces, policy, seed);
        results.push(runSimulation(cfg));
      }
      bar.done();
      const capacityBps = results[0]?.capacityBps ?? 0;
      if (opts.json) {
        console.log(JSON.stringify(
          {
            scenario: scenario.name,
            seed,
            capacityBps,
            durationMs: scenario.duration,
            reference: scenario.reference,
            policies: results.map(policyJson),
          },
          null,
          2,
        ));
      } else {
        printTable(scenario, seed, results);
      }
      if (opts.chart) {
        await Deno.writeTextFile(opts.chart, chartOf(scenario, results));
        if (!opts.json) console.log(`chart written to ${opts.chart}`);
      }
      if (results.some((r) => r.outcome === "failed" || r.verifyErrors > 0)) {
        throw new UserError("a simulated session failed or delivered wrong data (see above)");
      }
    });
}

async function buildScenario(opts: {
  scenario?: string;
  links?: string;
  input: string;
  bitrate?: number;
  size?: number;
  duration?: number;
  buffer?: number;
  bufferMin?: number;
  bufferFixed?: true;
}): Promise<Scenario> {
  if (opts.scenario && opts.links) throw new UserError("give --scenario or --links, not both");
  let s: Scenario;
  if (opts.scenario) {
    s = await loadScenario(opts.scenario);
  } else if (opts.links) {
    const links = parseSimLinks(opts.links).map((l) => l.raw);
    let input: Scenario["input"];
    if (opts.input === "saturating") input = { kind: "saturating" };
    else if (opts.input === "file") {
      if (!opts.size) throw new UserError("--input file needs --size");
      input = { kind: "file", size: opts.size };
    } else {
      if (!opts.bitrate) throw new UserError(`--input ${opts.input} needs --bitrate`);
      input = opts.input === "video"
        ? { kind: "video", rate: opts.bitrate }
        : { kind: "cbr", rate: opts.bitrate };
    }
    s = {
      name: "ad-hoc",
      description: "links from the command line",
      links,
      input,
      duration: 60_000,
    };
  } else {
    throw new UserError("give --scenario NAME or --links SPECS (see --help)");
  }
  return {
    ...s,
    ...(opts.duration !== undefined ? { duration: opts.duration } : {}),
    ...(opts.buffer !== undefined ? { buffer: opts.buffer } : {}),
    ...(opts.bufferMin !== undefined ? { bufferMin: opts.bufferMin } : {}),
    ...(opts.bufferFixed ? { bufferFixed: true } : {}),
  };
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)} %`;
}

function printTable(s: Scenario, seed: number, results: SimResult[]): void {
  const cap = results[0]?.capacityBps ?? 0;
  console.log(`scenario ${s.name} (seed ${seed}): ${s.description}`);
  console.log(`links: ${s.links.join("  ")}; offered capacity ${formatRate(cap)}`);
  const head = [
    "policy",
    "goodput",
    "effic.",
    "p50",
    "p95",
    "p99",
    "max",
    "on time",
    "resent",
    "dup",
    "links",
  ];
  const widths = [20, 14, 8, 8, 8, 8, 8, 9, 10, 10, 6];
  const row = (cells: string[]) =>
    cells.map((c, i) => i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i])).join("");
  console.log(row(head));
  const ms = (v: number) => `${Math.round(v)}ms`;
  for (const r of results) {
    const name = (isReference(r.policy) ? "(ref) " : "") + r.policy +
      (r.outcome === "complete" ? "" : ` [${r.outcome}]`);
    console.log(row([
      name,
      formatRate(r.goodputBps),
      pct(r.efficiency),
      ms(r.delayMs.p50),
      ms(r.delayMs.p95),
      ms(r.delayMs.p99),
      ms(r.delayMs.max),
      pct(r.onTimeShare),
      formatBytes(r.resentBytes),
      formatBytes(r.duplicateBytes + r.copyBytes),
      r.meanLinksUsed.toFixed(2),
    ]));
  }
  console.log("\nbytes per link (cost):");
  for (const r of results) {
    const parts = r.links.map((l) =>
      `${l.name} ${formatBytes(l.bytes)}${l.cost ? ` (${l.cost.toFixed(2)})` : ""}`
    );
    console.log(`  ${r.policy.padEnd(20)} ${parts.join("  ")}`);
  }
  if (s.input.kind === "file") {
    console.log("\ncompletion time of the file:");
    for (const r of results) {
      console.log(`  ${r.policy.padEnd(20)} ${(r.windowMs / 1000).toFixed(2)} s`);
    }
  }
  if (s.reference) {
    const kbit = (b: number) => `${Math.round((b * 8) / 1000)} kb`;
    console.log(`\n${s.reference.label}: ${s.reference.splitBytes.map(kbit).join(" / ")}`);
    for (const r of results) {
      console.log(`  ${r.policy.padEnd(20)} ${r.links.map((l) => kbit(l.bytes)).join(" / ")}`);
    }
  }
  const lost = results.filter((r) => r.lostBytes > 0);
  for (const r of lost) {
    console.log(`warning: ${r.policy} lost ${r.lostBytes} bytes by the end of the run`);
  }
}

/** `trace:dir/dir/file.up/30ms` as `trace:file.up/30ms`, so a chart's title fits. */
function shortLink(spec: string): string {
  if (!spec.startsWith("trace:")) return spec;
  const parts = spec.slice(6).split("/");
  const keep = /^\d/.test(parts.at(-1) ?? "") ? 2 : 1;
  return `trace:${parts.slice(-keep).join("/")}`;
}

function chartOf(s: Scenario, results: SimResult[]): string {
  // Per-link detail for the default policy when it ran, else for the first one.
  const first = results.find((r) => r.policy === "earliest") ?? results[0];
  const secs = (ms: number) => ms / 1000;
  return renderChart({
    // Trace paths shortened to their file names, so the title fits.
    title: `${s.name}: ${s.links.map(shortLink).join(", ")}`,
    xLabel: "time (s)",
    panels: [
      {
        title: `per-link throughput (${first.policy})`,
        yLabel: "bit/s",
        series: first.links.map((l, i) => ({
          name: l.name,
          points: first.timeline.map((t) => [secs(t.tMs), t.linkBps[i] ?? 0] as [number, number]),
        })),
      },
      {
        title: "delivery delay (max per interval)",
        yLabel: "ms",
        series: results.map((r) => ({
          name: r.policy,
          points: r.timeline.filter((t) => t.delayMs !== null)
            .map((t) => [secs(t.tMs), t.delayMs as number] as [number, number]),
        })),
      },
      {
        title: `receiver's buffer period (${first.policy})`,
        yLabel: "ms",
        series: [{
          name: "buffer",
          points: first.timeline.map((t) => [secs(t.tMs), t.bufferMs] as [number, number]),
        }],
      },
    ],
  });
}
