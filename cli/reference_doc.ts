/**
 * docs/CLI.md, generated from the command model: every command, its options and examples.
 * `deno task docs` writes it; a test fails when the committed file differs from the CLI.
 * @module
 */
import { type CommandModel, flatten } from "./command_model.ts";

function cell(s: string): string {
  return s.replaceAll("|", "\\|").replaceAll("\n", " ");
}

/**
 * The Markdown reference for the whole tree.
 * @example
 * ```ts
 * await Deno.writeTextFile("docs/CLI.md", referenceDoc(commandModel(program())));
 * ```
 */
export function referenceDoc(root: CommandModel): string {
  const out: string[] = [
    "# bondctl command reference",
    "",
    "Generated from the CLI's own definitions by `deno task docs`; do not edit by hand.",
    "",
  ];
  for (const c of flatten(root)) {
    const name = ["bondctl", ...c.path].join(" ");
    out.push(
      `## \`${name}\``,
      "",
      cell(c.description),
      "",
      "```",
      `${name} ${c.usage.split(" ").slice(1).join(" ")}`.trim(),
      "```",
      "",
    );
    if (c.subcommands.length > 0) {
      out.push("| command | what it does |", "| --- | --- |");
      for (const s of c.subcommands) {
        out.push(`| \`${["bondctl", ...s.path].join(" ")}\` | ${cell(s.description)} |`);
      }
      out.push("");
    }
    if (c.options.length > 0) {
      out.push("| option | what it does | default |", "| --- | --- | --- |");
      for (const o of c.options) {
        const flag = [o.short, `${o.long}${o.arg ? " " + o.arg : ""}`].filter(Boolean).join(", ");
        const choices = o.choices ? ` (one of: ${o.choices.join(", ")})` : "";
        out.push(
          `| \`${flag}\` | ${cell(o.description)}${choices} | ${
            o.defaultText ? `\`${cell(o.defaultText)}\`` : ""
          } |`,
        );
      }
      out.push("");
    }
    if (c.helpAfter) out.push("```", c.helpAfter, "```", "");
  }
  return out.join("\n");
}
