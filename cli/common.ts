/**
 * What every command shares: option parsers that name their flag, the token, logging, and
 * how errors become exit codes (usage 2, runtime 1, one line; a stack only with --debug).
 * @module
 */
import { InvalidArgumentError } from "@commander-js/extra-typings";
import { z } from "zod";
import {
  OptionError,
  parseDuration,
  parseHostPort,
  parseLinkSpec,
  parseSize,
} from "../core/config/mod.ts";
import type { HostPort, LinkSpec } from "../core/config/mod.ts";
import { parsePin } from "../core/tunnel/certificate.ts";
import type { Logger } from "../core/session/driver_io.ts";

/** An error the user can fix; printed as one line, exit 1. */
export class UserError extends Error {
  override name = "UserError";
}

/** Wraps a parser so that commander reports a bad value against its flag (exit 2). */
function arg<T>(parse: (s: string) => T): (s: string) => T {
  return (s: string) => {
    try {
      return parse(s);
    } catch (e) {
      if (e instanceof OptionError || e instanceof z.ZodError) {
        throw new InvalidArgumentError(e.message);
      }
      throw e;
    }
  };
}

/** `--buffer 3s` and friends, in ms; `min`/`max` bound the value. */
export const durationArg = (min = 0, max = 24 * 3600_000) =>
  arg((s) => {
    const ms = parseDuration(s);
    return z.number().min(min, `must be at least ${min} ms`).max(max, `must be at most ${max} ms`)
      .parse(ms);
  });
/** `--max-buffer 64MiB`, in bytes. */
export const sizeArg = (min = 1) =>
  arg((s) => z.number().min(min, `must be at least ${min} bytes`).parse(parseSize(s)));
export const hostPortArg = (allowZero = false) =>
  arg((s): HostPort => parseHostPort(s, undefined, { allowZero }));
export const pinArg = arg(parsePin);
/** Repeatable `--link`: collects specs in order. */
export const linkArg = arg((s: string) => parseLinkSpec(s));
export function collectLinks(value: string, previous: LinkSpec[] = []): LinkSpec[] {
  return [...previous, linkArg(value)];
}
/** `--vpn-oui 02bdc7` or `02:bd:c7`. */
export const ouiArg = arg((s) => {
  const hex = s.replaceAll(/[:-]/g, "");
  if (!/^[0-9a-fA-F]{6}$/.test(hex)) {
    throw new OptionError(`"${s}" is not an OUI: give 3 octets in hex, e.g. 02:bd:c7`);
  }
  return parseInt(hex, 16);
});

/**
 * `--max-sessions 64` and friends: a whole number within bounds.
 * @example
 * ```ts
 * command.option("--max-sessions <n>", "sessions at once", countArg(1), 64);
 * ```
 */
export const countArg = (min = 1, max = 1_000_000) =>
  arg((s) => {
    if (!/^\d+$/.test(s.trim())) throw new OptionError(`"${s}" is not a whole number`);
    return z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`)
      .parse(Number(s));
  });

/** Where the shared secret comes from, in order: --token-file, BONDCTL_TOKEN, --token. */
export async function loadToken(opts: { tokenFile?: string; token?: string }): Promise<Uint8Array> {
  const token = await loadOptionalToken(opts);
  if (token === null) {
    throw new UserError(
      "no token: give --token-file FILE (or set BONDCTL_TOKEN); both sides need the same one",
    );
  }
  return token;
}

/**
 * Like {@link loadToken}, but null when no token is given at all.
 * @example
 * ```ts
 * const shared = await loadOptionalToken(opts); // null: only --clients authenticates
 * ```
 */
export async function loadOptionalToken(
  opts: { tokenFile?: string; token?: string },
): Promise<Uint8Array | null> {
  let text: string | undefined;
  let from = "";
  if (opts.tokenFile) {
    try {
      text = await Deno.readTextFile(opts.tokenFile);
    } catch (e) {
      throw new UserError(`cannot read --token-file ${opts.tokenFile}: ${(e as Error).message}`);
    }
    text = text.replace(/[\r\n]+$/, "");
    from = `--token-file ${opts.tokenFile}`;
  } else if (Deno.env.get("BONDCTL_TOKEN")) {
    text = Deno.env.get("BONDCTL_TOKEN");
    from = "BONDCTL_TOKEN";
  } else if (opts.token) {
    text = opts.token;
    from = "--token";
  }
  if (text === undefined) return null;
  if (text.length === 0) throw new UserError(`the token from ${from} is empty`);
  return new TextEncoder().encode(text);
}

/** A logger on stderr. */
export function stderrLogger(opts: { quiet?: boolean; debug?: boolean }, who: string): Logger {
  const write = (level: string, msg: string) =>
    console.error(`bondctl ${who}: ${level ? level + ": " : ""}${msg}`);
  return {
    info: (m) => void (!opts.quiet && write("", m)),
    warn: (m) => write("warning", m),
    debug: (m) => void (opts.debug && write("debug", m)),
  };
}

/** Reads a file the user named, with the flag in the message. */
export async function readUserFile(flag: string, path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    throw new UserError(`cannot read ${flag} ${path}: ${(e as Error).message}`);
  }
}

/** Formats `host:port`, with brackets for IPv6. */
export function showHostPort(h: { host: string; port: number }): string {
  return h.host.includes(":") ? `[${h.host}]:${h.port}` : `${h.host}:${h.port}`;
}

/** Every permission a Deno process can hold. */
const PERMISSIONS: Deno.PermissionName[] = ["run", "ffi", "sys", "env", "write", "read", "net"];

/**
 * Gives up, for the rest of the process, every permission a command does not need (the
 * process may have been started with more: `deno task bondctl`, `deno install`). What each
 * command keeps, and why, is in docs/SECURITY.md.
 * @example
 * ```ts
 * dropPermissionsExcept(["net", "read", "write", "env"]);
 * ```
 */
export function dropPermissionsExcept(keep: Deno.PermissionName[]): void {
  for (const name of PERMISSIONS) {
    if (keep.includes(name)) continue;
    try {
      Deno.permissions.revokeSync({ name } as Deno.PermissionDescriptor);
    } catch { /* not held */ }
  }
}
