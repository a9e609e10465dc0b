/**
 * A paced input for end-to-end tests of the live figures: random bytes at a steady bit rate,
 * as an encoder would write them, until stopped.
 * @module
 */

/**
 * Writes `bps` of random bytes to `w` in 100 ms slices until `stop()`, then closes it.
 * @example
 * ```ts
 * const input = pacedInput(sender.child.stdin.getWriter(), 9e6);
 * await input.stop();
 * ```
 */
export function pacedInput(
  w: WritableStreamDefaultWriter<Uint8Array>,
  bps: number,
): { stop(): Promise<void>; readonly bytes: number } {
  let running = true;
  let bytes = 0;
  const slice = new Uint8Array(Math.round(bps / 8 / 10));
  const done = (async () => {
    while (running) {
      crypto.getRandomValues(slice.subarray(0, 65536));
      await w.write(slice);
      bytes += slice.length;
      await new Promise((r) => setTimeout(r, 100));
    }
    await w.close();
  })();
  return {
    stop: () => {
      running = false;
      return done;
    },
    get bytes() {
      return bytes;
    },
  };
}
