/**
 * The bench's fault flags: parsing, sorting, and every check against the links and the run.
 * @module
 */
import assert from "node:assert/strict";
import { OptionError } from "../../core/config/mod.ts";
import {
  checkFaults,
  describeFault,
  type Fault,
  parseCut,
  parseRestore,
  parseSetRate,
} from "../../core/bench/mod.ts";

Deno.test("fault flags parse", () => {
  const rows: [number, () => Fault, Fault][] = [
    [1, () => parseCut("1@5s"), { kind: "cut", link: 1, atMs: 5000, how: "down" }],
    [2, () => parseCut("2@1.5s:blackhole"), { kind: "cut", link: 2, atMs: 1500, how: "blackhole" }],
    [3, () => parseCut("3@800ms:down"), { kind: "cut", link: 3, atMs: 800, how: "down" }],
    [4, () => parseRestore("1@12s"), { kind: "restore", link: 1, atMs: 12000 }],
    [5, () => parseSetRate("2=1mbit@8s"), { kind: "set-rate", link: 2, atMs: 8000, bps: 1e6 }],
  ];
  for (const [n, parse, want] of rows) assert.deepEqual(parse(), want, `#${n}`);
});

Deno.test("bad fault flags are one-line OptionErrors naming the flag", () => {
  const rows: [number, () => unknown, RegExp][] = [
    [1, () => parseCut("1"), /--cut "1": give LINK@TIME/],
    [2, () => parseCut("0@5s"), /--cut "0@5s": link "0" is not a number from 1/],
    [3, () => parseCut("1@5"), /--cut "1@5": time/],
    [4, () => parseCut("1@5s:silent"), /--cut .*"silent" is not down or blackhole/],
    [5, () => parseRestore("x@1s"), /--restore/],
    [6, () => parseSetRate("2@8s"), /--set-rate "2@8s": give LINK=RATE@TIME/],
    [7, () => parseSetRate("2=fast@8s"), /--set-rate .*rate/],
    [8, () => parseSetRate("2=1kbit@8s"), /at least 8kbit/],
  ];
  for (const [n, fn, re] of rows) {
    assert.throws(fn, (e: unknown) => {
      assert.ok(e instanceof OptionError, `#${n}: ${e}`);
      assert.match(e.message, re, `#${n}`);
      assert.ok(!e.message.includes("\n"), `#${n}: one line`);
      return true;
    });
  }
});

Deno.test("checkFaults() sorts by time and refuses what cannot happen", () => {
  const sorted = checkFaults(
    [parseRestore("1@9s"), parseCut("1@5s"), parseSetRate("2=1mbit@1s")],
    2,
    20_000,
  );
  assert.deepEqual(sorted.map((f) => f.kind), ["set-rate", "cut", "restore"]);
  assert.equal(describeFault(sorted[1]), "5.0 s: cut link 1 (down)");
  const bad: [number, Fault[], number, RegExp][] = [
    [1, [parseCut("3@1s")], 2, /no link 3 \(links are numbered 1 to 2\)/],
    [2, [parseCut("1@30s")], 2, /not inside the 20000 ms run/],
    [3, [parseRestore("1@2s")], 2, /link 1 is not cut before 2000 ms/],
    [4, [parseCut("1@1s"), parseCut("1@2s")], 3, /cut twice/],
    [5, [parseCut("1@1s"), parseCut("2@2s")], 2, /would leave no link up/],
    [6, [parseCut("1@1s")], 1, /would leave no link up/],
  ];
  for (const [n, faults, links, re] of bad) {
    assert.throws(() => checkFaults(faults, links, 20_000), re, `#${n}`);
  }
});
