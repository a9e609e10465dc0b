/**
 * The simulated-link spec shared by `simulate` and `bench`:
 * `RATE[/DELAY][,cost=N][,priority=primary|secondary|backup][,cap=SIZE][,jitter=DUR][,loss=P]`
 * or `trace:FILE[/DELAY]` with the same options plus `format=mahimahi|ucc-5g|nyu-mets`.
 *
 * - RATE is a rate (`20mbit`, `512kbit`); DELAY is the ONE-WAY delay (`20ms` means an RTT of
 *   40 ms), default 20 ms; it must carry a unit.
 * - `cost` is the cost per MB (default 1); `cap` a data cap (`2GB`); `jitter` the extra delay
 *   per frame (uniform in [0, DUR)); `loss` the probability that an MSS-sized unit is lost,
 *   as a fraction (`0.001`) or a percentage (`0.1%`).
 * - For `trace:FILE`, DELAY is taken from after the last `/` only when it reads as a duration
 *   with a unit; the path is returned as typed: loading it is the caller's (`trace_io.ts`).
 * A list (`--links A,B,C`) splits on commas: a part with `=` is an option of the link before
 * it, any other part starts a new link; links are numbered from 1. Paths with commas are not
 * supported. Errors are `OptionError`s that quote the link's spec and number.
 * @module
 */
import { OptionError, parseDuration, parseRate, parseSize } from "../config/mod.ts";
import type { LinkPriority } from "../frame/types.ts";
import type { SimLinkSpec } from "./link_model.ts";
import type { Trace, TraceFormat } from "./traces.ts";
import { TRACE_FORMATS } from "./traces.ts";

/** One-way delay when a spec gives none (ms). */
export const DEFAULT_SIM_DELAY_MS = 20;

/** A parsed simulated-link spec. */
export interface ParsedSimLink {
  /** Position in the list, from 1. */
  index: number;
  /** `link<index>`. */
  name: string;
  /** A fixed rate, or a trace file to load. */
  source: { kind: "rate"; bps: number } | { kind: "trace"; path: string; format?: TraceFormat };
  /** One-way delay (ms). */
  delayMs: number;
  jitterMs: number;
  loss: number;
  costPerMB: number;
  priority: LinkPriority;
  capBytes?: number;
  /** The text as typed, for messages. */
  raw: string;
}

const KEYS = ["cost", "priority", "cap", "jitter", "loss", "format"] as const;
type Key = typeof KEYS[number];
const GRAMMAR = "RATE[/DELAY][,cost=N][,priority=primary|secondary|backup][,cap=SIZE]" +
  "[,jitter=DUR][,loss=P] or trace:FILE[/DELAY]";
const DURATION = /^(\d+(\.\d+)?|\.\d+)\s*(us|µs|μs|ms|s|m|min|h)$/i;
const PRIORITIES: readonly LinkPriority[] = ["primary", "secondary", "backup"];

/**
 * Parses one link spec (already split from its list).
 * @example
 * ```ts
 * parseSimLink("20mbit/30ms,cost=2,loss=0.1%", 1);
 * // { index: 1, name: "link1", source: { kind: "rate", bps: 20000000 }, delayMs: 30,
 * //   jitterMs: 0, loss: 0.001, costPerMB: 2, priority: "primary", raw: "..." }
 * ```
 */
