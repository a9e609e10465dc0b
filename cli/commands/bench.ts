/**
 * `bondctl bench`: races the bond (each policy asked for) against the kernel's MPTCP and the
 * best single link over plain TCP, one after the other on the same links, and reports
 * goodput, efficiency, delivery delay, CPU per GB, peak RSS, lost bytes and the longest stall.
 * Links are shaped kernel links in two network namespaces (`--lab netns`, root) or user-space
 * emulated links on loopback (`--lab loopback`). Faults can be scheduled in either.
 * @module
 */
import { Command, InvalidArgumentError, Option } from "@commander-js/extra-typings";
import { z } from "zod";
import { formatRate, OptionError, parseRate } from "../../core/config/mod.ts";
import { parseSimLinks } from "../../core/sim/link_spec.ts";
import { loadTrace } from "../../core/sim/trace_io.ts";
import { isReference, policyNames } from "../../core/scheduler/registry.ts";
import { startEmulator } from "../../core/emulator/relay_io.ts";
import {
  benchChart,
  BenchError,
  benchReport,
  benchTable,
  bestLink,
  checkFaults,
  CONTENDER_GROUPS,
  type ContenderGroup,
  describeFault,
  type Fault,
  parseCut,
  parseRestore,
  parseSetRate,
  planContenders,
  recordSizeFor,
} from "../../core/bench/mod.ts";
import {
  type BenchLab,
  type LabLinkInput,
  loopbackLab,
  netnsLab,
} from "../../core/bench/lab_io.ts";
import { requireRoot } from "../../core/bench/netns_io.ts";
import { type ContenderRun, runContender } from "../../core/bench/run_io.ts";
import { durationArg, sizeArg, UserError } from "../common.ts";
import { ProgressLine, StepsProgress } from "../live_view_io.ts";
import { selfCommand } from "./demo.ts";

const EXAMPLES = `
Examples:
  sudo bondctl bench --lab netns --links 20mbit,10mbit,5mbit,2mbit --duration 20s --chart bench.svg
  sudo bondctl bench --lab netns --links 20mbit,10mbit,5mbit,2mbit --cut 1@5s --json
  sudo bondctl bench --lab netns --links 25mbit,25mbit,25mbit,25mbit --policy all
  sudo bondctl bench --lab netns --links 20mbit,10mbit --cut 2@4s:blackhole --restore 2@9s
  bondctl bench --lab loopback --links 20mbit/20ms,10mbit/30ms,trace:FILE/40ms --duration 20s
  bondctl bench --lab loopback --links 10mbit/20ms,10mbit/40ms --bitrate 90% --set-rate 1=2mbit@5s

Links are those of simulate: RATE[/DELAY][,jitter=DUR][,loss=P] or trace:FILE[/DELAY] (mahimahi,
UCC 5G CSV or NYU one-value-per-second files), DELAY one-way, numbered from 1. In --lab netns
each link is a veth pair shaped by tbf at both ends (a queue of 100 ms of the rate), with no
delay unless a DELAY is typed (then a user-space relay adds it: this kernel has no netem); in
--lab loopback every link passes a user-space relay and DELAY defaults to 20 ms.

Contenders race one after another, each for --duration from its first delivered byte:
bondctl-POLICY (--policy, or all), single-best (the fastest link alone, plain TCP) and
kernel-mptcp (netns only; cubic per socket, the kernel's best here). The source writes
records stamped with their send time; delay is measured from that stamp to the sink, so a
saturating source also measures what waits in the sender (use --bitrate for a paced one).
Faults count from the first delivered byte: --cut N@T (both ends down / the relay resets),
--cut N@T:blackhole (packets silently dropped / the relay holds them), --restore N@T,
--set-rate N=RATE@T.

Exit status: 0 when the bench ran (each contender's status is in the report), 1 when it could
not run (no root for netns, a tool missing), 2 on a usage error.`;

/** Wraps a parser so that commander reports a bad value against its flag (exit 2). */
function arg<T>(parse: (s: string) => T): (s: string) => T {
  return (s) => {
    try {
      return parse(s);
    } catch (e) {
      if (e instanceof OptionError || e instanceof z.ZodError) {
        throw new InvalidArgumentError(e instanceof z.ZodError ? e.issues[0].message : e.message);
      }
      throw e;
    }
  };
}

function collect(parse: (s: string) => Fault) {
  const p = arg(parse);
  return (value: string, previous: Fault[] = []) => [...previous, p(value)];
}

