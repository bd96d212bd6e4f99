/* "What changed": pages whose rates moved, each week against the four before it, and each
 * catalog update before against after. Follows the dates and the customers: with a segment,
 * the changes found among that segment's journeys alone, and its weekly trends. */

import { $, csvButton, DAY_MS, fillTable, fmtDate, fmtPct, fmtQ, h, pageCell, plural, sparkline, tableMessage, title, withCode } from "../dom.js";
import { METRIC_FIGURE, metricName, UP_IS_GOOD } from "../names.js";

const ROWS = 8; // a page's rate once, at its most significant change

export const CHANGE_FIELDS = `
  metric kind segment periodStart periodEnd baselineRate rate qValue direction
  version { title since }
  page {
    id title
    RESOLUTION_RATE: series(metric: RESOLUTION_RATE, interval: WEEK, from: $from, until: $until, segment: $segment) { start rate trials }
    EXIT_RATE: series(metric: EXIT_RATE, interval: WEEK, from: $from, until: $until, segment: $segment) { start rate trials }
    TURNAROUND_RATE: series(metric: TURNAROUND_RATE, interval: WEEK, from: $from, until: $until, segment: $segment) { start rate trials }
    ESCALATION_RATE: series(metric: ESCALATION_RATE, interval: WEEK, from: $from, until: $until, segment: $segment) { start rate trials }
  }`;

/** "good" when the change is good news for customers, else "bad". */
function tone(c) {
  return (c.direction === "UP") === UP_IS_GOOD[c.metric] ? "good" : "bad";
}

function beforeAfter(c) {
  const same = c.rate === c.baselineRate;
  return h(
    "span",
    { class: `before-after ${same ? "" : tone(c)}` },
    h("span", { class: "before" }, fmtPct(c.baselineRate)),
    h("span", { class: "arrow" }, same ? " → " : c.direction === "UP" ? " ↗ " : " ↘ "),
    h("strong", { class: "after" }, fmtPct(c.rate)),
  );
}

export function renderChanges(changes, ctx) {
  if (!ctx.analysed()) return tableMessage("changes-table", "No analysis yet — run `pathrank analyze`.");
  if (ctx.empty()) return tableMessage("changes-table", ctx.noData());
  const until = ctx.range().until;
  const inRange = changes.filter((c) => !until || Date.parse(c.periodStart) < Date.parse(until));
  const groups = new Map();
  for (const c of inRange) {
    const key = `${c.page.id}|${c.metric}`;
    if (groups.has(key)) groups.get(key).others += 1;
    else groups.set(key, { change: c, others: 0 });
  }
  const shown = [...groups.values()].slice(0, ROWS);
  if (!shown.length) {
    const who = ctx.segment() ? ` among customers with ${ctx.segment().replace("=", " = ")}` : "";
    return tableMessage(
      "changes-table",
      ctx.filtered() ? `No significant change in this range${who}.` : "No significant change: every page's rates held steady week to week.",
    );
  }
  const rows = shown.map(({ change: c, others }) => {
    const when = c.kind === "CATALOG" ? `after the update of ${fmtDate(c.periodStart)}` : `week of ${fmtDate(c.periodStart)}`;
    const more = others ? h("span", { class: "meter-sub" }, `and ${plural(others, "other week", "other weeks")}`) : null;
    return h(
      "tr",
      { "data-page-id": c.page.id, "data-metric": c.metric, "data-kind": c.kind, "data-segment": c.segment || "" },
      pageCell(c.page, ctx.openPage),
      h(
        "td",
        {},
        h("span", { "data-figure": METRIC_FIGURE[c.metric] }, metricName(c.metric)),
        h("span", { class: "meter-sub" }, c.kind === "CATALOG" ? "catalog update" : c.segment ? `${c.segment.replace("=", " = ")}, against the 4 weeks before` : "against the 4 weeks before"),
      ),
      h("td", { class: "when" }, when, more),
      h("td", {}, beforeAfter(c)),
      h("td", { class: "trend" }, sparkline(c.page[c.metric], c.periodStart, tone(c), `${title(c.page)}, ${metricName(c.metric)}`)),
      h("td", { class: "num stat", title: String(c.qValue) }, fmtQ(c.qValue)),
    );
  });
  fillTable("changes-table", rows, {
    header: ["pageId", "page", "figure", "metric", "kind", "segment", "periodStart", "before", "after", "direction", "qValue"],
    rows: shown.map(({ change: c }) => [
      c.page.id, title(c.page), metricName(c.metric), c.metric, c.kind, c.segment || "", c.periodStart,
      c.baselineRate, c.rate, c.direction, c.qValue,
    ]),
  });
}

export function renderCatalog(comparisons, ctx) {
  const box = $("catalog-changes");
  if (!ctx.analysed()) return box.replaceChildren(h("p", { class: "muted" }, ...withCode("No analysis yet — run `pathrank analyze`.")));
  const groups = new Map();
  // A rate that is 0 on both sides (say, no escalations at all) says nothing about the update.
  for (const c of comparisons.filter((x) => x.rate > 0 || x.baselineRate > 0)) {
    const key = `${c.page.id}@${c.version ? c.version.since : c.periodStart}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(c);
  }
  if (!groups.size) {
    return box.replaceChildren(h("p", { class: "muted" }, "No catalog page changed inside the analysed window (or not enough customers saw it)."));
  }
  const order = Object.keys(METRIC_FIGURE);
  const cards = [...groups.values()].map((group) => {
    const first = group[0];
    const days = Math.round((Date.parse(first.periodEnd) - Date.parse(first.periodStart)) / DAY_MS);
    group.sort((a, b) => order.indexOf(a.metric) - order.indexOf(b.metric));
    return h(
      "div",
      { class: "catalog-card", "data-page-id": first.page.id },
      h("p", { class: "catalog-title" }, h("button", { type: "button", class: "page-link", onclick: () => ctx.openPage(first.page.id) }, title(first.page))),
      h(
        "p",
        { class: "route-summary" },
        `Updated ${fmtDate(first.periodStart)}`,
        first.version && first.version.title ? ` as “${first.version.title}”` : "",
        ` · ${days} days before vs after`,
      ),
      h(
        "ul",
        { class: "effects" },
        group.map((c) =>
          h(
            "li",
            { "data-metric": c.metric, class: c.significant ? "significant" : "" },
            h("span", { class: "effect-name", "data-figure": METRIC_FIGURE[c.metric] }, metricName(c.metric)),
            beforeAfter(c),
            h("span", { class: "effect-q" }, c.significant ? "a clear change" : "no clear effect", h("span", { class: "stat" }, ` q ${fmtQ(c.qValue)}`)),
          ),
        ),
      ),
    );
  });
  box.replaceChildren(...cards);
}

export function setupChanges() {
  $("changes-csv").replaceWith(csvButton("changes-table", "what-changed"));
}
