/**
 * `deno task soak`: a long run of real `bondctl send` and `receive` processes over four
 * emulated links (`tests/_helpers/fault_lab.ts`), fed at a steady 50 Mbit/s, with a fault
 * injected every 30 s. At the end the output's SHA-256 must equal the input's, and the
 * resident memory of both processes, sampled every 5 s, must not grow after warm-up by more
 * than the stated bound.
 *
 *   deno task soak                                  # 10 minutes, 50 Mbit/s, a fault every 30 s
 *   deno task soak --minutes 2 --rate 20mbit
 *   deno task soak --duration 60s --fault-every 15s --json
 *
 * The faults, in turn, each on the next link (1, 2, 3, 4, 1, ...), each lasting until the
 * next one starts: a cut (connections reset, new ones refused), silence (bytes held, nothing
 * closed; over 10 s the sender closes the link and dials again), and a rate drop to a fifth.
 * Every fault is undone when the input ends, so that the end of the stream is not what is
 * measured. Exit 0 when nothing was lost and memory stayed within bound, 1 otherwise, 2 on a
 * usage error.
 * @module
 */
import { z } from "zod";
import {
  formatDuration,
  formatRate,
  parseDuration,
  parseRate,
  parseSize,
} from "../../core/config/mod.ts";
import { parseSimLinks } from "../../core/sim/link_spec.ts";
import { mib, openFaultRig, PacedFeed, RssSampler, slope } from "../_helpers/fault_lab.ts";

/** What a soak run does; see the module comment for the defaults. */
export interface SoakOptions {
  durationMs: number;
  /** Input rate (bit/s). */
  rateBps: number;
  /** Emulated links (`simulate`'s specs, fixed rates). */
  links: string;
  faultEveryMs: number;
  /** RSS is compared with its value at this point (ms from the start). */
  warmupMs: number;
  /** After warm-up, no sample of either process may exceed its warm-up value by more. */
  maxGrowthBytes: number;
  sampleEveryMs: number;
  seed: number;
}

/** Memory of one process over the run. */
export interface RssFigures {
  startBytes: number;
  warmBytes: number;
  endBytes: number;
  maxAfterWarmBytes: number;
  /** Least-squares slope of the samples after warm-up (bytes per minute). */
  slopeBytesPerMin: number;
  growthBytes: number;
}

/** What a soak run found. */
export interface SoakReport {
  ok: boolean;
  failures: string[];
  seconds: number;
  rateBps: number;
  links: string;
  inputBytes: number;
  outputBytes: number;
  inputSha: string;
  outputSha: string;
  /** How far the paced input fell behind at worst (ms): the bond did not keep up. */
  feedLagMs: number;
  /** Each fault, and the longest pause of the output within 5 s of it (ms). */
  faults: { atS: number; what: string; stallMs: number }[];
  rss: { sender: RssFigures | null; receiver: RssFigures | null };
  maxGrowthBytes: number;
  samples: { t: number; rss: Record<string, number> }[];
}

type FaultKind = "cut" | "silence" | "rate drop";
const KINDS: readonly FaultKind[] = ["cut", "silence", "rate drop"];

/**
 * Runs one soak; `log` gets a line per event. Never throws for a failed check: see `ok`.
 * @example
 * ```ts
 * const r = await runSoak({ ...DEFAULTS, durationMs: 60_000 }, console.log);
 * ```
 */
