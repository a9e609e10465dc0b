/**
 * `bondctl send`: the box with the modems. Reads the input, bonds it over every --link to the
 * server, and writes what the server sends back to --output.
 * @module
 */
import { Command, Option } from "@commander-js/extra-typings";
import { DEFAULT_VPN_OUI } from "../../core/frame/constants.ts";
import type { LinkCaps } from "../../core/frame/types.ts";
import { type LinkSpec } from "../../core/config/mod.ts";
import { resolveLink } from "../../core/links/resolve.ts";
import { type ClientLink, openClientSession } from "../../core/session/client_io.ts";
import { openSink, openSource } from "../../core/session/stream_io.ts";
import { proportionalPolicy } from "../../core/scheduler/proportional.ts";
import { CloseCode } from "../../core/frame/types.ts";
import { realClock } from "../../core/session/driver_io.ts";
import {
  collectLinks,
  durationArg,
  hostPortArg,
  loadToken,
  ouiArg,
  pinArg,
  readUserFile,
  sizeArg,
  stderrLogger,
  UserError,
} from "../common.ts";
import { linkShareLines, throughputLine } from "../session_report.ts";

const EXAMPLES = `
Examples:
  # stream a camera over three modems; ppp1 costs twice as much, the Wi-Fi is a backup
  ffmpeg -re -i cam.mp4 -c copy -f mpegts - | \\
    bondctl send --server relay.example.net:7443 --ca ca.pem --token-file token \\
      --link ppp0 --link ppp1,cost=2 --link 192.168.8.100,priority=backup

  # a file, trusting a self-signed server by its pin (printed by receive --self-signed)
  bondctl send --server [2001:db8::7]:7443 --pin sha256:3f5a... --token-file token \\
    --input show.ts --link wwan0 --link eth1

  # the reverse direction: fetch what the server sends (receive --input FILE)
  bondctl send --server relay:7443 --ca ca.pem --token-file token --input /dev/null \\
    --output download.bin --link ppp0 --link ppp1

Link options: ADDR|IFACE[,cost=N][,priority=primary|secondary|backup][,cap=SIZE][,rate=RATE]
  cost      relative cost of a byte on this link (default 1)
  priority  backup links carry data only while no other link is up
  cap       data cap for the session, e.g. 2GB (used by the fewest-links policy)
  rate      nominal rate, e.g. 20mbit, used until the link has been measured

Exit status: 0 when everything read was delivered, 1 on a runtime error, 2 on a usage error.`;

/**
 * Builds the `send` command.
 * @example
 * ```ts
 * program.addCommand(sendCommand());
 * ```
 */
