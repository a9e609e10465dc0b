/**
 * Proofs of the shared secret, so that a link authenticates without sending the token.
 *
 * Stages of a link's opening, in order:
 * 1. the server sends CHALLENGE with a fresh 32-octet nonce;
 * 2. the client answers HELLO with its own nonce and `proof = HMAC(secret, transcript)`, where
 *    the secret is the token for a new session and the session key for a joining link;
 * 3. the server checks the proof in constant time and answers HELLO_ACK with its own proof,
 *    so that the client knows the server holds the same secret.
 * The session key is derived on both sides from the first link's transcript and never sent:
 * knowing a session id is not enough to join it.
 * @module
 */

const encoder = new TextEncoder();

/** What both sides hash: every field that the proof must bind. */
export interface Transcript {
  serverNonce: Uint8Array;
  clientNonce: Uint8Array;
  sessionId: Uint8Array;
  linkIndex: number;
}

async function hmac(secret: Uint8Array, label: string, parts: Uint8Array[]): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey(
    "raw",
    secret as Uint8Array<ArrayBuffer>,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const labelBytes = encoder.encode(label);
  let length = labelBytes.length;
  for (const p of parts) length += p.length;
  const message = new Uint8Array(length);
  message.set(labelBytes, 0);
  let at = labelBytes.length;
  for (const p of parts) {
    message.set(p, at);
    at += p.length;
  }
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, message));
}

function indexBytes(index: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, index >>> 0);
  return b;
}

function transcriptParts(t: Transcript): Uint8Array[] {
  return [t.serverNonce, t.clientNonce, t.sessionId, indexBytes(t.linkIndex)];
}

/**
 * The client's proof in HELLO. `join` selects the label so that a proof for a new session can
 * never be replayed as a join proof or the other way round.
 * @example
 * ```ts
 * const proof = await clientProof(new TextEncoder().encode("token"), false, transcript);
 * ```
 */
export function clientProof(secret: Uint8Array, join: boolean, t: Transcript): Promise<Uint8Array> {
  return hmac(secret, join ? "bondctl/1 hello join" : "bondctl/1 hello new", transcriptParts(t));
}

/**
 * The server's proof in HELLO_ACK.
 * @example
 * ```ts
 * const proof = await serverProof(secret, transcript);
 * ```
 */
export function serverProof(secret: Uint8Array, t: Transcript): Promise<Uint8Array> {
  return hmac(secret, "bondctl/1 hello ack", transcriptParts(t));
}

/**
 * The session key, derived from the token and the first link's transcript.
 * @example
 * ```ts
 * const key = await deriveSessionKey(token, transcript);
 * ```
 */
export function deriveSessionKey(token: Uint8Array, t: Transcript): Promise<Uint8Array> {
  return hmac(token, "bondctl/1 session key", transcriptParts(t));
}

/**
 * Compares two byte strings in time that depends only on their lengths.
 * @example
 * ```ts
 * constantTimeEqual(new Uint8Array([1]), new Uint8Array([1])); // true
 * ```
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/**
 * Fresh random octets from the platform's CSPRNG.
 * @example
 * ```ts
 * const nonce = randomBytes(32);
 * ```
 */
export function randomBytes(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n));
}

/**
 * Hex form of an id, for logs and file names (session ids are not secret).
 * @example
 * ```ts
 * toHex(new Uint8Array([1, 255])); // "01ff"
 * ```
 */
export function toHex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}
