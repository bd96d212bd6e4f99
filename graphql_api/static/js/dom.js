/* What every panel shares: elements built safely (data only ever inserted as text),
 * numbers in words, tables that fit their panel and export as CSV, sparklines. */

export const $ = (id) => document.getElementById(id);

/** An element with attributes and children (strings become text nodes). */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "style") Object.assign(el.style, value);
    else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Text with `code` spans rendered as <code>, safely. */
export function withCode(text) {
  return text.split("`").map((part, i) => (i % 2 ? h("code", {}, part) : part));
}

/** A message (`code` spans as code) in place of a chart: `emptyId` shown, `chartId` collapsed
 * and its ECharts instance (if drawn) cleared. */
export function chartMessage(emptyId, chartId, chart, message, isError) {
  const el = $(emptyId);
  el.className = isError ? "empty error" : "empty";
  el.replaceChildren(...withCode(message));
  el.hidden = false;
  $(chartId).classList.add("collapsed");
  if (chart) {
    chart.clear();
    chart.resize();
  }
}

const intFmt = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const oneFmt = new Intl.NumberFormat("en-US", { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const twoFmt = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

export const fmtInt = (v) => (v === null || v === undefined ? "–" : intFmt.format(v));
export const fmtOne = (v) => (v === null || v === undefined ? "–" : oneFmt.format(v));
export const fmtTwo = (v) => (v === null || v === undefined ? "–" : twoFmt.format(v));
export const fmtPct = (v) => (v === null || v === undefined ? "–" : `${oneFmt.format(v * 100)}%`);

export function fmtQ(q) {
  if (q === null || q === undefined) return "–";
  if (q < 0.001) return "< 0.001";
  return q.toPrecision(2);
}

/** 42.4 -> "42 s", 95 -> "1 min 35 s", 7260 -> "2 h 1 min". */
export function fmtSeconds(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return s % 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s / 60} min`;
  const m = Math.round(s / 60);
  return m % 60 ? `${Math.floor(m / 60)} h ${m % 60} min` : `${m / 60} h`;
}

/** 0.0523 -> "5 in 100" (one decimal under 1 in 100). */
export function inHundred(rate) {
  if (rate === null || rate === undefined) return "–";
  const v = rate * 100;
  return `${v < 1 && v > 0 ? oneFmt.format(v) : intFmt.format(v)} in 100`;
}

export function plural(n, one, many) {
  return `${fmtInt(n)} ${n === 1 ? one : many}`;
}

export function title(page) {
  return (page && (page.title || page.id)) || "?";
}

const dateFmt = new Intl.DateTimeFormat("en-GB", {
  day: "numeric", month: "short", year: "numeric", timeZone: "UTC",
});
export const fmtDate = (iso) => dateFmt.format(new Date(iso));
export const DAY_MS = 86400000;
export const isoDay = (ms) => new Date(ms).toISOString().slice(0, 10);

// ---- tables --------------------------------------------------------------------------

/** A message row across the table. */
export function tableMessage(tableId, message, isError) {
  const table = $(tableId);
  const columns = table.tHead.rows[0].cells.length;
  const cell = h("td", { colspan: columns }, ...withCode(message));
  table.tBodies[0].replaceChildren(h("tr", { class: isError ? "placeholder error" : "placeholder" }, cell));
  csvOf.set(tableId, null);
}

// Each table's rows as CSV, kept when it is rendered: table id -> {name, header, rows}.
const csvOf = new Map();

/** Fill `tableId` with `rows` (each a <tr>) and keep `csv` ({header, rows}) for export. */
export function fillTable(tableId, rows, csv) {
  $(tableId).tBodies[0].replaceChildren(...rows);
  csvOf.set(tableId, csv);
}

function csvField(value) {
  const text = value === null || value === undefined ? "" : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvText(tableId) {
  const csv = csvOf.get(tableId);
  if (!csv) return null;
  return [csv.header, ...csv.rows].map((row) => row.map(csvField).join(",")).join("\r\n") + "\r\n";
}

/** The "Download CSV" button of a table (disabled while it has no rows). */
export function csvButton(tableId, name) {
  return h(
    "button",
    {
      type: "button",
      class: "csv",
      "data-table": tableId,
      title: "Download this table as CSV (every column, statistics included)",
      onclick: () => {
        const text = csvText(tableId);
        if (!text) return;
        const url = URL.createObjectURL(new Blob([text], { type: "text/csv" }));
        const a = h("a", { href: url, download: `${name}.csv` });
        document.body.append(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(url), 1000);
      },
    },
    "CSV",
  );
}

/** A clickable page title that opens its flow (`onOpen(id)`), with its id below. */
export function pageCell(page, onOpen, extra) {
  return h(
    "td",
    { class: "page-cell" },
    h(
      "button",
      { type: "button", class: "page-link", title: "Show how customers flow through this page", onclick: () => onOpen(page.id) },
      title(page),
    ),
    h("span", { class: "page-id" }, page.id),
    extra || null,
  );
}

/** A rate as a bar against the site's mark. */
export function meter(value, max, mark, tone, text, sub) {
  const pct = (v) => `${Math.max(0, Math.min(1, max ? v / max : 0)) * 100}%`;
  return h(
    "div",
    { class: "meter" },
    h(
      "div",
      { class: "meter-track" },
      h("div", { class: `meter-fill ${tone || ""}`, style: { width: pct(value || 0) } }),
      mark === null || mark === undefined
        ? null
        : h("div", { class: "meter-mark", style: { left: pct(mark) }, title: "site-wide" }),
    ),
    h("span", { class: "meter-text" }, text, sub ? h("span", { class: "meter-sub" }, sub) : null),
  );
}

// ---- sparklines ------------------------------------------------------------------------

const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attrs) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

/** A small line of a weekly rate; weeks without trials leave a gap. `mark`: a moment (ISO)
 * drawn as a vertical tick; `tone`: the line's class. */
export function sparkline(points, mark, tone, label) {
  const W = 110;
  const H = 28;
  const pad = 3;
  const el = svg("svg", {
    class: `sparkline ${tone || ""}`,
    width: W,
    height: H,
    viewBox: `0 0 ${W} ${H}`,
    role: "img",
    "aria-label": label || "weekly trend",
  });
  const rated = (points || []).filter((p) => p.rate !== null);
  if (!rated.length) {
    el.append(svg("line", { x1: pad, x2: W - pad, y1: H / 2, y2: H / 2, class: "spark-none" }));
    return el;
  }
  const times = points.map((p) => Date.parse(p.start));
  const t0 = times[0];
  const t1 = times[times.length - 1];
  const max = Math.max(...rated.map((p) => p.rate), 0.05);
  const x = (t) => pad + (t1 > t0 ? ((t - t0) / (t1 - t0)) * (W - 2 * pad) : (W - 2 * pad) / 2);
  const y = (r) => H - pad - (r / max) * (H - 2 * pad);
  if (mark) {
    const m = Date.parse(mark);
    if (m >= t0 && m <= t1 + 7 * DAY_MS) {
      el.append(svg("line", { x1: x(Math.min(m, t1)), x2: x(Math.min(m, t1)), y1: 0, y2: H, class: "spark-mark" }));
    }
  }
  let run = [];
  const flush = () => {
    if (run.length > 1) el.append(svg("polyline", { points: run.join(" "), class: "spark-line" }));
    else if (run.length === 1) {
      const [cx, cy] = run[0].split(",");
      el.append(svg("circle", { cx, cy, r: 1.6, class: "spark-dot" }));
    }
    run = [];
  };
  points.forEach((p, i) => {
    if (p.rate === null) flush();
    else run.push(`${x(times[i]).toFixed(1)},${y(p.rate).toFixed(1)}`);
  });
  flush();
  const last = rated[rated.length - 1];
  const tip = svg("title", {});
  tip.textContent = `${label || ""}: last week ${fmtPct(last.rate)}`.trim();
  el.append(tip);
  return el;
}

export function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
