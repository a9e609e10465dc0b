// Tests of the duplicate-everything reference policy (core/scheduler/ref_duplicate.ts) as a
// numbered table: the fastest ready link carries the block, every other ready link a copy.
// Links are LinkEstimators with nominal rates and a 40 ms RTT; 20 Mbit/s blocks are 25,000 B.

import assert from "node:assert/strict";
import { LinkEstimator } from "../../core/scheduler/link_estimator.ts";
import type {
  BlockRequest,
  LinkState,
  LinkView,
  PolicyContext,
} from "../../core/scheduler/policy.ts";
import { refDuplicatePolicy } from "../../core/scheduler/ref_duplicate.ts";
import type { LinkPriority } from "../../core/frame/types.ts";

interface Spec {
  index: number;
  mbps: number;
  full?: boolean;
  state?: LinkState;
  blocked?: boolean;
  priority?: LinkPriority;
  capBytes?: number;
  dataBytes?: number;
}

function view(s: Spec): LinkView {
  const est = new LinkEstimator(0, { nominalRateBps: s.mbps * 1e6 });
  est.onRttSample(40, 0);
  if (s.full) est.onSend(est.budgetBytes(), 0);
  return {
    index: s.index,
    caps: {
      kind: "wwan",
      name: `wwan${s.index}`,
      localAddress: `10.64.${s.index}.2`,
      cost: 1,
      priority: s.priority ?? "primary",
      capBytes: s.capBytes,
    },
    state: s.state ?? "up",
    blocked: s.blocked ?? false,
    est,
    dataBytes: s.dataBytes ?? 0,
  };
}

const CTX: PolicyContext = { now: 0, bufferMs: 3000, inputRateBps: 0, queuedBytes: 1 << 20 };
const NEW: BlockRequest = { retransmit: false, bytes: 1 << 20 };

interface Case {
  n: number;
  name: string;
  links: Spec[];
  req?: BlockRequest;
  want: number | null;
  copies?: number[];
  maxBytes?: number;
}

const CASES: Case[] = [
  {
    n: 1,
    name: "copies on all the others",
    links: [{ index: 1, mbps: 20 }, { index: 2, mbps: 10 }, { index: 3, mbps: 5 }],
    want: 1,
    copies: [2, 3],
    maxBytes: 25_000,
  },
  {
    n: 2,
    name: "the fastest carries the original wherever it is listed",
    links: [{ index: 1, mbps: 5 }, { index: 2, mbps: 20 }, { index: 3, mbps: 10 }],
    want: 2,
    copies: [3, 1],
  },
  {
    n: 3,
    name: "links that cannot take it now get no copy",
    links: [
      { index: 1, mbps: 20 },
      { index: 2, mbps: 10, full: true },
      { index: 3, mbps: 10, blocked: true },
      { index: 4, mbps: 10, state: "stalled" },
      { index: 5, mbps: 10, state: "down" },
      { index: 6, mbps: 1 },
    ],
    want: 1,
    copies: [6],
  },
  {
    n: 4,
    name: "a full fastest link: the next carries the original",
    links: [{ index: 1, mbps: 20, full: true }, { index: 2, mbps: 10 }, { index: 3, mbps: 5 }],
    want: 2,
    copies: [3],
  },
  { n: 5, name: "one link: no copies", links: [{ index: 1, mbps: 20 }], want: 1 },
  {
    n: 6,
    name: "backups get no copies while a primary is up",
    links: [{ index: 1, mbps: 5 }, { index: 2, mbps: 20, priority: "backup" }],
    want: 1,
  },
  {
    n: 7,
    name: "only backups up: all of them",
    links: [
      { index: 1, mbps: 5, state: "down" },
      { index: 2, mbps: 20, priority: "backup" },
      { index: 3, mbps: 10, priority: "backup" },
    ],
    want: 2,
    copies: [3],
  },
  {
    n: 8,
    name: "a capped link gets no copy; another copy's cap bounds the block",
    links: [
      { index: 1, mbps: 20 },
      { index: 2, mbps: 10, capBytes: 1e6, dataBytes: 1e6 },
      { index: 3, mbps: 10, capBytes: 1e6, dataBytes: 1e6 - 7000 },
    ],
    want: 1,
    copies: [3],
    maxBytes: 7000,
  },
  {
    n: 9,
    name: "a re-send goes everywhere but the link it was lost on",
    links: [{ index: 1, mbps: 20 }, { index: 2, mbps: 10 }, { index: 3, mbps: 5 }],
    req: { retransmit: true, bytes: 3000, avoid: 1 },
    want: 2,
    copies: [3],
    maxBytes: 3000,
  },
  {
    n: 10,
    name: "nothing ready: none",
    links: [{ index: 1, mbps: 20, full: true }, { index: 2, mbps: 10, blocked: true }],
    want: null,
  },
];

for (const c of CASES) {
  Deno.test(`refDuplicatePolicy #${c.n}: ${c.name}`, () => {
    const policy = refDuplicatePolicy();
    assert.equal(policy.reference, true);
    const choice = policy.choose(c.links.map(view), c.req ?? NEW, CTX);
    assert.equal(choice?.index ?? null, c.want);
    assert.deepEqual(choice?.copies, c.copies);
    if (c.maxBytes !== undefined) assert.equal(choice?.maxBytes, c.maxBytes);
  });
}
