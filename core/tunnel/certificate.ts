/**
 * Self-signed server certificates and their pins, with WebCrypto only (no I/O, no clock: `now`
 * is given).
 *
 * Stages of {@link generateSelfSigned}, in order: generate an ECDSA P-256 key pair; encode the
 * TBSCertificate in DER (serial, names, validity, the SubjectPublicKeyInfo exactly as WebCrypto
 * exports it, extensions); sign it; turn WebCrypto's raw `r || s` into a DER `ECDSA-Sig-Value`;
 * wrap everything in a Certificate; armour it as PEM; pin it.
 *
 * A pin is `sha256:` and the lowercase hex SHA-256 of the certificate's DER: the value
 * `openssl x509 -noout -fingerprint -sha256` prints, without colons and lowercased.
 * @module
 */

import { isHostName, isIPv6, OptionError } from "../config/mod.ts";
import { parseIPv4, parseIPv6 } from "../config/ip_address.ts";

/**
 * What {@link generateSelfSigned} returns: PEM texts ready for a TLS listener and the pin
 * that clients check.
 *
 * @example
 * ```ts
 * import { generateSelfSigned, type SelfSigned } from "./certificate.ts";
 * const made: SelfSigned = await generateSelfSigned({
 *   commonName: "bondctl",
 *   altNames: ["localhost"],
 *   days: 1,
 *   now: new Date(),
 * });
 * ```
 */
export interface SelfSigned {
  /** The certificate, one `-----BEGIN CERTIFICATE-----` block. */
  certPem: string;
  /** The private key, PKCS#8 `-----BEGIN PRIVATE KEY-----`. */
  keyPem: string;
  /** `sha256:` + 64 lowercase hex digits of the certificate's DER. */
  pin: string;
}

/**
 * Options of {@link generateSelfSigned}.
 *
 * @example
 * ```ts
 * import type { SelfSignedOptions } from "./certificate.ts";
 * const options: SelfSignedOptions = {
 *   commonName: "bondctl relay",
 *   altNames: ["relay.example.net", "203.0.113.7", "2001:db8::7"],
 *   days: 825,
 *   now: new Date(),
 * };
 * ```
 */
export interface SelfSignedOptions {
  /** Subject and issuer CN (1..64 characters). */
  commonName: string;
  /** DNS names (`relay.example.net`, `*.example.net`) and IPv4/IPv6 addresses for the SAN. */
  altNames: string[];
  /** Validity in whole days from `now` (1..36500). */
  days: number;
  /** The current time; the certificate is valid from an hour before (clock skew) to now + days. */
  now: Date;
}

// ---------------------------------------------------------------------------------------------
// A small DER encoder: just the types an X.509 certificate needs.

/** Octets backed by a plain ArrayBuffer, as WebCrypto's BufferSource requires. */
type Bytes = Uint8Array<ArrayBuffer>;

const OID = {
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  commonName: "2.5.4.3",
  subjectAltName: "2.5.29.17",
  basicConstraints: "2.5.29.19",
  keyUsage: "2.5.29.15",
  extKeyUsage: "2.5.29.37",
  serverAuth: "1.3.6.1.5.5.7.3.1",
} as const;

function concat(parts: readonly Uint8Array[]): Bytes {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Tag, definite length (short form below 128, else long form), content. */
function tlv(tag: number, content: Bytes): Bytes {
  const n = content.length;
  let length: number[];
  if (n < 0x80) length = [n];
  else {
    const octets: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) octets.unshift(v & 0xff);
    length = [0x80 | octets.length, ...octets];
  }
  return concat([Uint8Array.of(tag, ...length), content]);
}

