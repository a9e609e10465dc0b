/**
 * The relay's side (`bondctl receive`): accept TLS links, authenticate each, create a session
 * for a first link and attach joining links to theirs, run each session to its end.
 *
 * Steps for every accepted connection, in order:
 * 1. the listener enforces TLS 1.3, the cap on connections not yet authenticated and the
 *    handshake deadline (see `tls_server_io.ts`);
 * 2. CHALLENGE / HELLO: the proof is checked against every client's token (a new session) or
 *    the session key (a joining link); a bad proof, a garbage frame or another protocol
 *    version close that connection only, with the reason logged;
 * 3. admission, before HELLO_ACK: the limits (`limits.ts`), `--once`, and the output: two
 *    sessions never write one file at once, so a fixed `--output` serves one session at a
 *    time while `{session}` in it gives every session its own; a refusal is a CLOSE with the
 *    reason, and nothing running is touched;
 * 4. a new session gets an endpoint, a driver, its output and its input; a joining link is
 *    handed to its session's driver;
 * 5. when a session ends its outcome is reported and what it held is released;
 * 6. `reload()` (SIGHUP) swaps the credentials and the certificate: sessions of a client no
 *    longer listed (or whose token changed) end at once with CLOSE(REVOKED).
 * @module
 */
import { listenTls, type Rejection } from "../tunnel/tls_server_io.ts";
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
  type StreamAcceptor,
} from "./driver_io.ts";
import { type Candidate, RefusedError, serverHandshake } from "./handshake.ts";
import { constantTimeEqual, toHex } from "./auth.ts";
import { type Credential, stillValid } from "./clients.ts";
import { Admission, type ServerLimits, type Verdict } from "./limits.ts";
import { LogThrottle } from "./log_throttle.ts";
import { relayLiveSummary } from "./live_summary.ts";
import { CloseCode } from "../frame/types.ts";
import { formatBytes } from "../config/mod.ts";
import {
  type RefusalReason,
  refusalReason,
  type RelaySnapshot,
  RelayTally,
  sessionFigures,
} from "../metrics/relay_tally.ts";

/** A session as the output template and the logs see it. */
export interface SessionInfo {
  /** The session id in hex. */
  id: string;
  client: string;
  openedAt: Date;
}

/** What `receive` decides before it listens. */
export interface ServerOptions {
  hostname: string;
  port: number;
  certPem: string;
  keyPem: string;
  /** Who may open sessions. */
  credentials: readonly Credential[];
  oui: number;
  bufferMs: number;
  /** Floor of the adaptive buffer period (ms). */
  bufferMinMs?: number;
  /** Keep the buffer period at `bufferMs`. */
  bufferFixed?: boolean;
  limits: ServerLimits;
  linkTimeoutMs: number;
  /** A fresh policy for each session (policies keep per-link state). */
  makePolicy(): Policy;
  /** Stop after the first session. */
  once: boolean;
  /**
   * Where a session's output goes, as a key no two running sessions may share (a path, `-`),
   * or null to drop it. Throws to refuse the session (an unusable path).
   */
  outputFor(s: SessionInfo): string | null;
  /** Opens the output `outputFor` named. */
  openOutput(key: string, s: SessionInfo): Promise<Sink>;
  /** Opens the input the server sends back (null: nothing to send). */
  openInput(s: SessionInfo): Promise<Source | null>;
  /** What the session does with the streams its sender opens (none: each is refused). */
  acceptStreams?(s: SessionInfo): StreamAcceptor;
  log: Logger;
}

/** A finished session, as reported. */
export interface SessionReport {
  sessionHex: string;
  client: string;
  outcome: SessionOutcome;
  bytesOut: number;
  bytesIn: number;
}

/** What a reload changed. */
export interface ReloadReport {
  /** Sessions ended because their client was revoked: `client session`. */
  revoked: string[];
  clients: number;
  certificate: boolean;
}

