// Tests for core/metrics/relay_tally.ts and relay_metrics.ts: 1. refusals classified from
// the errors the handshake throws, as a table; 2. a tally through sessions that start and end
// renders every metric, parses, and keeps byte counters monotonic when a session ends;
// 3. the relay's stream counters as metrics; 4. docs/OPERATIONS.md lists every metric the relay
// exposes.
import assert from "node:assert/strict";
import {
  outcomeLabel,
  REFUSAL_REASONS,
  refusalReason,
  RELAY_METRICS,
  RelayTally,
  renderRelayMetrics,
  type SessionFigures,
  STREAM_REFUSAL_LABELS,
} from "../../core/metrics/mod.ts";
import { AuthError } from "../../core/tunnel/errors.ts";
import { FrameError, VersionError } from "../../core/frame/errors.ts";
import { CloseCode, StreamCode } from "../../core/frame/types.ts";
import { StreamCounters } from "../../core/streams/stream_counters.ts";
import { RefusedError } from "../../core/session/handshake.ts";
import { parsePrometheus, valueOf } from "./_prom_parser.ts";

Deno.test("refusalReason() names why a handshake failed", () => {
  const table: [unknown, string][] = [
    [new AuthError("the token does not match"), "auth"],
    [new VersionError(9, 1), "version"],
    [new FrameError("short", "short frame"), "protocol"],
    [new RefusedError(CloseCode.BUSY, "busy"), "busy"],
    [new RefusedError(CloseCode.UNKNOWN_SESSION, "gone"), "unknown_session"],
    [new RefusedError(CloseCode.PROTOCOL_ERROR, "bad id"), "protocol"],
    [new RefusedError(CloseCode.OUTPUT_FAILED, "disk"), "output"],
    [new Error("no HELLO from the client within 10000 ms"), "timeout"],
    [new Error("connection closed while waiting for HELLO from the client"), "closed"],
    [new Error("client opened with ACK, not HELLO"), "protocol"],
    [new Error("something else"), "other"],
    ["a string", "other"],
  ];
  for (const [e, want] of table) {
    const got = refusalReason(e);
    assert.equal(got, want, String(e));
    assert.ok((REFUSAL_REASONS as readonly string[]).includes(got));
  }
});

Deno.test("outcomeLabel() names a session's end", () => {
  assert.equal(outcomeLabel({ kind: "complete" }), "complete");
  assert.equal(outcomeLabel({ kind: "failed", code: CloseCode.REVOKED }), "revoked");
  assert.equal(outcomeLabel({ kind: "failed", code: CloseCode.INCOMPLETE }), "incomplete");
  assert.equal(outcomeLabel({ kind: "failed", code: 200 }), "other");
});

function figures(session: string, over: Partial<SessionFigures> = {}): SessionFigures {
  return {
    session,
    client: "van-1",
    links: 2,
    receivedBytes: 1000,
    outputBytes: 900,
    sentBytes: 10,
    resentBytes: 5,
    duplicateBytes: 3,
    bufferBytes: 100,
    bufferMs: 750,
    ...over,
  };
}

