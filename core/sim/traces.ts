/**
 * Parsers for recorded cellular traces, from text (pure: `trace_io.ts` reads the files). Each
 * trace becomes a looped {@link Capacity}: bit/s over time, repeating when the file ends.
 *
 * Formats (see ../shared/traces/README.md):
 * - `mahimahi`: one integer millisecond per line, each a 1500-byte delivery opportunity;
 *   repeats mean several packets in that millisecond. The period is the last timestamp (as
 *   mm-link loops it). Each millisecond becomes a segment of `count x 1500 B` per ms.
 * - `ucc-5g`: G-NetTrack Pro CSV with a header; the `DL_bitrate` column (kbit/s) of a saturating
 *   download, about one row per second. Rows within the same second are averaged; a second
 *   with no row keeps the previous second's rate (the logger missed it, the radio did not stop).
 * - `nyu-mets`: one `value,unit` line per second, units `bits/sec`, `Kbits/sec`, `Mbits/sec`
 *   (mixed within a file) or `Gbits/sec`.
 * Blank lines are skipped everywhere; `#` comment lines and a header line are tolerated in the
 * one-value formats. Errors name the file and line.
 * @module
 */
import { Capacity } from "./capacity.ts";

/** The trace formats understood. */
export type TraceFormat = "mahimahi" | "ucc-5g" | "nyu-mets";

/** The formats, for messages and option validation. */
export const TRACE_FORMATS: readonly TraceFormat[] = ["mahimahi", "ucc-5g", "nyu-mets"];

/** A parsed trace. */
export interface Trace {
  format: TraceFormat;
  /** Where it came from (a path or a label), for messages. */
  source: string;
  /** Capacity over time, looped. */
  capacity: Capacity;
  /** Length of one loop (ms). */
  periodMs: number;
  /** Mean rate over one loop (bit/s). */
  meanBps: number;
}

/**
 * A trace file that cannot be used; the message starts with `file:line:` where known.
 * @example
 * ```ts
 * try {
 *   parseMahimahi("12\nabc\n", "x.up");
 * } catch (e) {
 *   if (e instanceof TraceError) console.error(e.message); // x.up:2: "abc" is not ...
 * }
 * ```
 */
export class TraceError extends Error {
  /** The file (or label) at fault. */
  readonly source: string;
  /** 1-based line number, or 0 for the file as a whole. */
  readonly line: number;

  constructor(source: string, line: number, problem: string) {
    super(line > 0 ? `${source}:${line}: ${problem}` : `${source}: ${problem}`);
    this.name = "TraceError";
    this.source = source;
    this.line = line;
  }
}

/** Bytes one mahimahi delivery opportunity stands for. */
export const MAHIMAHI_PACKET_BYTES = 1500;

/**
 * Parses a mahimahi trace (delivery opportunities, one ms timestamp per line).
 * @example
 * ```ts
 * const t = parseMahimahi("1\n1\n2\n4\n", "tiny.up"); // 4 packets in 4 ms: 12 Mbit/s
 * t.meanBps; // 12_000_000
 * ```
 */
export function parseMahimahi(text: string, source: string): Trace {
  const stamps: number[] = [];
  let header = true;
  eachLine(text, (line, n) => {
    if (line.startsWith("#")) return;
    if (!/^\d+$/.test(line)) {
      // One header line of words before the first timestamp is tolerated.
      if (header && /^[a-z]/i.test(line)) {
        header = false;
        return;
      }
      throw new TraceError(source, n, `"${clip(line)}" is not a millisecond timestamp`);
    }
    header = false;
    const t = Number(line);
    if (!Number.isSafeInteger(t)) throw new TraceError(source, n, `${clip(line)} is too large`);
    if (stamps.length > 0 && t < stamps[stamps.length - 1]) {
      throw new TraceError(
        source,
        n,
        `timestamp ${t} ms goes back (after ${stamps[stamps.length - 1]} ms)`,
      );
    }
    stamps.push(t);
  });
  if (stamps.length === 0) throw new TraceError(source, 0, "no timestamps: not a mahimahi trace");
  const period = stamps[stamps.length - 1];
  if (period === 0) {
    throw new TraceError(source, 0, "every timestamp is 0: the trace has no duration to loop");
  }
  // Count opportunities per millisecond slot; the last timestamp wraps to slot 0.
  const counts = new Uint32Array(period);
  for (const t of stamps) counts[t % period]++;
  const starts: number[] = [];
  const bps: number[] = [];
  for (let ms = 0; ms < period; ms++) {
    const rate = counts[ms] * MAHIMAHI_PACKET_BYTES * 8000;
    if (bps.length > 0 && bps[bps.length - 1] === rate) continue;
    starts.push(ms);
    bps.push(rate);
  }
  return trace("mahimahi", source, Capacity.looped(starts, bps, period));
}

