/**
 * The frame model: what travels inside one link's TLS tunnel, as plain data.
 *
 * Every frame on the wire is `VPN ID (OUI 3 + index 4) | version u8 | type u8 | flags u8 |
 * length u32 | body`; this file holds the decoded shapes, `codec.ts` the bytes.
 * @module
 */

/** RFC 2685 VPN identifier: a 24-bit OUI naming the VPN authority and a 32-bit index. */
export interface VpnId {
  /** 24-bit organisationally unique identifier (0 .. 0xFFFFFF). */
  oui: number;
  /** 32-bit VPN index: the link's tunnel number within its session (0 .. 0xFFFFFFFF). */
  index: number;
}

/** The kinds of network interface a link can run over (the patent's [0025]). */
export type LinkKind =
  | "ppp"
  | "wwan"
  | "usb-ethernet"
  | "ethernet"
  | "wifi"
  | "loopback"
  | "unknown";

/** How much a link should be used: backup links carry data only when the others cannot. */
export type LinkPriority = "primary" | "secondary" | "backup";

/**
 * What a link tells the server about itself when it opens (the patent's [0048]).
 * Crosses a trust boundary as JSON: validated with zod on decode.
 */
export interface LinkCaps {
  kind: LinkKind;
  /** What the user named: an interface (`ppp0`) or an address (`192.168.8.100`). */
  name: string;
  /** The local address the tunnel is bound to. */
  localAddress: string;
  /** Relative cost of a byte on this link (user-given, default 1). */
  cost: number;
  priority: LinkPriority;
  /** Data cap for the session in bytes, if any. */
  capBytes?: number;
  /** Nominal rate in bits per second, if the user gave one. */
  rateBps?: number;
  /** Network operator, where known (ModemManager). */
  provider?: string;
  /** Signal quality 0..100 %, where known. */
  signal?: number;
  /** Access technology (lte, 5gnr, ...), where known. */
  technology?: string;
}

/** Why a link or a session is being closed. Numbers are on the wire. */
export const CloseCode = {
  /** Orderly end: everything delivered. */
  NORMAL: 0,
  /** The token (or the session key, for a joining link) did not verify. */
  AUTH_FAILED: 1,
  /** The peer speaks another protocol version. */
  VERSION_MISMATCH: 2,
  /** A malformed or unexpected frame. */
  PROTOCOL_ERROR: 3,
  /** The server cannot take this session now. */
  BUSY: 4,
  /** A joining link named a session the server does not hold. */
  UNKNOWN_SESSION: 5,
  /** The process is shutting down (signal). */
  SHUTDOWN: 6,
  /** The session ended before its streams were complete. */
  INCOMPLETE: 7,
  /** The peer could not write its output (disk full, closed pipe...). */
  OUTPUT_FAILED: 8,
  /** A newer connection for the same link index replaced this one. */
  REPLACED: 9,
  /** The client's credential was withdrawn on the server (`receive --clients`, SIGHUP). */
  REVOKED: 10,
} as const;
export type CloseCode = typeof CloseCode[keyof typeof CloseCode];

/** Why a stream was reset (STREAM_CLOSE with the reset flag): its code. */
export const StreamCode = {
  /** Closed without a more precise reason. */
  CLOSED: 0,
  /** The destination refused the connection. */
  REFUSED: 1,
  /** The destination (or the source) broke its connection mid-stream. */
  BROKEN: 2,
  /** The relay's `--allow` rules do not permit this destination. */
  NOT_ALLOWED: 3,
  /** Too many streams open in this session. */
  LIMIT: 4,
  /** This side has nowhere to send such a stream (no stream output configured). */
  NO_HANDLER: 5,
  /** The stream's open header could not be read. */
  BAD_HEADER: 6,
  /** The destination's name did not resolve or its network is unreachable. */
  UNREACHABLE: 7,
  /** The destination did not answer in time. */
  TIMEOUT: 8,
} as const;

/**
 * Words for a stream code, for logs.
 * @example
 * ```ts
 * streamCodeText(StreamCode.REFUSED); // "the destination refused the connection"
 * ```
 */
export function streamCodeText(code: number): string {
  switch (code) {
    case StreamCode.CLOSED:
      return "closed";
    case StreamCode.REFUSED:
      return "the destination refused the connection";
    case StreamCode.BROKEN:
      return "the connection broke";
    case StreamCode.NOT_ALLOWED:
      return "the destination is not allowed on the relay";
    case StreamCode.LIMIT:
      return "too many streams in this session";
    case StreamCode.NO_HANDLER:
      return "the other side takes no streams";
    case StreamCode.BAD_HEADER:
      return "the stream's header could not be read";
    case StreamCode.UNREACHABLE:
      return "the destination is unreachable";
    case StreamCode.TIMEOUT:
      return "the destination did not answer in time";
    default:
      return `stream code ${code}`;
  }
}

/** The server's first frame on every new link: a fresh nonce for the client's proof. */
export interface ChallengeFrame {
  type: "CHALLENGE";
  vpn: VpnId;
  /** 32 random octets. */
  nonce: Uint8Array;
}

/**
 * The client's opening frame on a link. A new session proves the token; a joining link
 * (`join: true`) proves the session key of an existing session.
 */
export interface HelloFrame {
  type: "HELLO";
  vpn: VpnId;
  /** Flag: this link joins an existing session rather than creating one. */
  join: boolean;
  /** 16 octets, chosen by the client for a new session. */
  sessionId: Uint8Array;
  /** 32 random octets from the client. */
  nonce: Uint8Array;
  /** 32 octets: HMAC-SHA-256 proof (see core/session/auth.ts). */
  proof: Uint8Array;
  caps: LinkCaps;
}

