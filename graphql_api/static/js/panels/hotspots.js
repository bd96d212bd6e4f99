/* Turnaround hotspots and escalation hotspots (latest analysis): pages where customers turn
 * straight back, or contact support, significantly more often than site-wide. */

import { $, csvButton, fillTable, fmtInt, fmtOne, fmtPct, fmtQ, h, meter, pageCell, tableMessage, title } from "../dom.js";

function rateRows(tests, ctx, tone, counts) {
  return tests.map((s) => {
    const times = s.siteRate ? `${fmtOne(s.rate / s.siteRate)}× site-wide (${fmtPct(s.siteRate)})` : "";
    return h(
      "tr",
      { "data-page-id": s.page.id },
      pageCell(s.page, ctx.openPage),
      h("td", {}, meter(s.rate, 1, s.siteRate, tone, fmtPct(s.rate), times)),
      counts(s),
      h("td", { class: "num stat", title: s.qValue === null ? "" : String(s.qValue) }, fmtQ(s.qValue)),
    );
  });
}

export function renderHotspots(hotspots, ctx) {
  if (!ctx.analysed()) return tableMessage("hotspot-table", "No analysis yet — run `pathrank analyze`.");
  if (!hotspots.length) return tableMessage("hotspot-table", "No turnaround hotspots: no page turns customers back more than the site does.");
  const rows = rateRows(hotspots, ctx, "warn", (s) =>
    h(
      "td",
      { class: "num", title: `${fmtInt(s.turnarounds)} turnarounds in ${fmtInt(s.opportunities)} visits mid-journey` },
      fmtInt(s.turnarounds),
      h("span", { class: "meter-sub" }, `of ${fmtInt(s.opportunities)} visits`),
    ),
  );
  fillTable("hotspot-table", rows, {
    header: ["pageId", "page", "turnaroundsPerVisit", "siteWide", "turnarounds", "visitsMidJourney", "qValue"],
    rows: hotspots.map((s) => [s.page.id, title(s.page), s.rate, s.siteRate, s.turnarounds, s.opportunities, s.qValue]),
  });
}

export function renderEscalations(escalations, ctx) {
  if (!ctx.analysed()) return tableMessage("escalation-table", "No analysis yet — run `pathrank analyze`.");
  if (!escalations.length) return tableMessage("escalation-table", "No escalation hotspots: after no page do customers contact support more than site-wide.");
  const rows = rateRows(escalations, ctx, "escalated", (s) =>
    h(
      "td",
      { class: "num", title: `${fmtInt(s.escalations)} escalations in ${fmtInt(s.visits)} visits` },
      fmtInt(s.escalations),
      h("span", { class: "meter-sub" }, `${fmtInt(s.page.resolutions)} resolved`),
    ),
  );
  fillTable("escalation-table", rows, {
    header: ["pageId", "page", "escalationsPerVisit", "siteWide", "escalations", "visits", "resolved", "qValue"],
    rows: escalations.map((s) => [s.page.id, title(s.page), s.rate, s.siteRate, s.escalations, s.visits, s.page.resolutions, s.qValue]),
  });
}

export function setupHotspots() {
  $("hotspot-csv").replaceWith(csvButton("hotspot-table", "turnaround-hotspots"));
  $("escalation-csv").replaceWith(csvButton("escalation-table", "escalation-hotspots"));
}
