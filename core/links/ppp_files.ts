/**
 * The files `links up ppp` writes for pppd: the peer options (`/etc/ppp/peers/<name>`) and
 * the chat script that dials the APN (`<name>.chat` beside it), and the pppd command line.
 * Pure: options in, text out. Every option is checked first, with a message naming its flag,
 * because these files end up executed as root.
 * @module
 */
import { z } from "zod";

/**
 * Where pppd's `call NAME` looks for peers.
 * @example
 * ```ts
 * pppdCommand({ name: "ppp1", peersDir: DEFAULT_PEERS_DIR }); // ["pppd", "call", "ppp1"]
 * ```
 */
export const DEFAULT_PEERS_DIR = "/etc/ppp/peers";
/**
 * The chat program Debian's ppp package installs.
 * @example
 * ```ts
 * // connect "${CHAT_PATH} -v -f /etc/ppp/peers/ppp1.chat"
 * ```
 */
export const CHAT_PATH = "/usr/sbin/chat";

/**
 * Which IP families to ask the network for (the PDP context type).
 * @example
 * ```ts
 * const t: IpType = "ipv4v6"; // AT+CGDCONT=1,"IPV4V6",...
 * ```
 */
export type IpType = "ipv4" | "ipv6" | "ipv4v6";

// Printable, no quotes or backslashes: these land inside quoted strings of pppd and chat.
const safeText = (flag: string) =>
  z.string().min(1, `${flag} is empty`).max(64, `${flag} is longer than 64 characters`).regex(
    /^[\x21-\x7e]+$/,
    `${flag} may hold printable characters only, no spaces`,
  ).refine((s) => !/["'\\]/.test(s), `${flag} may not contain quotes or backslashes`);

/**
 * Checks `links up ppp` options; the messages name the flag.
 * @example
 * ```ts
 * const o = pppOptionsSchema.parse({ name: "ppp1", device: "/dev/ttyUSB2", apn: "internet" });
 * o.ipType; // "ipv4v6"
 * ```
 */
export const pppOptionsSchema = z.object({
  name: z.string().regex(
    /^[a-z][a-z0-9_-]{0,14}$/i,
    "--name must be an interface name: a letter, then up to 14 letters, digits, - or _ (e.g. ppp1)",
  ),
  device: z.string().regex(
    /^\/dev\/[A-Za-z0-9._/-]+$/,
    "--device must be a serial device path such as /dev/ttyUSB2",
  ).refine((s) => !s.split("/").includes(".."), "--device may not contain '..'"),
  apn: z.string().regex(
    /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,98}[A-Za-z0-9])?$/,
    "--apn must be an APN such as internet or web.vodafone.de (letters, digits, '.', '-', '_')",
  ),
  user: safeText("--user").optional(),
  password: safeText("--password").optional(),
  ipType: z.enum(["ipv4", "ipv6", "ipv4v6"]).default("ipv4v6"),
  baud: z.int("--baud must be a whole number").min(300).max(4_000_000).default(115200),
  peersDir: z.string().min(1).default(DEFAULT_PEERS_DIR),
});

/**
 * Checked `links up ppp` options.
 * @example
 * ```ts
 * const o: PppOptions = pppOptionsSchema.parse({ name: "ppp1", device: "/dev/ttyUSB2", apn: "internet" });
 * ```
 */
export type PppOptions = z.output<typeof pppOptionsSchema>;

/**
 * A file to write, with its permission bits.
 * @example
 * ```ts
 * const f: PlannedFile = { path: "/etc/ppp/peers/ppp1", content: "...", mode: 0o600 };
 * ```
 */
export interface PlannedFile {
  path: string;
  content: string;
  mode: number;
}

/**
 * Path of the chat script of peer `name`.
 * @example
 * ```ts
 * chatPath({ name: "ppp1", peersDir: "/etc/ppp/peers" }); // "/etc/ppp/peers/ppp1.chat"
 * ```
 */
export function chatPath(o: Pick<PppOptions, "name" | "peersDir">): string {
  return `${o.peersDir.replace(/\/+$/, "")}/${o.name}.chat`;
}

/**
 * Path of the peer options file of `name`.
 * @example
 * ```ts
 * peerPath({ name: "ppp1", peersDir: "/etc/ppp/peers" }); // "/etc/ppp/peers/ppp1"
 * ```
 */
export function peerPath(o: Pick<PppOptions, "name" | "peersDir">): string {
  return `${o.peersDir.replace(/\/+$/, "")}/${o.name}`;
}

