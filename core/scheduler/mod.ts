/**
 * The scheduler: per-link estimates and the policies that assign blocks to links.
 * @module
 */
export * from "./link_estimator.ts";
export * from "./policy.ts";
export * from "./proportional.ts";
