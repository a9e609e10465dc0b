/**
 * Reports for people: SVG charts (and, later, tables) built from plain data.
 * @module
 */
export * from "./svg_chart.ts";
