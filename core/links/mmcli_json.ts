/**
 * ModemManager's JSON (`mmcli -L -J`, `mmcli -m N -J`, `mmcli -b N -J`), read with zod. mmcli
 * prints every value as text and "--" for "none"; these parsers turn that into typed, optional
 * fields. Pure: text in, records out.
 * @module
 */
import { z } from "zod";
import { ToolOutputError } from "./errors.ts";
import { parseToolJson } from "./tool_json.ts";

/** mmcli's "--" means "no value". */
const opt = z.string().optional().transform((s) => (s === undefined || s === "--" ? undefined : s));
/** Lists are arrays in mmcli 1.10+, and a bare string in a few fields of older versions. */
const list = z.union([z.array(z.string()), z.string()]).optional().transform((v) =>
  v === undefined ? [] : (Array.isArray(v) ? v : [v]).filter((s) => s !== "--" && s !== "")
);

function indexOfPath(path: string, tool: string): number {
  const m = /\/(\d+)$/.exec(path);
  if (!m) throw new ToolOutputError(`${tool}: "${path}" is not a ModemManager object path`);
  return Number(m[1]);
}

const modemListSchema = z.object({ "modem-list": z.array(z.string()) });

/**
 * Parses `mmcli -L -J` into modem indices (the N of `mmcli -m N`).
 * @example
 * ```ts
 * parseModemList('{"modem-list":["/org/freedesktop/ModemManager1/Modem/3"]}'); // [3]
 * ```
 */
export function parseModemList(text: string): number[] {
  return parseToolJson("mmcli -L -J", modemListSchema, text)["modem-list"].map((p) =>
    indexOfPath(p, "mmcli -L -J")
  );
}

const modemSchema = z.object({
  modem: z.object({
    "dbus-path": z.string(),
    generic: z.object({
      manufacturer: opt,
      model: opt,
      state: opt,
      "access-technologies": list,
      "signal-quality": z.object({ value: opt, recent: opt }).optional(),
      ports: list,
      "primary-port": opt,
      bearers: list,
    }),
    "3gpp": z.object({
      "operator-name": opt,
      "operator-code": opt,
      "registration-state": opt,
    }).optional(),
  }),
});

/**
 * One port of a modem, as mmcli lists it: `ttyUSB2 (at)`, `wwan0 (net)`, `cdc-wdm0 (qmi)`.
 * @example
 * ```ts
 * const p: ModemPort = { name: "wwan0", type: "net" };
 * ```
 */
export interface ModemPort {
  name: string;
  /** at, net, qmi, mbim, qcdm, gps, ignored ... */
  type: string;
}

/**
 * What ModemManager says about one modem (the patent's [0034]: provider, strength, speed).
 * @example
 * ```ts
 * const m: ModemInfo = { index: 0, ports: [{ name: "wwan0", type: "net" }], bearers: [0],
 *   provider: "Movistar", technology: "lte", signal: 67, state: "connected" };
 * ```
 */
export interface ModemInfo {
  index: number;
  manufacturer?: string;
  model?: string;
  /** connected, registered, disabled, locked, failed ... */
  state?: string;
  /** Operator name, or its MCC/MNC code when the name is unknown. */
  provider?: string;
  /** Access technologies, comma-separated: "lte", "umts,hsdpa", "5gnr,lte". */
  technology?: string;
  /** Signal quality, 0..100 %. */
  signal?: number;
  ports: ModemPort[];
  /** Bearer indices (the N of `mmcli -b N`). */
  bearers: number[];
}

/**
 * Parses `mmcli -m N -J`.
 * @example
 * ```ts
 * const m = parseModem(await Deno.readTextFile("fixtures/mmcli/modem-0.json"));
 * m.provider; // "Movistar"
 * ```
 */
export function parseModem(text: string): ModemInfo {
  const tool = "mmcli -m N -J";
  const m = parseToolJson(tool, modemSchema, text).modem;
  const g = m.generic;
  const signalText = g["signal-quality"]?.value;
  const signal = signalText === undefined ? undefined : Number(signalText);
  if (signal !== undefined && !(Number.isFinite(signal) && signal >= 0 && signal <= 100)) {
    throw new ToolOutputError(`${tool}: signal-quality "${signalText}" is not 0..100`);
  }
  const info: ModemInfo = {
    index: indexOfPath(m["dbus-path"], tool),
    ports: g.ports.map(parsePort),
    bearers: g.bearers.map((b) => indexOfPath(b, tool)),
  };
  if (g.manufacturer) info.manufacturer = g.manufacturer;
  if (g.model) info.model = g.model;
  if (g.state) info.state = g.state;
  const provider = m["3gpp"]?.["operator-name"] ?? m["3gpp"]?.["operator-code"];
  if (provider) info.provider = provider;
  if (g["access-technologies"].length) info.technology = g["access-technologies"].join(",");
  if (signal !== undefined) info.signal = signal;
  return info;
}

