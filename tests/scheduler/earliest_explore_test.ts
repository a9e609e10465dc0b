import assert from "node:assert/strict";
import { LinkEstimator } from "../../core/scheduler/link_estimator.ts";
import { earliestPolicy } from "../../core/scheduler/earliest.ts";
import type { LinkView, PolicyContext } from "../../core/scheduler/policy.ts";

const CTX: PolicyContext = { now: 1000, bufferMs: 3000, inputRateBps: 0, queuedBytes: 0 };

/** A link measured at `mbps` with `inFlight` bytes queued, or never measured (mbps 0). */
function link(index: number, mbps: number, inFlight = 0): LinkView {
  const est = new LinkEstimator(0);
  est.onRttSample(40, 0);
  if (mbps > 0) {
    // One delivery at the given rate gives the estimator a measured rate.
    const bytes = (mbps * 1e6 / 8) * 0.1;
    const stamp = est.onSend(bytes, 0);
    est.onDelivered(stamp, 100);
  }
  if (inFlight) est.onSend(inFlight, 100);
  return {
    index,
    caps: {
      kind: "wwan",
      name: `wwan${index}`,
      localAddress: `10.0.${index}.2`,
      cost: 1,
      priority: "primary",
    },
    state: "up",
    blocked: false,
    est,
    dataBytes: 0,
  };
}

Deno.test("earliest gives a link that just joined a block, so that it gets measured", () => {
  // Link 1 is measured at 20 Mbit/s and holds a little queue; link 2 has never carried data.
  const links = [link(1, 20, 64 * 1024), link(2, 0)];
  assert.equal(links[1].est.measured, false);
  const choice = earliestPolicy().choose(links, { retransmit: false, bytes: 1 << 20 }, CTX);
  assert.equal(choice?.index, 2, "the unmeasured link was never tried");
});

Deno.test("earliest still prefers a measured fast link over an idle unmeasured one when it is idle too", () => {
  const links = [link(1, 20), link(2, 0)];
  // 4 KiB: the block an unmeasured link takes, so that both would carry the same bytes.
  const choice = earliestPolicy().choose(links, { retransmit: false, bytes: 4 * 1024 }, CTX);
  assert.equal(choice?.index, 1);
});
