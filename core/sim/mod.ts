/**
 * The discrete-event simulator behind `bondctl simulate` and the scheduling tests: the real
 * sender and receiver (`BondEndpoint`, scheduler, reorder buffer, retransmission) on a virtual
 * clock, joined by modelled links (capacity constant, scheduled or traced; delay, jitter, loss
 * stalls, outages, cost) and fed by modelled inputs (cbr, video, saturating, file).
 * Pure: trace files are read by `trace_io.ts` (`loadTrace`), imported from there by the
 * callers that do I/O, so that importing this module never pulls in file access.
 *
 * @example
 * ```ts
 * import { proportionalPolicy } from "../scheduler/mod.ts";
 * import { parseSimLinks, runSimulation, toSimLinkSpec } from "./mod.ts";
 * const result = runSimulation({
 *   links: parseSimLinks("20mbit/20ms,10mbit/30ms").map((l) => toSimLinkSpec(l)),
 *   input: { kind: "video", bitrateBps: 12e6 },
 *   durationMs: 60_000, seed: 7, policy: proportionalPolicy(),
 *   bufferMs: 3000, maxBufferBytes: 32 << 20,
 * });
 * console.log(result.seed, result.goodputBps, result.delayMs.p99);
 * ```
 * @module
 */
export { runSimulation } from "./simulator.ts";
export type {
  DelayStats,
  LinkReport,
  SimConfig,
  SimEvent,
  SimResult,
  TimelineRow,
} from "./sim_types.ts";
export { Capacity, type RateChange } from "./capacity.ts";
export {
  type CapacitySpec,
  DEFAULT_DOWN_BPS,
  DEFAULT_SEND_BUFFER_BYTES,
  type DirectionSpec,
  MIN_RTO_MS,
  type Outage,
  SimLink,
  type SimLinkSpec,
  toCapacity,
} from "./link_model.ts";
export { type Hold, MSS_BYTES, Pipe, type PipeOptions } from "./pipe.ts";
export {
  createInputModel,
  type InputChunk,
  type InputModel,
  type InputSpec,
} from "./input_model.ts";
export {
  MAX_CHUNK_BYTES,
  PATTERN_PERIOD,
  patternByte,
  PatternVerifier,
  patternView,
  type VerifyMode,
} from "./pattern.ts";
export {
  detectTraceFormat,
  MAHIMAHI_PACKET_BYTES,
  parseMahimahi,
  parseNyuMets,
  parseTrace,
  parseUcc5g,
  type Trace,
  TRACE_FORMATS,
  TraceError,
  type TraceFormat,
  type Ucc5gOptions,
} from "./traces.ts";
export {
  DEFAULT_SIM_DELAY_MS,
  type ParsedSimLink,
  parseSimLink,
  parseSimLinks,
  toSimLinkSpec,
} from "./link_spec.ts";
export { Rng } from "./rng.ts";
export { EventQueue } from "./event_queue.ts";
export { VirtualClock } from "./clock.ts";
export { DelayHistogram } from "./histogram.ts";
export { DelayMeter } from "./delay_meter.ts";
export { wireSize } from "./wire_size.ts";
