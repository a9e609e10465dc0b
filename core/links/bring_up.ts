/**
 * `links up` and `links down`, the pure part: which way to bring a modem up (pppd on its
 * serial port, or ModemManager where it manages the modem), the commands to run, how far the
 * interface has come while we wait, and how to stop it again.
 *
 * `links up ppp`, in order:
 * 1. choose the method (`--via auto`: ModemManager if one of its modems owns the tty);
 * 2. pppd: write the peer and chat files, run `pppd call NAME`;
 *    ModemManager: `mmcli -m N --simple-connect=apn=...`, then put the bearer's static
 *    address on its interface (ModemManager leaves that to the host);
 * 3. wait for the interface and a global address (phase: no-interface, no-address, up).
 * @module
 */
import { BringUpError } from "./errors.ts";
import type { IpAddress } from "./ip_json.ts";
import type { BearerInfo, ModemInfo } from "./mmcli_json.ts";
import { type PlannedFile, pppdCommand, pppFiles, type PppOptions } from "./ppp_files.ts";

/**
 * How a link is brought up.
 * @example
 * ```ts
 * const m: UpMethod = "pppd";
 * ```
 */
export type UpMethod = "pppd" | "modemmanager";

/**
 * What `--via` asks for.
 * @example
 * ```ts
 * const via: UpVia = "auto"; // ModemManager if it owns the port, else pppd
 * ```
 */
export type UpVia = UpMethod | "auto";

/**
 * Everything `links up` will do, before it does it (what `--dry-run` prints).
 * @example
 * ```ts
 * const plan = planPppUp(opts);
 * plan.commands; // [["pppd", "call", "ppp1"]]
 * ```
 */
export interface UpPlan {
  method: UpMethod;
  /** The interface to wait for; undefined until ModemManager names its bearer's interface. */
  interfaceName?: string;
  files: PlannedFile[];
  commands: string[][];
  /** Why this method was chosen, and other things the user should know. */
  notes: string[];
}

/**
 * Decides pppd or ModemManager for a serial device.
 * @example
 * ```ts
 * chooseMethod("auto", "/dev/ttyUSB2", modems); // { method: "modemmanager", modem: 1, why: ... }
 * ```
 */
export function chooseMethod(
  via: UpVia,
  device: string,
  modems: ModemInfo[] | null,
  mmcliNote?: string,
): { method: UpMethod; modem?: number; why: string } {
  const tty = device.slice(device.lastIndexOf("/") + 1);
  const owner = modems?.find((m) => m.ports.some((p) => p.name === tty));
  if (via === "pppd") return { method: "pppd", why: "--via pppd" };
  if (via === "modemmanager") {
    if (!owner) {
      throw new BringUpError(
        modems === null
          ? `--via modemmanager: ${mmcliNote ?? "mmcli is not available"}`
          : `--via modemmanager: no ModemManager modem has the port ${tty} (see mmcli -L); use --via pppd`,
      );
    }
    return { method: "modemmanager", modem: owner.index, why: "--via modemmanager" };
  }
  if (owner) {
    return {
      method: "modemmanager",
      modem: owner.index,
      why: `ModemManager manages ${tty} (modem ${owner.index}): pppd could not open it`,
    };
  }
  return {
    method: "pppd",
    why: modems === null
      ? `pppd (${mmcliNote ?? "mmcli not available"})`
      : `pppd: no ModemManager modem owns ${tty}`,
  };
}

/**
 * The pppd way: two files, one command.
 * @example
 * ```ts
 * planPppUp(pppOptionsSchema.parse({ name: "ppp1", device: "/dev/ttyUSB2", apn: "internet" }));
 * ```
 */
export function planPppUp(o: PppOptions, why = "pppd"): UpPlan {
  return {
    method: "pppd",
    interfaceName: o.name,
    files: pppFiles(o),
    commands: [pppdCommand(o)],
    notes: [why],
  };
}

/**
 * The ModemManager way: one `mmcli --simple-connect`. The interface is the modem's net port
 * (wwan0) when it has one; a serial-only modem is named later by its bearer.
 * @example
 * ```ts
 * planModemManagerUp(opts, modem).commands;
 * // [["mmcli", "-m", "1", "--simple-connect=apn=internet,ip-type=ipv4v6"]]
 * ```
 */
