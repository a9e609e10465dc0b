/**
 * The opening of a link, both sides, over any frame channel:
 * 1. server → CHALLENGE(nonce);
 * 2. client → HELLO(session id, join?, nonce, proof, link capabilities);
 * 3. server checks the proof (a client's token for a new session, the session key for a
 *    joining link), asks `admit` (limits), and answers HELLO_ACK(buffer period, its own
 *    proof), or CLOSE with the reason;
 * 4. the client checks the server's proof.
 * No socket or clock here: the channel and its timeouts come from the caller.
 * @module
 */
import { CloseCode, type Frame, type LinkCaps } from "../frame/types.ts";
import { NONCE_LENGTH, SESSION_ID_LENGTH } from "../frame/constants.ts";
import { VersionError } from "../frame/errors.ts";
import {
  clientProof,
  constantTimeEqual,
  deriveSessionKey,
  randomBytes,
  serverProof,
  toHex,
  type Transcript,
} from "./auth.ts";
import { AuthError } from "../tunnel/errors.ts";
import type { Credential } from "./clients.ts";
import type { Verdict } from "./limits.ts";

/** What a handshake needs of a link. */
export interface FrameChannel {
  send(frame: Frame): boolean;
  next(timeoutMs: number, what: string): Promise<Frame>;
}

/** A protocol-level refusal: the peer closed the link with a code and a reason. */
export class RefusedError extends Error {
  override name = "RefusedError";
  constructor(readonly code: number, reason: string) {
    super(reason);
  }
}

/** The client's side of one link's opening. */
export interface ClientHello {
  oui: number;
  linkIndex: number;
  caps: LinkCaps;
  sessionId: Uint8Array;
  /** The token, for the first link of a session. */
  token: Uint8Array;
  /** The session key, for a link joining a session (absent for the first link). */
  sessionKey?: Uint8Array;
  timeoutMs: number;
}

/** What the client learns from a successful opening. */
export interface ClientWelcome {
  bufferMs: number;
  /** The session key (derived on the first link, unchanged on joins). */
  sessionKey: Uint8Array;
}

/**
 * Runs the client side; rejects with AuthError, RefusedError or VersionError.
 * @example
 * ```ts
 * const { sessionKey, bufferMs } = await clientHandshake(link, hello);
 * ```
 */
export async function clientHandshake(ch: FrameChannel, h: ClientHello): Promise<ClientWelcome> {
  const challenge = await ch.next(h.timeoutMs, "challenge from the server");
  if (challenge.type === "CLOSE") throw refusal(challenge.code, challenge.reason);
  if (challenge.type !== "CHALLENGE") throw new Error(`server opened with ${challenge.type}`);
  const join = h.sessionKey !== undefined;
  const t: Transcript = {
    serverNonce: challenge.nonce,
    clientNonce: randomBytes(NONCE_LENGTH),
    sessionId: h.sessionId,
    linkIndex: h.linkIndex,
  };
  const secret = h.sessionKey ?? h.token;
  ch.send({
    type: "HELLO",
    vpn: { oui: h.oui, index: h.linkIndex },
    join,
    sessionId: h.sessionId,
    nonce: t.clientNonce,
    proof: await clientProof(secret, join, t),
    caps: h.caps,
  });
  const answer = await ch.next(h.timeoutMs, "answer from the server");
  if (answer.type === "CLOSE") throw refusal(answer.code, answer.reason);
  if (answer.type !== "HELLO_ACK") throw new Error(`server answered HELLO with ${answer.type}`);
  if (!constantTimeEqual(answer.proof, await serverProof(secret, t))) {
    throw new AuthError(
      "the server could not prove that it knows the token: wrong server, or a different token there",
    );
  }
  const sessionKey = h.sessionKey ?? await deriveSessionKey(h.token, t);
  return { bufferMs: answer.bufferMs, sessionKey };
}

/** How the server resolves a joining link's session. */
export interface SessionLookup {
  /** The session key and client of a session this server holds (and still admits), or null. */
  find(sessionId: Uint8Array): { key: Uint8Array; client: string } | null;
}

/** What the server knows of a link once its proof checked out, for `admit`. */
export interface Candidate {
  join: boolean;
  sessionId: Uint8Array;
  linkIndex: number;
  /** The client it authenticated as (a joining link: its session's client). */
  client: string;
}

/** The server's side of one link's opening. */
export interface ServerHello {
  oui: number;
  /** Who may open a new session: each client's name and token. */
  credentials: readonly Credential[];
  sessions: SessionLookup;
  bufferMs: number;
  timeoutMs: number;
  /**
   * Last word before HELLO_ACK (limits): a refusal is sent as CLOSE with its code and reason,
   * so the client learns it from the handshake itself.
   */
  admit?(c: Candidate): Verdict;
}

/** A link the server accepted. */
export interface AcceptedLink {
  join: boolean;
  sessionId: Uint8Array;
  linkIndex: number;
  caps: LinkCaps;
  sessionKey: Uint8Array;
  /** The client's name. */
  client: string;
  /** The credential a new session proved (null for a joining link). */
  credential: Credential | null;
}

