/* The filters: a date range (UTC days) and a customer segment, kept in the URL. The panels
 * that follow them say so in their header; the others say they show the latest analysis of
 * everyone's journeys. A range without data says where the data is. */

import { $, DAY_MS, fmtDate, h, isoDay, plural } from "./dom.js";

export const filter = { from: "", until: "", segment: "" }; // YYYY-MM-DD; `until` inclusive
let extent = null; // {first, last}: the data's first and last day
let segments = []; // [{key, values: [{value, segment, paths}]}]

/** The filter as API arguments: `from` at 00:00 UTC, `until` the day after the last. */
export function range() {
  return {
    from: filter.from ? `${filter.from}T00:00:00Z` : null,
    until: filter.until ? `${isoDay(Date.parse(`${filter.until}T00:00:00Z`) + DAY_MS)}T00:00:00Z` : null,
    segment: filter.segment || null,
  };
}

export function filtered() {
  return Boolean(filter.from || filter.until || filter.segment);
}

export function readHash() {
  const params = new URLSearchParams(window.location.hash.slice(1));
  const day = (v) => (v && /^\d{4}-\d{2}-\d{2}$/.test(v) ? v : "");
  filter.from = day(params.get("from"));
  filter.until = day(params.get("until"));
  filter.segment = params.get("segment") || "";
  $("filter-from").value = filter.from;
  $("filter-until").value = filter.until;
  return params.get("page");
}

export function writeHash(page) {
  const params = new URLSearchParams();
  if (page) params.set("page", page);
  if (filter.from) params.set("from", filter.from);
  if (filter.until) params.set("until", filter.until);
  if (filter.segment) params.set("segment", filter.segment);
  history.replaceState(null, "", `#${params.toString()}`);
}

/** The data's first and last day, for the pickers' bounds, the presets and "no data". */
export function applyExtent(days) {
  const live = (days || []).filter((p) => p.trials > 0);
  extent = live.length
    ? { first: live[0].start.slice(0, 10), last: isoDay(Date.parse(live[live.length - 1].end) - 1) }
    : null;
  for (const id of ["filter-from", "filter-until"]) {
    $(id).min = extent ? extent.first : "";
    $(id).max = extent ? extent.last : "";
  }
}

/** "No data in this range (your data spans 5 Jan 2026 – 9 Mar 2026)." */
export function noDataMessage() {
  const span = extent ? `your data spans ${fmtDate(extent.first)} – ${fmtDate(extent.last)}` : "there is no data yet";
  const who = filter.segment ? ` for customers with ${filter.segment.replace("=", " = ")}` : "";
  return `No data in this range${who} (${span}).`;
}

export function fillSegments(found) {
  segments = found || [];
  const select = $("filter-segment");
  const groups = segments.map((k) =>
    h(
      "optgroup",
      { label: k.key },
      k.values.map((v) => h("option", { value: v.segment }, `${k.key} = ${v.value} (${plural(v.paths, "journey", "journeys")})`)),
    ),
  );
  select.replaceChildren(h("option", { value: "" }, "Everyone"), ...groups);
  const known = segments.some((k) => k.values.some((v) => v.segment === filter.segment));
  select.value = known ? filter.segment : "";
  $("segment-filter").hidden = !segments.length;
}

/** The key the flow breaks a page down by: the chosen segment's, else the first key. */
export function breakdownKey() {
  if (filter.segment) return filter.segment.split("=")[0];
  return segments.length ? segments[0].key : null;
}

export function describe(completed) {
  const parts = [];
  if (filter.from && filter.until) parts.push(`Journeys that started ${fmtDate(filter.from)} – ${fmtDate(filter.until)}`);
  else if (filter.from) parts.push(`Journeys that started from ${fmtDate(filter.from)}`);
  else if (filter.until) parts.push(`Journeys that started up to ${fmtDate(filter.until)}`);
  else parts.push("All journeys");
  if (filter.segment) parts.push(`customers with ${filter.segment.replace("=", " = ")}`);
  $("filter-note").textContent = parts.join(" · ");
  const empty = filtered() && completed === 0;
  const note = $("no-data");
  note.textContent = empty ? noDataMessage() : "";
  note.hidden = !empty;
  return empty;
}

/** Wire the inputs; `changed()` runs after each change of the filters. */
export function setup(changed) {
  const set = (from, until, segment = filter.segment) => {
    if (from && until && from > until) [from, until] = [until, from];
    filter.from = from || "";
    filter.until = until || "";
    filter.segment = segment || "";
    $("filter-from").value = filter.from;
    $("filter-until").value = filter.until;
    changed();
  };
  $("filter-from").addEventListener("change", (e) => set(e.target.value, filter.until));
  $("filter-until").addEventListener("change", (e) => set(filter.from, e.target.value));
  $("filter-segment").addEventListener("change", (e) => set(filter.from, filter.until, e.target.value));
  $("filters").addEventListener("submit", (e) => e.preventDefault());
  for (const chip of document.querySelectorAll("#filters .chip")) {
    chip.addEventListener("click", () => {
      const weeks = Number(chip.dataset.weeks);
      if (!weeks) return set("", "");
      const last = extent ? extent.last : isoDay(Date.now());
      return set(isoDay(Date.parse(`${last}T00:00:00Z`) - (weeks * 7 - 1) * DAY_MS), last);
    });
  }
}
