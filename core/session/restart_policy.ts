/**
 * When `send --restart` gives up on a session and starts another, and when it stops trying.
 * A byte stream cannot move to another relay mid-way (the new relay holds none of the old
 * one's buffer), so "restart" means a new session, with a new session id (behind HAProxy: a
 * new hash, so a live relay), from the input's current position.
 *
 * The decisions, in the order a relay's death meets them:
 * 1. `SessionLossWatch`: the session is lost once no link is up and a relay has refused a
 *    link as UNKNOWN_SESSION (it does not hold the session: it restarted, or the balancer
 *    moved the session's hash to another relay because its own relay is down);
 * 2. `RestartPlanner.sessionEnded()`: is the way it ended one a new session can mend (a relay
 *    that died or shut down: yes; a refused token, a revoked client, a broken input: no), and
 *    is the restart budget (`maxRestarts` in any `windowMs`) not spent?
 * 3. `RestartPlanner.openFailed()`: each failed attempt to open the new session waits a little
 *    longer (0.5 s doubling to 5 s), and after `giveUpMs` without a session it gives up;
 * 4. `RestartPlanner.opened()`: a new session runs; the backoff starts over.
 * Pure: the caller passes the time.
 * @module
 */
import { CloseCode } from "../frame/types.ts";
import { VersionError } from "../frame/errors.ts";
import { AuthError, TrustError } from "../tunnel/errors.ts";
import { RefusedError } from "./handshake.ts";
import type { SessionOutcome } from "./driver_io.ts";

/** How many restarts, how often, and how long to try for. */
export interface RestartPolicy {
  /** Restarts allowed in any `windowMs`; the next loss ends `send`. */
  maxRestarts: number;
  windowMs: number;
  /** Give up when no new session could be opened for this long after a loss (ms). */
  giveUpMs: number;
}

/**
 * Five restarts in ten minutes: a relay that dies now and then is ridden out, one that
 * kills every session it gets is not retried forever.
 */
export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  maxRestarts: 5,
  windowMs: 600_000,
  giveUpMs: 30_000,
};

/** What to do after a session ended or an attempt to open one failed. */
export type RestartDecision =
  | { restart: true; delayMs: number }
  | { restart: false; why: string };

/** First wait after a failed attempt to open the new session; doubles up to the cap (ms). */
const RETRY_FIRST_MS = 500;
const RETRY_MAX_MS = 5000;

/**
 * Why a new session would not help after `outcome`, or null when it would.
 * @example
 * ```ts
 * whyNotRestart({ kind: "failed", code: CloseCode.REVOKED, reason: "...", byPeer: true });
 * // -> "the relay ended the session: ... (a new session would end the same way)"
 * ```
 */
export function whyNotRestart(outcome: SessionOutcome): string | null {
  if (outcome.kind === "complete") return "the session completed";
  const who = outcome.byPeer ? "the relay ended the session" : "the session failed";
  switch (outcome.code) {
    // The relay went away or could not go on: another relay can.
    case CloseCode.UNKNOWN_SESSION:
    case CloseCode.INCOMPLETE:
    case CloseCode.BUSY:
      return null;
    case CloseCode.SHUTDOWN:
    case CloseCode.OUTPUT_FAILED:
      // Ours (a signal, our --output) is not the relay's: no restart.
      return outcome.byPeer ? null : `${who}: ${outcome.reason}`;
    default:
      // AUTH_FAILED (also a broken input), REVOKED, VERSION_MISMATCH, PROTOCOL_ERROR...
      return `${who}: ${outcome.reason} (a new session would end the same way)`;
  }
}

/**
 * Is a failed attempt to open a session worth another try? Not when the relay refused our
 * credentials or certificate, spoke another version, or revoked us.
 * @example
 * ```ts
 * if (isFatalOpenError(e)) throw e;
 * ```
 */
export function isFatalOpenError(e: unknown): boolean {
  if (e instanceof AuthError || e instanceof TrustError || e instanceof VersionError) return true;
  return e instanceof RefusedError &&
    (e.code === CloseCode.REVOKED || e.code === CloseCode.VERSION_MISMATCH);
}

