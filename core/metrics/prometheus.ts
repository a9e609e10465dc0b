/**
 * Prometheus text exposition format 0.0.4: a registry of counters and gauges with labels,
 * rendered as text. Pure: it holds numbers that a collector sets, and knows nothing about
 * where they come from or how they are served.
 *
 * Stages, in order: families are declared (`counter()` / `gauge()`), which checks the metric
 * and label names against the format's grammar; samples are set; `render()` writes `# HELP`,
 * `# TYPE` and one line per sample, escaping HELP text and label values.
 * @module
 */

/** The Content-Type of {@link MetricRegistry.render}'s text. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** The two metric types bondctl exposes. */
export type MetricType = "counter" | "gauge";

/** Label names to values, e.g. `{ reason: "auth" }`. */
export type Labels = Readonly<Record<string, string>>;

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A name that breaks the format's grammar or its conventions: a bug in the caller. */
export class MetricNameError extends Error {
  override name = "MetricNameError";
}

/**
 * One metric family: a name, a help text, a type and a sample per label set.
 * @example
 * ```ts
 * const refusals = registry.counter("bondctl_relay_refusals_total", "Refusals", ["reason"]);
 * refusals.set(3, { reason: "auth" });
 * ```
 */
export class MetricFamily {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  readonly labelNames: readonly string[];
  #samples = new Map<string, { labels: Labels; value: number }>();

  constructor(name: string, help: string, type: MetricType, labelNames: readonly string[]) {
    if (!METRIC_NAME.test(name)) throw new MetricNameError(`"${name}" is not a metric name`);
    // The convention Prometheus' own clients enforce: a counter's name says it is a total.
    if (type === "counter" && !name.endsWith("_total")) {
      throw new MetricNameError(`counter "${name}" must end in _total`);
    }
    for (const l of labelNames) {
      if (!LABEL_NAME.test(l) || l.startsWith("__")) {
        throw new MetricNameError(`"${l}" is not a label name (metric ${name})`);
      }
    }
    if (new Set(labelNames).size !== labelNames.length) {
      throw new MetricNameError(`metric ${name} repeats a label name`);
    }
    this.name = name;
    this.help = help;
    this.type = type;
    this.labelNames = labelNames;
  }

  /** Sets the sample for `labels` (every declared label, no other). */
  set(value: number, labels: Labels = {}): void {
    // A counter never goes down and is never negative; NaN is no count either.
    if (this.type === "counter" && !(value >= 0)) {
      throw new RangeError(`counter ${this.name} cannot be ${value}`);
    }
    const key = this.#key(labels);
    this.#samples.set(key, { labels, value });
  }

  /** Adds `by` to the sample for `labels` (0 if it had none). */
  inc(by = 1, labels: Labels = {}): void {
    const prev = this.#samples.get(this.#key(labels))?.value ?? 0;
    this.set(prev + by, labels);
  }

  /** The value for `labels`, or undefined. */
  get(labels: Labels = {}): number | undefined {
    return this.#samples.get(this.#key(labels))?.value;
  }

  /** The family as exposition lines (HELP, TYPE, samples in the order first set). */
  lines(): string[] {
    const out = [
      `# HELP ${this.name} ${escapeHelp(this.help)}`,
      `# TYPE ${this.name} ${this.type}`,
    ];
    for (const { labels, value } of this.#samples.values()) {
      const pairs = this.labelNames.map((l) => `${l}="${escapeLabelValue(labels[l])}"`);
      const sel = pairs.length ? `{${pairs.join(",")}}` : "";
      out.push(`${this.name}${sel} ${formatValue(value)}`);
    }
    return out;
  }

  #key(labels: Labels): string {
    const given = Object.keys(labels);
    const missing = this.labelNames.filter((l) => labels[l] === undefined);
    const extra = given.filter((l) => !this.labelNames.includes(l));
    if (missing.length || extra.length) {
      throw new MetricNameError(
        `metric ${this.name} takes labels [${this.labelNames.join(", ")}], got [${
          given.join(", ")
        }]`,
      );
    }
    return JSON.stringify(this.labelNames.map((l) => labels[l]));
  }
}

/**
 * Metric families, rendered in the order declared.
 * @example
 * ```ts
 * const r = new MetricRegistry();
 * r.gauge("bondctl_relay_sessions_active", "Sessions running now").set(2);
 * const text = r.render(); // "# HELP bondctl_relay_sessions_active ...\n..."
 * ```
 */
export class MetricRegistry {
  #families = new Map<string, MetricFamily>();

  /** Declares a counter (its name must end in `_total`). */
  counter(name: string, help: string, labelNames: readonly string[] = []): MetricFamily {
    return this.#add(new MetricFamily(name, help, "counter", labelNames));
  }

  /** Declares a gauge. */
  gauge(name: string, help: string, labelNames: readonly string[] = []): MetricFamily {
    return this.#add(new MetricFamily(name, help, "gauge", labelNames));
  }

  /** The text exposition: every family, each line ending in a newline. */
  render(): string {
    const lines: string[] = [];
    for (const f of this.#families.values()) lines.push(...f.lines());
    return lines.join("\n") + "\n";
  }

  #add(f: MetricFamily): MetricFamily {
    if (this.#families.has(f.name)) throw new MetricNameError(`metric ${f.name} is declared twice`);
    this.#families.set(f.name, f);
    return f;
  }
}

/** HELP text: backslash and line feed escaped (the format's rule for HELP). */
export function escapeHelp(s: string): string {
  return s.replaceAll("\\", "\\\\").replaceAll("\n", "\\n");
}

/** A label value: backslash, double quote and line feed escaped. */
export function escapeLabelValue(s: string): string {
  return s.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");
}

/** A sample value as Go's ParseFloat reads it: integers plainly, and +Inf, -Inf, NaN. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}
