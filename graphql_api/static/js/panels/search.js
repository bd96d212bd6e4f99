/* "What customers search for" (latest analysis, every customer): the content gaps first
 * (queries customers fail to find an answer to, most failed journeys beyond the site's rate
 * first), then the most searched queries; for each, what the search showed and where its
 * searchers ended: the pages they clicked next and how their journeys ended. */

import { gql } from "../api.js";
import { $, csvButton, fillTable, fmtInt, fmtQ, h, tableMessage, title } from "../dom.js";

const GAPS = 10;
const TOP = 15;
const FIELDS = `
  text searches customers paths failedPaths failureRate noResultRate clickThroughRate
  refinementRate pogoRate exitRate resolutionRate escalationRate isContentGap qValue
  excessFailures results(limit: 3) { clicks resolutionRate page { id title } }`;
export const SEARCH_QUERY = `query Searches($gaps: Int!, $top: Int!) {
  searchStats { completed withSearch searchShare selfServiceRateWithSearch
    selfServiceRateWithoutSearch failureRate noResultRate clickThroughRate contentGaps }
  contentGaps(limit: $gaps) { ${FIELDS} }
  searchQueries(first: $top, orderBy: SEARCHES) { totalCount nodes { ${FIELDS} } }
}`;

const pct = (v) => (v === null || v === undefined ? "–" : `${(v * 100).toFixed(0)}%`);

/** Where the query's searchers went: the pages clicked next, and how their journeys ended. */
function ended(q) {
  const resolved = q.resolutionRate || 0;
  const escalated = q.escalationRate || 0;
  const bar = h(
    "div",
    { class: "outcome-bar" },
    [["resolved", resolved], ["escalated", escalated], ["abandoned", Math.max(0, 1 - resolved - escalated)]].map(
      ([cls, share]) => h("span", { class: `outcome ${cls}`, style: { width: `${share * 100}%` }, title: `${pct(share)} ${cls}` }),
    ),
  );
  return h(
    "td",
    { class: "search-ends" },
    bar,
    h("p", { class: "muted" }, `${pct(resolved)} resolved, ${pct(escalated)} escalated, ${pct(q.exitRate)} left at the search`),
    q.results.length
      ? h("ul", { class: "search-results" }, q.results.map((r) => h("li", {}, `${title(r.page)} `, h("span", { class: "muted" }, `${fmtInt(r.clicks)} clicks, ${pct(r.resolutionRate)} resolved`))))
      : h("p", { class: "muted" }, "nobody clicked a result"),
  );
}

function row(q) {
  const what = h("td", { class: "query" }, h("strong", {}, q.text));
  if (q.isContentGap) {
    what.append(
      " ",
      h("span", { class: "badge CONTENT_GAP" }, "content gap"),
      h(
        "p",
        { class: "muted" },
        `${fmtInt(q.failedPaths)} of ${fmtInt(q.paths)} journeys failed, ${fmtInt(q.excessFailures)} more than the site's rate would give`,
        h("span", { class: "stat" }, ` (q ${fmtQ(q.qValue)})`),
      ),
    );
  }
  return h(
    "tr",
    { class: q.isContentGap ? "content-gap" : "", "data-query": q.text },
    what,
    h("td", { class: "num" }, fmtInt(q.searches)),
    h("td", { class: "num" }, pct(q.noResultRate)),
    h("td", { class: "num" }, `${pct(q.clickThroughRate)} / ${pct(q.pogoRate)}`),
    ended(q),
  );
}

export async function loadSearch() {
  let data;
  try {
    data = await gql(SEARCH_QUERY, { gaps: GAPS, top: TOP });
  } catch (err) {
    tableMessage("search-table", `Cannot load the searches: ${err.message}`, true);
    return;
  }
  const stats = data.searchStats;
  const note = $("search-summary");
  if (!stats || !stats.withSearch) {
    note.textContent = "";
    tableMessage("search-table", "No searches in the latest analysis.");
    return;
  }
  note.textContent =
    `${pct(stats.searchShare)} of paths search; they resolve ${pct(stats.selfServiceRateWithSearch)} ` +
    `of the time (paths without a search: ${pct(stats.selfServiceRateWithoutSearch)}). ` +
    `${pct(stats.noResultRate)} of searches show no result. ` +
    `${stats.contentGaps} content ${stats.contentGaps === 1 ? "gap" : "gaps"}.`;
  const shown = new Map();
  for (const q of [...data.contentGaps, ...data.searchQueries.nodes]) if (!shown.has(q.text)) shown.set(q.text, q);
  const queries = [...shown.values()];
  fillTable("search-table", queries.map(row), {
    header: ["query", "contentGap", "searches", "journeys", "failedJourneys", "noResultRate", "clickThroughRate", "pogoRate", "resolutionRate", "escalationRate", "qValue"],
    rows: queries.map((q) => [q.text, q.isContentGap, q.searches, q.paths, q.failedPaths, q.noResultRate, q.clickThroughRate, q.pogoRate, q.resolutionRate, q.escalationRate, q.qValue]),
  });
}

export function setupSearch() {
  $("search-csv").replaceWith(csvButton("search-table", "searches"));
}
