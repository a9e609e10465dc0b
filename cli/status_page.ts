/**
 * The status page of `send --ui`: one HTML document with its CSS and JS inline, so that it
 * needs no build step and nothing from the internet. It loads `/history.json` for the chart's
 * past minutes, then follows `/events` (server-sent events; `/status.json` polled once a
 * second if those fail). The chart is inline SVG drawn by hand.
 *
 * Every figure a test reads carries `data-*` attributes with the raw number, so the page's
 * test checks numbers, not formatted text.
 * @module
 */

/** The page, served as is. */
export const STATUS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>bondctl status</title>
<style>
:root {
  --bg: #0f1419; --panel: #171d24; --line: #263039; --text: #e6edf3; --dim: #8b98a5;
  --good: #3fb950; --warn: #d29922; --bad: #f85149; --accent: #58a6ff;
}
* { box-sizing: border-box; }
body {
  margin: 0; background: var(--bg); color: var(--text);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
header {
  display: flex; align-items: center; gap: 16px; padding: 14px 24px;
  border-bottom: 1px solid var(--line); background: var(--panel);
}
header h1 { font-size: 17px; margin: 0; font-weight: 600; letter-spacing: .2px; }
header .meta { color: var(--dim); font-variant-numeric: tabular-nums; }
header .spacer { flex: 1; }
.pill {
  display: inline-block; padding: 1px 9px; border-radius: 999px; font-size: 12px;
  font-weight: 600; border: 1px solid currentColor;
}
.pill.up, .pill.open, .pill.live, .pill.complete { color: var(--good); }
.pill.stalled, .pill.waiting { color: var(--warn); }
.pill.down, .pill.failed, .pill.offline { color: var(--bad); }
main { padding: 20px 24px 28px; max-width: 1280px; margin: 0 auto; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(190px, 1fr)); gap: 12px; }
.card {
  background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px;
}
.card .label { color: var(--dim); font-size: 12px; text-transform: uppercase; letter-spacing: .6px; }
.card .value { font-size: 24px; font-weight: 600; margin-top: 2px; font-variant-numeric: tabular-nums; }
.card .sub { color: var(--dim); font-size: 12px; margin-top: 2px; min-height: 17px; }
.card.encoder .value { color: var(--accent); }
section { margin-top: 18px; background: var(--panel); border: 1px solid var(--line); border-radius: 8px; }
section h2 {
  font-size: 13px; margin: 0; padding: 10px 14px; border-bottom: 1px solid var(--line);
  color: var(--dim); font-weight: 600; text-transform: uppercase; letter-spacing: .6px;
}
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 8px 14px; text-align: right; white-space: nowrap; }
th { color: var(--dim); font-weight: 500; font-size: 12px; border-bottom: 1px solid var(--line); }
td { border-bottom: 1px solid var(--line); }
tr:last-child td { border-bottom: 0; }
th.l, td.l { text-align: left; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 8px; }
.bar { display: inline-block; width: 70px; height: 6px; background: var(--line); border-radius: 3px;
  vertical-align: middle; margin-left: 8px; overflow: hidden; }
.bar > i { display: block; height: 100%; background: var(--accent); }
#chart { display: block; width: 100%; height: 300px; }
#chart text { fill: var(--dim); font-size: 11px; }
.legend { display: flex; flex-wrap: wrap; gap: 14px; padding: 0 14px 12px; color: var(--dim); font-size: 12px; }
.legend .dash { display: inline-block; width: 16px; border-top: 2px dashed var(--text); margin-right: 6px;
  vertical-align: middle; }
.empty { color: var(--dim); padding: 16px 14px; }
footer { color: var(--dim); font-size: 12px; text-align: center; padding: 4px 0 20px; }
</style>
</head>
<body>
<header>
  <h1 id="title">bondctl</h1>
  <span class="meta" id="session">connecting…</span>
  <span class="pill waiting" id="state">waiting</span>
  <span class="spacer"></span>
  <span class="meta" id="clock"></span>
  <span class="pill waiting" id="feed" title="updates from the sender">connecting</span>
