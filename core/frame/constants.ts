/**
 * Wire constants, split into what the protocol fixes (changing one is a new version) and
 * what this implementation chooses (free to tune).
 * @module
 */

// ---- Fixed by the protocol ----

/** The protocol version this build speaks; carried in every frame header. */
export const PROTOCOL_VERSION = 1;

/** Octets in the VPN ID: 3 of OUI and 4 of VPN index (RFC 2685). */
export const VPN_ID_LENGTH = 7;

/** Octets in a frame header: VPN ID 7, version 1, type 1, flags 1, body length 4. */
export const HEADER_LENGTH = 14;

/** Frame type numbers on the wire. */
export const FRAME_TYPE_CODES = {
  CHALLENGE: 1,
  HELLO: 2,
  HELLO_ACK: 3,
  DATA: 4,
  ACK: 5,
  NACK: 6,
  PING: 7,
  PONG: 8,
  LINK_REPORT: 9,
  STREAM_OPEN: 10,
  STREAM_CLOSE: 11,
  CLOSE: 12,
  BUFFER: 13,
  SKIP: 14,
} as const;

/** Flag bits, per frame type. */
export const FLAG_JOIN = 0x01; // HELLO
export const FLAG_FIN = 0x01; // DATA
export const FLAG_RETRANSMIT = 0x02; // DATA
/** DATA: a block of a datagram stream (one datagram, delivered whole; gaps may be skipped). */
export const FLAG_DATAGRAM = 0x04; // DATA
/** DATA: an FEC parity block of a datagram stream (never delivered; only with FLAG_DATAGRAM). */
export const FLAG_PARITY = 0x08; // DATA
export const FLAG_RESET = 0x01; // STREAM_CLOSE

/** Sizes of the fixed fields. */
export const SESSION_ID_LENGTH = 16;
export const NONCE_LENGTH = 32;
export const PROOF_LENGTH = 32;

// ---- Chosen by this implementation ----

/**
 * Default OUI: 02-BD-C7. The 0x02 bit of the first octet marks it locally administered, so it
 * claims no IEEE-assigned OUI; an operator with its own OUI sets `--vpn-oui`.
 */
export const DEFAULT_VPN_OUI = 0x02bdc7;

/** Largest block payload a DATA frame may carry. */
export const MAX_BLOCK_PAYLOAD = 256 * 1024;

/** Largest frame body of any type (a DATA frame with the largest payload plus its fields). */
export const MAX_BODY_LENGTH = MAX_BLOCK_PAYLOAD + 64;

/** Largest JSON body (HELLO caps, LINK_REPORT) and largest UTF-8 reason or label. */
export const MAX_JSON_LENGTH = 4096;
export const MAX_TEXT_LENGTH = 1024;

/** Most selective ranges in one ACK or NACK. */
export const MAX_ACK_RANGES = 64;