export function sendCommand() {
  return new Command("send")
    .description("bond the input over several links to a bondctl receiver")
    .requiredOption("--server <host:port>", "the receiver (IPv4, [IPv6] or a name)", hostPortArg())
    .option(
      "--link <spec>",
      "a link: local address or interface name, with options (repeat for each link)",
      collectLinks,
    )
    .option("--ca <file>", "trust the server's certificate if this CA (PEM) signed it")
    .option("--pin <sha256:hex>", "trust the server's certificate by its SHA-256 pin", pinArg)
    .option("--servername <name>", "TLS name to verify when --server is an address")
    .option("--token-file <file>", "the shared secret (first line of the file)")
    .option(
      "--token <token>",
      "the shared secret (visible to every user in `ps`: prefer --token-file)",
    )
    .option("--input <file>", "what to send: - for standard input, or a file", "-")
    .option("--output <file>", "where to write what the server sends back (- for stdout)")
    .option("--vpn-oui <hex>", "VPN ID OUI in every frame header (default 02:bd:c7)", ouiArg)
    .addOption(
      new Option("--policy <name>", "how blocks are assigned to links").choices(["proportional"])
        .default("proportional"),
    )
    .option(
      "--max-buffer <size>",
      "memory for data from the server",
      sizeArg(64 * 1024),
      32 * 1024 * 1024,
    )
    .option(
      "--link-timeout <duration>",
      "give up after this long with no link up",
      durationArg(1000),
      30_000,
    )
    .option("-q, --quiet", "only warnings and errors")
    .option("--debug", "more detail, and stack traces on errors")
    .addHelpText("after", EXAMPLES)
    .action(async (opts) => {
      const log = stderrLogger(opts, "send");
      if (!opts.ca && !opts.pin) {
        throw new UserError(
          "give --ca FILE or --pin sha256:HEX to verify the server (receive --self-signed prints the pin)",
        );
      }
      const token = await loadToken(opts);
      const trust = opts.pin
        ? { kind: "pin" as const, pin: opts.pin }
        : { kind: "ca" as const, caPem: await readUserFile("--ca", opts.ca!) };
      const links = resolveLinks(opts.link ?? [], opts.server.family === 6 ? 6 : 4);
      const source = await openSource(opts.input);
      const sink = opts.output ? await openSink(opts.output) : null;
      const started = realClock();
      const session = await openClientSession(
        {
          host: opts.server.host,
          port: opts.server.port,
          servername: opts.servername,
          trust,
          token,
          oui: opts.vpnOui ?? DEFAULT_VPN_OUI,
          links,
          policy: proportionalPolicy(),
          maxBufferBytes: opts.maxBuffer,
          linkTimeoutMs: opts.linkTimeout,
          handshakeTimeoutMs: 10_000,
          log,
        },
        source,
        sink,
      );

      let signals = 0;
      const onSignal = () => {
        signals++;
        if (signals === 1) {
          log.info("stopping: delivering what was read (signal again to quit at once)");
          session.driver.stopInput();
        } else {
          session.driver.abort(CloseCode.SHUTDOWN, "the sender was interrupted");
          console.error("bondctl send: interrupted");
          Deno.exit(130);
        }
      };
      Deno.addSignalListener("SIGINT", onSignal);
      Deno.addSignalListener("SIGTERM", onSignal);

      const outcome = await session.driver.done;
      const ep = session.driver.endpoint;
      const elapsed = realClock() - started;
      if (outcome.kind === "complete") {
        log.info(
          throughputLine("delivered", ep.outbound.bytesAcked, elapsed) +
            (signals > 0 ? " (stopped by signal: everything read was delivered)" : "") +
            (ep.outbound.bytesResent > 0 ? `; ${ep.outbound.bytesResent} bytes sent again` : ""),
        );
        for (const line of linkShareLines(ep)) log.info(line);
        if (opts.output) log.info(`received ${ep.inbound.bytesOut} bytes into ${opts.output}`);
        Deno.exit(0);
      }
      const who = outcome.byPeer ? "the server ended the session" : "session failed";
      throw new UserError(
        `${who}: ${outcome.reason} (${ep.outbound.bytesAcked} of ${ep.outbound.bytesIn} bytes read were delivered)`,
      );
    });
}

function resolveLinks(specs: LinkSpec[], family: 4 | 6): ClientLink[] {
  if (specs.length === 0) {
    // No --link: one link by the default route, as a plain TLS client would go.
    return [{
      index: 1,
      caps: capsFor(
        { raw: "default", cost: 1, priority: "primary" },
        "default route",
        "",
        "unknown",
      ),
    }];
  }
  const ifaces = Deno.networkInterfaces();
  return specs.map((spec, i) => {
    if (spec.target.kind === "auto") {
      throw new UserError(
        "--link auto needs link discovery, which is not built yet: name each link",
      );
    }
    const r = resolveLink(spec.target, ifaces, family);
    if (r.family !== family) {
      throw new UserError(
        `--link ${spec.raw} is IPv${r.family} but the server is IPv${family}: use a link of the server's family`,
      );
    }
    const link: ClientLink = { index: i + 1, caps: capsFor(spec, r.name, r.localAddress, r.kind) };
    const target = spec.target;
    if (target.kind === "interface") {
      link.currentAddress = () =>
        resolveLink(target, Deno.networkInterfaces(), family).localAddress;
    }
    return link;
  });
}

function capsFor(
  spec: Pick<LinkSpec, "cost" | "priority" | "capBytes" | "rateBps" | "raw">,
  name: string,
  localAddress: string,
  kind: LinkCaps["kind"],
): LinkCaps {
  const caps: LinkCaps = { kind, name, localAddress, cost: spec.cost, priority: spec.priority };
  if (spec.capBytes !== undefined) caps.capBytes = spec.capBytes;
  if (spec.rateBps !== undefined) caps.rateBps = spec.rateBps;
  return caps;
}