</header>
<main>
  <div class="cards">
    <div class="card"><div class="label">Throughput</div>
      <div class="value" id="total" data-value="0">–</div><div class="sub" id="total-sub"></div></div>
    <div class="card encoder"><div class="label">Encoder bitrate</div>
      <div class="value" id="encoder" data-value="0">–</div><div class="sub" id="encoder-sub"></div></div>
    <div class="card"><div class="label">Receiver buffer</div>
      <div class="value" id="buffer">–</div><div class="sub" id="buffer-sub"></div></div>
    <div class="card"><div class="label">Links up</div>
      <div class="value" id="links-up">–</div><div class="sub" id="links-sub"></div></div>
    <div class="card"><div class="label">Re-sent</div>
      <div class="value" id="resent">–</div><div class="sub" id="resent-sub"></div></div>
  </div>
  <section>
    <h2>Links</h2>
    <table>
      <thead><tr>
        <th class="l">link</th><th class="l">state</th><th id="traffic-head">sending</th><th>share</th>
        <th>rate</th><th>RTT</th><th>in flight</th><th>re-sent</th><th>cost</th>
      </tr></thead>
      <tbody id="links"><tr><td class="l empty" colspan="9">no session yet</td></tr></tbody>
    </table>
  </section>
  <section>
    <h2 id="chart-title">Per-link throughput</h2>
    <svg id="chart" role="img" aria-label="per-link throughput over time"></svg>
    <div class="legend" id="legend"></div>
  </section>
</main>
<footer>bondctl status page · figures over the last second · <a href="/status.json"
  style="color:inherit">status.json</a> · <a href="/bitrate?format=json" style="color:inherit">bitrate</a></footer>
<script>
"use strict";
const COLOURS = ["#58a6ff", "#3fb950", "#d29922", "#bc8cff", "#ff7b72", "#39c5cf", "#e3b341",
  "#f778ba", "#a5d6ff", "#7ee787"];
// The chart spans the data it has, from 30 s up to 5 minutes.
const MIN_WINDOW_MS = 30 * 1000;
const MAX_WINDOW_MS = 5 * 60 * 1000;
const TICKS_MS = [5000, 10000, 15000, 30000, 60000];
const history = [];
let role = "send";

function $(id) { return document.getElementById(id); }
function scaled(v, base, units, unit0) {
  if (!isFinite(v)) return "–";
  let i = -1;
  while (Math.abs(v) >= base && i < units.length - 1) { v /= base; i++; }
  return i < 0 ? Math.round(v) + " " + unit0 : v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0) + " " + units[i];
}
function rate(bps) { return scaled(bps, 1000, ["kbit/s", "Mbit/s", "Gbit/s"], "bit/s"); }
function bytes(n) { return scaled(n, 1024, ["KiB", "MiB", "GiB", "TiB"], "B"); }
function ms(v) {
  if (v === null || v === undefined) return "–";
  return v < 1 ? Math.round(v * 1000) + " µs" : v < 1000 ? v.toFixed(v < 10 ? 1 : 0) + " ms"
    : (v / 1000).toFixed(2) + " s";
}
function clock(msec) {
  const t = Math.floor(msec / 1000), h = Math.floor(t / 3600), m = Math.floor(t % 3600 / 60);
  const s = String(t % 60).padStart(2, "0");
  return h > 0 ? h + ":" + String(m).padStart(2, "0") + ":" + s : m + ":" + s;
}
function colour(index) { return COLOURS[(index - 1) % COLOURS.length]; }
function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}
function setValue(id, text, raw) {
  const e = $(id);
  e.textContent = text;
  if (raw !== undefined) e.dataset.value = String(raw);
}

function render(snap) {
  role = snap.role;
  $("title").textContent = "bondctl " + snap.role;
  $("clock").textContent = "up " + clock(snap.uptimeMs);
  const s = snap.sessions[0];
  if (!s) {
    $("session").textContent = snap.role === "send" ? "connecting to the receiver…" : "no session";
    return;
  }
  $("session").textContent = "session " + s.id.slice(0, 12) + " · " + clock(s.ageMs);
  const st = $("state");
  st.textContent = s.state;
  st.className = "pill " + s.state;
  const send = snap.role === "send";
  $("traffic-head").textContent = send ? "sending" : "receiving";
  const total = send ? s.totals.sentBps : s.totals.receivedBps;
  setValue("total", rate(total), total);
  $("total-sub").textContent = send
    ? "read " + bytes(s.totals.inputBytes) + " · delivered " + bytes(s.totals.deliveredBytes)
    : "written " + bytes(s.totals.outputBytes);
  const b = s.bitrate;
  if (b) {
    setValue("encoder", rate(b.recommendedBps), b.recommendedBps);
    $("encoder-sub").textContent = b.limitedBy === "none" ? "no link within the deadline"
      : "capacity " + rate(b.capacityBps) + " × " + b.headroom +
        (b.limitedBy === "links" ? " · links are the limit" : "");
  } else {
    setValue("encoder", "–", 0);
    $("encoder-sub").textContent = "sender only";
  }
  $("buffer").textContent = ms(s.buffer.periodMs);
  $("buffer-sub").textContent = s.buffer.heldBytes === null ? "period, as the receiver announced"
    : "holding " + bytes(s.buffer.heldBytes) + (s.buffer.heldMs === null ? "" : " (" + ms(s.buffer.heldMs) + ")");
  const up = s.links.filter((l) => l.state === "up").length;
  $("links-up").textContent = up + " / " + s.links.length;
  $("links-sub").textContent = s.links.filter((l) => l.state === "stalled").length + " stalled";
  setValue("resent", bytes(s.totals.resentBytes), s.totals.resentBytes);
  $("resent-sub").textContent = b ? (100 * b.resendShare).toFixed(1) + " % of the last 10 s" : "";
  renderLinks(s, send);
}

