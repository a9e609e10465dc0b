/**
 * The generated CLI reference and completions stay true to the CLI: docs/CLI.md must equal
 * what `deno task docs` would write now, and each shell accepts its completion script.
 */
import assert from "node:assert/strict";
import type { Command } from "@commander-js/extra-typings";
import { buildProgram } from "../../cli/main.ts";
import { commandModel, flatten } from "../../cli/command_model.ts";
import { referenceDoc } from "../../cli/reference_doc.ts";
import { completionScript, type Shell } from "../../cli/completion_scripts.ts";
import { haveTool } from "../_helpers/bondctl.ts";

const model = () =>
  commandModel(buildProgram() as unknown as Command<unknown[], Record<string, unknown>>);

Deno.test("docs/CLI.md matches the CLI's own definitions (run `deno task docs` if not)", async () => {
  const committed = await Deno.readTextFile(new URL("../../docs/CLI.md", import.meta.url));
  assert.equal(committed, referenceDoc(model()), "docs/CLI.md is stale: run `deno task docs`");
});

Deno.test("the reference documents every command and every option", () => {
  const m = model();
  const doc = referenceDoc(m);
  for (const c of flatten(m)) {
    assert.ok(doc.includes(`## \`${["bondctl", ...c.path].join(" ")}\``), c.path.join(" "));
    for (const o of c.options) assert.ok(doc.includes(o.long), `${c.path.join(" ")} ${o.long}`);
  }
});

const SHELLS: [Shell, string, string[]][] = [
  ["bash", "bash", ["-n"]],
  ["zsh", "zsh", ["-n"]],
  ["fish", "fish", ["--no-execute"]],
];

for (const [shell, bin, args] of SHELLS) {
  const present = await haveTool(bin);
  if (!present) console.log(`skip: ${bin} is not installed, its completion script is not parsed`);
  Deno.test({
    name: `the ${shell} completion script parses and names every command`,
    ignore: !present,
    async fn() {
      const m = model();
      const script = completionScript(shell, m);
      for (const c of flatten(m)) {
        const last = c.path.at(-1);
        if (last) assert.ok(script.includes(last), `${shell}: ${c.path.join(" ")} missing`);
      }
      const dir = await Deno.makeTempDir();
      try {
        const file = `${dir}/bondctl.${shell}`;
        await Deno.writeTextFile(file, script);
        const r = await new Deno.Command(bin, { args: [...args, file], stderr: "piped" }).output();
        assert.ok(r.success, new TextDecoder().decode(r.stderr));
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}
