/**
 * Runs the fuzz targets for a number of cases from a master seed: sequence `i` of a target
 * gets the seed `sequenceSeed(master, i)`, so a failure names the one seed that replays it.
 * Shared by `deno task fuzz` (tests/fuzz/fuzz.ts) and the CI pass (tests/fuzz/fuzz_test.ts).
 * @module
 */
import { decoderSequence, type DecoderStats } from "./_decoder.ts";
import { hostileSequence, pairSequence, type SessionStats } from "./_session.ts";
import { sequenceSeed } from "./_frames.ts";

/** The fuzz targets. */
export const TARGETS = ["decoder", "session", "pair"] as const;
export type Target = typeof TARGETS[number];

/** One target's result. */
export interface TargetReport {
  target: Target;
  seed: number;
  cases: number;
  sequences: number;
  ms: number;
  /** What was seen: FrameError kinds (decoder) or endpoint events (session, pair). */
  seen: Record<string, number>;
}

/**
 * A broken rule, with the seed that replays it.
 * @example
 * ```ts
 * try { fuzz("session", 1, 1000); } catch (e) { if (e instanceof FuzzFailure) console.log(e.sequenceSeed); }
 * ```
 */
export class FuzzFailure extends Error {
  override name = "FuzzFailure";
  constructor(
    readonly target: Target,
    readonly master: number,
    readonly sequence: number,
    readonly sequenceSeed: number,
    cause: Error,
  ) {
    super(
      `${target}: ${cause.message} (seed ${master}, sequence ${sequence}; replay: ` +
        `deno task fuzz --target ${target} --replay ${sequenceSeed})`,
      { cause },
    );
  }
}

/**
 * Runs one sequence of `target` from its own seed (the replay).
 * @example
 * ```ts
 * runSequence("session", 987654321, { cases: 0, accepted: 0, sequences: 0, errors: new Map(), events: new Map() });
 * ```
 */
export function runSequence(target: Target, seed: number, stats: DecoderStats & SessionStats) {
  if (target === "decoder") decoderSequence(seed, stats);
  else if (target === "session") hostileSequence(seed, stats);
  else pairSequence(seed, stats);
}

/**
 * Runs `target` until `cases` cases have been thrown at it; throws FuzzFailure.
 * @example
 * ```ts
 * const report = fuzz("decoder", 1234, 10_000);
 * ```
 */
export function fuzz(
  target: Target,
  master: number,
  cases: number,
  progress?: (r: TargetReport) => void,
): TargetReport {
  const stats = { cases: 0, accepted: 0, sequences: 0, errors: new Map(), events: new Map() };
  const t0 = performance.now();
  let lastReport = t0;
  const report = (): TargetReport => ({
    target,
    seed: master,
    cases: stats.cases,
    sequences: target === "decoder" ? sequencesRun : stats.sequences,
    ms: Math.round(performance.now() - t0),
    seen: Object.fromEntries(
      [...(target === "decoder" ? stats.errors : stats.events)].sort((a, b) => b[1] - a[1]),
    ),
  });
  let sequencesRun = 0;
  for (let i = 0; stats.cases < cases; i++) {
    const seed = sequenceSeed(master, i);
    try {
      runSequence(target, seed, stats);
    } catch (e) {
      throw new FuzzFailure(target, master, i, seed, e as Error);
    }
    sequencesRun++;
    if (progress && performance.now() - lastReport > 5000) {
      lastReport = performance.now();
      progress(report());
    }
  }
  if (target === "decoder") stats.errors.set("(accepted)", stats.accepted);
  return report();
}