const sequence = (...items: Bytes[]) => tlv(0x30, concat(items));
const set = (...items: Bytes[]) => tlv(0x31, concat(items));
const octetString = (content: Bytes) => tlv(0x04, content);
/** A BIT STRING whose content is whole octets (no unused bits): keys and signatures. */
const bitString = (content: Bytes) => tlv(0x03, concat([Uint8Array.of(0), content]));
const utf8String = (s: string) => tlv(0x0c, new TextEncoder().encode(s));
const explicit = (n: number, content: Bytes) => tlv(0xa0 | n, content);
const BOOLEAN_TRUE = Uint8Array.of(0x01, 0x01, 0xff);

/** A non-negative INTEGER from big-endian magnitude octets: minimal, 0x00 before a high bit. */
function unsignedInteger(magnitude: Uint8Array): Bytes {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const body = magnitude.subarray(start);
  return tlv(0x02, concat(body.length === 0 || body[0] & 0x80 ? [Uint8Array.of(0), body] : [body]));
}

function objectIdentifier(dotted: string): Bytes {
  const arcs = dotted.split(".").map(Number);
  const out: number[] = [];
  for (const arc of [arcs[0] * 40 + arcs[1], ...arcs.slice(2)]) {
    const base128 = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) {
      base128.unshift(0x80 | (v & 0x7f));
    }
    out.push(...base128);
  }
  return tlv(0x06, Uint8Array.from(out));
}

/** RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050; whole seconds, UTC. */
function time(date: Date): Bytes {
  const two = (n: number) => String(n).padStart(2, "0");
  const rest = two(date.getUTCMonth() + 1) + two(date.getUTCDate()) + two(date.getUTCHours()) +
    two(date.getUTCMinutes()) + two(date.getUTCSeconds()) + "Z";
  const year = date.getUTCFullYear();
  const ascii = (s: string) => new TextEncoder().encode(s);
  if (year >= 1950 && year < 2050) return tlv(0x17, ascii(two(year % 100) + rest));
  return tlv(0x18, ascii(String(year).padStart(4, "0") + rest));
}

// ---------------------------------------------------------------------------------------------
// Certificate fields.

/** One GeneralName: iPAddress [7] for an address, dNSName [2] (IA5String) for a name. */
function generalName(name: string): Bytes {
  const v4 = parseIPv4(name);
  if (v4) return tlv(0x87, v4);
  if (isIPv6(name)) {
    if (name.includes("%")) {
      throw new OptionError(`altName "${name}": a zone (%...) cannot go in a certificate`);
    }
    return tlv(0x87, parseIPv6(name)!);
  }
  // A leading "*." wildcard is the one non-hostname form a dNSName may take.
  const host = name.startsWith("*.") ? name.slice(2) : name;
  if (!isHostName(host)) {
    throw new OptionError(`altName "${name}" is not a DNS name or an IP address`);
  }
  return tlv(0x82, new TextEncoder().encode(name));
}

function extension(oid: string, critical: boolean, value: Bytes): Bytes {
  return critical
    ? sequence(objectIdentifier(oid), BOOLEAN_TRUE, octetString(value))
    : sequence(objectIdentifier(oid), octetString(value));
}

function extensions(altNames: readonly string[]): Bytes {
  const unique = [...new Set(altNames)];
  const list = [
    // cA is DEFAULT FALSE, so DER leaves it out: an empty SEQUENCE says CA:FALSE.
    extension(OID.basicConstraints, true, sequence()),
    // digitalSignature is bit 0; DER drops trailing zero bits: 7 unused bits, then 0x80.
    extension(OID.keyUsage, true, tlv(0x03, Uint8Array.of(7, 0x80))),
    extension(OID.extKeyUsage, false, sequence(objectIdentifier(OID.serverAuth))),
  ];
  if (unique.length > 0) {
    list.unshift(extension(OID.subjectAltName, false, sequence(...unique.map(generalName))));
  }
  return explicit(3, sequence(...list));
}

