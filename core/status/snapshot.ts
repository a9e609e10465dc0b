/**
 * The status snapshot: what a running `send` or `receive` knows about its sessions at one
 * moment. One schema serves every consumer, so they cannot disagree: `--stats` writes one
 * snapshot per line, the live terminal view and the status page draw it, `GET /status.json`
 * serves it, and docs/STATS.md is generated from the descriptions below.
 *
 * Rates are over the last second (the collector's window); byte counts are since the session
 * began. Fields that cannot be known yet (an RTT before the first sample) are null, not 0.
 * @module
 */
import { z } from "zod";

/** Bumped when a field changes meaning or goes away (adding a field does not bump it). */
export const SNAPSHOT_VERSION = 1;

const bytes = (what: string) => z.number().int().nonnegative().describe(what);
const bps = (what: string) => z.number().nonnegative().describe(what);

/** One link of a session. */
export const LinkSnapshotSchema = z.strictObject({
  index: z.number().int().nonnegative().describe(
    "the link's number in the session (its VPN index)",
  ),
  name: z.string().describe("interface or address the link was given as"),
  state: z.enum(["up", "stalled", "down"]).describe(
    "up: carrying data; stalled: acknowledgements stopped, its data went out again elsewhere; " +
      "down: its connection is closed (it may rejoin)",
  ),
  priority: z.enum(["primary", "secondary", "backup"]).nullable().describe(
    "the link's priority (--link ...,priority=); null where this side was not told",
  ),
  cost: z.number().nonnegative().nullable().describe(
    "relative cost of a byte on this link (--link ...,cost=); null where this side was not told",
  ),
  sentBps: bps("payload this side sent on the link, bit/s over the last second"),
  receivedBps: bps("bytes that arrived on the link (frames included), bit/s over the last second"),
  share: z.number().min(0).max(1).describe(
    "the link's part of this side's traffic over the last second (send: payload sent; " +
      "receive: bytes received), 0 to 1",
  ),
  rateBps: bps(
    "delivery rate measured from acknowledgements (the nominal --link rate= until measured), " +
      "bit/s",
  ),
  rttMs: z.number().nonnegative().nullable().describe("smoothed round-trip time, ms"),
  inFlightBytes: bytes("payload sent on the link and not yet acknowledged"),
  sentBytes: bytes("payload this side sent on the link, re-sends included"),
  receivedBytes: bytes("bytes that arrived on the link, frames included"),
  resentBytes: z.number().int().nonnegative().nullable().describe(
    "payload lost from this link (NACKed, stalled, late, or gone with its connection) and " +
      "sent again; null where this side does not count it (receive)",
  ),
});

/** The encoder bitrate the bond can sustain (sender only). */
export const BitrateSnapshotSchema = z.strictObject({
  recommendedBps: bps(
    "what the encoder should send: capacityBps x (1 - resendShare) x headroom, never below " +
      "inputBps while the links keep up (see docs/ENCODER.md)",
  ),
  capacityBps: bps(
    "sum of the measured delivery rates of the links counted (see links)",
  ),
  resendShare: z.number().min(0).max(1).describe(
    "payload sent again over payload sent, over the last 10 seconds, 0 to 1",
  ),
  headroom: z.number().gt(0).max(1).describe("the share of the capacity recommended (0.8)"),
  inputBps: bps("what the input delivers now, bit/s over the last second"),
  deadlineMs: z.number().nonnegative().describe(
    "the receiver's buffer period: a block must arrive within it",
  ),
  limitedBy: z.enum(["links", "input", "none"]).describe(
    "links: input waits for the links, or more than 2 % is sent again (the recommendation " +
      "is a ceiling); input: the links keep up, so they may carry more than measured; none: " +
      "no link can be counted",
  ),
  links: z.array(z.number().int().nonnegative()).describe(
    "the links counted: up, under their data cap, backups only while no other link is up, " +
      "and with 1.5 x RTT within the deadline (a lost block can be re-sent in time)",
  ),
});

/** The receiving side's buffer. */
export const BufferSnapshotSchema = z.strictObject({
  periodMs: z.number().nonnegative().describe(
    "the receiver's buffer period in force (adaptive unless --buffer-fixed); on send, as the " +
      "receiver last announced it",
  ),
  heldBytes: z.number().int().nonnegative().nullable().describe(
    "bytes the receiver holds: out of order, or in order and waiting for the output; null on " +
      "send (the receiver does not report it)",
  ),
  heldMs: z.number().nonnegative().nullable().describe(
    "heldBytes at the rate the output is written, ms; null while that rate is 0 (or on send)",
  ),
});

/** Totals of a session. */
export const TotalsSnapshotSchema = z.strictObject({
  inputBytes: bytes("bytes read from --input into the bond"),
  deliveredBytes: bytes("of those, bytes the peer has acknowledged in order"),
  queuedBytes: bytes("input waiting to be cut into blocks (a backlog: the links fall behind)"),
  sentBps: bps("payload sent on all links, bit/s over the last second"),
  receivedBps: bps("bytes received on all links, bit/s over the last second"),
  outputBytes: bytes("bytes from the peer written to --output"),
  outputBps: bps("bytes written to --output, bit/s over the last second"),
  resentBytes: bytes("payload sent again after a NACK, a stall or a lost link"),
  costUnits: z.number().nonnegative().describe(
    "sum over links of payload MB (10^6 bytes) x cost; 0 where costs are unknown",
  ),
});

/** One session. */
export const SessionSnapshotSchema = z.strictObject({
  id: z.string().describe("the session id, hex"),
  client: z.string().nullable().describe("the client's name (receive --clients); null on send"),
  state: z.enum(["open", "complete", "failed"]).describe("the session's state"),
  ageMs: z.number().nonnegative().describe("time since the session began, ms"),
  links: z.array(LinkSnapshotSchema).describe("every link that joined, by index"),
  totals: TotalsSnapshotSchema.describe("the session's totals"),
  buffer: BufferSnapshotSchema.describe("the receiving side's buffer"),
  bitrate: BitrateSnapshotSchema.nullable().describe(
    "encoder bitrate feedback (send only; null on receive)",
  ),
});

/** One line of `--stats`. */
export const StatusSnapshotSchema = z.strictObject({
  version: z.literal(SNAPSHOT_VERSION).describe("schema version of this line"),
  time: z.iso.datetime().describe("wall-clock time of the snapshot, ISO 8601 UTC"),
  uptimeMs: z.number().nonnegative().describe("time since the command started, ms"),
  role: z.enum(["send", "receive"]).describe("which command wrote it"),
  sessions: z.array(SessionSnapshotSchema).describe(
    "sessions running (send: at most one; receive: every session open now)",
  ),
});

export type LinkSnapshot = z.infer<typeof LinkSnapshotSchema>;
export type BitrateSnapshot = z.infer<typeof BitrateSnapshotSchema>;
export type BufferSnapshot = z.infer<typeof BufferSnapshotSchema>;
export type TotalsSnapshot = z.infer<typeof TotalsSnapshotSchema>;
export type SessionSnapshot = z.infer<typeof SessionSnapshotSchema>;
export type StatusSnapshot = z.infer<typeof StatusSnapshotSchema>;
