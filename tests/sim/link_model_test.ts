// Tests of the link model (core/sim/pipe.ts, core/sim/link_model.ts): delivery times from the
// rate and delay, FIFO order under jitter, silent holds, loss stalls, the send queue, and a
// link's outages (TCP's resume time, capacity offered, a closed outage in a whole run).

import assert from "node:assert/strict";
import { Capacity } from "../../core/sim/capacity.ts";
import { MSS_BYTES, Pipe, type PipeOptions } from "../../core/sim/pipe.ts";
import { SimLink } from "../../core/sim/link_model.ts";
import { Rng } from "../../core/sim/rng.ts";
import { runSimulation } from "../../core/sim/simulator.ts";
import { proportionalPolicy } from "../../core/scheduler/proportional.ts";
import { simSeed } from "../_sim/pair.ts";

/** 8 Mbit/s = 1000 bytes per ms, 20 ms one way. */
function pipe(opts: Partial<PipeOptions> = {}): Pipe {
  return new Pipe({
    capacity: Capacity.constant(8e6),
    delayMs: 20,
    jitterMs: 0,
    loss: 0,
    lossStallMs: 100,
    holds: [],
    rng: new Rng(simSeed()),
    ...opts,
  });
}

Deno.test("Pipe: arrival = serialization at the rate + one-way delay, FIFO", () => {
  const p = pipe();
  assert.equal(p.write(1000, 0), 21);
  assert.equal(p.write(2000, 0), 23); // waits for the first
  assert.equal(p.queuedBytes(0), 3000);
  assert.equal(p.nextDrainAt(), 1);
  assert.equal(p.queuedBytes(1.5), 2000);
  assert.equal(p.queuedBytes(3), 0);
  assert.equal(p.nextDrainAt(), null);
  assert.equal(p.write(500, 100), 120.5); // idle pipe: starts at once
  assert.equal(p.bytesWritten, 3500);
});

Deno.test("Pipe: a rate change mid-frame stretches its serialization", () => {
  const p = pipe({ capacity: Capacity.schedule([{ atMs: 0, bps: 8e6 }, { atMs: 1, bps: 4e6 }]) });
  // 1000 bytes in the first ms, the other 1000 at 500 B/ms.
  assert.equal(p.write(2000, 0), 23);
});

Deno.test("Pipe: jitter delays frames but never reorders them", () => {
  const seed = simSeed();
  const p = pipe({ jitterMs: 50, rng: new Rng(seed) });
  let last = 0;
  let late = 0;
  for (let i = 0; i < 2000; i++) {
    const at = p.write(1000, i); // one frame per ms, at the rate: no queueing
    const base = i + 1 + 20;
    assert.ok(at >= last, `frame ${i} overtook the previous one (seed ${seed})`);
    assert.ok(at >= base, `frame ${i} arrived before its delay (seed ${seed})`);
    if (at > base + 10) late++;
    last = at;
  }
  assert.ok(late > 1000, `jitter had little effect: ${late} (seed ${seed})`);
});

Deno.test("Pipe: a silent hold keeps frames queued and loses those on the path", () => {
  const p = pipe({ holds: [{ from: 100, until: 300 }] });
  assert.equal(p.write(1000, 50), 71); // delivered before the silence
  assert.equal(p.write(1000, 90), 320); // on the path at 100: TCP sends it again at 300
  assert.equal(p.write(1000, 99.5), 320.5); // half carried before 100, the rest from 300
  assert.equal(p.write(1000, 150), 321.5); // queued through the silence, then in order
  assert.equal(p.queuedBytes(200), 2000); // the send queue holds both meanwhile
  assert.equal(p.nextDrainAt(), 300.5);
  assert.equal(p.write(1000, 400), 421); // afterwards, normal
});