/**
 * Converts an ECDSA signature from WebCrypto's raw `r || s` (IEEE P1363, 64 octets for P-256) to
 * the DER `ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }` that X.509 and TLS carry:
 * leading zero octets are stripped and a 0x00 is put before a set high bit.
 *
 * @example
 * ```ts
 * import { ecdsaSignatureToDer } from "./certificate.ts";
 * const raw = new Uint8Array(64);
 * raw[31] = 0x01; // r = 1
 * raw[32] = 0x80; // s = 0x80 followed by 31 zero octets
 * ecdsaSignatureToDer(raw); // 30 26 | 02 01 01 | 02 21 00 80 00 ... 00
 * ```
 */
export function ecdsaSignatureToDer(raw: Uint8Array): Uint8Array<ArrayBuffer> {
  if (raw.length === 0 || raw.length % 2 !== 0) {
    throw new RangeError(`an r || s signature has an even, non-zero length, not ${raw.length}`);
  }
  const half = raw.length / 2;
  return sequence(unsignedInteger(raw.subarray(0, half)), unsignedInteger(raw.subarray(half)));
}

function checkOptions(opts: SelfSignedOptions): void {
  const cn = opts.commonName;
  if (cn.length === 0 || cn.length > 64) {
    throw new OptionError(`commonName "${cn}" must be 1..64 characters`);
  }
  if (!Number.isInteger(opts.days) || opts.days < 1 || opts.days > 36500) {
    throw new OptionError(`days ${opts.days} is not a whole number of days 1..36500`);
  }
  if (Number.isNaN(opts.now.getTime())) throw new OptionError("now is not a valid date");
}

/**
 * Generates an ECDSA P-256 key pair and a self-signed X.509 v3 server certificate for it:
 * serial = 16 random octets (positive), signature ecdsa-with-SHA256, subject = issuer = CN,
 * valid from `now` − 1 h to `now` + `days`, subjectAltName from `altNames` (DNS names and
 * IPv4/IPv6 addresses), basicConstraints CA:FALSE and keyUsage digitalSignature (both critical),
 * extendedKeyUsage serverAuth. Bad options throw an {@link OptionError}.
 *
 * @example
 * ```ts
 * import { generateSelfSigned } from "./certificate.ts";
 * const { certPem, keyPem, pin } = await generateSelfSigned({
 *   commonName: "bondctl",
 *   altNames: ["relay.example.net", "203.0.113.7", "2001:db8::7"],
 *   days: 365,
 *   now: new Date(),
 * });
 * // Serve certPem and keyPem from the TLS listener; clients check `pin`.
 * ```
 */
export async function generateSelfSigned(opts: SelfSignedOptions): Promise<SelfSigned> {
  checkOptions(opts);
  const ext = extensions(opts.altNames); // before key generation: bad names fail fast
  const keys = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
    "sign",
    "verify",
  ]);
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", keys.publicKey));
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", keys.privateKey));

  const serial = crypto.getRandomValues(new Uint8Array(16));
  // Exactly 16 octets in DER: a first octet in 1..0x7f is positive and needs no 0x00 pad.
  serial[0] = (serial[0] & 0x7f) || 0x01;
  // DER times hold whole seconds.
  const start = Math.floor(opts.now.getTime() / 1000) * 1000;
  const notBefore = new Date(start - 3600_000);
  const notAfter = new Date(start + opts.days * 86400_000);
  const name = sequence(
    set(sequence(objectIdentifier(OID.commonName), utf8String(opts.commonName))),
  );
  const algorithm = sequence(objectIdentifier(OID.ecdsaWithSha256));

  const tbs = sequence(
    explicit(0, tlv(0x02, Uint8Array.of(2))), // version v3
    unsignedInteger(serial),
    algorithm,
    name, // issuer
    sequence(time(notBefore), time(notAfter)),
    name, // subject
    spki,
    ext,
  );
  const raw = new Uint8Array(
    await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, keys.privateKey, tbs),
  );
  const der = sequence(tbs, algorithm, bitString(ecdsaSignatureToDer(raw)));
  return {
    certPem: derToPem(der, "CERTIFICATE"),
    keyPem: derToPem(pkcs8, "PRIVATE KEY"),
    pin: await pinFromDer(der),
  };
}

