/**
 * Discovery, the I/O part: runs `ip -j` (link, addr, routes of every table), reads sysfs,
 * asks ModemManager (`mmcli -J`) and reads pppd peer files, then hands everything to the pure
 * `buildInventory`. A missing or failing tool becomes a note in the inventory, not an error.
 * @module
 */
import { runTool, runToolOrThrow, type ToolResult } from "./command_io.ts";
import { ToolFailedError } from "./errors.ts";
import {
  type IpAddress,
  type IpLink,
  type IpRoute,
  parseIpAddrs,
  parseIpLinks,
  parseIpRoutes,
  parseIpRules,
} from "./ip_json.ts";
import { buildInventory, type Inventory, type ToolNote } from "./inventory.ts";
import { mmcliFailure, type ModemInfo, parseModem, parseModemList } from "./mmcli_json.ts";
import { DEFAULT_PEERS_DIR, peerDevice } from "./ppp_files.ts";
import type { CurrentRouting } from "./route_plan.ts";
import { readSysfsFacts } from "./sysfs_io.ts";

/**
 * What to look at besides `ip`.
 * @example
 * ```ts
 * const o: ScanOptions = { modems: true, peersDir: "/etc/ppp/peers" };
 * ```
 */
export interface ScanOptions {
  /** Ask ModemManager (slower: one mmcli run per modem). Default true. */
  modems?: boolean;
  /** Where pppd peer files are, to match a ppp interface with its modem's tty. */
  peersDir?: string;
}

const TIMEOUT_MS = 10_000;

/**
 * Discovers the links of this machine.
 * @example
 * ```ts
 * const inv = await scanLinks();
 * for (const l of inv.links) console.log(l.name, l.kind, l.addresses[0]?.address);
 * ```
 */
export async function scanLinks(o: ScanOptions = {}): Promise<Inventory> {
  const [link, addr, r4, r6] = await Promise.all([
    runTool(["ip", "-j", "-d", "link", "show"], { timeoutMs: TIMEOUT_MS }),
    runTool(["ip", "-j", "addr", "show"], { timeoutMs: TIMEOUT_MS }),
    runTool(["ip", "-j", "-4", "route", "show", "table", "all"], { timeoutMs: TIMEOUT_MS }),
    runTool(["ip", "-j", "-6", "route", "show", "table", "all"], { timeoutMs: TIMEOUT_MS }),
  ]);
  const tools: ToolNote[] = [];
  const broken = [link, addr, r4, r6].find((r) => r.kind !== "ok");
  if (broken) {
    tools.push(
      broken.kind === "missing"
        ? { tool: "ip", status: "not-installed", detail: "install iproute2" }
        : { tool: "ip", status: "failed", detail: (broken as { stderr: string }).stderr },
    );
    return { links: [], excluded: [], tools };
  }
  const links = parseIpLinks(text(link));
  const routes: IpRoute[] = [
    ...parseIpRoutes(text(r4), 4, "main", "ip -j -4 route show table all"),
    ...parseIpRoutes(text(r6), 6, "main", "ip -j -6 route show table all"),
  ];
  const sysfs = await readSysfsFacts();
  let modems: ModemInfo[] = [];
  if (o.modems !== false) {
    const q = await queryModems();
    tools.push(q.note);
    modems = q.modems ?? [];
  }
  return buildInventory({
    links,
    addrs: parseIpAddrs(text(addr)),
    routes,
    sysfs,
    modems,
    pppTtys: await pppTtys(links, o.peersDir ?? DEFAULT_PEERS_DIR),
    tools,
  });
}

function text(r: ToolResult): string {
  return r.kind === "ok" ? r.stdout : "";
}

/**
 * Asks ModemManager for its modems. `modems` is null when mmcli could not answer; `note`
 * says why ("mmcli: not installed", "not running").
 * @example
 * ```ts
 * const { modems, note } = await queryModems();
 * ```
 */
export async function queryModems(): Promise<{ modems: ModemInfo[] | null; note: ToolNote }> {
  const list = await runTool(["mmcli", "-L", "-J"], { timeoutMs: TIMEOUT_MS });
  if (list.kind === "missing") {
    return {
      modems: null,
      note: { tool: "mmcli", status: "not-installed", detail: "no operator, technology or signal" },
    };
  }
  if (list.kind === "failed") {
    return { modems: null, note: { tool: "mmcli", ...mmcliFailure(list.stderr) } };
  }
  const modems: ModemInfo[] = [];
  for (const index of parseModemList(list.stdout)) {
    const r = await runTool(["mmcli", "-m", String(index), "-J"], { timeoutMs: TIMEOUT_MS });
    // A modem that vanished between the two calls is simply not there.
    if (r.kind === "ok") modems.push(parseModem(r.stdout));
  }
  return { modems, note: { tool: "mmcli", status: "ok" } };
}

async function pppTtys(links: IpLink[], dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const l of links) {
    if (l.linkType !== "ppp" && !l.ifname.startsWith("ppp")) continue;
    const peer = await Deno.readTextFile(`${dir}/${l.ifname}`).catch(() => null);
    const tty = peer === null ? undefined : peerDevice(peer);
    if (tty) out[l.ifname] = tty;
  }
  return out;
}

/**
 * The kernel's rules and routes of every table, both families (for `links route`).
 * @example
 * ```ts
 * const now = await readRouting();
 * ```
 */
export async function readRouting(): Promise<CurrentRouting> {
  const hint = "install iproute2";
  const [r4, r6, u4, u6] = await Promise.all([
    runToolOrThrow(["ip", "-j", "-4", "route", "show", "table", "all"], hint),
    runToolOrThrow(["ip", "-j", "-6", "route", "show", "table", "all"], hint),
    runToolOrThrow(["ip", "-j", "-4", "rule", "show"], hint),
    runToolOrThrow(["ip", "-j", "-6", "rule", "show"], hint),
  ]);
  return {
    routes: [
      ...parseIpRoutes(r4, 4, "main", "ip -j -4 route show table all"),
      ...parseIpRoutes(r6, 6, "main", "ip -j -6 route show table all"),
    ],
    rules: [...parseIpRules(u4, 4), ...parseIpRules(u6, 6)],
  };
}

/**
 * The addresses of one interface, or null when it does not exist (for `links up`'s wait).
 * @example
 * ```ts
 * const addrs = await interfaceAddrs("ppp1");
 * ```
 */
export async function interfaceAddrs(ifname: string): Promise<IpAddress[] | null> {
  const r = await runTool(["ip", "-j", "addr", "show", "dev", ifname], { timeoutMs: TIMEOUT_MS });
  if (r.kind === "missing") throw new ToolFailedError("ip is not installed: install iproute2");
  if (r.kind === "failed") {
    if (/does not exist|Cannot find device/i.test(r.stderr)) return null;
    throw new ToolFailedError(`ip addr show dev ${ifname} failed: ${r.stderr}`);
  }
  return parseIpAddrs(r.stdout, `ip -j addr show dev ${ifname}`);
}
