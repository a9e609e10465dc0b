/**
 * `bondctl completions bash|zsh|fish`: prints a completion script generated from the command
 * tree itself.
 * @module
 */
import { Argument, Command } from "@commander-js/extra-typings";
import { commandModel } from "../command_model.ts";
import { completionScript, type Shell } from "../completion_scripts.ts";

/**
 * Builds the `completions` command; `root` returns the whole program.
 * @example
 * ```ts
 * program.addCommand(completionsCommand(() => program));
 * ```
 */
export function completionsCommand(root: () => Command<unknown[], Record<string, unknown>>) {
  return new Command("completions")
    .description("print a shell completion script")
    .addArgument(new Argument("<shell>", "the shell").choices(["bash", "zsh", "fish"]))
    .addHelpText(
      "after",
      `
Examples:
  bondctl completions bash > /etc/bash_completion.d/bondctl
  bondctl completions zsh > "\${fpath[1]}/_bondctl"
  bondctl completions fish > ~/.config/fish/completions/bondctl.fish`,
    )
    .action((shell) => {
      console.log(completionScript(shell as Shell, commandModel(root())).trimEnd());
    });
}