const bondPolicies = policyNames.filter((n) => !isReference(n));
const policySchema = z.string().refine(
  (s) => s === "all" || (bondPolicies as string[]).includes(s),
  `expected one of ${[...bondPolicies, "all"].join(", ")}`,
);
const contendersSchema = z.string().transform((s) => s.split(",").map((x) => x.trim())).pipe(
  z.array(z.enum(CONTENDER_GROUPS, {
    error: () => `expected a comma-separated list of ${CONTENDER_GROUPS.join(", ")}`,
  })).min(1),
);
const ccSchema = z.string().regex(/^[a-z][a-z0-9_]{0,15}$/, "expected a congestion control name");
const seedSchema = z.coerce.number().int("expected an integer").min(0).max(0xffffffff);
/** `--bitrate 30mbit` or `--bitrate 90%` (of the sum of the links' rates). */
const bitrateSchema = z.string().transform((s, ctx) => {
  const pct = /^(\d+(?:\.\d+)?)%$/.exec(s.trim());
  if (pct) {
    const v = Number(pct[1]);
    if (v > 0 && v <= 200) return { kind: "share" as const, value: v / 100 };
    ctx.addIssue({ code: "custom", message: "a share must be above 0 % and at most 200 %" });
    return z.NEVER;
  }
  try {
    return { kind: "bps" as const, value: parseRate(s) };
  } catch (e) {
    ctx.addIssue({ code: "custom", message: (e as Error).message });
    return z.NEVER;
  }
});
const relaySchema = z.object({
  links: z.array(z.string()).min(1),
  target: z.string(),
  host: z.string(),
  seed: z.number().int().min(0),
});

/**
 * Builds the `bench` command.
 * @example
 * ```ts
 * program.addCommand(benchCommand());
 * ```
 */
