/**
 * Line charts as standalone SVG, with no dependency: what `simulate --chart` and `bench --chart`
 * write. Several panels stack vertically in one file and share the x axis.
 * @module
 */

/** One line. */
export interface Series {
  name: string;
  /** [x, y] points, x ascending. */
  points: [number, number][];
}

/** One panel of a chart. */
export interface Panel {
  title: string;
  yLabel: string;
  series: Series[];
  /** Draw y from zero (default true). */
  fromZero?: boolean;
}

/** A chart: panels over a shared x axis. */
export interface Chart {
  title: string;
  xLabel: string;
  panels: Panel[];
  width?: number;
  panelHeight?: number;
}

const COLORS = [
  "#1f77b4",
  "#d62728",
  "#2ca02c",
  "#ff7f0e",
  "#9467bd",
  "#8c564b",
  "#e377c2",
  "#17becf",
  "#bcbd22",
  "#7f7f7f",
  "#393b79",
  "#637939",
];

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Round numbers for axis ticks: 1, 2, 5 x 10^n. */
function ticks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(+v.toFixed(10));
  return out;
}

function fmt(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e9) return `${+(v / 1e9).toFixed(1)}G`;
  if (a >= 1e6) return `${+(v / 1e6).toFixed(1)}M`;
  if (a >= 1e3) return `${+(v / 1e3).toFixed(1)}k`;
  return `${+v.toFixed(2)}`;
}

/**
 * Renders a chart to an SVG document.
 * @example
 * ```ts
 * const svg = renderChart({ title: "four-modems", xLabel: "time (s)", panels: [
 *   { title: "throughput", yLabel: "bit/s", series: [{ name: "link 1", points: [[0, 1], [1, 2]] }] },
 * ] });
 * ```
 */
export function renderChart(c: Chart): string {
  const width = c.width ?? 900;
  const ph = c.panelHeight ?? 260;
  const left = 70, right = 170, top = 64, gap = 54;
  const plotW = width - left - right;
  const height = top + c.panels.length * (ph + gap) + 20;
  const xs = c.panels.flatMap((p) => p.series.flatMap((s) => s.points.map((pt) => pt[0])));
  const xMin = xs.length ? Math.min(...xs) : 0;
  const xMax = xs.length ? Math.max(...xs) : 1;
  const sx = (x: number) => left + ((x - xMin) / (xMax - xMin || 1)) * plotW;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="16">${esc(c.title)}</text>`,
  ];
  c.panels.forEach((p, i) => {
    const y0 = top + i * (ph + gap);
    const ys = p.series.flatMap((s) => s.points.map((pt) => pt[1])).filter(Number.isFinite);
    const yLo = p.fromZero === false && ys.length ? Math.min(...ys) : 0;
    const yHi = ys.length ? Math.max(...ys, yLo + 1e-9) : 1;
    const sy = (y: number) => y0 + ph - ((y - yLo) / (yHi - yLo || 1)) * ph;
    out.push(`<text x="${left}" y="${y0 - 8}" font-size="13">${esc(p.title)}</text>`);
    out.push(
      `<rect x="${left}" y="${y0}" width="${plotW}" height="${ph}" fill="none" stroke="#999"/>`,
    );
    for (const t of ticks(yLo, yHi)) {
      const y = sy(t).toFixed(1);
      out.push(`<line x1="${left}" x2="${left + plotW}" y1="${y}" y2="${y}" stroke="#eee"/>`);
      out.push(`<text x="${left - 6}" y="${y}" text-anchor="end" dy="4">${fmt(t)}</text>`);
    }
    for (const t of ticks(xMin, xMax, 8)) {
      const x = sx(t).toFixed(1);
      out.push(
        `<text x="${x}" y="${y0 + ph + 16}" text-anchor="middle">${fmt(t)}</text>`,
      );
    }
    out.push(
      `<text transform="translate(16 ${y0 + ph / 2}) rotate(-90)" text-anchor="middle">` +
        `${esc(p.yLabel)}</text>`,
    );
    p.series.forEach((s, k) => {
      const color = COLORS[k % COLORS.length];
      const d = s.points.filter((pt) => Number.isFinite(pt[1]))
        .map((pt, j) => `${j ? "L" : "M"}${sx(pt[0]).toFixed(1)},${sy(pt[1]).toFixed(1)}`)
        .join("");
      // Past the palette, lines repeat its colours dashed so that no two look alike.
      const dash = k >= COLORS.length ? ` stroke-dasharray="6 3"` : "";
      if (d) {
        out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="1.5"${dash}/>`);
      }
      const ly = y0 + 14 + k * 16;
      out.push(
        `<line x1="${left + plotW + 10}" x2="${left + plotW + 28}" y1="${ly - 4}" y2="${
          ly - 4
        }" stroke="${color}" stroke-width="3"/>`,
      );
      out.push(`<text x="${left + plotW + 32}" y="${ly}">${esc(s.name)}</text>`);
    });
  });
  out.push(
    `<text x="${left + plotW / 2}" y="${height - 6}" text-anchor="middle">${esc(c.xLabel)}</text>`,
  );
  out.push(`</svg>`);
  return out.join("\n") + "\n";
}