/**
 * The pppd peer options file.
 * @example
 * ```ts
 * pppPeerFile(pppOptionsSchema.parse({ name: "ppp1", device: "/dev/ttyUSB2", apn: "internet" }));
 * ```
 */
export function pppPeerFile(o: PppOptions): string {
  const lines = [
    `# ${o.name}: written by bondctl links up ppp (APN ${o.apn}); bondctl links down ${o.name} stops it`,
    o.device,
    String(o.baud),
    `connect "${CHAT_PATH} -v -f ${chatPath(o)}"`,
    // The interface gets the name bondctl was given, and pppd's pid file /var/run/<name>.pid.
    `ifname ${o.name}`,
    `linkname ${o.name}`,
    "noauth",
  ];
  if (o.user) lines.push(`user "${o.user}"`);
  if (o.password) lines.push(`password "${o.password}"`);
  lines.push(
    "noipdefault",
    "# each link gets its own routing table: bondctl links route --apply",
    "nodefaultroute",
  );
  if (o.ipType === "ipv6") lines.push("noip", "+ipv6");
  else if (o.ipType === "ipv4v6") lines.push("+ipv6");
  lines.push(
    // Cellular networks rarely do compression; asking only delays the link.
    "noccp",
    "novj",
    // Redial for ever, 5 s apart: a modem that drops should come back by itself.
    "persist",
    "maxfail 0",
    "holdoff 5",
    // A dead radio link is noticed within a minute.
    "lcp-echo-interval 10",
    "lcp-echo-failure 6",
    "crtscts",
    "lock",
    "modem",
  );
  return lines.join("\n") + "\n";
}

/**
 * The chat script that sets the APN and dials.
 * @example
 * ```ts
 * pppChatScript(pppOptionsSchema.parse({ name: "ppp1", device: "/dev/ttyUSB2", apn: "internet" }));
 * // ... OK 'AT+CGDCONT=1,"IPV4V6","internet"' ...
 * ```
 */
export function pppChatScript(o: PppOptions): string {
  const pdp = o.ipType === "ipv4" ? "IP" : o.ipType === "ipv6" ? "IPV6" : "IPV4V6";
  return [
    `# ${o.name}: dial APN ${o.apn} on ${o.device} (written by bondctl links up ppp)`,
    'ABORT "BUSY"',
    'ABORT "NO CARRIER"',
    'ABORT "NO DIALTONE"',
    'ABORT "ERROR"',
    'ABORT "NO ANSWER"',
    "TIMEOUT 30",
    '"" "AT"',
    'OK "ATE0"',
    `OK 'AT+CGDCONT=1,"${pdp}","${o.apn}"'`,
    'OK "ATD*99***1#"',
    'CONNECT ""',
  ].join("\n") + "\n";
}

/**
 * Both files, peer first. The peer file is 0600 when it holds a password.
 * @example
 * ```ts
 * for (const f of pppFiles(opts)) await Deno.writeTextFile(f.path, f.content, { mode: f.mode });
 * ```
 */
export function pppFiles(o: PppOptions): PlannedFile[] {
  return [
    { path: peerPath(o), content: pppPeerFile(o), mode: o.password ? 0o600 : 0o644 },
    { path: chatPath(o), content: pppChatScript(o), mode: 0o644 },
  ];
}

/**
 * The pppd command: `pppd call NAME` from /etc/ppp/peers, else `pppd file PATH` (pppd only
 * looks for `call` peers in /etc/ppp/peers).
 * @example
 * ```ts
 * pppdCommand({ name: "ppp1", peersDir: "/etc/ppp/peers" }); // ["pppd", "call", "ppp1"]
 * ```
 */
export function pppdCommand(o: Pick<PppOptions, "name" | "peersDir">): string[] {
  const dir = o.peersDir.replace(/\/+$/, "");
  return dir === DEFAULT_PEERS_DIR ? ["pppd", "call", o.name] : ["pppd", "file", peerPath(o)];
}

/**
 * The tty a peer file dials (`/dev/ttyUSB2` -> ttyUSB2), to match it with a ModemManager port.
 * @example
 * ```ts
 * peerDevice("# comment\n/dev/ttyUSB2\n115200\n"); // "ttyUSB2"
 * ```
 */
export function peerDevice(peerFile: string): string | undefined {
  for (const raw of peerFile.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("/dev/")) return line.slice(line.lastIndexOf("/") + 1);
  }
  return undefined;
}
