// Tests of the simulated-link spec (core/sim/link_spec.ts) as numbered tables: specs that
// parse, specs that are refused (each message quotes the spec and its number), lists that
// split on commas, and the conversion to a SimLinkSpec.

import assert from "node:assert/strict";
import {
  DEFAULT_SIM_DELAY_MS,
  type ParsedSimLink,
  parseSimLink,
  parseSimLinks,
  toSimLinkSpec,
} from "../../core/sim/link_spec.ts";
import { OptionError } from "../../core/config/mod.ts";
import { Capacity } from "../../core/sim/capacity.ts";

type Expect = Partial<Omit<ParsedSimLink, "raw" | "index" | "name">>;

const GOOD: { n: number; spec: string; want: Expect }[] = [
  { n: 1, spec: "20mbit", want: { source: { kind: "rate", bps: 20e6 }, delayMs: 20 } },
  { n: 2, spec: "20mbit/30ms", want: { source: { kind: "rate", bps: 20e6 }, delayMs: 30 } },
  { n: 3, spec: "512kbit/1.5s", want: { source: { kind: "rate", bps: 512e3 }, delayMs: 1500 } },
  { n: 4, spec: "2mbit/0", want: { delayMs: 0 } },
  {
    n: 5,
    spec: "10mbit/20ms,cost=2.5,priority=backup,cap=2GB,jitter=5ms,loss=0.001",
    want: { costPerMB: 2.5, priority: "backup", capBytes: 2e9, jitterMs: 5, loss: 0.001 },
  },
  { n: 6, spec: "10mbit, loss=0.5% , cost=0", want: { loss: 0.005, costPerMB: 0 } },
  { n: 7, spec: "10mbit,priority=secondary", want: { priority: "secondary" } },
  {
    n: 8,
    spec: "trace:../shared/traces/mahimahi/ATT-LTE-driving.up",
    want: {
      source: { kind: "trace", path: "../shared/traces/mahimahi/ATT-LTE-driving.up" },
      delayMs: DEFAULT_SIM_DELAY_MS,
    },
  },
  {
    n: 9,
    spec: "trace:traces/a.up/35ms",
    want: { source: { kind: "trace", path: "traces/a.up" }, delayMs: 35 },
  },
  {
    n: 10,
    spec: "trace:data/2019.csv,format=nyu-mets,cost=3",
    want: { source: { kind: "trace", path: "data/2019.csv", format: "nyu-mets" }, costPerMB: 3 },
  },
  {
    n: 11,
    spec: "trace:x.up/.5s",
    want: { source: { kind: "trace", path: "x.up" }, delayMs: 500 },
  },
];

for (const c of GOOD) {
  Deno.test(`parseSimLink accepts #${c.n}: ${c.spec}`, () => {
    const link = parseSimLink(c.spec, 3);
    assert.equal(link.index, 3);
    assert.equal(link.name, "link3");
    assert.equal(link.raw, c.spec);
    for (const [k, v] of Object.entries(c.want)) {
      assert.deepEqual(link[k as keyof ParsedSimLink], v, k);
    }
  });
}

const BAD: { n: number; spec: string; error: RegExp }[] = [
  { n: 1, spec: "", error: /no rate or trace given/ },
  { n: 2, spec: "cost=2", error: /must come first/ },
  { n: 3, spec: "20mbt/20ms", error: /rate: "20mbt" is not a rate/ },
  { n: 4, spec: "20mbit/20", error: /delay: "20" has no unit/ },
  { n: 5, spec: "20mbit/-5ms", error: /delay: "-5ms" is negative/ },
  { n: 6, spec: "0mbit", error: /rate: .*at least 1 bit\/s/ },
  { n: 7, spec: "20mbit,speed=3", error: /unknown option "speed"/ },
  { n: 8, spec: "20mbit,cost=2,cost=3", error: /cost is given twice/ },
  { n: 9, spec: "20mbit,cost=-1", error: /cost "-1" is not a number/ },
  { n: 10, spec: "20mbit,priority=high", error: /priority "high" is not one of/ },
  { n: 11, spec: "20mbit,cap=0", error: /cap=0/ },
  { n: 12, spec: "20mbit,cap=lots", error: /cap: "lots" is not a size/ },
  { n: 13, spec: "20mbit,loss=1", error: /loss 1 must be below 1/ },
  { n: 14, spec: "20mbit,loss=150%", error: /must be below 1/ },
  { n: 15, spec: "20mbit,loss=high", error: /loss "high" is not a probability/ },
  { n: 16, spec: "20mbit,jitter=5", error: /jitter: "5" has no unit/ },
  { n: 17, spec: "20mbit,cost", error: /cost needs a value/ },
  { n: 18, spec: "trace:", error: /trace: needs a file/ },
  { n: 19, spec: "trace:/20ms", error: /trace: needs a file/ },
  { n: 20, spec: "trace:x.csv,format=pcap", error: /format "pcap" is not one of/ },
  { n: 21, spec: "20mbit,format=mahimahi", error: /format= applies to trace: links only/ },
];

for (const c of BAD) {
  Deno.test(`parseSimLink refuses #${c.n}: ${c.spec || "(empty)"}`, () => {
    assert.throws(() => parseSimLink(c.spec, 2), (e: unknown) => {
      assert.ok(e instanceof OptionError, String(e));
      assert.ok(e.message.startsWith(`link 2 "${c.spec}": `), e.message);
      assert.match(e.message, c.error);
      return true;
    });
  });
}

Deno.test("parseSimLinks splits a list: options follow their link", () => {
  const links = parseSimLinks("20mbit/20ms,cost=2, 10mbit/30ms,trace:a.up/40ms,priority=backup");
  assert.deepEqual(links.map((l) => [l.index, l.raw, l.costPerMB, l.priority]), [
    [1, "20mbit/20ms,cost=2", 2, "primary"],
    [2, "10mbit/30ms", 1, "primary"],
    [3, "trace:a.up/40ms,priority=backup", 1, "backup"],
  ]);
  assert.throws(() => parseSimLinks(""), /no links given/);
  assert.throws(() => parseSimLinks("20mbit,,10mbit"), /link 2 "": no rate/);
});

Deno.test("toSimLinkSpec builds the simulator's link, loading traces is the caller's", () => {
  const spec = toSimLinkSpec(parseSimLink("20mbit/30ms,cost=2,cap=1MB,loss=1%", 1));
  assert.deepEqual(spec, {
    name: "link1",
    capacity: 20e6,
    delayMs: 30,
    jitterMs: 0,
    loss: 0.01,
    costPerMB: 2,
    priority: "primary",
    capBytes: 1e6,
  });
  const traced = parseSimLink("trace:x.up/10ms", 2);
  assert.throws(() => toSimLinkSpec(traced), /its trace is not loaded/);
  const capacity = Capacity.looped([0], [1e6], 1000);
  const t = { format: "mahimahi" as const, source: "x.up", capacity, periodMs: 1000, meanBps: 1e6 };
  assert.equal(toSimLinkSpec(traced, t).capacity, capacity);
});
