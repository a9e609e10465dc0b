/**
 * A FIFO of byte chunks that hands out slices of any size, copying only when a slice spans
 * chunks: input arrives in whatever sizes the source writes, blocks leave in the sizes the
 * scheduler chooses.
 * @module
 */

/**
 * @example
 * ```ts
 * const q = new ByteQueue();
 * q.push(new Uint8Array([1, 2, 3]));
 * q.take(2); // Uint8Array [1, 2]
 * ```
 */
export class ByteQueue {
  #chunks: Uint8Array[] = [];
  #head = 0; // offset into #chunks[0]
  #length = 0;
  #first = 0; // index of the first live chunk, so take() does not shift() per chunk

  /** Bytes waiting. */
  get length(): number {
    return this.#length;
  }

  /** Appends a chunk (kept by reference: the caller must not reuse its buffer). */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#length += chunk.length;
  }

  /** Removes and returns up to `n` bytes from the front. */
  take(n: number): Uint8Array {
    n = Math.min(n, this.#length);
    if (n <= 0) return new Uint8Array(0);
    const first = this.#chunks[this.#first];
    const avail = first.length - this.#head;
    if (n <= avail) {
      const out = first.subarray(this.#head, this.#head + n);
      this.#advance(n);
      return out;
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const c = this.#chunks[this.#first];
      const part = Math.min(n - filled, c.length - this.#head);
      out.set(c.subarray(this.#head, this.#head + part), filled);
      filled += part;
      this.#advance(part);
    }
    return out;
  }

  #advance(n: number): void {
    this.#length -= n;
    this.#head += n;
    if (this.#head >= this.#chunks[this.#first].length) {
      this.#head = 0;
      this.#first++;
      if (this.#first > 1024 || this.#first === this.#chunks.length) {
        this.#chunks = this.#chunks.slice(this.#first);
        this.#first = 0;
      }
    }
  }
}