/**
 * Runs the server side. On a bad proof it sends CLOSE(AUTH_FAILED) and rejects with AuthError;
 * on a peer of another protocol version it sends CLOSE(VERSION_MISMATCH) and rejects; when
 * `admit` says no it sends CLOSE with its code and rejects with RefusedError. A new session's
 * proof is checked against every credential, each in constant time and without stopping at
 * a match, so the time taken does not say which client (if any) matched.
 * @example
 * ```ts
 * const accepted = await serverHandshake(link, { oui, credentials, sessions, bufferMs, timeoutMs });
 * ```
 */
export async function serverHandshake(ch: FrameChannel, s: ServerHello): Promise<AcceptedLink> {
  const serverNonce = randomBytes(NONCE_LENGTH);
  ch.send({ type: "CHALLENGE", vpn: { oui: s.oui, index: 0 }, nonce: serverNonce });
  let hello: Frame;
  try {
    hello = await ch.next(s.timeoutMs, "HELLO from the client");
  } catch (e) {
    if (e instanceof VersionError) {
      ch.send({
        type: "CLOSE",
        vpn: { oui: s.oui, index: 0 },
        code: CloseCode.VERSION_MISMATCH,
        reason: `server speaks bondctl protocol version ${e.ourVersion}, ` +
          `client sent version ${e.peerVersion}`,
      });
    }
    throw e;
  }
  if (hello.type !== "HELLO") throw new Error(`client opened with ${hello.type}, not HELLO`);
  const vpn = { oui: s.oui, index: hello.vpn.index };
  const refuse = (code: number, reason: string): never => {
    ch.send({ type: "CLOSE", vpn, code: code as CloseCode, reason });
    throw code === CloseCode.AUTH_FAILED ? new AuthError(reason) : new RefusedError(code, reason);
  };
  if (hello.sessionId.length !== SESSION_ID_LENGTH) {
    refuse(CloseCode.PROTOCOL_ERROR, "bad session id");
  }
  const t: Transcript = {
    serverNonce,
    clientNonce: hello.nonce,
    sessionId: hello.sessionId,
    linkIndex: hello.vpn.index,
  };
  let secret: Uint8Array;
  let client: string;
  let credential: Credential | null = null;
  if (hello.join) {
    const held = s.sessions.find(hello.sessionId);
    if (!held) {
      // Behind a load balancer the likely cause is a link sent to another relay than its
      // session's first link: say so, since neither side can see the balancer.
      return refuse(
        CloseCode.UNKNOWN_SESSION,
        `this relay holds no session ${toHex(hello.sessionId).slice(0, 12)}: it ended, ` +
          "the relay restarted, or a load balancer sent this link to another relay " +
          "than the session's first link (send --session-sni keeps them together)",
      );
    }
    if (!constantTimeEqual(hello.proof, await clientProof(held.key, true, t))) {
      refuse(CloseCode.AUTH_FAILED, "the link did not prove the session key");
    }
    secret = held.key;
    client = held.client;
  } else {
    for (const c of s.credentials) {
      const match = constantTimeEqual(hello.proof, await clientProof(c.token, false, t));
      if (match && credential === null) credential = c;
    }
    if (credential === null) return refuse(CloseCode.AUTH_FAILED, "the token does not match");
    secret = credential.token;
    client = credential.name;
  }
  const verdict: Verdict = s.admit?.({
    join: hello.join,
    sessionId: hello.sessionId,
    linkIndex: hello.vpn.index,
    client,
  }) ?? { ok: true };
  if (!verdict.ok) refuse(verdict.code, verdict.reason);
  const sessionKey = hello.join ? secret : await deriveSessionKey(secret, t);
  ch.send({
    type: "HELLO_ACK",
    vpn,
    sessionId: hello.sessionId,
    bufferMs: s.bufferMs,
    proof: await serverProof(secret, t),
  });
  return {
    join: hello.join,
    sessionId: hello.sessionId,
    linkIndex: hello.vpn.index,
    caps: hello.caps,
    sessionKey,
    client,
    credential,
  };
}

function refusal(code: number, reason: string): Error {
  if (code === CloseCode.AUTH_FAILED) {
    return new AuthError(`the server refused this link: ${reason}`);
  }
  return new RefusedError(code, `the server refused this link: ${reason}`);
}

/**
 * A fresh random session id.
 * @example
 * ```ts
 * const id = newSessionId();
 * ```
 */
export function newSessionId(): Uint8Array {
  return randomBytes(SESSION_ID_LENGTH);
}

/** Hex digits of the session label: 64 bits, so labels of live sessions do not collide. */
const SESSION_LABEL_HEX = 16;

/**
 * The DNS label that `send --session-sni` puts in front of the relay's name in every link's
 * TLS server name, so that a load balancer hashing the SNI sends all of a session's links to
 * one relay. The SNI crosses the network in clear, so it is a one-way hash of the session id
 * under a fixed prefix: it tells an observer which connections belong together (as their
 * timing already would) but not the session id, and it proves nothing: joining a session
 * still takes the session key, which never leaves either end.
 * @example
 * ```ts
 * const sni = `${await sessionLabel(sessionId)}.relay.example.net`;
 * ```
 */
export async function sessionLabel(sessionId: Uint8Array): Promise<string> {
  const prefix = new TextEncoder().encode("bondctl-sni");
  const input = new Uint8Array(prefix.length + sessionId.length);
  input.set(prefix);
  input.set(sessionId, prefix.length);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", input));
  return toHex(digest).slice(0, SESSION_LABEL_HEX);
}
