/**
 * Turns a scenario (or ad hoc command-line links and input) into simulator configurations,
 * one per policy. Pure: traces arrive already loaded.
 * @module
 */
import type { Scenario } from "./scenario.ts";
import { type ParsedSimLink, parseSimLink, toSimLinkSpec } from "../sim/link_spec.ts";
import type { SimConfig } from "../sim/sim_types.ts";
import type { SimLinkSpec } from "../sim/link_model.ts";
import type { InputSpec } from "../sim/input_model.ts";
import type { Trace } from "../sim/traces.ts";
import type { Policy } from "../scheduler/policy.ts";

/**
 * The links of a scenario, parsed (trace files still to load).
 * @example
 * ```ts
 * const parsed = scenarioLinks(scenario);
 * ```
 */
export function scenarioLinks(s: Scenario): ParsedSimLink[] {
  return s.links.map((spec, i) => parseSimLink(spec, i + 1));
}

/**
 * The simulator's input for a scenario's input.
 * @example
 * ```ts
 * scenarioInput({ kind: "cbr", rate: 3e6 }); // { kind: "cbr", bitrateBps: 3e6 }
 * ```
 */
export function scenarioInput(input: Scenario["input"]): InputSpec {
  switch (input.kind) {
    case "cbr":
      return { kind: "cbr", bitrateBps: input.rate };
    case "video":
      return {
        kind: "video",
        bitrateBps: input.rate,
        ...(input.gop !== undefined ? { gopMs: input.gop } : {}),
        ...(input.keyframeFactor !== undefined ? { keyframeScale: input.keyframeFactor } : {}),
      };
    case "saturating":
      return { kind: "saturating" };
    case "file":
      return { kind: "file", bytes: input.size };
  }
}

/**
 * One simulator configuration for `policy`, from a scenario and its loaded traces
 * (keyed by link index).
 * @example
 * ```ts
 * const cfg = scenarioConfig(s, parsed, traces, createPolicy("fewest"), seed);
 * ```
 */
export function scenarioConfig(
  s: Scenario,
  parsed: ParsedSimLink[],
  traces: Map<number, Trace>,
  policy: Policy,
  seed: number,
): SimConfig {
  const links: SimLinkSpec[] = parsed.map((p) => {
    const spec = toSimLinkSpec(p, traces.get(p.index));
    const changes = (s.rateChanges ?? []).filter((r) => r.link === p.index);
    if (changes.length > 0 && p.source.kind === "rate") {
      spec.capacity = [
        { atMs: 0, bps: p.source.bps },
        ...changes.map((r) => ({ atMs: r.at, bps: r.rate })),
      ];
    }
    const outages = (s.outages ?? []).filter((o) => o.link === p.index);
    if (outages.length > 0) {
      spec.outages = outages.map((o) => ({ atMs: o.at, durationMs: o.duration, kind: o.kind }));
    }
    return spec;
  });
  return {
    links,
    input: scenarioInput(s.input),
    durationMs: s.duration,
    seed,
    policy,
    bufferMs: s.buffer ?? 3000,
    maxBufferBytes: 32 * 1024 * 1024,
    endpoint: {
      ...(s.bufferMin !== undefined ? { bufferMinMs: s.bufferMin } : {}),
      ...(s.bufferFixed !== undefined ? { bufferFixed: s.bufferFixed } : {}),
    },
  };
}
