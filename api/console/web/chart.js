// Charts of a result, drawn as SVG by hand: a bar chart for a category
// column and a number column, a line over time for a timestamp (or date)
// column and a number column. chartSpec says whether the columns suit one.

const NS = "http://www.w3.org/2000/svg";
export const MAX_BARS = 100;
const NUM = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const TIME = /^\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:\s?(?:Z|UTC|[+-]\d{2}(?::?\d{2})?))?$/;

// parseTime reads the timestamps and dates a result holds
// ("2026-01-02 03:04:05.000", "2026-01-02", with or without a zone) as UTC.
export function parseTime(v) {
  let s = v.trim().replace(" ", "T").replace(/\s?UTC$/, "Z");
  if (/^\d{4}-\d{2}-\d{2}$/.test(s)) s += "T00:00:00";
  if (!/(Z|[+-]\d{2}(:?\d{2})?)$/.test(s.slice(10))) s += "Z";
  s = s.replace(/([+-]\d{2})$/, "$1:00").replace(/([+-]\d{2})(\d{2})$/, "$1:$2");
  return Date.parse(s);
}

function every(rows, i, re) {
  let seen = false;
  for (const r of rows) {
    if (r[i] === "" || r[i] === null || r[i] === undefined) continue;
    if (!re.test(r[i])) return false;
    seen = true;
  }
  return seen;
}

// chartSpec returns {kind: "line"|"bar", x, y} (column indexes) when the
// columns suit a chart, else null. A line needs a time column, a number
// column and two rows; a bar chart a non-number column and a number column.
export function chartSpec(columns, rows) {
  if (!rows.length || columns.length < 2) return null;
  const num = columns.map((_, i) => every(rows, i, NUM));
  const time = columns.map((_, i) => !num[i] && every(rows, i, TIME));
  const y = num.indexOf(true);
  if (y < 0) return null;
  const t = time.indexOf(true);
  if (t >= 0 && rows.length >= 2) return { kind: "line", x: t, y };
  const x = num.indexOf(false);
  return x >= 0 ? { kind: "bar", x, y } : null;
}

function svg(tag, attrs, ...children) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
}

const title = (text) => svg("title", {}, text);
const text = (x, y, s, attrs) => svg("text", Object.assign({ x, y }, attrs), s);

function fmtNum(n) {
  if (Math.abs(n) >= 1e6) return (n / 1e6).toFixed(1).replace(/\.0$/, "") + "M";
  if (Math.abs(n) >= 1e4) return (n / 1e3).toFixed(1).replace(/\.0$/, "") + "k";
  return String(Math.round(n * 100) / 100);
}

// nice widens [lo, hi] to round ends and returns about n round ticks
// across it.
function nice(lo, hi, n) {
  if (hi === lo) hi = lo + 1;
  const raw = (hi - lo) / n, mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw);
  lo = Math.floor(lo / step) * step;
  hi = Math.ceil(hi / step) * step;
  const ticks = [];
  for (let v = lo; v <= hi + step / 1e6; v += step) ticks.push(Math.round(v / step) * step);
  return { lo, hi, ticks };
}

// drawChart returns the SVG of spec over rows, width px wide.
export function drawChart(spec, columns, rows, width) {
  return spec.kind === "line" ? line(spec, columns, rows, width) : bars(spec, columns, rows, width);
}

