/**
 * `bondctl receive`: the relay. Accepts the links of a sender, reassembles its stream within
 * the buffer period and writes it to --output; sends --input back the same way.
 * @module
 */
import { Command, InvalidArgumentError, Option } from "@commander-js/extra-typings";
import { DEFAULT_VPN_OUI } from "../../core/frame/constants.ts";
import { type OutputTarget, parseOutputTarget } from "../../core/config/stream_url.ts";
import { OptionError } from "../../core/config/units.ts";
import { type AllowRule, parseAllowRule } from "../../core/streams/allow_rules.ts";
import { relayAcceptor } from "../../core/streams/relay_streams_io.ts";
import { StreamCounters } from "../../core/streams/stream_counters.ts";
import { tcpSink } from "../../core/streams/tcp_io.ts";
import { noByteStreamSink, UdpCounters, udpOutput } from "../../core/streams/udp_io.ts";
import { type RunningServer, startServer } from "../../core/session/server_io.ts";
import { openSink, openSource } from "../../core/session/stream_io.ts";
import {
  ClientsFileError,
  type Credential,
  parseClientsFile,
  SHARED_CLIENT,
} from "../../core/session/clients.ts";
import { DEFAULT_LIMITS, type ServerLimits } from "../../core/session/limits.ts";
import {
  expandOutput,
  fixedDirectory,
  type OutputTemplate,
  parseOutputTemplate,
} from "../../core/config/output_template.ts";
import { certificatePin } from "../../core/tunnel/certificate.ts";
import { checkCertificatePair } from "../../core/tunnel/tls_server_io.ts";
import type { Logger } from "../../core/session/driver_io.ts";
import { createPolicy, isReference, policyNames } from "../../core/scheduler/registry.ts";
import { generateSelfSigned } from "../../core/tunnel/certificate.ts";
import { renderRelayMetrics } from "../../core/metrics/relay_metrics.ts";
import { serveMetrics } from "../metrics_io.ts";
import { realClock } from "../../core/session/driver_io.ts";
import { StatusMonitor } from "../status_monitor_io.ts";
import { relaySources } from "../status_sources.ts";
import { VERSION } from "../version.ts";
import {
  announce,
  countArg,
  dropPermissionsExcept,
  durationArg,
  hostPortArg,
  loadOptionalToken,
  logFormatOption,
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

  # live UDP (MPEG-TS, SRT) from a sender's --input udp-listen://: each datagram stream gets
  # its own socket to the target, and the target's replies go back on it
  bondctl receive --listen 0.0.0.0:7443 --cert server.pem --key server.key \\
    --token-file /etc/bondctl/token --output udp://127.0.0.1:9000

  # many senders, each with its own token, each session to its own file; kill -HUP reloads
  # the clients file and the certificate (a client taken out of the file is cut off at once)
  bondctl receive --listen 0.0.0.0:7443 --cert server.pem --key server.key \\
    --clients /etc/bondctl/clients.json --output '/srv/streams/{client}-{session}.ts'

  # everything from a file (deploy/examples/receive.toml), Prometheus metrics on
  # http://127.0.0.1:9090/metrics and /healthz, logs as JSON lines
  bondctl receive --config /etc/bondctl/receive.toml --metrics 127.0.0.1:9090 --log-format json

--clients FILE is JSON: {"clients": [{"name": "van-1", "token": "..."}, ...]}; names are
letters, digits, '.', '_' and '-'; tokens at least 16 characters. The shared token
(--token-file) may be given as well: it is the client "shared".

--output placeholders: {client} (the client's name), {session} (the session id in hex) and
{date} (the session's UTC start, YYYYMMDD-HHMMSS); missing directories are made. Two sessions
never write one file at once: with a fixed --output (or {client} alone) a second session is
refused as busy while the first runs; with {session} every session has its own file.

Limits (defaults in brackets; a newcomer over one is refused with the reason, and nothing
running is touched): --handshake-timeout [10s] --max-unauthenticated [128]
--max-sessions [64] --max-sessions-per-client [8] --max-links-per-session [16]
--max-buffer [32MiB per session] --max-buffer-total [1GiB]. See docs/SECURITY.md.

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
    .option("--clients <file>", "named clients and their tokens (JSON; reloaded on SIGHUP)")
    .option(
      "--token <token>",
      "the shared secret (visible to every user in `ps`: prefer --token-file)",
    )
    .option(
      "--output <file|url>",
      "where the reassembled stream goes: - for stdout, a file ({client}, {session}, {date}), " +
        "or tcp://HOST:PORT (one connection per session, and per stream a sender intercepts), " +
        "or udp://HOST:PORT (a socket per datagram stream of a sender's udp-listen://)",
      "-",
    )
    .option(
      "--allow <host:ports>",
      "where SOCKS streams may go (repeat): a name, *.domain, an address or a CIDR, with " +
        "ports (*, 443, 80,443, 8000-8100); nothing is allowed without it",
      collectAllow,
    )
    .option(
      "--dial-timeout <duration>",
      "how long a connection to a stream's destination may take",
      durationArg(100, 600_000),
      10_000,
    )
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
      DEFAULT_LIMITS.maxBufferBytes,
    )
    .option(
      "--max-buffer-total <size>",
      "memory bound for every session's reassembly together",
      sizeArg(256 * 1024),
      DEFAULT_LIMITS.maxBufferTotalBytes,
    )
    .option(
      "--max-sessions <n>",
      "sessions at once",
      countArg(1),
      DEFAULT_LIMITS.maxSessions,
    )
    .option(
      "--max-sessions-per-client <n>",
      "sessions at once per client",
      countArg(1),
      DEFAULT_LIMITS.maxSessionsPerClient,
    )
    .option(
      "--max-links-per-session <n>",
      "links at once in one session",
      countArg(1, 4096),
      DEFAULT_LIMITS.maxLinksPerSession,
    )
    .option(
      "--max-unauthenticated <n>",
      "connections at once that have not authenticated yet",
      countArg(1),
      DEFAULT_LIMITS.maxUnauthenticated,
    )
    .option(
      "--handshake-timeout <duration>",
      "drop a connection not authenticated this long after it connected",
      durationArg(100, 600_000),
      DEFAULT_LIMITS.handshakeTimeoutMs,
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
    .option(
      "--stats <file|->",
      "append every session's figures as a JSON line every second (- for stdout, with " +
        "--output FILE; docs/STATS.md)",
    )
    .option("-q, --quiet", "only warnings and errors (no live view)")
    .option("--debug", "more detail, and stack traces on errors")
    .addOption(logFormatOption())
    .option(
      "--metrics <host:port>",
      "serve Prometheus metrics at /metrics and a health check at /healthz, e.g. 127.0.0.1:9090",
      hostPortArg(true),
    )
    .addHelpText("after", EXAMPLES)
    .action(async (opts) => {
      // Listening, files and BONDCTL_TOKEN; never processes, FFI or system information.
      dropPermissionsExcept(["net", "read", "write", "env"]);
      // The live view and --stats; log lines go above the live view.
      const monitor = await StatusMonitor.start({
        role: "receive",
        quiet: opts.quiet,
        stats: opts.stats,
        output: opts.output,
        log: stderrLogger(opts, "receive"),
      });
      const log = monitor.log;
      const credentials = await loadCredentials(opts);
      for (const [flag, path] of [["--clients", opts.clients], ["--token-file", opts.tokenFile]]) {
        const mode = path ? (await Deno.stat(path).catch(() => null))?.mode : null;
        if (mode && (mode & 0o077) !== 0) {
          log.warn(`${flag} ${path} can be read by other users: chmod 600 it`);
        }
      }
      let output: OutputTemplate;
      let target: OutputTarget | null;
      try {
        target = parseOutputTarget(opts.output);
        output = parseOutputTemplate(target ? "-" : opts.output);
      } catch (e) {
        if (e instanceof OptionError) throw new UserError(e.message);
        throw new UserError(`--output ${opts.output}: ${(e as Error).message}`);
      }
      const streamCounters = new StreamCounters();
      const udpCounters = new UdpCounters();
      let certPem: string;
      let keyPem: string;
      // Fail before listening (or making a certificate) if the output cannot be written, not when a sender arrives.
      if (output.placeholders.size > 0) {
        const dir = fixedDirectory(output);
        if (dir !== null) {
          await Deno.mkdir(dir, { recursive: true }).catch((e) => {
            throw new UserError(`cannot make the --output directory ${dir}: ${e.message}`);
          });
        }
      } else if (!output.stdout && !target) (await openSink(opts.output)).close();
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
        announce(
          "receive",
          `self-signed certificate for ${names.join(", ")}; senders use --pin ${made.pin}`,
        );
      } else {
        if (!opts.cert || !opts.key) {
          throw new UserError(
            "give --cert FILE and --key FILE, or --self-signed for a quick start",
          );
        }
        certPem = await readUserFile("--cert", opts.cert);
        keyPem = await readUserFile("--key", opts.key);
        try {
          checkCertificatePair(certPem, keyPem);
        } catch (e) {
          throw new UserError(`--cert ${opts.cert} / --key ${opts.key}: ${(e as Error).message}`);
        }
      }
      if (opts.input === "-" && !opts.once) {
        throw new UserError(
          "--input - (stdin) can serve one session only: add --once, or name a file",
        );
      }
      const limits: ServerLimits = {
        handshakeTimeoutMs: opts.handshakeTimeout,
        maxUnauthenticated: opts.maxUnauthenticated,
        maxSessions: opts.maxSessions,
        maxSessionsPerClient: opts.maxSessionsPerClient,
        maxLinksPerSession: opts.maxLinksPerSession,
        maxBufferBytes: opts.maxBuffer,
        maxBufferTotalBytes: opts.maxBufferTotal,
      };
      if (limits.maxBufferTotalBytes < limits.maxBufferBytes) {
        throw new UserError("--max-buffer-total must be at least --max-buffer");
      }

      let server: RunningServer;
      try {
        server = await startServer({
          hostname: opts.listen.host,
          port: opts.listen.port,
          certPem,
          keyPem,
          credentials,
          oui: opts.vpnOui ?? DEFAULT_VPN_OUI,
          bufferMs: opts.buffer,
          bufferMinMs: opts.bufferMin,
          bufferFixed: !!opts.bufferFixed,
          limits,
          linkTimeoutMs: opts.linkTimeout,
          makePolicy: () => createPolicy(opts.policy),
          once: !!opts.once,
          outputFor: (s) =>
            target
              ? `${opts.output}#${s.id}`
              : expandOutput(output, { client: s.client, session: s.id, date: s.openedAt }),
          openOutput: (path) =>
            target?.kind === "tcp"
              ? Promise.resolve(tcpSink(target.to, opts.dialTimeout))
              : target?.kind === "udp"
              ? Promise.resolve(noByteStreamSink(opts.output))
              : openSink(path, { makeDirs: true }),
          acceptStreams: () =>
            relayAcceptor({
              tcp: target?.kind === "tcp" ? target.to : null,
              allow: opts.allow ?? [],
              dialTimeoutMs: opts.dialTimeout,
              log,
              counters: streamCounters,
              // --output udp://: each `udp` stream its own socket to the target.
              extra: target?.kind === "udp" ? udpOutput(target.to, log, udpCounters) : undefined,
            }),
          openInput: () => (opts.input ? openSource(opts.input) : Promise.resolve(null)),
          log,
        });
      } catch (e) {
        throw new UserError(
          `cannot listen on ${showHostPort(opts.listen)}: ${describeListenError(e)}`,
        );
      }
      announce(
        "receive",
        `listening on ${showHostPort({ host: opts.listen.host, port: server.port })}`,
      );
      monitor.follow(relaySources(server, realClock));
      if (opts.metrics) {
        const addr = opts.metrics;
        const m = await serveMetrics(
          addr,
          () => renderRelayMetrics(server.metrics(), VERSION, streamCounters),
          () => server.metrics().listening,
        ).catch((e) => {
          throw new UserError(
            `cannot serve --metrics on ${showHostPort(addr)}: ${describeListenError(e)}`,
          );
        });
        announce(
          "receive",
          `metrics on http://${showHostPort({ host: addr.host, port: m.port })}/metrics`,
        );
      }

      let stopping = false;
      const onSignal = () => {
        if (stopping) Deno.exit(130);
        stopping = true;
        log.info("shutting down: closing sessions");
        server.close("the server is shutting down")
          .then(() => monitor.stop())
          .then(() => Deno.exit(0));
      };
      Deno.addSignalListener("SIGINT", onSignal);
      Deno.addSignalListener("SIGTERM", onSignal);
      Deno.addSignalListener("SIGHUP", () => void reload(server, opts, log));

      if (opts.once) {
        const report = await server.firstSession;
        await server.close("done");
        await monitor.stop();
        if (report.outcome.kind === "complete") Deno.exit(0);
        throw new UserError(`the session ended incomplete: ${report.outcome.reason}`);
      }
      await new Promise(() => {}); // serve until a signal
    });
}

/** Where credentials come from: the clients file, the shared token, or both. */
interface CredentialSources {
  clients?: string;
  tokenFile?: string;
  token?: string;
}

/** The clients file (if any) and the shared token (if any) as one list; at least one. */
async function loadCredentials(opts: CredentialSources): Promise<Credential[]> {
  const out: Credential[] = [];
  if (opts.clients) {
    const text = await readUserFile("--clients", opts.clients);
    try {
      out.push(...parseClientsFile(text, opts.clients));
    } catch (e) {
      if (e instanceof ClientsFileError) throw new UserError(e.message);
      throw e;
    }
  }
  const token = await loadOptionalToken(opts);
  if (token !== null) out.push({ name: SHARED_CLIENT, token });
  if (!opts.clients && token === null) {
    throw new UserError(
      "no token: give --token-file FILE (or set BONDCTL_TOKEN), or --clients FILE; " +
        "senders need the same token",
    );
  }
  return out;
}

/** SIGHUP: the clients file, the token file, the certificate and key, read again. */
async function reload(
  server: RunningServer,
  opts: CredentialSources & { cert?: string; key?: string },
  log: Logger,
): Promise<void> {
  try {
    const credentials = opts.clients || opts.tokenFile ? await loadCredentials(opts) : undefined;
    const pair = opts.cert && opts.key
      ? {
        certPem: await readUserFile("--cert", opts.cert),
        keyPem: await readUserFile("--key", opts.key),
      }
      : {};
    const r = server.reload({ credentials, ...pair });
    const what = [
      credentials ? `${r.clients} client${r.clients === 1 ? "" : "s"}` : "",
      r.certificate ? `certificate ${await certificatePin(pair.certPem!)}` : "",
    ].filter(Boolean);
    log.info(`reloaded on SIGHUP: ${what.join(", ") || "nothing to reload"}`);
    for (const s of r.revoked) {
      const [client, id] = s.split(" ");
      log.warn(`session ${id} ended: client ${client} was revoked`);
    }
  } catch (e) {
    log.warn(`reload on SIGHUP failed, keeping what was loaded before: ${(e as Error).message}`);
  }
}

function describeListenError(e: unknown): string {
  const code = (e as { code?: string }).code;
  if (e instanceof Deno.errors.AddrInUse || code === "EADDRINUSE") {
    return "the address is already in use";
  }
  if (e instanceof Deno.errors.AddrNotAvailable || code === "EADDRNOTAVAIL") {
    return "no interface here has that address";
  }
  if (e instanceof Deno.errors.PermissionDenied || code === "EACCES") {
    return "permission denied (ports below 1024 need root)";
  }
  return (e as Error).message;
}

/** Repeatable `--allow`: each rule checked as it is given, so a typo names itself. */
function collectAllow(value: string, previous: AllowRule[] = []): AllowRule[] {
  try {
    return [...previous, parseAllowRule(value)];
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}
