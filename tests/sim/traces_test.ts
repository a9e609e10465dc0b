// Tests of the trace parsers (core/sim/traces.ts) and loader (core/sim/trace_io.ts):
// 1. each format on the fixtures in fixtures/traces/, against the figures in
//    ../shared/traces/README.md;
// 2. format detection, as a numbered table;
// 3. malformed input, as a numbered table: each error names the file and line.

import assert from "node:assert/strict";
import {
  detectTraceFormat,
  parseMahimahi,
  parseNyuMets,
  parseTrace,
  parseUcc5g,
  TraceError,
  type TraceFormat,
} from "../../core/sim/traces.ts";
import { loadTrace } from "../../core/sim/trace_io.ts";

const FIXTURES = new URL("../../fixtures/traces/", import.meta.url);
const fixture = (p: string) => Deno.readTextFileSync(new URL(p, FIXTURES));
const mbps = (bps: number) => bps / 1e6;

// ---- 1. Fixtures ----

Deno.test("parseMahimahi reads the fixture uplinks with the README's means", () => {
  const lte = parseMahimahi(fixture("mahimahi/TMobile-LTE-short.up"), "TMobile-LTE-short.up");
  assert.equal(lte.format, "mahimahi");
  assert.equal(lte.periodMs, 140_000);
  assert.ok(Math.abs(mbps(lte.meanBps) - 13.32) < 0.01, `mean ${mbps(lte.meanBps)}`);
  const att = parseMahimahi(fixture("mahimahi/ATT-LTE-driving.up"), "ATT-LTE-driving.up");
  assert.ok(Math.abs(mbps(att.meanBps) - 0.83) < 0.01, `mean ${mbps(att.meanBps)}`);
  // The trace loops: one period later it carries exactly one period's bytes more.
  const c = att.capacity;
  const per = c.cumBytes(att.periodMs);
  assert.ok(Math.abs(c.bytesBetween(1234, 1234 + att.periodMs) - per) < 1e-3);
});

Deno.test("parseUcc5g reads DL_bitrate (kbit/s) of the fixture log", () => {
  const t = parseUcc5g(fixture("ucc-5g/driving_B_2019.12.16_07.22.43.csv"), "driving.csv");
  assert.equal(t.format, "ucc-5g");
  assert.equal(t.periodMs, 2_597_000);
  // The README's 24.97 Mbit/s skips missing seconds; holding the previous rate over them
  // gives a little less.
  assert.ok(mbps(t.meanBps) > 23 && mbps(t.meanBps) < 26, `mean ${mbps(t.meanBps)}`);
  assert.ok(mbps(t.capacity.bpsAt(0)) >= 0);
});

Deno.test("parseUcc5g averages rows in one second and holds over missing seconds", () => {
  const csv = [
    "Timestamp,Speed,DL_bitrate,UL_bitrate",
    "2020.01.16_10.43.34,0,1000,5",
    "2020.01.16_10.43.34,0,3000,5",
    "2020.01.16_10.43.36,0,500,5", // 35 is missing
    "",
  ].join("\n");
  const t = parseUcc5g(csv, "x.csv");
  assert.equal(t.periodMs, 3000);
  assert.equal(t.capacity.bpsAt(500), 2e6);
  assert.equal(t.capacity.bpsAt(1500), 2e6);
  assert.equal(t.capacity.bpsAt(2500), 0.5e6);
  assert.equal(parseUcc5g(csv, "x.csv", { column: "UL_bitrate" }).capacity.bpsAt(0), 5000);
});

Deno.test("parseNyuMets reads mixed units of the fixture (CRLF lines)", () => {
  const t = parseNyuMets(fixture("nyu-mets/bus57.csv"), "bus57.csv");
  assert.equal(t.format, "nyu-mets");
  assert.equal(t.periodMs, 2_403_000);
  assert.ok(Math.abs(mbps(t.meanBps) - 7.21) < 0.01, `mean ${mbps(t.meanBps)}`);
  const mixed = parseNyuMets("value,unit\r\n1,Mbits/sec\r\n500,Kbits/sec\r\n0,bits/sec\r\n", "m");
  assert.deepEqual([0, 1000, 2000].map((t) => mixed.capacity.bpsAt(t)), [1e6, 5e5, 0]);
});

Deno.test("loadTrace detects each fixture's format, or takes it as given", async () => {
  const files: [string, TraceFormat][] = [
    ["mahimahi/ATT-LTE-driving.up", "mahimahi"],
    ["ucc-5g/driving_B_2019.12.16_07.22.43.csv", "ucc-5g"],
    ["nyu-mets/bus57.csv", "nyu-mets"],
  ];
  for (const [file, format] of files) {
    const path = new URL(file, FIXTURES).pathname;
    assert.equal((await loadTrace(path)).format, format, file);
    assert.equal((await loadTrace(path, format)).format, format, file);
  }
  await assert.rejects(() => loadTrace("/nonexistent/x.up"), (e: unknown) => {
    assert.ok(e instanceof TraceError);
    assert.match(e.message, /^\/nonexistent\/x\.up: cannot read the trace/);
    return true;
  });
  await assert.rejects(
    () => loadTrace(new URL("nyu-mets/bus57.csv", FIXTURES).pathname, "mahimahi"),
    /bus57\.csv:1: "3\.97,Mbits\/sec" is not a millisecond timestamp/,
  );
});

