/**
 * docs/STATS.md stays true to the `--stats` schema: it must equal what `deno task docs` would
 * write now, name every field of the schema, and its example must validate.
 */
import assert from "node:assert/strict";
import { z } from "zod";
import { EXAMPLE_SNAPSHOT, statsReference } from "../../core/status/schema_doc.ts";
import { StatusSnapshotSchema } from "../../core/status/snapshot.ts";

Deno.test("docs/STATS.md matches the snapshot schema (run `deno task docs` if not)", async () => {
  const committed = await Deno.readTextFile(new URL("../../docs/STATS.md", import.meta.url));
  assert.equal(committed, statsReference(), "docs/STATS.md is stale: run `deno task docs`");
});

Deno.test("docs/STATS.md documents every field of every object in the schema", () => {
  const doc = statsReference();
  const walk = (s: z.ZodType, path: string) => {
    if (s instanceof z.ZodNullable) return walk(s.unwrap() as z.ZodType, path);
    if (s instanceof z.ZodArray) return walk(s.element as z.ZodType, `${path}[]`);
    if (!(s instanceof z.ZodObject)) return;
    for (const [k, v] of Object.entries(s.shape)) {
      const row = new RegExp(`^\\| \`${k}\` +\\| .+ \\| .*\\w.* \\|$`, "m");
      assert.match(doc, row, `${path}.${k} has no row with a meaning`);
      walk(v as z.ZodType, path ? `${path}.${k}` : k);
    }
  };
  walk(StatusSnapshotSchema, "");
  assert.doesNotThrow(() => StatusSnapshotSchema.parse(EXAMPLE_SNAPSHOT));
});
