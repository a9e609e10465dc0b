/**
 * Puts the live view on stderr. On a terminal the block of lines is redrawn in place every
 * second (cursor up, clear to the end of the screen, draw); log lines go above it, so they
 * scroll as usual and the block stays at the bottom. When stderr is not a terminal, one
 * summary line goes out per interval instead, like any other log line. `--quiet` shows
 * nothing. The lines themselves come from `core/status/render.ts`.
 * @module
 */
import type { Logger } from "../core/session/driver_io.ts";
import { ANSI, clockTime, liveLines, PLAIN, summaryLine } from "../core/status/render.ts";
import type { StatusSnapshot } from "../core/status/snapshot.ts";

/** Where and how the view draws; the defaults are the process's stderr. */
export interface LiveViewOptions {
  /** `bondctl send: ` prefix of summary lines. */
  who: string;
  quiet?: boolean;
  /** Is stderr a terminal? */
  isTty?: boolean;
  /** Terminal width (columns). */
  columns?: () => number;
  /** Colour (off with NO_COLOR). */
  colour?: boolean;
  /** Writes text to stderr, synchronously (so that it interleaves with console.error). */
  write?: (text: string) => void;
  /** One summary line this often when stderr is not a terminal (ms). */
  summaryEveryMs?: number;
}

/** How often a non-terminal stderr gets a summary line (ms): a log, not a ticker. */
export const SUMMARY_EVERY_MS = 10_000;

const encoder = new TextEncoder();

function stderrWrite(text: string): void {
  const bytes = encoder.encode(text);
  for (let off = 0; off < bytes.length;) off += Deno.stderr.writeSync(bytes.subarray(off));
}

function stderrColumns(): number {
  try {
    return Deno.consoleSize().columns;
  } catch {
    return 100;
  }
}

/**
 * @example
 * ```ts
 * const view = new LiveView({ who: "send", quiet: opts.quiet });
 * const log = view.wrapLogger(stderrLogger(opts, "send"));
 * view.show(snapshot, clock());
 * ```
 */
export class LiveView {
  readonly mode: "terminal" | "lines" | "off";
  #o: Required<Omit<LiveViewOptions, "quiet" | "isTty">>;
  /** Lines of the block on screen now. */
  #drawn = 0;
  #last: string[] = [];
  #nextSummaryAt = -Infinity;

