/**
 * The bench's stream: fixed-size records, each opening with a header that carries its index
 * and the time the source wrote it, so that the sink measures delivery delay per record and
 * notices a lost, doubled or reordered byte. Source and sink run on one machine (one clock).
 *
 * Record layout (little-endian): magic u32 | record size u32 | index u64 | sent at f64 (ms) |
 * filler up to the record size. The filler is zero: TLS and TCP protect the bytes; the index
 * and the sizes are what show a transport that lost, doubled or reordered something.
 * Stages: `stampRecords()` fills a batch; `StampReader.push()` splits arriving chunks back
 * into records and checks them in order.
 * @module
 */

/**
 * First four bytes of every record.
 * @example
 * ```ts
 * new DataView(record.buffer).getUint32(0, true) === RECORD_MAGIC;
 * ```
 */
export const RECORD_MAGIC = 0xb0d0_5747;
/**
 * Header bytes at the start of a record.
 * @example
 * ```ts
 * const filler = recordBytes - RECORD_HEADER_BYTES;
 * ```
 */
export const RECORD_HEADER_BYTES = 24;
/**
 * Smallest record (bytes).
 * @example
 * ```ts
 * new StampReader(MIN_RECORD_BYTES);
 * ```
 */
export const MIN_RECORD_BYTES = 1024;
/**
 * Largest record (bytes).
 * @example
 * ```ts
 * new StampReader(MAX_RECORD_BYTES);
 * ```
 */
export const MAX_RECORD_BYTES = 64 * 1024;

/**
 * A record size for links of `sumBps` in total: about 2 ms of their rate, 1 to 16 KiB, so that
 * delay is measured finely on slow links and cheaply on fast ones.
 * @example
 * ```ts
 * recordSizeFor(37e6); // 16384
 * recordSizeFor(1.92e6); // 1024
 * ```
 */
export function recordSizeFor(sumBps: number): number {
  const want = (sumBps / 8) * 0.002;
  let size = MIN_RECORD_BYTES;
  while (size < want && size < 16 * 1024) size *= 2;
  return size;
}

/**
 * Fills `buf` (a whole number of records) with records `firstIndex...` stamped `sentAt`.
 * @example
 * ```ts
 * const batch = new Uint8Array(4 * 8192);
 * stampRecords(batch, 8192, 0, performance.now()); // records 0..3
 * ```
 */
export function stampRecords(
  buf: Uint8Array,
  recordBytes: number,
  firstIndex: number,
  sentAt: number,
): number {
  checkSize(recordBytes);
  if (buf.length % recordBytes !== 0) {
    throw new RangeError(`a batch of ${buf.length} bytes is not whole ${recordBytes}-byte records`);
  }
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = buf.length / recordBytes;
  for (let i = 0; i < n; i++) {
    const o = i * recordBytes;
    view.setUint32(o, RECORD_MAGIC, true);
    view.setUint32(o + 4, recordBytes, true);
    view.setBigUint64(o + 8, BigInt(firstIndex + i), true);
    view.setFloat64(o + 16, sentAt, true);
  }
  return n;
}

/**
 * A record that arrived whole and in order.
 * @example
 * ```ts
 * for (const r of reader.push(chunk)) console.log(r.index, now - r.sentAt);
 * ```
 */
export interface ArrivedRecord {
  index: number;
  sentAt: number;
}

/**
 * Splits the sink's chunks back into records and checks each: magic, size, next index.
 * After the first bad record it stops counting (`broken` says why): what follows cannot be
 * trusted to be the stream.
 * @example
 * ```ts
 * const r = new StampReader(8192);
 * for (const rec of r.push(chunk)) histogram.add(now - rec.sentAt, 8192);
 * r.validBytes; // bytes of whole, in-order records so far
 * ```
 */
export class StampReader {
  readonly recordBytes: number;
  /** Bytes received, good or not. */
  receivedBytes = 0;
  /** Bytes of whole records that arrived in order. */
  validBytes = 0;
  /** Why the stream stopped making sense, or null. */
  broken: string | null = null;
  #next = 0;
  #partial: Uint8Array;
  #fill = 0;

  constructor(recordBytes: number) {
    checkSize(recordBytes);
    this.recordBytes = recordBytes;
    this.#partial = new Uint8Array(recordBytes);
  }

  /** Records completed by `chunk`, in order. */
  push(chunk: Uint8Array): ArrivedRecord[] {
    this.receivedBytes += chunk.length;
    const out: ArrivedRecord[] = [];
    if (this.broken !== null) return out;
    const size = this.recordBytes;
    let o = 0;
    while (o < chunk.length) {
      if (this.#fill === 0 && chunk.length - o >= size) {
        // Whole record in place: no copy.
        if (!this.#check(chunk, o, out)) return out;
        o += size;
        continue;
      }
      const take = Math.min(size - this.#fill, chunk.length - o);
      this.#partial.set(chunk.subarray(o, o + take), this.#fill);
      this.#fill += take;
      o += take;
      if (this.#fill === size) {
        this.#fill = 0;
        if (!this.#check(this.#partial, 0, out)) return out;
      }
    }
    return out;
  }

  /** Bytes of an unfinished record at the end (the stream stopped mid-record). */
  get partialBytes(): number {
    return this.#fill;
  }

  #check(buf: Uint8Array, o: number, out: ArrivedRecord[]): boolean {
    const view = new DataView(buf.buffer, buf.byteOffset + o, RECORD_HEADER_BYTES);
    const magic = view.getUint32(0, true);
    const size = view.getUint32(4, true);
    const index = Number(view.getBigUint64(8, true));
    if (magic !== RECORD_MAGIC || size !== this.recordBytes) {
      this.broken = `record ${this.#next}: not a bench record (bytes lost or corrupted)`;
      return false;
    }
    if (index !== this.#next) {
      this.broken = `record ${index} arrived where ${this.#next} was due (` +
        (index < this.#next ? "doubled" : "lost") + " data)";
      return false;
    }
    this.#next++;
    this.validBytes += size;
    out.push({ index, sentAt: view.getFloat64(16, true) });
    return true;
  }
}

function checkSize(n: number): void {
  if (!Number.isInteger(n) || n < MIN_RECORD_BYTES || n > MAX_RECORD_BYTES) {
    throw new RangeError(
      `record size ${n} must be an integer from ${MIN_RECORD_BYTES} to ${MAX_RECORD_BYTES}`,
    );
  }
}
