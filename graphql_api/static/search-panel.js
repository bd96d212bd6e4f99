/* "What customers search for": the content gaps first (queries customers fail to find an
 * answer to, most excess failures first), then the most searched queries; for each, what
 * the search showed and where its searchers ended: the pages they clicked next and how
 * their paths ended. Figures of the latest analysis; data is inserted as text only. */
(function () {
  "use strict";

  const KEY_STORAGE = "pathrank-api-key";
  const GAPS = 10;
  const TOP = 15;
  const FIELDS =
    "text searches customers paths failedPaths failureRate noResultRate clickThroughRate " +
    "refinementRate pogoRate exitRate resolutionRate escalationRate isContentGap qValue " +
    "excessFailures results(limit: 3) { clicks resolutionRate page { id title } }";
  const QUERY = `query Searches($gaps: Int!, $top: Int!) {
    searchStats { completed withSearch searchShare selfServiceRateWithSearch
      selfServiceRateWithoutSearch failureRate noResultRate clickThroughRate contentGaps }
    contentGaps(limit: $gaps) { ${FIELDS} }
    searchQueries(first: $top, orderBy: SEARCHES) { totalCount nodes { ${FIELDS} } }
  }`;

  const $ = (id) => document.getElementById(id);
  const pct = (v) => (v === null || v === undefined ? "–" : `${(v * 100).toFixed(0)}%`);

  function key() {
    try {
      return sessionStorage.getItem(KEY_STORAGE);
    } catch (err) {
      return null;
    }
  }

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function placeholder(message, isError) {
    const body = $("search-table").tBodies[0];
    const tr = el("tr", isError ? "placeholder error" : "placeholder");
    const td = el("td", "", message);
    td.colSpan = 5;
    tr.append(td);
    body.replaceChildren(tr);
  }

  /** Where the query's searchers went: the pages clicked next, and the paths' ends. */
  function ended(q) {
    const td = el("td", "search-ends");
    const bar = el("div", "outcome-bar");
    const resolved = q.resolutionRate || 0;
    const escalated = q.escalationRate || 0;
    const other = Math.max(0, 1 - resolved - escalated);
    for (const [cls, share, label] of [
      ["resolved", resolved, "resolved"],
      ["escalated", escalated, "escalated"],
      ["abandoned", other, "abandoned"],
    ]) {
      const seg = el("span", `outcome ${cls}`);
      seg.style.width = `${share * 100}%`;
      seg.title = `${pct(share)} ${label}`;
      bar.append(seg);
    }
    td.append(bar);
    td.append(
      el(
        "p",
        "muted",
        `${pct(resolved)} resolved, ${pct(escalated)} escalated, ${pct(q.exitRate)} left at the search`,
      ),
    );
    if (q.results.length) {
      const list = el("ul", "search-results");
      for (const r of q.results) {
        const li = el("li", "", `${r.page.title || r.page.id} `);
        li.append(el("span", "muted", `${r.clicks} clicks, ${pct(r.resolutionRate)} resolved`));
        list.append(li);
      }
      td.append(list);
    } else {
      td.append(el("p", "muted", "nobody clicked a result"));
    }
    return td;
  }

  function row(q) {
    const tr = el("tr", q.isContentGap ? "content-gap" : "");
    tr.dataset.query = q.text;
    const what = el("td", "query");
    what.append(el("strong", "", q.text));
    if (q.isContentGap) {
      what.append(" ", el("span", "badge CONTENT_GAP", "content gap"));
      what.append(
        el(
          "p",
          "muted",
          `${q.failedPaths} of ${q.paths} paths failed (+${q.excessFailures.toFixed(0)} beyond the site's rate, q = ${q.qValue.toExponential(1)})`,
        ),
      );
    }
    tr.append(
      what,
      el("td", "num", String(q.searches)),
      el("td", "num", pct(q.noResultRate)),
      el("td", "num", `${pct(q.clickThroughRate)} / ${pct(q.pogoRate)}`),
      ended(q),
    );
    return tr;
  }

  function render(data) {
    const stats = data.searchStats;
    const note = $("search-summary");
    if (!stats || !stats.withSearch) {
      note.textContent = "";
      return placeholder("No searches in the latest analysis.");
    }
    note.textContent =
      `${pct(stats.searchShare)} of paths search; they resolve ${pct(stats.selfServiceRateWithSearch)} ` +
      `of the time (paths without a search: ${pct(stats.selfServiceRateWithoutSearch)}). ` +
      `${pct(stats.noResultRate)} of searches show no result. ` +
      `${stats.contentGaps} content ${stats.contentGaps === 1 ? "gap" : "gaps"}.`;
    const body = $("search-table").tBodies[0];
    body.replaceChildren();
    const shown = new Set();
    for (const q of [...data.contentGaps, ...data.searchQueries.nodes]) {
      if (shown.has(q.text)) continue;
      shown.add(q.text);
      body.append(row(q));
    }
  }

  async function load() {
    const headers = { "content-type": "application/json" };
    if (key()) headers["x-api-key"] = key();
    try {
      const response = await fetch("/graphql", {
        method: "POST",
        headers,
        body: JSON.stringify({ query: QUERY, variables: { gaps: GAPS, top: TOP } }),
      });
      const body = await response.json();
      if (!body.data) throw new Error((body.errors || [{}])[0].message || response.statusText);
      render(body.data);
    } catch (err) {
      placeholder(`Cannot load the searches: ${err.message}`, true);
    }
  }

  function start() {
    load();
    const refresh = $("refresh");
    if (refresh) refresh.addEventListener("click", load);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
