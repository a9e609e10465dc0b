/**
 * The sending box's side of a session (`bondctl send`): dial every link, open the session on
 * the first that answers, join the others with the session key, and dial again any link
 * whose connection breaks, with backoff, while the session lasts.
 *
 * Steps, in order:
 * 1. dial the links one by one until one opens the session (HELLO with the token);
 * 2. start the session driver with that link, the input and the output;
 * 3. dial the other links at once; each joins with a proof of the session key;
 * 4. when a link drops, dial it again after 0.5 s, 1 s, 2 s ... (at most 5 s); when no link
 *    is up and the relay refuses a join as UNKNOWN_SESSION (it died or restarted, and a load
 *    balancer sent the link elsewhere), the session is lost: it ends at once, with that reason;
 * 5. while the session runs, `addLink()` dials a new link into it and `removeLink()` stops
 *    dialling one and closes its connection (the endpoint re-sends what it held);
 * 6. resolve with the session's outcome.
 * With `sessionSni`, every link's TLS server name is `<session label>.<relay name>` (see
 * `sessionLabel()`), so that HAProxy can hash it and send all of a session's links to one relay.
 * @module
 */
import { dialTls, type ServerTrust } from "../tunnel/tls_client_io.ts";
import { FramedLink } from "../tunnel/framed_link_io.ts";
import { AuthError, TrustError } from "../tunnel/errors.ts";
import { VersionError } from "../frame/errors.ts";
import type { LinkCaps } from "../frame/types.ts";
import type { Policy } from "../scheduler/policy.ts";
import { BondEndpoint, DEFAULT_ENDPOINT_OPTIONS } from "./endpoint.ts";
import {
  type Logger,
  realClock,
  SessionDriver,
  type SessionDriver as Driver,
  type Sink,
  type Source,
} from "./driver_io.ts";
import { clientHandshake, newSessionId, RefusedError, sessionLabel } from "./handshake.ts";
import { toHex } from "./auth.ts";
import { SessionLossWatch } from "./restart_policy.ts";
import { CloseCode } from "../frame/types.ts";

/** How long the first link waits for the others before the input starts (ms). */
const JOIN_WAIT_MS = 1000;

/** One link to dial. */
export interface ClientLink {
  index: number;
  caps: LinkCaps;
  /**
   * The link's local address now, for links named by interface: a modem that reconnects
   * often gets a new address, and the link must rejoin from that one. Throws if it is gone.
   */
  currentAddress?: () => string;
  /**
   * Dial this address instead of the server's (a relay or test emulator, `--link ...,via=`).
   * The link still authenticates to the same server; TLS still checks the server's name.
   */
  via?: { host: string; port: number };
}

/** Everything `send` decides before the session starts. */
export interface ClientOptions {
  host: string;
  port: number;
  servername?: string;
  /**
   * Send `<session label>.<relay name>` as every link's TLS server name (the certificate is
   * still checked for the relay name: `servername`, else `host`, which must then be a name).
   */
  sessionSni?: boolean;
  trust: ServerTrust;
  token: Uint8Array;
  oui: number;
  links: ClientLink[];
  policy: Policy;
  /** This side's buffer period for what it receives (ms; default 3 s). */
  bufferMs?: number;
  maxBufferBytes: number;
  linkTimeoutMs: number;
  handshakeTimeoutMs: number;
  log: Logger;
}

/** A running client session. */
export interface ClientSession {
  driver: Driver;
  sessionIdHex: string;
  bufferMs: number;
  /** Stops dialling (the session is ending). */
  stop(): void;
  /**
   * Dials a new link into the running session (and keeps redialling it while the session
   * lasts). Its index must not be in use: a link that left may come back with its old one.
   */
  addLink(l: ClientLink): void;
  /**
   * Stops dialling link `index` and closes its connection; the session re-sends what it held
   * on the other links. False when no such link is in the session.
   */
  removeLink(index: number): boolean;
}

/** One link of the session, from its first dial to its removal. */
interface Slot {
  link: ClientLink;
  /** Its connection while it is attached. */
  conn: FramedLink | null;
  /** A dial loop runs for it (at most one at a time). */
  joining: boolean;
  removed: boolean;
  /** Cuts a backoff wait short (on removal). */
  wake: (() => void) | null;
  /** The last refusal logged as a warning (a repeat goes to debug). */
  warned: string | null;
}

