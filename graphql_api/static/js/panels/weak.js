/* "Weak pages": where better content would help the most customers (latest analysis); each
 * with its weekly trend, which follows the dates and the customers. */

import { $, csvButton, fillTable, fmtInt, fmtOne, fmtPct, h, meter, pageCell, sparkline, tableMessage, title } from "../dom.js";
import { badges, FIGURES } from "../names.js";

/** The site's chance of success, exact from any weak page: impact / visits + p. */
function siteSuccess(weak) {
  for (const w of weak) {
    const p = w.page;
    if (w.impact > 0 && p.visits > 0 && p.successProbability !== null) return p.successProbability + w.impact / p.visits;
  }
  return null;
}

export function renderWeak(weak, ctx) {
  const site = siteSuccess(weak);
  $("site-success").textContent = site === null ? "" : ` (site-wide ${fmtPct(site)})`;
  if (!ctx.analysed()) return tableMessage("weak-table", "No analysis yet — run `pathrank analyze`.");
  if (!weak.length) return tableMessage("weak-table", "No weak pages: every page does at least as well as the site.");
  const maxImpact = Math.max(...weak.map((w) => w.impact), 1);
  const rows = weak.map((w) =>
    h(
      "tr",
      { "data-page-id": w.page.id },
      pageCell(w.page, ctx.openPage),
      h("td", {}, badges(w.reasons)),
      h(
        "td",
        { class: "num" },
        h("div", { class: "impact-cell" }, h("div", { class: "impact-bar", style: { width: `${(w.impact / maxImpact) * 3}rem` } }), h("span", {}, fmtOne(w.impact))),
      ),
      h("td", { class: "num" }, fmtInt(w.page.visits)),
      h("td", {}, meter(w.page.successProbability, 1, site, "bad", fmtPct(w.page.successProbability))),
      h("td", { class: "trend" }, sparkline(w.page.trend, null, "", `${title(w.page)}, ${FIGURES.resolvedThrough} per week`)),
    ),
  );
  fillTable("weak-table", rows, {
    header: ["pageId", "page", "reasons", "customersLost", "visits", "chanceOfFindingAnAnswer"],
    rows: weak.map((w) => [w.page.id, title(w.page), w.reasons.join(" "), w.impact, w.page.visits, w.page.successProbability]),
  });
}

export function setupWeak() {
  $("weak-csv").replaceWith(csvButton("weak-table", "weak-pages"));
}
