// Tests of the redundant policy (core/scheduler/redundant.ts) as numbered tables: the block
// goes where `earliest` puts it and a copy to the ready link with the next earliest predicted
// arrival; mode "critical" copies only re-sends and blocks flagged critical.
// Links are LinkEstimators with nominal rates and one RTT sample; empty links arrive after
// about 10 ms of block plus half their RTT: 20 Mbit/s at 40 ms -> 30 ms, 5 Mbit/s at 40 ms ->
// 30 ms (index breaks the tie), 5 Mbit/s at 200 ms -> 110 ms.

import assert from "node:assert/strict";
import { LinkEstimator } from "../../core/scheduler/link_estimator.ts";
import type {
  BlockRequest,
  LinkState,
  LinkView,
  PolicyContext,
} from "../../core/scheduler/policy.ts";
import { type RedundantOptions, redundantPolicy } from "../../core/scheduler/redundant.ts";
import type { LinkPriority } from "../../core/frame/types.ts";

interface Spec {
  index: number;
  mbps: number;
  rtt?: number;
  inFlight?: number;
  state?: LinkState;
  blocked?: boolean;
  priority?: LinkPriority;
  capBytes?: number;
  dataBytes?: number;
}

function view(s: Spec): LinkView {
  const est = new LinkEstimator(0, { nominalRateBps: s.mbps * 1e6 });
  est.onRttSample(s.rtt ?? 40, 0);
  if (s.inFlight) est.onSend(s.inFlight, 0);
  return {
    index: s.index,
    caps: {
      kind: "wwan",
      name: `wwan${s.index}`,
      localAddress: `10.64.${s.index}.2`,
      cost: 1,
      priority: s.priority ?? "primary",
      capBytes: s.capBytes,
      rateBps: s.mbps * 1e6,
    },
    state: s.state ?? "up",
    blocked: s.blocked ?? false,
    est,
    dataBytes: s.dataBytes ?? 0,
  };
}

const NEW: BlockRequest = { retransmit: false, bytes: 1 << 20 };
const CRITICAL: BlockRequest = { retransmit: false, bytes: 1 << 20, critical: true };
const resend = (bytes: number, avoid?: number): BlockRequest => ({
  retransmit: true,
  bytes,
  avoid,
});
const THREE: Spec[] = [
  { index: 1, mbps: 20 },
  { index: 2, mbps: 5 },
  { index: 3, mbps: 5, rtt: 200 },
];

interface Case {
  n: number;
  name: string;
  opts?: RedundantOptions;
  links: Spec[];
  req: BlockRequest;
  want: number | null;
  copies?: number[];
  maxBytes?: number;
}

const CASES: Case[] = [
  { n: 1, name: "a copy on the second best", links: THREE, req: NEW, want: 1, copies: [2] },
  {
    n: 2,
    name: "the ranking is by predicted arrival, not by rate",
    links: [{ index: 1, mbps: 20, rtt: 300 }, { index: 2, mbps: 5 }, { index: 3, mbps: 2 }],
    req: NEW,
    want: 2,
    copies: [3],
  },
  {
    n: 3,
    name: "a full second best is passed over for the third",
    links: [{ index: 1, mbps: 20 }, { index: 2, mbps: 5, inFlight: 65_625 }, THREE[2]],
    req: NEW,
    want: 1,
    copies: [3],
  },
  {
    n: 4,
    name: "one usable link: no copy",
    links: [{ index: 1, mbps: 20 }, { index: 2, mbps: 5, blocked: true }],
    req: NEW,
    want: 1,
  },
  {
    n: 5,
    name: "a re-send and its copy avoid the link it was lost on",
    links: THREE,
    req: resend(5000, 1),
    want: 2,
    copies: [3],
  },
  {
    n: 6,
    name: "no copy on the lost link even when it takes the re-send itself",
    links: [{ index: 1, mbps: 20 }, { index: 2, mbps: 5, blocked: true }],
    req: resend(5000, 1),
    want: 1,
  },
  {
    n: 7,
    name: "backups carry no copies while a primary is up",
    links: [{ index: 1, mbps: 20 }, { index: 2, mbps: 5, priority: "backup" }],
    req: NEW,
    want: 1,
  },
  {
    n: 8,
    name: "the block fits under the copy's cap",
    links: [{ index: 1, mbps: 20 }, {
      index: 2,
      mbps: 5,
      rtt: 60,
      capBytes: 10_000,
      dataBytes: 4000,
    }],
    req: NEW,
    want: 1,
    copies: [2],
    maxBytes: 6000,
  },
  {
    n: 9,
    name: "it waits as earliest does: no block, no copy",
    links: [{ index: 1, mbps: 20, inFlight: 187_500 }, { index: 2, mbps: 0.5, rtt: 300 }],
    req: { retransmit: false, bytes: 10_000 },
    want: null,
  },
  {
    n: 10,
    name: "critical mode: a plain new block is not copied",
    opts: { mode: "critical" },
    links: THREE,
    req: NEW,
    want: 1,
  },
  {
    n: 11,
    name: "critical mode: a block flagged critical is",
    opts: { mode: "critical" },
    links: THREE,
    req: CRITICAL,
    want: 1,
    copies: [2],
  },
  {
    n: 12,
    name: "critical mode: so is a re-send",
    opts: { mode: "critical" },
    links: THREE,
    req: resend(5000),
    want: 1,
    copies: [2],
    maxBytes: 5000,
  },
];

for (const c of CASES) {
  Deno.test(`redundantPolicy #${c.n}: ${c.name}`, () => {
    const ctx: PolicyContext = {
      now: 0,
      bufferMs: 3000,
      inputRateBps: 0,
      queuedBytes: c.req.retransmit ? 0 : c.req.bytes,
    };
    const choice = redundantPolicy(c.opts).choose(c.links.map(view), c.req, ctx);
    assert.equal(choice?.index ?? null, c.want);
    assert.deepEqual(choice?.copies, c.copies);
    if (c.maxBytes !== undefined) assert.equal(choice?.maxBytes, c.maxBytes);
  });
}

Deno.test("redundantPolicy names its mode", () => {
  assert.equal(redundantPolicy().name, "redundant");
  assert.equal(redundantPolicy({ mode: "critical" }).name, "redundant-critical");
});
