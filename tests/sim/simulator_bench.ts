// Benchmarks of the simulator (core/sim/simulator.ts): wall time per simulated run, the
// figure behind "ten simulated minutes of four 40 Mbit/s links in under 10 s". Run with
// `deno bench --allow-read --allow-env tests/sim/simulator_bench.ts`; sim-seconds per
// wall-second = simulated seconds / the mean time shown. No wall time is asserted.

import { runSimulation } from "../../core/sim/simulator.ts";
import type { SimConfig } from "../../core/sim/sim_types.ts";
import { proportionalPolicy } from "../../core/scheduler/proportional.ts";

function fourLinks(durationMs: number, input: SimConfig["input"]): SimConfig {
  return {
    links: [1, 2, 3, 4].map((i) => ({ capacity: 40e6, delayMs: 10 + 10 * i })),
    input,
    durationMs,
    seed: 1,
    policy: proportionalPolicy(),
    bufferMs: 3000,
    maxBufferBytes: 32 << 20,
  };
}

Deno.bench({
  name: "4 x 40 Mbit/s, saturating, 600 s simulated",
  group: "simulator",
  baseline: true,
  n: 3,
  warmup: 1,
  fn: () => {
    runSimulation(fourLinks(600_000, { kind: "saturating" }));
  },
});

Deno.bench({
  name: "4 x 40 Mbit/s, cbr 120 Mbit/s, 60 s simulated",
  group: "simulator",
  n: 3,
  warmup: 1,
  fn: () => {
    runSimulation(fourLinks(60_000, { kind: "cbr", bitrateBps: 120e6 }));
  },
});

Deno.bench({
  name: "4 x 40 Mbit/s with 10 ms jitter and 0.01 % loss, video 100 Mbit/s, 60 s simulated",
  group: "simulator",
  n: 3,
  warmup: 1,
  fn: () => {
    const cfg = fourLinks(60_000, { kind: "video", bitrateBps: 100e6 });
    cfg.links = cfg.links.map((l) => ({ ...l, jitterMs: 10, loss: 0.0001 }));
    runSimulation(cfg);
  },
});
