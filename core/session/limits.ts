/**
 * The relay's limits and the admission decisions that enforce them: a newcomer over a limit
 * is refused with a reason that names the limit and its flag, and nothing already admitted
 * is touched. Pure: counters in, verdicts out.
 *
 * A new session, in order: the server's session count (`--max-sessions`), the client's
 * (`--max-sessions-per-client`), then the reassembly memory: each session reserves its
 * `--max-buffer` out of `--max-buffer-total`, so what every session may hold at once fits
 * in the total. A joining link: the session's links (`--max-links-per-session`), a link that
 * replaces one with the same index not counted twice.
 * @module
 */
import { CloseCode } from "../frame/types.ts";
import { formatBytes } from "../config/units.ts";

/** Every limit of a relay. */
export interface ServerLimits {
  /** From TCP accept to an authenticated link (ms). */
  handshakeTimeoutMs: number;
  /** Connections accepted and not yet authenticated, at once. */
  maxUnauthenticated: number;
  /** Sessions at once, all clients together. */
  maxSessions: number;
  /** Sessions at once per client. */
  maxSessionsPerClient: number;
  /** Links at once in one session. */
  maxLinksPerSession: number;
  /** Bytes one session may hold for reassembly and its output (`--max-buffer`). */
  maxBufferBytes: number;
  /** Bytes all sessions together may hold (`--max-buffer-total`). */
  maxBufferTotalBytes: number;
}

/**
 * The defaults, documented in docs/SECURITY.md and `receive --help`.
 * @example
 * ```ts
 * const limits = { ...DEFAULT_LIMITS, maxSessions: 8 };
 * ```
 */
export const DEFAULT_LIMITS: ServerLimits = {
  handshakeTimeoutMs: 10_000,
  maxUnauthenticated: 128,
  maxSessions: 64,
  maxSessionsPerClient: 8,
  maxLinksPerSession: 16,
  maxBufferBytes: 32 * 1024 * 1024,
  maxBufferTotalBytes: 1024 * 1024 * 1024,
};

/** Yes, or no with the close code and the reason to send and log. */
export type Verdict = { ok: true } | { ok: false; code: CloseCode; reason: string };

const OK: Verdict = { ok: true };

/**
 * Counts sessions per client and decides who may come in.
 * @example
 * ```ts
 * const a = new Admission(DEFAULT_LIMITS);
 * const v = a.admitSession("van-1");
 * if (v.ok) a.opened("van-1"); // and a.closed("van-1") when it ends
 * ```
 */
export class Admission {
  readonly limits: ServerLimits;
  #perClient = new Map<string, number>();
  #sessions = 0;

  constructor(limits: ServerLimits) {
    this.limits = limits;
  }

  /** Sessions admitted and not yet closed. */
  get sessions(): number {
    return this.#sessions;
  }
  /** Sessions of `client` admitted and not yet closed. */
  sessionsOf(client: string): number {
    return this.#perClient.get(client) ?? 0;
  }
  /** Reassembly bytes reserved by the sessions admitted. */
  get reservedBytes(): number {
    return this.#sessions * this.limits.maxBufferBytes;
  }

  /** May `client` open one more session now? */
  admitSession(client: string): Verdict {
    const l = this.limits;
    if (this.#sessions >= l.maxSessions) {
      return busy(`the server is at its session limit (${l.maxSessions}, --max-sessions)`);
    }
    if (this.sessionsOf(client) >= l.maxSessionsPerClient) {
      return busy(
        `client ${client} is at its session limit (${l.maxSessionsPerClient}, ` +
          `--max-sessions-per-client)`,
      );
    }
    if (this.reservedBytes + l.maxBufferBytes > l.maxBufferTotalBytes) {
      return busy(
        `the server's reassembly memory is taken (${this.#sessions} sessions of ` +
          `${formatBytes(l.maxBufferBytes)} in ${formatBytes(l.maxBufferTotalBytes)}, ` +
          `--max-buffer-total)`,
      );
    }
    return OK;
  }

  /** A session of `client` was admitted. */
  opened(client: string): void {
    this.#sessions++;
    this.#perClient.set(client, this.sessionsOf(client) + 1);
  }

  /** A session of `client` ended. */
  closed(client: string): void {
    const n = this.sessionsOf(client);
    if (n <= 0) return;
    this.#sessions--;
    if (n === 1) this.#perClient.delete(client);
    else this.#perClient.set(client, n - 1);
  }

  /**
   * May a link with index `index` join a session whose links (connected or being admitted)
   * are `indices`?
   */
  admitLink(indices: ReadonlySet<number>, index: number): Verdict {
    const max = this.limits.maxLinksPerSession;
    if (!indices.has(index) && indices.size >= max) {
      return busy(`the session is at its link limit (${max}, --max-links-per-session)`);
    }
    return OK;
  }
}

function busy(reason: string): Verdict {
  return { ok: false, code: CloseCode.BUSY, reason };
}
