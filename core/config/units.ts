/**
 * Sizes, rates and durations as users type them, and as bondctl prints them.
 *
 * Stages, in order: trim the input, split it into a decimal number and a unit, look the unit up
 * (case-insensitively), scale, check the range. Every failure is an {@link OptionError} whose
 * message is one line that the CLI prefixes with the flag name.
 *
 * Units, decided once for the whole tool:
 * - Sizes (bytes): `b` or none = 1; `KiB`/`MiB`/`GiB`/`TiB` binary (1024^n); `kB`/`MB`/`GB`/`TB`
 *   decimal (1000^n); a bare `k`/`m`/`g`/`t` binary, as `dd` and `ip` read them. The result is
 *   rounded to a whole byte.
 * - Rates (bit/s): tc's `bit`, `kbit`, `mbit`, `gbit`, `tbit` (1000^n), their `/s` spellings
 *   (`Mbit/s`, as {@link formatRate} prints), and `bps`/`kbps`/`mbps`/`gbps`/`tbps`, which here
 *   mean BITS per second as networking people say it (tc reads `bps` as bytes: we do not). A bare
 *   number is bit/s. Byte rates are not accepted: multiply by 8. The result is a whole bit/s > 0.
 * - Durations (milliseconds): `us`/`µs`, `ms`, `s`, `m`/`min`, `h`. A bare number is rejected
 *   (is `3` three seconds or three milliseconds?) except `0`. Fractions are kept (`500us` = 0.5).
 *
 * Numbers are plain decimals (`64`, `1.5`, `.5`): no sign, no exponent, no `Infinity`.
 * @module
 */

/**
 * A value a user typed that bondctl cannot use. The message is one line, without the flag name:
 * the CLI prints `--flag: message`.
 *
 * @example
 * ```ts
 * import { OptionError, parseRate } from "./units.ts";
 * try {
 *   parseRate("20mbt");
 * } catch (e) {
 *   if (e instanceof OptionError) console.error(`--rate: ${e.message}`);
 * }
 * ```
 */
