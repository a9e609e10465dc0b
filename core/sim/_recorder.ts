/**
 * What a simulation measures, kept apart from the event loop that drives it: payload per link,
 * the receiver's output (verified against the input pattern, timed by the delay meter), the
 * timeline, events, and at the end the `SimResult`. The definitions are in `sim_types.ts`.
 * @module
 */
import { DelayMeter } from "./delay_meter.ts";
import type { SimLink } from "./link_model.ts";
import { PatternVerifier, type VerifyMode } from "./pattern.ts";
import type { SimEvent, SimResult, TimelineRow } from "./sim_types.ts";

/** What the loop knows at the end that the recorder does not. */
export interface RunSummary {
  seed: number;
  policy: string;
  endMs: number;
  /** Bytes the source produced. */
  inputBytes: number;
  bothComplete: boolean;
  failure?: string;
  resentBytes: number;
  duplicateBytes: number;
  copyBytes: number;
  spins: number;
  instants: number;
}

/**
 * Accumulates a run's measurements.
 * @example
 * ```ts
 * const rec = new Recorder(links, { bufferMs: 3000, durationMs: 60_000, fileInput: false,
 *   verify: "sampled" });
 * rec.input(1316, 0);
 * rec.output(patternView(0, 1316), 21);
 * ```
 */
export class Recorder {
  #links: readonly SimLink[];
  #meter: DelayMeter;
  #verifier: PatternVerifier;
  #durationMs: number;
  #fileInput: boolean;
  #outputBytes = 0;
  #windowBytes = 0;
  #lastOutputAt: number | null = null;
  #outputEnded = false;
  #events: SimEvent[] = [];
  // Per link: payload written and delivered, in total and since the last sample.
  #written: number[];
  #delivered: number[];
  #intervalDelivered: number[];
  #intervalOutput = 0;
  #lastSampleAt = 0;
  #timeline: TimelineRow[] = [];

  constructor(
    links: readonly SimLink[],
    opts: { bufferMs: number; durationMs: number; fileInput: boolean; verify: VerifyMode },
  ) {
    this.#links = links;
    this.#meter = new DelayMeter(opts.bufferMs);
    this.#verifier = new PatternVerifier(opts.verify);
    this.#durationMs = opts.durationMs;
    this.#fileInput = opts.fileInput;
    this.#written = new Array(links.length).fill(0);
    this.#delivered = new Array(links.length).fill(0);
    this.#intervalDelivered = new Array(links.length).fill(0);
  }

  /** The next `bytes` of the stream entered the sender at `at`. */
  input(bytes: number, at: number): void {
    this.#meter.input(bytes, at);
  }

  /** The sender wrote a DATA payload of `bytes` to link `index`. */
  written(index: number, bytes: number): void {
    this.#written[index - 1] += bytes;
  }

  /** A DATA payload of `bytes` reached the receiver over link `index`. */
  delivered(index: number, bytes: number): void {
    this.#delivered[index - 1] += bytes;
    this.#intervalDelivered[index - 1] += bytes;
  }

  /** The receiver output `chunk` at `now`: verified, timed, counted. */
  output(chunk: Uint8Array, now: number): void {
    const n = chunk.length;
    this.#verifier.check(chunk);
    this.#meter.output(n, now);
    this.#outputBytes += n;
    this.#intervalOutput += n;
    if (this.#fileInput || now <= this.#durationMs) this.#windowBytes += n;
    this.#lastOutputAt = now;
  }

  /** The receiver's output has ended (the whole stream is out). */
  outputEnded(): void {
    this.#outputEnded = true;
  }

  /** Notes an event. */
  event(
    tMs: number,
    kind: SimEvent["kind"],
    link?: number,
    side?: SimEvent["side"],
    detail?: string,
  ): void {
    const ev: SimEvent = { tMs, kind };
    if (link !== undefined) ev.link = link;
    if (side !== undefined) ev.side = side;
    if (detail !== undefined) ev.detail = detail;
    this.#events.push(ev);
  }

  /** Adds the timeline row for the interval that ends at `now`. */
  sample(now: number, bufferMs: number): void {
    const from = this.#lastSampleAt;
    const len = now - from;
    if (len <= 0) return;
    const bps = (bytes: number) => (bytes * 8000) / len;
    this.#timeline.push({
      tMs: now,
      linkBps: this.#intervalDelivered.map(bps),
      capacityBps: this.#links.map((l) => bps(l.offeredBytes(from, now))),
      goodputBps: bps(this.#intervalOutput),
      delayMs: this.#meter.takeIntervalMax(),
      bufferMs,
    });
    this.#intervalDelivered.fill(0);
    this.#intervalOutput = 0;
    this.#lastSampleAt = now;
  }

  /** The result; call once, after the last `sample()`. */
  result(run: RunSummary, sampleMs: number): SimResult {
    const end = run.endMs;
    const windowMs = !this.#fileInput
      ? this.#durationMs
      : this.#outputEnded
      ? (this.#lastOutputAt ?? end)
      : end;
    const perSec = (bytes: number) => (windowMs > 0 ? (bytes * 8000) / windowMs : 0);
    const offered = this.#links.map((l) => perSec(l.offeredBytes(0, windowMs)));
    const capacityBps = offered.reduce((a, b) => a + b, 0);
    const goodputBps = perSec(this.#windowBytes);
    const h = this.#meter.histogram;
    const rows = this.#timeline.filter((r) => r.tMs - sampleMs < windowMs);
    const used = rows.reduce((a, r) => a + r.linkBps.filter((b) => b > 0).length, 0);
    return {
      seed: run.seed,
      policy: run.policy,
      outcome: run.failure !== undefined ? "failed" : run.bothComplete ? "complete" : "incomplete",
      ...(run.failure !== undefined ? { failure: run.failure } : {}),
      endMs: end,
      windowMs,
      inputBytes: run.inputBytes,
      outputBytes: this.#outputBytes,
      goodputBps,
      capacityBps,
      efficiency: capacityBps > 0 ? goodputBps / capacityBps : 0,
      delayMs: {
        p50: h.quantile(0.5),
        p95: h.quantile(0.95),
        p99: h.quantile(0.99),
        max: h.max,
        mean: h.mean,
      },
      onTimeShare: run.inputBytes > 0 ? this.#meter.onTimeBytes / run.inputBytes : 1,
      resentBytes: run.resentBytes,
      duplicateBytes: run.duplicateBytes,
      copyBytes: run.copyBytes,
      lostBytes: run.inputBytes - this.#outputBytes,
      verifyErrors: this.#verifier.errors,
      meanLinksUsed: rows.length > 0 ? used / rows.length : 0,
      links: this.#links.map((l, i) => ({
        index: l.index,
        name: l.name,
        bytes: this.#written[i],
        deliveredBytes: this.#delivered[i],
        cost: (this.#written[i] / 1e6) * l.caps.cost,
        costPerMB: l.caps.cost,
        capacityBps: offered[i],
        lossStalls: l.lossStalls,
        connections: l.connections,
      })),
      timeline: this.#timeline,
      events: this.#events,
      spins: run.spins,
      instants: run.instants,
    };
  }
}