export function benchCommand() {
  return new Command("bench")
    .description("race the bond against kernel MPTCP and the best single link on the same links")
    .addOption(
      new Option("--lab <lab>", "netns: shaped veth links in namespaces (root); loopback: emulated")
        .choices(["netns", "loopback"] as const).default("loopback" as const),
    )
    .option("--links <specs>", "comma-separated link specs (see below)")
    .option(
      "--duration <duration>",
      "how long each contender runs, from its first delivered byte",
      durationArg(1000, 3600_000),
      20_000,
    )
    .option(
      "--policy <name>",
      `bondctl's policy, or all (${bondPolicies.join(", ")})`,
      arg((s) => policySchema.parse(s)),
      "earliest",
    )
    .option(
      "--contenders <list>",
      `which contenders race (${CONTENDER_GROUPS.join(",")})`,
      arg((s) => contendersSchema.parse(s) as ContenderGroup[]),
    )
    .option(
      "--bitrate <rate>",
      "pace the source (e.g. 30mbit, or 90% of the links' sum) instead of saturating",
      arg((s) => bitrateSchema.parse(s)),
    )
    .option(
      "--cut <N@T>",
      "cut link N at time T; N@T:blackhole drops its packets silently (repeat)",
      collect(parseCut),
    )
    .option("--restore <N@T>", "end a cut of link N at time T (repeat)", collect(parseRestore))
    .option(
      "--set-rate <N=RATE@T>",
      "link N carries RATE from time T (repeat)",
      collect(parseSetRate),
    )
    .option(
      "--kernel-cc <name>",
      "congestion control of the kernel contenders",
      arg((s) => ccSchema.parse(s)),
      "cubic",
    )
    .option(
      "--notsent-lowat <size>",
      "TCP_NOTSENT_LOWAT of the kernel contenders (0: the kernel's default)",
      sizeArg(0),
      128 * 1024,
    )
    .option(
      "--drain <duration>",
      "how long a stream may take to end after its window",
      durationArg(1000, 600_000),
      20_000,
    )
    .option(
      "--seed <n>",
      "seed of the emulator's jitter and loss",
      arg((s) => seedSchema.parse(s)),
      1,
    )
    .option("--json", "print one JSON object for scripts")
    .option("--chart <file.svg>", "draw goodput over time and the delay distribution")
    .option("-q, --quiet", "no progress lines")
    .addOption(new Option("--relay-for <json>", "internal: run delay relays").hideHelp())
    .addHelpText("after", EXAMPLES)
    .action(async (opts) => {
      if (opts.relayFor) return await serveRelays(opts.relayFor);
      if (!opts.links) {
        throw new UserError("give --links SPECS, e.g. --links 20mbit,10mbit (see --help)");
      }
      // On a terminal, a progress line (contender, elapsed of the planned total) under the log.
      const bar = new ProgressLine({ quiet: opts.quiet });
      const log = (line: string) =>
        void (!opts.quiet && bar.above(() => console.error(`bondctl bench: ${line}`)));
      const links = await loadLinks(opts.links, opts.lab);
      const durationMs = opts.duration;
      let faults: Fault[];
      try {
        faults = checkFaults(
          [...(opts.cut ?? []), ...(opts.restore ?? []), ...(opts.setRate ?? [])],
          links.length,
          durationMs,
        );
      } catch (e) {
        if (e instanceof OptionError) throw new UserError(e.message);
        throw e;
      }
      const capacity = links.reduce((a, l) => a + l.bps, 0);
      const paceBps = opts.bitrate === undefined
        ? null
        : opts.bitrate.kind === "share"
        ? opts.bitrate.value * capacity
        : opts.bitrate.value;
      const policies = opts.policy === "all" ? bondPolicies : [opts.policy];
      const contenders = planContenders(policies, opts.contenders ?? [...CONTENDER_GROUPS]);
      const best = bestLink(links.map((l) => l.bps));
      const self = selfCommand();
      const bondctl = [self.cmd, ...self.args];
      const pipe = pipeArgv();
      if (opts.lab === "netns") {
        try {
          requireRoot();
        } catch (e) {
          throw new UserError((e as Error).message);
        }
      }

      const children = new Set<Deno.ChildProcess>();
      const dir = await Deno.makeTempDir({ prefix: "bondctl-bench-" });
      let lab: BenchLab | null = null;
      let interrupted = false;
      const onSignal = () => {
        if (interrupted) Deno.exit(130);
        interrupted = true;
        console.error("bondctl bench: interrupted: stopping the contenders and removing the lab");
        for (const c of children) {
          try {
            c.kill("SIGKILL");
          } catch { /* gone */ }
        }
        (lab?.close() ?? Promise.resolve())
          .finally(() => Deno.remove(dir, { recursive: true }).catch(() => {}))
          .finally(() => Deno.exit(130));
      };
      Deno.addSignalListener("SIGINT", onSignal);
      Deno.addSignalListener("SIGTERM", onSignal);
      const runs: ContenderRun[] = [];
      let steps: StepsProgress | null = null;
      const quantiles = new Map<string, (q: number) => number>();
      try {
        const tokenFile = `${dir}/token`;
        await Deno.writeTextFile(tokenFile, `bench-${crypto.randomUUID()}\n`);
        log(`building the ${opts.lab} lab: ${links.map((l) => l.parsed.raw).join(", ")}`);
        lab = opts.lab === "netns"
          ? await netnsLab({
            links,
            tag: String(Deno.pid),
            relayArgv: (json) => [...bondctl, "bench", "--relay-for", json],
            seed: opts.seed,
            log,
          })
          : loopbackLab(links, opts.seed);
        for (const f of faults) log(`fault planned: ${describeFault(f)}`);
        steps = new StepsProgress(bar, "bench", contenders.length, durationMs);
        for (const [i, c] of contenders.entries()) {
          const skip = c.kind !== "bond" && !pipe
            ? "the kernel contenders' socket program runs under deno, which is not here"
            : c.kind === "mptcp"
            ? lab.mptcpProblem
            : null;
          if (skip) {
            log(`[${i + 1}/${contenders.length}] ${c.name}: skipped: ${skip}`);
            runs.push(skipped(c, skip));
            continue;
          }
          log(`[${i + 1}/${contenders.length}] ${c.name}: running for ${durationMs / 1000} s`);
          steps.step(i, c.name);
          const r = await runContender({
            lab,
            contender: c,
            links: links.length,
            best,
            durationMs,
            recordBytes: recordSizeFor(capacity),
            paceBps,
            faults,
            bondctl,
            pipe: pipe ?? [],
            tokenFile,
            kernelCc: opts.kernelCc,
            notsentLowat: opts.notsentLowat,
            drainMs: opts.drain,
            log,
            children,
          });
          runs.push(r);
          if (r.sink) quantiles.set(c.name, (q) => r.sink!.histogram.quantile(q));
          log(
            `${c.name}: ${r.status}` +
              (r.sink ? `, ${formatRate(r.sink.goodputBps)}, lost ${r.lostBytes} bytes` : "") +
              (r.note ? ` (${r.note})` : ""),
          );
        }
      } catch (e) {
        if (e instanceof BenchError) throw new UserError(e.message);
        throw e;
      } finally {
        steps?.stop();
        for (const c of children) {
          try {
            c.kill("SIGKILL");
          } catch { /* gone */ }
        }
        await lab?.close();
        await Deno.remove(dir, { recursive: true }).catch(() => {});
        Deno.removeSignalListener("SIGINT", onSignal);
        Deno.removeSignalListener("SIGTERM", onSignal);
      }
      const report = benchReport({
        lab: opts.lab,
        links: links.map((l) => ({
          index: l.parsed.index,
          spec: l.parsed.raw,
          bps: l.bps,
          delayMs: opts.lab === "netns" && !l.delayGiven ? 0 : l.parsed.delayMs,
        })),
        durationMs,
        paceBps,
        faults: faults.map(describeFault),
        best,
        kernelCc: opts.kernelCc,
        seed: opts.seed,
        recordBytes: recordSizeFor(capacity),
      }, runs);
      if (opts.json) console.log(JSON.stringify(report, null, 2));
      else for (const line of benchTable(report)) console.log(line);
      if (opts.chart) {
        await Deno.writeTextFile(opts.chart, benchChart(report, quantiles));
        if (!opts.json) console.log(`chart written to ${opts.chart}`);
      }
    });
}

