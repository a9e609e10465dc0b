import assert from "node:assert/strict";
import { renderChart } from "../../core/report/svg_chart.ts";

Deno.test("renderChart() draws every series of every panel with its legend", () => {
  const svg = renderChart({
    title: "four <modems>",
    xLabel: "time (s)",
    panels: [
      {
        title: "throughput",
        yLabel: "bit/s",
        series: [
          { name: "link 1", points: [[0, 1e6], [1, 2e6], [2, 1.5e6]] },
          { name: "link 2", points: [[0, 5e5], [1, 5e5], [2, 0]] },
        ],
      },
      { title: "delay", yLabel: "ms", series: [{ name: "p99", points: [[0, 40], [2, 60]] }] },
    ],
  });
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.equal(svg.match(/<path /g)?.length, 3);
  for (const name of ["link 1", "link 2", "p99", "four &lt;modems&gt;"]) {
    assert.ok(svg.includes(name));
  }
  assert.ok(svg.trimEnd().endsWith("</svg>"));
});

Deno.test("renderChart() survives empty series and non-finite points", () => {
  const svg = renderChart({
    title: "empty",
    xLabel: "t",
    panels: [{
      title: "p",
      yLabel: "y",
      series: [{ name: "a", points: [[0, NaN]] }, { name: "b", points: [] }],
    }],
  });
  assert.ok(!svg.includes("NaN"));
});