export class OptionError extends Error {
  /** Creates the error; `options.cause` keeps an underlying error for debugging. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "OptionError";
  }
}

const NUMBER_AND_UNIT = /^(\d+(?:\.\d+)?|\.\d+)\s*([a-zµμ/]*)$/i;

const SIZE_UNITS: Readonly<Record<string, number>> = {
  "": 1,
  b: 1,
  k: 2 ** 10,
  kib: 2 ** 10,
  kb: 1e3,
  m: 2 ** 20,
  mib: 2 ** 20,
  mb: 1e6,
  g: 2 ** 30,
  gib: 2 ** 30,
  gb: 1e9,
  t: 2 ** 40,
  tib: 2 ** 40,
  tb: 1e12,
};

const RATE_UNITS: Readonly<Record<string, number>> = {
  "": 1,
  bit: 1,
  "bit/s": 1,
  bps: 1,
  kbit: 1e3,
  "kbit/s": 1e3,
  kbps: 1e3,
  mbit: 1e6,
  "mbit/s": 1e6,
  mbps: 1e6,
  gbit: 1e9,
  "gbit/s": 1e9,
  gbps: 1e9,
  tbit: 1e12,
  "tbit/s": 1e12,
  tbps: 1e12,
};

const DURATION_UNITS: Readonly<Record<string, number>> = {
  us: 1e-3,
  "µs": 1e-3, // U+00B5 MICRO SIGN
  "μs": 1e-3, // U+03BC GREEK SMALL LETTER MU: what many keyboards produce
  ms: 1,
  s: 1e3,
  m: 60e3,
  min: 60e3,
  h: 3600e3,
};

const SIZE_HINT = "use e.g. 65536, 64KiB, 1.5MiB, 2GB or 64k (k/m/g = KiB/MiB/GiB)";
const RATE_HINT = "use e.g. 20mbit, 512kbit, 1.5gbit or 2500000 (bit/s)";
const DURATION_HINT = "use e.g. 3s, 250ms, 1.5s, 2m, 1h or 500us";

/** Splits `s` into a finite non-negative number and a lowercased unit, or explains why not. */
function splitNumber(s: string, what: string, hint: string): { value: number; unit: string } {
  const text = s.trim();
  if (text === "") throw new OptionError(`the ${what} is empty: ${hint}`);
  if (text.startsWith("-")) {
    throw new OptionError(`"${s}" is negative: a ${what} must be 0 or more`);
  }
  const match = NUMBER_AND_UNIT.exec(text);
  if (match === null) throw new OptionError(`"${s}" is not a ${what}: ${hint}`);
  return { value: Number(match[1]), unit: match[2].toLowerCase() };
}

/**
 * Parses a size in bytes: `65536`, `64k`, `64KiB`, `64kB`, `1.5 MiB`, `2GB`.
 * Binary for `KiB`..`TiB` and for a bare `k`/`m`/`g`/`t`; decimal for `kB`..`TB`; case-insensitive.
 * Zero is allowed; the result is rounded to a whole byte and must be a safe integer.
 *
 * @example
 * ```ts
 * import { parseSize } from "./units.ts";
 * parseSize("64k"); // 65536
 * parseSize("64kB"); // 64000
 * parseSize("1.5 MiB"); // 1572864
 * ```
 */
export function parseSize(s: string): number {
  const { value, unit } = splitNumber(s, "size", SIZE_HINT);
  const scale = SIZE_UNITS[unit];
  if (scale === undefined) throw new OptionError(`"${s}" is not a size: ${SIZE_HINT}`);
  const bytes = Math.round(value * scale);
  if (!Number.isSafeInteger(bytes)) throw new OptionError(`"${s}" is too large for a size`);
  return bytes;
}

/**
 * Parses a rate in bits per second: `20mbit`, `512kbit`, `1.5gbit`, `2mbps`, `20 Mbit/s`,
 * `2500000`. All multipliers are decimal (1000^n) and `bps` means bits, not bytes. The result is
 * rounded to a whole bit/s and must be above zero (a link with rate 0 would never send).
 *
 * @example
 * ```ts
 * import { parseRate } from "./units.ts";
 * parseRate("20mbit"); // 20_000_000
 * parseRate("1.5gbit"); // 1_500_000_000
 * parseRate("2mbps"); // 2_000_000
 * ```
 */
export function parseRate(s: string): number {
  const { value, unit } = splitNumber(s, "rate", RATE_HINT);
  const scale = RATE_UNITS[unit];
  if (scale === undefined) throw new OptionError(`"${s}" is not a rate: ${RATE_HINT}`);
  const bps = Math.round(value * scale);
  if (bps <= 0) throw new OptionError(`"${s}" is not a usable rate: it must be at least 1 bit/s`);
  if (!Number.isSafeInteger(bps)) throw new OptionError(`"${s}" is too large for a rate`);
  return bps;
}

/**
 * Parses a duration into milliseconds: `3s`, `250ms`, `1.5s`, `2m`, `2min`, `1h`, `500us`.
 * A unit is required except for `0`; fractions of a millisecond are kept.
 *
 * @example
 * ```ts
 * import { parseDuration } from "./units.ts";
 * parseDuration("3s"); // 3000
 * parseDuration("500us"); // 0.5
 * parseDuration("2m"); // 120000
 * ```
 */
export function parseDuration(s: string): number {
  const { value, unit } = splitNumber(s, "duration", DURATION_HINT);
  if (unit === "") {
    if (value === 0) return 0;
    // A bare number is ambiguous: `--buffer 3` most likely means seconds, not milliseconds.
    throw new OptionError(
      `"${s}" has no unit: write ${value}s or ${value}ms (units: us, ms, s, m, h)`,
    );
  }
  const scale = DURATION_UNITS[unit];
  if (scale === undefined) throw new OptionError(`"${s}" is not a duration: ${DURATION_HINT}`);
  const ms = value * scale;
  if (!Number.isFinite(ms) || ms > Number.MAX_SAFE_INTEGER) {
    throw new OptionError(`"${s}" is too long for a duration`);
  }
  return ms;
}

/** Formats `n` in `base`-sized steps to one decimal, moving up a unit when rounding reaches it. */
function scaled(n: number, base: number, units: readonly string[], small: string): string {
  if (!Number.isFinite(n)) throw new RangeError(`cannot format ${n}`);
  const sign = n < 0 ? "-" : "";
  if (Math.round(Math.abs(n)) < base) return `${sign}${Math.round(Math.abs(n))} ${small}`;
  let v = Math.abs(n) / base;
  let i = 0;
  // 1023.96 KiB would print as "1024.0 KiB": compare the rounded value, not the exact one
  while (i < units.length - 1 && Number(v.toFixed(1)) >= base) {
    v /= base;
    i++;
  }
  return `${sign}${v.toFixed(1)} ${units[i]}`;
}

/**
 * Formats a byte count for people, in binary units: `512 B`, `64.0 KiB`, `1.5 MiB`.
 * Negative values (deltas) keep their sign; non-finite values throw a RangeError.
 *
 * @example
 * ```ts
 * import { formatBytes } from "./units.ts";
 * formatBytes(1572864); // "1.5 MiB"
 * ```
 */
export function formatBytes(n: number): string {
  return scaled(n, 1024, ["KiB", "MiB", "GiB", "TiB", "PiB"], "B");
}

/**
 * Formats a rate in bits per second for people, in decimal units: `950 bit/s`, `20.0 Mbit/s`.
 * The output parses back with {@link parseRate} (to one decimal of its unit).
 *
 * @example
 * ```ts
 * import { formatRate } from "./units.ts";
 * formatRate(20_000_000); // "20.0 Mbit/s"
 * ```
 */
export function formatRate(bps: number): string {
  return scaled(bps, 1000, ["kbit/s", "Mbit/s", "Gbit/s", "Tbit/s"], "bit/s");
}

/**
 * Formats milliseconds for people: `500 µs`, `250 ms`, `3.0 s`, `2.5 min`, `1.5 h`.
 * The output parses back with {@link parseDuration} (to the precision shown).
 *
 * @example
 * ```ts
 * import { formatDuration } from "./units.ts";
 * formatDuration(3000); // "3.0 s"
 * formatDuration(250); // "250 ms"
 * ```
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) throw new RangeError(`cannot format ${ms}`);
  const sign = ms < 0 ? "-" : "";
  const v = Math.abs(ms);
  if (v === 0) return "0 ms";
  if (Math.round(v * 1e3) < 1e3) return `${sign}${Math.round(v * 1e3)} µs`;
  if (Math.round(v) < 1e3) return `${sign}${Math.round(v)} ms`;
  if (Number((v / 1e3).toFixed(1)) < 60) return `${sign}${(v / 1e3).toFixed(1)} s`;
  if (Number((v / 60e3).toFixed(1)) < 60) return `${sign}${(v / 60e3).toFixed(1)} min`;
  return `${sign}${(v / 3600e3).toFixed(1)} h`;
}
