// Tests of the proportional policy (core/scheduler/proportional.ts) as numbered tables: which
// link it picks (fill ratio, state, blocked, room for a re-send, the link to avoid, backup
// links) and how large a block it allows. Links are real LinkEstimators with nominal rates and
// one 40 ms RTT sample, so their budgets are known exactly (the path is the RTT less one
// block's 10 ms, which the two blocks count):
//   20 Mbit/s: 2500 B/ms x (1.25 x 30 + 5) ms + 2 x 25,000 = 156,250 bytes, blocks of 25,000;
//    5 Mbit/s:  625 B/ms x (1.25 x 30 + 5) ms + 2 x  6,250 =  39,063 bytes, blocks of  6,250.
// A known bug is an ignored test at the end.

import assert from "node:assert/strict";
import { LinkEstimator } from "../../core/scheduler/link_estimator.ts";
import type {
  BlockRequest,
  LinkState,
  LinkView,
  PolicyContext,
} from "../../core/scheduler/policy.ts";
import { proportionalPolicy } from "../../core/scheduler/proportional.ts";
import type { LinkPriority } from "../../core/frame/types.ts";

const FAST_BUDGET = 156_250;
const SLOW_BUDGET = 39_063;

interface LinkSpec {
  index: number;
  mbps: number;
  inFlight?: number;
  state?: LinkState;
  blocked?: boolean;
  priority?: LinkPriority;
}

function view(s: LinkSpec): LinkView {
  const est = new LinkEstimator(0, { nominalRateBps: s.mbps * 1e6 });
  est.onRttSample(40, 0);
  if (s.inFlight) est.onSend(s.inFlight, 0);
  return {
    index: s.index,
    caps: {
      kind: "wwan",
      name: `wwan${s.index}`,
      localAddress: `10.64.${s.index}.2`,
      cost: 1,
      priority: s.priority ?? "primary",
    },
    state: s.state ?? "up",
    blocked: s.blocked ?? false,
    est,
    dataBytes: 0,
  };
}

const CTX: PolicyContext = { now: 0, bufferMs: 3000, inputRateBps: 0, queuedBytes: 0 };

const fast = (index: number, more: Partial<LinkSpec> = {}): LinkSpec => ({
  index,
  mbps: 20,
  ...more,
});
const slow = (index: number, more: Partial<LinkSpec> = {}): LinkSpec => ({
  index,
  mbps: 5,
  ...more,
});
const NEW: BlockRequest = { retransmit: false, bytes: 1 << 20 };
const resend = (bytes: number, avoid?: number): BlockRequest => ({
  retransmit: true,
  bytes,
  avoid,
});

interface Case {
  n: number;
  name: string;
  links: LinkSpec[];
  req: BlockRequest;
  /** The link chosen, or null. */
  want: number | null;
  maxBytes?: number;
}

function run(cases: Case[], title: string): void {
  for (const c of cases) {
    Deno.test(`proportionalPolicy ${title} #${c.n}: ${c.name}`, () => {
      const budgets = c.links.map((l) => view(l).est.budgetBytes());
      for (const [i, l] of c.links.entries()) {
        assert.equal(budgets[i], l.mbps === 20 ? FAST_BUDGET : SLOW_BUDGET, "test setup");
      }
      const choice = proportionalPolicy().choose(c.links.map(view), c.req, CTX);
      assert.equal(choice?.index ?? null, c.want);
      if (c.maxBytes !== undefined) assert.equal(choice?.maxBytes, c.maxBytes);
    });
  }
}

run([
  { n: 1, name: "all empty: the first", links: [fast(1), slow(2)], req: NEW, want: 1 },
  {
    n: 2,
    name: "the slow link is emptier by ratio",
    links: [fast(1, { inFlight: FAST_BUDGET / 2 }), slow(2, { inFlight: 16_406 })],
    req: NEW,
    want: 2,
  },
  {
    n: 3,
    name: "the ratio counts, not the bytes: 20 % of the fast link beats 40 % of the slow",
    links: [fast(1, { inFlight: 52_500 }), slow(2, { inFlight: 26_250 })],
    req: NEW,
    want: 1,
  },
  {
    n: 4,
    name: "the emptiest of three",
    links: [
      fast(1, { inFlight: 0.6 * FAST_BUDGET }),
      slow(2, { inFlight: 0.5 * SLOW_BUDGET }),
      fast(3, { inFlight: 0.3 * FAST_BUDGET }),
    ],
    req: NEW,
    want: 3,
  },
  {
    n: 5,
    name: "a full link is skipped; a nearly full one still takes a block",
    links: [fast(1, { inFlight: FAST_BUDGET }), slow(2, { inFlight: SLOW_BUDGET - 656 })],
    req: NEW,
    want: 2,
  },
  {
    n: 6,
    name: "every link full: none",
    links: [fast(1, { inFlight: FAST_BUDGET }), slow(2, { inFlight: SLOW_BUDGET + 1 })],
    req: NEW,
    want: null,
  },
  { n: 7, name: "no links at all", links: [], req: NEW, want: null },
], "picks the emptiest link");

