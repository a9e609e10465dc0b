/**
 * The relay's side (`bondctl receive`): accept TLS links, authenticate each, create a session
 * for a first link and attach joining links to theirs, run each session to its end.
 *
 * Steps for every accepted connection, in order:
 * 1. TLS handshake (a failure is logged and the connection dropped);
 * 2. CHALLENGE / HELLO / HELLO_ACK (a bad token, a wrong session key, a garbage frame or
 *    another protocol version close that connection only, with the reason logged);
 * 3. a new session gets an endpoint, a driver, the output and the input; a joining link is
 *    handed to its session's driver;
 * 4. when a session ends its outcome is reported; with `once`, the server then stops.
 * @module
 */
import { listenTls } from "../tunnel/tls_server_io.ts";
import { FramedLink } from "../tunnel/framed_link_io.ts";
import type { Transport } from "../tunnel/transport.ts";
import type { Policy } from "../scheduler/policy.ts";
import { BondEndpoint, DEFAULT_ENDPOINT_OPTIONS } from "./endpoint.ts";
import {
  type Logger,
  realClock,
  SessionDriver,
  type SessionOutcome,
  type Sink,
  type Source,
} from "./driver_io.ts";
import { RefusedError, serverHandshake } from "./handshake.ts";
import { constantTimeEqual, toHex } from "./auth.ts";
import { CloseCode } from "../frame/types.ts";
import { formatBytes } from "../config/mod.ts";

/** What `receive` decides before it listens. */
export interface ServerOptions {
  hostname: string;
  port: number;
  certPem: string;
  keyPem: string;
  token: Uint8Array;
  oui: number;
  bufferMs: number;
  /** Floor of the adaptive buffer period (ms). */
  bufferMinMs?: number;
  /** Keep the buffer period at `bufferMs`. */
  bufferFixed?: boolean;
  maxBufferBytes: number;
  linkTimeoutMs: number;
  handshakeTimeoutMs: number;
  /** A fresh policy for each session (policies keep per-link state). */
  makePolicy(): Policy;
  /** Stop after the first session. */
  once: boolean;
  /** Opens the output for a new session (null: drop what arrives). */
  openOutput(sessionHex: string): Promise<Sink | null>;
  /** Opens the input the server sends back (null: nothing to send). */
  openInput(sessionHex: string): Promise<Source | null>;
  log: Logger;
}

/** A finished session, as reported. */
export interface SessionReport {
  sessionHex: string;
  outcome: SessionOutcome;
  bytesOut: number;
  bytesIn: number;
}

/** A running server. */
export interface RunningServer {
  port: number;
  /** Resolves with the first session's report once `once` is set and it ends. */
  firstSession: Promise<SessionReport>;
  /** Stops listening and ends every session with SHUTDOWN. */
  close(reason: string): Promise<void>;
}

interface Held {
  key: Uint8Array;
  id: Uint8Array;
  driver: SessionDriver;
}

/**
 * @example
 * ```ts
 * const server = startServer(opts);
 * const report = await server.firstSession;
 * ```
 */
