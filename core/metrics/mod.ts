/**
 * Metrics: a Prometheus text registry, the relay's counters and its metric set.
 * @example
 * ```ts
 * import { RelayTally, renderRelayMetrics } from "./mod.ts";
 * ```
 * @module
 */
export * from "./prometheus.ts";
export * from "./relay_tally.ts";
export * from "./relay_metrics.ts";
