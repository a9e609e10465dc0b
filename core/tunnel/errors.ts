/**
 * Typed errors of the tunnel layer; each message says what to do.
 * @module
 */

/**
 * The server could not be verified (wrong CA, wrong pin, name mismatch).
 * @example
 * ```ts
 * throw new TrustError("server presented an unexpected certificate");
 * ```
 */
export class TrustError extends Error {
  override name = "TrustError";
}

/**
 * A link could not be set up or broke (unreachable, refused, address gone).
 * @example
 * ```ts
 * throw new LinkDownError("connection refused by 127.0.0.1:7443");
 * ```
 */
export class LinkDownError extends Error {
  override name = "LinkDownError";
}

/**
 * The peer refused our credentials, or we refused theirs.
 * @example
 * ```ts
 * throw new AuthError("the server refused the token");
 * ```
 */
export class AuthError extends Error {
  override name = "AuthError";
}

/**
 * A certificate or key that cannot be served (unreadable, or not a pair).
 * @example
 * ```ts
 * throw new CertificateError("the key does not belong to the certificate");
 * ```
 */
export class CertificateError extends Error {
  override name = "CertificateError";
}
