/**
 * What a simulation is given and what it reports. Definitions of every measurement are here,
 * beside the fields that carry them.
 * @module
 */
import type { EndpointOptions } from "../session/endpoint.ts";
import type { Policy } from "../scheduler/policy.ts";
import type { InputSpec } from "./input_model.ts";
import type { SimLinkSpec } from "./link_model.ts";
import type { VerifyMode } from "./pattern.ts";

/** A simulation: links, input, policy and the receiver's buffer. */
export interface SimConfig {
  /** The links, numbered from 1 in this order. */
  links: SimLinkSpec[];
  /** What feeds the sender. */
  input: InputSpec;
  /** How long the input runs (ms): timed and saturating sources stop producing then. */
  durationMs: number;
  /** Every random draw of the run derives from it; reported in the result. */
  seed: number;
  /** The sender's policy. The receiver, which sends only control frames, uses proportional. */
  policy: Policy;
  /** The receiver's buffer period (ms): the deadline for on-time delivery. */
  bufferMs: number;
  /** The receiver's memory bound (bytes). */
  maxBufferBytes: number;
  /** Time after the input stops to let everything arrive (default 30 s; the run ends early
   * once both sides complete). */
  drainMs?: number;
  /** Timeline resolution (default 100 ms). */
  sampleMs?: number;
  /** How output is checked against the input pattern (default "sampled": O(1) per chunk). */
  verify?: VerifyMode;
  /** Further endpoint options (both sides), e.g. `maxQueuedBytes`, `silenceMs`. */
  endpoint?: Partial<Omit<EndpointOptions, "oui" | "policy" | "bufferMs" | "maxBufferBytes">>;
}

/** Delay percentiles, byte-weighted (ms). */
export interface DelayStats {
  /** Median. */
  p50: number;
  /** 95th percentile. */
  p95: number;
  /** 99th percentile. */
  p99: number;
  /** Exact maximum. */
  max: number;
  /** Mean. */
  mean: number;
}

/** One link's share of the run. */
export interface LinkReport {
  /** The link's number, from 1. */
  index: number;
  /** Its name in the endpoints' caps. */
  name: string;
  /** Payload bytes the sender wrote to this link (re-sends and copies included: what is billed). */
  bytes: number;
  /** Payload bytes that reached the receiver over it. */
  deliveredBytes: number;
  /** `bytes / 1e6 x costPerMB`. */
  cost: number;
  /** The link's price per MB of payload. */
  costPerMB: number;
  /** Mean uplink capacity the path offered over the measurement window, outages excluded. */
  capacityBps: number;
  /** TCP stalls caused by loss, both directions. */
  lossStalls: number;
  /** Connections opened (1 + redials). */
  connections: number;
}

/** One row of the timeline, covering the `sampleMs` before `tMs`. */
export interface TimelineRow {
  /** End of the interval (ms). */
  tMs: number;
  /** Payload throughput delivered over each link (bit/s). */
  linkBps: number[];
  /** Capacity each link's path offered (bit/s). */
  capacityBps: number[];
  /** In-order output (bit/s). */
  goodputBps: number;
  /** Worst delivery delay of bytes output in the interval (ms), null when none were. */
  delayMs: number | null;
  /** The receiver's buffer period in force (ms). */
  bufferMs: number;
}

/** Something that happened to a link or a side. */
export interface SimEvent {
  /** When it happened (ms). */
  tMs: number;
  /** What happened. */
  kind:
    | "outage-start"
    | "outage-end"
    | "redial"
    | "link-stalled"
    | "link-resumed"
    | "link-silent"
    | "link-error"
    | "complete"
    | "failed";
  /** The link's index, where one is concerned. */
  link?: number;
  /** Which endpoint reported it (endpoint events). */
  side?: "client" | "server";
  /** Outage kind, error message or failure reason. */
  detail?: string;
}

/**
 * The measurements of a run.
 *
 * Measurement window: `[0, windowMs]`, where `windowMs` is `durationMs` for cbr, video and
 * saturating input, and for a file the time its last byte was output (or the run's end if it
 * never was).
 */
export interface SimResult {
  /** The seed every random draw derived from: the same config and seed replay the run. */
  seed: number;
  /** The sender's policy's name. */
  policy: string;
  /** Both sides completed, one failed, or time ran out first. */
  outcome: "complete" | "failed" | "incomplete";
  /** The failure's reason, when one side failed. */
  failure?: string;
  /** When the run stopped (ms of virtual time). */
  endMs: number;
  /** Length of the measurement window (ms), see above. */
  windowMs: number;
  /** Bytes the source produced (pushed or still waiting in the source). */
  inputBytes: number;
  /** In-order bytes output by the receiver by the end of the run. */
  outputBytes: number;
  /** In-order bytes output within the window x 8 / window length. */
  goodputBps: number;
  /** Capacity the links' paths offered over the window, summed over links, outages excluded
   * (loss stalls included: the path offered it, TCP wasted it). */
  capacityBps: number;
  /** goodput / capacity. Measures the scheduler only when the input saturates; otherwise it
   * is the load the input put on the links. */
  efficiency: number;
  /** Output time minus the time each byte entered the sender (produced by a timed source,
   * pushed by a greedy one), weighted by bytes, from a 0.5 %-resolution histogram; bytes
   * never output are not in it. */
  delayMs: DelayStats;
  /** Bytes output within `bufferMs` of entering, over all input bytes (bytes never output
   * count as late). */
  onTimeShare: number;
  /** Payload bytes sent again after a loss, a stall or a NACK (sender's count). */
  resentBytes: number;
  /** Payload bytes that reached the receiver when it already had them: wasted capacity,
   * from needless re-sends and from redundant copies alike (receiver's count). */
  duplicateBytes: number;
  /** Payload bytes of deliberate copies a redundant policy sent (sender's count). */
  copyBytes: number;
  /** Input bytes never output by the end of the run: 0 whenever a reliable run drains. */
  lostBytes: number;
  /** Output chunks that did not match the input pattern (order or content broken). */
  verifyErrors: number;
  /** Time-average, over the timeline rows within the window, of the links that delivered
   * any payload in the row's interval. */
  meanLinksUsed: number;
  /** Per link, in spec order. */
  links: LinkReport[];
  /** One row per `sampleMs`, and a last one at the end of the run. */
  timeline: TimelineRow[];
  /** Outages, redials and endpoint events, in time order. */
  events: SimEvent[];
  /** Instants at which an endpoint's deadline was still past after handling it: a real
   * driver's timer would spin there (diagnostic; should be 0). */
  spins: number;
  /** Instants the event loop processed (diagnostic). */
  instants: number;
}