/**
 * Counts restarts against the policy and paces attempts to open the new session.
 * @example
 * ```ts
 * const planner = new RestartPlanner(DEFAULT_RESTART_POLICY);
 * const d = planner.sessionEnded(outcome, now);
 * // d: { restart: true, delayMs: 0 } for a first loss; the caller waits d.delayMs, then reopens
 * ```
 */
export class RestartPlanner {
  readonly policy: RestartPolicy;
  /** When each restart in the current window began. */
  #recent: number[] = [];
  /** When the session was lost (null while one runs). */
  #lostAt: number | null = null;
  #failures = 0;
  /** Restarts since the start, for the report. */
  restarts = 0;

  constructor(policy: RestartPolicy) {
    this.policy = policy;
  }

  /** A running session ended with `outcome` at `now`: start another? (At once if so.) */
  sessionEnded(outcome: SessionOutcome, now: number): RestartDecision {
    const why = whyNotRestart(outcome);
    if (why !== null) return { restart: false, why };
    this.#recent = this.#recent.filter((t) => t > now - this.policy.windowMs);
    if (this.#recent.length >= this.policy.maxRestarts) {
      return {
        restart: false,
        why: `the stream already restarted ${this.#recent.length} times in the last ` +
          `${describeMs(this.policy.windowMs)} (--max-restarts ${this.policy.maxRestarts})`,
      };
    }
    this.#recent.push(now);
    this.restarts++;
    this.#lostAt = now;
    this.#failures = 0;
    // No wait: a new session id hashes afresh, most likely to a live relay.
    return { restart: true, delayMs: 0 };
  }

  /** An attempt to open the new session failed with `error` at `now`: try again, when? */
  openFailed(error: unknown, now: number): RestartDecision {
    const message = error instanceof Error ? error.message : String(error);
    if (isFatalOpenError(error)) return { restart: false, why: message };
    const lostAt = this.#lostAt ?? now;
    this.#lostAt = lostAt;
    if (now - lostAt >= this.policy.giveUpMs) {
      return {
        restart: false,
        why: `no new session could be opened for ${describeMs(now - lostAt)}: ${message}`,
      };
    }
    this.#failures++;
    const delayMs = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** (this.#failures - 1));
    // Never sleep past the deadline: the last try comes at the deadline itself.
    return { restart: true, delayMs: Math.min(delayMs, lostAt + this.policy.giveUpMs - now) };
  }

  /** The new session is open: the next loss starts a fresh backoff. */
  opened(): void {
    this.#lostAt = null;
    this.#failures = 0;
  }
}

/**
 * Tells when a session is lost rather than having links that drop and come back: no link of
 * it is up, and since the last one was, a relay answered a joining link with UNKNOWN_SESSION.
 * Links that merely fail to connect do not count (the relay may be back in a moment); the
 * endpoint's `--link-timeout` covers a relay that never answers again.
 * @example
 * ```ts
 * const watch = new SessionLossWatch();
 * watch.up(1);
 * watch.down(1);
 * watch.refused(1); // -> true: lost
 * ```
 */
export class SessionLossWatch {
  #up = new Set<number>();
  #refused = false;

  /** Link `index` joined: the session lives on some relay. */
  up(index: number): void {
    this.#up.add(index);
    this.#refused = false;
  }

  /** Link `index` closed or left; true if the session is now lost. */
  down(index: number): boolean {
    this.#up.delete(index);
    return this.lost;
  }

  /** A relay refused link `index`'s join as UNKNOWN_SESSION; true if the session is lost. */
  refused(index: number): boolean {
    this.#up.delete(index);
    this.#refused = true;
    return this.lost;
  }

  get lost(): boolean {
    return this.#up.size === 0 && this.#refused;
  }
}

function describeMs(ms: number): string {
  if (ms % 60_000 === 0 && ms >= 60_000) return `${ms / 60_000} min`;
  return `${Math.round(ms / 100) / 10} s`;
}
