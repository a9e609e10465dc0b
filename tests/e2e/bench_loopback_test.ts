/**
 * `bondctl bench --lab loopback` end to end, as a user runs it: the real bondctl processes
 * and the socket program race through the user-space emulator, with link 2 silently cut and
 * restored mid-run; every contender asked for must have run and the bond must have lost
 * nothing. Usage errors are one line. Figures are printed, never asserted.
 * @module
 */
import assert from "node:assert/strict";
import { spawnBondctl } from "../_helpers/bondctl.ts";

async function bench(args: string[]) {
  const p = spawnBondctl(["bench", ...args], { stdout: "piped" });
  const stdout = new Response(p.child.stdout).text();
  const done = await p.done;
  return { ...done, stdout: await stdout };
}

Deno.test("bench --lab loopback races the bond and the best link through the emulator", async () => {
  const r = await bench([
    "--lab",
    "loopback",
    "--links",
    "8mbit/10ms,4mbit/20ms,jitter=5ms",
    "--duration",
    "3s",
    "--contenders",
    "bondctl,single-best",
    "--cut",
    "2@1s:blackhole",
    "--restore",
    "2@2s",
    "--json",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.equal(report.lab, "loopback");
  assert.equal(report.links.length, 2);
  assert.deepEqual(report.faults, ["1.0 s: cut link 2 (blackhole)", "2.0 s: restore link 2"]);
  const names = report.contenders.map((c: { name: string }) => c.name);
  assert.deepEqual(names, ["bondctl-earliest", "single-best"]);
  for (const c of report.contenders) {
    console.log(
      `  ${c.name}: ${(c.goodputBps / 1e6).toFixed(1)} Mbit/s, p99 ${
        Math.round(c.delayMs.p99)
      } ms, ` +
        `stall ${Math.round(c.longestStallMs)} ms, lost ${c.lostBytes} B (${c.status})`,
    );
    assert.equal(c.status, "ok", `${c.name}: ${c.note}`);
    assert.equal(c.lostBytes, 0, `${c.name} lost bytes`);
    assert.ok(c.sentBytes > 0, `${c.name} sent nothing`);
    for (const key of ["goodputBps", "efficiency", "cpuSecondsPerGB", "peakRssBytes"]) {
      assert.equal(typeof c[key], "number", `${c.name}.${key}`);
    }
  }
  assert.match(r.stderr, /bondctl bench: \[1\/2\] bondctl-earliest: running for 3 s/);
  assert.match(r.stderr, /bondctl-earliest: 1\.0 s: cut link 2 \(blackhole\)/);
});

Deno.test("bench refuses what cannot run with one line", async (t) => {
  const rows: [number, string[], number, RegExp][] = [
    [1, ["--links", "8mbit,4mbit", "--cut", "3@1s"], 1, /--cut: there is no link 3/],
    [2, ["--links", "8mbit", "--duration", "2s", "--cut", "1@5s"], 1, /not inside the 2000 ms run/],
    [3, ["--links", "8mbit", "--policy", "fastest"], 2, /--policy.*expected one of/],
    [4, ["--links", "8mbit", "--set-rate", "1=1mbit"], 2, /--set-rate .*LINK=RATE@TIME/],
    [5, ["--lab", "loopback"], 1, /give --links SPECS/],
    [6, ["--links", "8mbit/zz"], 1, /--links: link 1 "8mbit\/zz": delay/],
  ];
  const runs = await Promise.all(rows.map(([, args]) => bench(args)));
  for (const [i, [n, args, code, re]] of rows.entries()) {
    await t.step(`#${n} bench ${args.join(" ")}`, () => {
      const r = runs[i];
      assert.equal(r.code, code, r.stderr);
      assert.match(r.stderr, re);
      assert.equal(r.stderr.trim().split("\n").filter((l) => /error/.test(l)).length, 1, r.stderr);
    });
  }
});
