// Tests of the policy registry (core/scheduler/registry.ts): the names, what each factory
// makes, the error for an unknown name; then every policy against the rules all of them
// share, on random situations (the seed is printed: `SEED=n deno test --allow-env` replays one).

import assert from "node:assert/strict";
import { OptionError } from "../../core/config/units.ts";
import { LinkEstimator } from "../../core/scheduler/link_estimator.ts";
import type {
  BlockRequest,
  LinkState,
  LinkView,
  PolicyContext,
} from "../../core/scheduler/policy.ts";
import { canTake, capRoomBytes, sendable } from "../../core/scheduler/policy.ts";
import {
  createPolicy,
  isPolicyName,
  isReference,
  policyNames,
} from "../../core/scheduler/registry.ts";
import type { LinkPriority } from "../../core/frame/types.ts";

const NAMES = [
  "proportional",
  "fewest",
  "earliest",
  "redundant",
  "redundant-critical",
  "ref-roundrobin",
  "ref-wrr",
  "ref-minrtt",
  "ref-srtla",
  "ref-duplicate",
];

Deno.test("policyNames lists ours first, then the reference policies", () => {
  assert.deepEqual([...policyNames], NAMES);
});

for (const [n, name] of NAMES.entries()) {
  Deno.test(`createPolicy #${n + 1}: "${name}" makes a fresh policy of that name`, () => {
    const a = createPolicy(name);
    assert.equal(a.name, name);
    assert.equal(a.reference ?? false, name.startsWith("ref-"));
    assert.equal(isReference(name), name.startsWith("ref-"));
    assert.ok(isPolicyName(name));
    assert.notEqual(createPolicy(name), a, "policies keep state: never shared");
  });
}

const UNKNOWN = [
  { n: 1, name: "a typo", input: "fewset" },
  { n: 2, name: "the wrong case", input: "Fewest" },
  { n: 3, name: "empty", input: "" },
  { n: 4, name: "an object's own property", input: "constructor" },
  { n: 5, name: "a reference name without its prefix", input: "srtla" },
];
for (const c of UNKNOWN) {
  Deno.test(`createPolicy rejects an unknown name #${c.n}: ${c.name}`, () => {
    assert.equal(isPolicyName(c.input), false);
    assert.equal(isReference(c.input), false);
    assert.throws(() => createPolicy(c.input), (e: unknown) => {
      assert.ok(e instanceof OptionError);
      assert.ok(e.message.includes(`"${c.input}"`), e.message);
      for (const name of NAMES) assert.ok(e.message.includes(name), `${name}: ${e.message}`);
      assert.ok(!e.message.includes("\n"), "one line");
      return true;
    });
  });
}

Deno.test("createPolicy passes options to the policy", () => {
  const est = new LinkEstimator(0, { nominalRateBps: 20e6 });
  const link: LinkView = {
    index: 1,
    caps: { kind: "wwan", name: "wwan1", localAddress: "10.64.1.2", cost: 1, priority: "primary" },
    state: "up",
    blocked: false,
    est,
    dataBytes: 0,
  };
  const ctx: PolicyContext = { now: 0, bufferMs: 3000, inputRateBps: 0, queuedBytes: 1e6 };
  const req: BlockRequest = { retransmit: false, bytes: 1e6 };
  const choice = createPolicy("ref-roundrobin", { blockBytes: 5000 }).choose([link], req, ctx);
  assert.equal(choice?.maxBytes, 5000);
  assert.equal(createPolicy("redundant", { mode: "critical" }).name, "redundant-critical");
});

// ---- the rules every policy keeps, on random situations ----

