/**
 * tapPolicy(): the wrapped policy decides exactly as the original (a whole simulation gives
 * the same result), and re-sends are counted against the link they were lost from.
 */
import assert from "node:assert/strict";
import { tapPolicy } from "../../core/status/policy_tap.ts";
import { createPolicy, policyNames } from "../../core/scheduler/registry.ts";
import { runSimulation } from "../../core/sim/simulator.ts";
import type { SimConfig } from "../../core/sim/sim_types.ts";
import type { LinkView, Policy } from "../../core/scheduler/policy.ts";
import type { LinkCaps } from "../../core/frame/types.ts";

const config = (policy: Policy): SimConfig => ({
  links: [
    { capacity: 8e6, delayMs: 20, loss: 0.01 },
    { capacity: 4e6, delayMs: 40, outages: [{ atMs: 1500, durationMs: 1500, kind: "silent" }] },
  ],
  input: { kind: "cbr", bitrateBps: 6e6 },
  durationMs: 4000,
  seed: 11,
  policy,
  bufferMs: 1500,
  maxBufferBytes: 32 << 20,
});

// `simulate` runs every policy tapped (for its progress line): the results must not move.
for (const name of policyNames) {
  Deno.test(`tapPolicy(${name}) changes nothing the simulation measures`, () => {
    const plain = runSimulation(config(createPolicy(name)));
    let last = -1;
    let backwards = 0;
    const tap = tapPolicy(createPolicy(name), {
      onDecision: (now) => {
        if (now < last) backwards++;
        last = now;
      },
    });
    const tapped = runSimulation(config(tap.policy));
    assert.deepEqual(tapped, plain);
    assert.equal(tap.policy.name, name);
    assert.equal(backwards, 0, "decision times follow the virtual clock");
    assert.ok(last > 3000 && last <= tapped.endMs, `last decision at ${last} ms`);
  });
}

Deno.test("tapPolicy() counts a re-send against the link it was lost from, and sees caps", () => {
  const caps = (i: number): LinkCaps => ({
    kind: "ppp",
    name: `ppp${i}`,
    localAddress: `10.0.0.${i}`,
    cost: i,
    priority: "primary",
  });
  const views = [1, 2].map((i) => ({ index: i, caps: caps(i) }) as unknown as LinkView);
  let answer: { index: number; maxBytes: number } | null = { index: 1, maxBytes: 1000 };
  const inner: Policy = { name: "fixed", choose: () => answer };
  const tap = tapPolicy(inner);
  const ctx = { now: 0, bufferMs: 1000, inputRateBps: 0, queuedBytes: 0 };
  tap.policy.choose(views, { retransmit: false, bytes: 5000 }, ctx); // new data: not counted
  tap.policy.choose(views, { retransmit: true, bytes: 700, avoid: 2 }, ctx);
  tap.policy.choose(views, { retransmit: true, bytes: 300, avoid: 2 }, ctx);
  answer = null; // no link could take it: nothing went out, nothing counted
  tap.policy.choose(views, { retransmit: true, bytes: 999, avoid: 1 }, ctx);
  assert.equal(tap.resentBytes(2), 1000);
  assert.equal(tap.resentBytes(1), 0);
  assert.equal(tap.caps(2)?.cost, 2);
  assert.equal(tap.caps(3), undefined);
  assert.equal(tap.policy.onLost, undefined, "no feedback hooks the inner policy lacks");
});
