/**
 * A seeded PRNG for the randomised tests of tests/streams/, and the seed they share
 * (`BONDCTL_FUZZ_SEED`, read only when `--allow-env` grants it, as in tests/frame/).
 * @module
 */

/** mulberry32: a tiny seeded PRNG, returns numbers in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** The seed from `BONDCTL_FUZZ_SEED` when readable, else a fixed one. */
export function fuzzSeed(): number {
  const permission = Deno.permissions.querySync({ name: "env", variable: "BONDCTL_FUZZ_SEED" });
  const given = permission.state === "granted" ? Deno.env.get("BONDCTL_FUZZ_SEED") : undefined;
  return given ? Number(given) >>> 0 : 0x5eed_5055;
}
