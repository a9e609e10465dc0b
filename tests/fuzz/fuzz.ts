/**
 * `deno task fuzz`: throws random and mutated frames and frame sequences at the decoder and at
 * the session state machine (see `_decoder.ts` and `_session.ts` for what is checked), and
 * prints one line per target and a JSON summary. It needs no permission at all: the core it
 * fuzzes is pure.
 *
 *   deno task fuzz                               # 1,000,000 cases per target, a fresh seed
 *   deno task fuzz --seed 1234 --cases 200000    # the same run again
 *   deno task fuzz --target session --replay 987654321   # one failing sequence, alone
 *
 * Targets: decoder (FrameReader and decodeFrame), session (one endpoint, a hostile peer), pair
 * (two endpoints, links that die and stall). Exit 0 if every check held, 1 on the first failure
 * (which prints the seed that replays it).
 * @module
 */
import { z } from "zod";
import { fuzz, FuzzFailure, runSequence, type Target, type TargetReport, TARGETS } from "./_run.ts";

const argsSchema = z.object({
  seed: z.coerce.number().int().min(0).max(0xffff_ffff).optional(),
  cases: z.coerce.number().int().min(1).default(1_000_000),
  target: z.enum([...TARGETS, "all"]).default("all"),
  replay: z.coerce.number().int().min(0).max(0xffff_ffff).optional(),
});

function parseArgs(argv: string[]) {
  const raw: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const m = /^--(seed|cases|target|replay)$/.exec(argv[i]);
    if (!m || i + 1 >= argv.length) {
      throw new Error(`unknown or incomplete argument ${argv[i]}: --seed N --cases N --target T`);
    }
    raw[m[1]] = argv[++i];
  }
  const parsed = argsSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`--${issue.path.join(".")}: ${issue.message}`);
  }
  return parsed.data;
}

function line(r: TargetReport): string {
  const seen = Object.entries(r.seen).slice(0, 6).map(([k, v]) => `${k} ${v}`).join(", ");
  return `${r.target.padEnd(8)} ${String(r.cases).padStart(9)} cases ` +
    `${String(r.sequences).padStart(8)} sequences ${(r.ms / 1000).toFixed(1).padStart(6)} s  ` +
    `seed ${r.seed}  (${seen})`;
}

if (import.meta.main) {
  let args;
  try {
    args = parseArgs(Deno.args);
  } catch (e) {
    console.error(`fuzz: ${(e as Error).message}`);
    Deno.exit(2);
  }
  const targets: Target[] = args.target === "all" ? [...TARGETS] : [args.target];
  if (args.replay !== undefined) {
    const stats = { cases: 0, accepted: 0, sequences: 0, errors: new Map(), events: new Map() };
    for (const t of targets) {
      try {
        runSequence(t, args.replay, stats);
      } catch (e) {
        const cause = (e as Error).cause as Error | undefined;
        console.error(`replay ${t} ${args.replay}: ${(e as Error).stack}`);
        if (cause) console.error(`caused by: ${cause.message}`);
        Deno.exit(1);
      }
      console.log(`replay ${t} ${args.replay}: every check held (${stats.cases} cases)`);
    }
    Deno.exit(0);
  }
  const seed = args.seed ?? crypto.getRandomValues(new Uint32Array(1))[0];
  console.log(`fuzz: seed ${seed}, ${args.cases} cases per target (replay: --seed ${seed})`);
  const reports: TargetReport[] = [];
  try {
    for (const t of targets) {
      const r = fuzz(t, seed, args.cases, (p) => console.log(`  ... ${line(p)}`));
      reports.push(r);
      console.log(line(r));
    }
  } catch (e) {
    if (e instanceof FuzzFailure) {
      console.error(`fuzz: FAILED ${e.message}`);
      Deno.exit(1);
    }
    throw e;
  }
  const total = reports.reduce((n, r) => n + r.cases, 0);
  console.log(`fuzz: ${total} cases, every check held`);
  console.log(JSON.stringify({ seed, totalCases: total, targets: reports }));
}