/** Options of the ucc-5g parser. */
export interface Ucc5gOptions {
  /** Column holding the throughput in kbit/s (default `DL_bitrate`, see the traces README). */
  column?: string;
}

/**
 * Parses a G-NetTrack Pro CSV log of the UCC 5G dataset (`DL_bitrate`, kbit/s, per second).
 * @example
 * ```ts
 * const csv = "Timestamp,DL_bitrate\n2020.01.16_10.43.34,1000\n2020.01.16_10.43.35,3000\n";
 * parseUcc5g(csv, "log.csv").meanBps; // 2_000_000
 * ```
 */
export function parseUcc5g(text: string, source: string, opts: Ucc5gOptions = {}): Trace {
  const column = opts.column ?? "DL_bitrate";
  let tsCol = -1;
  let valCol = -1;
  let first: number | null = null;
  let last = -1;
  const sums: number[] = [];
  const counts: number[] = [];
  eachLine(text, (line, n) => {
    const cells = line.split(",");
    if (tsCol < 0) {
      tsCol = cells.indexOf("Timestamp");
      valCol = cells.indexOf(column);
      if (tsCol < 0 || valCol < 0) {
        const missing = tsCol < 0 ? "Timestamp" : column;
        throw new TraceError(source, n, `the header has no ${missing} column: not a ucc-5g log`);
      }
      return;
    }
    const sec = parseUccTime(cells[tsCol] ?? "", source, n);
    const raw = (cells[valCol] ?? "").trim();
    if (!/^\d+(\.\d+)?$/.test(raw)) {
      throw new TraceError(source, n, `${column} "${clip(raw)}" is not a number ≥ 0 (kbit/s)`);
    }
    first ??= sec;
    if (sec < last) throw new TraceError(source, n, `time goes back to ${cells[tsCol]}`);
    last = sec;
    const i = sec - first;
    if (i > 31 * 24 * 3600) throw new TraceError(source, n, "the log spans more than a month");
    while (sums.length <= i) {
      sums.push(0);
      counts.push(0);
    }
    sums[i] += Number(raw) * 1000;
    counts[i]++;
  });
  if (tsCol < 0) throw new TraceError(source, 0, "empty file: not a ucc-5g log");
  if (sums.length === 0) throw new TraceError(source, 0, "a header but no rows");
  const starts: number[] = [];
  const bps: number[] = [];
  let held = 0;
  for (let i = 0; i < sums.length; i++) {
    if (counts[i] > 0) held = sums[i] / counts[i];
    starts.push(i * 1000);
    bps.push(held);
  }
  return trace("ucc-5g", source, Capacity.looped(starts, bps, sums.length * 1000));
}

const NYU_UNITS: Readonly<Record<string, number>> = {
  "bits/sec": 1,
  "kbits/sec": 1e3,
  "mbits/sec": 1e6,
  "gbits/sec": 1e9,
};

/**
 * Parses an NYU METS trace: one `value,unit` line per second.
 * @example
 * ```ts
 * parseNyuMets("4,Mbits/sec\n500,Kbits/sec\n", "bus.csv").meanBps; // 2_250_000
 * ```
 */
