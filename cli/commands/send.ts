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
import { superviseSessions } from "../../core/session/restart_io.ts";
import { ResumableInput } from "../../core/session/restart_source.ts";
import { DEFAULT_RESTART_POLICY } from "../../core/session/restart_policy.ts";
import { idleSource, openSink, openSource } from "../../core/session/stream_io.ts";
import { formatHostPort, type InputSpec, parseInputSpec } from "../../core/config/stream_url.ts";
import { type Intercept, startSocks, startTcpIntercept } from "../../core/streams/intercept_io.ts";
import { startUdpIntercept, UdpCounters, type UdpIntercept } from "../../core/streams/udp_io.ts";
import { liveSummary } from "../../core/session/live_summary.ts";
import { parseFecSpec } from "../../core/fec/fec_layout.ts";
import { MAX_DEADLINE_MS } from "../../core/session/stream_header.ts";
import { StreamCounters } from "../../core/streams/stream_counters.ts";
import { createPolicy, isReference, policyNames } from "../../core/scheduler/registry.ts";
import { CloseCode } from "../../core/frame/types.ts";
import { realClock } from "../../core/session/driver_io.ts";
import {
  collectLinks,
  countArg,
  dropPermissionsExcept,
  durationArg,
  hostPortArg,
  loadToken,
  logFormatOption,
  ouiArg,
  pinArg,
  readUserFile,
  sizeArg,
  stderrLogger,
  UserError,
} from "../common.ts";
import { linkShareLines, throughputLine } from "../session_report.ts";
import { StatusMonitor } from "../status_monitor_io.ts";
import { followSession } from "../status_sources.ts";
import { type PolicyTap, tapPolicy } from "../../core/status/policy_tap.ts";

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

  # a live camera to relays behind HAProxy (deploy/haproxy/bondctl.cfg): every link of the
  # session reaches the same relay; if that relay dies, a new session starts on another
  ffmpeg -re -i cam.mp4 -c copy -f mpegts - | \\
    bondctl send --server relay.example.net:7443 --ca ca.pem --token-file token \\
      --session-sni --restart --link ppp0 --link ppp1

  # a status page at http://127.0.0.1:8080/, a JSON line of figures every second, and the
  # bitrate the links sustain for an encoder script (GET /bitrate serves it too: docs/ENCODER.md)
  bondctl send --server relay:7443 --ca ca.pem --token-file token --link ppp0 --link ppp1 \\
    --ui 127.0.0.1:8080 --stats stats.jsonl --bitrate-file /run/bondctl/bitrate

  # the server, trust, token and links (with per-link cost, cap and provider) from a file
  # (deploy/examples/send.toml); a flag still wins: --link here would replace its links
  ffmpeg -re -i cam.mp4 -c copy -f mpegts - | bondctl send --config /etc/bondctl/send.toml

  # live MPEG-TS or SRT over UDP: each source a datagram stream, late datagrams dropped and
  # counted, 2 parity blocks for every 8 (the relay uses --output udp://HOST:PORT)
  bondctl send --server relay:7443 --ca ca.pem --token-file token --link ppp0 --link ppp1 \\
    --input udp-listen://127.0.0.1:5000 --deadline 800ms --fec 8+2

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

--restart: a byte stream cannot move to another relay mid-way, so when every link is down and
the relay no longer holds the session (it died, or shut down), a new session (new id; behind
HAProxy with --session-sni, a live relay) starts from where the input is now. The log says so,
with what the old session delivered and how many bytes are skipped. No restart when the token
or certificate is refused, the input ended, or after a signal; a new session that cannot be
opened within --link-timeout ends send. Off by default: a file or a pipe from a program would
arrive as two pieces; for a live source it is what a broadcaster wants. See docs/SERVER.md.

