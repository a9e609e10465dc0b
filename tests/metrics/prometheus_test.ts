// Tests for core/metrics/prometheus.ts (the registry and its text) and for the test parser
// itself: 1. rendering parses back with the same values; 2. escapes of HELP and label values,
// as a table; 3. names and label sets that break the grammar are refused; 4. the parser
// refuses broken text (so that a passing parse means something).
import assert from "node:assert/strict";
import {
  escapeHelp,
  escapeLabelValue,
  formatValue,
  MetricNameError,
  MetricRegistry,
} from "../../core/metrics/prometheus.ts";
import { parsePrometheus, valueOf } from "./_prom_parser.ts";

Deno.test("MetricRegistry.render() parses back with every value, HELP and TYPE", () => {
  const r = new MetricRegistry();
  r.gauge("g_one", "A gauge").set(2.5);
  const c = r.counter("c_things_total", "Things, by kind", ["kind", "side"]);
  c.inc(1, { kind: "a", side: "left" });
  c.inc(2, { kind: "a", side: "left" });
  c.set(7, { kind: "b", side: "right" });
  r.gauge("g_inf", "Infinite").set(Infinity);
  const text = r.render();
  const f = parsePrometheus(text);
  assert.equal(f.get("g_one")?.type, "gauge");
  assert.equal(f.get("g_one")?.help, "A gauge");
  assert.equal(f.get("c_things_total")?.type, "counter");
  assert.equal(valueOf(f, "c_things_total", { kind: "a" }), 3);
  assert.equal(valueOf(f, "c_things_total", { kind: "b", side: "right" }), 7);
  assert.equal(valueOf(f, "g_inf"), Infinity);
  assert.ok(text.endsWith("\n"));
});

Deno.test("escapes: HELP and label values survive every special character", () => {
  // [input, escaped label value, escaped HELP]
  const table: [string, string, string][] = [
    ["plain", "plain", "plain"],
    ['say "hi"', 'say \\"hi\\"', 'say "hi"'],
    ["back\\slash", "back\\\\slash", "back\\\\slash"],
    ["two\nlines", "two\\nlines", "two\\nlines"],
    ['\\"\n', '\\\\\\"\\n', '\\\\"\\n'],
    ["ünïcødé ✓", "ünïcødé ✓", "ünïcødé ✓"],
  ];
  for (const [input, label, help] of table) {
    assert.equal(escapeLabelValue(input), label, input);
    assert.equal(escapeHelp(input), help, input);
    const r = new MetricRegistry();
    r.gauge("g", input, ["l"]).set(1, { l: input });
    const f = parsePrometheus(r.render());
    assert.equal(f.get("g")?.help, input);
    assert.equal(f.get("g")?.samples[0].labels.l, input);
  }
});

Deno.test("formatValue() writes what Go's ParseFloat reads", () => {
  const table: [number, string][] = [
    [0, "0"],
    [42, "42"],
    [-1.5, "-1.5"],
    [1e21, "1e+21"],
    [NaN, "NaN"],
    [Infinity, "+Inf"],
    [-Infinity, "-Inf"],
  ];
  for (const [v, s] of table) assert.equal(formatValue(v), s);
});

Deno.test("MetricRegistry refuses names, labels and values that break the format", () => {
  const r = new MetricRegistry();
  assert.throws(() => r.gauge("1bad", "x"), MetricNameError);
  assert.throws(() => r.gauge("bad-name", "x"), MetricNameError);
  assert.throws(() => r.counter("no_suffix", "x"), /must end in _total/);
  assert.throws(() => r.gauge("g", "x", ["__reserved"]), MetricNameError);
  assert.throws(() => r.gauge("g2", "x", ["a", "a"]), /repeats/);
  const g = r.gauge("g3", "x", ["a"]);
  assert.throws(() => g.set(1), /takes labels \[a\]/);
  assert.throws(() => g.set(1, { a: "1", b: "2" }), /takes labels/);
  const c = r.counter("c_total", "x");
  assert.throws(() => c.set(-1), RangeError);
  assert.throws(() => c.set(NaN), RangeError);
  assert.throws(() => r.gauge("c_total", "again"), /declared twice/);
});

Deno.test("the test parser refuses broken exposition text", () => {
  const bad: [string, RegExp][] = [
    ["m 1", /line feed/],
    ['m{a="1} 1\n', /unterminated/],
    ['m{a="\\t"} 1\n', /bad escape/],
    ["m{a=1} 1\n", /has no ="/],
    ["m one\n", /not a number/],
    ["m 1 2 3\n", /expected/],
    ["m1\n", /expected/],
    ["# TYPE m counter\nm -1\n", /counter m is -1/],
    ["# TYPE m gauge\n# TYPE m gauge\n", /second TYPE/],
    ["m 1\n# TYPE m gauge\n", /TYPE after samples/],
    ['a 1\nb 1\na{x="1"} 1\n', /not together/],
    ["a 1\na 2\n", /repeated/],
    ["# TYPE m gaug\n", /unknown type/],
  ];
  for (const [text, re] of bad) assert.throws(() => parsePrometheus(text), re, text);
});