export async function runSoak(o: SoakOptions, log: (line: string) => void): Promise<SoakReport> {
  const parsed = parseSimLinks(o.links);
  const linkRates = parsed.map((l) => {
    if (l.source.kind !== "rate") throw new Error(`soak: link ${l.index} needs a fixed rate`);
    return l.source.bps;
  });
  const rig = await openFaultRig({ links: parsed.map((l) => l.raw), seed: o.seed });
  const failures: string[] = [];
  try {
    const sampler = RssSampler.start({
      sender: rig.sender.child.pid,
      receiver: rig.receiver.child.pid,
    }, o.sampleEveryMs);
    const feed = new PacedFeed(rig.sender.child.stdin, {
      bytesPerSecond: o.rateBps / 8,
      seed: o.seed,
    });
    const t0 = performance.now();
    const at = () => (performance.now() - t0) / 1000;
    const faults: { atS: number; what: string; t: number }[] = [];
    // The fault in force, and how to end it (an object: the timer's closure assigns it).
    const active: { undo: (() => void) | null } = { undo: null };
    let n = 0;
    const timer = setInterval(() => {
      active.undo?.();
      const kind = KINDS[n % KINDS.length];
      const link = (n % linkRates.length) + 1;
      n++;
      let what: string;
      if (kind === "cut") {
        rig.emu.cut(link, "closed");
        active.undo = () => rig.emu.restore(link);
        what = `cut link ${link}`;
      } else if (kind === "silence") {
        rig.emu.cut(link, "silent");
        active.undo = () => rig.emu.restore(link);
        what = `silence link ${link}`;
      } else {
        const bps = linkRates[link - 1] / 5;
        rig.emu.setRate(link, bps);
        active.undo = () => rig.emu.setRate(link, linkRates[link - 1]);
        what = `link ${link} down to ${formatRate(bps)}`;
      }
      faults.push({ atS: at(), what, t: performance.now() });
      log(`soak: ${at().toFixed(0)} s: ${what} (until the next fault)`);
    }, o.faultEveryMs);
    const progress = setInterval(() => {
      const last = sampler.samples.at(-1);
      const rss = last ? Object.entries(last.rss).map(([k, v]) => `${k} ${mib(v)}`).join(", ") : "";
      log(
        `soak: ${at().toFixed(0)} s: in ${mib(feed.written)}, out ${mib(rig.output.bytes)}; ` +
          `RSS ${rss}`,
      );
    }, 30_000);
    await feed.run(o.durationMs);
    clearInterval(timer);
    clearInterval(progress);
    active.undo?.();
    log(`soak: ${at().toFixed(0)} s: input ended; every fault undone; waiting for the end`);
    const exits = await rig.bothExited(120_000).catch((e) => {
      failures.push((e as Error).message.split("\n")[0]);
      return null;
    });
    await sampler.stop();
    const seconds = at();
    const out = exits ? await rig.output.done : { bytes: rig.output.bytes, sha: "" };
    if (exits && exits.sender.code !== 0) {
      failures.push(`the sender exited ${exits.sender.code}: ${lastError(exits.sender.stderr)}`);
    }
    if (exits && exits.receiver.code !== 0) {
      failures.push(
        `the receiver exited ${exits.receiver.code}: ${lastError(exits.receiver.stderr)}`,
      );
    }
    if (out.bytes !== feed.written) {
      failures.push(`${feed.written - out.bytes} bytes lost (${out.bytes} of ${feed.written})`);
    } else if (out.sha !== feed.sha()) {
      failures.push("the output's SHA-256 differs from the input's (same length)");
    }
    const rss = {
      sender: rssFigures(sampler.samples, "sender", o.warmupMs),
      receiver: rssFigures(sampler.samples, "receiver", o.warmupMs),
    };
    for (const [name, f] of Object.entries(rss)) {
      if (f === null) failures.push(`no RSS samples of the ${name} after warm-up`);
      else if (f.growthBytes > o.maxGrowthBytes) {
        failures.push(
          `the ${name}'s RSS grew ${mib(f.growthBytes)} after warm-up (bound ${
            mib(o.maxGrowthBytes)
          })`,
        );
      }
    }
    return {
      ok: failures.length === 0,
      failures,
      seconds,
      rateBps: o.rateBps,
      links: o.links,
      inputBytes: feed.written,
      outputBytes: out.bytes,
      inputSha: feed.sha(),
      outputSha: out.sha,
      feedLagMs: Math.round(feed.lagMs),
      faults: faults.map((f) => ({
        atS: Math.round(f.atS),
        what: f.what,
        stallMs: Math.round(rig.output.longestGap(f.t, f.t + 5000)),
      })),
      rss,
      maxGrowthBytes: o.maxGrowthBytes,
      samples: sampler.samples.map((s) => ({ t: Math.round(s.t), rss: s.rss })),
    };
  } finally {
    await rig.close();
  }
}

/** The first `bondctl: error:` line, or the last line. */
function lastError(stderr: string): string {
  const lines = stderr.split("\n").filter((l) => l.trim() !== "");
  return lines.find((l) => l.startsWith("bondctl: error:")) ?? lines.at(-1) ?? "";
}

function rssFigures(
  samples: { t: number; rss: Record<string, number> }[],
  name: string,
  warmupMs: number,
): RssFigures | null {
  const all = samples.filter((s) => s.rss[name] !== undefined);
  const after = all.filter((s) => s.t >= warmupMs);
  if (all.length === 0 || after.length === 0) return null;
  const warm = after[0].rss[name];
  const maxAfter = Math.max(...after.map((s) => s.rss[name]));
  return {
    startBytes: all[0].rss[name],
    warmBytes: warm,
    endBytes: after.at(-1)!.rss[name],
    maxAfterWarmBytes: maxAfter,
    slopeBytesPerMin: Math.round(
      slope(after.map((s) => s.t / 60_000), after.map((s) => s.rss[name])),
    ),
    growthBytes: maxAfter - warm,
  };
}

