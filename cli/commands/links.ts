/**
 * `bondctl links`: the links of this box. `scan` lists them (with modems' operator, technology
 * and signal, and optionally the TLS handshake time to a server through each), `up ppp` and
 * `down` start and stop a modem's data connection, `route` gives each link its own routing
 * table and `ip rule`, so that a tunnel bound to a link's address leaves through that link.
 * @module
 */
import { Argument, Command, InvalidArgumentError, Option } from "@commander-js/extra-typings";
import { z } from "zod";
import {
  addCommand,
  addressOf,
  bringDown,
  bringUp,
  chooseMethod,
  DEFAULT_PEERS_DIR,
  DEFAULT_RULE_PRIORITY,
  DEFAULT_STATE_DIR,
  DEFAULT_TABLE_BASE,
  type DiscoveredLink,
  interfaceAddrs,
  isExcluded,
  loadRouteState,
  planApply,
  planDown,
  planModemManagerUp,
  planPppUp,
  planRemove,
  pppOptionsSchema,
  probeLink,
  type ProbeResult,
  queryModems,
  readPidFile,
  readRouting,
  requireRoot,
  type RouteItem,
  runPlan,
  saveRouteState,
  scanJson,
  scanLinks,
  scanTable,
  showCommand,
  showFileContent,
  STATE_FILE,
  stateAfter,
  type UpPlan,
  WAN_KINDS,
} from "../../core/links/mod.ts";
import type { ServerTrust } from "../../core/tunnel/tls_client_io.ts";
import {
  durationArg,
  hostPortArg,
  pinArg,
  readUserFile,
  showHostPort,
  stderrLogger,
  UserError,
} from "../common.ts";

/** An integer flag checked with zod; the message names the flag. */
function intArg(flag: string, min: number, max: number) {
  return (s: string) => {
    const r = z.coerce.number().int().min(min).max(max).safeParse(s.trim() === "" ? NaN : s);
    if (!r.success) throw new InvalidArgumentError(`${flag} must be a whole number ${min}..${max}`);
    return r.data;
  };
}

function collect(value: string, previous: string[] = []): string[] {
  if (!/^[^\s/,:=]{1,15}$/.test(value)) {
    throw new InvalidArgumentError(
      `"${value}" is neither an interface name nor a kind (${WAN_KINDS.join(", ")})`,
    );
  }
  return [...previous, value];
}

const SCAN_EXAMPLES = `
Examples:
  bondctl links scan                                   # the table
  bondctl links scan --json | jq '.links[].name'       # for scripts
  bondctl links scan --probe relay.example.net:7443 --pin sha256:3f5a...
  bondctl links scan --probe 203.0.113.7:7443          # timed, but the server is not verified

A link is listed when it is up, has a global address and a route out (a default route in any
table uses it, or it is point-to-point like ppp). Loopback and the rest are named under
"left out". Without ModemManager (mmcli), provider, technology and signal are "-" and the
output says why.`;

