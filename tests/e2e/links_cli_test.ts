/**
 * `bondctl links` as a user meets it, with the real process: the help of every subcommand
 * (with examples that use real flags), usage errors (exit 2, naming the flag), runtime errors
 * (exit 1, one line), `links scan` on this machine, and `links up --dry-run`, which prints
 * the files and commands and writes nothing.
 * @module
 */
import assert from "node:assert/strict";
import { pppChatScript, pppOptionsSchema, pppPeerFile } from "../../core/links/mod.ts";
import { assertNoStack, assertOneErrorLine, Lab, type Run } from "./_e2e.ts";

/** Every `--flag` of an example command line must be one of the command's options. */
function assertExamplesUseRealFlags(help: string): void {
  const [options, examples] = help.split("\nExamples:\n");
  assert.ok(examples, `no "Examples:" section in:\n${help}`);
  const known = new Set(options.match(/--[a-z][a-z-]*/g));
  const lines = examples.split("\n").filter((l) =>
    /^\s+(sudo )?bondctl /.test(l) || /^\s+--/.test(l)
  );
  const commands = lines.map((l) => l.replace(/(^|\s)#.*$/, "")).join("\n");
  for (const flag of new Set(commands.match(/(?<=\s)--[a-z][a-z-]*/g))) {
    assert.ok(known.has(flag), `the examples use ${flag}, which the options do not list`);
  }
}

Deno.test("bondctl links: help, usage errors, errors, scan and dry runs", async (t) => {
  const lab = await Lab.open();
  try {
    const helps: [string[], string][] = [
      [["links", "--help"], "bondctl links [options] [command]"],
      [["links", "scan", "--help"], "bondctl links scan [options]"],
      [["links", "up", "--help"], "bondctl links up [options] <type>"],
      [["links", "down", "--help"], "bondctl links down [options] <name>"],
      [["links", "route", "--help"], "bondctl links route [options]"],
    ];
    const usage: [string[], RegExp][] = [
      [["links", "up", "ppp", "--apn", "internet", "--name", "ppp1"], /--device/],
      [
        ["links", "up", "modem", "--device", "/dev/ttyUSB2", "--apn", "a", "--name", "p"],
        /'modem' is invalid for argument 'type'\. Allowed choices are ppp/,
      ],
      [["links", "route", "--table-base", "x"], /--table-base must be a whole number/],
      [["links", "route", "--priority", "40000"], /--priority must be a whole number 1\.\.32765/],
      [["links", "scan", "--probe", "nohostport"], /--probe/],
      [["links", "route", "--exclude", "a/b"], /neither an interface name nor a kind/],
      [["send", "--server", "127.0.0.1:1", "--link", "auto", "--exclude", "x y"], /--exclude/],
    ];
    const dir = lab.path("peers");
    const dryArgs = [
      "links",
      "up",
      "ppp",
      "--device",
      "/dev/ttyUSB2",
      "--apn",
      "internet",
      "--name",
      "ppp1",
      "--password",
      "s3cret",
      "--peers-dir",
      dir,
      "--via",
      "pppd",
      "--dry-run",
    ];
    const errors: [string[], RegExp][] = [
      [[
        "links",
        "up",
        "ppp",
        "--device",
        "ttyUSB2",
        "--apn",
        "internet",
        "--name",
        "ppp1",
        "--dry-run",
      ], /--device must be a serial device path/],
      [[
        "links",
        "up",
        "ppp",
        "--device",
        "/dev/ttyUSB2",
        "--apn",
        "in ternet",
        "--name",
        "ppp1",
        "--dry-run",
      ], /--apn must be an APN/],
      [["links", "route", "--apply", "--remove"], /give --apply or --remove, not both/],
      [
        ["links", "scan", "--pin", `sha256:${"a".repeat(64)}`],
        /--pin, --ca and --servername go with --probe/,
      ],
      [
        ["links", "down", "nosuch0", "--run-dir", lab.dir, "--dry-run"],
        /nothing to stop for nosuch0/,
      ],
      [[
        "send",
        "--server",
        "127.0.0.1:1",
        "--pin",
        `sha256:${"a".repeat(64)}`,
        "--token",
        "t",
        "--exclude",
        "wifi",
      ], /--exclude works with --link auto/],
    ];
    const scans = [["links", "scan"], ["links", "scan", "--json"], ["links", "route"]];
    const all = [
      ...helps.map((h) => h[0]),
      ...usage.map((u) => u[0]),
      ...errors.map((e) => e[0]),
      ...scans,
      dryArgs,
    ];
    const results = await Promise.all(all.map((a) => lab.run(a)));
    const runs = new Map<string, Run>(all.map((a, i) => [a.join(" "), results[i]]));
    const run = (a: string[]) => runs.get(a.join(" "))!;

    for (const [args, line] of helps) {
      await t.step(`bondctl ${args.join(" ")} shows its usage and examples`, () => {
        const r = run(args);
        assert.equal(r.code, 0, r.stderr);
        assert.ok(r.stdout.startsWith(`Usage: ${line}\n`), r.stdout);
        // `links --help` shows its subcommands' examples, whose flags it does not list.
        if (args.length > 2) assertExamplesUseRealFlags(r.stdout);
        else assert.match(r.stdout, /\nExamples:\n/);
      });
    }
    for (const [args, names] of usage) {
      await t.step(`bondctl ${args.join(" ")} is a usage error`, () => {
        const r = run(args);
        assert.equal(r.code, 2, `exit 2 expected:\n${r.stderr}`);
        assert.match(r.stderr, names);
        assertNoStack(r.stderr);
      });
    }
    for (const [args, cause] of errors) {
      await t.step(`bondctl ${args.join(" ")} fails with one clear line`, () => {
        assertOneErrorLine(run(args), cause);
      });
    }
    await t.step("links scan prints the table, and JSON with --json", () => {
      const table = run(["links", "scan"]);
      assert.equal(table.code, 0, table.stderr);
      assert.match(
        table.stdout,
        /^(NAME\s+KIND\s+STATE\s+ADDRESSES\s+GATEWAY\s+MTU\s+PROVIDER\s+TECH\s+SIGNAL|no usable link)/,
      );
      assert.match(table.stdout, /left out: .*lo \(loopback\)/);
      const json = JSON.parse(run(["links", "scan", "--json"]).stdout);
      assert.ok(
        Array.isArray(json.links) && Array.isArray(json.excluded) && Array.isArray(json.tools),
      );
      assert.ok(
        json.tools.some((x: { tool: string }) => x.tool === "mmcli"),
        "mmcli's status is reported",
      );
      assert.equal(run(["links", "route"]).code, 0, run(["links", "route"]).stderr);
    });
    await t.step(
      "links up --dry-run prints the files and the command, and writes nothing",
      async () => {
        const r = run(dryArgs);
        assert.equal(r.code, 0, r.stderr);
        const o = pppOptionsSchema.parse({
          name: "ppp1",
          device: "/dev/ttyUSB2",
          apn: "internet",
          password: "s3cret",
          peersDir: dir,
        });
        const indent = (s: string) => s.trimEnd().split("\n").map((l) => `  ${l}`).join("\n");
        assert.equal(
          r.stdout,
          [
            "method: pppd (--via pppd)",
            `would write ${dir}/ppp1 (mode 600):`,
            indent(pppPeerFile(o).replace('password "s3cret"', 'password "***"')),
            `would write ${dir}/ppp1.chat (mode 644):`,
            indent(pppChatScript(o)),
            `would run: pppd file ${dir}/ppp1`,
            "would wait up to 60 s for ppp1 and its address",
            "",
          ].join("\n"),
        );
        assert.doesNotMatch(r.stdout, /s3cret/);
        await assert.rejects(Deno.stat(dir), Deno.errors.NotFound, "--dry-run wrote something");
      },
    );
  } finally {
    await lab.close();
  }
});