/** One line per process: start, after warm-up, end, slope. */
export function rssLine(name: string, f: RssFigures | null): string {
  if (f === null) return `${name}: no RSS samples`;
  return `${name} RSS: start ${mib(f.startBytes)}, after warm-up ${mib(f.warmBytes)}, ` +
    `end ${mib(f.endBytes)}, max after warm-up ${mib(f.maxAfterWarmBytes)} ` +
    `(+${mib(f.growthBytes)}), slope ${(f.slopeBytesPerMin / 2 ** 20).toFixed(2)} MiB/min`;
}

const USAGE = "usage: deno task soak [--minutes N | --duration DUR] [--rate RATE] " +
  "[--links SPECS] [--fault-every DUR] [--warmup DUR] [--max-growth SIZE] [--seed N] [--json]";

const unit = <T>(parse: (s: string) => T) =>
  z.string().transform((s, ctx) => {
    try {
      return parse(s);
    } catch (e) {
      ctx.addIssue({ code: "custom", message: (e as Error).message });
      return z.NEVER;
    }
  });

const argsSchema = z.object({
  minutes: z.coerce.number().positive().max(24 * 60).optional(),
  duration: unit(parseDuration).pipe(
    z.number().min(10_000, "at least 10s").max(86_400_000, "at most 24h"),
  )
    .optional(),
  rate: unit(parseRate).default(50_000_000),
  links: z.string().default("25mbit/20ms,25mbit/30ms,25mbit/40ms,25mbit/50ms"),
  "fault-every": unit(parseDuration).pipe(z.number().min(2000, "at least 2s")).default(30_000),
  warmup: unit(parseDuration).optional(),
  "max-growth": unit(parseSize).pipe(z.number().positive()).default(48 * 2 ** 20),
  seed: z.coerce.number().int().min(0).max(0xffff_ffff).default(1),
  json: z.boolean().default(false),
});

function parseArgs(argv: string[]): { o: SoakOptions; json: boolean } {
  const raw: Record<string, string | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--json") {
      raw.json = true;
      continue;
    }
    const m = /^--(minutes|duration|rate|links|fault-every|warmup|max-growth|seed)$/.exec(a);
    if (!m || i + 1 >= argv.length) throw new Error(`unknown or incomplete argument ${a}`);
    raw[m[1]] = argv[++i];
  }
  const parsed = argsSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`--${issue.path.join(".")}: ${issue.message}`);
  }
  const a = parsed.data;
  if (a.minutes !== undefined && a.duration !== undefined) {
    throw new Error("give --minutes or --duration, not both");
  }
  const durationMs = a.duration ?? (a.minutes ?? 10) * 60_000;
  const warmupMs = a.warmup ?? Math.min(60_000, durationMs / 3);
  if (warmupMs >= durationMs) throw new Error("--warmup must be shorter than the run");
  parseSimLinks(a.links); // a bad spec fails here, with its number
  return {
    o: {
      durationMs,
      rateBps: a.rate,
      links: a.links,
      faultEveryMs: a["fault-every"],
      warmupMs,
      maxGrowthBytes: a["max-growth"],
      sampleEveryMs: 5000,
      seed: a.seed,
    },
    json: a.json,
  };
}

if (import.meta.main) {
  let args;
  try {
    args = parseArgs(Deno.args);
  } catch (e) {
    console.error(`soak: error: ${(e as Error).message}\n${USAGE}`);
    Deno.exit(2);
  }
  const { o, json } = args;
  console.error(
    `soak: ${formatDuration(o.durationMs)} at ${formatRate(o.rateBps)} over ${o.links}; ` +
      `a fault every ${formatDuration(o.faultEveryMs)}; RSS every ${
        formatDuration(o.sampleEveryMs)
      }, bound +${mib(o.maxGrowthBytes)} after ${formatDuration(o.warmupMs)} of warm-up`,
  );
  const r = await runSoak(o, (l) => console.error(l));
  const lines = [
    `soak: ${r.ok ? "ok" : "FAILED"}: ${mib(r.outputBytes)} of ${mib(r.inputBytes)} delivered ` +
    `in ${r.seconds.toFixed(0)} s, SHA-256 ${r.outputSha === r.inputSha ? "equal" : "DIFFERENT"}` +
    ` (${r.inputSha.slice(0, 16)}...); ${r.faults.length} faults; input lag at worst ` +
    `${r.feedLagMs} ms`,
    ...r.faults.map((f) => `  ${f.atS} s: ${f.what}: output paused at most ${f.stallMs} ms`),
    `  ${rssLine("sender", r.rss.sender)}`,
    `  ${rssLine("receiver", r.rss.receiver)}`,
    ...r.failures.map((f) => `  FAILED: ${f}`),
  ];
  for (const l of lines) console.error(l);
  if (json) console.log(JSON.stringify(r));
  Deno.exit(r.ok ? 0 : 1);
}