/** Failures that no other link can fix: reported at once instead of trying the next link. */
function isFatal(e: unknown): boolean {
  return e instanceof AuthError || e instanceof TrustError || e instanceof VersionError ||
    e instanceof RefusedError;
}

/**
 * Opens the session and keeps its links up.
 * @example
 * ```ts
 * const s = await openClientSession(opts, source, sink);
 * const outcome = await s.driver.done;
 * ```
 */
export async function openClientSession(
  o: ClientOptions,
  source: Source | null,
  sink: Sink | null,
): Promise<ClientSession> {
  const sessionId = newSessionId();
  const serverIsName = !/^[\d.]+$/.test(o.host) && !o.host.includes(":");
  let sni: string | undefined;
  if (o.sessionSni) {
    const relayName = o.servername ?? (serverIsName ? o.host : undefined);
    if (!relayName) {
      throw new Error(
        "--session-sni needs the relay's name: give --server NAME:PORT or --servername NAME",
      );
    }
    sni = `${await sessionLabel(sessionId)}.${relayName}`;
  }
  const dial = async (l: ClientLink, sessionKey?: Uint8Array) => {
    if (l.currentAddress) l.caps = { ...l.caps, localAddress: l.currentAddress() };
    const t = await dialTls({
      host: l.via?.host ?? o.host,
      port: l.via?.port ?? o.port,
      servername: o.servername ?? (l.via && serverIsName ? o.host : undefined),
      sni,
      localAddress: l.caps.localAddress || undefined,
      trust: o.trust,
      timeoutMs: o.handshakeTimeoutMs,
    });
    const link = new FramedLink(t, o.oui);
    try {
      const welcome = await clientHandshake(link, {
        oui: o.oui,
        linkIndex: l.index,
        caps: l.caps,
        sessionId,
        token: o.token,
        sessionKey,
        timeoutMs: o.handshakeTimeoutMs,
      });
      return { link, welcome };
    } catch (e) {
      t.destroy();
      throw e;
    }
  };

  // 1. open the session on the first link that answers
  let first: Awaited<ReturnType<typeof dial>> | null = null;
  let firstLink: ClientLink | null = null;
  const errors: string[] = [];
  for (const l of o.links) {
    try {
      first = await dial(l);
      firstLink = l;
      break;
    } catch (e) {
      if (isFatal(e)) throw e;
      errors.push(`link ${l.index} (${l.caps.name}): ${(e as Error).message}`);
      // The final error lists every cause; a warning helps only while links remain to try.
      if (l !== o.links[o.links.length - 1]) {
        o.log.warn(
          `link ${l.index} (${l.caps.name}) could not open the session: ${(e as Error).message}`,
        );
      }
    }
  }
  if (!first || !firstLink) {
    throw new Error(`no link could reach the server: ${errors.join("; ")}`);
  }
  const sessionKey = first.welcome.sessionKey;
  const sessionIdHex = toHex(sessionId);
  o.log.info(
    `session ${
      sessionIdHex.slice(0, 12)
    } open on link ${firstLink.index} (${firstLink.caps.name}); ` +
      `server buffer ${first.welcome.bufferMs} ms` + (sni ? `; TLS server name ${sni}` : ""),
  );

  // 2. the driver
  const endpoint = new BondEndpoint({
    ...DEFAULT_ENDPOINT_OPTIONS,
    oui: o.oui,
    policy: o.policy,
    // Our own buffer period for what the server sends back; the server's, announced in
    // HELLO_ACK and then as it adapts, is the deadline for what we send.
    bufferMs: o.bufferMs ?? DEFAULT_ENDPOINT_OPTIONS.bufferMs,
    peerBufferMs: first.welcome.bufferMs,
    maxBufferBytes: o.maxBufferBytes,
    linkTimeoutMs: o.linkTimeoutMs,
  }, realClock());
  const driver = new SessionDriver(endpoint, o.log);
  let stopped = false;
  const backoff = new Map<number, number>();
  const slots = new Map<number, Slot>();
  const newSlot = (link: ClientLink): Slot => {
    const slot: Slot = {
      link,
      conn: null,
      joining: false,
      removed: false,
      wake: null,
      warned: null,
    };
    slots.set(link.index, slot);
    return slot;
  };
  const firstSlot = newSlot(firstLink);
  firstSlot.conn = first.link;
  const loss = new SessionLossWatch();
  loss.up(firstLink.index);
  driver.attachLink(firstLink.index, first.link, firstLink.caps);
  const lost = (why: string) => {
    if (stopped) return; // said once, by the first link refused
    stopped = true;
    o.log.warn(`session ${sessionIdHex.slice(0, 12)} is lost: ${why}`);
    driver.abort(CloseCode.UNKNOWN_SESSION, why);
  };
  driver.startOutput(sink);

  // 3./4. join the others, and re-dial any that drops
  const join = async (slot: Slot, firstTry?: () => void) => {
    const l = slot.link;
    slot.joining = true;
    try {
      while (!stopped && !slot.removed) {
        try {
          const { link } = await dial(l, sessionKey);
          if (stopped || slot.removed) {
            link.transport.destroy();
            return;
          }
          backoff.delete(l.index);
          slot.conn = link;
          slot.warned = null;
          loss.up(l.index);
          driver.attachLink(l.index, link, l.caps);
          o.log.info(`link ${l.index} (${l.caps.name}) joined`);
          return;
        } catch (e) {
          firstTry?.();
          firstTry = undefined;
          if (e instanceof RefusedError || e instanceof AuthError) {
            const msg = `link ${l.index} (${l.caps.name}) refused: ${(e as Error).message}`;
            if (slot.warned === msg) o.log.debug(msg);
            else o.log.warn(msg);
            slot.warned = msg;
            if (e instanceof RefusedError && e.code === CloseCode.UNKNOWN_SESSION) {
              // With other links up the session lives: a balancer may have sent only this
              // link astray (its servers changed), so keep trying; with none, it is gone.
              if (loss.refused(l.index)) {
                return lost(
                  "no link is up and the relay no longer holds the session: it died or restarted",
                );
              }
            } else if (e instanceof RefusedError) return; // the server will not take it
          }
          const wait = Math.min(5000, (backoff.get(l.index) ?? 250) * 2);
          backoff.set(l.index, wait);
          o.log.debug(
            `link ${l.index} (${l.caps.name}): ${(e as Error).message}; again in ${wait} ms`,
          );
          await new Promise<void>((r) => {
            const timer = setTimeout(r, wait);
            slot.wake = () => {
              clearTimeout(timer);
              r();
            };
          });
          slot.wake = null;
        }
      }
    } finally {
      slot.joining = false;
      firstTry?.();
    }
  };
  driver.onLinkClosed = (index) => {
    loss.down(index);
    const slot = slots.get(index);
    if (!slot || slot.removed || stopped) return;
    slot.conn = null;
    // A link re-added under the same index may already be dialling.
    if (!slot.joining) join(slot);
  };
  // Input starts once every link has had its first try (at most JOIN_WAIT_MS), so that
  // the schedule starts with every link the box has (the patent's [0048]).
  const firstTries = o.links.filter((l) => l !== firstLink).map((l) =>
    new Promise<void>((r) => void join(newSlot(l), r))
  );
  let waitTimer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    Promise.all(firstTries),
    new Promise((r) => (waitTimer = setTimeout(r, JOIN_WAIT_MS))),
  ]);
  clearTimeout(waitTimer);
  driver.startInput(source);
  driver.done.finally(() => (stopped = true));
  return {
    driver,
    sessionIdHex,
    bufferMs: first.welcome.bufferMs,
    stop: () => (stopped = true),
    addLink(l: ClientLink) {
      if (slots.has(l.index)) {
        throw new Error(`link index ${l.index} is already in the session (${l.caps.name})`);
      }
      if (stopped) return;
      void join(newSlot(l));
    },
    removeLink(index: number) {
      const slot = slots.get(index);
      if (!slot) return false;
      slots.delete(index);
      slot.removed = true;
      slot.wake?.();
      // The driver hears the close, takes the link out of the endpoint (which re-sends
      // what it held) and calls onLinkClosed, which finds no slot and does not redial.
      slot.conn?.transport.destroy();
      slot.conn = null;
      backoff.delete(index);
      return true;
    },
  };
}
