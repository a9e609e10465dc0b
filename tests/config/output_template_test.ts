// Tests of `receive --output` templates (core/config/output_template.ts): numbered tables of
// templates that parse or not, of expansions (including values that would leave the
// directory and must be refused), and of the fixed directory made at start-up.

import assert from "node:assert/strict";
import {
  expandOutput,
  fixedDirectory,
  parseOutputTemplate,
} from "../../core/config/output_template.ts";
import { OptionError } from "../../core/config/units.ts";

const PARSE: [n: number, text: string, ok: RegExp | string[]][] = [
  [1, "-", []],
  [2, "out.ts", []],
  [3, "streams/{client}-{session}.ts", ["client", "session"]],
  [4, "/srv/{date}/{client}.ts", ["date", "client"]],
  [5, "s/{clinet}.ts", /unknown placeholder \{clinet\}/],
  [6, "s/{client.ts", /unmatched brace/],
  [7, "s/client}.ts", /unmatched brace/],
  [8, "", /empty/],
];

for (const [n, text, ok] of PARSE) {
  Deno.test(`parseOutputTemplate() case ${n}: "${text}"`, () => {
    if (ok instanceof RegExp) {
      assert.throws(
        () => parseOutputTemplate(text),
        (e: Error) => e instanceof OptionError && ok.test(e.message),
      );
    } else {
      assert.deepEqual([...parseOutputTemplate(text).placeholders], ok);
    }
  });
}

const DATE = new Date(Date.UTC(2026, 0, 2, 3, 4, 5));
const EXPAND: [n: number, text: string, client: string, session: string, want: string | RegExp][] =
  [
    [1, "s/{client}-{session}.ts", "van-1", "00ff", "s/van-1-00ff.ts"],
    [2, "{date}_{client}.ts", "a", "0", "20260102-030405_a.ts"],
    [3, "fixed.ts", "a", "0", "fixed.ts"],
    [4, "s/{client}.ts", "..", "0", /\{client\} "\.\." is not a plain file name/],
    [5, "s/{client}.ts", "../../etc/x", "0", /not a plain file name/],
    [6, "s/{client}.ts", "a/b", "0", /not a plain file name/],
    [7, "s/{session}.ts", "a", "", /\{session\} "" is not a plain file name/],
    [8, "s/{client}.ts", ".hidden", "0", /not a plain file name/],
  ];

for (const [n, text, client, session, want] of EXPAND) {
  Deno.test(`expandOutput() case ${n}: ${text} with client "${client}"`, () => {
    const t = parseOutputTemplate(text);
    if (want instanceof RegExp) {
      assert.throws(() => expandOutput(t, { client, session, date: DATE }), want);
    } else {
      assert.equal(expandOutput(t, { client, session, date: DATE }), want);
    }
  });
}

const DIRS: [n: number, text: string, dir: string | null][] = [
  [1, "-", null],
  [2, "out.ts", null],
  [3, "a/b/out.ts", "a/b"],
  [4, "/srv/streams/{client}/{session}.ts", "/srv/streams"],
  [5, "/{client}.ts", "/"],
  [6, "{client}/x.ts", null],
  [7, "s/x-{session}.ts", "s"],
];

for (const [n, text, dir] of DIRS) {
  Deno.test(`fixedDirectory() case ${n}: ${text}`, () => {
    assert.equal(fixedDirectory(parseOutputTemplate(text)), dir);
  });
}