/** A running server. */
export interface RunningServer {
  port: number;
  /** Resolves with the first session's report once `once` is set and it ends. */
  firstSession: Promise<SessionReport>;
  /** Sessions running now. */
  readonly sessionCount: number;
  /**
   * Takes new credentials and/or a new certificate and key. The certificate is checked first
   * (CertificateError, nothing changed); then sessions of clients no longer valid are ended.
   */
  reload(
    r: { credentials?: readonly Credential[]; certPem?: string; keyPem?: string },
  ): ReloadReport;
  /** Stops listening and ends every session with SHUTDOWN. */
  close(reason: string): Promise<void>;
  /** Counters and every running session's figures, for `receive --metrics`. */
  metrics(): RelaySnapshot;
  /** The sessions running now, for the live view and `--stats`. */
  sessions(): { info: SessionInfo; endpoint: BondEndpoint }[];
}

interface Held {
  info: SessionInfo;
  key: Uint8Array;
  id: Uint8Array;
  credential: Credential;
  driver: SessionDriver | null;
  /** Resolves true once the driver runs, false if the session never started. */
  ready: Promise<boolean>;
  /** Link indices attached or being admitted. */
  links: Set<number>;
  /** Ending (revoked, or over): joins are refused. */
  ending: boolean;
  revokedWhy: string | null;
  outputKey: string | null;
}

/**
 * @example
 * ```ts
 * const server = await startServer(opts);
 * const report = await server.firstSession;
 * ```
 */