function bars(spec, columns, rows, width) {
  const data = rows.filter((r) => r[spec.y] !== "").slice(0, MAX_BARS)
    .map((r) => ({ label: r[spec.x] === "" ? "(null)" : r[spec.x], v: +r[spec.y] }));
  const labelW = Math.min(220, 12 + 7 * Math.max(...data.map((d) => Math.min(d.label.length, 30))));
  const rowH = 22, top = 24, right = 60;
  const h = top + data.length * rowH + 24;
  const { lo, hi, ticks } = nice(Math.min(0, ...data.map((d) => d.v)), Math.max(0, ...data.map((d) => d.v)), 5);
  const plotW = Math.max(100, width - labelW - right);
  const sx = (v) => labelW + ((v - lo) / ((hi - lo) || 1)) * plotW;
  const g = svg("svg", {
    width, height: h, viewBox: `0 0 ${width} ${h}`, role: "img", class: "chart bar-chart",
    "aria-label": `Bar chart of ${columns[spec.y]} by ${columns[spec.x]}, ${data.length} bars`,
  });
  g.append(text(labelW, 14, `${columns[spec.y]} by ${columns[spec.x]}`, { class: "chart-title" }));
  for (const t of ticks) {
    g.append(svg("line", { x1: sx(t), x2: sx(t), y1: top - 4, y2: h - 20, class: "grid" }),
      text(sx(t), h - 6, fmtNum(t), { class: "tick", "text-anchor": "middle" }));
  }
  data.forEach((d, i) => {
    const y = top + i * rowH;
    const x0 = sx(Math.min(0, d.v)), x1 = sx(Math.max(0, d.v));
    const label = d.label.length > 30 ? d.label.slice(0, 29) + "…" : d.label;
    g.append(text(labelW - 6, y + 15, label, { class: "label", "text-anchor": "end" }),
      svg("rect", { x: x0, y: y + 3, width: Math.max(1, x1 - x0), height: rowH - 6, class: "bar" }, title(`${d.label}: ${d.v}`)),
      text(x1 + 4, y + 15, fmtNum(d.v), { class: "value" }));
  });
  return g;
}

function line(spec, columns, rows, width) {
  const data = rows.filter((r) => r[spec.y] !== "" && r[spec.x] !== "")
    .map((r) => ({ t: parseTime(r[spec.x]), label: r[spec.x], v: +r[spec.y] }))
    .filter((d) => !isNaN(d.t)).sort((a, b) => a.t - b.t);
  const h = 300, left = 56, right = 20, top = 24, bottom = 40;
  const t0 = data[0].t, t1 = data[data.length - 1].t;
  const { lo, hi, ticks } = nice(Math.min(0, ...data.map((d) => d.v)), Math.max(...data.map((d) => d.v)), 5);
  const sx = (t) => left + ((t - t0) / ((t1 - t0) || 1)) * (width - left - right);
  const sy = (v) => h - bottom - ((v - lo) / (hi - lo)) * (h - top - bottom);
  const g = svg("svg", {
    width, height: h, viewBox: `0 0 ${width} ${h}`, role: "img", class: "chart line-chart",
    "aria-label": `Line chart of ${columns[spec.y]} over ${columns[spec.x]}, ${data.length} points`,
  });
  g.append(text(left, 14, `${columns[spec.y]} over ${columns[spec.x]}`, { class: "chart-title" }));
  for (const v of ticks) {
    g.append(svg("line", { x1: left, x2: width - right, y1: sy(v), y2: sy(v), class: "grid" }),
      text(left - 6, sy(v) + 4, fmtNum(v), { class: "tick", "text-anchor": "end" }));
  }
  const days = (t1 - t0) >= 3 * 864e5;
  const n = Math.min(6, data.length);
  for (let i = 0; i < n; i++) {
    const t = t0 + ((t1 - t0) * i) / Math.max(1, n - 1);
    const iso = new Date(t).toISOString();
    g.append(text(sx(t), h - bottom + 18, days ? iso.slice(0, 10) : iso.slice(0, 16).replace("T", " "),
      { class: "tick", "text-anchor": i === 0 ? "start" : i === n - 1 ? "end" : "middle" }));
  }
  g.append(svg("line", { x1: left, x2: width - right, y1: sy(lo), y2: sy(lo), class: "axis" }),
    svg("polyline", { points: data.map((d) => `${sx(d.t).toFixed(1)},${sy(d.v).toFixed(1)}`).join(" "), class: "line" }));
  for (const d of data) g.append(svg("circle", { cx: sx(d.t), cy: sy(d.v), r: 3.5, class: "point" }, title(`${d.label}: ${d.v}`)));
  return g;
}
