/**
 * `deno task docs`: writes docs/CLI.md from the command tree, and docs/STATS.md from the
 * `--stats` schema.
 * @module
 */
import type { Command } from "@commander-js/extra-typings";
import { buildProgram } from "./main.ts";
import { commandModel } from "./command_model.ts";
import { referenceDoc } from "./reference_doc.ts";
import { statsReference } from "../core/status/schema_doc.ts";

const target = new URL("../docs/CLI.md", import.meta.url);
const model = commandModel(
  buildProgram() as unknown as Command<unknown[], Record<string, unknown>>,
);
await Deno.writeTextFile(target, referenceDoc(model));
console.error(`wrote ${target.pathname}`);
const stats = new URL("../docs/STATS.md", import.meta.url);
await Deno.writeTextFile(stats, statsReference());
console.error(`wrote ${stats.pathname}`);
