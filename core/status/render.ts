/**
 * The live view as text: a snapshot becomes the lines a terminal redraws in place every
 * second ({@link liveLines}), or one line for a log when stderr is not a terminal
 * ({@link summaryLine}). Pure: the writer in `cli/live_view_io.ts` only puts them on screen.
 * @module
 */
import { formatBytes, formatDuration, formatRate } from "../config/mod.ts";
import type { LinkSnapshot, SessionSnapshot, StatusSnapshot } from "./snapshot.ts";

/** Colour for a terminal that takes it; plain text otherwise. */
export interface Paint {
  dim(s: string): string;
  bold(s: string): string;
  good(s: string): string;
  warn(s: string): string;
  bad(s: string): string;
}

/** No colour. */
export const PLAIN: Paint = {
  dim: (s) => s,
  bold: (s) => s,
  good: (s) => s,
  warn: (s) => s,
  bad: (s) => s,
};

/** ANSI colours (SGR). */
export const ANSI: Paint = {
  dim: (s) => `\x1b[2m${s}\x1b[22m`,
  bold: (s) => `\x1b[1m${s}\x1b[22m`,
  good: (s) => `\x1b[32m${s}\x1b[39m`,
  warn: (s) => `\x1b[33m${s}\x1b[39m`,
  bad: (s) => `\x1b[31m${s}\x1b[39m`,
};

/** A column of the link table: header, width, and the cell of a link. */
interface Column {
  head: string;
  width: number;
  left?: boolean;
  cell(l: LinkSnapshot, s: SessionSnapshot): string;
}

const dash = "-";
const ms = (v: number | null) => (v === null ? dash : formatDuration(v));

/**
 * Columns of the link table. The traffic column follows the role; the relay's table leaves out
 * what is about its own sending (rate, bytes in flight, re-sends: the reverse direction, idle
 * in most sessions) and cost (the sender's business).
 */
function columns(role: "send" | "receive"): Column[] {
  const cols: Column[] = [
    { head: "link", width: 4, cell: (l) => String(l.index) },
    { head: "name", width: 16, left: true, cell: (l) => l.name },
    { head: "state", width: 7, left: true, cell: (l) => l.state },
    role === "send"
      ? { head: "sending", width: 12, cell: (l) => formatRate(l.sentBps) }
      : { head: "receiving", width: 12, cell: (l) => formatRate(l.receivedBps) },
    { head: "share", width: 6, cell: (l) => `${Math.round(100 * l.share)} %` },
    { head: "rate", width: 12, cell: (l) => (l.rateBps > 0 ? formatRate(l.rateBps) : dash) },
    { head: "RTT", width: 8, cell: (l) => ms(l.rttMs) },
    { head: "in flight", width: 10, cell: (l) => formatBytes(l.inFlightBytes) },
    {
      head: "re-sent",
      width: 10,
      cell: (l) => (l.resentBytes === null ? dash : formatBytes(l.resentBytes)),
    },
    { head: "cost", width: 5, cell: (l) => (l.cost === null ? dash : String(l.cost)) },
  ];
  const senderOnly = ["rate", "in flight", "re-sent", "cost"];
  return role === "send" ? cols : cols.filter((c) => !senderOnly.includes(c.head));
}

/** Pads or cuts `s` to `w` columns. */
function fit(s: string, w: number, left = false): string {
  const cut = s.length > w ? s.slice(0, Math.max(0, w - 1)) + "…" : s;
  return left ? cut.padEnd(w) : cut.padStart(w);
}

