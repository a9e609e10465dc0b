/**
 * Zod schemas for the two JSON bodies on the wire (HELLO's link capabilities and
 * LINK_REPORT). They cross a trust boundary, so they are strict (unknown keys rejected) and
 * bounded (short strings, finite non-negative numbers).
 * @module
 */

import { z } from "zod";
import type { LinkCaps, LinkReport } from "./types.ts";

/** Longest string in a JSON body, in UTF-16 code units. */
const MAX_STRING = 256;

const text = z.string().max(MAX_STRING);
// zod 4 numbers already reject NaN and ±Infinity.
const amount = z.number().nonnegative();
const octets = z.int().nonnegative();
const signal = z.number().min(0).max(100);

/**
 * Validates a HELLO's link capabilities.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { linkCapsSchema } from "./caps_schema.ts";
 * const caps = linkCapsSchema.parse({
 *   kind: "ppp", name: "ppp0", localAddress: "10.64.0.2", cost: 1, priority: "primary",
 * });
 * assert.ok(caps.kind === "ppp");
 * ```
 */
export const linkCapsSchema = z.strictObject({
  kind: z.enum(["ppp", "wwan", "usb-ethernet", "ethernet", "wifi", "loopback", "unknown"]),
  name: text,
  localAddress: text,
  cost: amount,
  priority: z.enum(["primary", "secondary", "backup"]),
  capBytes: octets.optional(),
  rateBps: amount.optional(),
  provider: text.optional(),
  signal: signal.optional(),
  technology: text.optional(),
});

/**
 * Validates a LINK_REPORT's measurements.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { linkReportSchema } from "./caps_schema.ts";
 * const report = linkReportSchema.parse({ rxBytes: 1000, txBytes: 20, rttMs: 41.5 });
 * assert.ok(report.rttMs === 41.5);
 * ```
 */
export const linkReportSchema = z.strictObject({
  rxBytes: octets,
  txBytes: octets,
  rttMs: amount.optional(),
  rateBps: amount.optional(),
  signal: signal.optional(),
  provider: text.optional(),
});

// Compile-time guard: the schemas and types.ts must describe the same shapes, so a field or
// an enum member added on one side only fails `deno check` here.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _capsMatch: Same<z.output<typeof linkCapsSchema>, LinkCaps> = true;
const _reportMatch: Same<z.output<typeof linkReportSchema>, LinkReport> = true;
