/**
 * What the relay counts for its metrics: refusals by reason, sessions by outcome, links, and
 * the bytes of sessions that have ended (so that byte counters stay monotonic when a session
 * goes away). The server (`server_io.ts`) calls the hooks; `relay_metrics.ts` renders a
 * {@link RelaySnapshot}. Pure: no clock, no I/O.
 *
 * Stages, in order: a connection that is refused is classified ({@link refusalReason}) and
 * counted; a session that starts is counted; a session that ends adds its final figures
 * ({@link sessionFigures}) to the totals and its outcome to the outcome counts; a scrape
 * takes the totals together with the figures of the sessions still running.
 * @module
 */
import { AuthError } from "../tunnel/errors.ts";
import { FrameError, VersionError } from "../frame/errors.ts";
import { CloseCode } from "../frame/types.ts";

/** Why the relay turned a connection or a session away (a label value). */
export const REFUSAL_REASONS = [
  "auth",
  "version",
  "protocol",
  "limits",
  "busy",
  "unknown_session",
  "output",
  "tls",
  "timeout",
  "closed",
  "other",
] as const;
export type RefusalReason = typeof REFUSAL_REASONS[number];

/** How a session ended (a label value): complete, or the close code's name in lower case. */
export const SESSION_OUTCOMES = [
  "complete",
  ...Object.keys(CloseCode).filter((k) => k !== "NORMAL").map((k) => k.toLowerCase()),
] as const;

/**
 * Classifies why a link's handshake failed, from the error the server handshake threw.
 * @example
 * ```ts
 * refusalReason(new AuthError("the token does not match")); // "auth"
 * ```
 */
export function refusalReason(e: unknown): RefusalReason {
  if (e instanceof AuthError) return "auth";
  if (e instanceof VersionError) return "version";
  if (e instanceof FrameError) return "protocol";
  const code = (e as { code?: unknown }).code;
  if (typeof code === "number") {
    switch (code) {
      case CloseCode.AUTH_FAILED:
        return "auth";
      case CloseCode.VERSION_MISMATCH:
        return "version";
      case CloseCode.PROTOCOL_ERROR:
        return "protocol";
      case CloseCode.BUSY:
        return "busy";
      case CloseCode.UNKNOWN_SESSION:
        return "unknown_session";
      case CloseCode.OUTPUT_FAILED:
        return "output";
    }
  }
  const msg = e instanceof Error ? e.message : String(e);
  // The framed link's own wording (framed_link_io.ts): "no HELLO ... within N ms", and
  // "connection closed while waiting for ...".
  if (/\bwithin \d+ ms\b/.test(msg)) return "timeout";
  if (/\bclosed\b/.test(msg)) return "closed";
  if (/\bnot HELLO\b/.test(msg)) return "protocol";
  return "other";
}

/** The label for a session's outcome. */
export function outcomeLabel(
  outcome: { kind: "complete" } | { kind: "failed"; code: number },
): string {
  if (outcome.kind === "complete") return "complete";
  const name = Object.entries(CloseCode).find(([, v]) => v === outcome.code)?.[0];
  return name && name !== "NORMAL" ? name.toLowerCase() : "other";
}

/** A session's figures at one moment. */
export interface SessionFigures {
  /** The session id in hex, shortened to 12 digits as the logs show it. */
  session: string;
  client: string;
  /** Links connected now. */
  links: number;
  /** Payload bytes received from the sender (each once; duplicates excluded). */
  receivedBytes: number;
  /** Bytes written to the output. */
  outputBytes: number;
  /** Bytes sent back to the sender and acknowledged. */
  sentBytes: number;
  /** Bytes the relay sent again (on the way back to the sender). */
  resentBytes: number;
  /** Bytes that arrived twice: the sender's re-sends that turned out not to be needed. */
  duplicateBytes: number;
  /** Bytes held in the reorder buffer and waiting for the output. */
  bufferBytes: number;
  /** The buffer period in force (ms): adaptive unless fixed. */
  bufferMs: number;
}

