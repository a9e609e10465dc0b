// Tests of BondEndpoint (core/session/endpoint.ts) on the in-memory pair of tests/_sim/pair.ts,
// on a virtual clock, in order:
// 1. a numbered table of whole transfers (1, 2 and 4 links, equal and unequal, both directions,
//    the empty stream);
// 2. faults: a link killed, stalled, revived, redialled; all links but one lost; no link at all;
// 3. flow control against a slow output;
// 4. how the load is shared, and determinism for a seed;
// 5. known bugs, as ignored tests (each one says what is wrong).
// Random input and chunking come from a seeded PRNG; the seed is printed (replay:
// BONDCTL_FUZZ_SEED=N deno test --allow-env --allow-read tests/session).

import assert from "node:assert/strict";
import {
  assertSameBytes,
  type LinkSpec,
  mulberry32,
  randomBytes,
  SimPair,
  simSeed,
  type SimSide,
} from "../_sim/pair.ts";
import { BondEndpoint, DEFAULT_ENDPOINT_OPTIONS } from "../../core/session/endpoint.ts";
import { CloseCode, DEFAULT_VPN_OUI, type LinkCaps } from "../../core/frame/mod.ts";
import { proportionalPolicy } from "../../core/scheduler/proportional.ts";
import { earliestPolicy } from "../../core/scheduler/earliest.ts";

const MiB = 1024 * 1024;
/** Virtual time a 4 MiB transfer may take before the test fails (ms). */
const DEADLINE = 60_000;

/** 20/10/5/2 Mbit/s with one-way delays 20/30/40/75 ms: a typical set of unequal modems. */
const UNEQUAL4: LinkSpec[] = [
  { index: 1, mbps: 20, delayMs: 20 },
  { index: 2, mbps: 10, delayMs: 30 },
  { index: 3, mbps: 5, delayMs: 40 },
  { index: 4, mbps: 2, delayMs: 75 },
];
const equal = (n: number): LinkSpec[] =>
  Array.from({ length: n }, (_, i) => ({ index: i + 1, mbps: 10, delayMs: 30 }));

/** Input for one test: random bytes from the run's seed and a per-use salt. */
function input(bytes: number, salt: number): Uint8Array {
  return randomBytes(mulberry32(simSeed() ^ salt), bytes);
}

function eventsText(side: SimSide): string {
  return side.events.map((e) => `${JSON.stringify(e.event)}@${e.at.toFixed(1)}`).join(", ");
}

/** Both sides completed, nothing failed, each output equals the other side's input. */
function assertDelivered(
  pair: SimPair,
  clientIn: Uint8Array,
  serverIn: Uint8Array = new Uint8Array(0),
): void {
  assert.ok(pair.complete, `not complete\n${pair.describe()}`);
  for (const side of [pair.client, pair.server]) {
    assert.equal(side.ep.state, "complete", `${side.name}: ${eventsText(side)}`);
    assert.equal(side.eventsOf("failed").length, 0, `${side.name}: ${eventsText(side)}`);
  }
  assertSameBytes(pair.server.output(), clientIn, `server output (seed ${pair.seed})`);
  assertSameBytes(pair.client.output(), serverIn, `client output (seed ${pair.seed})`);
}

/** Payload bytes each link carried, as the client counts them. */
function dataBytes(side: SimSide): number[] {
  return side.ep.linkStats().map((l) => l.dataBytes);
}

// ---- 1. Whole transfers ----

interface TransferCase {
  n: number;
  name: string;
  links: LinkSpec[];
  clientBytes: number;
  serverBytes: number;
}

