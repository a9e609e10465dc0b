/**
 * `bondctl send`: the box with the modems. Reads the input, bonds it over every --link to the
 * server, and writes what the server sends back to --output.
 * @module
 */
import { Command, InvalidArgumentError, Option } from "@commander-js/extra-typings";
import { DEFAULT_VPN_OUI } from "../../core/frame/constants.ts";
import type { LinkCaps } from "../../core/frame/types.ts";
import { type LinkSpec } from "../../core/config/mod.ts";
import { resolveLink } from "../../core/links/resolve.ts";
import {
  type AutoChange,
  AutoLinkSet,
  type Inventory,
  type LinkOptions,
  scanLinks,
  WAN_KINDS,
  watchLinks,
} from "../../core/links/mod.ts";
import {
  type ClientLink,
  type ClientSession,
  openClientSession,
} from "../../core/session/client_io.ts";
import type { Logger } from "../../core/session/driver_io.ts";
import { openSink, openSource } from "../../core/session/stream_io.ts";
import { createPolicy, isReference, policyNames } from "../../core/scheduler/registry.ts";
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

  # every usable WAN link, found by discovery and followed live; ppp1 costs twice as much,
  # the Wi-Fi and eth0 are left out
  bondctl send --server relay:7443 --ca ca.pem --token-file token --link auto \\
    --link ppp1,cost=2 --exclude wifi --exclude eth0

  # the reverse direction: fetch what the server sends (receive --input FILE)
  bondctl send --server relay:7443 --ca ca.pem --token-file token --input /dev/null \\
    --output download.bin --link ppp0 --link ppp1

Link options: ADDR|IFACE|auto[,cost=N][,priority=primary|secondary|backup][,cap=SIZE][,rate=RATE]
  [,via=HOST:PORT]
  auto      every usable link from discovery (bondctl links scan), rescanned every second:
            a link that appears joins the session, one that vanishes leaves, one whose
            address changes rejoins. With auto, --link IFACE,... gives that interface's
            options when it is discovered, and --link ADDR adds a fixed link.
  cost      relative cost of a byte on this link (default 1)
  priority  backup links carry data only while no other link is up
  cap       data cap for the session, e.g. 2GB (used by the fewest-links policy)
  rate      nominal rate, e.g. 20mbit, used until the link has been measured
  via       dial this address instead of --server for this link (a relay or test emulator)

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
    .option(
      "--exclude <name|kind>",
      `with --link auto: leave out an interface or a kind (${WAN_KINDS.join(", ")}); repeat`,
      collectExclude,
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
      new Option(
        "--policy <name>",
        "how blocks are assigned to links (earliest: where each arrives first; fewest: the " +
          "fewest, cheapest links that meet the deadline; proportional: by measured rate)",
      ).choices(policyNames.filter((n) => !isReference(n)))
        .default("earliest"),
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
      const family = opts.server.family === 6 ? 6 : 4;
      const specs = opts.link ?? [];
      const autos = specs.filter((s) => s.target.kind === "auto");
      if (autos.length > 1) throw new UserError("give --link auto once");
      if (opts.exclude && autos.length === 0) {
        throw new UserError("--exclude works with --link auto: add --link auto, or drop --exclude");
      }
      const auto = autos.length
        ? await discoverAutoLinks(specs, autos[0], family, opts.exclude ?? [], log)
        : null;
      const links = auto ? auto.links : resolveLinks(specs, family);
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
          policy: createPolicy(opts.policy),
          maxBufferBytes: opts.maxBuffer,
          linkTimeoutMs: opts.linkTimeout,
          handshakeTimeoutMs: 10_000,
          log,
        },
        source,
        sink,
      );

      if (auto) {
        const watch = followLinks(session, auto.set, auto.inventory, log);
        session.driver.done.finally(() => watch.stop());
      }

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
    if (spec.target.kind === "auto") throw new UserError("--link auto is handled by discovery");
    const r = resolveLink(spec.target, ifaces, family);
    if (r.family !== family) {
      throw new UserError(
        `--link ${spec.raw} is IPv${r.family} but the server is IPv${family}: use a link of the server's family`,
      );
    }
    const link: ClientLink = { index: i + 1, caps: capsFor(spec, r.name, r.localAddress, r.kind) };
    if (spec.via) link.via = { host: spec.via.host, port: spec.via.port };
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

/** Repeatable `--exclude`: an interface name or a link kind. */
function collectExclude(value: string, previous: string[] = []): string[] {
  if (!/^[^\s/,:=]{1,15}$/.test(value)) {
    throw new InvalidArgumentError(
      `"${value}" is neither an interface name nor a kind (${WAN_KINDS.join(", ")})`,
    );
  }
  return [...previous, value];
}

