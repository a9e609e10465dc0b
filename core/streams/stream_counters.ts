/**
 * Counts of what became of a side's streams, for logs, the final report and the relay's
 * metrics: opened, refused (by reason), closed in order, reset.
 * Pure: plain numbers.
 * @module
 */
import { streamCodeText } from "../frame/types.ts";

/** What became of one stream's connection. */
export interface StreamEnd {
  how: "closed" | "reset";
  reason?: string;
  byPeer?: boolean;
}

/**
 * @example
 * ```ts
 * const c = new StreamCounters();
 * c.opened(); c.ended({ how: "closed" });
 * c.summary(); // "1 stream: 1 closed"
 * ```
 */
export class StreamCounters {
  openedTotal = 0;
  closedTotal = 0;
  resetTotal = 0;
  /** Refusals by stream code (`StreamCode`): the metrics label them, the summary words them. */
  refusedCodes = new Map<number, number>();

  opened(): void {
    this.openedTotal++;
  }
  refused(code: number): void {
    this.refusedCodes.set(code, (this.refusedCodes.get(code) ?? 0) + 1);
  }
  ended(end: StreamEnd): void {
    if (end.how === "closed") this.closedTotal++;
    else this.resetTotal++;
  }
  get refusedTotal(): number {
    let n = 0;
    for (const v of this.refusedCodes.values()) n += v;
    return n;
  }
  /** One line for the final report. */
  summary(): string {
    const total = this.openedTotal + this.refusedTotal;
    const parts = [`${this.closedTotal} closed`, `${this.resetTotal} reset`];
    for (const [code, n] of this.refusedCodes) parts.push(`${n} refused (${streamCodeText(code)})`);
    return `${total} stream${total === 1 ? "" : "s"}: ${parts.join(", ")}`;
  }
}
