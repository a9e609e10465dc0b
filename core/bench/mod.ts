/**
 * `bondctl bench`: races the bond against the kernel's MPTCP and the best single link, on
 * shaped kernel links (netns) or emulated ones (loopback). Pure parts: the stream's stamped
 * records (`stamps.ts`), what the sink measures (`recorder.ts`), the contenders
 * (`contenders.ts`), faults (`faults.ts`), the netns lab as commands (`netns_plan.ts`) and the
 * report (`report.ts`). I/O parts, imported from their files: the labs (`lab_io.ts`,
 * `netns_io.ts`), the contender runner (`run_io.ts`), /proc sampling (`proc_stats_io.ts`) and
 * the kernel contenders' socket program (`socket_pipe_io.ts`).
 *
 * @example
 * ```ts
 * import { checkFaults, parseCut, recordSizeFor } from "./mod.ts";
 * const faults = checkFaults([parseCut("1@5s")], 4, 20_000);
 * const size = recordSizeFor(37e6);
 * ```
 * @module
 */
export {
  type ArrivedRecord,
  MAX_RECORD_BYTES,
  MIN_RECORD_BYTES,
  RECORD_HEADER_BYTES,
  RECORD_MAGIC,
  recordSizeFor,
  StampReader,
  stampRecords,
} from "./stamps.ts";
export { BenchRecorder, type SinkFigures, type TimelinePoint } from "./recorder.ts";
export {
  bestLink,
  type Contender,
  CONTENDER_GROUPS,
  type ContenderGroup,
  type ContenderKind,
  planContenders,
} from "./contenders.ts";
export {
  checkFaults,
  describeFault,
  type Fault,
  parseCut,
  parseRestore,
  parseSetRate,
} from "./faults.ts";
export {
  cutCommands,
  endpointRenewCommands,
  LAB_QUEUE_MS,
  LAB_RULE_PRIORITY,
  LAB_TABLE_BASE,
  type LabLink,
  mptcpCommands,
  type NetnsPlan,
  planNetnsLab,
  restoreCommands,
  routeCommands,
  setRateCommands,
  setupCommands,
  tbfParams,
  teardownCommands,
} from "./netns_plan.ts";
export {
  benchChart,
  type BenchReport,
  benchReport,
  benchTable,
  type ContenderJson,
  type ReportLink,
  type RunInfo,
} from "./report.ts";
export { BenchError } from "./errors.ts";