function scanCommand() {
  return new Command("scan")
    .description("list this box's WAN links: kind, state, addresses, gateway, MTU, modem")
    .option("--json", "print JSON instead of the table")
    .option(
      "--probe <host:port>",
      "also time a TCP + TLS handshake to this server through each link",
      hostPortArg(),
    )
    .option("--pin <sha256:hex>", "with --probe: verify the server by this pin", pinArg)
    .option("--ca <file>", "with --probe: verify the server by this CA (PEM)")
    .option("--servername <name>", "with --probe: TLS name to verify")
    .option("--probe-timeout <duration>", "with --probe: give up after", durationArg(100), 5000)
    .option(
      "--peers-dir <dir>",
      "pppd peer files, to match a ppp link with its modem",
      DEFAULT_PEERS_DIR,
    )
    .option("-q, --quiet", "only warnings and errors")
    .option("--debug", "more detail, and stack traces on errors")
    .addHelpText("after", SCAN_EXAMPLES)
    .action(async (opts) => {
      if ((opts.pin || opts.ca || opts.servername) && !opts.probe) {
        throw new UserError("--pin, --ca and --servername go with --probe HOST:PORT");
      }
      const inventory = await scanLinks({ modems: true, peersDir: opts.peersDir });
      let probes: ProbeResult[] | undefined;
      if (opts.probe) {
        const server = opts.probe;
        const trust: ServerTrust | undefined = opts.pin
          ? { kind: "pin", pin: opts.pin }
          : opts.ca
          ? { kind: "ca", caPem: await readUserFile("--ca", opts.ca) }
          : undefined;
        const family = server.family === 6 ? 6 : 4;
        const targets = inventory.links.flatMap((l) => {
          const a = addressOf(l, family);
          return a ? [{ name: l.name, family, localAddress: a } as const] : [];
        });
        stderrLogger(opts, "links scan").info(
          `probing ${showHostPort(server)} through ${targets.length} link(s)` +
            (trust ? "" : " (no --pin or --ca: the server will not be verified)"),
        );
        probes = await Promise.all(targets.map((t) =>
          probeLink(t, {
            host: server.host,
            port: server.port,
            servername: opts.servername,
            trust,
            timeoutMs: opts.probeTimeout,
          })
        ));
      }
      if (opts.json) console.log(JSON.stringify(scanJson(inventory, probes), null, 2));
      else for (const line of scanTable(inventory, probes)) console.log(line);
    });
}

const UP_EXAMPLES = `
Examples:
  # a serial modem on /dev/ttyUSB2, as ppp1
  sudo bondctl links up ppp --device /dev/ttyUSB2 --apn internet --name ppp1

  # see the files and the command first; nothing is written or started
  bondctl links up ppp --device /dev/ttyUSB2 --apn internet --name ppp1 --dry-run

  # an APN with a login, IPv4 only, peer files in another directory (started with pppd file)
  sudo bondctl links up ppp --device /dev/ttyACM0 --apn web.provider.net --user web \\
    --password web --ip-type ipv4 --name ppp2 --peers-dir /etc/bondctl/peers

With --via auto (the default), a modem that ModemManager manages (one of its ports is the
device) is connected with mmcli --simple-connect instead: pppd could not open its port.
Otherwise bondctl writes PEERS_DIR/NAME (pppd options) and PEERS_DIR/NAME.chat (the chat
script setting the APN), runs pppd call NAME (pppd file PEERS_DIR/NAME outside
/etc/ppp/peers), and waits for the interface and its address.`;