function renderLinks(s, send) {
  const body = $("links");
  body.replaceChildren();
  if (s.links.length === 0) {
    body.append(el("tr", {}, "")).firstChild.append(el("td", { class: "l empty", colspan: "9" }, "no link yet"));
    return;
  }
  for (const l of s.links) {
    const traffic = send ? l.sentBps : l.receivedBps;
    const tr = el("tr", { "data-link": String(l.index), "data-state": l.state });
    const name = el("td", { class: "l" });
    name.append(el("span", { class: "swatch", style: "background:" + colour(l.index) }));
    name.append(document.createTextNode(l.index + " · " + l.name));
    tr.append(name);
    const state = el("td", { class: "l" });
    state.append(el("span", { class: "pill " + l.state }, l.state));
    tr.append(state);
    tr.append(el("td", { "data-field": "traffic", "data-value": String(traffic) }, rate(traffic)));
    const share = el("td", { "data-field": "share", "data-value": String(l.share) },
      Math.round(100 * l.share) + " %");
    const bar = el("span", { class: "bar" });
    bar.append(el("i", { style: "width:" + (100 * l.share).toFixed(1) + "%;background:" + colour(l.index) }));
    share.append(bar);
    tr.append(share);
    tr.append(el("td", { "data-field": "rate", "data-value": String(l.rateBps) }, l.rateBps > 0 ? rate(l.rateBps) : "–"));
    tr.append(el("td", { "data-field": "rtt", "data-value": String(l.rttMs ?? "") }, ms(l.rttMs)));
    tr.append(el("td", { "data-field": "inflight", "data-value": String(l.inFlightBytes) }, bytes(l.inFlightBytes)));
    tr.append(el("td", { "data-field": "resent", "data-value": String(l.resentBytes ?? "") },
      l.resentBytes === null ? "–" : bytes(l.resentBytes)));
    tr.append(el("td", { "data-field": "cost" }, l.cost === null ? "–" : String(l.cost)));
    body.append(tr);
  }
}

function addPoint(snap) {
  const s = snap.sessions[0];
  const links = {};
  for (const l of (s ? s.links : [])) links[l.index] = snap.role === "send" ? l.sentBps : l.receivedBps;
  history.push({ t: snap.uptimeMs, links, recommendedBps: s && s.bitrate ? s.bitrate.recommendedBps : null });
  while (history.length > 0 && history[0].t < snap.uptimeMs - MAX_WINDOW_MS - 5000) history.shift();
}