/** The server's acceptance of a link. */
export interface HelloAckFrame {
  type: "HELLO_ACK";
  vpn: VpnId;
  sessionId: Uint8Array;
  /** The receiver's buffer period in milliseconds (the patent's three seconds by default). */
  bufferMs: number;
  /** 32 octets: the server's proof that it knows the same secret. */
  proof: Uint8Array;
}

/** One block of a stream. */
export interface DataFrame {
  type: "DATA";
  vpn: VpnId;
  streamId: number;
  /** Block sequence number within the stream (0 .. 2^53-1). */
  seq: number;
  /** Sender's clock when sent, in microseconds modulo 2^32 (echoed by ACK for RTT). */
  sendTs: number;
  /** Flag: last block of the stream; its payload may be empty. */
  fin: boolean;
  /** Flag: this block was sent before (informational, for counters). */
  retransmit: boolean;
  /**
   * Flag: a block of a datagram stream: one datagram, never merged or split; a live stream's
   * receiver may skip what does not arrive in time. Absent (not false) when unset.
   */
  datagram?: boolean;
  /** Flag: an FEC parity block of a live datagram stream (needs `datagram`; never with `fin`). */
  parity?: boolean;
  payload: Uint8Array;
}

/** Half-open range of sequence numbers [start, end). */
export type SeqRange = readonly [start: number, end: number];

/** Acknowledgement: cumulative plus selective ranges, with a timestamp echo for RTT. */
export interface AckFrame {
  type: "ACK";
  vpn: VpnId;
  streamId: number;
  /** Every seq below this has been received. */
  cumulative: number;
  /** Ranges received above `cumulative`, ascending, disjoint, at most MAX_ACK_RANGES. */
  ranges: SeqRange[];
  /** How many more payload bytes past `cumulative` the receiver will hold (flow control). */
  windowBytes: number;
  /** `sendTs` of the newest DATA received on the link this ACK travels on. */
  echoTs: number;
  /** Microseconds between receiving that DATA and sending this ACK. */
  ackDelayUs: number;
}

/** Re-request of missing blocks. */
export interface NackFrame {
  type: "NACK";
  vpn: VpnId;
  streamId: number;
  /** Missing ranges, ascending, disjoint, at most MAX_ACK_RANGES. */
  ranges: SeqRange[];
}

/** Keepalive and RTT probe on an idle link. */
export interface PingFrame {
  type: "PING";
  vpn: VpnId;
  /** Sender's clock in microseconds modulo 2^32. */
  ts: number;
}

/** Answer to PING. */
export interface PongFrame {
  type: "PONG";
  vpn: VpnId;
  echoTs: number;
}

/** Per-link measurements one side reports to the other (the patent's [0048]); JSON, zod-checked. */
export interface LinkReportFrame {
  type: "LINK_REPORT";
  vpn: VpnId;
  report: LinkReport;
}

/** What a LINK_REPORT carries. */
export interface LinkReport {
  /** Bytes this side received on the link so far. */
  rxBytes: number;
  /** Bytes this side sent on the link so far. */
  txBytes: number;
  /** Smoothed RTT in ms, where measured. */
  rttMs?: number;
  /** Delivery rate in bit/s, where measured. */
  rateBps?: number;
  signal?: number;
  provider?: string;
}

/** A new stream inside the session. */
export interface StreamOpenFrame {
  type: "STREAM_OPEN";
  vpn: VpnId;
  streamId: number;
  /** Free-form label (the intercepted destination, for instance), at most 1 KiB of UTF-8. */
  label: string;
}

/** A stream ends abnormally (reset) or is abandoned by its reader. */
export interface StreamCloseFrame {
  type: "STREAM_CLOSE";
  vpn: VpnId;
  streamId: number;
  /** Flag: abrupt reset rather than orderly close. */
  reset: boolean;
  code: number;
}

/** Closes the link, or the session when sent with NORMAL after completion. */
export interface CloseFrame {
  type: "CLOSE";
  vpn: VpnId;
  /**
   * Usually a {@linkcode CloseCode}; a newer peer may send a number (u16) this build does not
   * know, which is kept as is rather than rejected.
   */
  code: number;
  /** Human-readable reason, at most 1 KiB of UTF-8. */
  reason: string;
}

/** The receiver's buffer period changed (the patent's [0044]): the sender's deadline follows. */
export interface BufferFrame {
  type: "BUFFER";
  vpn: VpnId;
  /** The buffer period now in force, in milliseconds. */
  bufferMs: number;
}

/**
 * A live datagram stream's sender gives up on everything below `seq`: it will never send (or
 * send again) a block below it, so the receiver stops waiting for what it lacks there (as
 * PR-SCTP's FORWARD-TSN, RFC 3758).
 */
export interface SkipFrame {
  type: "SKIP";
  vpn: VpnId;
  streamId: number;
  seq: number;
}

/** Any frame. */
export type Frame =
  | ChallengeFrame
  | HelloFrame
  | HelloAckFrame
  | DataFrame
  | AckFrame
  | NackFrame
  | PingFrame
  | PongFrame
  | LinkReportFrame
  | StreamOpenFrame
  | StreamCloseFrame
  | CloseFrame
  | BufferFrame
  | SkipFrame;

/** The name of a frame type. */
export type FrameType = Frame["type"];