function upCommand() {
  return new Command("up")
    .description("bring a modem's data connection up (pppd, or ModemManager where it runs)")
    .addArgument(new Argument("<type>", "the kind of link to bring up").choices(["ppp"] as const))
    .requiredOption("--device <tty>", "the modem's serial port, e.g. /dev/ttyUSB2")
    .requiredOption("--apn <apn>", "the operator's access point name, e.g. internet")
    .requiredOption("--name <ifname>", "the interface (and pppd peer) name, e.g. ppp1")
    .option("--user <user>", "APN user name, if the operator wants one")
    .option("--password <password>", "APN password (kept in the peer file, mode 600)")
    .addOption(
      new Option("--ip-type <type>", "IP families to ask for").choices(
        ["ipv4", "ipv6", "ipv4v6"] as const,
      ).default("ipv4v6" as const),
    )
    .option("--baud <rate>", "serial speed", intArg("--baud", 300, 4_000_000), 115200)
    .addOption(
      new Option("--via <method>", "how to connect").choices(
        ["auto", "pppd", "modemmanager"] as const,
      ).default("auto" as const),
    )
    .option("--peers-dir <dir>", "where the peer and chat files go", DEFAULT_PEERS_DIR)
    .option(
      "--timeout <duration>",
      "how long to wait for the interface and its address",
      durationArg(1000),
      60_000,
    )
    .option("--dry-run", "print what would be written and run, and do nothing")
    .option("-q, --quiet", "only warnings and errors")
    .option("--debug", "more detail, and stack traces on errors")
    .addHelpText("after", UP_EXAMPLES)
    .action(async (_type, opts) => {
      const parsed = pppOptionsSchema.safeParse({
        name: opts.name,
        device: opts.device,
        apn: opts.apn,
        user: opts.user,
        password: opts.password,
        ipType: opts.ipType,
        baud: opts.baud,
        peersDir: opts.peersDir,
      });
      if (!parsed.success) throw new UserError(parsed.error.issues[0].message);
      const o = parsed.data;
      const log = stderrLogger(opts, "links up");
      if (!opts.dryRun) {
        requireRoot(
          Deno.uid(),
          "links up writes pppd's files and starts pppd or mmcli",
          "add --dry-run to see what it would do",
        );
      }
      // Read-only: which way to go depends on whether ModemManager owns the port.
      const mm = opts.via === "pppd" ? null : await queryModems();
      const choice = chooseMethod(opts.via, o.device, mm?.modems ?? null, describeNote(mm?.note));
      const modem = mm?.modems?.find((m) => m.index === choice.modem);
      const plan: UpPlan = choice.method === "modemmanager" && modem
        ? planModemManagerUp(o, modem, choice.why)
        : planPppUp(o, choice.why);
      if (opts.dryRun) {
        printPlan(plan, opts.timeout);
        return;
      }
      if (
        plan.interfaceName &&
        (await interfaceAddrs(plan.interfaceName))?.some((a) => a.scope === "global")
      ) {
        throw new UserError(
          `${plan.interfaceName} is already up: bondctl links down ${plan.interfaceName} first`,
        );
      }
      for (const n of plan.notes) log.info(n);
      await bringUp(plan, log, { timeoutMs: opts.timeout, pollMs: 250, progressMs: 5000 });
    });
}

function describeNote(note?: { tool: string; status: string; detail?: string }) {
  return note && note.status !== "ok"
    ? `${note.tool}: ${note.status.replace("-", " ")}${note.detail ? ` (${note.detail})` : ""}`
    : undefined;
}

/** `--dry-run`: exactly what would be written and run (passwords hidden). */
function printPlan(plan: UpPlan, timeoutMs: number): void {
  console.log(`method: ${plan.method} (${plan.notes.join("; ")})`);
  for (const f of plan.files) {
    console.log(`would write ${f.path} (mode ${f.mode.toString(8)}):`);
    for (const line of showFileContent(f.content).trimEnd().split("\n")) console.log(`  ${line}`);
  }
  for (const argv of plan.commands) console.log(`would run: ${showCommand(argv)}`);
  if (plan.method === "modemmanager") {
    console.log("would then put the bearer's static address on its interface (ip addr add)");
  }
  console.log(
    `would wait up to ${Math.round(timeoutMs / 1000)} s for ${
      plan.interfaceName ?? "the bearer's interface"
    } and its address`,
  );
}

const DOWN_EXAMPLES = `
Examples:
  sudo bondctl links down ppp1                  # stops the pppd of /var/run/ppp1.pid
  bondctl links down ppp1 --dry-run             # says what it would stop
  sudo bondctl links down wwan0                 # mmcli --simple-disconnect for that modem

The peer and chat files stay, so that pppd call NAME (or links up again) can reuse them.`;