Exit status: 0 when everything read was delivered (with --restart: everything the last session
read; skipped bytes are reported), 1 on a runtime error, 2 on a usage error.`;

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
    .option(
      "--session-sni",
      "send <session label>.<relay name> as every link's TLS server name, so that a load " +
        "balancer hashing it (deploy/haproxy/bondctl.cfg) keeps the session on one relay",
    )
    .option(
      "--restart",
      "when the relay loses the session (it died or shut down), start a new session from the " +
        "input's current position; what the old one had not delivered is skipped (live streams)",
    )
    .option(
      "--max-restarts <n>",
      "with --restart: restarts allowed in any --restart-window (default 5)",
      countArg(1, 1000),
      DEFAULT_RESTART_POLICY.maxRestarts,
    )
    .option(
      "--restart-window <duration>",
      "with --restart: the window --max-restarts counts in (default 10m)",
      durationArg(1000),
      DEFAULT_RESTART_POLICY.windowMs,
    )
    .option("--token-file <file>", "the shared secret (first line of the file)")
    .option(
      "--token <token>",
      "the shared secret (visible to every user in `ps`: prefer --token-file)",
    )
    .option(
      "--input <file|url>",
      "what to send: - for standard input, a file, or streams: tcp-listen://ADDR:PORT (each " +
        "connection a stream), socks5://ADDR:PORT (a SOCKS5 server; the relay connects), " +
        "udp-listen://ADDR:PORT (each source address a stream of datagrams; replies go back)",
      "-",
    )
    .option(
      "--deadline <duration>",
      "with udp-listen://: live mode: a datagram not delivered within this long is dropped " +
        "(and counted) instead of holding up the stream, e.g. 800ms",
      durationArg(1, MAX_DEADLINE_MS),
    )
    .option(
      "--fec <K+M>",
      "with --deadline: M Reed-Solomon parity blocks for every K datagrams, so that what a " +
        "dying link held is rebuilt without a re-send, e.g. 8+2",
      fecArg,
    )
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
    .option(
      "--stats <file|->",
      "append the session's figures as a JSON line every second (- for stdout; docs/STATS.md)",
    )
    .option(
      "--ui <host:port>",
      "serve a live status page, /status.json and /bitrate on this address, e.g. 127.0.0.1:8080",
      hostPortArg(true),
    )
    .option(
      "--bitrate-file <file>",
      "keep the recommended encoder bitrate (bit/s) in this file, rewritten 4 times a second",
    )
    .option("-q, --quiet", "only warnings and errors (no live view)")
    .option("--debug", "more detail, and stack traces on errors")
    .addOption(logFormatOption())
    .addHelpText("after", EXAMPLES)
    .action(async (opts) => {
      // The live view, --stats, --ui and --bitrate-file; log lines go above the live view.
      const monitor = await StatusMonitor.start({
        role: "send",
        quiet: opts.quiet,
        stats: opts.stats,
        ui: opts.ui,
        bitrateFile: opts.bitrateFile,
        output: opts.output,
        log: stderrLogger(opts, "send"),
      });
      const log = monitor.log;
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
      if (opts.sessionSni && !opts.servername && opts.server.family !== "name") {
        throw new UserError(
          "--session-sni needs the relay's name to follow the label: give --servername NAME " +
            "(or --server NAME:PORT)",
        );
      }
      if (opts.restart && opts.output) {
        throw new UserError(
          "--restart cannot go with --output: a new session would receive the download again " +
            "from its start",
        );
      }
      let inputSpec: InputSpec;
      try {
        inputSpec = parseInputSpec(opts.input);
      } catch (e) {
        throw new UserError((e as Error).message);
      }
      const listens = inputSpec.kind === "tcp-listen" || inputSpec.kind === "socks5" ||
        inputSpec.kind === "udp-listen";
      if (inputSpec.kind !== "udp-listen" && (opts.deadline !== undefined || opts.fec)) {
        throw new UserError(
          "--deadline and --fec are for datagrams: use them with --input udp-listen://ADDR:PORT",
        );
      }
      if (opts.fec && opts.deadline === undefined) {
        throw new UserError(
          "--fec needs --deadline: FEC is for live streams, e.g. --deadline 800ms",
        );
      }
      if (listens && opts.restart) {
        throw new UserError(
          "--restart goes with a byte stream (stdin or a file); intercepted connections cannot " +
            "move to a new session",
        );
      }
      const input = new ResumableInput(listens ? idleSource() : await openSource(opts.input));
      const streamCounters = new StreamCounters();
      const sink = opts.output ? await openSink(opts.output) : null;
      const started = realClock();
      let tap: PolicyTap | null = null;
      const session = await superviseSessions({
        links,
        input,
        policy: opts.restart
          ? {
            maxRestarts: opts.maxRestarts,
            windowMs: opts.restartWindow,
            giveUpMs: opts.linkTimeout,
          }
          : null,
        log,
        open: (links, source) =>
          openClientSession(
            {
              host: opts.server.host,
              port: opts.server.port,
              servername: opts.servername,
              sessionSni: opts.sessionSni,
              trust,
              token,
              oui: opts.vpnOui ?? DEFAULT_VPN_OUI,
              links,
              policy: (tap = tapPolicy(createPolicy(opts.policy))).policy,
              maxBufferBytes: opts.maxBuffer,
              linkTimeoutMs: opts.linkTimeout,
              handshakeTimeoutMs: 10_000,
              log,
            },
            source,
            sink,
          ),
      });

      monitor.watch(followSession(
        () => ({
          id: session.current.sessionIdHex,
          endpoint: session.current.driver.endpoint,
          tap,
        }),
        realClock,
        (i) => links.find((l) => l.index === i)?.caps,
      ));

      let listener: Intercept | null = null;
      if (inputSpec.kind === "tcp-listen" || inputSpec.kind === "socks5") {
        const start = inputSpec.kind === "tcp-listen" ? startTcpIntercept : startSocks;
        try {
          listener = start(inputSpec.at, () => session.current.driver, log, streamCounters);
        } catch (e) {
          session.abort(CloseCode.SHUTDOWN, "the sender could not listen");
          throw new UserError(`cannot listen on ${opts.input}: ${(e as Error).message}`);
        }
        log.info(
          `${inputSpec.kind === "socks5" ? "SOCKS5 server" : "intercepting TCP"} on ` +
            `${formatHostPort({ host: listener.addr.hostname, port: listener.addr.port })}`,
        );
      }

      // Datagrams: every source address a live (or reliable) datagram stream.
      let udpListener: UdpIntercept | null = null;
      const udpCounters = new UdpCounters();
      const live = { deadlineMs: opts.deadline, fec: opts.fec };
      if (inputSpec.kind === "udp-listen") {
        try {
          udpListener = await startUdpIntercept(
            inputSpec.at,
            () => session.current.driver,
            log,
            streamCounters,
            udpCounters,
            { live },
          );
        } catch (e) {
          session.abort(CloseCode.SHUTDOWN, "the sender could not listen");
          throw new UserError(`cannot listen on ${opts.input}: ${(e as Error).message}`);
        }
        const fec = opts.fec ? `, FEC ${opts.fec.k}+${opts.fec.m}` : "";
        const mode = opts.deadline === undefined
          ? "reliable"
          : `live: ${opts.deadline} ms deadline${fec}`;
        const at = formatHostPort({ host: udpListener.addr.hostname, port: udpListener.addr.port });
        log.info(`datagrams on udp ${at} (${mode})`);
      }

      if (auto) {
        const watch = followLinks(session, auto.set, auto.inventory, log);
        session.done.finally(() => watch.stop());
      }
      // Links, input, output and listeners are open: give up what nothing needs any more.
      dropPermissionsExcept(keptAfterSetup(opts, specs));
      log.debug(`permissions after setup: ${grantedPermissions().join(", ")}; the rest revoked`);

      let signals = 0;
      const onSignal = () => {
        signals++;
        if (signals === 1) {
          log.info("stopping: delivering what was read (signal again to quit at once)");
          listener?.close();
          udpListener?.close();
          session.stopInput();
        } else {
          session.abort(CloseCode.SHUTDOWN, "the sender was interrupted");
          monitor.view.clear();
          console.error("bondctl send: interrupted");
          Deno.exit(130);
        }
      };
      Deno.addSignalListener("SIGINT", onSignal);
      Deno.addSignalListener("SIGTERM", onSignal);

      const { outcome, last, sessions, restarts } = await session.done;
      await monitor.stop();
      const ep = last.driver.endpoint;
      const elapsed = realClock() - started;
      // After restarts: what every session delivered, and what fell between them.
      const delivered = sessions.reduce((n, s) => n + s.delivered, 0);
      const restarted = restarts > 0
        ? `; the stream restarted ${restarts} time${restarts > 1 ? "s" : ""} (sessions ${
          sessions.map((s) => `${s.id} from byte ${s.from}: ${s.delivered} bytes`).join(", ")
        }; ${input.position - delivered} bytes read were skipped)`
        : "";
      if (outcome.kind === "complete") {
        log.info(
          throughputLine("delivered", delivered, elapsed) +
            (signals > 0 ? " (stopped by signal: everything read was delivered)" : "") +
            (ep.outbound.bytesResent > 0 ? `; ${ep.outbound.bytesResent} bytes sent again` : "") +
            restarted,
        );
        for (const line of linkShareLines(ep)) log.info(line);
        if (listener) log.info(streamCounters.summary());
        if (udpListener) {
          log.info(streamCounters.summary());
          log.info(udpCounters.summary());
          log.info(liveSummary(ep.liveTotals(), live));
        }
        if (opts.output) log.info(`received ${ep.inbound.bytesOut} bytes into ${opts.output}`);
        Deno.exit(0);
      }
      const who = outcome.byPeer ? "the server ended the session" : "session failed";
      throw new UserError(
        `${who}: ${outcome.reason} (${delivered} of ${input.position} bytes read were delivered${restarted})`,
      );
    });
}

/**
 * What `send` still needs once its links, input, output and listeners are open (the rest is
 * revoked; docs/SECURITY.md, section 6): `net` (links dial again, sessions restart);
 * `run`, `read` and `sys` while `--link auto` rescans (ip, mmcli, /sys); `sys` while a link
 * named by its interface follows that interface's address; `write` and `read` for the files
 * `--stats` and `--bitrate-file` keep writing. A new option that touches files or runs
 * programs after start must be added here.
 */
function keptAfterSetup(
  opts: { stats?: string; bitrateFile?: string },
  specs: LinkSpec[],
): Deno.PermissionName[] {
  const keep: Deno.PermissionName[] = ["net"];
  const auto = specs.some((s) => s.target.kind === "auto");
  if (auto) keep.push("run", "read", "sys");
  if (specs.some((s) => s.target.kind === "interface")) keep.push("sys");
  if (opts.stats || opts.bitrateFile) keep.push("write", "read");
  return keep;
}

/** The permissions this process holds now, as Deno reports them. */
function grantedPermissions(): Deno.PermissionName[] {
  const names: Deno.PermissionName[] = ["net", "read", "write", "env", "sys", "run", "ffi"];
  return names.filter((name) =>
    Deno.permissions.querySync({ name } as Deno.PermissionDescriptor).state === "granted"
  );
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
  spec: Pick<LinkSpec, "cost" | "priority" | "capBytes" | "rateBps" | "raw"> & {
    provider?: string;
  },
  name: string,
  localAddress: string,
  kind: LinkCaps["kind"],
): LinkCaps {
  const caps: LinkCaps = { kind, name, localAddress, cost: spec.cost, priority: spec.priority };
  if (spec.capBytes !== undefined) caps.capBytes = spec.capBytes;
  if (spec.rateBps !== undefined) caps.rateBps = spec.rateBps;
  // A provider label from a --config links table (the --link text has none).
  if (spec.provider !== undefined) caps.provider = spec.provider;
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
  session: Pick<ClientSession, "addLink" | "removeLink">,
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

/** `--fec K+M`, checked against the code's limits. */
function fecArg(value: string): { k: number; m: number } {
  try {
    return parseFecSpec(value);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}
