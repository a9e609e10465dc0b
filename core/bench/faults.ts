/**
 * The bench's fault schedule: what `--cut N@T`, `--cut N@T:blackhole`, `--set-rate N=RATE@T`
 * and `--restore N@T` ask for, parsed and checked against the links and the duration. Each
 * lab carries the faults out its own way (netns: veth ends down, an nftables drop, `tc`;
 * loopback: the emulator's closed and silent cuts and `setRate`). Pure.
 *
 * Stages: parse each flag (links from 1, times with a unit, measured from the start of each
 * contender's window); sort by time (flags given first win a tie); check that a link exists,
 * that a restore follows a cut of that link, and that every time falls inside the duration.
 * @module
 */
import { OptionError, parseDuration, parseRate } from "../config/mod.ts";

/**
 * One fault. `down`: both ends of the link down; `blackhole`: packets silently dropped.
 * @example
 * ```ts
 * const f: Fault = { kind: "cut", link: 1, atMs: 5000, how: "blackhole" };
 * ```
 */
export type Fault =
  | { kind: "cut"; link: number; atMs: number; how: "down" | "blackhole" }
  | { kind: "restore"; link: number; atMs: number }
  | { kind: "set-rate"; link: number; atMs: number; bps: number };

function linkAndTime(flag: string, s: string, body: string): { link: number; atMs: number } {
  const at = body.lastIndexOf("@");
  if (at < 0) throw new OptionError(`${flag} "${s}": give LINK@TIME, e.g. 1@5s`);
  const link = Number(body.slice(0, at));
  if (!Number.isInteger(link) || link < 1) {
    throw new OptionError(`${flag} "${s}": link "${body.slice(0, at)}" is not a number from 1`);
  }
  let atMs: number;
  try {
    atMs = parseDuration(body.slice(at + 1));
  } catch (e) {
    throw new OptionError(`${flag} "${s}": time: ${(e as Error).message}`);
  }
  return { link, atMs };
}

/**
 * Parses `--cut N@T` or `--cut N@T:blackhole`.
 * @example
 * ```ts
 * parseCut("1@5s"); // { kind: "cut", link: 1, atMs: 5000, how: "down" }
 * parseCut("2@8s:blackhole"); // { kind: "cut", link: 2, atMs: 8000, how: "blackhole" }
 * ```
 */
export function parseCut(s: string): Fault {
  const colon = s.indexOf(":");
  const body = colon < 0 ? s : s.slice(0, colon);
  const mode = colon < 0 ? "down" : s.slice(colon + 1);
  if (mode !== "down" && mode !== "blackhole") {
    throw new OptionError(`--cut "${s}": "${mode}" is not down or blackhole (e.g. 1@5s:blackhole)`);
  }
  return { kind: "cut", ...linkAndTime("--cut", s, body), how: mode };
}

/**
 * Parses `--restore N@T`.
 * @example
 * ```ts
 * parseRestore("1@12s"); // { kind: "restore", link: 1, atMs: 12000 }
 * ```
 */
export function parseRestore(s: string): Fault {
  return { kind: "restore", ...linkAndTime("--restore", s, s) };
}

/**
 * Parses `--set-rate N=RATE@T`.
 * @example
 * ```ts
 * parseSetRate("2=1mbit@8s"); // { kind: "set-rate", link: 2, atMs: 8000, bps: 1000000 }
 * ```
 */
export function parseSetRate(s: string): Fault {
  const m = /^(\d+)=([^@]+)@(.+)$/.exec(s);
  if (!m) throw new OptionError(`--set-rate "${s}": give LINK=RATE@TIME, e.g. 2=1mbit@8s`);
  let bps: number;
  try {
    bps = parseRate(m[2]);
  } catch (e) {
    throw new OptionError(`--set-rate "${s}": rate: ${(e as Error).message}`);
  }
  if (!(bps >= 8000)) throw new OptionError(`--set-rate "${s}": the rate must be at least 8kbit`);
  return { kind: "set-rate", ...linkAndTime("--set-rate", s, `${m[1]}@${m[3]}`), bps };
}

/**
 * Sorts the faults by time and checks them against `links` links and a run of `durationMs`.
 * @example
 * ```ts
 * checkFaults([parseRestore("1@9s"), parseCut("1@5s")], 4, 20_000); // cut first, then restore
 * ```
 */
export function checkFaults(faults: readonly Fault[], links: number, durationMs: number): Fault[] {
  const sorted = faults.map((f, i) => ({ f, i })).sort((a, b) => a.f.atMs - b.f.atMs || a.i - b.i)
    .map((x) => x.f);
  const cut = new Set<number>();
  for (const f of sorted) {
    const flag = f.kind === "cut" ? "--cut" : f.kind === "restore" ? "--restore" : "--set-rate";
    if (f.link > links) {
      throw new OptionError(
        `${flag}: there is no link ${f.link} (links are numbered 1 to ${links})`,
      );
    }
    if (f.atMs >= durationMs) {
      throw new OptionError(
        `${flag}: ${f.atMs} ms is not inside the ${durationMs} ms run: use a time below --duration`,
      );
    }
    if (f.kind === "cut") {
      if (cut.has(f.link)) throw new OptionError(`--cut: link ${f.link} is cut twice`);
      if (links - cut.size <= 1) {
        throw new OptionError(`--cut: cutting link ${f.link} would leave no link up`);
      }
      cut.add(f.link);
    } else if (f.kind === "restore") {
      if (!cut.has(f.link)) {
        throw new OptionError(`--restore: link ${f.link} is not cut before ${f.atMs} ms`);
      }
      cut.delete(f.link);
    }
  }
  return sorted;
}

/**
 * A fault as people read it.
 * @example
 * ```ts
 * describeFault(parseCut("1@5s")); // "5.0 s: cut link 1 (down)"
 * ```
 */
export function describeFault(f: Fault): string {
  const t = `${(f.atMs / 1000).toFixed(1)} s`;
  if (f.kind === "cut") return `${t}: cut link ${f.link} (${f.how})`;
  if (f.kind === "restore") return `${t}: restore link ${f.link}`;
  return `${t}: link ${f.link} to ${f.bps} bit/s`;
}