/** mulberry32: a small seeded generator, so that a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomLinks(rnd: () => number): LinkView[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const count = Math.floor(rnd() * 5);
  return Array.from({ length: count }, (_, i) => {
    const mbps = pick([0.1, 1, 5, 20, 100]);
    const est = new LinkEstimator(0, { nominalRateBps: rnd() < 0.8 ? mbps * 1e6 : undefined });
    if (rnd() < 0.9) est.onRttSample(pick([10, 40, 150, 600]), 0);
    if (rnd() < 0.6) est.onSend(Math.floor(rnd() * 1.3 * est.budgetBytes()), 0);
    const capBytes = rnd() < 0.3 ? 1e6 : undefined;
    return {
      index: i + 1 + Math.floor(rnd() * 3) * 10,
      caps: {
        kind: "wwan" as const,
        name: `wwan${i}`,
        localAddress: `10.64.${i}.2`,
        cost: pick([0, 1, 5]),
        priority: pick<LinkPriority>(["primary", "primary", "secondary", "backup"]),
        capBytes,
        rateBps: rnd() < 0.7 ? mbps * 1e6 : undefined,
      },
      state: pick<LinkState>(["up", "up", "up", "stalled", "down"]),
      blocked: rnd() < 0.15,
      est,
      dataBytes: capBytes ? pick([0, 999_000, 1e6]) : Math.floor(rnd() * 1e9),
    };
  });
}

// SEED is read only where env access is granted (`deno task test`); else a fresh seed.
const envSeed = Deno.permissions.querySync({ name: "env", variable: "SEED" }).state === "granted"
  ? Deno.env.get("SEED")
  : undefined;
const SEED = Number(envSeed ?? Date.now() % 1e9);

for (const name of NAMES) {
  Deno.test(`${name} keeps the shared rules on 2000 random situations (seed ${SEED})`, () => {
    const rnd = random(SEED);
    const policy = createPolicy(name);
    for (let run = 0; run < 2000; run++) {
      const links = randomLinks(rnd);
      const retransmit = rnd() < 0.3;
      const req: BlockRequest = {
        retransmit,
        bytes: retransmit ? 1 + Math.floor(rnd() * 60_000) : Math.floor(rnd() * 2e6),
        avoid: retransmit && links.length && rnd() < 0.7 ? links[0].index : undefined,
        critical: rnd() < 0.1,
      };
      const ctx: PolicyContext = {
        now: run * 50,
        bufferMs: 3000,
        inputRateBps: rnd() * 50e6,
        queuedBytes: Math.floor(rnd() * 4e6),
      };
      const at = `seed ${SEED}, run ${run}`;
      const need = retransmit ? req.bytes : 1;
      const choice = policy.choose(links, req, ctx);
      if (rnd() < 0.5 && links.length) {
        policy.onDelivered?.(links[0].index, 5000, ctx);
        policy.onLost?.(links[0].index, 5000, ctx, "nack");
      }
      if (!choice) continue;
      const chosen = [choice.index, ...(choice.copies ?? [])];
      assert.ok(Number.isInteger(choice.maxBytes) && choice.maxBytes >= 1, at);
      assert.equal(new Set(chosen).size, chosen.length, `${at}: a link twice`);
      for (const i of chosen) {
        const l = links.find((x) => x.index === i);
        assert.ok(l, `${at}: link ${i} was not offered`);
        assert.ok(sendable([l], need).length === 1, `${at}: link ${i} cannot take it now`);
        assert.ok(capRoomBytes(l) >= need, `${at}: link ${i} is over its cap`);
        if (!retransmit) assert.ok(choice.maxBytes <= capRoomBytes(l), `${at}: over the cap`);
      }
      const primaryUp = links.some((l) =>
        l.state === "up" && l.caps.priority !== "backup" && capRoomBytes(l) >= need
      );
      // Another link that may take the re-send now (a backup may not while a primary is up).
      const others = links.filter((l) =>
        l.index !== req.avoid && canTake(l, req) && !(primaryUp && l.caps.priority === "backup")
      );
      if (req.avoid !== undefined && others.length > 0) {
        assert.ok(!chosen.includes(req.avoid), `${at}: avoided link`);
      }
      if (primaryUp && name !== "fewest") {
        const backup = chosen.find((i) =>
          links.find((l) => l.index === i)!.caps.priority === "backup"
        );
        assert.equal(backup, undefined, `${at}: a backup while a primary is up`);
      }
    }
  });
}

Deno.test({
  name: "proportional leaves a link whose data cap is reached",
  fn() {
    const link = (index: number, dataBytes: number): LinkView => ({
      index,
      caps: {
        kind: "wwan",
        name: `wwan${index}`,
        localAddress: `10.64.${index}.2`,
        cost: 1,
        priority: "primary",
        capBytes: 1e6,
      },
      state: "up",
      blocked: false,
      est: new LinkEstimator(0, { nominalRateBps: 20e6 }),
      dataBytes,
    });
    const ctx: PolicyContext = { now: 0, bufferMs: 3000, inputRateBps: 0, queuedBytes: 1e6 };
    const choice = createPolicy("proportional").choose(
      [link(1, 1e6), link(2, 0)],
      { retransmit: false, bytes: 1e6 },
      ctx,
    );
    assert.equal(choice?.index, 2);
  },
});