export async function startServer(o: ServerOptions): Promise<RunningServer> {
  const sessions = new Map<string, Held>();
  const outputsInUse = new Map<string, string>(); // output key -> session hex
  const admission = new Admission(o.limits);
  let credentials = o.credentials;
  let firstResolve!: (r: SessionReport) => void;
  const firstSession = new Promise<SessionReport>((r) => (firstResolve = r));
  let sessionsStarted = 0;
  const tally = new RelayTally();
  let listening = true;
  const throttle = new LogThrottle(20, 10_000);
  const warnThrottled = (msg: string) => {
    for (const line of throttle.offer(msg, realClock())) o.log.warn(line);
  };

  const lookup = {
    find(id: Uint8Array) {
      for (const h of sessions.values()) {
        if (!h.ending && constantTimeEqual(h.id, id)) return { key: h.key, client: h.info.client };
      }
      return null;
    },
  };

  /** Step 3: limits, --once and the output, for a candidate whose proof checked out. */
  const admit = (c: Candidate, note: (r: RefusalReason) => void = () => {}): Verdict => {
    const hex = toHex(c.sessionId);
    if (c.join) {
      const held = sessions.get(hex);
      if (!held || held.ending) {
        return { ok: false, code: CloseCode.UNKNOWN_SESSION, reason: "the session has ended" };
      }
      const v = admission.admitLink(held.links, c.linkIndex);
      if (v.ok) held.links.add(c.linkIndex);
      else note("limits");
      return v;
    }
    if (sessions.has(hex)) {
      return { ok: false, code: CloseCode.PROTOCOL_ERROR, reason: "that session id is in use" };
    }
    if (o.once && sessionsStarted > 0) {
      return { ok: false, code: CloseCode.BUSY, reason: "the server serves one session (--once)" };
    }
    const v = admission.admitSession(c.client);
    if (!v.ok) {
      note("limits");
      return v;
    }
    const info: SessionInfo = { id: hex, client: c.client, openedAt: new Date() };
    let outputKey: string | null;
    try {
      outputKey = o.outputFor(info);
    } catch (e) {
      return { ok: false, code: CloseCode.OUTPUT_FAILED, reason: (e as Error).message };
    }
    if (outputKey !== null && outputsInUse.has(outputKey)) {
      const other = outputsInUse.get(outputKey)!.slice(0, 12);
      return {
        ok: false,
        code: CloseCode.BUSY,
        reason: `the server is busy with another session: --output ${outputKey} is in use by ` +
          `session ${other} (put {session} in --output to serve sessions side by side)`,
      };
    }
    // Reserve everything now, so that two newcomers cannot both take the last place.
    admission.opened(c.client);
    sessionsStarted++;
    if (outputKey !== null) outputsInUse.set(outputKey, hex);
    let readyResolve!: (ok: boolean) => void;
    sessions.set(hex, {
      info,
      key: new Uint8Array(0), // set once the handshake derives it
      id: c.sessionId,
      credential: credentials.find((x) => x.name === c.client)!,
      driver: null,
      ready: new Promise((r) => (readyResolve = r)),
      links: new Set([c.linkIndex]),
      ending: false,
      revokedWhy: null,
      outputKey,
    });
    readyResolvers.set(hex, readyResolve);
    return { ok: true };
  };
  const readyResolvers = new Map<string, (ok: boolean) => void>();

  const release = (hex: string) => {
    const held = sessions.get(hex);
    if (!held) return;
    sessions.delete(hex);
    admission.closed(held.info.client);
    if (held.outputKey !== null && outputsInUse.get(held.outputKey) === hex) {
      outputsInUse.delete(held.outputKey);
    }
    readyResolvers.get(hex)?.(false);
    readyResolvers.delete(hex);
  };

  const onConn = async (t: Transport, settle: () => void) => {
    const link = new FramedLink(t, o.oui);
    let accepted;
    let noted: RefusalReason | null = null; // a limit said no (other refusals: by the error)
    try {
      accepted = await serverHandshake(link, {
        oui: o.oui,
        credentials,
        sessions: lookup,
        bufferMs: o.bufferMs,
        timeoutMs: o.limits.handshakeTimeoutMs,
        admit: (c) => admit(c, (r) => (noted = r)),
      });
    } catch (e) {
      settle();
      tally.refused(noted ?? refusalReason(e));
      warnThrottled(`refused a link from ${t.remote}: ${(e as Error).message}`);
      await t.end();
      return;
    }
    settle();
    const hex = toHex(accepted.sessionId);
    const short = hex.slice(0, 12);
    const held = sessions.get(hex);
    if (accepted.join) {
      if (!held || !(await held.ready) || held.ending || !held.driver) {
        held?.links.delete(accepted.linkIndex);
        o.log.warn(`link from ${t.remote} joined session ${short}, which just ended`);
        t.destroy();
        return;
      }
      held.driver.attachLink(accepted.linkIndex, link, accepted.caps);
      tally.linkAccepted();
      o.log.info(
        `session ${short}: link ${accepted.linkIndex} (${accepted.caps.name}) joined from ${t.remote}`,
      );
      return;
    }
    if (!held) {
      t.destroy(); // cannot happen: admit registered it
      return;
    }
    held.key = accepted.sessionKey;
    await runSession(held, link, t, accepted.linkIndex, accepted.caps);
  };

  const runSession = async (
    held: Held,
    link: FramedLink,
    t: Transport,
    linkIndex: number,
    caps: Parameters<SessionDriver["attachLink"]>[2],
  ) => {
    const { info } = held;
    const hex = info.id;
    const short = hex.slice(0, 12);
    let sink: Sink | null = null;
    let source: Source | null;
    try {
      if (held.outputKey !== null) sink = await o.openOutput(held.outputKey, info);
      source = await o.openInput(info);
    } catch (e) {
      await sink?.close().catch(() => {});
      const reason = (e as Error).message;
      link.send({
        type: "CLOSE",
        vpn: { oui: o.oui, index: linkIndex },
        code: CloseCode.OUTPUT_FAILED,
        reason,
      });
      o.log.warn(`session ${short} refused: ${reason}`);
      tally.refused("output");
      release(hex);
      await t.end();
      if (o.once) {
        firstResolve({
          sessionHex: hex,
          client: info.client,
          outcome: { kind: "failed", code: CloseCode.OUTPUT_FAILED, reason, byPeer: false },
          bytesIn: 0,
          bytesOut: 0,
        });
      }
      return;
    }
    const endpoint = new BondEndpoint({
      ...DEFAULT_ENDPOINT_OPTIONS,
      side: "server",
      oui: o.oui,
      policy: o.makePolicy(),
      bufferMs: o.bufferMs,
      bufferMinMs: o.bufferMinMs,
      bufferFixed: o.bufferFixed,
      maxBufferBytes: o.limits.maxBufferBytes,
      linkTimeoutMs: o.linkTimeoutMs,
    }, realClock());
    const driver = new SessionDriver(endpoint, o.log);
    held.driver = driver;
    o.log.info(
      `session ${short} opened by ${t.remote} on link ${linkIndex} (${caps.name}), ` +
        `client ${info.client}` + (held.outputKey !== null ? `, output ${held.outputKey}` : ""),
    );
    if (o.acceptStreams) driver.acceptStreams(o.acceptStreams(info));
    driver.attachLink(linkIndex, link, caps);
    tally.sessionStarted();
    tally.linkAccepted();
    driver.onLinkClosed = (index) => void held.links.delete(index);
    driver.startOutput(sink);
    driver.startInput(source);
    readyResolvers.get(hex)?.(true);
    readyResolvers.delete(hex);
    if (held.revokedWhy !== null) driver.abort(CloseCode.REVOKED, held.revokedWhy);
    const outcome = await driver.done;
    held.ending = true;
    tally.sessionEnded(outcome, sessionFigures(info, endpoint));
    release(hex);
    const report: SessionReport = {
      sessionHex: hex,
      client: info.client,
      outcome,
      bytesOut: endpoint.inbound.bytesOut,
      bytesIn: endpoint.outbound.bytesAcked,
    };
    // Datagram streams (live mode) count what they skipped and rebuilt on this side too.
    const live = endpoint.liveTotals();
    if (live.streams > 0) o.log.info(`session ${short}: ${relayLiveSummary(live)}`);
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

  const onRejected = (r: Rejection) => {
    tally.refused(r.kind === "over-cap" ? "limits" : r.kind);
    switch (r.kind) {
      case "tls":
        warnThrottled(`TLS handshake with ${r.remote} failed: ${r.message}`);
        return;
      case "timeout":
        warnThrottled(
          `dropped ${r.remote}: not authenticated within ${r.ms / 1000} s (--handshake-timeout)`,
        );
        return;
      case "over-cap":
        warnThrottled(
          `refused a connection from ${r.remote}: ${r.pending} connections are already ` +
            `waiting to authenticate (--max-unauthenticated)`,
        );
        return;
    }
  };

  const listener = await listenTls(
    {
      hostname: o.hostname,
      port: o.port,
      certPem: o.certPem,
      keyPem: o.keyPem,
      handshakeTimeoutMs: o.limits.handshakeTimeoutMs,
      maxPending: o.limits.maxUnauthenticated,
    },
    (t, settle) => void onConn(t, settle),
    onRejected,
  );

  return {
    port: listener.port,
    firstSession,
    get sessionCount() {
      return sessions.size;
    },
    reload(r) {
      let certificate = false;
      if (r.certPem !== undefined && r.keyPem !== undefined) {
        listener.reload(r.certPem, r.keyPem);
        certificate = true;
      }
      const revoked: string[] = [];
      if (r.credentials) {
        credentials = r.credentials;
        for (const held of sessions.values()) {
          if (held.ending || stillValid(held.credential, credentials)) continue;
          const why = `client ${held.info.client} was revoked on the server`;
          held.ending = true;
          held.revokedWhy = why;
          held.driver?.abort(CloseCode.REVOKED, why);
          revoked.push(`${held.info.client} ${held.info.id.slice(0, 12)}`);
        }
      }
      return { revoked, clients: credentials.length, certificate };
    },
    sessions() {
      return [...sessions.values()].filter((h) => h.driver !== null).map((h) => ({
        info: h.info,
        endpoint: h.driver!.endpoint,
      }));
    },
    metrics() {
      // Ending sessions too: their bytes leave this sum only as they join the tally's totals.
      const running = [...sessions.values()].filter((h) => h.driver !== null);
      return {
        listening,
        totals: tally.totals(),
        sessions: running.map((h) => sessionFigures(h.info, h.driver!.endpoint)),
      };
    },
    async close(reason: string) {
      listening = false;
      listener.close();
      for (const line of throttle.flush(Infinity)) o.log.warn(line);
      const running = [...sessions.values()];
      for (const h of running) h.driver?.abort(CloseCode.SHUTDOWN, reason);
      await Promise.all(running.map((h) => h.driver?.done));
    },
  };
}

export { RefusedError };
