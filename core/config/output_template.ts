/**
 * `receive --output` as a template: `{client}`, `{session}` and `{date}` become the session's
 * client name, its id in hex and its UTC start (`YYYYMMDD-HHMMSS`), so that one relay writes
 * each sender to its own file (`--output 'streams/{client}-{session}.ts'`).
 *
 * Stages, in order: `parseOutputTemplate()` checks the text once at start-up (only the three
 * placeholders, none in `-`); `expandOutput()` fills it per session, refusing any value that
 * is not a plain path component (a client name comes from the clients file and a session id
 * is hex, but the check does not rely on that), so no session can write outside the
 * directories the operator named.
 * @module
 */
import { OptionError } from "./units.ts";

/** A checked `--output`. */
export interface OutputTemplate {
  /** As given. */
  text: string;
  /** `-`: standard output. */
  stdout: boolean;
  /** Which placeholders it uses. */
  placeholders: ReadonlySet<Placeholder>;
}

/** The placeholders `--output` knows. */
export type Placeholder = "client" | "session" | "date";

/** What a session fills in. */
export interface OutputValues {
  client: string;
  session: string;
  /** The session's start. */
  date: Date;
}

const PLACEHOLDER = /\{([^{}]*)\}/g;
const KNOWN: readonly Placeholder[] = ["client", "session", "date"];
/** A value safe as (part of) one path component. */
const SAFE_VALUE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * Checks `--output`.
 * @example
 * ```ts
 * const t = parseOutputTemplate("streams/{client}-{session}.ts");
 * t.placeholders.has("session"); // true
 * ```
 */
export function parseOutputTemplate(text: string): OutputTemplate {
  const placeholders = new Set<Placeholder>();
  for (const m of text.matchAll(PLACEHOLDER)) {
    const name = m[1] as Placeholder;
    if (!KNOWN.includes(name)) {
      throw new OptionError(
        `unknown placeholder {${m[1]}}: use {client}, {session} or {date}`,
      );
    }
    placeholders.add(name);
  }
  if (/[{}]/.test(text.replaceAll(PLACEHOLDER, ""))) {
    throw new OptionError(`"${text}" has an unmatched brace`);
  }
  if (text === "") throw new OptionError("the output is empty: give - or a file");
  return { text, stdout: text === "-", placeholders };
}

/** `YYYYMMDD-HHMMSS` in UTC. */
function stamp(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-` +
    `${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}

/**
 * The path for one session. Throws OptionError for a value that is not a plain name.
 * @example
 * ```ts
 * expandOutput(parseOutputTemplate("s/{client}-{session}.ts"),
 *   { client: "van-1", session: "00ff", date: new Date(0) }); // "s/van-1-00ff.ts"
 * ```
 */
export function expandOutput(t: OutputTemplate, v: OutputValues): string {
  const values: Record<Placeholder, string> = {
    client: v.client,
    session: v.session,
    date: stamp(v.date),
  };
  return t.text.replaceAll(PLACEHOLDER, (_, name: Placeholder) => {
    const value = values[name];
    if (!SAFE_VALUE.test(value)) {
      throw new OptionError(`{${name}} "${value}" is not a plain file name: refused`);
    }
    return value;
  });
}

/**
 * The deepest directory of the template that holds no placeholder (made at start-up, so that
 * a wrong place fails before any sender arrives), or null when that is the current directory.
 * @example
 * ```ts
 * fixedDirectory(parseOutputTemplate("/srv/streams/{client}/{session}.ts")); // "/srv/streams"
 * ```
 */
export function fixedDirectory(t: OutputTemplate): string | null {
  if (t.stdout) return null;
  const cut = t.placeholders.size > 0 ? t.text.slice(0, t.text.indexOf("{")) : t.text;
  const slash = cut.lastIndexOf("/");
  if (slash < 0) return null;
  return slash === 0 ? "/" : cut.slice(0, slash);
}