function downCommand() {
  return new Command("down")
    .description("stop a link brought up by links up (pppd, or ModemManager)")
    .argument("<name>", "the interface, e.g. ppp1")
    .option("--run-dir <dir>", "where pppd writes its pid file NAME.pid", "/var/run")
    .option(
      "--timeout <duration>",
      "how long to wait for the interface to go",
      durationArg(100),
      10_000,
    )
    .option("--dry-run", "print what would be stopped, and do nothing")
    .option("-q, --quiet", "only warnings and errors")
    .option("--debug", "more detail, and stack traces on errors")
    .addHelpText("after", DOWN_EXAMPLES)
    .action(async (name, opts) => {
      if (!/^[A-Za-z][A-Za-z0-9_.-]{0,14}$/.test(name)) {
        throw new UserError(`"${name}" is not an interface name`);
      }
      if (!opts.dryRun) {
        requireRoot(Deno.uid(), "links down stops pppd or a modem", "add --dry-run");
      }
      const pidFile = `${opts.runDir.replace(/\/+$/, "")}/${name}.pid`;
      const seen = await readPidFile(pidFile);
      const mm = seen.cmdline === undefined ? await queryModems() : null;
      const plan = planDown(name, { pidFile, ...seen, modems: mm?.modems ?? null });
      if (opts.dryRun) {
        if (plan.method === "pppd") {
          console.log(`would send SIGTERM to pppd (pid ${plan.pid}, from ${plan.pidFile})`);
        } else {
          for (const argv of plan.commands) console.log(`would run: ${showCommand(argv)}`);
        }
        return;
      }
      await bringDown(name, plan, stderrLogger(opts, "links down"), opts.timeout);
    });
}

const ROUTE_EXAMPLES = `
Examples:
  bondctl links route                       # show the tables and rules, and what --apply would run
  sudo bondctl links route --apply          # install what is missing (again: changes nothing)
  sudo bondctl links route --apply --exclude wifi --table-base 200
  sudo bondctl links route --remove         # remove exactly what --apply installed

For each link i (in discovery order, kept stable in the state file): table BASE+i (101, 102 ...)
holds "default via GATEWAY dev IF" (or "default dev IF" for ppp) and "unreachable default
metric 4000", so that a cut link's traffic fails instead of leaking over another link; and
"ip rule add from ADDR lookup BASE+i priority 5000" sends what is bound to the link's address
there. IPv4 and IPv6 alike. What --apply installs is recorded in STATE_DIR/routes.json.
Run --apply again when a link comes up (e.g. from /etc/ppp/ip-up.d/).`;

