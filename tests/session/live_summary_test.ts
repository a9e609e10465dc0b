// Tests of core/session/live_summary.ts: the sender's and the relay's final lines about a
// session's datagram streams, from the same totals.
import assert from "node:assert/strict";
import { liveSummary, relayLiveSummary } from "../../core/session/live_summary.ts";
import { emptyLiveTotals, type LiveTotals } from "../../core/session/endpoint.ts";

function totals(
  over: { sent?: Partial<LiveTotals["sent"]>; received?: Partial<LiveTotals["received"]> },
): LiveTotals {
  const t = emptyLiveTotals();
  return {
    streams: 1,
    sent: { ...t.sent, ...over.sent },
    received: { ...t.received, ...over.received },
  };
}

Deno.test("relayLiveSummary(): what came out in order, what was skipped and rebuilt", () => {
  assert.equal(
    relayLiveSummary(totals({ received: { delivered: 1883, skipped: 35 } })),
    "datagram streams: 1 opened; 1883 datagrams out in order, 35 skipped (late past the " +
      "deadline, or given up by the sender)",
  );
  assert.equal(
    relayLiveSummary(totals({
      received: { delivered: 1903, skipped: 15, rebuilt: 79, parity: 480 },
      sent: { datagrams: 10, expired: 1, abandoned: 2 },
    })),
    "datagram streams: 1 opened; 1903 datagrams out in order, 15 skipped (late past the " +
      "deadline, or given up by the sender), 79 rebuilt from parity; 10 sent back, 3 of them " +
      "dropped",
  );
});

Deno.test("liveSummary(): the sender's line names the mode and what came back", () => {
  assert.equal(
    liveSummary(
      totals({ sent: { datagrams: 1918, abandoned: 6, parityBlocks: 482, parityBytes: 635758 } }),
      { deadlineMs: 150, fec: { k: 8, m: 2 } },
    ),
    "datagram streams (live 150 ms, FEC 8+2): 1 opened; sent 1918 datagrams, 0 dropped late in " +
      "the queue, 0 dropped at a full queue, 6 lost and too late to send again, 482 parity " +
      "blocks (635758 bytes); replies: 0 delivered, 0 skipped",
  );
  assert.match(liveSummary(totals({}), {}), /^datagram streams \(reliable\)/);
});
