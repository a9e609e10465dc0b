/**
 * Rescans the links every interval (one scan at a time: the next starts an interval after the
 * last one ended) and hands each inventory on. `send --link auto` diffs them with
 * `AutoLinkSet`; this file only keeps the clock.
 * @module
 */
import type { Inventory } from "./inventory.ts";

/**
 * What {@link watchLinks} calls.
 * @example
 * ```ts
 * const w: WatchOptions = { intervalMs: 1000, scan: () => scanLinks({ modems: false }),
 *   onInventory: (inv) => apply(set.update(inv)), onError: (e) => log.warn(e.message) };
 * ```
 */
export interface WatchOptions {
  intervalMs: number;
  scan: () => Promise<Inventory>;
  onInventory: (inv: Inventory) => void | Promise<void>;
  onError: (e: Error) => void;
}

/**
 * Starts watching; `stop()` ends it (a scan in progress finishes and is dropped).
 * @example
 * ```ts
 * const watch = watchLinks(opts);
 * await session.driver.done;
 * watch.stop();
 * ```
 */
export function watchLinks(o: WatchOptions): { stop(): void } {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const tick = async () => {
    try {
      const inv = await o.scan();
      if (!stopped) await o.onInventory(inv);
    } catch (e) {
      if (!stopped) o.onError(e as Error);
    }
    if (!stopped) timer = setTimeout(tick, o.intervalMs);
  };
  timer = setTimeout(tick, o.intervalMs);
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
