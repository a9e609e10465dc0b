// The fuzzers' short pass for CI: the same targets as `deno task fuzz` (tests/fuzz/fuzz.ts),
// fewer cases, a fixed seed so that a red CI replays exactly. The long run is
// `deno task fuzz` (1,000,000 cases per target, a fresh seed each time).

import assert from "node:assert/strict";
import { fuzz, TARGETS } from "./_run.ts";

/** Fixed, so a failure in CI replays with `deno task fuzz --seed 8 --cases N`. */
const SEED = 8;
const CASES: Record<(typeof TARGETS)[number], number> = {
  decoder: 50_000,
  session: 100_000,
  pair: 40_000,
};

for (const target of TARGETS) {
  Deno.test(`fuzz ${target}: ${CASES[target]} cases from seed ${SEED} hold every check`, () => {
    const r = fuzz(target, SEED, CASES[target]);
    console.log(
      `fuzz ${target}: ${r.cases} cases, ${r.sequences} sequences in ${r.ms} ms (seed ${SEED}): ` +
        JSON.stringify(r.seen),
    );
    assert.ok(r.cases >= CASES[target]);
  });
}
