/* "Customer flow through a page": where customers come from and go next (a Sankey), the
 * shortest routes to an answer, and the page by segment (which follows the dates). */

import { gql, KeyNeeded } from "../api.js";
import { $, chartMessage, csvButton, escapeHtml, fillTable, fmtInt, fmtOne, fmtPct, fmtQ, h, plural, title } from "../dom.js";
import { badges, label } from "../names.js";

const FLOW_NODES = 8; // pages shown on each side of the Sankey; the rest are grouped
const FLOW_FETCH = 200; // transitions fetched per side (enough to group the rest exactly)

const FLOW_QUERY = `
  query Flow($id: ID!, $n: Int!, $key: String! = "platform", $bySegment: Boolean! = false,
             $from: DateTime, $until: DateTime) {
    page(id: $id) {
      resolvedBy: bySegment(key: $key, metric: RESOLUTION_RATE, from: $from, until: $until)
        @include(if: $bySegment) {
        value segment qValue significant direction rate { trials rate } rest { rate }
      }
      exitsBy: bySegment(key: $key, metric: EXIT_RATE, from: $from, until: $until)
        @include(if: $bySegment) {
        value segment qValue significant direction rate { trials rate } rest { rate }
      }
      id title url visits exits resolutions escalations successProbability
      escalationProbability turnaroundRate isHotspot isEscalationHotspot weakReasons
      incoming(limit: $n) { count from { id title } }
      outgoing(limit: $n) { count to { id title } }
    }
    fewest: shortestSuccessPath(fromPageId: $id, mode: FEWEST_CLICKS) {
      clicks probability observedMeanClicks pages { id title }
    }
    likely: shortestSuccessPath(fromPageId: $id, mode: MOST_LIKELY) {
      clicks probability observedMeanClicks pages { id title }
    }
  }`;

const COLORS = {
  page: "#17233a", from: "#6b8fd6", to: "#3aa7a3", other: "#a3adbb", start: "#8a96a8",
  resolved: "#1f9d55", escalated: "#d9730d", exit: "#d64545",
};

const state = { chart: null, request: 0 };

export function flowMessage(message, isError) {
  chartMessage("flow-empty", "flow-chart", state.chart, message, isError);
}

function ensureChart() {
  if (state.chart) return state.chart;
  if (!window.echarts) throw new Error("the chart library did not load");
  state.chart = window.echarts.init($("flow-chart"), null, { renderer: "svg" });
  window.addEventListener("resize", () => state.chart && state.chart.resize());
  return state.chart;
}

/** Sankey nodes and links: sources -> page -> destinations, the tail grouped. */
function flowGraph(page) {
  const nodes = [];
  const links = [];
  const labels = {};
  const center = "page";
  // A node on one side (0: where customers came from, 2: where they went) and its link.
  const side = (key, text, depth, color, value, extra) => {
    labels[key] = text;
    nodes.push({ name: key, depth, itemStyle: { color }, ...extra });
    if (depth === 1) return;
    const [source, target] = depth === 0 ? [key, center] : [center, key];
    links.push({ source, target, value, lineStyle: { color } });
  };
  // The FLOW_NODES busiest pages of a side, the rest as one node.
  const pages = (transitions, depth, end) => {
    const shown = transitions.filter((t) => t.count > 0);
    const prefix = depth === 0 ? "in" : "out";
    for (const t of shown.slice(0, FLOW_NODES)) {
      const other = t[end];
      const text = other.id === page.id ? "Same page (reloaded)" : title(other);
      side(`${prefix}:${other.id}`, text, depth, depth === 0 ? COLORS.from : COLORS.to, t.count, { pageId: other.id });
    }
    const rest = shown.slice(FLOW_NODES);
    if (rest.length) {
      const total = rest.reduce((s, t) => s + t.count, 0);
      side(`${prefix}:other`, plural(rest.length, "other page", "other pages"), depth, COLORS.other, total);
    }
    return shown.reduce((s, t) => s + t.count, 0);
  };
  side(center, title(page), 1, COLORS.page);
  const totalIn = pages(page.incoming, 0, "from");
  const started = page.incoming.length < FLOW_FETCH ? page.visits - totalIn : 0;
  if (started > 0) side("in:start", "Started their visit here", 0, COLORS.start, started);
  if (page.resolutions > 0) side("out:resolved", "Resolved here", 2, COLORS.resolved, page.resolutions);
  if (page.escalations > 0) side("out:escalated", "Escalated to support", 2, COLORS.escalated, page.escalations);
  pages(page.outgoing, 2, "to");
  if (page.exits > 0) side("out:exit", "Left the site", 2, COLORS.exit, page.exits);
  return { nodes, links, labels };
}