function parsePort(text: string): ModemPort {
  const m = /^(\S+)\s*\(([^)]*)\)\s*$/.exec(text.trim());
  return m ? { name: m[1], type: m[2] } : { name: text.trim(), type: "unknown" };
}

const ipConfigSchema = z.object({
  method: opt,
  address: opt,
  prefix: opt,
  gateway: opt,
  mtu: opt,
  dns: list,
}).optional();

const bearerSchema = z.object({
  bearer: z.object({
    "dbus-path": z.string(),
    status: z.object({ connected: opt, interface: opt }),
    "ipv4-config": ipConfigSchema,
    "ipv6-config": ipConfigSchema,
  }),
});

/**
 * How ModemManager says the host must configure one family of a bearer.
 * @example
 * ```ts
 * const m: BearerMethod = "static";
 * ```
 */
export type BearerMethod = "static" | "dhcp" | "ppp" | "unknown";

/**
 * One family's IP settings of a connected bearer.
 * @example
 * ```ts
 * const v4: BearerIpConfig = { method: "static", address: "10.64.12.7", prefix: 30,
 *   gateway: "10.64.12.8", mtu: 1500, dns: ["10.11.12.13"] };
 * ```
 */
export interface BearerIpConfig {
  method: BearerMethod;
  address?: string;
  prefix?: number;
  gateway?: string;
  mtu?: number;
  dns: string[];
}

/**
 * A bearer (a data connection of a modem) from `mmcli -b N -J`.
 * @example
 * ```ts
 * const b: BearerInfo = { index: 0, connected: true, interface: "wwan0" };
 * ```
 */
export interface BearerInfo {
  index: number;
  connected: boolean;
  /** The network interface that carries it: wwan0 for QMI/MBIM, a tty for PPP. */
  interface?: string;
  ipv4?: BearerIpConfig;
  ipv6?: BearerIpConfig;
}

/**
 * Parses `mmcli -b N -J`.
 * @example
 * ```ts
 * const b = parseBearer(await Deno.readTextFile("fixtures/mmcli/bearer-0.json"));
 * b.ipv4?.address; // "10.64.12.7"
 * ```
 */
export function parseBearer(text: string): BearerInfo {
  const tool = "mmcli -b N -J";
  const b = parseToolJson(tool, bearerSchema, text).bearer;
  const info: BearerInfo = {
    index: indexOfPath(b["dbus-path"], tool),
    connected: b.status.connected === "yes",
  };
  if (b.status.interface) info.interface = b.status.interface;
  const v4 = ipConfig(b["ipv4-config"], tool);
  const v6 = ipConfig(b["ipv6-config"], tool);
  if (v4) info.ipv4 = v4;
  if (v6) info.ipv6 = v6;
  return info;
}

function ipConfig(c: z.output<typeof ipConfigSchema>, tool: string): BearerIpConfig | undefined {
  if (!c || !c.method) return undefined;
  const num = (field: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new ToolOutputError(`${tool}: ${field} "${v}"`);
    return n;
  };
  const method: BearerMethod = c.method === "static" || c.method === "dhcp" || c.method === "ppp"
    ? c.method
    : "unknown";
  const out: BearerIpConfig = { method, dns: c.dns };
  if (c.address) out.address = c.address;
  const prefix = num("prefix", c.prefix);
  if (prefix !== undefined) out.prefix = prefix;
  if (c.gateway) out.gateway = c.gateway;
  const mtu = num("mtu", c.mtu);
  if (mtu !== undefined) out.mtu = mtu;
  return out;
}

/**
 * Why `mmcli` failed, from its stderr: ModemManager not running (the usual case on a box
 * without modems), or another error (its first line).
 * @example
 * ```ts
 * mmcliFailure("error: couldn't find the ModemManager process in the bus");
 * // { status: "not-running", detail: "ModemManager is not running" }
 * ```
 */
export function mmcliFailure(stderr: string): { status: "not-running" | "failed"; detail: string } {
  if (/ModemManager process|org\.freedesktop\.ModemManager1|D-Bus|dbus/i.test(stderr)) {
    return { status: "not-running", detail: "ModemManager is not running" };
  }
  return { status: "failed", detail: stderr.split("\n")[0].slice(0, 200) || "no message" };
}