Deno.test("renderRelayMetrics(): every metric parses, counts add up, bytes only grow", () => {
  const tally = new RelayTally();
  tally.refused("auth");
  tally.refused("auth");
  tally.refused("limits");
  tally.sessionStarted();
  tally.sessionStarted();
  tally.linkAccepted();
  tally.linkAccepted();
  tally.linkAccepted();
  const a = figures("aaaaaaaaaaaa");
  const b = figures("bbbbbbbbbbbb", { client: 'odd "name"\\', links: 1, bufferMs: 3000 });

  const before = parsePrometheus(renderRelayMetrics(
    { listening: true, totals: tally.totals(), sessions: [a, b] },
    "1.2.3",
  ));
  // Every declared metric is there with its HELP and TYPE.
  for (const [name, help] of Object.values(RELAY_METRICS)) {
    const f = before.get(name);
    assert.ok(f, `${name} missing`);
    assert.equal(f.help, help);
    assert.ok(f.type === "counter" || f.type === "gauge");
    if (f.type === "counter") assert.match(name, /_total$/);
  }
  assert.equal(valueOf(before, "bondctl_build_info", { version: "1.2.3" }), 1);
  assert.equal(valueOf(before, "bondctl_relay_listening"), 1);
  assert.equal(valueOf(before, "bondctl_relay_sessions_active"), 2);
  assert.equal(valueOf(before, "bondctl_relay_sessions_total"), 2);
  assert.equal(valueOf(before, "bondctl_relay_refusals_total", { reason: "auth" }), 2);
  assert.equal(valueOf(before, "bondctl_relay_refusals_total", { reason: "limits" }), 1);
  assert.equal(valueOf(before, "bondctl_relay_refusals_total", { reason: "tls" }), 0);
  assert.equal(valueOf(before, "bondctl_relay_links_active"), 3);
  assert.equal(valueOf(before, "bondctl_relay_sessions_by_links", { links: "1" }), 1);
  assert.equal(valueOf(before, "bondctl_relay_sessions_by_links", { links: "2" }), 1);
  assert.equal(valueOf(before, "bondctl_relay_received_bytes_total"), 2000);
  assert.equal(valueOf(before, "bondctl_relay_buffer_bytes"), 200);
  assert.equal(
    valueOf(before, "bondctl_relay_session_buffer_period_seconds", { client: 'odd "name"\\' }),
    3,
  );

  // Session a ends having received a little more: the totals carry it, nothing goes down.
  tally.sessionEnded({ kind: "complete" }, figures("aaaaaaaaaaaa", { receivedBytes: 1500 }));
  const after = parsePrometheus(renderRelayMetrics(
    { listening: false, totals: tally.totals(), sessions: [b] },
    "1.2.3",
  ));
  assert.equal(valueOf(after, "bondctl_relay_listening"), 0);
  assert.equal(valueOf(after, "bondctl_relay_sessions_active"), 1);
  assert.equal(valueOf(after, "bondctl_relay_sessions_ended_total", { outcome: "complete" }), 1);
  assert.equal(valueOf(after, "bondctl_relay_sessions_ended_total", { outcome: "revoked" }), 0);
  assert.equal(valueOf(after, "bondctl_relay_received_bytes_total"), 2500);
  for (const [name] of Object.values(RELAY_METRICS)) {
    if (before.get(name)?.type !== "counter") continue;
    for (const s of after.get(name)!.samples) {
      const old = valueOf(before, name, s.labels) ?? 0;
      assert.ok(s.value >= old, `${name} ${JSON.stringify(s.labels)} went down`);
    }
  }
  assert.equal(
    valueOf(after, "bondctl_relay_session_links", { session: "aaaaaaaaaaaa" }),
    undefined,
  );
});

Deno.test("renderRelayMetrics(): the relay's streams, opened, ended and refused by reason", () => {
  const snapshot = { listening: true, totals: new RelayTally().totals(), sessions: [] };
  // Without stream counters every stream series is there, at 0.
  const none = parsePrometheus(renderRelayMetrics(snapshot, "1.2.3"));
  assert.equal(valueOf(none, "bondctl_relay_streams_opened_total"), 0);
  assert.equal(valueOf(none, "bondctl_relay_streams_ended_total", { how: "reset" }), 0);
  for (const reason of [...Object.values(STREAM_REFUSAL_LABELS), "other"]) {
    assert.equal(valueOf(none, "bondctl_relay_streams_refused_total", { reason }), 0, reason);
  }

  const c = new StreamCounters();
  for (let i = 0; i < 3; i++) c.opened();
  c.ended({ how: "closed" });
  c.ended({ how: "closed" });
  c.ended({ how: "reset", reason: "the connection broke" });
  c.refused(StreamCode.NOT_ALLOWED);
  c.refused(StreamCode.NOT_ALLOWED);
  c.refused(StreamCode.LIMIT);
  c.refused(42); // a code this version does not know
  const got = parsePrometheus(renderRelayMetrics(snapshot, "1.2.3", c));
  assert.equal(valueOf(got, "bondctl_relay_streams_opened_total"), 3);
  assert.equal(valueOf(got, "bondctl_relay_streams_ended_total", { how: "closed" }), 2);
  assert.equal(valueOf(got, "bondctl_relay_streams_ended_total", { how: "reset" }), 1);
  const refused = (reason: string) =>
    valueOf(got, "bondctl_relay_streams_refused_total", { reason });
  assert.equal(refused("not_allowed"), 2);
  assert.equal(refused("limit"), 1);
  assert.equal(refused("other"), 1);
  assert.equal(refused("unreachable"), 0);
  // The final report's words and the metrics' labels count the same refusals.
  assert.equal(
    c.summary(),
    "7 streams: 2 closed, 1 reset, 2 refused (the destination is not " +
      "allowed on the relay), 1 refused (too many streams in this session), 1 refused (stream " +
      "code 42)",
  );
});

Deno.test("docs/OPERATIONS.md lists every relay metric", async () => {
  const doc = await Deno.readTextFile(new URL("../../docs/OPERATIONS.md", import.meta.url));
  for (const [name] of Object.values(RELAY_METRICS)) {
    assert.ok(doc.includes("`" + name + "`"), `docs/OPERATIONS.md does not list ${name}`);
  }
});
