/**
 * Every policy in the registry, run by the simulator on the real endpoints: the invariants
 * each must keep whatever it optimises (nothing lost, nothing doubled or reordered at the
 * output, backup links idle while primaries suffice, data caps respected), the patent's
 * worked example, and determinism.
 */
import assert from "node:assert/strict";
import { runSimulation } from "../../core/sim/simulator.ts";
import type { SimConfig } from "../../core/sim/sim_types.ts";
import type { SimLinkSpec } from "../../core/sim/link_model.ts";
import { createPolicy, policyNames } from "../../core/scheduler/registry.ts";

const MB = 1_000_000;

function config(policy: string, links: SimLinkSpec[], over: Partial<SimConfig> = {}): SimConfig {
  return {
    links,
    input: { kind: "cbr", bitrateBps: 6e6 },
    durationMs: 8_000,
    seed: 7,
    policy: createPolicy(policy),
    bufferMs: 3000,
    maxBufferBytes: 8 * 1024 * 1024,
    verify: "full",
    ...over,
  };
}

const FOUR: SimLinkSpec[] = [
  { capacity: 8e6, delayMs: 20 },
  { capacity: 4e6, delayMs: 30 },
  { capacity: 2e6, delayMs: 40 },
  { capacity: 1e6, delayMs: 75 },
];

for (const name of policyNames) {
  Deno.test(`${name}: nothing lost or doubled through a closed and a silent outage`, () => {
    const links: SimLinkSpec[] = FOUR.map((l) => ({ ...l }));
    links[0].outages = [{ atMs: 2000, durationMs: 1500, kind: "closed" }];
    links[1].outages = [{ atMs: 4500, durationMs: 1500, kind: "silent" }];
    const r = runSimulation(config(name, links));
    assert.equal(r.outcome, "complete", `${name}: ${r.failure ?? r.outcome}`);
    assert.equal(r.lostBytes, 0);
    assert.equal(r.verifyErrors, 0, "output out of order, doubled or corrupted");
    assert.equal(r.outputBytes, r.inputBytes);
  });

  Deno.test(`${name}: a backup link stays idle while the primaries suffice`, () => {
    const links: SimLinkSpec[] = [
      { capacity: 10e6, delayMs: 20 },
      { capacity: 10e6, delayMs: 30 },
      { capacity: 10e6, delayMs: 20, priority: "backup" },
    ];
    const r = runSimulation(config(name, links));
    assert.equal(r.lostBytes, 0);
    assert.equal(r.links[2].bytes, 0, `${name} sent ${r.links[2].bytes} bytes on the backup`);
  });

  Deno.test(`${name}: a link's data cap is respected`, () => {
    const links: SimLinkSpec[] = [
      { capacity: 10e6, delayMs: 20, capBytes: 1 * MB },
      { capacity: 10e6, delayMs: 30 },
    ];
    const r = runSimulation(config(name, links));
    assert.equal(r.lostBytes, 0);
    assert.ok(r.links[0].bytes <= 1 * MB, `${name} sent ${r.links[0].bytes} bytes on a 1 MB cap`);
  });
}

Deno.test("the patent's example: 1400 kbit over 1024/512/256/128 kbit/s arrives whole", () => {
  const links: SimLinkSpec[] = [1024e3, 512e3, 256e3, 128e3].map((c) => ({
    capacity: c,
    delayMs: 20,
  }));
  for (const name of ["proportional", "earliest", "fewest"]) {
    const r = runSimulation(config(name, links, {
      input: { kind: "file", bytes: 175_000 },
      durationMs: 10_000,
      endpoint: { bufferFixed: true },
    }));
    assert.equal(r.outputBytes, 175_000, name);
    assert.equal(r.lostBytes, 0, name);
    // The physical limit: the sum of the links' rates. 1400 kbit / 1920 kbit/s = 0.73 s.
    assert.ok(r.windowMs >= 729, `${name} finished in ${r.windowMs} ms, faster than physics`);
    assert.ok(r.windowMs < 3000, `${name} took ${r.windowMs} ms`);
  }
});

Deno.test("fewest carries a stream on one link while one suffices", () => {
  const links: SimLinkSpec[] = [
    { capacity: 20e6, delayMs: 20 },
    { capacity: 10e6, delayMs: 30 },
    { capacity: 5e6, delayMs: 40 },
  ];
  const r = runSimulation(config("fewest", links, { input: { kind: "cbr", bitrateBps: 4e6 } }));
  assert.equal(r.lostBytes, 0);
  const used = r.links.filter((l) => l.bytes > 0.02 * r.outputBytes).length;
  assert.equal(used, 1, `fewest used ${used} links: ${r.links.map((l) => l.bytes).join(", ")}`);
});

Deno.test("runSimulation gives the same result for the same seed, for every policy", () => {
  for (const name of policyNames) {
    const a = runSimulation(config(name, FOUR.map((l) => ({ ...l, jitterMs: 5, loss: 0.001 }))));
    const b = runSimulation(config(name, FOUR.map((l) => ({ ...l, jitterMs: 5, loss: 0.001 }))));
    assert.deepEqual(a, b, name);
  }
});
