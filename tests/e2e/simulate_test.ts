/**
 * `bondctl simulate` as a user runs it: named scenarios, ad hoc links, JSON for scripts, an
 * SVG chart, and clear errors for bad scenario files.
 */
import assert from "node:assert/strict";
import { spawnBondctl, tempWorkspace } from "../_helpers/bondctl.ts";

async function run(args: string[]) {
  const p = spawnBondctl(["simulate", ...args], { stdout: "piped" });
  const stdout = new Response(p.child.stdout).text();
  const done = await p.done;
  return { ...done, stdout: await stdout };
}

Deno.test("simulate --scenario patent-example --json prints every policy in the documented shape", async () => {
  const r = await run(["--scenario", "patent-example", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.scenario, "patent-example");
  assert.equal(typeof out.seed, "number");
  assert.ok(out.capacityBps > 0);
  const names = out.policies.map((p: { name: string }) => p.name);
  for (
    const n of [
      "proportional",
      "fewest",
      "earliest",
      "redundant",
      "ref-roundrobin",
      "ref-wrr",
      "ref-minrtt",
      "ref-srtla",
      "ref-duplicate",
    ]
  ) {
    assert.ok(names.includes(n), `${n} missing`);
  }
  for (const p of out.policies) {
    for (
      const k of [
        "goodputBps",
        "efficiency",
        "onTimeShare",
        "resentBytes",
        "duplicateBytes",
        "meanLinksUsed",
      ]
    ) {
      assert.equal(typeof p[k], "number", `${p.name}.${k}`);
    }
    for (const k of ["p50", "p95", "p99", "max"]) assert.equal(typeof p.delayMs[k], "number");
    assert.equal(p.links.length, 4);
    assert.equal(p.lostBytes, 0, `${p.name} lost bytes`);
  }
  assert.deepEqual(out.reference.splitBytes, [100000, 50000, 18750, 6250]);
});

Deno.test("simulate with ad hoc links prints a table and writes a chart", async () => {
  const ws = await tempWorkspace();
  try {
    const chart = `${ws.dir}/c.svg`;
    const r = await run([
      "--links",
      "20mbit/20ms,10mbit/30ms,cost=2",
      "--bitrate",
      "12mbit",
      "--duration",
      "5s",
      "--policy",
      "earliest",
      "--chart",
      chart,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /earliest\s+12\.0 Mbit\/s/);
    const svg = await Deno.readTextFile(chart);
    assert.match(svg, /^<svg /);
    assert.match(svg, /per-link throughput \(earliest\)/);
  } finally {
    await ws.cleanup();
  }
});

Deno.test("simulate refuses a bad scenario file naming the file and the key", async () => {
  const ws = await tempWorkspace();
  try {
    const bad = `${ws.dir}/bad.json`;
    await Deno.writeTextFile(
      bad,
      JSON.stringify({
        name: "bad",
        description: "d",
        links: ["20mbit/20ms"],
        input: { kind: "cbr", rate: "fast" },
        duration: "5s",
      }),
    );
    const r = await run(["--scenario", bad]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /bondctl: error: .*bad\.json: input\.rate: a rate/);
    const u = await run(["--scenario", "nope"]);
    assert.equal(u.code, 1);
    assert.match(u.stderr, /no scenario named nope \(shipped: /);
    const p = await run(["--scenario", "four-modems", "--policy", "best"]);
    assert.equal(p.code, 1);
    assert.match(p.stderr, /best/);
  } finally {
    await ws.cleanup();
  }
});