/** Options of a spec, without its target. */
function optionsOf(spec: LinkSpec): LinkOptions {
  const o: LinkOptions = { cost: spec.cost, priority: spec.priority };
  if (spec.capBytes !== undefined) o.capBytes = spec.capBytes;
  if (spec.rateBps !== undefined) o.rateBps = spec.rateBps;
  return o;
}

/**
 * `--link auto`: links named by address stay fixed (indices 1..k), interfaces named with
 * options are overrides, and discovery gives the rest.
 */
async function discoverAutoLinks(
  specs: LinkSpec[],
  auto: LinkSpec,
  family: 4 | 6,
  exclude: string[],
  log: Logger,
): Promise<{ links: ClientLink[]; set: AutoLinkSet; inventory: Inventory }> {
  const byAddress = specs.filter((s) => s.target.kind === "address");
  // (resolveLinks with no spec means "one link by the default route": not wanted here.)
  const fixed = byAddress.length ? resolveLinks(byAddress, family) : [];
  const overrides = new Map<string, LinkOptions>();
  for (const s of specs) {
    if (s.target.kind === "interface") overrides.set(s.target.name, optionsOf(s));
  }
  const set = new AutoLinkSet({
    family,
    defaults: optionsOf(auto),
    overrides,
    exclude,
    firstIndex: fixed.length + 1,
  });
  const inventory = await scanLinks({ modems: true });
  for (const t of inventory.tools) {
    if (t.status !== "ok") log.debug(`${t.tool}: ${t.status}${t.detail ? ` (${t.detail})` : ""}`);
  }
  const links = [...fixed];
  for (const c of set.update(inventory)) {
    if (c.type !== "join") continue;
    log.info(`link ${c.index} (${c.name}) found: ${describeCaps(c)}`);
    links.push({ index: c.index, caps: c.caps });
  }
  for (const name of overrides.keys()) {
    if (!set.names.includes(name)) {
      log.info(`--link ${name}: not usable now; its options apply when it appears`);
    }
  }
  if (links.length === 0) {
    const ip = inventory.tools.find((t) => t.tool === "ip" && t.status !== "ok");
    throw new UserError(
      ip
        ? `--link auto needs ip (iproute2): ${ip.status.replace("-", " ")}${
          ip.detail ? `: ${ip.detail}` : ""
        }`
        : `--link auto found no usable IPv${family} link (see bondctl links scan): ` +
          "every interface is excluded, down, without an address or without a route out",
    );
  }
  return { links, set, inventory };
}

function describeCaps(c: Extract<AutoChange, { caps: unknown }>): string {
  const extra = [
    c.caps.cost !== 1 ? `cost ${c.caps.cost}` : "",
    c.caps.priority !== "primary" ? c.caps.priority : "",
    c.caps.provider ?? "",
    c.caps.technology ?? "",
    c.caps.signal !== undefined ? `signal ${c.caps.signal}%` : "",
  ].filter((x) => x !== "");
  return `${c.caps.kind} ${c.caps.localAddress}${extra.length ? ", " + extra.join(", ") : ""}`;
}

/** Rescans every second and joins, drops and rejoins links in the running session. */
function followLinks(
  session: ClientSession,
  set: AutoLinkSet,
  first: Inventory,
  log: Logger,
): { stop(): void } {
  // ModemManager is asked again only when the set of links changes (one mmcli run per modem).
  const withModems = first.tools.some((t) => t.tool === "mmcli" && t.status === "ok");
  const key = (inv: Inventory) => inv.links.map((l) => l.name).join(",");
  let lastKey = key(first);
  let lastError = "";
  return watchLinks({
    intervalMs: 1000,
    async scan() {
      let inv = await scanLinks({ modems: false });
      if (withModems && key(inv) !== lastKey) inv = await scanLinks({ modems: true });
      lastKey = key(inv);
      return inv;
    },
    onInventory(inv) {
      lastError = "";
      for (const c of set.update(inv)) {
        if (c.type === "leave") {
          log.info(`link ${c.index} (${c.name}) left: ${c.why}`);
          session.removeLink(c.index);
        } else if (c.type === "rejoin") {
          log.info(
            `link ${c.index} (${c.name}) moved from ${c.from} to ${c.caps.localAddress}: rejoining`,
          );
          session.removeLink(c.index);
          session.addLink({ index: c.index, caps: c.caps });
        } else {
          log.info(`link ${c.index} (${c.name}) appeared: ${describeCaps(c)}; joining`);
          session.addLink({ index: c.index, caps: c.caps });
        }
      }
    },
    onError(e) {
      // Say it once, not every second.
      if (e.message !== lastError) log.warn(`link scan failed: ${e.message}`);
      lastError = e.message;
    },
  });
}
