/* The headline: how self-service is doing over the filtered journeys (live from the paths). */

import { $, fmtInt, fmtPct, fmtTwo, h, plural } from "../dom.js";

export function renderHeadline(stats, analysis) {
  $("kpi-completed").textContent = fmtInt(stats.completed);
  $("kpi-completed-note").textContent =
    `${fmtInt(stats.resolved)} resolved · ${fmtInt(stats.escalated)} reached support · ` +
    `${fmtInt(stats.abandoned)} gave up`;
  $("kpi-self-service").textContent = fmtPct(stats.selfServiceRate);
  $("kpi-escalation").textContent = fmtPct(stats.escalationRate);
  $("kpi-escalation-note").textContent = `${plural(stats.escalated, "journey", "journeys")} ended in a ticket, chat or call`;
  $("kpi-mean-length").replaceChildren(
    stats.meanLength === null ? "–" : fmtTwo(stats.meanLength),
    stats.meanLength === null ? "" : h("small", {}, " on average"),
  );
  $("kpi-variance-length").textContent = stats.varianceLength === null ? " " : `variance ${fmtTwo(stats.varianceLength)}`;
  $("kpi-turnaround").textContent = fmtPct(stats.turnaroundRate);
  $("kpi-open").textContent = fmtInt(stats.open);

  const info = $("analysis-info");
  if (analysis) {
    const when = new Date(analysis.startedAt);
    const stamp = Number.isNaN(when.getTime())
      ? analysis.startedAt
      : when.toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short" });
    info.textContent = `Last analysis ${stamp} · ${plural(analysis.paths, "journey", "journeys")}`;
  } else {
    info.textContent = "Not analysed yet";
  }
}
