/**
 * The scheduler: per-link estimates and the policies that assign blocks to links, with a
 * registry of them by name.
 * @module
 */
export * from "./link_estimator.ts";
export * from "./policy.ts";
export * from "./proportional.ts";
export * from "./fewest.ts";
export * from "./earliest.ts";
export * from "./redundant.ts";
export * from "./ref_roundrobin.ts";
export * from "./ref_wrr.ts";
export * from "./ref_minrtt.ts";
export * from "./ref_srtla.ts";
export * from "./ref_duplicate.ts";
export * from "./registry.ts";