function niceMax(v) {
  if (v <= 0) return 1e6;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function renderChart(names) {
  const svg = $("chart");
  // Drawn at the element's own size, so that text is never stretched.
  const W = Math.max(320, Math.round(svg.clientWidth || 1000)), H = 300, L = 78, R = 16, T = 14, B = 28;
  svg.setAttribute("viewBox", "0 0 " + W + " " + H);
  const NS = "http://www.w3.org/2000/svg";
  const mk = (tag, attrs, text) => {
    const e = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  };
  svg.replaceChildren();
  if (history.length === 0) return;
  const tEnd = history[history.length - 1].t;
  const span = tEnd - history[0].t;
  const windowMs = Math.min(MAX_WINDOW_MS, Math.max(MIN_WINDOW_MS, Math.ceil(span / 30000) * 30000));
  const tStart = tEnd - windowMs;
  $("chart-title").textContent = "Per-link throughput, last " +
    (windowMs >= 60000 ? windowMs / 60000 + " min" : windowMs / 1000 + " s");
  const pts = history.filter((p) => p.t >= tStart);
  const indices = [...new Set(pts.flatMap((p) => Object.keys(p.links).map(Number)))].sort((a, b) => a - b);
  let max = 0;
  for (const p of pts) {
    for (const v of Object.values(p.links)) max = Math.max(max, v);
    if (p.recommendedBps !== null) max = Math.max(max, p.recommendedBps);
  }
  const yMax = niceMax(max * 1.05);
  const x = (t) => L + (W - L - R) * (t - tStart) / windowMs;
  const y = (v) => T + (H - T - B) * (1 - v / yMax);
  for (let i = 0; i <= 4; i++) {
    const v = yMax * i / 4;
    svg.append(mk("line", { x1: L, x2: W - R, y1: y(v), y2: y(v), stroke: "#263039", "stroke-width": 1 }));
    svg.append(mk("text", { x: L - 8, y: y(v) + 4, "text-anchor": "end" }, rate(v)));
  }
  const tick = TICKS_MS.find((d) => windowMs / d <= 6) || 60000;
  for (let k = 0; k * tick <= windowMs; k++) {
    const t = tEnd - k * tick, ago = k * tick;
    const label = k === 0 ? "now" : ago % 60000 === 0 ? "-" + ago / 60000 + " min" : "-" + ago / 1000 + " s";
    svg.append(mk("line", { x1: x(t), x2: x(t), y1: T, y2: H - B, stroke: "#1d252d", "stroke-width": 1 }));
    svg.append(mk("text", { x: x(t), y: H - 8, "text-anchor": k === 0 ? "end" : "middle" }, label));
  }
  for (const idx of indices) {
    const seq = pts.map((p) => [x(p.t), y(p.links[idx] ?? 0)]);
    if (seq.length === 0) continue;
    const line = seq.map((q, i) => (i ? "L" : "M") + q[0].toFixed(1) + " " + q[1].toFixed(1)).join("");
    const area = line + "L" + seq[seq.length - 1][0].toFixed(1) + " " + y(0) + "L" + seq[0][0].toFixed(1) + " " + y(0) + "Z";
    svg.append(mk("path", { d: area, fill: colour(idx), "fill-opacity": 0.08, stroke: "none" }));
    svg.append(mk("path", { d: line, fill: "none", stroke: colour(idx), "stroke-width": 2,
      "stroke-linejoin": "round", "data-series": String(idx) }));
  }
  const rec = pts.filter((p) => p.recommendedBps !== null);
  if (rec.length > 0) {
    const d = rec.map((p, i) => (i ? "L" : "M") + x(p.t).toFixed(1) + " " + y(p.recommendedBps).toFixed(1)).join("");
    svg.append(mk("path", { d, fill: "none", stroke: "#e6edf3", "stroke-width": 1.5,
      "stroke-dasharray": "6 4" }));
  }
  const legend = $("legend");
  legend.replaceChildren();
  for (const idx of indices) {
    const item = el("span");
    item.append(el("span", { class: "swatch", style: "background:" + colour(idx) }));
    item.append(document.createTextNode(idx + " · " + (names[idx] || "link " + idx)));
    legend.append(item);
  }
  if (rec.length > 0) {
    const item = el("span");
    item.append(el("span", { class: "dash" }));
    item.append(document.createTextNode("recommended encoder bitrate"));
    legend.append(item);
  }
}

let latest = null;
function onSnapshot(snap) {
  latest = snap;
  addPoint(snap);
  render(snap);
  const names = {};
  for (const l of (snap.sessions[0] ? snap.sessions[0].links : [])) names[l.index] = l.name;
  renderChart(names);
  document.body.dataset.updates = String(Number(document.body.dataset.updates || 0) + 1);
}
function feedState(text, cls) {
  const f = $("feed");
  f.textContent = text;
  f.className = "pill " + cls;
}

async function start() {
  try {
    const h = await (await fetch("/history.json")).json();
    for (const p of h) history.push(p);
  } catch (_) { /* the chart starts empty */ }
  let polling = null;
  const poll = () => {
    if (polling) return;
    polling = setInterval(async () => {
      try {
        const r = await fetch("/status.json");
        if (r.ok) { onSnapshot(await r.json()); feedState("live", "live"); }
      } catch (_) { feedState("offline", "offline"); }
    }, 1000);
  };
  if (!window.EventSource) return poll();
  const es = new EventSource("/events");
  es.addEventListener("snapshot", (e) => { feedState("live", "live"); onSnapshot(JSON.parse(e.data)); });
  es.onerror = () => feedState(latest && latest.sessions[0] && latest.sessions[0].state !== "open"
    ? "ended" : "reconnecting", "offline");
}
window.addEventListener("resize", () => {
  if (latest) renderChart(Object.fromEntries((latest.sessions[0] ? latest.sessions[0].links : []).map((l) => [l.index, l.name])));
});
start();
</script>
</body>
</html>
`;