// ---------------------------------------------------------------------------------------------
// PEM and pins.

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  // Chunks keep String.fromCharCode's argument list small.
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/**
 * Armours DER as PEM: `-----BEGIN label-----`, base64 in 64-character lines, `-----END label-----`
 * and a final newline.
 *
 * @example
 * ```ts
 * import { derToPem } from "./certificate.ts";
 * derToPem(Uint8Array.of(0x30, 0x00), "CERTIFICATE");
 * // "-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n"
 * ```
 */
export function derToPem(der: Uint8Array, label: string): string {
  const lines = toBase64(der).match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

/**
 * Decodes the FIRST `label` block of a PEM text (others, and any text around it, are ignored).
 * Throws an {@link OptionError} if there is no such block or its base64 is malformed.
 *
 * @example
 * ```ts
 * import { pemToDer } from "./certificate.ts";
 * pemToDer("-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n", "CERTIFICATE");
 * // Uint8Array [0x30, 0x00]
 * ```
 */
export function pemToDer(pem: string, label: string): Uint8Array<ArrayBuffer> {
  const begin = `-----BEGIN ${label}-----`;
  const end = `-----END ${label}-----`;
  const from = pem.indexOf(begin);
  const to = from < 0 ? -1 : pem.indexOf(end, from + begin.length);
  if (from < 0 || to < 0) throw new OptionError(`no complete "${begin}" block found`);
  const body = pem.slice(from + begin.length, to).replace(/\s+/g, "");
  if (body === "" || body.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(body)) {
    throw new OptionError(`the ${label} block is not valid base64`);
  }
  return Uint8Array.from(atob(body), (c) => c.charCodeAt(0));
}

/**
 * The pin of a certificate given as DER: `sha256:` + lowercase hex SHA-256.
 *
 * @example
 * ```ts
 * import { pemToDer, pinFromDer } from "./certificate.ts";
 * declare const certPem: string;
 * const pin = await pinFromDer(pemToDer(certPem, "CERTIFICATE")); // "sha256:3a7b..."
 * ```
 */
export async function pinFromDer(der: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new Uint8Array(der)));
  return "sha256:" + Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The pin of the first certificate in a PEM text (a chain's leaf comes first).
 * Equals `openssl x509 -noout -fingerprint -sha256` without colons, lowercased, after `sha256:`.
 *
 * @example
 * ```ts
 * import { certificatePin } from "./certificate.ts";
 * declare const certPem: string;
 * const pin = await certificatePin(certPem); // "sha256:3a7b..."
 * ```
 */
export function certificatePin(certPem: string): Promise<string> {
  return pinFromDer(pemToDer(certPem, "CERTIFICATE"));
}

/**
 * Parses a pin the user typed: `sha256:` (any case) and 64 hex digits, colons allowed anywhere
 * and ignored (so openssl's `AB:CD:...` form pastes in). Returns `sha256:` + lowercase hex, or
 * throws an {@link OptionError}.
 *
 * @example
 * ```ts
 * import { parsePin } from "./certificate.ts";
 * parsePin("SHA256:" + "AB:".repeat(31) + "AB"); // "sha256:abab...ab"
 * ```
 */
export function parsePin(s: string): string {
  const text = s.trim();
  const hint = "use sha256: followed by 64 hex digits (colons allowed)";
  const match = /^sha256:([0-9a-f:]*)$/i.exec(text);
  if (match === null) {
    if (/^[0-9a-f:]+$/i.test(text)) throw new OptionError(`"${s}" lacks the "sha256:" prefix`);
    throw new OptionError(`"${s}" is not a certificate pin: ${hint}`);
  }
  const hex = match[1].replaceAll(":", "");
  if (hex.length !== 64) {
    throw new OptionError(`"${s}" has ${hex.length} hex digits after "sha256:", expected 64`);
  }
  return "sha256:" + hex.toLowerCase();
}
