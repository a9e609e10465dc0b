/**
 * relaySources(): the relay's running sessions as the collector's sources (receive's live
 * view and --stats), from a server that lists them; none from one that does not.
 */
import assert from "node:assert/strict";
import { type RelaySession, relaySources } from "../../cli/status_sources.ts";
import { SessionMeter } from "../../core/status/collector.ts";
import { SessionSnapshotSchema } from "../../core/status/snapshot.ts";

const endpoint = {
  state: "open" as const,
  linkStats: () => [{
    index: 1,
    name: "127.0.0.2",
    state: "up" as const,
    dataBytes: 0,
    rxBytes: 1000,
    rateBps: 0,
    srttMs: 12,
    inFlightBytes: 0,
  }],
  outbound: { bytesIn: 0, bytesAcked: 0, bytesResent: 0, queuedBytes: 0 },
  inbound: { bytesOut: 900, heldBytes: 100 },
  inputRoom: () => 0,
  bufferMs: 700,
  peerBufferMs: 3000,
};

Deno.test("relaySources() follows the sessions a server lists, with their age", () => {
  let running: RelaySession[] = [{
    info: { id: "aa".repeat(16), client: "van-1", openedAt: new Date(Date.now() - 5000) },
    endpoint,
  }];
  const list = relaySources({ sessions: () => running }, () => 100_000);
  const [src] = list();
  assert.equal(src.id, "aa".repeat(16));
  assert.equal(src.client, "van-1");
  assert.ok(Math.abs(src.startedAt - 95_000) < 1000, `startedAt ${src.startedAt}`);
  assert.equal(src.resentBytes(1), null, "the relay's re-sends per link are not counted");
  const snap = new SessionMeter("receive", src).sample(100_000);
  SessionSnapshotSchema.parse(snap);
  assert.equal(snap.client, "van-1");
  assert.equal(snap.buffer.periodMs, 700);
  assert.equal(snap.buffer.heldBytes, 100);
  assert.equal(snap.links[0].resentBytes, null);
  running = [];
  assert.deepEqual(list(), []);
});

Deno.test("relaySources() of a server that lists nothing: no session, no error", () => {
  assert.deepEqual(relaySources({}, () => 0)(), []);
});