const TRANSFERS: TransferCase[] = [
  {
    n: 1,
    name: "4 MiB over one 20 Mbit/s link",
    links: [{ index: 1, mbps: 20, delayMs: 20 }],
    clientBytes: 4 * MiB,
    serverBytes: 0,
  },
  { n: 2, name: "4 MiB over 2 equal links", links: equal(2), clientBytes: 4 * MiB, serverBytes: 0 },
  {
    n: 3,
    name: "4 MiB over 2 unequal links (20/10 Mbit/s)",
    links: UNEQUAL4.slice(0, 2),
    clientBytes: 4 * MiB,
    serverBytes: 0,
  },
  { n: 4, name: "4 MiB over 4 equal links", links: equal(4), clientBytes: 4 * MiB, serverBytes: 0 },
  {
    n: 5,
    name: "4 MiB over 4 unequal links (20/10/5/2 Mbit/s)",
    links: UNEQUAL4,
    clientBytes: 4 * MiB,
    serverBytes: 0,
  },
  {
    n: 6,
    name: "4 MiB over 4 unequal links with nominal rates",
    links: UNEQUAL4.map((l) => ({ ...l, nominal: true })),
    clientBytes: 4 * MiB,
    serverBytes: 0,
  },
  {
    n: 7,
    name: "4 MiB each way at once over 4 unequal links",
    links: UNEQUAL4,
    clientBytes: 4 * MiB,
    serverBytes: 4 * MiB,
  },
  {
    n: 8,
    name: "4 MiB each way at once over one link",
    links: [{ index: 1, mbps: 20, delayMs: 20 }],
    clientBytes: 4 * MiB,
    serverBytes: 4 * MiB,
  },
  {
    n: 9,
    name: "only the server sends, over 2 unequal links",
    links: UNEQUAL4.slice(0, 2),
    clientBytes: 0,
    serverBytes: 1 * MiB,
  },
  { n: 10, name: "the empty stream, one link", links: equal(1), clientBytes: 0, serverBytes: 0 },
  { n: 11, name: "the empty stream, 4 links", links: UNEQUAL4, clientBytes: 0, serverBytes: 0 },
  { n: 12, name: "a single byte over 4 links", links: UNEQUAL4, clientBytes: 1, serverBytes: 0 },
];

for (const c of TRANSFERS) {
  Deno.test(`BondEndpoint transfer #${c.n}: ${c.name}`, () => {
    const clientIn = input(c.clientBytes, 0x100 + c.n);
    const serverIn = input(c.serverBytes, 0x200 + c.n);
    const pair = new SimPair({
      links: c.links,
      client: { input: clientIn },
      server: { input: serverIn },
    });
    pair.runToCompletion(DEADLINE);
    assertDelivered(pair, clientIn, serverIn);
    // Lossless links: nothing is thrown away, and a real driver's timer never spins.
    assert.equal(pair.client.framesDropped + pair.server.framesDropped, 0);
    assert.equal(pair.client.spins + pair.server.spins, 0, pair.describe());
    const carried = dataBytes(pair.client).reduce((a, b) => a + b, 0);
    assert.ok(carried >= c.clientBytes, `links carried ${carried} of ${c.clientBytes} bytes`);
  });
}

// ---- 2. Faults ----

Deno.test("BondEndpoint measures a link that slows down while its blocks are hedged", () => {
  // Link 2 drops from 10 Mbit/s to 300 kbit/s: every block it holds is late, and `earliest`
  // sends it again on link 1, which delivers it first. The late copies still arrive on link 2,
  // and link 2's own ACKs say so: its rate estimate must learn the new rate from them (credited
  // as lost, they left the old 10 Mbit/s standing, and link 2 kept being given blocks).
  const data = input(16 * MiB, 0x330);
  const pair = new SimPair({
    links: [{ index: 1, mbps: 10, delayMs: 10 }, { index: 2, mbps: 10, delayMs: 20 }],
    client: { input: data },
    endpoint: { policy: earliestPolicy() },
  });
  const rate = () => pair.client.ep.linkStats().find((l) => l.index === 2)!.rateBps;
  let before = 0;
  let after = 0;
  let resentBefore = 0;
  pair.schedule(2000, (p) => {
    before = rate();
    resentBefore = p.client.ep.outbound.bytesResent;
    p.setUpRate(2, 0.3);
  });
  pair.schedule(6000, () => after = rate());
  pair.runToCompletion(DEADLINE);
  assertDelivered(pair, data);
  assert.ok(before > 5e6, `link 2 measured at ${before} bit/s before it slowed`);
  assert.ok(pair.client.ep.outbound.bytesResent > resentBefore, "nothing hedged: proves nothing");
  assert.ok(after > 0 && after < 1e6, `link 2 still measured at ${after} bit/s`);
});