run([
  {
    n: 1,
    name: "an empty fast link: one block",
    links: [fast(1)],
    req: NEW,
    want: 1,
    maxBytes: 25_000,
  },
  {
    n: 2,
    name: "an empty slow link: one block",
    links: [slow(1)],
    req: NEW,
    want: 1,
    maxBytes: 6250,
  },
  {
    n: 3,
    name: "less room than a block: the room",
    links: [fast(1, { inFlight: FAST_BUDGET - 5000 })],
    req: NEW,
    want: 1,
    maxBytes: 5000,
  },
  {
    n: 4,
    name: "very little room: at least 2 KiB",
    links: [fast(1, { inFlight: FAST_BUDGET - 1000 })],
    req: NEW,
    want: 1,
    maxBytes: 2048,
  },
], "sizes the block");

run([
  {
    n: 1,
    name: "a stalled link is skipped",
    links: [fast(1, { state: "stalled" }), slow(2)],
    req: NEW,
    want: 2,
  },
  {
    n: 2,
    name: "a down link is skipped",
    links: [fast(1, { state: "down" }), slow(2)],
    req: NEW,
    want: 2,
  },
  {
    n: 3,
    name: "a blocked link is skipped",
    links: [fast(1, { blocked: true }), slow(2)],
    req: NEW,
    want: 2,
  },
  {
    n: 4,
    name: "nothing usable: none",
    links: [fast(1, { blocked: true }), slow(2, { state: "stalled" }), fast(3, { state: "down" })],
    req: NEW,
    want: null,
  },
  {
    n: 5,
    name: "a re-send needs room for its whole size",
    links: [fast(1, { inFlight: 200_000 }), slow(2, { inFlight: 60_000 })],
    req: resend(63_000),
    want: null,
  },
  {
    n: 6,
    name: "a re-send that fits goes to the emptiest link with room for it",
    links: [fast(1, { inFlight: 90_000 }), slow(2, { inFlight: 33_000 })],
    req: resend(60_000),
    want: 1,
  },
  {
    n: 7,
    name: "an idle link takes a re-send larger than its budget",
    links: [slow(1)],
    req: resend(100_000),
    want: 1,
  },
], "respects link state");

run([
  {
    n: 1,
    name: "the lost link is avoided",
    links: [fast(1), slow(2)],
    req: resend(1000, 1),
    want: 2,
  },
  {
    n: 2,
    name: "unless it is the only usable one",
    links: [fast(1), slow(2, { blocked: true })],
    req: resend(1000, 1),
    want: 1,
  },
  { n: 3, name: "or the only link", links: [fast(1)], req: resend(1000, 1), want: 1 },
  {
    n: 4,
    name: "a link that is gone changes nothing",
    links: [fast(1, { inFlight: 100_000 }), slow(2)],
    req: resend(1000, 7),
    want: 2,
  },
], "avoids the link a re-send was lost on");

run([
  {
    n: 1,
    name: "a busy primary before an idle backup",
    links: [fast(1, { inFlight: 0.9 * FAST_BUDGET }), slow(2, { priority: "backup" })],
    req: NEW,
    want: 1,
  },
  {
    n: 2,
    name: "the backup when the primary is stalled",
    links: [fast(1, { state: "stalled" }), slow(2, { priority: "backup" })],
    req: NEW,
    want: 2,
  },
  {
    n: 3,
    name: "the backup when the primary is down",
    links: [fast(1, { state: "down" }), slow(2, { priority: "backup" })],
    req: NEW,
    want: 2,
  },
  {
    n: 4,
    name: "a secondary link keeps the backup idle too",
    links: [slow(1, { priority: "secondary" }), fast(2, { priority: "backup" })],
    req: NEW,
    want: 1,
  },
  {
    n: 5,
    name: "a primary that is up but blocked still keeps the backup idle",
    links: [fast(1, { blocked: true }), slow(2, { priority: "backup" })],
    req: NEW,
    want: null,
  },
  {
    n: 6,
    name: "only backups: the emptiest of them",
    links: [
      fast(1, { priority: "backup", inFlight: 0.5 * FAST_BUDGET }),
      slow(2, { priority: "backup" }),
    ],
    req: NEW,
    want: 2,
  },
], "uses backup links only when no primary is up");

// BUG: a re-send lost on the only primary link is never sent while a backup link is up, even
// though the primary is the only link allowed to carry it. proportional.ts applies `avoid`
// first (two candidates: it drops the primary and keeps the backup) and the backup filter
// second (a primary is up: it drops the backup), so nothing is left and choose() returns null.
// The endpoint then sends nothing at all while that re-send heads its queue (see
// tests/session/endpoint_test.ts, "re-sends a redialled link's blocks while a backup link is
// up", which hangs forever). Dropping backups before applying `avoid` gives link 1.
Deno.test({
  name: "proportionalPolicy re-sends on the lost link when the only other one is a backup",

  fn() {
    const links = [fast(1), slow(2, { priority: "backup" })].map(view);
    const choice = proportionalPolicy().choose(links, resend(1000, 1), CTX);
    assert.equal(choice?.index ?? null, 1);
  },
});