export function parseSimLink(spec: string, index: number): ParsedSimLink {
  const fail = (problem: string): never => {
    throw new OptionError(`link ${index} "${spec}": ${problem}`);
  };
  const [head, ...options] = spec.split(",").map((p) => p.trim());
  if (head === "") fail(`no rate or trace given: ${GRAMMAR}`);
  if (head.includes("=")) fail(`the rate or trace must come first: ${GRAMMAR}`);
  const link: ParsedSimLink = {
    index,
    name: `link${index}`,
    source: { kind: "rate", bps: 0 },
    delayMs: DEFAULT_SIM_DELAY_MS,
    jitterMs: 0,
    loss: 0,
    costPerMB: 1,
    priority: "primary",
    raw: spec,
  };
  const unit = (what: string, parse: () => number): number => {
    try {
      return parse();
    } catch (e) {
      if (e instanceof OptionError) return fail(`${what}: ${e.message}`);
      throw e;
    }
  };
  if (head.startsWith("trace:")) {
    let path = head.slice("trace:".length);
    const slash = path.lastIndexOf("/");
    if (slash >= 0 && DURATION.test(path.slice(slash + 1))) {
      link.delayMs = unit("delay", () => parseDuration(path.slice(slash + 1)));
      path = path.slice(0, slash);
    }
    if (path === "") fail("trace: needs a file, e.g. trace:traces/ATT-LTE-driving.up/20ms");
    link.source = { kind: "trace", path };
  } else {
    const slash = head.indexOf("/");
    const rate = slash < 0 ? head : head.slice(0, slash);
    link.source = { kind: "rate", bps: unit("rate", () => parseRate(rate)) };
    if (slash >= 0) link.delayMs = unit("delay", () => parseDuration(head.slice(slash + 1)));
  }
  const seen = new Set<Key>();
  for (const option of options) {
    const eq = option.indexOf("=");
    const key = (eq < 0 ? option : option.slice(0, eq)).trim() as Key;
    const value = eq < 0 ? "" : option.slice(eq + 1).trim();
    if (!KEYS.includes(key)) fail(`unknown option "${key}": expected ${KEYS.join(", ")}`);
    if (seen.has(key)) fail(`${key} is given twice`);
    seen.add(key);
    if (value === "") fail(`${key} needs a value`);
    switch (key) {
      case "cost":
        if (!/^(\d+(\.\d+)?|\.\d+)$/.test(value)) fail(`cost "${value}" is not a number ≥ 0`);
        link.costPerMB = Number(value);
        break;
      case "priority":
        if (!PRIORITIES.includes(value as LinkPriority)) {
          fail(`priority "${value}" is not one of ${PRIORITIES.join(", ")}`);
        }
        link.priority = value as LinkPriority;
        break;
      case "cap":
        link.capBytes = unit("cap", () => parseSize(value));
        if (link.capBytes === 0) fail("cap=0 would forbid the link: leave it out");
        break;
      case "jitter":
        link.jitterMs = unit("jitter", () => parseDuration(value));
        break;
      case "loss":
        link.loss = parseLoss(value, fail);
        break;
      case "format":
        if (link.source.kind !== "trace") fail("format= applies to trace: links only");
        if (!TRACE_FORMATS.includes(value as TraceFormat)) {
          fail(`format "${value}" is not one of ${TRACE_FORMATS.join(", ")}`);
        }
        (link.source as { format?: TraceFormat }).format = value as TraceFormat;
        break;
    }
  }
  return link;
}

/**
 * Parses a comma-separated list of link specs (`--links`), numbering links from 1.
 * @example
 * ```ts
 * parseSimLinks("20mbit/20ms,cost=2,10mbit/30ms").map((l) => l.costPerMB); // [2, 1]
 * ```
 */
export function parseSimLinks(list: string): ParsedSimLink[] {
  const specs: string[] = [];
  for (const part of list.split(",")) {
    const p = part.trim();
    if (p.includes("=") && specs.length > 0) specs[specs.length - 1] += `,${p}`;
    else specs.push(p);
  }
  if (specs.length === 1 && specs[0] === "") throw new OptionError(`no links given: ${GRAMMAR}`);
  return specs.map((s, i) => parseSimLink(s, i + 1));
}

/**
 * The `SimLinkSpec` for a parsed link; a `trace:` link needs its loaded trace.
 * @example
 * ```ts
 * const spec = toSimLinkSpec(parseSimLink("20mbit/20ms", 1)); // { capacity: 20e6, ... }
 * ```
 */
export function toSimLinkSpec(link: ParsedSimLink, trace?: Trace): SimLinkSpec {
  let capacity: SimLinkSpec["capacity"];
  if (link.source.kind === "rate") capacity = link.source.bps;
  else if (trace) capacity = trace.capacity;
  else throw new OptionError(`link ${link.index} "${link.raw}": its trace is not loaded`);
  return {
    name: link.name,
    capacity,
    delayMs: link.delayMs,
    jitterMs: link.jitterMs,
    loss: link.loss,
    costPerMB: link.costPerMB,
    priority: link.priority,
    ...(link.capBytes !== undefined ? { capBytes: link.capBytes } : {}),
  };
}

function parseLoss(value: string, fail: (p: string) => never): number {
  const m = /^(\d+(?:\.\d+)?|\.\d+)(%?)$/.exec(value);
  if (!m) return fail(`loss "${value}" is not a probability (e.g. loss=0.001 or loss=0.1%)`);
  const p = Number(m[1]) / (m[2] === "%" ? 100 : 1);
  if (!(p < 1)) return fail(`loss ${value} must be below 1 (100%)`);
  return p;
}
