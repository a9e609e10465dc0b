/**
 * What a running session shows its operator: the snapshot schema (`--stats` lines, the status
 * page, the live view), the collector that fills it from an endpoint, the encoder bitrate
 * advice, the text renderings of the live view, the page's history and docs/STATS.md.
 * @module
 */
export * from "./snapshot.ts";
export * from "./bitrate.ts";
export * from "./collector.ts";
export * from "./history.ts";
export * from "./policy_tap.ts";
export * from "./render.ts";
export { EXAMPLE_SNAPSHOT, statsReference } from "./schema_doc.ts";
