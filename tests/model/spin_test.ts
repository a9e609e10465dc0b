// Model-checks docs/model/bondctl.pml with spin: a numbered table of sizes (up to three links),
// each an exhaustive search that must find no assertion violation and no invalid end state
// (deadlock), with the states explored printed; then the model's seeded bugs, each of which
// must be caught (so a green run means the properties are really checked). Skipped, with the
// reason, when spin or gcc is missing (.ci/run installs both).

import assert from "node:assert/strict";
import { haveTool } from "../_helpers/bondctl.ts";

const MODEL = new URL("../../docs/model/bondctl.pml", import.meta.url).pathname;
const tools = { spin: await haveTool("spin"), gcc: await haveTool("gcc") };
const missing = Object.entries(tools).filter(([, ok]) => !ok).map(([t]) => t);
if (missing.length > 0) console.log(`skip: the spin model check needs ${missing.join(" and ")}`);

interface Size {
  n: number;
  links: number;
  blocks: number;
  deaths: number;
  giveups: number;
  cap: number;
}

/** Exhaustive searches: each well under a minute on this machine's two cores. */
const SIZES: Size[] = [
  { n: 1, links: 1, blocks: 4, deaths: 2, giveups: 2, cap: 2 },
  { n: 2, links: 2, blocks: 4, deaths: 2, giveups: 1, cap: 1 },
  { n: 3, links: 3, blocks: 2, deaths: 2, giveups: 2, cap: 1 },
  { n: 4, links: 3, blocks: 3, deaths: 1, giveups: 1, cap: 1 },
  { n: 5, links: 3, blocks: 3, deaths: 2, giveups: 0, cap: 1 },
];

/** Each seeded bug and what spin must report. */
const BUGS: [bug: string, expect: RegExp][] = [
  ["BUG_NO_REQUEUE", /invalid end state/],
  ["BUG_FIN_EARLY", /assertion violated \(delivered==/],
  ["BUG_DUP_DELIVER", /assertion violated \(delivered<=/],
];

interface Verdict {
  errors: number;
  states: number;
  transitions: number;
  seconds: number;
  output: string;
}

async function run(cmd: string, args: string[], cwd: string): Promise<string> {
  const r = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" }).output();
  const dec = new TextDecoder();
  const out = dec.decode(r.stdout) + dec.decode(r.stderr);
  if (!r.success && cmd !== "./pan") throw new Error(`${cmd} ${args.join(" ")} failed:\n${out}`);
  return out;
}

/** spin -a, gcc, ./pan for one size (and optionally one seeded bug). */
async function check(s: Omit<Size, "n">, bug?: string): Promise<Verdict> {
  const dir = await Deno.makeTempDir({ prefix: "bondctl-spin-" });
  try {
    const defs = [
      `-DLINKS=${s.links}`,
      `-DBLOCKS=${s.blocks}`,
      `-DDEATHS=${s.deaths}`,
      `-DGIVEUPS=${s.giveups}`,
      `-DCAP=${s.cap}`,
      ...(bug ? [`-D${bug}`] : []),
    ];
    await Deno.copyFile(MODEL, `${dir}/bondctl.pml`);
    await run("spin", ["-a", ...defs, "bondctl.pml"], dir);
    await run("gcc", ["-O2", "-DSAFETY", "-DCOLLAPSE", "-w", "-o", "pan", "pan.c"], dir);
    const t0 = performance.now();
    const output = await run("./pan", ["-m3000000"], dir);
    const seconds = (performance.now() - t0) / 1000;
    const num = (re: RegExp) => Number(re.exec(output)?.[1] ?? NaN);
    assert.doesNotMatch(output, /max search depth too small/, output);
    return {
      errors: num(/errors: (\d+)/),
      states: num(/(\d+) states, stored/),
      transitions: num(/(\d+) transitions/),
      seconds,
      output,
    };
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

for (const s of SIZES) {
  Deno.test({
    name: `spin ${s.n}: ${s.links} link(s), ${s.blocks} blocks, ${s.deaths} deaths, ` +
      `${s.giveups} give-ups: exactly once, in order, no deadlock`,
    ignore: missing.length > 0,
    async fn() {
      const v = await check(s);
      console.log(
        `spin ${s.n}: ${v.states} states stored, ${v.transitions} transitions, ` +
          `${v.errors} errors, ${v.seconds.toFixed(1)} s`,
      );
      assert.equal(v.errors, 0, v.output);
      assert.ok(v.states > 0, v.output);
    },
  });
}

Deno.test({
  name: "spin catches each seeded bug of the model",
  ignore: missing.length > 0,
  async fn(t) {
    for (const [bug, expect] of BUGS) {
      await t.step(bug, async () => {
        const v = await check({ links: 2, blocks: 3, deaths: 1, giveups: 1, cap: 1 }, bug);
        assert.ok(v.errors > 0, `spin found nothing with ${bug}:\n${v.output}`);
        assert.match(v.output, expect);
      });
    }
  },
});
