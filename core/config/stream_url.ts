/**
 * What `--input` and `--output` name: a pipe or a file, as in the foundation, or one of the
 * URL schemes that carry streams: `tcp-listen://`, `socks5://` and `udp-listen://` on the side
 * that feeds the bond, `tcp://` and `udp://` on the side where streams come out.
 * Pure: parsing only; nothing is opened here.
 * @module
 */
import { type HostPort, parseHostPort } from "./endpoint.ts";
import { OptionError } from "./units.ts";

/** What feeds the bond on this side. */
export type InputSpec =
  | { kind: "stdin" }
  | { kind: "file"; path: string }
  /** Every accepted connection becomes a stream (TCP interception, [0026]). */
  | { kind: "tcp-listen"; at: HostPort }
  /** A SOCKS5 server: every CONNECT becomes a stream to the relay, which connects. */
  | { kind: "socks5"; at: HostPort }
  /** Datagrams received here travel with their boundaries; replies come back. */
  | { kind: "udp-listen"; at: HostPort };

/** Where streams come out on this side, when `--output` is a URL. */
export type OutputTarget =
  | { kind: "tcp"; to: HostPort }
  | { kind: "udp"; to: HostPort };

const INPUT_SCHEMES = ["tcp-listen", "socks5", "udp-listen"] as const;
const OUTPUT_SCHEMES = ["tcp", "udp"] as const;

/** `scheme://rest` split, or null for a plain path. */
function splitUrl(text: string): { scheme: string; rest: string } | null {
  const m = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(text);
  return m ? { scheme: m[1].toLowerCase(), rest: m[2] } : null;
}

function address(flag: string, scheme: string, rest: string, listen: boolean): HostPort {
  const clean = rest.replace(/\/+$/, "");
  if (clean.includes("/")) {
    throw new OptionError(`${flag} ${scheme}://${rest}: a path is not allowed; use HOST:PORT`);
  }
  try {
    const hp = parseHostPort(clean, undefined, { allowZero: listen });
    if (hp.port === undefined || Number.isNaN(hp.port)) throw new OptionError("no port");
    return hp;
  } catch (e) {
    throw new OptionError(`${flag} ${scheme}://${rest}: ${(e as Error).message}`);
  }
}

/**
 * Parses `--input` of the side that feeds the bond.
 * @example
 * ```ts
 * parseInputSpec("tcp-listen://127.0.0.1:1935"); // { kind: "tcp-listen", at: {...} }
 * parseInputSpec("-"); // { kind: "stdin" }
 * ```
 */
export function parseInputSpec(text: string): InputSpec {
  if (text === "-") return { kind: "stdin" };
  const url = splitUrl(text);
  if (!url) {
    if (text === "") throw new OptionError("--input is empty: use - for standard input");
    return { kind: "file", path: text };
  }
  const scheme = url.scheme as typeof INPUT_SCHEMES[number];
  if (!INPUT_SCHEMES.includes(scheme)) {
    throw new OptionError(
      `--input ${text}: unknown scheme ${url.scheme}:// (use - , a file, ` +
        INPUT_SCHEMES.map((s) => `${s}://HOST:PORT`).join(", ") + ")",
    );
  }
  return { kind: scheme, at: address("--input", scheme, url.rest, true) };
}

/**
 * Parses `--output` when it is a URL; null for `-` or a path (a file template).
 * @example
 * ```ts
 * parseOutputTarget("tcp://live.example.com:1935"); // { kind: "tcp", to: {...} }
 * parseOutputTarget("streams/{session}.ts"); // null
 * ```
 */
export function parseOutputTarget(text: string): OutputTarget | null {
  const url = splitUrl(text);
  if (!url) return null;
  const scheme = url.scheme as typeof OUTPUT_SCHEMES[number];
  if (!OUTPUT_SCHEMES.includes(scheme)) {
    throw new OptionError(
      `--output ${text}: unknown scheme ${url.scheme}:// (use - , a file, tcp://HOST:PORT or ` +
        `udp://HOST:PORT)`,
    );
  }
  const to = address("--output", scheme, url.rest, false);
  if (to.port === 0) throw new OptionError(`--output ${text}: port 0 cannot be connected to`);
  return { kind: scheme, to };
}

/** A host:port for messages and labels (IPv6 in brackets). */
export function formatHostPort(hp: { host: string; port: number }): string {
  return hp.host.includes(":") ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`;
}
