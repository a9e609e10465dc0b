/**
 * Reading a tool's JSON output across the trust boundary: `JSON.parse`, then a zod schema that
 * tolerates extra fields and is strict on the ones we use. Failures name the tool.
 * @module
 */
import type { z } from "zod";
import { ToolOutputError } from "./errors.ts";

/**
 * Parses `text` printed by `tool` with `schema`; throws a {@link ToolOutputError} naming the
 * tool and the first field at fault.
 * @example
 * ```ts
 * import { z } from "zod";
 * const list = parseToolJson("mmcli -L -J", z.object({ "modem-list": z.array(z.string()) }), text);
 * ```
 */
export function parseToolJson<S extends z.ZodType>(
  tool: string,
  schema: S,
  text: string,
): z.output<S> {
  let raw: unknown;
  try {
    // Some tools print nothing at all for "no entries" (`ip -j rule` in an empty table).
    raw = text.trim() === "" ? [] : JSON.parse(text);
  } catch (e) {
    throw new ToolOutputError(
      `${tool}: output is not JSON (${(e as Error).message}); is this tool too old for -j/-J?`,
    );
  }
  const r = schema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    const where = issue.path.length ? issue.path.map(String).join(".") : "(top)";
    throw new ToolOutputError(`${tool}: unexpected output at ${where}: ${issue.message}`);
  }
  return r.data;
}