export function planModemManagerUp(o: PppOptions, modem: ModemInfo, why: string): UpPlan {
  const settings = [`apn=${o.apn}`, `ip-type=${o.ipType}`];
  if (o.user) settings.push(`user=${o.user}`);
  if (o.password) settings.push(`password=${o.password}`);
  const net = modem.ports.find((p) => p.type === "net")?.name;
  const notes = [why];
  if (net && net !== o.name) {
    notes.push(`the link will be ${net} (ModemManager's interface for this modem), not ${o.name}`);
  }
  return {
    method: "modemmanager",
    interfaceName: net,
    files: [],
    commands: [["mmcli", "-m", String(modem.index), `--simple-connect=${settings.join(",")}`]],
    notes,
  };
}

/**
 * After `--simple-connect`: the commands that put a static bearer's address on its interface
 * (skipping what is there already), and what the user must do for other methods.
 * @example
 * ```ts
 * bearerAddressCommands(bearer, []).commands;
 * // [["ip", "link", "set", "wwan0", "up"], ["ip", "-4", "addr", "add", "10.64.12.7/30", ...]]
 * ```
 */
export function bearerAddressCommands(
  bearer: BearerInfo,
  present: IpAddress[],
): { interfaceName?: string; commands: string[][]; warnings: string[] } {
  const dev = bearer.interface;
  const commands: string[][] = [];
  const warnings: string[] = [];
  if (!bearer.connected) warnings.push(`bearer ${bearer.index} is not connected`);
  if (!dev) {
    warnings.push(`bearer ${bearer.index} names no interface`);
    return { commands, warnings };
  }
  const configs = [[4, bearer.ipv4], [6, bearer.ipv6]] as const;
  let up = false;
  for (const [fam, c] of configs) {
    if (!c) continue;
    if (c.method === "ppp") {
      throw new BringUpError(
        `the modem's bearer needs PPP on its serial port: run links up ppp --via pppd`,
      );
    }
    if (c.method === "dhcp") {
      warnings.push(`${dev} gets its IPv${fam} address by DHCP: run a DHCP client on ${dev}`);
      continue;
    }
    if (c.method !== "static" || !c.address || c.prefix === undefined) continue;
    if (!up) {
      commands.push(["ip", "link", "set", dev, "up"]);
      up = true;
    }
    if (c.mtu !== undefined && fam === 4) {
      commands.push(["ip", "link", "set", "dev", dev, "mtu", String(c.mtu)]);
    }
    if (!present.some((a) => a.ifname === dev && a.local === c.address)) {
      commands.push(["ip", `-${fam}`, "addr", "add", `${c.address}/${c.prefix}`, "dev", dev]);
    }
  }
  return { interfaceName: dev, commands, warnings };
}

/**
 * How far an interface has come while `links up` waits.
 * @example
 * ```ts
 * upPhase("ppp1", null).phase; // "no-interface"
 * ```
 */
export type UpPhase = "no-interface" | "no-address" | "up";

/**
 * The phase of `name` from `ip -j addr` (null: the interface does not exist yet).
 * @example
 * ```ts
 * upPhase("ppp1", null); // { phase: "no-interface", addresses: [] }
 * ```
 */
export function upPhase(
  name: string,
  addrs: IpAddress[] | null,
): { phase: UpPhase; addresses: IpAddress[] } {
  if (addrs === null) return { phase: "no-interface", addresses: [] };
  const mine = addrs.filter((a) => a.ifname === name && a.scope === "global" && a.usable);
  return { phase: mine.length ? "up" : "no-address", addresses: mine };
}

/**
 * One progress line while waiting.
 * @example
 * ```ts
 * describeWait("ppp1", "no-interface", 4200, 60000); // "ppp1: waiting for the interface (4 s of 60 s)"
 * ```
 */
export function describeWait(name: string, phase: UpPhase, elapsedMs: number, limitMs: number) {
  const what = phase === "no-interface"
    ? "waiting for the interface"
    : phase === "no-address"
    ? "interface is there, waiting for its address"
    : "up";
  return `${name}: ${what} (${Math.round(elapsedMs / 1000)} s of ${Math.round(limitMs / 1000)} s)`;
}

/**
 * The report once the link is up.
 * @example
 * ```ts
 * describeUp("ppp1", addrs); // "ppp1 is up: 10.112.34.56 peer 10.64.64.64"
 * ```
 */
export function describeUp(name: string, addresses: IpAddress[]): string {
  const shown = addresses.map((a) =>
    a.peer ? `${a.local} peer ${a.peer}` : `${a.local}/${a.prefixlen}`
  );
  return `${name} is up: ${shown.join(", ")}`;
}