/** What {@link sessionFigures} reads from a session's endpoint. */
export interface EndpointView {
  readonly linkIndices: readonly number[];
  readonly bufferMs: number;
  /** Summed over every stream: a relay's intercepted connections count as much as stream 0. */
  readonly totals: {
    readonly bytesReceived: number;
    readonly bytesOut: number;
    readonly bytesDuplicate: number;
    readonly heldBytes: number;
    readonly bytesAcked: number;
    readonly bytesResent: number;
  };
}

/**
 * A session's figures, read from its endpoint.
 * @example
 * ```ts
 * const f = sessionFigures({ id: hex, client: "van-1" }, driver.endpoint);
 * ```
 */
export function sessionFigures(
  info: { id: string; client: string },
  ep: EndpointView,
): SessionFigures {
  return {
    session: info.id.slice(0, 12),
    client: info.client,
    links: ep.linkIndices.length,
    receivedBytes: ep.totals.bytesReceived,
    outputBytes: ep.totals.bytesOut,
    sentBytes: ep.totals.bytesAcked,
    resentBytes: ep.totals.bytesResent,
    duplicateBytes: ep.totals.bytesDuplicate,
    bufferBytes: ep.totals.heldBytes,
    bufferMs: ep.bufferMs,
  };
}

/** Byte totals of sessions that have ended. */
export interface EndedBytes {
  receivedBytes: number;
  outputBytes: number;
  sentBytes: number;
  resentBytes: number;
  duplicateBytes: number;
}

/** The tally's counters, copied. */
export interface TallyTotals {
  refusals: Record<string, number>;
  sessionsStarted: number;
  sessionsEnded: Record<string, number>;
  linksAccepted: number;
  ended: EndedBytes;
}

/** What a scrape sees: the counters and every running session's figures. */
export interface RelaySnapshot {
  /** The listener is up (false once the relay is closing). */
  listening: boolean;
  totals: TallyTotals;
  sessions: SessionFigures[];
}

/**
 * The relay's counters.
 * @example
 * ```ts
 * const tally = new RelayTally();
 * tally.refused("auth");
 * tally.sessionStarted();
 * tally.sessionEnded({ kind: "complete" }, figures);
 * ```
 */
export class RelayTally {
  #refusals = new Map<string, number>(REFUSAL_REASONS.map((r) => [r, 0]));
  #ended = new Map<string, number>(SESSION_OUTCOMES.map((o) => [o, 0]));
  #sessionsStarted = 0;
  #linksAccepted = 0;
  #bytes: EndedBytes = {
    receivedBytes: 0,
    outputBytes: 0,
    sentBytes: 0,
    resentBytes: 0,
    duplicateBytes: 0,
  };

  /** A connection or a session was turned away. */
  refused(reason: RefusalReason): void {
    this.#refusals.set(reason, (this.#refusals.get(reason) ?? 0) + 1);
  }

  /** A link authenticated and was admitted (a session's first, or one joining). */
  linkAccepted(): void {
    this.#linksAccepted++;
  }

  /** A session started running (its output and input are open). */
  sessionStarted(): void {
    this.#sessionsStarted++;
  }

  /** A session ended: its outcome is counted and its bytes join the totals. */
  sessionEnded(
    outcome: { kind: "complete" } | { kind: "failed"; code: number },
    last: SessionFigures,
  ): void {
    const label = outcomeLabel(outcome);
    this.#ended.set(label, (this.#ended.get(label) ?? 0) + 1);
    const b = this.#bytes;
    b.receivedBytes += last.receivedBytes;
    b.outputBytes += last.outputBytes;
    b.sentBytes += last.sentBytes;
    b.resentBytes += last.resentBytes;
    b.duplicateBytes += last.duplicateBytes;
  }

  /** The counters now. */
  totals(): TallyTotals {
    return {
      refusals: Object.fromEntries(this.#refusals),
      sessionsStarted: this.#sessionsStarted,
      sessionsEnded: Object.fromEntries(this.#ended),
      linksAccepted: this.#linksAccepted,
      ended: { ...this.#bytes },
    };
  }
}
