/**
 * The last minutes of a session's figures, one point per snapshot, for the status page's
 * chart: a page opened late still draws the minutes before it. Pure and bounded.
 * @module
 */
import type { StatusSnapshot } from "./snapshot.ts";

/** One point of the chart. */
export interface HistoryPoint {
  /** Time since the command started (ms). */
  t: number;
  /** Per link index: its traffic (bit/s: sent on send, received on receive). */
  links: Record<string, number>;
  /** Recommended encoder bitrate (bit/s), null on receive. */
  recommendedBps: number | null;
}

/**
 * A ring of points, oldest first.
 * @example
 * ```ts
 * const h = new StatusHistory(600);
 * h.add(snapshot);
 * h.points(); // what the page draws
 * ```
 */
export class StatusHistory {
  #max: number;
  #points: HistoryPoint[] = [];

  /** Keeps at most `max` points (600: ten minutes at one a second). */
  constructor(max = 600) {
    this.#max = Math.max(1, max);
  }

  /** Adds a snapshot's point (its first session: the sender has one). */
  add(snap: StatusSnapshot): void {
    const s = snap.sessions[0];
    const links: Record<string, number> = {};
    for (const l of s?.links ?? []) {
      links[String(l.index)] = snap.role === "send" ? l.sentBps : l.receivedBps;
    }
    this.#points.push({
      t: snap.uptimeMs,
      links,
      recommendedBps: s?.bitrate?.recommendedBps ?? null,
    });
    if (this.#points.length > this.#max) this.#points.splice(0, this.#points.length - this.#max);
  }

  /** The points, oldest first (a copy). */
  points(): HistoryPoint[] {
    return [...this.#points];
  }
}