function routeCommand() {
  return new Command("route")
    .description("one routing table and ip rule per link, so each tunnel leaves by its own link")
    .option("--apply", "install what is missing (needs root; idempotent)")
    .option("--remove", "remove what --apply installed (needs root)")
    .option(
      "--table-base <n>",
      "tables are BASE+1, BASE+2 ...",
      intArg("--table-base", 1, 2_000_000_000),
      DEFAULT_TABLE_BASE,
    )
    .option(
      "--priority <n>",
      "priority of the ip rules (before main at 32766)",
      intArg("--priority", 1, 32765),
      DEFAULT_RULE_PRIORITY,
    )
    .option("--state-dir <dir>", "where --apply records what it installed", DEFAULT_STATE_DIR)
    .option(
      "--exclude <name|kind>",
      `leave out an interface or a kind (${WAN_KINDS.join(", ")})`,
      collect,
    )
    .option("-q, --quiet", "only warnings and errors")
    .option("--debug", "more detail, and stack traces on errors")
    .addHelpText("after", ROUTE_EXAMPLES)
    .action(async (opts) => {
      if (opts.apply && opts.remove) throw new UserError("give --apply or --remove, not both");
      const statePath = `${opts.stateDir.replace(/\/+$/, "")}/${STATE_FILE}`;
      const log = stderrLogger(opts, "links route");
      if (opts.apply || opts.remove) {
        requireRoot(
          Deno.uid(),
          `links route ${opts.apply ? "--apply" : "--remove"} changes the routing tables`,
          "leave out --apply to see the plan",
        );
      }
      const previous = await loadRouteState(statePath);
      if (opts.remove) {
        if (!previous) {
          console.log(`nothing to remove: no ${statePath} (links route --apply records there)`);
          return;
        }
        const { commands, gone } = planRemove(previous, await readRouting());
        for (const g of gone) log.info(`already gone, nothing to undo: ${describeItem(g)}`);
        const { ran, error } = await runPlan(commands, (l) => console.log(l));
        // Items already gone are dropped too: nothing is left to undo for them.
        const left = error
          ? stateAfter(previous, previous.tables, ran)
          : { ...previous, items: [] };
        await saveRouteState(statePath, left);
        if (error) {
          throw new UserError(`${error.message} (what is left is still recorded in ${statePath})`);
        }
        console.log(`removed ${ran.length} rule(s) and route(s); ${statePath} deleted`);
        return;
      }
      const inv = await scanLinks({ modems: false });
      const ip = inv.tools.find((t) => t.tool === "ip" && t.status !== "ok");
      if (ip) {
        throw new UserError(
          `ip: ${ip.status.replace("-", " ")}${ip.detail ? ` (${ip.detail})` : ""}`,
        );
      }
      const links = inv.links.filter((l) => !isExcluded(l.name, l.kind, opts.exclude ?? []));
      const plan = planApply(links, await readRouting(), previous, {
        tableBase: opts.tableBase,
        priority: opts.priority,
      });
      for (const line of routeTable(links, plan.state.tables)) console.log(line);
      for (const n of plan.notes) log.info(n);
      if (!opts.apply) {
        if (plan.commands.length === 0) {
          console.log(`everything is in place (${plan.inPlace.length} rules and routes)`);
        } else {
          console.log(`links route --apply would run (${plan.inPlace.length} already in place):`);
          for (const c of plan.commands) console.log(`  ${showCommand(c.argv)}`);
        }
        return;
      }
      if (plan.commands.length === 0) {
        await saveRouteState(statePath, plan.state);
        console.log(`nothing to change: ${plan.inPlace.length} rules and routes already in place`);
        return;
      }
      const { ran, error } = await runPlan(plan.commands, (l) => console.log(l));
      await saveRouteState(
        statePath,
        error ? stateAfter(previous, plan.state.tables, ran) : plan.state,
      );
      if (error) {
        throw new UserError(
          `${error.message} (the ${ran.length} command(s) before it are recorded in ${statePath}; ` +
            "links route --remove undoes them)",
        );
      }
      console.log(
        `installed ${ran.filter((c) => c.action === "add").length}, removed ${
          ran.filter((c) => c.action === "del").length
        }, ${plan.inPlace.length} already in place; recorded in ${statePath}`,
      );
    });
}

/** What an item was, as the command that installed it. */
function describeItem(i: RouteItem): string {
  return showCommand(addCommand(i));
}

function routeTable(links: DiscoveredLink[], tables: Record<string, number>): string[] {
  if (links.length === 0) return ["no usable link (see bondctl links scan)"];
  const rows = links.map((l) => [
    l.name,
    l.kind,
    String(tables[l.name]),
    [addressOf(l, 4), addressOf(l, 6)].filter(Boolean).join(", "),
    l.pointToPoint ? `dev ${l.name}` : [l.gateway4, l.gateway6].filter(Boolean).join(", "),
  ]);
  const head = ["NAME", "KIND", "TABLE", "FROM", "VIA"];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [head, ...rows].map((r) => r.map((c, i) => c.padEnd(w[i])).join("  ").trimEnd());
}

const LINKS_EXAMPLES = `
Examples:
  bondctl links scan
  sudo bondctl links up ppp --device /dev/ttyUSB2 --apn internet --name ppp1
  sudo bondctl links route --apply
  sudo bondctl links down ppp1`;

/**
 * Builds `bondctl links` and its subcommands.
 * @example
 * ```ts
 * program.addCommand(linksCommand());
 * ```
 */
export function linksCommand() {
  return new Command("links")
    .description("find, bring up and route the links of this box")
    .addHelpText("after", LINKS_EXAMPLES)
    .addCommand(scanCommand())
    .addCommand(upCommand())
    .addCommand(downCommand())
    .addCommand(routeCommand());
}
