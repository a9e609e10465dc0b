/**
 * The command line as a user meets it, with the real `bondctl` process: help of every command
 * (with examples where promised), the version, usage errors (exit 2, naming the flag), and
 * the commands whose issues have not landed yet. The runs are started all at once and checked
 * one by one, to keep the file fast.
 * @module
 */
import assert from "node:assert/strict";
import { VERSION } from "../../cli/version.ts";
import { assertNoStack, Lab, linesOf, type Run } from "./_e2e.ts";

/** Every `--flag` that an "Examples:" command line uses (comments aside) must be listed. */
function assertExamplesUseRealFlags(help: string): void {
  const [options, examples] = help.split("\nExamples:\n");
  assert.ok(examples, `no "Examples:" section in:\n${help}`);
  const known = new Set(options.match(/--[a-z][a-z-]*/g));
  const commands = examples.split("\n").map((l) => l.replace(/(^|\s)#.*$/, "")).join("\n");
  for (const flag of new Set(commands.match(/(?<=\s)--[a-z][a-z-]*/g))) {
    assert.ok(known.has(flag), `the examples use ${flag}, which the options do not list`);
  }
}

Deno.test("bondctl --help, --version, usage errors and unfinished commands", async (t) => {
  const lab = await Lab.open();
  try {
    const helps: [args: string[], usage: string, examples: boolean][] = [
      [["--help"], "bondctl [options] [command]", true],
      [["send", "--help"], "bondctl send [options]", true],
      [["receive", "--help"], "bondctl receive [options]", true],
      [["links", "--help"], "bondctl links [options] [command]", false],
      [["links", "scan", "--help"], "bondctl links scan [options]", false],
      [["bench", "--help"], "bondctl bench [options]", false],
      [["simulate", "--help"], "bondctl simulate [options]", false],
      [["demo", "--help"], "bondctl demo [options]", false],
    ];
    const usageErrors: [args: string[], names: RegExp][] = [
      [["send", "--server", "nohostport"], /--server.*nohostport/],
      [["receive", "--buffer", "3x"], /--buffer.*3x/],
      [["send", "--server", "127.0.0.1:7443", "--bogus"], /unknown option '--bogus'/],
      [["receive", "--bogus"], /unknown option '--bogus'/],
    ];
    const unfinished: string[][] = [];
    const versions = [["--version"], ["-V"]];

    // Start everything at once; each step below checks one run.
    const all = [...helps.map((h) => h[0]), ...usageErrors.map((u) => u[0]), ...unfinished];
    const runs = new Map<string, Run>();
    const results = await Promise.all([...all, ...versions].map((args) => lab.run(args)));
    [...all, ...versions].forEach((args, i) => runs.set(args.join(" "), results[i]));
    const run = (args: string[]) => runs.get(args.join(" "))!;

    for (const [args, usage, examples] of helps) {
      await t.step(`bondctl ${args.join(" ")} exits 0 with its usage`, () => {
        const r = run(args);
        assert.equal(r.code, 0, r.stderr);
        assert.ok(r.stdout.startsWith(`Usage: ${usage}\n`), r.stdout);
        if (examples) {
          assert.match(r.stdout, /\nExamples:\n/);
          // The root's examples use the subcommands' flags, which it does not list.
          if (args.length > 1) assertExamplesUseRealFlags(r.stdout);
        }
      });
    }

    await t.step("--version and -V print the version and exit 0", () => {
      for (const args of versions) {
        const r = run(args);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout.trim(), VERSION);
      }
    });

    for (const [args, names] of usageErrors) {
      await t.step(`bondctl ${args.join(" ")} is a usage error naming the flag`, () => {
        const r = run(args);
        assert.equal(r.code, 2, `exit 2 expected; stderr:\n${r.stderr}`);
        assert.match(r.stderr, names);
        assertNoStack(r.stderr);
      });
    }

    for (const args of unfinished) {
      await t.step(`bondctl ${args.join(" ")} says it is not available yet`, () => {
        const r = run(args);
        assert.notEqual(r.code, 0, r.stderr);
        const errors = linesOf(r.stderr);
        assert.equal(errors.length, 1, r.stderr);
        assert.match(errors[0], /not available yet/);
        assertNoStack(r.stderr);
      });
    }
  } finally {
    await lab.close();
  }
});