function fact(key, value, text) {
  return h(
    "span",
    { class: "fact" },
    key ? label("span", key, { class: "fact-label" }) : h("span", { class: "fact-label" }, text),
    " ",
    h("span", { class: "fact-value" }, value),
  );
}

function renderFacts(page) {
  const reasons = page.weakReasons || [];
  $("flow-facts").replaceChildren(
    fact("visits", fmtInt(page.visits)),
    fact("chanceOfSuccess", fmtPct(page.successProbability)),
    fact("chanceOfEscalation", fmtPct(page.escalationProbability)),
    fact(null, fmtInt(page.resolutions), "Resolved here"),
    fact(null, fmtInt(page.escalations), "Escalated here"),
    fact(null, fmtInt(page.exits), "Left the site here"),
    fact("turnaroundsPerVisit", fmtPct(page.turnaroundRate)),
    ...(reasons.length ? [badges(reasons)] : []),
  );
}

function renderBreakdown(page, key, segment) {
  const box = $("flow-segments");
  const rows = page.resolvedBy;
  if (!rows || !rows.length) {
    box.replaceChildren();
    box.hidden = true;
    return;
  }
  const exits = new Map((page.exitsBy || []).map((r) => [r.segment, r]));
  const cell = (r, upIsGood) => {
    if (!r || r.rate.rate === null) return h("td", { class: "num" }, "–");
    const tone = r.significant ? ((r.direction === "UP") === upIsGood ? "good" : "bad") : "";
    return h(
      "td",
      { class: `num ${tone}`, title: `rest of the page's journeys ${fmtPct(r.rest.rate)}; q ${fmtQ(r.qValue)}` },
      fmtPct(r.rate.rate),
      r.significant ? h("span", { class: "flag" }, r.direction === "UP" ? " ▲" : " ▼") : "",
    );
  };
  const table = h(
    "table",
    { class: "data-table breakdown", id: "breakdown-table" },
    h("thead", {}, h("tr", {}, h("th", {}, key), h("th", { class: "num" }, "Journeys"),
      label("th", "resolvedThrough", { class: "num" }), label("th", "exitsPerVisit", { class: "num" }))),
    h("tbody", {}),
  );
  box.replaceChildren(
    h("div", { class: "breakdown-head" }, h("p", { class: "breakdown-title" }, `By ${key}`), csvButton("breakdown-table", `page-${page.id}-by-${key}`)),
    h("p", { class: "meter-sub" }, "each against the page's other journeys; ▲▼ a clear difference (q ≤ 0.05)"),
    table,
  );
  fillTable(
    "breakdown-table",
    rows.map((r) =>
      h(
        "tr",
        { "data-segment": r.segment || "", class: r.segment === segment ? "chosen" : "" },
        h("td", {}, r.value === null ? "(not set)" : r.value),
        h("td", { class: "num" }, fmtInt(r.rate.trials)),
        cell(r, true),
        cell(exits.get(r.segment), false),
      ),
    ),
    {
      header: [key, "journeys", "resolvedThrough", "exitsPerVisit", "resolvedQValue"],
      rows: rows.map((r) => [r.value, r.rate.trials, r.rate.rate, (exits.get(r.segment) || { rate: {} }).rate.rate, r.qValue]),
    },
  );
  box.hidden = false;
}

function renderSankey(page) {
  const chart = ensureChart();
  const { nodes, links, labels } = flowGraph(page);
  if (links.length === 0) return flowMessage("No customer has clicked through this page yet.");
  $("flow-empty").hidden = true;
  if ($("flow-chart").classList.contains("collapsed")) {
    $("flow-chart").classList.remove("collapsed");
    chart.resize();
  }
  const arrivals = Math.max(1, page.visits);
  chart.clear();
  chart.setOption({
    animation: false,
    tooltip: {
      trigger: "item",
      confine: true,
      formatter: (p) => {
        if (p.dataType === "edge") {
          return `${escapeHtml(labels[p.data.source])} → ${escapeHtml(labels[p.data.target])}<br>` +
            `<b>${fmtInt(p.data.value)}</b> clicks (${fmtPct(p.data.value / arrivals)} of the page’s visits)`;
        }
        return `${escapeHtml(labels[p.name])}: <b>${fmtInt(p.value)}</b>`;
      },
    },
    series: [{
      type: "sankey", left: "22%", right: "22%", top: 28, bottom: 12, nodeWidth: 14, nodeGap: 10,
      layoutIterations: 0, draggable: false, emphasis: { focus: "adjacency" },
      lineStyle: { opacity: 0.35, curveness: 0.5 },
      data: nodes.map((n) => ({
        ...n,
        label: {
          position: n.depth === 0 ? "left" : n.depth === 2 ? "right" : "top",
          width: n.depth === 1 ? 360 : 200,
          overflow: "truncate",
          fontWeight: n.depth === 1 ? "bold" : "normal",
          fontSize: n.depth === 1 ? 14 : 12,
          color: "#1f2a37",
        },
      })),
      links,
      label: { formatter: (p) => `${labels[p.name]}  ${fmtInt(p.value)}` },
    }],
  });
}