// ---- 2. Detection ----

const DETECT: { n: number; name: string; text: string; format: TraceFormat | RegExp }[] = [
  { n: 1, name: "a.up", text: "anything", format: "mahimahi" },
  { n: 2, name: "a.DOWN", text: "", format: "mahimahi" },
  { n: 3, name: "trace.txt", text: "\n# comment\n12\n13\n", format: "mahimahi" },
  { n: 4, name: "log.csv", text: "Timestamp,Longitude,DL_bitrate\n", format: "ucc-5g" },
  { n: 5, name: "t.csv", text: "6.21,Mbits/sec\r\n", format: "nyu-mets" },
  { n: 6, name: "t.csv", text: "0,bits/sec\n", format: "nyu-mets" },
  { n: 7, name: "t.dat", text: "hello world\n", format: /cannot tell the trace format/ },
  { n: 8, name: "empty.csv", text: " \n\n", format: /empty file/ },
];

for (const c of DETECT) {
  Deno.test(`detectTraceFormat #${c.n}: ${c.name}`, () => {
    if (typeof c.format === "string") assert.equal(detectTraceFormat(c.name, c.text), c.format);
    else assert.throws(() => detectTraceFormat(c.name, c.text), c.format);
  });
}

// ---- 3. Malformed input ----

const MALFORMED: { n: number; format: TraceFormat; text: string; error: RegExp }[] = [
  { n: 1, format: "mahimahi", text: "", error: /^f: no timestamps/ },
  { n: 2, format: "mahimahi", text: "1\n2\nx3\n", error: /^f:3: "x3" is not a millisecond/ },
  { n: 3, format: "mahimahi", text: "5\n4\n", error: /^f:2: timestamp 4 ms goes back/ },
  { n: 4, format: "mahimahi", text: "0\n0\n", error: /^f: every timestamp is 0/ },
  { n: 5, format: "mahimahi", text: "1\n-2\n", error: /^f:2: "-2" is not/ },
  { n: 6, format: "mahimahi", text: "1.5\n", error: /^f:1: "1.5" is not/ },
  { n: 7, format: "ucc-5g", text: "", error: /^f: empty file/ },
  { n: 8, format: "ucc-5g", text: "Timestamp,UL_bitrate\n", error: /^f:1: .*no DL_bitrate/ },
  { n: 9, format: "ucc-5g", text: "Timestamp,DL_bitrate\n", error: /^f: a header but no rows/ },
  {
    n: 10,
    format: "ucc-5g",
    text: "Timestamp,DL_bitrate\n2020-01-16 10:43:34,5\n",
    error: /^f:2: timestamp "2020-01-16 10:43:34" is not YYYY/,
  },
  {
    n: 11,
    format: "ucc-5g",
    text: "Timestamp,DL_bitrate\n\n2020.01.16_10.43.34,-\n",
    error: /^f:3: DL_bitrate "-" is not a number/,
  },
  {
    n: 12,
    format: "ucc-5g",
    text: "Timestamp,DL_bitrate\n2020.01.16_10.43.34,1\n2020.01.16_10.43.33,1\n",
    error: /^f:3: time goes back/,
  },
  { n: 13, format: "nyu-mets", text: "", error: /^f: no samples/ },
  { n: 14, format: "nyu-mets", text: "1,Mbits/sec\n2\n", error: /^f:2: "2" is not "value,unit"/ },
  {
    n: 15,
    format: "nyu-mets",
    text: "1,Mbits/sec\n2,MB/s\n",
    error: /^f:2: unknown unit "MB\/s"/,
  },
  { n: 16, format: "nyu-mets", text: "1,Mbits/sec\n-1,Mbits/sec\n", error: /^f:2: / },
];

for (const c of MALFORMED) {
  Deno.test(`parseTrace rejects malformed ${c.format} #${c.n}`, () => {
    assert.throws(() => parseTrace(c.text, "f", c.format), (e: unknown) => {
      assert.ok(e instanceof TraceError, String(e));
      assert.match(e.message, c.error);
      assert.equal(e.source, "f");
      return true;
    });
  });
}

Deno.test("parseMahimahi tolerates a header, comments and blank lines", () => {
  const t = parseMahimahi("timestamp_ms\n# recorded 2024\n\n1\n1\n\n2\n4\n", "h.up");
  assert.equal(t.periodMs, 4);
  assert.equal(t.meanBps, 12e6);
});
