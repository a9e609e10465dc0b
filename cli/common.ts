/**
 * What every command shares: option parsers that name their flag, the token, logging, and
 * how errors become exit codes (usage 2, runtime 1, one line; a stack only with --debug).
 * @module
 */
import { InvalidArgumentError, Option } from "@commander-js/extra-typings";
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
      if (e instanceof OptionError) throw new InvalidArgumentError(e.message);
      // A ZodError's own message is its issues as JSON, over several lines.
      if (e instanceof z.ZodError) {
        throw new InvalidArgumentError(e.issues.map((i) => i.message).join("; "));
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
  redactSecret(text);
  return new TextEncoder().encode(text);
}

/** How log lines look: `text` (`bondctl receive: ...`) or `json` (one object a line). */
export type LogFormat = "text" | "json";
export const LOG_FORMATS: readonly LogFormat[] = ["text", "json"];

/** What a logger is told by the command's flags. */
export interface LogOptions {
  quiet?: boolean;
  debug?: boolean;
  logFormat?: string;
}

/** The format of the last logger made (for errors and notices printed outside a logger). */
let currentFormat: LogFormat = "text";
/** Texts never written to a log (the shared token), whatever a message holds. */
const secrets = new Set<string>();

/**
 * Never log `text`: from now on it is written as `[redacted]`. Short texts are ignored (they
 * would redact ordinary words); a token is at least 16 characters.
 * @example
 * ```ts
 * redactSecret(tokenText);
 * ```
 */
export function redactSecret(text: string): void {
  if (text.length >= 8) secrets.add(text);
}

/**
 * A logger that writes lines through `write`: text as always, or JSON objects
 * `{ts, level, msg, cmd, session?}` with levels debug, info, warn (and error from main).
 * @example
 * ```ts
 * const log = makeLogger({ logFormat: "json" }, "receive", (l) => lines.push(l));
 * ```
 */
export function makeLogger(
  opts: LogOptions,
  who: string,
  write: (line: string) => void,
  now: () => Date = () => new Date(),
): Logger {
  const format: LogFormat = opts.logFormat === "json" ? "json" : "text";
  currentFormat = format;
  const line = (level: "debug" | "info" | "warn", msg: string) => {
    write(formatLine(format, who, level, msg, now()));
  };
  return {
    info: (m) => void (!opts.quiet && line("info", m)),
    warn: (m) => line("warn", m),
    debug: (m) => void (opts.debug && line("debug", m)),
  };
}

function formatLine(
  format: LogFormat,
  who: string,
  level: "debug" | "info" | "warn" | "error",
  raw: string,
  at: Date,
): string {
  let msg = raw;
  for (const s of secrets) msg = msg.replaceAll(s, "[redacted]");
  if (format === "text") {
    const tag = level === "info" ? "" : `${level === "warn" ? "warning" : level}: `;
    return who === "" ? `bondctl: ${tag}${msg}` : `bondctl ${who}: ${tag}${msg}`;
  }
  const session = /\bsession ([0-9a-f]{12})\b/.exec(msg)?.[1];
  return JSON.stringify({
    ts: at.toISOString(),
    level,
    msg,
    cmd: who || "bondctl",
    ...(session ? { session } : {}),
  });
}

/**
 * `--log-format text|json`, for a command that logs.
 * @example
 * ```ts
 * command.addOption(logFormatOption());
 * ```
 */
export function logFormatOption() {
  return new Option(
    "--log-format <format>",
    'log lines as text, or as JSON objects one a line ({"ts", "level", "msg", "cmd"})',
  ).choices(["text", "json"] as const).default("text" as const);
}

/** A logger on stderr, in the format of `--log-format`. */
export function stderrLogger(opts: LogOptions, who: string): Logger {
  return makeLogger(opts, who, (l) => console.error(l));
}

/**
 * A line that is printed even with --quiet (the pin, the address listened on), in the
 * format of the command's logger.
 * @example
 * ```ts
 * announce("receive", `listening on ${addr}`);
 * ```
 */
export function announce(who: string, msg: string): void {
  console.error(formatLine(currentFormat, who, "info", msg, new Date()));
}

/**
 * The one line for an error that ends the command: `bondctl: error: ...`, or a JSON object
 * with level "error" when the command logs JSON.
 * @example
 * ```ts
 * console.error(errorLine("no token"));
 * ```
 */
export function errorLine(msg: string): string {
  return formatLine(currentFormat, "", "error", msg, new Date());
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