Deno.test("BondEndpoint re-sends a dead link's blocks on the others", () => {
  const data = input(4 * MiB, 0x301);
  const pair = new SimPair({ links: UNEQUAL4, client: { input: data } });
  let heldAtKill = 0;
  pair.schedule(400, (p) => {
    heldAtKill = p.client.ep.linkStats().find((l) => l.index === 2)!.inFlightBytes;
    p.killLink(2);
  });
  pair.runToCompletion(DEADLINE);
  assert.ok(heldAtKill > 0, "link 2 held nothing when it died: the test proves nothing");
  assertDelivered(pair, data);
  assert.ok(pair.client.ep.outbound.bytesResent > 0, "nothing was re-sent");
  assert.deepEqual(pair.client.ep.linkIndices.sort(), [1, 3, 4]);
  assert.equal(pair.client.ep.linkStats().find((l) => l.index === 2)!.state, "down");
});

interface StallCase {
  n: number;
  index: number;
}
const STALLS: StallCase[] = [{ n: 1, index: 1 }, { n: 2, index: 2 }];

for (const c of STALLS) {
  Deno.test(`BondEndpoint reports a silently stalled link #${c.n} (link ${c.index})`, () => {
    const data = input(4 * MiB, 0x310 + c.n);
    const pair = new SimPair({ links: UNEQUAL4, client: { input: data } });
    const stallAt = 400;
    pair.schedule(stallAt, (p) => p.stallLink(c.index));
    pair.runToCompletion(DEADLINE);
    const stalled = pair.client.eventsOf("link-stalled").filter((e) =>
      e.at >= stallAt && e.event.type === "link-stalled" && e.event.index === c.index
    );
    assert.ok(stalled.length > 0, `no link-stalled for ${c.index}: ${eventsText(pair.client)}`);
    // stallFloorMs is 400 ms; 4 x (srtt + 4 rttvar) of a 10 Mbit/s link with its queue is more.
    const delay = stalled[0].at - stallAt;
    assert.ok(delay <= 1000, `link-stalled came ${delay.toFixed(0)} ms after the stall`);
    assertDelivered(pair, data);
    assert.ok(pair.client.ep.outbound.bytesResent > 0);
  });
}

Deno.test("BondEndpoint resumes a stalled link that delivers again", () => {
  const data = input(4 * MiB, 0x320);
  const pair = new SimPair({ links: UNEQUAL4, client: { input: data } });
  pair.schedule(300, (p) => p.stallLink(1));
  pair.schedule(1200, (p) => p.reviveLink(1));
  pair.runToCompletion(DEADLINE);
  const stalled = pair.client.eventsOf("link-stalled").find((e) =>
    e.event.type === "link-stalled" && e.event.index === 1 && e.at >= 300
  );
  const resumed = pair.client.eventsOf("link-resumed").find((e) =>
    e.event.type === "link-resumed" && e.event.index === 1 && e.at >= 1200
  );
  assert.ok(stalled && stalled.at < 1200, eventsText(pair.client));
  assert.ok(resumed, eventsText(pair.client));
  assertDelivered(pair, data);
  assert.equal(pair.client.ep.linkStats().find((l) => l.index === 1)!.state, "up");
});

Deno.test("BondEndpoint finishes on the one link left when all others die", () => {
  const data = input(4 * MiB, 0x330);
  const pair = new SimPair({ links: UNEQUAL4, client: { input: data } });
  pair.schedule(400, (p) => [1, 2, 3].forEach((i) => p.killLink(i)));
  pair.runToCompletion(DEADLINE);
  assertDelivered(pair, data);
  assert.deepEqual(pair.client.ep.linkIndices, [4]);
  assert.ok(pair.client.ep.outbound.bytesResent > 0);
});

Deno.test("BondEndpoint takes a redialled link with the same index", () => {
  const data = input(4 * MiB, 0x340);
  const pair = new SimPair({ links: UNEQUAL4, client: { input: data } });
  let beforeRedial = 0;
  pair.schedule(300, (p) => p.killLink(1));
  pair.schedule(800, (p) => {
    beforeRedial = p.client.ep.linkStats().find((l) => l.index === 1)!.dataBytes;
    p.addLink(UNEQUAL4[0]);
  });
  pair.runToCompletion(DEADLINE);
  assertDelivered(pair, data);
  const after = pair.client.ep.linkStats().find((l) => l.index === 1)!;
  assert.equal(after.state, "up");
  assert.ok(after.dataBytes > beforeRedial, `the redialled link carried nothing new`);
  assert.ok(pair.client.ep.outbound.bytesResent > 0);
});

