import assert from "node:assert/strict";
import { parseScenario, ScenarioError } from "../../core/scenario/scenario.ts";
import { loadScenario, scenarioNames } from "../../core/scenario/scenario_io.ts";

Deno.test("every shipped scenario validates", async () => {
  const names = await scenarioNames();
  for (const n of ["patent-example", "four-modems", "four-modems-saturated", "modem-drop"]) {
    assert.ok(names.includes(n), `${n} is not shipped`);
  }
  for (const n of names) {
    const s = await loadScenario(n);
    assert.equal(s.name, n, `${n}.json names itself ${s.name}`);
  }
});

const good = {
  name: "x",
  description: "d",
  links: ["20mbit/20ms"],
  input: { kind: "cbr", rate: "1mbit" },
  duration: "10s",
};

// Numbered: each bad file and the phrase its error must contain.
const BAD: [number, string, unknown, RegExp][] = [
  [1, "not JSON", "{", /not valid JSON/],
  [2, "unknown key", { ...good, colour: "red" }, /colour|Unrecognized/],
  [3, "no links", { ...good, links: [] }, /links/],
  [4, "bad duration", { ...good, duration: "ten" }, /duration: a duration/],
  [5, "bad rate", { ...good, input: { kind: "cbr", rate: "fast" } }, /input\.rate: a rate/],
  [6, "unknown input kind", { ...good, input: { kind: "tv" } }, /input/],
  [7, "outage on a missing link", {
    ...good,
    outages: [{ link: 2, at: "1s", duration: "1s", kind: "closed" }],
  }, /outages\[0\]\.link: link 2 does not exist/],
  [8, "bad outage kind", {
    ...good,
    outages: [{ link: 1, at: "1s", duration: "1s", kind: "gone" }],
  }, /outages\[0\]\.kind/],
  [9, "bad name", { ...good, name: "Four Modems" }, /name: lowercase/],
];

for (const [n, what, body, says] of BAD) {
  Deno.test(`parseScenario() rejects #${n}: ${what}, naming the file and key`, () => {
    const text = typeof body === "string" ? body : JSON.stringify(body);
    assert.throws(() => parseScenario(text, "bad.json"), (e: unknown) => {
      assert.ok(e instanceof ScenarioError);
      assert.match(e.message, /^bad\.json: /);
      assert.match(e.message, says);
      return true;
    });
  });
}

Deno.test("parseScenario() turns units into numbers", () => {
  const s = parseScenario(JSON.stringify(good), "good.json");
  assert.equal(s.duration, 10_000);
  assert.deepEqual(s.input, { kind: "cbr", rate: 1_000_000 });
});

Deno.test("loadScenario() lists the shipped names when one is unknown", async () => {
  await assert.rejects(
    () => loadScenario("nope"),
    /no scenario named nope \(shipped: .*four-modems/,
  );
});
