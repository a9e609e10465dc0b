/**
 * `links` in a `--config` file: each entry is either the `--link` text (`"ppp1,cost=2"`) or a
 * table with one of `interface`, `address` or `auto = true` and the link's settings: `cost`,
 * `priority`, `cap` (data cap), `rate`, `via` and `provider` (a label sent to the relay).
 * Each setting is checked by the same parser as `--link`, so a table and a flag mean the same,
 * and a message names the entry and the key (`links[2].cost: expected a number`).
 * @module
 */
import { z } from "zod";
import { type LinkSpec, parseLinkSpec } from "../core/config/mod.ts";

/** A link from a config file: a `--link` spec, and the provider label a table may add. */
export type ConfigLinkSpec = LinkSpec & { provider?: string };

const sizeOrNumber = z.union([z.string(), z.number()], {
  error: 'expected a size such as "2GB" (or a number of bytes)',
});
const rateOrNumber = z.union([z.string(), z.number()], {
  error: 'expected a rate such as "20mbit" (or a number of bit/s)',
});

const LINK_TABLE = z.strictObject({
  interface: z.string({ error: 'expected an interface name such as "ppp0"' }).optional(),
  address: z.string({ error: 'expected a local address such as "192.168.8.100"' }).optional(),
  auto: z.literal(true, { error: "expected true (every usable link from discovery)" })
    .optional(),
  cost: z.number({ error: "expected a number" }).optional(),
  priority: z.string({ error: 'expected "primary", "secondary" or "backup"' }).optional(),
  cap: sizeOrNumber.optional(),
  rate: rateOrNumber.optional(),
  via: z.string({ error: 'expected HOST:PORT, e.g. "127.0.0.1:40001"' }).optional(),
  provider: z.string({ error: "expected a string" })
    .min(1, "is empty")
    .max(64, "is longer than 64 characters")
    .regex(/^[^\p{Cc}]*$/u, "may not contain control characters")
    .optional(),
}, {
  error: (iss) =>
    iss.code === "unrecognized_keys"
      ? `unknown key${iss.keys.length > 1 ? "s" : ""} ${
        iss.keys.map((k) => `"${k}"`).join(", ")
      }: a link takes interface, address or auto, and cost, priority, cap, rate, via, provider`
      : 'expected "IFACE|ADDR[,key=value...]" or a table such as { interface = "ppp0", cost = 2 }',
});

/** The error of one `--link` parse, without the quoted spec that starts it. */
function problemOf(e: unknown): string {
  return (e as Error).message.replace(/^"[^"]*": /, "");
}

/**
 * The zod schema of one `links` entry; `parse` is the `--link` parser.
 * @example
 * ```ts
 * const spec = linkEntrySchema().parse({ interface: "ppp0", cost: 2 });
 * ```
 */
export function linkEntrySchema() {
  const fromText = z.string().transform((s, ctx): ConfigLinkSpec => {
    try {
      return parseLinkSpec(s);
    } catch (e) {
      ctx.addIssue({ code: "custom", message: problemOf(e) });
      return z.NEVER;
    }
  });
  const fromTable = LINK_TABLE.transform((t, ctx): ConfigLinkSpec => {
    const targets = (["interface", "address", "auto"] as const).filter((k) => t[k] !== undefined);
    if (targets.length !== 1) {
      ctx.addIssue({
        code: "custom",
        message: targets.length === 0
          ? 'give the link: interface = "ppp0", address = "192.168.8.100" or auto = true'
          : `give one of ${targets.join(", ")}, not ${targets.length}`,
      });
      return z.NEVER;
    }
    const key = targets[0];
    const target = key === "auto" ? "auto" : t[key]!;
    let spec: ConfigLinkSpec;
    try {
      spec = parseLinkSpec(target);
    } catch (e) {
      ctx.addIssue({ code: "custom", path: [key], message: problemOf(e) });
      return z.NEVER;
    }
    if (key === "interface" && spec.target.kind !== "interface") {
      ctx.addIssue({ code: "custom", path: [key], message: `"${target}" is not an interface` });
    }
    if (key === "address" && spec.target.kind !== "address") {
      ctx.addIssue({ code: "custom", path: [key], message: `"${target}" is not an address` });
    }
    // Each setting through the --link parser, one at a time, so that a message names its key.
    const raw = [target];
    for (const k of ["cost", "priority", "cap", "rate", "via"] as const) {
      const v = t[k];
      if (v === undefined) continue;
      const text = `${k}=${v}`;
      try {
        const one = parseLinkSpec(`${target},${text}`);
        if (k === "cost") spec.cost = one.cost;
        if (k === "priority") spec.priority = one.priority;
        if (k === "cap") spec.capBytes = one.capBytes;
        if (k === "rate") spec.rateBps = one.rateBps;
        if (k === "via") spec.via = one.via;
        raw.push(text);
      } catch (e) {
        ctx.addIssue({ code: "custom", path: [k], message: problemOf(e).replace(/^\w+: /, "") });
      }
    }
    if (t.provider !== undefined) spec.provider = t.provider;
    spec.raw = raw.join(",");
    return spec;
  });
  // Dispatched by hand rather than by z.union, so that the message is the entry's own
  // (links[2].cost: expected a number), not "no option matched".
  return z.unknown().transform((v, ctx): ConfigLinkSpec => {
    const isTable = typeof v === "object" && v !== null && !Array.isArray(v);
    const r = typeof v === "string"
      ? fromText.safeParse(v)
      : isTable
      ? fromTable.safeParse(v)
      : null;
    if (r?.success) return r.data;
    if (r === null) {
      ctx.addIssue({
        code: "custom",
        message: 'expected "IFACE|ADDR[,key=value...]" or a table such as { interface = "ppp0" }',
      });
    } else {
      for (const i of r.error.issues) {
        ctx.addIssue({ code: "custom", path: i.path, message: i.message });
      }
    }
    return z.NEVER;
  });
}