interface NoLinkCase {
  n: number;
  name: string;
  links: LinkSpec[];
  /** When every link dies (ms), or null if there never was one. */
  killAt: number | null;
}
const NO_LINK: NoLinkCase[] = [
  { n: 1, name: "never any link", links: [], killAt: null },
  { n: 2, name: "every link dies mid-transfer", links: UNEQUAL4, killAt: 500 },
];

for (const c of NO_LINK) {
  Deno.test(`BondEndpoint fails after linkTimeoutMs without a link #${c.n}: ${c.name}`, () => {
    const linkTimeoutMs = 5_000;
    const pair = new SimPair({
      links: c.links,
      endpoint: { linkTimeoutMs },
      client: { input: input(4 * MiB, 0x350 + c.n) },
    });
    if (c.killAt !== null) {
      pair.schedule(c.killAt, (p) => c.links.forEach((l) => p.killLink(l.index)));
    }
    pair.runUntil(
      (p) => p.client.failedAt !== null && p.server.failedAt !== null,
      60_000,
      "both sides fail",
    );
    const want = (c.killAt ?? 0) + linkTimeoutMs;
    for (const side of [pair.client, pair.server]) {
      assert.equal(side.failedAt, want, `${side.name}: ${eventsText(side)}`);
      const ev = side.eventsOf("failed")[0].event;
      assert.ok(ev.type === "failed");
      assert.equal(ev.code, CloseCode.INCOMPLETE);
      assert.equal(ev.byPeer, false);
      assert.equal(side.ep.state, "failed");
      assert.equal(side.completedAt, null);
    }
  });
}

// ---- 3. Flow control against a slow output ----

Deno.test("BondEndpoint holds at most maxBufferBytes plus one block for a slow output", () => {
  const maxBufferBytes = 1 * MiB;
  const data = input(4 * MiB, 0x360);
  let maxHeld = 0;
  let worst = "";
  const pair = new SimPair({
    links: [{ index: 1, mbps: 20, delayMs: 20 }, { index: 2, mbps: 20, delayMs: 30 }],
    endpoint: { maxBufferBytes },
    client: { input: data },
    server: { outputMbps: 1 },
    onStep: (p) => {
      const held = p.server.ep.inbound.heldBytes;
      if (held > maxHeld) {
        maxHeld = held;
        worst = `t=${p.now.toFixed(1)} held=${held} largest block=${p.server.maxBlockRx}`;
      }
      assert.ok(
        held <= maxBufferBytes + p.server.maxBlockRx,
        `receiver holds ${held} bytes at ${p.now.toFixed(1)} ms\n${p.describe()}`,
      );
    },
  });
  pair.runToCompletion(120_000);
  assertDelivered(pair, data);
  // The output sets the pace: 4 MiB at 1 Mbit/s is 33.5 s.
  assert.ok(pair.now >= (4 * MiB * 8) / 1e6 * 1000, `done at ${pair.now} ms: too fast`);
  assert.ok(maxHeld > maxBufferBytes / 2, `the buffer never filled (${worst})`);
});

// ---- 4. Shares and determinism ----

Deno.test("BondEndpoint splits a saturating input in proportion to link rates", () => {
  const data = input(8 * MiB, 0x370);
  const pair = new SimPair({
    links: [{ index: 1, mbps: 20, delayMs: 20 }, { index: 2, mbps: 5, delayMs: 20 }],
    client: { input: data },
  });
  pair.runToCompletion(DEADLINE);
  assertDelivered(pair, data);
  const [fast, slow] = dataBytes(pair.client);
  const share = fast / (fast + slow);
  assert.ok(share >= 0.65 && share <= 0.9, `the 20 Mbit/s link carried ${share} of the bytes`);
});

Deno.test("BondEndpoint gives the same per-link byte counts for the same seed", () => {
  const run = () => {
    const data = input(2 * MiB, 0x380);
    const pair = new SimPair({ links: UNEQUAL4, client: { input: data }, seed: simSeed() });
    pair.schedule(250, (p) => p.killLink(3));
    pair.runToCompletion(DEADLINE);
    assertDelivered(pair, data);
    return {
      client: dataBytes(pair.client),
      wire: [pair.client.wireBytesTx, pair.server.wireBytesTx],
      resent: pair.client.ep.outbound.bytesResent,
      doneAt: pair.now,
    };
  };
  assert.deepEqual(run(), run());
});

