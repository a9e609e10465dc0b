/**
 * The receiver's reorder buffer: puts one stream's blocks back in sequence within a byte
 * window, and says which gaps are overdue for a NACK. Pure: time is passed in as `now`.
 *
 * @example
 * ```ts
 * import { ReorderBuffer } from "./mod.ts";
 *
 * const buf = new ReorderBuffer({ maxBytes: 64 << 20, nackDelayMs: 40 });
 * buf.insert(0, new Uint8Array([1, 2, 3]), true, 0);
 * console.log(buf.take()?.fin); // true
 * ```
 * @module
 */

export { ReorderBuffer, ReorderError } from "./reorder_buffer.ts";
export type {
  Block,
  InsertResult,
  ReorderErrorCode,
  ReorderOptions,
  SeqRange,
} from "./reorder_buffer.ts";
export * from "./adaptive_buffer.ts";
