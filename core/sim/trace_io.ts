/**
 * Loads a trace file from disk: the one place in `core/sim/` that touches the file system.
 * Parsing and format detection are pure, in `traces.ts`.
 * @module
 */
import { parseTrace, type Trace, TraceError, type TraceFormat } from "./traces.ts";

/**
 * Reads and parses the trace at `path`; the format is detected from the name and content
 * unless given. Read failures become a TraceError naming the file.
 * @example
 * ```ts
 * const t = await loadTrace("fixtures/traces/mahimahi/ATT-LTE-driving.up");
 * console.log(t.format, t.meanBps);
 * ```
 */
export async function loadTrace(path: string, format?: TraceFormat): Promise<Trace> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new TraceError(path, 0, `cannot read the trace: ${(e as Error).message}`);
  }
  return parseTrace(text, path, format);
}
