/**
 * recommendBitrate(): which links count, and the arithmetic of the formula, as a table.
 */
import assert from "node:assert/strict";
import { type BitrateLink, HEADROOM, recommendBitrate } from "../../core/status/bitrate.ts";

const link = (index: number, o: Partial<BitrateLink> = {}): BitrateLink => ({
  index,
  state: "up",
  rateBps: 10e6,
  rttMs: 50,
  priority: "primary",
  sentBytes: 0,
  ...o,
});

const base = { deadlineMs: 3000, resendShare: 0, inputBps: 1e6, backlogged: true };

Deno.test("recommendBitrate() counts the links the scheduler would use (table)", () => {
  const cases: [string, BitrateLink[], number, number[]][] = [
    // 1. every up link, rates summed
    ["three up links", [link(1), link(2, { rateBps: 5e6 }), link(3, { rateBps: 2e6 })], 17e6, [
      1,
      2,
      3,
    ]],
    // 2. a stalled or down link carries nothing now
    [
      "stalled and down",
      [link(1), link(2, { state: "stalled" }), link(3, { state: "down" })],
      10e6,
      [
        1,
      ],
    ],
    // 3. a backup counts only while no other link does
    ["backup beside a primary", [link(1), link(2, { priority: "backup" })], 10e6, [1]],
    ["backup alone", [link(1, { state: "down" }), link(2, { priority: "backup" })], 10e6, [2]],
    // 4. a link over its data cap is done
    ["cap reached", [link(1), link(2, { capBytes: 1000, sentBytes: 1000 })], 10e6, [1]],
    ["under its cap", [link(1), link(2, { capBytes: 1000, sentBytes: 999 })], 20e6, [1, 2]],
    // 5. 1.5 x RTT must fit in the deadline (3000 ms: RTT up to 2000 ms)
    ["RTT 2000 ms fits", [link(1, { rttMs: 2000 })], 10e6, [1]],
    ["RTT 2001 ms does not", [link(1), link(2, { rttMs: 2001 })], 10e6, [1]],
    // 6. an unmeasured RTT does not exclude a link
    ["no RTT yet", [link(1, { rttMs: null })], 10e6, [1]],
  ];
  for (const [name, links, capacity, counted] of cases) {
    const b = recommendBitrate({ ...base, links });
    assert.equal(b.capacityBps, capacity, name);
    assert.deepEqual(b.links, counted, name);
    assert.equal(b.recommendedBps, Math.round(capacity * HEADROOM), name);
    assert.equal(b.limitedBy, "links", name);
  }
});

Deno.test("recommendBitrate() takes off the re-send share, then keeps 20 % headroom", () => {
  const b = recommendBitrate({ ...base, links: [link(1), link(2)], resendShare: 0.25 });
  assert.equal(b.recommendedBps, Math.round(20e6 * 0.75 * 0.8));
  assert.equal(b.resendShare, 0.25);
  assert.equal(b.headroom, 0.8);
});

Deno.test("recommendBitrate() never falls below an input the links keep up with", () => {
  // App-limited: the links measured 5 Mbit/s while 6 Mbit/s flowed without a backlog.
  const calm = recommendBitrate({
    ...base,
    links: [link(1, { rateBps: 5e6 })],
    inputBps: 6e6,
    backlogged: false,
  });
  assert.equal(calm.recommendedBps, 6e6);
  assert.equal(calm.limitedBy, "input");
  // With a backlog the measured rates are the truth: 0.8 x 5.
  const behind = recommendBitrate({ ...base, links: [link(1, { rateBps: 5e6 })], inputBps: 6e6 });
  assert.equal(behind.recommendedBps, 4e6);
  assert.equal(behind.limitedBy, "links");
  // Re-sends above 2 % mean the links struggle: no floor either.
  const lossy = recommendBitrate({
    ...base,
    links: [link(1, { rateBps: 5e6 })],
    inputBps: 6e6,
    backlogged: false,
    resendShare: 0.05,
  });
  assert.equal(lossy.recommendedBps, Math.round(5e6 * 0.95 * 0.8));
  assert.equal(lossy.limitedBy, "links");
});

Deno.test("recommendBitrate() with no usable link recommends 0", () => {
  const b = recommendBitrate({
    ...base,
    links: [link(1, { state: "down" })],
    inputBps: 5e6,
    backlogged: false,
  });
  assert.equal(b.recommendedBps, 0);
  assert.equal(b.limitedBy, "none");
  assert.deepEqual(b.links, []);
});
