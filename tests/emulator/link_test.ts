/**
 * An emulated link under faults, on a virtual clock: specs from `simulate`'s grammar, closed
 * and silent cuts, restore, and rate changes.
 * @module
 */
import assert from "node:assert/strict";
import { Rng } from "../../core/sim/rng.ts";
import { parseSimLink } from "../../core/sim/link_spec.ts";
import { EmulatedLink, emulatedLinkSpec } from "../../core/emulator/mod.ts";

const SEED = 7;
console.log(`emulator link tests: seed ${SEED}`);

Deno.test("emulatedLinkSpec() shapes both directions; jitter and loss only up", () => {
  const rows: [number, string, { up: number; delay: number; jitter: number; loss: number }][] = [
    [1, "20mbit/30ms", { up: 20e6, delay: 30, jitter: 0, loss: 0 }],
    [2, "5mbit", { up: 5e6, delay: 20, jitter: 0, loss: 0 }],
    [3, "2mbit/40ms,jitter=10ms,loss=0.1%", { up: 2e6, delay: 40, jitter: 10, loss: 0.001 }],
  ];
  for (const [n, spec, want] of rows) {
    const s = emulatedLinkSpec(parseSimLink(spec, 1));
    assert.equal(s.up.capacity!.bpsAt(0), want.up, `#${n} up rate`);
    assert.equal(s.down.capacity!.bpsAt(0), want.up, `#${n} down rate`);
    assert.equal(s.up.delayMs, want.delay, `#${n} delay`);
    assert.equal(s.down.delayMs, want.delay, `#${n} down delay`);
    assert.equal(s.up.jitterMs, want.jitter, `#${n} jitter`);
    assert.equal(s.up.loss, want.loss, `#${n} loss`);
    assert.equal(s.down.jitterMs ?? 0, 0, `#${n} no jitter down`);
  }
  const delayOnly = emulatedLinkSpec(parseSimLink("20mbit/30ms", 1), undefined, {
    rateLimit: false,
  });
  assert.equal(delayOnly.up.capacity, null);
  assert.throws(() => emulatedLinkSpec(parseSimLink("trace:x.up/20ms", 1)), /not loaded/);
});

Deno.test("EmulatedLink: a closed cut drops what was in flight and refuses connections", () => {
  const link = new EmulatedLink<string>(
    emulatedLinkSpec(parseSimLink("8mbit/20ms", 1)),
    new Rng(SEED),
  );
  link.up.push("a", 1000, 0);
  link.down.push("ack", 100, 0);
  link.cut("closed", 5);
  assert.equal(link.state, "closed");
  assert.equal(link.accepts, false);
  assert.equal(link.up.length + link.down.length, 0);
  link.restore(50);
  assert.equal(link.state, "up");
  assert.equal(link.accepts, true);
});

Deno.test("EmulatedLink: a silent cut holds bytes; restore delivers them", () => {
  const link = new EmulatedLink<string>(
    emulatedLinkSpec(parseSimLink("8mbit/20ms", 1)),
    new Rng(SEED),
  );
  link.up.push("a", 1000, 0);
  link.cut("silent", 5);
  assert.equal(link.accepts, true, "a silent link still takes connections (they hang)");
  assert.deepEqual(link.up.takeDue(500), []);
  link.restore(600);
  assert.deepEqual(link.up.takeDue(621), ["a"]);
  // A second cut while cut: the first ends, the second starts.
  link.cut("silent", 700);
  link.cut("closed", 710);
  assert.equal(link.state, "closed");
});

Deno.test("EmulatedLink.setRate() changes both directions and refuses nonsense", () => {
  const link = new EmulatedLink<string>(
    emulatedLinkSpec(parseSimLink("8mbit/20ms", 1)),
    new Rng(SEED),
  );
  link.setRate(4e6, 0);
  assert.equal(link.up.push("a", 1000, 0), 22);
  assert.equal(link.down.push("b", 1000, 0), 22);
  for (const bad of [0, -1, NaN, Infinity]) {
    assert.throws(() => link.setRate(bad, 1), RangeError, `rate ${bad}`);
  }
});