/**
 * How `links down NAME` stops a link.
 * @example
 * ```ts
 * const plan: DownPlan = { method: "pppd", pid: 4242, pidFile: "/var/run/ppp1.pid" };
 * ```
 */
export type DownPlan =
  | { method: "pppd"; pid: number; pidFile: string }
  | { method: "modemmanager"; modem: number; commands: string[][] };

/**
 * Reads the pid from pppd's pid file (first line; a second line may name the interface).
 * @example
 * ```ts
 * parsePidFile("4242\nppp1\n"); // 4242
 * ```
 */
export function parsePidFile(text: string): number | undefined {
  const first = text.split("\n")[0].trim();
  if (!/^\d{1,10}$/.test(first)) return undefined;
  const pid = Number(first);
  return pid > 1 ? pid : undefined;
}

/**
 * Is `/proc/PID/cmdline` (NUL-separated) a pppd? A stale pid file must not make us signal
 * some other process that got the same pid.
 * @example
 * ```ts
 * looksLikePppd("/usr/sbin/pppd\0call\0ppp1\0"); // true
 * ```
 */
export function looksLikePppd(cmdline: string): boolean {
  const argv = cmdline.split("\0").filter((a) => a !== "");
  // A script interpreter runs pppd wrappers as `sh /path/pppd ...`: look at the first two.
  return argv.slice(0, 2).some((a) => a.slice(a.lastIndexOf("/") + 1) === "pppd");
}

/**
 * Decides how to stop `name`: the pppd in its pid file, else the ModemManager modem whose
 * net port it is. Throws a {@link BringUpError} saying what was looked for when neither.
 * @example
 * ```ts
 * planDown("ppp1", { pidFile: "/var/run/ppp1.pid", pidText: "4242\n", cmdline: "pppd\0call\0ppp1" });
 * ```
 */
export function planDown(
  name: string,
  seen: { pidFile: string; pidText?: string; cmdline?: string; modems?: ModemInfo[] | null },
): DownPlan {
  if (seen.pidText !== undefined) {
    const pid = parsePidFile(seen.pidText);
    if (pid === undefined) {
      throw new BringUpError(`${seen.pidFile} holds no pid: remove it if no pppd runs for ${name}`);
    }
    if (seen.cmdline !== undefined && looksLikePppd(seen.cmdline)) {
      return { method: "pppd", pid, pidFile: seen.pidFile };
    }
    if (seen.cmdline !== undefined) {
      throw new BringUpError(
        `${seen.pidFile} names pid ${pid}, which is not pppd (a stale pid file): remove it`,
      );
    }
    // No such process: fall through to ModemManager, else say the pid file is stale.
  }
  const modem = seen.modems?.find((m) => m.ports.some((p) => p.type === "net" && p.name === name));
  if (modem) {
    return {
      method: "modemmanager",
      modem: modem.index,
      commands: [
        ["mmcli", "-m", String(modem.index), "--simple-disconnect"],
        // links up put the bearer's address there; ModemManager does not take it away.
        ["ip", "addr", "flush", "dev", name, "scope", "global"],
      ],
    };
  }
  if (seen.pidText !== undefined) {
    throw new BringUpError(
      `${seen.pidFile} names a pppd that is no longer running: ${name} is already down (remove the stale file)`,
    );
  }
  throw new BringUpError(
    `nothing to stop for ${name}: no pppd pid file ${seen.pidFile} and no ModemManager modem with that interface`,
  );
}

/**
 * A command as a shell line for messages and `--dry-run`, with passwords hidden.
 * @example
 * ```ts
 * showCommand(["mmcli", "-m", "1", "--simple-connect=apn=x,password=s3cret"]);
 * // "mmcli -m 1 --simple-connect=apn=x,password=***"
 * ```
 */
export function showCommand(argv: readonly string[]): string {
  return argv.map((a) => {
    // Quote as the real argument needs, then hide the secret.
    const shown = /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`;
    return shown.replace(/(password=)[^,']*/g, "$1***");
  }).join(" ");
}

/**
 * A planned file's content for `--dry-run`, with a password line hidden.
 * @example
 * ```ts
 * showFileContent('password "s3cret"\n'); // 'password "***"\n'
 * ```
 */
export function showFileContent(content: string): string {
  return content.replace(/^password ".*"$/m, 'password "***"');
}
