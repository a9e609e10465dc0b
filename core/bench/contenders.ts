/**
 * Who races in a bench run, pure: bondctl with each policy asked for, the best single link
 * alone over plain TCP, and (in the netns lab) the kernel's MPTCP; and which link is "best".
 * @module
 */

/**
 * How a contender moves the stream.
 * @example
 * ```ts
 * const k: ContenderKind = "mptcp";
 * ```
 */
export type ContenderKind = "bond" | "single" | "mptcp";

/**
 * One contender.
 * @example
 * ```ts
 * const c: Contender = { name: "bondctl-earliest", kind: "bond", policy: "earliest" };
 * ```
 */
export interface Contender {
  /** `bondctl-POLICY`, `single-best` or `kernel-mptcp`. */
  name: string;
  kind: ContenderKind;
  /** The bond's policy. */
  policy?: string;
}

/**
 * The contender groups `--contenders` can name.
 * @example
 * ```ts
 * planContenders(["earliest"], CONTENDER_GROUPS);
 * ```
 */
export const CONTENDER_GROUPS = ["bondctl", "single-best", "kernel-mptcp"] as const;
/**
 * One of {@link CONTENDER_GROUPS}.
 * @example
 * ```ts
 * const g: ContenderGroup = "single-best";
 * ```
 */
export type ContenderGroup = typeof CONTENDER_GROUPS[number];

/**
 * The contenders of a run, in the order they race: the bond's policies first.
 * @example
 * ```ts
 * planContenders(["earliest"], ["bondctl", "single-best", "kernel-mptcp"]).map((c) => c.name);
 * // ["bondctl-earliest", "single-best", "kernel-mptcp"]
 * ```
 */
export function planContenders(
  policies: readonly string[],
  groups: readonly ContenderGroup[],
): Contender[] {
  const out: Contender[] = [];
  if (groups.includes("bondctl")) {
    for (const p of policies) out.push({ name: `bondctl-${p}`, kind: "bond", policy: p });
  }
  if (groups.includes("single-best")) out.push({ name: "single-best", kind: "single" });
  if (groups.includes("kernel-mptcp")) out.push({ name: "kernel-mptcp", kind: "mptcp" });
  return out;
}

/**
 * The best single link: the highest configured (or mean, for a trace) rate; the first of
 * equals. Numbered from 1.
 * @example
 * ```ts
 * bestLink([5e6, 20e6, 20e6]); // 2
 * ```
 */
export function bestLink(rates: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < rates.length; i++) if (rates[i] > rates[best]) best = i;
  return best + 1;
}
