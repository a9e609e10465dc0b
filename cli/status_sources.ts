/**
 * The sessions a command shows, as the status collector reads them: the endpoint for the
 * figures, the policy tap for re-sends per link and each link's settings.
 * @module
 */
import type { LinkCaps } from "../core/frame/types.ts";
import type { EndpointView, LinkSettings, SessionSource } from "../core/status/collector.ts";
import type { PolicyTap } from "../core/status/policy_tap.ts";

/** A link's settings from its capabilities. */
export function settingsOf(caps: LinkCaps | undefined): LinkSettings | undefined {
  if (!caps) return undefined;
  const s: LinkSettings = { cost: caps.cost, priority: caps.priority };
  if (caps.capBytes !== undefined) s.capBytes = caps.capBytes;
  return s;
}

/** What a running session offers: its id, its endpoint, and the tap on its policy. */
export interface TappedSession {
  id: string;
  client?: string | null;
  endpoint: EndpointView;
  tap: PolicyTap | null;
}

/**
 * A source that follows `current()`: `send --restart` replaces the session, and the view
 * follows the new one (its figures start afresh, and so does its age).
 * @example
 * ```ts
 * monitor.watch(followSession(() => ({ id, endpoint, tap }), realClock, fallbackCaps));
 * ```
 */
export function followSession(
  current: () => TappedSession,
  clock: () => number,
  fallbackCaps: (index: number) => LinkCaps | undefined = () => undefined,
): SessionSource {
  let id = current().id;
  let startedAt = clock();
  const now = () => {
    const c = current();
    if (c.id !== id) {
      id = c.id;
      startedAt = clock();
    }
    return c;
  };
  return {
    get id() {
      return now().id;
    },
    get client() {
      return now().client ?? null;
    },
    get startedAt() {
      now();
      return startedAt;
    },
    get endpoint() {
      return now().endpoint;
    },
    settings: (index) => settingsOf(now().tap?.caps(index) ?? fallbackCaps(index)),
    resentBytes: (index) => now().tap?.resentBytes(index) ?? 0,
  };
}

/** A running session of the relay, with its endpoint. */
export interface RelaySession {
  info: { id: string; client: string; openedAt: Date };
  endpoint: EndpointView;
}

/**
 * What `receive` needs of its server to show sessions: a list of the running ones. (Asked of
 * `RunningServer` when it offers it; without it the relay's view shows no session.)
 */
export interface SessionLister {
  sessions(): readonly RelaySession[];
}

/**
 * The relay's running sessions as sources for the monitor (`monitor.follow(...)`).
 * @example
 * ```ts
 * monitor.follow(relaySources(server, realClock));
 * ```
 */
export function relaySources(server: object, clock: () => number): () => SessionSource[] {
  const lister = server as Partial<SessionLister>;
  const started = new Map<string, number>();
  return () => {
    const running = lister.sessions?.() ?? [];
    const ids = new Set(running.map((s) => s.info.id));
    for (const id of started.keys()) if (!ids.has(id)) started.delete(id);
    return running.map((s) => {
      if (!started.has(s.info.id)) {
        // Its start on this clock: the session's age, taken from its wall-clock start.
        started.set(s.info.id, clock() - Math.max(0, Date.now() - s.info.openedAt.getTime()));
      }
      return {
        id: s.info.id,
        client: s.info.client,
        startedAt: started.get(s.info.id)!,
        endpoint: s.endpoint,
        settings: () => undefined,
        // The relay's policy is not tapped: its own re-sends per link are not counted.
        resentBytes: () => null,
      };
    });
  };
}
