/* "Time to resolution" (latest analysis, everyone): the share of journeys that resolved
 * within so many minutes or clicks, by where they started. */

import { gql } from "../api.js";
import { $, chartMessage, fmtInt, fmtOne, fmtPct, h, plural, title } from "../dom.js";

const CURVE_QUERY = `
  query Curve($entry: ID) {
    timeToResolution(entryPageId: $entry) {
      paths resolved open medianMinutes medianClicks
      byMinutes { at incidence low high }
      byClicks { at incidence low high }
    }
  }`;
const ENTRY_PAGES = 30; // entry pages offered in the picker, most entries first
const GREEN = "#1f9d55";

const state = { chart: null, request: 0, curve: null, axis: "minutes", analysed: false };

export function curveMessage(message, isError) {
  chartMessage("resolution-empty", "resolution-chart", state.chart, message, isError);
}

export function fillEntries(pages, analysed) {
  state.analysed = analysed;
  const select = $("entry-select");
  const entries = pages.filter((p) => p.entries > 0).sort((a, b) => b.entries - a.entries || (a.id < b.id ? -1 : 1));
  const options = [h("option", { value: "" }, "Any page (the whole site)")];
  for (const p of entries.slice(0, ENTRY_PAGES)) {
    options.push(h("option", { value: p.id }, `${title(p)} — ${plural(p.entries, "journey", "journeys")}`));
  }
  select.replaceChildren(...options);
  select.disabled = !analysed;
}

function render() {
  const curve = state.curve;
  if (!curve) return;
  const minutes = state.axis === "minutes";
  const points = minutes ? curve.byMinutes : curve.byClicks;
  const median = minutes ? curve.medianMinutes : curve.medianClicks;
  const unit = minutes ? "minutes" : "clicks";
  const fact = (name, value) =>
    h("span", { class: "fact" }, h("span", { class: "fact-label" }, name), " ", h("span", { class: "fact-value" }, value));
  $("resolution-facts").replaceChildren(
    fact("Journeys", fmtInt(curve.paths)),
    fact("Resolved", fmtInt(curve.resolved)),
    fact("Still open", fmtInt(curve.open)),
    fact("Half of those that resolve did so within", median === null ? "–" : minutes ? `${fmtOne(median)} minutes` : plural(median, "click", "clicks")),
  );
  if (!points.length) return curveMessage("No journey that started here has ended yet.");
  $("resolution-empty").hidden = true;
  if (!window.echarts) throw new Error("the chart library did not load");
  if (!state.chart) {
    state.chart = window.echarts.init($("resolution-chart"), null, { renderer: "svg" });
    window.addEventListener("resize", () => state.chart && state.chart.resize());
  }
  const chart = state.chart;
  if ($("resolution-chart").classList.contains("collapsed")) {
    $("resolution-chart").classList.remove("collapsed");
    chart.resize();
  }
  const pct = (v) => Math.round(v * 1000) / 10;
  chart.clear();
  chart.setOption({
    animation: false,
    grid: { left: 56, right: 24, top: 16, bottom: 44 },
    tooltip: {
      trigger: "axis",
      formatter: (items) => {
        const p = points[items[0].dataIndex];
        return `Within ${fmtInt(p.at)} ${unit}: <b>${fmtPct(p.incidence)}</b> resolved<br>95% interval ${fmtPct(p.low)} – ${fmtPct(p.high)}`;
      },
    },
    xAxis: { type: "value", name: minutes ? "minutes since the first click" : "clicks", nameLocation: "middle", nameGap: 28, min: 0 },
    yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
    series: [
      { type: "line", step: "end", data: points.map((p) => [p.at, pct(p.low)]), stack: "band", symbol: "none", lineStyle: { opacity: 0 } },
      { type: "line", step: "end", data: points.map((p) => [p.at, pct(p.high - p.low)]), stack: "band", symbol: "none", lineStyle: { opacity: 0 }, areaStyle: { color: GREEN, opacity: 0.18 } },
      {
        name: "resolved", type: "line", step: "end", data: points.map((p) => [p.at, pct(p.incidence)]), symbol: "none",
        lineStyle: { color: GREEN, width: 2.5 },
        markLine: median === null ? undefined : {
          symbol: "none", label: { formatter: `half: ${minutes ? fmtOne(median) : fmtInt(median)}` },
          lineStyle: { color: "#8a96a8", type: "dashed" }, data: [{ xAxis: median }],
        },
      },
    ],
  });
}

export async function loadCurve(entry) {
  const request = ++state.request;
  let data;
  try {
    data = await gql(CURVE_QUERY, { entry: entry || null });
  } catch (err) {
    if (request !== state.request) return;
    $("resolution-facts").replaceChildren();
    curveMessage(`Could not load the time to resolution: ${err.message}`, true);
    return;
  }
  if (request !== state.request) return;
  state.curve = data.timeToResolution;
  if (!state.curve) {
    $("resolution-facts").replaceChildren();
    curveMessage(state.analysed ? "No journey started on this page." : "No analysis yet — run `pathrank analyze`.");
    return;
  }
  try {
    render();
  } catch (err) {
    curveMessage(`Could not draw the curve: ${err.message}`, true);
  }
}

export function setupResolution() {
  $("entry-select").addEventListener("change", (e) => loadCurve(e.target.value));
  for (const b of document.querySelectorAll(".toggle .button")) {
    b.addEventListener("click", () => {
      state.axis = b.dataset.axis;
      for (const other of document.querySelectorAll(".toggle .button")) {
        const on = other.dataset.axis === state.axis;
        other.classList.toggle("toggle-on", on);
        other.setAttribute("aria-pressed", on ? "true" : "false");
      }
      if (state.curve) render();
    });
  }
}