function routeCard(name, route, describe) {
  if (!route) {
    return h("div", { class: "route" }, h("p", { class: "route-title" }, name), h("p", { class: "route-summary" }, "No observed route to an answer."));
  }
  return h(
    "div",
    { class: "route", "data-mode": name },
    h("p", { class: "route-title" }, name),
    h("p", { class: "route-summary" }, describe(route)),
    h("ol", {}, route.pages.map((p, i) => h("li", { class: i === route.pages.length - 1 ? "goal" : "" }, title(p)))),
  );
}

function renderRoutes(page, fewest, likely) {
  const clicks = (r) => (r.clicks === 0 ? "customers resolve right here" : plural(r.clicks, "click", "clicks"));
  const observed = (fewest && fewest.observedMeanClicks) ?? (likely && likely.observedMeanClicks);
  const best = fewest ? fewest.clicks : null;
  // The route's share counts the customers who click on at each step: those who leave the
  // page (or resolve, or escalate, right there) are said apart, not left out silently.
  const stopHere = page.visits ? (page.exits + page.resolutions + page.escalations) / page.visits : null;
  $("routes").replaceChildren(
    routeCard("Fewest clicks", fewest, clicks),
    routeCard("Most likely route", likely, (r) =>
      `${clicks(r)} · ${fmtPct(r.probability)} of the customers who click on from here follow exactly this route` +
        (stopHere === null ? "" : `; ${fmtPct(stopHere)} of visits end on this page`),
    ),
    observed === null || observed === undefined
      ? h("p", { class: "observed muted" }, "No customer has resolved after visiting this page yet.")
      : h(
          "p",
          { class: "observed" },
          "What customers actually do: ",
          h("strong", {}, `${fmtOne(observed)} clicks`),
          " on average before they resolve",
          best !== null && observed > best ? ` (${fmtOne(observed - best)} more than the shortest route).` : ".",
        ),
  );
}

export async function loadFlow(id, ctx) {
  const request = ++state.request;
  $("flow-empty").hidden = true;
  $("routes").replaceChildren(h("p", { class: "muted" }, "Loading…"));
  let data;
  const key = ctx.breakdownKey();
  try {
    if (state.chart) state.chart.showLoading({ text: "Loading…" });
    const { from, until } = ctx.range();
    data = await gql(FLOW_QUERY, { id, n: FLOW_FETCH, key: key || "platform", bySegment: Boolean(key), from, until });
  } catch (err) {
    if (request !== state.request) return;
    if (state.chart) state.chart.hideLoading();
    if (err instanceof KeyNeeded) ctx.askForKey(err.message);
    flowMessage(`Could not load the flow for this page: ${err.message}`, true);
    $("routes").replaceChildren(h("p", { class: "muted" }, "–"));
    return;
  }
  if (request !== state.request) return; // a newer selection won
  if (state.chart) state.chart.hideLoading();
  const page = data.page;
  if (!page) {
    $("flow-facts").replaceChildren();
    flowMessage(`There is no page with id ${id}.`);
    $("routes").replaceChildren(h("p", { class: "muted" }, "–"));
    return;
  }
  renderFacts(page);
  renderBreakdown(page, key, ctx.segment());
  try {
    renderSankey(page);
  } catch (err) {
    flowMessage(`Could not draw the flow: ${err.message}`, true);
  }
  renderRoutes(page, data.fewest, data.likely);
}

export function fillSelector(weak, hotspots, escalations, pages) {
  const select = $("page-select");
  const option = (p, note) => h("option", { value: p.id }, `${title(p)}${note ? ` — ${note}` : ""}`);
  const groups = [];
  if (weak.length) groups.push(h("optgroup", { label: "Weak pages (most customers lost first)" }, weak.map((w) => option(w.page))));
  if (hotspots.length) groups.push(h("optgroup", { label: "Turnaround hotspots" }, hotspots.map((s) => option(s.page))));
  if (escalations.length) groups.push(h("optgroup", { label: "Escalation hotspots" }, escalations.map((s) => option(s.page))));
  if (pages.length) {
    groups.push(h("optgroup", { label: "All pages (most visited first)" }, pages.map((p) => option(p, plural(p.visits, "visit", "visits")))));
  }
  select.replaceChildren(...groups);
  select.disabled = !pages.length && !weak.length;
  if (select.disabled) select.replaceChildren(h("option", {}, "No pages yet"));
}

