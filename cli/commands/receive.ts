/**
 * `bondctl receive`: the relay. Accepts the links of a sender, reassembles its stream within
 * the buffer period and writes it to --output; sends --input back the same way.
 * @module
 */
import { Command, Option } from "@commander-js/extra-typings";
import { DEFAULT_VPN_OUI } from "../../core/frame/constants.ts";
import { startServer } from "../../core/session/server_io.ts";
import { openSink, openSource } from "../../core/session/stream_io.ts";
import { createPolicy, isReference, policyNames } from "../../core/scheduler/registry.ts";
import { generateSelfSigned } from "../../core/tunnel/certificate.ts";
import {
  durationArg,
  hostPortArg,
  loadToken,
  ouiArg,
  readUserFile,
  showHostPort,
  sizeArg,
  stderrLogger,
  UserError,
} from "../common.ts";

const EXAMPLES = `
Examples:
  # the relay, writing the stream to a file (or - for stdout)
  bondctl receive --listen 0.0.0.0:7443 --cert server.pem --key server.key \\
    --token-file /etc/bondctl/token --output - > out.ts

  # a quick start without a CA: prints the pin that senders give as --pin
  bondctl receive --listen [::]:7443 --self-signed --token-file token --output show.ts --once

  # serve a file to the sender (the reverse direction; the sender uses --output)
  bondctl receive --listen 0.0.0.0:7443 --self-signed --token-file token --input big.iso --once

Sessions are served one at a time: each writes to --output, and a sender that arrives while
another session runs is refused as busy. Without --once the server keeps serving sessions.

Exit status: 0 after a clean run (with --once: the session delivered its whole stream),
1 on a runtime error, 2 on a usage error.`;

/**
 * Builds the `receive` command.
 * @example
 * ```ts
 * program.addCommand(receiveCommand());
 * ```
 */
