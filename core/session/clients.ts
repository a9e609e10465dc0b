/**
 * Who may open sessions on a relay: named clients, each with its own token (`receive --clients
 * FILE`), and the single shared token of simple set-ups, which acts as the client `shared`.
 *
 * The clients file is JSON, checked with zod (it is a trust boundary: an operator may hand its
 * writing to a provisioning tool):
 * ```json
 * { "clients": [ { "name": "van-1", "token": "at least 16 characters" } ] }
 * ```
 * Parsing, in order: JSON (an error names the line and column, never the text, which holds
 * tokens); the schema (names are 1-64 of `A-Z a-z 0-9 . _ -` starting with a letter or digit,
 * so a name is always safe in a file name; tokens 16-1024 characters); names unique; tokens
 * unique (a token must say who is knocking); no name equal to a token (names are logged). No
 * message quotes a token.
 * @module
 */
import { z } from "zod";

/** A client the relay knows: its name (in logs, limits and `{client}`) and its secret. */
export interface Credential {
  name: string;
  token: Uint8Array;
}

/** The name under which the shared token (`--token-file`, `--token`) authenticates. */
export const SHARED_CLIENT = "shared";

/** What a client name may look like: safe as a path component, never `.` or `..`. */
export const CLIENT_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Shortest and longest token in a clients file (characters). */
export const MIN_CLIENT_TOKEN = 16;
export const MAX_CLIENT_TOKEN = 1024;
/** Most clients in one file. */
export const MAX_CLIENTS = 10_000;

/**
 * The clients file is unusable; the message names the file and the place, never a token.
 * @example
 * ```ts
 * throw new ClientsFileError("--clients c.json: client \"a\" is listed twice");
 * ```
 */
export class ClientsFileError extends Error {
  override name = "ClientsFileError";
}

const clientSchema = z.strictObject({
  name: z.string().regex(
    CLIENT_NAME_PATTERN,
    "must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit",
  ),
  token: z.string().min(MIN_CLIENT_TOKEN, `must be at least ${MIN_CLIENT_TOKEN} characters`)
    .max(MAX_CLIENT_TOKEN, `must be at most ${MAX_CLIENT_TOKEN} characters`),
});

/**
 * The clients file's schema.
 * @example
 * ```ts
 * clientsFileSchema.parse({ clients: [{ name: "van-1", token: "0123456789abcdef" }] });
 * ```
 */
export const clientsFileSchema = z.strictObject({
  clients: z.array(clientSchema).max(MAX_CLIENTS, `at most ${MAX_CLIENTS} clients`),
});

const encoder = new TextEncoder();

/** Line and column of a character offset, 1-based. */
function place(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return `line ${line}, column ${offset - before.lastIndexOf("\n")}`;
}

/**
 * Parses a clients file's text; `source` names it in messages.
 * @example
 * ```ts
 * const creds = parseClientsFile('{"clients":[{"name":"a","token":"0123456789abcdef"}]}', "c.json");
 * creds[0].name; // "a"
 * ```
 */
export function parseClientsFile(text: string, source: string): Credential[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    // V8 quotes the text around the error, and the text holds tokens: give only the place.
    const at = /position (\d+)/.exec((e as Error).message);
    const where = at ? ` at ${place(text, Number(at[1]))}` : "";
    throw new ClientsFileError(`--clients ${source} is not valid JSON${where}`);
  }
  const parsed = clientsFileSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue.path.length > 0 ? ` at ${issue.path.join(".")}` : "";
    // zod's messages name types and limits, never the value itself.
    throw new ClientsFileError(`--clients ${source}${path}: ${issue.message}`);
  }
  const names = new Set<string>();
  const tokens = new Set<string>();
  for (const [i, c] of parsed.data.clients.entries()) {
    if (c.name === SHARED_CLIENT) {
      throw new ClientsFileError(
        `--clients ${source}: clients.${i}.name "${SHARED_CLIENT}" is reserved for the shared token`,
      );
    }
    if (names.has(c.name)) {
      throw new ClientsFileError(`--clients ${source}: client "${c.name}" is listed twice`);
    }
    if (tokens.has(c.token)) {
      throw new ClientsFileError(
        `--clients ${source}: client "${c.name}" has the same token as another client`,
      );
    }
    names.add(c.name);
    tokens.add(c.token);
  }
  // Names go to logs and file names: a token put where a name belongs must not.
  for (const [i, c] of parsed.data.clients.entries()) {
    if (tokens.has(c.name)) {
      throw new ClientsFileError(
        `--clients ${source}: clients.${i}.name is also a token (names are logged): refused`,
      );
    }
  }
  return parsed.data.clients.map((c) => ({ name: c.name, token: encoder.encode(c.token) }));
}

/**
 * Is `c` still allowed in `current`: the same name with the same token?
 * @example
 * ```ts
 * if (!stillValid(session.credential, reloaded)) endSession("revoked");
 * ```
 */
export function stillValid(c: Credential, current: readonly Credential[]): boolean {
  return current.some((n) => n.name === c.name && sameBytes(n.token, c.token));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