function skipped(c: ContenderRun["contender"], note: string): ContenderRun {
  return {
    contender: c,
    status: "skipped",
    note,
    sink: null,
    sentBytes: 0,
    lostBytes: 0,
    client: null,
    server: null,
  };
}

/** Parses --links and loads traces; knows whether each DELAY was typed. */
async function loadLinks(specs: string, lab: "netns" | "loopback"): Promise<LabLinkInput[]> {
  let parsed;
  try {
    parsed = parseSimLinks(specs);
  } catch (e) {
    if (e instanceof OptionError) throw new UserError(`--links: ${e.message}`);
    throw e;
  }
  const out: LabLinkInput[] = [];
  for (const p of parsed) {
    const head = p.raw.split(",")[0].trim();
    const trace = p.source.kind === "trace"
      ? await loadTrace(p.source.path, p.source.format).catch((e) => {
        throw new UserError(`--links: ${(e as Error).message}`);
      })
      : undefined;
    const delayGiven = p.source.kind === "rate"
      ? head.includes("/")
      : head !== `trace:${p.source.path}`;
    const bps = p.source.kind === "rate" ? p.source.bps : trace!.meanBps;
    if (lab === "netns" && p.loss > 0) {
      throw new UserError(
        `--links: link ${p.index}: loss= needs --lab loopback (tbf does not drop at random)`,
      );
    }
    if (!(bps >= 8000)) throw new UserError(`--links: link ${p.index} must carry at least 8kbit`);
    out.push({ parsed: p, trace, bps, delayGiven });
  }
  return out;
}

/** How to start the kernel contenders' socket program, or null without deno. */
function pipeArgv(): string[] | null {
  const exec = Deno.execPath();
  if (!/(^|\/)deno(\.exe)?$/.test(exec)) return null;
  const script = new URL("../../core/bench/socket_pipe_io.ts", import.meta.url).pathname;
  return [exec, "run", "--quiet", "--allow-ffi", "--allow-read", script];
}

/** `--relay-for JSON` (internal): delay relays for the netns lab, until SIGTERM or stdin ends. */
async function serveRelays(json: string): Promise<void> {
  let cfg;
  try {
    cfg = relaySchema.parse(JSON.parse(json));
  } catch (e) {
    throw new UserError(`--relay-for: not a relay configuration: ${(e as Error).message}`);
  }
  const emu = await startEmulator({ ...cfg, rateLimit: false });
  console.error(`relay ports ${emu.ports.join(",")}`);
  await new Promise<void>((resolve) => {
    Deno.addSignalListener("SIGTERM", resolve);
    Deno.addSignalListener("SIGINT", resolve);
    (async () => {
      const buf = new Uint8Array(1024);
      while ((await Deno.stdin.read(buf)) !== null) { /* wait */ }
      resolve();
    })();
  });
  await emu.close();
  Deno.exit(0);
}
