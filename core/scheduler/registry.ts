/**
 * Every scheduling policy by name, for `send --policy` and `simulate --policy`. Names that
 * begin with `ref-` are other systems' schedulers, kept for comparison only.
 * @module
 */
import { OptionError } from "../config/units.ts";
import type { Policy } from "./policy.ts";
import { proportionalPolicy } from "./proportional.ts";
import { type FewestOptions, fewestPolicy } from "./fewest.ts";
import { earliestPolicy } from "./earliest.ts";
import { type RedundantOptions, redundantPolicy } from "./redundant.ts";
import { refRoundRobinPolicy, type RoundRobinOptions } from "./ref_roundrobin.ts";
import { refWrrPolicy, type WrrOptions } from "./ref_wrr.ts";
import { refMinRttPolicy } from "./ref_minrtt.ts";
import { refSrtlaPolicy, type SrtlaOptions } from "./ref_srtla.ts";
import { refDuplicatePolicy } from "./ref_duplicate.ts";

/** The options each policy takes (none for some). */
export interface PolicyOptionsByName {
  proportional: Record<never, never>;
  fewest: FewestOptions;
  earliest: Record<never, never>;
  redundant: RedundantOptions;
  "redundant-critical": Record<never, never>;
  "ref-roundrobin": RoundRobinOptions;
  "ref-wrr": WrrOptions;
  "ref-minrtt": Record<never, never>;
  "ref-srtla": SrtlaOptions;
  "ref-duplicate": Record<never, never>;
}

/** A policy's name. */
export type PolicyName = keyof PolicyOptionsByName;

const FACTORIES: { [N in PolicyName]: (opts: PolicyOptionsByName[N]) => Policy } = {
  proportional: () => proportionalPolicy(),
  fewest: (o) => fewestPolicy(o),
  earliest: () => earliestPolicy(),
  redundant: (o) => redundantPolicy(o),
  // The "critical" mode under a name of its own, so that `--policy all` compares it too.
  "redundant-critical": () => redundantPolicy({ mode: "critical" }),
  "ref-roundrobin": (o) => refRoundRobinPolicy(o),
  "ref-wrr": (o) => refWrrPolicy(o),
  "ref-minrtt": () => refMinRttPolicy(),
  "ref-srtla": (o) => refSrtlaPolicy(o),
  "ref-duplicate": () => refDuplicatePolicy(),
};

/**
 * Every policy name: ours first, then the reference policies.
 * @example
 * ```ts
 * for (const name of policyNames) console.log(name, isReference(name) ? "(reference)" : "");
 * ```
 */
export const policyNames: readonly PolicyName[] = Object.keys(FACTORIES) as PolicyName[];

/**
 * True for a known name that is another system's scheduler (for comparison only).
 * @example
 * ```ts
 * isReference("ref-srtla"); // true
 * ```
 */
export function isReference(name: string): boolean {
  return isPolicyName(name) && name.startsWith("ref-");
}

/**
 * True when `name` names a policy.
 * @example
 * ```ts
 * if (!isPolicyName(flag)) throw new Error("unknown");
 * ```
 */
export function isPolicyName(name: string): name is PolicyName {
  return Object.hasOwn(FACTORIES, name);
}

/**
 * A fresh policy by name (policies keep state: one per session). Throws an OptionError that
 * lists the valid names for an unknown one.
 * @example
 * ```ts
 * const policy = createPolicy("fewest", { dropHoldMs: 10_000 });
 * ```
 */
export function createPolicy<N extends PolicyName>(
  name: N,
  opts?: PolicyOptionsByName[N],
): Policy;
export function createPolicy(name: string): Policy;
export function createPolicy(name: string, opts: object = {}): Policy {
  if (!isPolicyName(name)) {
    throw new OptionError(
      `unknown policy "${name}": choose one of ${policyNames.join(", ")}`,
    );
  }
  return (FACTORIES[name] as (o: object) => Policy)(opts);
}