/** `1:23` or `1:02:03` from ms. */
export function clockTime(ms: number): string {
  const t = Math.floor(ms / 1000);
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const s = String(t % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

function stateColour(p: Paint, state: string, text: string): string {
  return state === "up" || state === "open" || state === "complete"
    ? p.good(text)
    : state === "stalled"
    ? p.warn(text)
    : p.bad(text);
}

/** The buffer line of a session. */
function bufferText(s: SessionSnapshot, role: "send" | "receive"): string {
  const period = formatDuration(s.buffer.periodMs);
  if (role === "send") return `receiver's buffer period ${period}`;
  const held = s.buffer.heldBytes === null ? dash : formatBytes(s.buffer.heldBytes);
  const heldMs = s.buffer.heldMs === null ? "" : ` (${formatDuration(s.buffer.heldMs)})`;
  return `buffer period ${period}, holding ${held}${heldMs}`;
}

/** The encoder line of a session (send only). */
function bitrateText(s: SessionSnapshot): string | null {
  const b = s.bitrate;
  if (!b) return null;
  const why = b.limitedBy === "none"
    ? "no link can carry data within the deadline"
    : `capacity ${formatRate(b.capacityBps)} on link${b.links.length === 1 ? "" : "s"} ` +
      `${b.links.join(",")}, ${(100 * b.resendShare).toFixed(1)} % re-sent, x${b.headroom}` +
      (b.limitedBy === "links" ? "; the links are the limit" : "");
  return `encoder: ${formatRate(b.recommendedBps)} recommended (${why})`;
}

/**
 * The lines of the live view, at most `width` columns each (ANSI codes excepted).
 * @example
 * ```ts
 * for (const line of liveLines(snapshot, { width: 100, paint: PLAIN })) console.error(line);
 * ```
 */
export function liveLines(
  snap: StatusSnapshot,
  o: { width: number; paint?: Paint },
): string[] {
  const p = o.paint ?? PLAIN;
  const width = Math.max(40, o.width);
  const out: string[] = [];
  const clip = (s: string) => (s.length > width ? s.slice(0, width - 1) + "…" : s);
  if (snap.sessions.length === 0) {
    out.push(
      p.dim(
        clip(
          `bondctl ${snap.role} · ${clockTime(snap.uptimeMs)} · ` +
            (snap.role === "send" ? "connecting…" : "waiting for a sender…"),
        ),
      ),
    );
    return out;
  }
  const cols = columns(snap.role);
  for (const s of snap.sessions) {
    const who = s.client ? ` · client ${s.client}` : "";
    const head = `bondctl ${snap.role} · session ${s.id.slice(0, 12)}${who} · ` +
      `${clockTime(s.ageMs)} · `;
    out.push(p.bold(clip(head)) + stateColour(p, s.state, s.state));
    // Columns that do not fit are dropped from the right; the first four always stay.
    let used = 0;
    const shown = cols.filter((c, i) => {
      used += c.width + 1;
      return i < 4 || used <= width;
    });
    out.push(p.dim(shown.map((c) => fit(c.head, c.width, c.left)).join(" ")));
    for (const l of s.links) {
      const cells = shown.map((c) => {
        const text = fit(c.cell(l, s), c.width, c.left);
        return c.head === "state" ? stateColour(p, l.state, text) : text;
      });
      out.push(cells.join(" "));
    }
    const t = s.totals;
    const traffic = snap.role === "send" ? t.sentBps : t.receivedBps;
    const up = s.links.filter((l) => l.state === "up").length;
    out.push(clip(
      `total ${formatRate(traffic)} on ${up}/${s.links.length} links up · ` +
        (snap.role === "send"
          ? `read ${formatBytes(t.inputBytes)}, delivered ${formatBytes(t.deliveredBytes)}`
          : `written ${formatBytes(t.outputBytes)} (${formatRate(t.outputBps)})`) +
        ` · re-sent ${formatBytes(t.resentBytes)}` +
        (t.costUnits > 0 ? ` · cost ${t.costUnits.toFixed(1)}` : ""),
    ));
    out.push(clip(bufferText(s, snap.role)));
    const enc = bitrateText(s);
    if (enc) out.push(p.bold(clip(enc)));
  }
  return out;
}

/**
 * One line for a log: the figures that matter, every link's traffic in brief.
 * @example
 * ```ts
 * log.info(summaryLine(snapshot));
 * ```
 */
export function summaryLine(snap: StatusSnapshot): string {
  if (snap.sessions.length === 0) {
    return snap.role === "send" ? "connecting" : "no session";
  }
  return snap.sessions.map((s) => {
    const send = snap.role === "send";
    const traffic = send ? s.totals.sentBps : s.totals.receivedBps;
    const perLink = s.links.map((l) =>
      `${l.index} ${l.state === "up" ? formatRate(send ? l.sentBps : l.receivedBps) : l.state}`
    ).join(", ");
    const rtts = s.links.map((l) => l.rttMs).filter((r): r is number => r !== null);
    const rtt = rtts.length
      ? `, RTT ${formatDuration(Math.min(...rtts))}-${formatDuration(Math.max(...rtts))}`
      : "";
    const enc = s.bitrate ? `, encoder ${formatRate(s.bitrate.recommendedBps)}` : "";
    const held = s.buffer.heldBytes !== null ? ` holding ${formatBytes(s.buffer.heldBytes)}` : "";
    return `session ${s.id.slice(0, 12)} ${clockTime(s.ageMs)}: ${formatRate(traffic)} ` +
      `(${perLink})${rtt}, re-sent ${formatBytes(s.totals.resentBytes)}, buffer ` +
      `${formatDuration(s.buffer.periodMs)}${held}${enc}`;
  }).join("; ");
}
