/**
 * The netns lab as commands: names and addresses, tbf sizes, routing planned by core/links,
 * MPTCP, faults and teardown; every command stays inside the lab's two namespaces.
 * @module
 */
import assert from "node:assert/strict";
import {
  bestLink,
  cutCommands,
  mptcpCommands,
  planContenders,
  planNetnsLab,
  restoreCommands,
  setRateCommands,
  setupCommands,
  tbfParams,
  teardownCommands,
} from "../../core/bench/mod.ts";

const plan = planNetnsLab("t1", [20e6, 128e3]);
const C = "bondctl-bench-t1-c";
const S = "bondctl-bench-t1-s";

/** Each command names one of the lab's namespaces (or creates/deletes it). */
function assertInsideLab(cmds: string[][]): void {
  for (const argv of cmds) {
    const line = argv.join(" ");
    assert.ok(line.includes(C) || line.includes(S), `outside the lab: ${line}`);
  }
}

Deno.test("planNetnsLab() names links and addresses from 1", () => {
  assert.equal(plan.client, C);
  assert.equal(plan.server, S);
  assert.deepEqual(plan.links[1], {
    index: 2,
    clientIf: "wan2",
    serverIf: "srv2",
    clientAddr: "10.77.2.2",
    serverAddr: "10.77.2.1",
    table: 102,
    bps: 128e3,
  });
  assert.throws(() => planNetnsLab("x", []), RangeError);
});

Deno.test("tbfParams() queues about 100 ms of the rate, at least two frames", () => {
  const rows: [number, number, { burst: number; limit: number }][] = [
    [1, 20e6, { burst: 10_000, limit: 250_000 }],
    [2, 128e3, { burst: 3028, limit: 3028 }],
    [3, 1e9, { burst: 500_000, limit: 12_500_000 }],
  ];
  for (const [n, bps, want] of rows) {
    const p = tbfParams(bps);
    assert.equal(p.burst, want.burst, `#${n} burst`);
    assert.equal(p.limit, want.limit, `#${n} limit`);
  }
});

Deno.test("setupCommands() builds both ends, shapes both directions and routes per source", () => {
  const cmds = setupCommands(plan);
  assertInsideLab(cmds);
  const lines = cmds.map((c) => c.join(" "));
  assert.equal(lines[0], `ip netns add ${C}`);
  assert.ok(
    lines.includes(
      `tc -n ${C} qdisc add dev wan1 root tbf rate 20000000bit burst 10000 limit 250000`,
    ),
  );
  assert.ok(
    lines.includes(
      `tc -n ${S} qdisc add dev srv1 root tbf rate 20000000bit burst 10000 limit 250000`,
    ),
  );
  assert.ok(lines.includes(`ip -n ${C} -4 route replace default via 10.77.1.1 dev wan1 table 101`));
  assert.ok(lines.includes(`ip -n ${C} -4 route add unreachable default metric 4000 table 102`));
  assert.ok(lines.includes(`ip -n ${C} -4 rule add from 10.77.2.2 lookup 102 priority 5000`));
  const firstRule = lines.findIndex((l) => l.includes(" rule add "));
  const lastRoute = lines.findLastIndex((l) => l.includes(" route "));
  assert.ok(firstRule > lastRoute, "routes before rules: a rule never points at an empty table");
});

Deno.test("mptcp, fault and teardown commands stay inside the lab", () => {
  const l = plan.links[0];
  const all = [
    ...mptcpCommands(plan),
    ...cutCommands(plan, l, "down"),
    ...cutCommands(plan, l, "blackhole"),
    ...restoreCommands(plan, l, "down"),
    ...restoreCommands(plan, l, "blackhole"),
    ...setRateCommands(plan, l, 1e6),
    ...teardownCommands(plan),
  ];
  assertInsideLab(all);
  const lines = all.map((c) => c.join(" "));
  assert.ok(lines.includes(`ip -n ${C} mptcp endpoint add 10.77.1.2 dev wan1 id 1 subflow`));
  assert.ok(lines.includes(`ip -n ${C} link set wan1 down`));
  assert.ok(lines.includes(`ip -n ${S} link set srv1 down`));
  assert.ok(lines.some((x) => x.includes(`nft add table inet bondctl_bench_cut1`)));
  assert.ok(lines.includes(`ip -n ${C} -4 route replace default via 10.77.1.1 dev wan1 table 101`));
  assert.ok(lines.includes(`ip netns del ${S}`));
});

Deno.test("planContenders() and bestLink() pick who races", () => {
  const all = planContenders(["earliest", "fewest"], ["bondctl", "single-best", "kernel-mptcp"]);
  assert.deepEqual(all.map((c) => c.name), [
    "bondctl-earliest",
    "bondctl-fewest",
    "single-best",
    "kernel-mptcp",
  ]);
  assert.deepEqual(planContenders(["earliest"], ["single-best"]).map((c) => c.kind), ["single"]);
  assert.equal(bestLink([5e6, 20e6, 20e6]), 2);
  assert.equal(bestLink([1]), 1);
});
