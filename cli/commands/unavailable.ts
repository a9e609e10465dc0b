/**
 * Commands whose issues have not landed yet: they exist, explain themselves, and exit 1.
 * @module
 */
import { Command } from "@commander-js/extra-typings";
import { UserError } from "../common.ts";

/**
 * A placeholder command that says what it will do and that it is not available yet.
 * @example
 * ```ts
 * program.addCommand(notYet("bench", "race the bond against MPTCP", "the benchmark issue"));
 * ```
 */
export function notYet(name: string, what: string, when: string, fullName = name) {
  return new Command(name)
    .description(`${what} (not available yet)`)
    .allowUnknownOption()
    .allowExcessArguments()
    .action(() => {
      throw new UserError(`${fullName} is not available yet: it comes with ${when}`);
    });
}