export function parseNyuMets(text: string, source: string): Trace {
  const bps: number[] = [];
  let header = true;
  eachLine(text, (line, n) => {
    if (line.startsWith("#")) return;
    const m = /^(\d+(?:\.\d+)?|\.\d+)\s*,\s*([a-z/]+)$/i.exec(line);
    if (!m) {
      if (header && !/^[\d.]/.test(line)) {
        header = false;
        return;
      }
      throw new TraceError(source, n, `"${clip(line)}" is not "value,unit" (e.g. 6.21,Mbits/sec)`);
    }
    header = false;
    const scale = NYU_UNITS[m[2].toLowerCase()];
    if (scale === undefined) {
      throw new TraceError(
        source,
        n,
        `unknown unit "${m[2]}": expected bits/sec, Kbits/sec, Mbits/sec or Gbits/sec`,
      );
    }
    bps.push(Number(m[1]) * scale);
  });
  if (bps.length === 0) throw new TraceError(source, 0, "no samples: not an nyu-mets trace");
  const starts = bps.map((_, i) => i * 1000);
  return trace("nyu-mets", source, Capacity.looped(starts, bps, bps.length * 1000));
}

/**
 * Guesses a trace's format from its name and first meaningful line, or throws a TraceError.
 * @example
 * ```ts
 * detectTraceFormat("ATT-LTE-driving.up", "0\n1\n"); // "mahimahi"
 * detectTraceFormat("bus57.csv", "3.97,Mbits/sec\n"); // "nyu-mets"
 * ```
 */
export function detectTraceFormat(source: string, text: string): TraceFormat {
  if (/\.(up|down)$/i.test(source)) return "mahimahi";
  const first = text.split(/\r?\n/).map((l) => l.trim()).find((l) => l !== "" && l[0] !== "#");
  if (first === undefined) throw new TraceError(source, 0, "empty file: no trace in it");
  if (/^\d+$/.test(first)) return "mahimahi";
  if (/(^|,)Timestamp(,|$)/.test(first) && first.includes("DL_bitrate")) return "ucc-5g";
  if (/^[\d.]+\s*,\s*[a-z]*bits\/sec$/i.test(first)) return "nyu-mets";
  throw new TraceError(
    source,
    0,
    `cannot tell the trace format from "${clip(first)}": give it explicitly (${
      TRACE_FORMATS.join(", ")
    })`,
  );
}

/**
 * Parses `text` in `format`, or in the detected format when none is given.
 * @example
 * ```ts
 * const t = parseTrace("0\n5\n", "x.up"); // mahimahi by extension
 * ```
 */
export function parseTrace(text: string, source: string, format?: TraceFormat): Trace {
  switch (format ?? detectTraceFormat(source, text)) {
    case "mahimahi":
      return parseMahimahi(text, source);
    case "ucc-5g":
      return parseUcc5g(text, source);
    case "nyu-mets":
      return parseNyuMets(text, source);
  }
}

function trace(format: TraceFormat, source: string, capacity: Capacity): Trace {
  const periodMs = capacity.periodMs!;
  return { format, source, capacity, periodMs, meanBps: capacity.meanBps() };
}

/** Calls `fn` with each trimmed non-blank line and its 1-based number. */
function eachLine(text: string, fn: (line: string, n: number) => void): void {
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim(); // also drops the \r of CRLF files
    if (line !== "") fn(line, i + 1);
  }
}

/** `YYYY.MM.DD_HH.MM.SS` as whole seconds since 1970 (UTC: only differences matter). */
function parseUccTime(s: string, source: string, line: number): number {
  const m = /^(\d{4})\.(\d{2})\.(\d{2})_(\d{2})\.(\d{2})\.(\d{2})$/.exec(s.trim());
  if (!m) {
    throw new TraceError(source, line, `timestamp "${clip(s)}" is not YYYY.MM.DD_HH.MM.SS`);
  }
  const [y, mo, d, h, mi, se] = m.slice(1).map(Number);
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) {
    throw new TraceError(source, line, `timestamp "${s}" is out of range`);
  }
  return Date.UTC(y, mo - 1, d, h, mi, se) / 1000;
}

function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}