export function receiveCommand() {
  return new Command("receive")
    .description("accept a bonded session, reassemble it and write it out (the relay)")
    .option(
      "--listen <host:port>",
      "address to listen on ([::]:7443 for IPv6)",
      hostPortArg(true),
      {
        host: "0.0.0.0",
        port: 7443,
        family: 4 as const,
      },
    )
    .option("--cert <file>", "the server's certificate chain (PEM)")
    .option("--key <file>", "the server's private key (PEM)")
    .option("--self-signed", "make a certificate for this run and print its pin for --pin")
    .option(
      "--self-signed-name <names>",
      "names/addresses in the self-signed certificate, comma-separated",
      "localhost,127.0.0.1,::1",
    )
    .option("--token-file <file>", "the shared secret (first line of the file)")
    .option(
      "--token <token>",
      "the shared secret (visible to every user in `ps`: prefer --token-file)",
    )
    .option("--output <file>", "where the reassembled stream goes: - for stdout, or a file", "-")
    .option("--input <file>", "what to send back to the sender: a file, or - for stdin")
    .option(
      "--buffer <duration>",
      "the buffer period: how long out-of-order data is held; adapts below this (default 3s)",
      durationArg(50, 600_000),
      3000,
    )
    .option(
      "--buffer-min <duration>",
      "floor of the adaptive buffer period (default: a tenth of --buffer, at least 100ms)",
      durationArg(10, 600_000),
    )
    .option("--buffer-fixed", "keep the buffer period at --buffer instead of adapting it")
    .option(
      "--max-buffer <size>",
      "memory bound for a session's reassembly",
      sizeArg(256 * 1024),
      32 * 1024 * 1024,
    )
    .option("--once", "exit after the first session (0 if it delivered its whole stream)")
    .option(
      "--vpn-oui <hex>",
      "VPN ID OUI expected in every frame header (default 02:bd:c7)",
      ouiArg,
    )
    .addOption(
      new Option("--policy <name>", "how blocks sent back are assigned to links")
        .choices(policyNames.filter((n) => !isReference(n)))
        .default("earliest"),
    )
    .option(
      "--link-timeout <duration>",
      "end a session after this long with no link up",
      durationArg(1000),
      30_000,
    )
    .option("-q, --quiet", "only warnings and errors")
    .option("--debug", "more detail, and stack traces on errors")
    .addHelpText("after", EXAMPLES)
    .action(async (opts) => {
      const log = stderrLogger(opts, "receive");
      const token = await loadToken(opts);
      let certPem: string;
      let keyPem: string;
      // Fail before listening (or making a certificate) if the output cannot be written, not when a sender arrives.
      if (opts.output !== "-") (await openSink(opts.output)).close();
      if (opts.input && opts.input !== "-") (await openSource(opts.input)).close();
      if (opts.selfSigned) {
        if (opts.cert || opts.key) {
          throw new UserError("--self-signed and --cert/--key exclude each other");
        }
        const names = opts.selfSignedName.split(",").map((s) => s.trim()).filter(Boolean);
        const made = await generateSelfSigned({
          commonName: names[0] ?? "bondctl",
          altNames: names,
          days: 30,
          now: new Date(),
        });
        certPem = made.certPem;
        keyPem = made.keyPem;
        console.error(
          `bondctl receive: self-signed certificate for ${
            names.join(", ")
          }; senders use --pin ${made.pin}`,
        );
      } else {
        if (!opts.cert || !opts.key) {
          throw new UserError(
            "give --cert FILE and --key FILE, or --self-signed for a quick start",
          );
        }
        certPem = await readUserFile("--cert", opts.cert);
        keyPem = await readUserFile("--key", opts.key);
      }
      if (opts.input === "-" && !opts.once) {
        throw new UserError(
          "--input - (stdin) can serve one session only: add --once, or name a file",
        );
      }

      let server;
      try {
        server = startServer({
          hostname: opts.listen.host,
          port: opts.listen.port,
          certPem,
          keyPem,
          token,
          oui: opts.vpnOui ?? DEFAULT_VPN_OUI,
          bufferMs: opts.buffer,
          bufferMinMs: opts.bufferMin,
          bufferFixed: !!opts.bufferFixed,
          maxBufferBytes: opts.maxBuffer,
          linkTimeoutMs: opts.linkTimeout,
          handshakeTimeoutMs: 10_000,
          makePolicy: () => createPolicy(opts.policy),
          once: !!opts.once,
          openOutput: () => openSink(opts.output),
          openInput: () => (opts.input ? openSource(opts.input) : Promise.resolve(null)),
          log,
        });
      } catch (e) {
        throw new UserError(
          `cannot listen on ${showHostPort(opts.listen)}: ${describeListenError(e)}`,
        );
      }
      console.error(
        `bondctl receive: listening on ${
          showHostPort({ host: opts.listen.host, port: server.port })
        }`,
      );

      let stopping = false;
      const onSignal = () => {
        if (stopping) Deno.exit(130);
        stopping = true;
        log.info("shutting down: closing sessions");
        server.close("the server is shutting down").then(() => Deno.exit(0));
      };
      Deno.addSignalListener("SIGINT", onSignal);
      Deno.addSignalListener("SIGTERM", onSignal);

      if (opts.once) {
        const report = await server.firstSession;
        await server.close("done");
        if (report.outcome.kind === "complete") Deno.exit(0);
        throw new UserError(`the session ended incomplete: ${report.outcome.reason}`);
      }
      await new Promise(() => {}); // serve until a signal
    });
}

function describeListenError(e: unknown): string {
  if (e instanceof Deno.errors.AddrInUse) return "the address is already in use";
  if (e instanceof Deno.errors.AddrNotAvailable) return "no interface here has that address";
  if (e instanceof Deno.errors.PermissionDenied) {
    return "permission denied (ports below 1024 need root)";
  }
  return (e as Error).message;
}