export function startServer(o: ServerOptions): RunningServer {
  const sessions = new Map<string, Held>();
  let firstResolve!: (r: SessionReport) => void;
  const firstSession = new Promise<SessionReport>((r) => (firstResolve = r));
  let sessionsStarted = 0;

  const lookup = {
    keyOf(id: Uint8Array) {
      for (const h of sessions.values()) if (constantTimeEqual(h.id, id)) return h.key;
      return null;
    },
  };

  const onConn = async (t: Transport) => {
    const link = new FramedLink(t, o.oui);
    let accepted;
    try {
      accepted = await serverHandshake(link, {
        oui: o.oui,
        token: o.token,
        sessions: lookup,
        bufferMs: o.bufferMs,
        timeoutMs: o.handshakeTimeoutMs,
      });
    } catch (e) {
      o.log.warn(`refused a link from ${t.remote}: ${(e as Error).message}`);
      await t.end();
      return;
    }
    const hex = toHex(accepted.sessionId);
    const short = hex.slice(0, 12);
    if (accepted.join) {
      const held = sessions.get(hex);
      if (!held) {
        o.log.warn(`link from ${t.remote} joined session ${short}, which just ended`);
        t.destroy();
        return;
      }
      held.driver.attachLink(accepted.linkIndex, link, accepted.caps);
      o.log.info(
        `session ${short}: link ${accepted.linkIndex} (${accepted.caps.name}) joined from ${t.remote}`,
      );
      return;
    }
    // Sessions write to one output: a second concurrent session would interleave with it.
    if (sessions.size > 0 || (o.once && sessionsStarted > 0)) {
      const reason = "the server is busy with another session";
      link.send({
        type: "CLOSE",
        vpn: { oui: o.oui, index: accepted.linkIndex },
        code: CloseCode.BUSY,
        reason,
      });
      o.log.warn(`refused a new session from ${t.remote}: ${reason}`);
      await t.end();
      return;
    }
    sessionsStarted++;
    let sink: Sink | null;
    let source: Source | null;
    try {
      sink = await o.openOutput(hex);
      source = await o.openInput(hex);
    } catch (e) {
      const reason = (e as Error).message;
      link.send({
        type: "CLOSE",
        vpn: { oui: o.oui, index: accepted.linkIndex },
        code: CloseCode.OUTPUT_FAILED,
        reason,
      });
      o.log.warn(`session ${short} refused: ${reason}`);
      await t.end();
      if (o.once) {
        firstResolve({
          sessionHex: hex,
          outcome: { kind: "failed", code: CloseCode.OUTPUT_FAILED, reason, byPeer: false },
          bytesIn: 0,
          bytesOut: 0,
        });
      }
      return;
    }
    const endpoint = new BondEndpoint({
      ...DEFAULT_ENDPOINT_OPTIONS,
      oui: o.oui,
      policy: o.makePolicy(),
      bufferMs: o.bufferMs,
      bufferMinMs: o.bufferMinMs,
      bufferFixed: o.bufferFixed,
      maxBufferBytes: o.maxBufferBytes,
      linkTimeoutMs: o.linkTimeoutMs,
    }, realClock());
    const driver = new SessionDriver(endpoint, o.log);
    sessions.set(hex, { key: accepted.sessionKey, id: accepted.sessionId, driver });
    o.log.info(
      `session ${short} opened by ${t.remote} on link ${accepted.linkIndex} (${accepted.caps.name})`,
    );
    driver.attachLink(accepted.linkIndex, link, accepted.caps);
    driver.startOutput(sink);
    driver.startInput(source);
    const outcome = await driver.done;
    sessions.delete(hex);
    const report: SessionReport = {
      sessionHex: hex,
      outcome,
      bytesOut: endpoint.inbound.bytesOut,
      bytesIn: endpoint.outbound.bytesAcked,
    };
    if (outcome.kind === "complete") {
      o.log.info(
        `session ${short} complete: ${formatBytes(report.bytesOut)} written to the output, ` +
          `${formatBytes(report.bytesIn)} sent back`,
      );
    } else {
      o.log.warn(
        `session ${short} ended incomplete after ${
          formatBytes(report.bytesOut)
        }: ${outcome.reason}`,
      );
    }
    firstResolve(report);
  };

  const listener = listenTls(
    { hostname: o.hostname, port: o.port, certPem: o.certPem, keyPem: o.keyPem },
    (t) => void onConn(t),
    (msg) => o.log.warn(msg),
  );

  return {
    port: listener.port,
    firstSession,
    async close(reason: string) {
      listener.close();
      for (const h of sessions.values()) h.driver.abort(CloseCode.SHUTDOWN, reason);
      await Promise.all([...sessions.values()].map((h) => h.driver.done));
    },
  };
}

export { RefusedError };
