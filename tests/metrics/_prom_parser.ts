/**
 * A strict parser for the Prometheus text exposition format 0.0.4, written from the format's
 * description and independent of core/metrics, so that the tests check bondctl's output
 * against the grammar rather than against itself. It throws on the first line that breaks a
 * rule, naming the line.
 *
 * Rules checked: the text ends in a line feed; every line is a `# HELP`, a `# TYPE`, another
 * comment, or a sample; names match `[a-zA-Z_:][a-zA-Z0-9_:]*`, label names
 * `[a-zA-Z_][a-zA-Z0-9_]*`; label values are quoted with only `\\`, `\"` and `\n` escapes;
 * values (and optional timestamps) are numbers Go's ParseFloat reads; HELP and TYPE come at
 * most once per family and TYPE before its samples; a family's samples are contiguous; no
 * series repeats; counters are not negative.
 * @module
 */

/** One parsed sample. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** One family: its TYPE, HELP and samples. */
export interface Family {
  type?: string;
  help?: string;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const FLOAT = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const TYPES = ["counter", "gauge", "histogram", "summary", "untyped"];

/** Parses a value as Go's strconv.ParseFloat would accept it (the forms Prometheus reads). */
export function parseValue(s: string, where: string): number {
  if (/^[+]?inf$/i.test(s)) return Infinity;
  if (/^-inf$/i.test(s)) return -Infinity;
  if (/^nan$/i.test(s)) return NaN;
  if (!FLOAT.test(s)) throw new Error(`${where}: "${s}" is not a number`);
  return Number(s);
}

/**
 * Parses exposition text into families by name (histogram and summary suffixes are not
 * folded: bondctl exposes neither).
 * @example
 * ```ts
 * const families = parsePrometheus(await (await fetch(url)).text());
 * ```
 */
export function parsePrometheus(text: string): Map<string, Family> {
  if (!text.endsWith("\n")) throw new Error("the text does not end in a line feed");
  const families = new Map<string, Family>();
  const seenSeries = new Set<string>();
  const finished = new Set<string>();
  let current: string | null = null;
  const family = (name: string) => {
    let f = families.get(name);
    if (!f) families.set(name, f = { samples: [] });
    return f;
  };
  const lines = text.slice(0, -1).split("\n");
  lines.forEach((line, i) => {
    const where = `line ${i + 1} (${JSON.stringify(line)})`;
    if (line.trim() === "") return;
    if (line.startsWith("#")) {
      const m = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(line);
      if (!m) return; // another comment
      const [, kw, name, rest = ""] = m;
      if (!new RegExp(NAME.source + "$").test(name)) throw new Error(`${where}: bad name`);
      const f = family(name);
      if (kw === "HELP") {
        if (f.help !== undefined) throw new Error(`${where}: second HELP for ${name}`);
        if (/\\[^\\n]/.test(rest.replaceAll("\\\\", ""))) {
          throw new Error(`${where}: HELP has an escape other than \\\\ and \\n`);
        }
        f.help = rest.replaceAll(/\\(\\|n)/g, (_, c) => (c === "n" ? "\n" : "\\"));
      } else {
        if (f.type !== undefined) throw new Error(`${where}: second TYPE for ${name}`);
        if (f.samples.length) throw new Error(`${where}: TYPE after samples of ${name}`);
        if (!TYPES.includes(rest.trim())) throw new Error(`${where}: unknown type "${rest}"`);
        f.type = rest.trim();
      }
      return;
    }
    const s = parseSample(line, where);
    if (current !== s.name) {
      if (finished.has(s.name)) throw new Error(`${where}: samples of ${s.name} are not together`);
      if (current !== null) finished.add(current);
      current = s.name;
    }
    const series = s.name + JSON.stringify(Object.entries(s.labels).sort());
    if (seenSeries.has(series)) throw new Error(`${where}: series repeated`);
    seenSeries.add(series);
    const f = family(s.name);
    if (f.type === "counter" && !(s.value >= 0)) {
      throw new Error(`${where}: counter ${s.name} is ${s.value}`);
    }
    f.samples.push(s);
  });
  return families;
}

function parseSample(line: string, where: string): Sample {
  let rest = line;
  const nm = NAME.exec(rest);
  if (!nm) throw new Error(`${where}: no metric name`);
  const name = nm[0];
  rest = rest.slice(name.length);
  const labels: Record<string, string> = {};
  if (rest.startsWith("{")) {
    rest = rest.slice(1);
    while (!rest.startsWith("}")) {
      const lm = LABEL.exec(rest);
      if (!lm) throw new Error(`${where}: bad label name`);
      const label = lm[0];
      rest = rest.slice(label.length);
      if (!rest.startsWith('="')) throw new Error(`${where}: label ${label} has no ="`);
      rest = rest.slice(2);
      let value = "";
      for (;;) {
        const c = rest[0];
        if (c === undefined) throw new Error(`${where}: unterminated label value`);
        if (c === '"') break;
        if (c === "\\") {
          const e = rest[1];
          if (e === "\\") value += "\\";
          else if (e === '"') value += '"';
          else if (e === "n") value += "\n";
          else throw new Error(`${where}: bad escape \\${e}`);
          rest = rest.slice(2);
        } else {
          value += c;
          rest = rest.slice(1);
        }
      }
      rest = rest.slice(1);
      if (label in labels) throw new Error(`${where}: label ${label} twice`);
      labels[label] = value;
      if (rest.startsWith(",")) rest = rest.slice(1);
      else if (!rest.startsWith("}")) throw new Error(`${where}: expected , or } after a label`);
    }
    rest = rest.slice(1);
  }
  const parts = rest.split(/[ \t]+/).filter((p, k) => k > 0 || p !== "");
  if (!/^[ \t]/.test(rest) || parts.length < 1 || parts.length > 2) {
    throw new Error(`${where}: expected " value [timestamp]" after the name and labels`);
  }
  const value = parseValue(parts[0], where);
  if (parts[1] !== undefined && !/^-?\d+$/.test(parts[1])) {
    throw new Error(`${where}: bad timestamp`);
  }
  return { name, labels, value };
}

/**
 * The value of the one sample of `name` whose labels include `labels`.
 * @example
 * ```ts
 * valueOf(families, "bondctl_relay_refusals_total", { reason: "auth" });
 * ```
 */
export function valueOf(
  families: Map<string, Family>,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const hits = (families.get(name)?.samples ?? []).filter((s) =>
    Object.entries(labels).every(([k, v]) => s.labels[k] === v)
  );
  if (hits.length > 1) throw new Error(`${name} ${JSON.stringify(labels)} matches ${hits.length}`);
  return hits[0]?.value;
}