// ---- 5. Known bugs (ignored until fixed) ----

// BUG: on lossless links of unequal rates, 10 % of the bytes are sent twice and a healthy link
// is reported stalled. The receiver NACKs a gap after 50 ms (its delay spread is unknown at
// first); the sender re-queues a NACKed block once it is older than the min age that
// endpoint.ts (case "NACK") computes as `Math.max(e.srttMs, 10)`: 10 ms for a link with no RTT
// sample yet. The first 16 KiB blocks on the 2 Mbit/s link need ~140 ms to arrive, so they are
// all re-sent; their deliveries are then credited to the re-sent copies, the link's estimator
// sees no progress while it delivers the originals, and at ~673 ms it is declared stalled (and
// everything it holds is re-sent again). With an unmeasured link's min age at, e.g., 1000 ms
// nothing is re-sent, no stall is reported, and the transfer ends 100 ms sooner.
Deno.test({
  name: "BondEndpoint re-sends nothing and reports no stall on lossless links",

  fn() {
    const data = input(4 * MiB, 0x105);
    const pair = new SimPair({ links: UNEQUAL4, client: { input: data } });
    pair.runToCompletion(DEADLINE);
    assertDelivered(pair, data);
    assert.deepEqual(pair.client.eventsOf("link-stalled"), []);
    const resent = pair.client.ep.outbound.bytesResent;
    assert.ok(resent <= data.length / 100, `${resent} bytes re-sent on lossless links`);
  },
});

const CAPS: LinkCaps = {
  kind: "ethernet",
  name: "eth0",
  localAddress: "10.0.0.2",
  cost: 1,
  priority: "primary",
};

// BUG: a link whose socket is full keeps a PING deadline that is already due, so a real
// driver's timer fires at once, forever (100 % CPU), until the link is declared silent
// (silenceMs, 10 s by default). endpoint.ts nextTimeout() offers `lastSendAt + pingIntervalMs`
// for every link, but handleTimeout() queues the PING only if the link's control queue is
// empty, and pollTransmit() sends nothing on a blocked link, so lastSendAt never moves. In the
// simulator a stalled link does this in "reports a silently stalled link" (see `spins`).
Deno.test({
  name: "BondEndpoint keeps no deadline due on a blocked link",

  fn() {
    const ep = new BondEndpoint({
      ...DEFAULT_ENDPOINT_OPTIONS,
      oui: DEFAULT_VPN_OUI,
      policy: proportionalPolicy(),
    }, 0);
    ep.addLink(1, CAPS, 0);
    ep.setBlocked(1, true);
    ep.endInput();
    let now = 0;
    for (let turn = 0; turn < 20; turn++) {
      const due = ep.nextTimeout();
      assert.ok(due !== null);
      // A driver sleeps until the deadline; one that is already past means it never sleeps.
      assert.ok(turn === 0 || due > now, `turn ${turn}: deadline ${due} is not after ${now}`);
      now = Math.max(now, due) + 1;
      ep.handleTimeout(now);
      assert.equal(ep.pollTransmit(now), null); // the link is blocked
      while (ep.pollEvent()) { /* drained */ }
      if (ep.state !== "open") break;
    }
  },
});

// BUG: with a backup link up, a block lost with a primary link that reconnects at once (same
// index: the client redials) is never sent again, and the whole transfer hangs: no progress,
// no failure. core/scheduler/proportional.ts filters the re-send's `avoid` link out while
// another candidate remains (the backup), and only then drops backup links because a primary
// is up: no candidate is left, choose() returns null, and pollTransmit() returns null for as
// long as the re-send heads the queue. Dropping backups before applying `avoid` fixes it.
Deno.test({
  name: "BondEndpoint re-sends a redialled link's blocks while a backup link is up",

  fn() {
    const links: LinkSpec[] = [
      { index: 1, mbps: 10, delayMs: 20 },
      { index: 2, mbps: 10, delayMs: 20, priority: "backup" },
    ];
    const data = input(2 * MiB, 0x390);
    const pair = new SimPair({ links, client: { input: data } });
    pair.schedule(300, (p) => {
      p.killLink(1);
      p.addLink(links[0]);
    });
    pair.runToCompletion(30_000);
    assertDelivered(pair, data);
  },
});
