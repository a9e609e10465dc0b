/**
 * Simulation scenarios: named link sets, inputs and faults, kept as JSON files in
 * `fixtures/scenarios/` and validated with zod so that a bad file says which key is wrong.
 * Pure: text in, a validated scenario out (`scenario_io.ts` reads the files).
 * @module
 */
import { z } from "zod";
import { parseDuration, parseRate, parseSize } from "../config/mod.ts";

/** A scenario file that does not validate; the message names the file and the key. */
export class ScenarioError extends Error {
  override name = "ScenarioError";
}

const text = (what: string, parse: (s: string) => number) =>
  z.string().transform((s, ctx) => {
    try {
      return parse(s);
    } catch (e) {
      ctx.addIssue({ code: "custom", message: `${what}: ${(e as Error).message}` });
      return z.NEVER;
    }
  });
const duration = text("a duration", parseDuration);
const rate = text("a rate", parseRate);
const size = text("a size", parseSize);

const inputSchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("cbr"), rate }),
  z.strictObject({
    kind: z.literal("video"),
    rate,
    gop: duration.optional(),
    keyframeFactor: z.number().min(1).max(50).optional(),
  }),
  z.strictObject({ kind: z.literal("saturating") }),
  z.strictObject({ kind: z.literal("file"), size }),
]);

/** The scenario schema: what a file in fixtures/scenarios/ may hold. */
export const scenarioSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "lowercase letters, digits and dashes"),
  description: z.string().min(1).max(500),
  /** Link specs as on the command line: `RATE[/DELAY][,cost=N]...` or `trace:FILE[/DELAY]`. */
  links: z.array(z.string().min(1)).min(1).max(16),
  input: inputSchema,
  duration,
  buffer: duration.optional(),
  bufferMin: duration.optional(),
  bufferFixed: z.boolean().optional(),
  outages: z.array(z.strictObject({
    link: z.number().int().min(1),
    at: duration,
    duration,
    kind: z.enum(["closed", "silent"]),
  })).optional(),
  rateChanges: z.array(z.strictObject({
    link: z.number().int().min(1),
    at: duration,
    rate,
  })).optional(),
  seed: z.number().int().min(0).max(0xffffffff).optional(),
  /** Figures to print beside the results, such as the patent's illustrative split. */
  reference: z.strictObject({
    label: z.string(),
    splitBytes: z.array(z.number().nonnegative()),
  }).optional(),
}).superRefine((s, ctx) => {
  for (const [i, o] of (s.outages ?? []).entries()) {
    if (o.link > s.links.length) {
      ctx.addIssue({
        code: "custom",
        path: ["outages", i, "link"],
        message: `link ${o.link} does not exist (the scenario has ${s.links.length})`,
      });
    }
  }
  for (const [i, r] of (s.rateChanges ?? []).entries()) {
    if (r.link > s.links.length) {
      ctx.addIssue({
        code: "custom",
        path: ["rateChanges", i, "link"],
        message: `link ${r.link} does not exist (the scenario has ${s.links.length})`,
      });
    }
  }
});

/** A validated scenario; durations in ms, rates in bit/s, sizes in bytes. */
export type Scenario = z.output<typeof scenarioSchema>;

/**
 * Parses and validates a scenario file's text.
 * @example
 * ```ts
 * const s = parseScenario(await Deno.readTextFile(path), path);
 * ```
 */
export function parseScenario(json: string, file: string): Scenario {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (e) {
    throw new ScenarioError(`${file}: not valid JSON: ${(e as Error).message}`);
  }
  const r = scenarioSchema.safeParse(raw);
  if (!r.success) {
    const first = r.error.issues[0];
    const where = first.path.length
      ? first.path.map((p) => typeof p === "number" ? `[${p}]` : `.${String(p)}`).join("").replace(
        /^\./,
        "",
      )
      : "(top level)";
    throw new ScenarioError(`${file}: ${where}: ${first.message}`);
  }
  return r.data;
}