  constructor(o: LiveViewOptions) {
    const tty = o.isTty ?? Deno.stderr.isTerminal();
    this.mode = o.quiet ? "off" : tty ? "terminal" : "lines";
    this.#o = {
      who: o.who,
      columns: o.columns ?? stderrColumns,
      colour: o.colour ?? (!Deno.noColor && !Deno.env.get("NO_COLOR")),
      write: o.write ?? stderrWrite,
      summaryEveryMs: o.summaryEveryMs ?? SUMMARY_EVERY_MS,
    };
  }

  /** Draws `snap` (terminal), or writes a summary line if one is due (`now` in ms). */
  show(snap: StatusSnapshot, now: number): void {
    if (this.mode === "off") return;
    if (this.mode === "lines") {
      // Nothing to say before a session ("connecting" every 10 s is noise in a log), and the
      // first line after one interval of it: a short transfer logs no line of zeros.
      if (snap.sessions.length === 0) return;
      if (this.#nextSummaryAt === -Infinity) this.#nextSummaryAt = now + this.#o.summaryEveryMs;
      if (now < this.#nextSummaryAt) return;
      this.#nextSummaryAt = now + this.#o.summaryEveryMs;
      this.#o.write(`bondctl ${this.#o.who}: ${summaryLine(snap)}\n`);
      return;
    }
    const width = this.#o.columns() - 1; // the last column would wrap on some terminals
    this.#last = liveLines(snap, { width, paint: this.#o.colour ? ANSI : PLAIN });
    this.#o.write(this.#erase() + this.#last.map((l) => l + "\n").join(""));
    this.#drawn = this.#last.length;
  }

  /** Runs `print` (which writes lines to stderr) above the block, then redraws the block. */
  above(print: () => void): void {
    if (this.mode !== "terminal" || this.#drawn === 0) return print();
    this.#o.write(this.#erase());
    this.#drawn = 0;
    print();
    this.#o.write(this.#last.map((l) => l + "\n").join(""));
    this.#drawn = this.#last.length;
  }

  /** Removes the block (before the command's last lines). */
  clear(): void {
    if (this.mode !== "terminal" || this.#drawn === 0) return;
    this.#o.write(this.#erase());
    this.#drawn = 0;
    this.#last = [];
  }

  /** A logger whose lines go above the block. */
  wrapLogger(log: Logger): Logger {
    return {
      info: (m) => this.above(() => log.info(m)),
      warn: (m) => this.above(() => log.warn(m)),
      debug: (m) => this.above(() => log.debug(m)),
    };
  }

  /** Cursor to the start of the block, and clear from there down. */
  #erase(): string {
    return this.#drawn > 0 ? `\x1b[${this.#drawn}F\x1b[J` : "";
  }
}

/**
 * A one-line progress indicator for long runs (`bench`, `simulate`): on a terminal it is
 * rewritten in place and log lines go above it; elsewhere it stays silent, since those
 * commands already log a line per step.
 * @example
 * ```ts
 * const bar = new ProgressLine({ who: "simulate" });
 * bar.set("policy earliest (1/7): 12.0 of 60.0 s simulated");
 * bar.done();
 * ```
 */
export class ProgressLine {
  readonly active: boolean;
  #write: (text: string) => void;
  #columns: () => number;
  #shown = "";

  constructor(o: Pick<LiveViewOptions, "quiet" | "isTty" | "write" | "columns">) {
    this.active = !o.quiet && (o.isTty ?? Deno.stderr.isTerminal());
    this.#write = o.write ?? stderrWrite;
    this.#columns = o.columns ?? stderrColumns;
  }

  /** Shows `text` as the progress line. */
  set(text: string): void {
    if (!this.active) return;
    const w = Math.max(20, this.#columns() - 1);
    this.#shown = text.length > w ? text.slice(0, w - 1) + "…" : text;
    this.#write(`\r\x1b[K${this.#shown}`);
  }

  /** Prints a log line above the progress line. */
  above(print: () => void): void {
    if (!this.active || this.#shown === "") return print();
    this.#write("\r\x1b[K");
    print();
    this.#write(this.#shown);
  }

  /** Removes the progress line. */
  done(): void {
    if (!this.active || this.#shown === "") return;
    this.#write("\r\x1b[K");
    this.#shown = "";
  }
}

/**
 * A progress callback for a simulation: shows `label: 12.0 of 60.0 s simulated` from the
 * simulator's virtual time, redrawn at most ten times a second of real time.
 * @example
 * ```ts
 * const tap = tapPolicy(policy, { onDecision: simulatedProgress(bar, "policy earliest", 60_000) });
 * ```
 */
export function simulatedProgress(
  bar: ProgressLine,
  label: string,
  totalMs: number,
  clock: () => number = () => performance.now(),
): (virtualMs: number) => void {
  let next = 0;
  const secs = (ms: number) => (ms / 1000).toFixed(1);
  return (now) => {
    if (!bar.active) return;
    const t = clock();
    if (t < next) return;
    next = t + 100;
    bar.set(`${label}: ${secs(Math.min(now, totalMs))} of ${secs(totalMs)} s simulated`);
  };
}

/**
 * Progress through timed steps (`bench`'s contenders): `bench: [2/5] bondctl-earliest: 12 of
 * 20 s · 0:47 of about 1:40`, redrawn every second on a terminal.
 * @example
 * ```ts
 * const steps = new StepsProgress(new ProgressLine({}), "bench", contenders.length, 20_000);
 * steps.step(0, "bondctl-earliest");
 * steps.stop();
 * ```
 */
export class StepsProgress {
  #bar: ProgressLine;
  #label: string;
  #steps: number;
  #stepMs: number;
  #clock: () => number;
  #startedAt: number;
  #stepAt = 0;
  #stepIndex = 0;
  #current = "";
  #timer: number | null = null;

  constructor(
    bar: ProgressLine,
    label: string,
    steps: number,
    stepMs: number,
    clock: () => number = () => performance.now(),
  ) {
    this.#bar = bar;
    this.#label = label;
    this.#steps = steps;
    this.#stepMs = stepMs;
    this.#clock = clock;
    this.#startedAt = clock();
    if (bar.active) {
      this.#timer = setInterval(() => this.draw(), 1000) as unknown as number;
      Deno.unrefTimer(this.#timer);
    }
  }

  /** Step `i` (from 0) named `name` begins. */
  step(i: number, name: string): void {
    this.#stepAt = this.#clock();
    this.#stepIndex = i;
    this.#current = `[${i + 1}/${this.#steps}] ${name}`;
    this.draw();
  }

  /** The progress text now. */
  text(): string {
    const now = this.#clock();
    const inStep = Math.min(this.#stepMs, now - this.#stepAt);
    const s = (ms: number) => Math.round(ms / 1000);
    // Steps take longer than their run (setup, drain): once some are done, their pace counts.
    const done = this.#stepAt - this.#startedAt;
    const pace = this.#stepIndex > 0
      ? Math.max(this.#stepMs, done / this.#stepIndex)
      : this.#stepMs;
    const total = Math.max(now - this.#startedAt, done + (this.#steps - this.#stepIndex) * pace);
    return `${this.#label}: ${this.#current}: ${s(inStep)} of ${s(this.#stepMs)} s · ` +
      `${clockTime(now - this.#startedAt)} of about ${clockTime(total)}`;
  }

  /** Redraws the line. */
  draw(): void {
    if (this.#current) this.#bar.set(this.text());
  }

  /** Stops redrawing and removes the line. */
  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    this.#bar.done();
  }
}
