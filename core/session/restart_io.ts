/**
 * `send`'s sessions, one after another: the first, and with `--restart` a new one each time a
 * relay loses the stream (see `restart_policy.ts` for when, and `restart_source.ts` for where
 * in the input the new one starts).
 *
 * Steps, in order:
 * 1. open the first session on a view of the input (an error here is the caller's to report:
 *    a wrong address or token shows at once instead of being retried);
 * 2. wait for the session to end; without a policy, after a signal, when the input is spent
 *    or when the planner says no, that is the end;
 * 3. say that the stream restarts, what the old session delivered and where the new one
 *    starts in the input;
 * 4. open a new session (new session id) on a new view of the input, retrying as the planner
 *    paces it; on success say so and go to 2, else end with why it could not restart.
 * Links that join or leave (`--link auto`) are followed across sessions.
 * @module
 */
import type { ClientLink, ClientSession } from "./client_io.ts";
import { type Logger, realClock, type SessionOutcome } from "./driver_io.ts";
import { ResumableInput } from "./restart_source.ts";
import { RestartPlanner, type RestartPolicy } from "./restart_policy.ts";
import type { CloseCode } from "../frame/types.ts";
import { formatBytes } from "../config/mod.ts";

/** One session of the stream, for the report. */
export interface SessionRecord {
  /** Session id, first 12 hex digits. */
  id: string;
  /** Where it started in the input (bytes). */
  from: number;
  /** Bytes it delivered (acknowledged by its relay). */
  delivered: number;
}

/** How the stream ended. */
export interface StreamEnd {
  outcome: SessionOutcome;
  /** The last session (its endpoint has the figures of the end). */
  last: ClientSession;
  /** Every session, the last included. */
  sessions: SessionRecord[];
  /** Restarts that happened. */
  restarts: number;
}

/** What `superviseSessions` needs. */
export interface SuperviseOptions {
  /** The links to dial now; kept up to date across sessions by `addLink`/`removeLink`. */
  links: ClientLink[];
  /** Opens a session over `links` reading `source` (openClientSession, curried). */
  open(links: ClientLink[], source: ReturnType<ResumableInput["view"]>): Promise<ClientSession>;
  input: ResumableInput;
  /** null: one session and no restart (send without --restart). */
  policy: RestartPolicy | null;
  log: Logger;
  clock?: () => number;
  /** Waits between attempts (tests pass a virtual one). */
  sleep?: (ms: number) => Promise<void>;
}

/** The running stream. */
export interface Supervised {
  /** The session running now (or the last one). */
  readonly current: ClientSession;
  /** Resolves when the stream is over: no session runs and none will. */
  readonly done: Promise<StreamEnd>;
  /** Stops reading the input (first signal): what was read is delivered, no restart after. */
  stopInput(): void;
  /** Ends the stream at once (second signal); no restart. */
  abort(code: CloseCode, reason: string): void;
  addLink(l: ClientLink): void;
  removeLink(index: number): boolean;
}

/**
 * Opens the first session and keeps the stream going as the policy allows.
 * @example
 * ```ts
 * const input = new ResumableInput(source);
 * const s = await superviseSessions({ links, input, policy, log,
 *   open: (links, src) => openClientSession({ ...opts, links }, src, null) });
 * const end = await s.done;
 * ```
 */
export async function superviseSessions(o: SuperviseOptions): Promise<Supervised> {
  const clock = o.clock ?? realClock;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const links = [...o.links];
  const records: SessionRecord[] = [];
  const planner = o.policy ? new RestartPlanner(o.policy) : null;
  let stopping = false;
  let wake!: () => void;
  const woken = new Promise<void>((r) => (wake = r));

  // 1.
  const start = async (): Promise<ClientSession> => {
    const from = o.input.position;
    const view = o.input.view();
    try {
      const s = await o.open([...links], view);
      records.push({ id: s.sessionIdHex.slice(0, 12), from, delivered: 0 });
      return s;
    } catch (e) {
      view.close();
      throw e;
    }
  };
  let current = await start();

  const run = async (): Promise<StreamEnd> => {
    for (;;) {
      // 2.
      const outcome = await current.driver.done;
      const record = records[records.length - 1];
      record.delivered = current.driver.endpoint.outbound.bytesAcked;
      const end = (o: SessionOutcome): StreamEnd => ({
        outcome: o,
        last: current,
        sessions: records,
        restarts: planner?.restarts ?? 0,
      });
      if (!planner || stopping || outcome.kind === "complete") return end(outcome);
      const decision = planner.sessionEnded(outcome, clock());
      if (!decision.restart) {
        if (outcome.kind === "failed" && decision.why !== outcome.reason) {
          o.log.warn(`not restarting the stream: ${decision.why}`);
        }
        return end(outcome);
      }
      if (o.input.exhausted) {
        o.log.warn(
          `not restarting the stream: the input had been read to its end (session ${record.id} ` +
            `delivered ${describeBytes(record.delivered)} of it)`,
        );
        return end(outcome);
      }
      // 3.
      const skipped = o.input.position - record.from - record.delivered;
      o.log.warn(
        `the stream restarts (${planner.restarts} of at most ${o.policy!.maxRestarts}): session ` +
          `${record.id} ended (${outcome.reason}) after delivering ${
            describeBytes(record.delivered)
          }; ${describeBytes(skipped)} it had read were not delivered and are skipped; ` +
          `a new session starts at input byte ${o.input.position}`,
      );
      // 4.
      let delayMs = decision.delayMs;
      for (;;) {
        // A signal cuts the wait short.
        if (delayMs > 0) await Promise.race([sleep(delayMs), woken]);
        if (stopping) return end(outcome);
        try {
          current = await start();
          planner.opened();
          o.log.warn(
            `stream restarted: session ${current.sessionIdHex.slice(0, 12)} streams from input ` +
              `byte ${records[records.length - 1].from} (sessions so far: ${
                records.map((r) => r.id).join(", ")
              })`,
          );
          break;
        } catch (e) {
          const d = planner.openFailed(e, clock());
          if (!d.restart) {
            return end({
              kind: "failed",
              code: outcome.kind === "failed" ? outcome.code : 0,
              reason: `the stream could not restart: ${d.why}`,
              byPeer: false,
            });
          }
          o.log.warn(
            `restart: no new session yet (${(e as Error).message}); again in ${d.delayMs} ms`,
          );
          delayMs = d.delayMs;
        }
      }
    }
  };
  const done = run();

  return {
    get current() {
      return current;
    },
    done,
    stopInput() {
      stopping = true;
      current.driver.stopInput();
      o.input.close();
      wake();
    },
    abort(code, reason) {
      stopping = true;
      current.driver.abort(code, reason);
      wake();
    },
    addLink(l) {
      if (!links.some((x) => x.index === l.index)) links.push(l);
      current.addLink(l);
    },
    removeLink(index) {
      const at = links.findIndex((x) => x.index === index);
      if (at >= 0) links.splice(at, 1);
      return current.removeLink(index);
    },
  };
}

function describeBytes(n: number): string {
  return `${n} bytes (${formatBytes(n)})`;
}
