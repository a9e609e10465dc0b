/**
 * `bondctl`: builds the command tree and turns errors into exit codes. Nothing else.
 * @module
 */
import { Command, CommanderError } from "@commander-js/extra-typings";
import { sendCommand } from "./commands/send.ts";
import { receiveCommand } from "./commands/receive.ts";
import { demoCommand } from "./commands/demo.ts";
import { simulateCommand } from "./commands/simulate.ts";
import { benchCommand } from "./commands/bench.ts";
import { linksCommand } from "./commands/links.ts";
import { VERSION } from "./version.ts";
import { completionsCommand } from "./commands/completions.ts";
import { ConfigError, withConfig } from "./config.ts";
import { errorLine } from "./common.ts";

const EXAMPLES = `
Examples:
  bondctl demo                                  # a sender and a receiver on this machine
  bondctl receive --self-signed --token-file token --output out.ts --once
  ffmpeg -re -i cam.mp4 -c copy -f mpegts - | \\
    bondctl send --server relay:7443 --pin sha256:... --token-file token --link ppp0 --link ppp1

Run "bondctl <command> --help" for a command's options and examples.`;

/**
 * The whole command tree.
 * @example
 * ```ts
 * const root = buildProgram();
 * ```
 */
export function buildProgram(): Command<[], Record<string, unknown>> {
  return new Command("bondctl")
    .description(
      "Bond several network links (cellular modems, Ethernet, Wi-Fi) into one fast, reliable,\n" +
        "encrypted path: each link is its own TLS 1.3 tunnel, the receiver reorders within a buffer\n" +
        "period and asks again for what is missing.",
    )
    .version(VERSION, "-V, --version")
    .showHelpAfterError("(run with --help for usage)")
    .addHelpText("after", EXAMPLES)
    .addCommand(withConfig(sendCommand()))
    .addCommand(withConfig(receiveCommand()))
    .addCommand(linksCommand())
    .addCommand(benchCommand())
    .addCommand(simulateCommand())
    .addCommand(demoCommand())
    .addCommand(
      completionsCommand(() =>
        buildProgram() as unknown as Command<unknown[], Record<string, unknown>>
      ),
    );
}

/** Usage errors exit 2, runtime errors 1 with one line (a stack with --debug). */
export async function main(args: string[]): Promise<number> {
  const root = buildProgram();
  const exitOverride = (c: Command<unknown[], Record<string, unknown>>) => {
    c.exitOverride();
    for (const sub of c.commands) exitOverride(sub as Command<unknown[], Record<string, unknown>>);
  };
  exitOverride(root as unknown as Command<unknown[], Record<string, unknown>>);
  const debug = args.includes("--debug");
  try {
    await root.parseAsync(args, { from: "user" });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version end here with exit code 0; their text is already printed.
      if (e.exitCode === 0) return 0;
      return 2;
    }
    const msg = e instanceof Error ? e.message : String(e);
    console.error(errorLine(msg));
    // A bad --config file or BONDCTL_* variable is a usage error, like a bad flag.
    if (e instanceof ConfigError) return 2;
    if (debug && e instanceof Error && e.stack) console.error(e.stack);
    return 1;
  }
}

if (import.meta.main) {
  const code = await main(Deno.args);
  Deno.exit(code);
}
