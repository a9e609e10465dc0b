/**
 * Forward error correction for live datagram streams: a Reed-Solomon erasure code over
 * GF(256) (any k of k + m shards rebuild the data), the fixed layout of FEC groups in a
 * stream's sequence numbers, and the sender's and receiver's group bookkeeping. Pure.
 *
 * @example
 * ```ts
 * import { FecDecoder, FecEncoder } from "./mod.ts";
 * const layout = { k: 8, m: 2, firstSeq: 1 };
 * const enc = new FecEncoder(layout);
 * const dec = new FecDecoder(layout);
 * ```
 * @module
 */
export * from "./gf256.ts";
export * from "./reed_solomon.ts";
export * from "./fec_layout.ts";
export * from "./fec_encoder.ts";
export * from "./fec_decoder.ts";