Deno.test("Pipe: loss stalls the pipe after the lost unit", () => {
  const seed = simSeed();
  const p = pipe({ loss: 0.01, rng: new Rng(seed) });
  const bytes = 2000 * MSS_BYTES;
  const at = p.write(bytes, 0);
  assert.ok(p.lossStalls > 5 && p.lossStalls < 50, `${p.lossStalls} stalls (seed ${seed})`);
  // Constant rate: the frame takes its serialization time plus one stall per loss.
  assert.ok(Math.abs(at - (bytes / 1000 + 20 + 100 * p.lossStalls)) < 1e-6, `seed ${seed}`);
  const clean = pipe();
  assert.equal(clean.write(bytes, 0), bytes / 1000 + 20);
  assert.equal(clean.lossStalls, 0);
});

Deno.test("Pipe: zero capacity forever means never", () => {
  const p = pipe({ capacity: Capacity.constant(0) });
  assert.equal(p.write(10, 0), Infinity);
});

Deno.test("SimLink: a silence resumes at TCP's first backed-off timeout after it", () => {
  const link = new SimLink(
    {
      capacity: 8e6,
      delayMs: 20,
      outages: [{ atMs: 5000, durationMs: 5000, kind: "silent" }],
    },
    1,
    new Rng(1),
  );
  link.open(0);
  // RTO 40 + 200 ms, doubling: retries at +240, +720, +1680, +3600, +7440 ms.
  assert.deepEqual(link.up!.opts.holds.map((h) => [h.from, h.until]), [[5000, 12_440]]);
  assert.equal(link.down!.opts.holds.length, 1);
  link.open(11_000); // a new connection after the silence ignores it
  assert.equal(link.up!.opts.holds.length, 0);
  assert.equal(link.connections, 2);
});

Deno.test("SimLink: capacity offered excludes outages; caps carry cost, priority, cap", () => {
  const link = new SimLink(
    {
      name: "wwan0",
      capacity: 8e6,
      delayMs: 20,
      costPerMB: 3,
      priority: "backup",
      capBytes: 1e6,
      outages: [
        { atMs: 1000, durationMs: 500, kind: "closed" },
        { atMs: 3000, durationMs: 1000, kind: "silent" },
      ],
    },
    2,
    new Rng(1),
  );
  assert.equal(link.offeredBytes(0, 5000), 1000 * (5000 - 1500));
  assert.equal(link.inOutage(1200)?.kind, "closed");
  assert.equal(link.inOutage(2000), null);
  assert.equal(link.caps.name, "wwan0");
  assert.equal(link.caps.cost, 3);
  assert.equal(link.caps.priority, "backup");
  assert.equal(link.caps.capBytes, 1e6);
  assert.equal(link.caps.rateBps, undefined);
  assert.throws(() => new SimLink({ capacity: 1, delayMs: -1 }, 1, new Rng(1)), /delay/);
  assert.throws(() => new SimLink({ capacity: 1, delayMs: 1, loss: 1 }, 1, new Rng(1)), /loss/);
});

Deno.test("closed outage: both sides lose the link, it comes back as a redial", () => {
  const seed = simSeed();
  const r = runSimulation({
    links: [
      { capacity: 10e6, delayMs: 20, outages: [{ atMs: 2000, durationMs: 2000, kind: "closed" }] },
      { capacity: 10e6, delayMs: 20 },
    ],
    input: { kind: "cbr", bitrateBps: 6e6 },
    durationMs: 6000,
    seed,
    policy: proportionalPolicy(),
    bufferMs: 3000,
    maxBufferBytes: 32 << 20,
    verify: "full",
  });
  assert.equal(r.outcome, "complete", `seed ${seed}`);
  const kinds = r.events.filter((e) => e.link === 1).map((e) => `${e.kind}@${e.tMs}`);
  assert.deepEqual(kinds.slice(0, 3), ["outage-start@2000", "outage-end@4000", "redial@4000"]);
  assert.equal(r.links[0].connections, 2);
  for (const row of r.timeline.filter((t) => t.tMs > 2100 && t.tMs <= 4000)) {
    assert.equal(row.linkBps[0], 0, `link 1 carried data at ${row.tMs} ms (seed ${seed})`);
    assert.equal(row.capacityBps[0], 0);
  }
  assert.ok(r.timeline.some((t) => t.tMs > 4000 && t.linkBps[0] > 0), "link 1 never came back");
  assert.equal(r.lostBytes, 0);
  assert.equal(r.verifyErrors, 0);
});
