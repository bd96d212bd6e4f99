/* Customer PathRank dashboard for content designers.
 *
 * Plain JavaScript, no build step. Every figure comes from this server's GraphQL API
 * (POST /graphql, same origin); the charting library is the vendored ECharts in
 * /static/vendor/. Data is only ever inserted as text (never as HTML).
 *
 * When the server needs an API key for reads (PATHRANK_API_KEY_FOR_READS), its first answer
 * is a 401: the dashboard then asks for the key once and keeps it in sessionStorage (this tab
 * only, gone when it closes), sending it as X-API-Key.
 */
(function () {
  "use strict";

  const ENDPOINT = "/graphql";
  const KEY_STORAGE = "pathrank-api-key";
  const TABLE_ROWS = 10;
  const FLOW_NODES = 8; // pages shown on each side of the Sankey; the rest are grouped
  const FLOW_FETCH = 200; // transitions fetched per side (enough to group the rest exactly)

  const CHANGE_ROWS = 8; // rows: a page's rate once, at its most significant change (of 60)

  const OVERVIEW_QUERY = `
    query Overview($rows: Int!, $from: DateTime, $until: DateTime, $segment: String) {
      pathStats(from: $from, until: $until, segment: $segment) {
        completed resolved abandoned escalated open
        meanLength varianceLength turnaroundRate selfServiceRate escalationRate
      }
      latestAnalysis { startedAt durationMs paths since until }
      extent: siteSeries(metric: VISITS, interval: DAY) { start end trials }
      segments { key values { value segment paths } }
      weakPages(limit: $rows) {
        impact reasons
        page {
          id title visits successProbability
          trend: series(metric: RESOLUTION_RATE, interval: WEEK, from: $from, until: $until, segment: $segment) { start rate trials }
        }
      }
      changes(limit: 60, since: $from) {
        metric kind periodStart periodEnd baselineRate rate qValue direction
        version { title since }
        page {
          id title
          RESOLUTION_RATE: series(metric: RESOLUTION_RATE, interval: WEEK, from: $from, until: $until, segment: $segment) { start rate trials }
          EXIT_RATE: series(metric: EXIT_RATE, interval: WEEK, from: $from, until: $until, segment: $segment) { start rate trials }
          TURNAROUND_RATE: series(metric: TURNAROUND_RATE, interval: WEEK, from: $from, until: $until, segment: $segment) { start rate trials }
          ESCALATION_RATE: series(metric: ESCALATION_RATE, interval: WEEK, from: $from, until: $until, segment: $segment) { start rate trials }
        }
      }
      catalogChanges(limit: 40) {
        metric periodStart periodEnd baselineRate rate qValue significant direction
        baselineTrials trials
        version { title since }
        page { id title }
      }
      turnaroundHotspots(limit: $rows) {
        turnarounds opportunities rate siteRate qValue
        page { id title }
      }
      escalationHotspots(limit: $rows) {
        escalations visits rate siteRate qValue
        page { id title resolutions }
      }
      linkSuggestions(limit: $rows) {
        clicksSaved paths meanClicksSaved
        from { id title }
        to { id title }
      }
      misleadingLinks(limit: $rows) {
        uTurns continuations uTurnRate elsewhereUTurnRate elsewhereContinuations elsewhereQValue
        from { id title }
        to { id title }
      }
      markovOrder { statistic degreesOfFreedom pValue hasMemory }
      pages(first: 500, orderBy: VISITS) { nodes { id title visits entries } }
    }`;

  const CURVE_QUERY = `
    query Curve($entry: ID) {
      timeToResolution(entryPageId: $entry) {
        paths resolved open medianMinutes medianClicks
        byMinutes { at incidence low high }
        byClicks { at incidence low high }
      }
    }`;
  const ENTRY_PAGES = 30; // entry pages offered in the curve's picker, most entries first

  const FLOW_QUERY = `
    query Flow($id: ID!, $n: Int!, $key: String! = "platform", $bySegment: Boolean! = false,
               $from: DateTime, $until: DateTime) {
      page(id: $id) {
        resolvedBy: bySegment(key: $key, metric: RESOLUTION_RATE, from: $from, until: $until)
          @include(if: $bySegment) {
          value segment qValue significant direction
          rate { trials rate } rest { rate }
        }
        exitsBy: bySegment(key: $key, metric: EXIT_RATE, from: $from, until: $until)
          @include(if: $bySegment) {
          value segment qValue significant direction
          rate { trials rate } rest { rate }
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

  const REASONS = {
    TURNAROUND_HOTSPOT: ["Customers turn back", "Customers turn straight back significantly often"],
    HIGH_EXIT: ["Customers leave", "Customers leave the site here significantly often"],
    ESCALATION_HOTSPOT: [
      "Customers contact support",
      "Customers open a ticket, chat or call after this page significantly often",
    ],
    DEAD_END: ["Dead end", "Nothing resolves here and no link leads on to success"],
    LOW_SUCCESS: ["Low success", "Chance of success below half the site's"],
    MISLEADING_LINK: ["Misleading link in", "Customers arriving by one link turn straight back"],
  };

  const NO_ANALYSIS = "No analysis yet — run `pathrank analyze`.";

  // Each rate's name, and whether a rise is good news.
  const METRICS = {
    RESOLUTION_RATE: ["Resolution rate", true],
    EXIT_RATE: ["Exit rate", false],
    TURNAROUND_RATE: ["Turnaround rate", false],
    ESCALATION_RATE: ["Escalation rate", false],
  };
  const DAY_MS = 86400000;

  const COLORS = {
    page: "#17233a",
    from: "#6b8fd6",
    to: "#3aa7a3",
    other: "#a3adbb",
    start: "#8a96a8",
    resolved: "#1f9d55",
    escalated: "#d9730d",
    exit: "#d64545",
  };

  const state = {
    key: null, // the API key, when the server needs one (also in sessionStorage)
    pages: new Map(), // id -> {id, title, visits}
    weak: [],
    hotspots: [],
    escalations: [],
    selected: null,
    chart: null,
    flowRequest: 0,
    curveChart: null,
    curveRequest: 0,
    curve: null, // the curve shown, as the API gave it
    axis: "minutes",
    analysed: false,
    filter: { from: "", until: "", segment: "" }, // YYYY-MM-DD ("" open; `until` inclusive)
    segments: [], // [{key, values: [{value, segment, paths}]}]
  };

  // ---- small helpers ------------------------------------------------------------------

  const $ = (id) => document.getElementById(id);

  /** An element with attributes and children (strings become text nodes). */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") el.className = value;
      else if (key === "style") Object.assign(el.style, value);
      else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
      else el.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
  }

  /** Text with `code` spans rendered as <code>, safely. */
  function withCode(text) {
    return text.split("`").map((part, i) => (i % 2 ? h("code", {}, part) : part));
  }

  const intFmt = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
  const oneFmt = new Intl.NumberFormat("en-US", { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  const twoFmt = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

  const fmtInt = (v) => (v === null || v === undefined ? "–" : intFmt.format(v));
  const fmtOne = (v) => (v === null || v === undefined ? "–" : oneFmt.format(v));
  const fmtTwo = (v) => (v === null || v === undefined ? "–" : twoFmt.format(v));
  const fmtPct = (v) => (v === null || v === undefined ? "–" : `${oneFmt.format(v * 100)}%`);

  function fmtQ(q) {
    if (q === null || q === undefined) return "–";
    if (q < 0.001) return "< 0.001";
    return q.toPrecision(2);
  }

  function title(page) {
    return (page && (page.title || page.id)) || "?";
  }

  function plural(n, one, many) {
    return `${fmtInt(n)} ${n === 1 ? one : many}`;
  }

  const dateFmt = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", timeZone: "UTC" });
  const yearFmt = new Intl.DateTimeFormat("en-GB", {
    day: "numeric", month: "short", year: "numeric", timeZone: "UTC",
  });
  const fmtDay = (iso) => dateFmt.format(new Date(iso));
  const fmtDate = (iso) => yearFmt.format(new Date(iso));
  const isoDay = (ms) => new Date(ms).toISOString().slice(0, 10);

  /** The filter as API arguments: `from` at 00:00 UTC, `until` the day after the last. */
  function range() {
    const f = state.filter;
    return {
      from: f.from ? `${f.from}T00:00:00Z` : null,
      until: f.until ? `${isoDay(Date.parse(`${f.until}T00:00:00Z`) + DAY_MS)}T00:00:00Z` : null,
      segment: f.segment || null,
    };
  }

  const SVG = "http://www.w3.org/2000/svg";

  function svg(tag, attrs) {
    const el = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
    return el;
  }

  /** A small line of a weekly rate; weeks without trials leave a gap. `mark`: a moment
   * (ISO) drawn as a vertical tick; `tone`: the line's class. */
  function sparkline(points, mark, tone, label) {
    const W = 132;
    const H = 30;
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
    const title = svg("title", {});
    title.textContent = `${label || ""}: last week ${fmtPct(last.rate)}`.trim();
    el.append(title);
    return el;
  }

  // ---- GraphQL -------------------------------------------------------------------------

  class ApiError extends Error {}

  /** The server wants an API key (none was stored, or the stored one was refused). */
  class KeyNeeded extends ApiError {}

  function storedKey() {
    try {
      return sessionStorage.getItem(KEY_STORAGE);
    } catch (err) {
      return null; // storage disabled: the key is asked for again on each load
    }
  }

  function storeKey(key) {
    state.key = key;
    try {
      if (key) sessionStorage.setItem(KEY_STORAGE, key);
      else sessionStorage.removeItem(KEY_STORAGE);
    } catch (err) {
      // storage disabled: the key lasts as long as this page
    }
  }

  /** POST a query; the data, or an ApiError with the server's message. */
  async function gql(query, variables) {
    const headers = { "content-type": "application/json", accept: "application/json" };
    const key = state.key || storedKey();
    if (key) headers["x-api-key"] = key;
    let response;
    try {
      response = await fetch(ENDPOINT, {
        method: "POST",
        headers,
        body: JSON.stringify({ query, variables }),
      });
    } catch (err) {
      throw new ApiError(`cannot reach the server (${err.message})`);
    }
    if (response.status === 401) {
      storeKey(null);
      throw new KeyNeeded(key ? "The API key was not accepted." : "This server needs an API key.");
    }
    let body = null;
    try {
      body = await response.json();
    } catch (err) {
      throw new ApiError(`the server answered ${response.status} ${response.statusText}`.trim());
    }
    const errors = (body && body.errors) || [];
    if (errors.length || !body || !body.data) {
      const message = errors.map((e) => e.message).join("; ");
      throw new ApiError(message || `the server answered ${response.status}`);
    }
    return body.data;
  }

  // ---- banner --------------------------------------------------------------------------

  function showBanner(kind, content, retry) {
    const banner = $("banner");
    banner.className = `banner ${kind}`;
    banner.replaceChildren(h("span", {}, content));
    if (retry) banner.append(h("button", { type: "button", class: "button", onclick: retry }, "Try again"));
    banner.hidden = false;
  }

  function hideBanner() {
    $("banner").hidden = true;
  }

  /** Asks for the API key in the banner; loads everything again with it. */
  function askForKey(message) {
    const banner = $("banner");
    banner.className = "banner info";
    const input = h("input", {
      type: "password",
      id: "api-key",
      class: "key-input",
      autocomplete: "off",
      required: true,
      "aria-label": "API key",
    });
    const form = h(
      "form",
      {
        class: "key-form",
        onsubmit: (e) => {
          e.preventDefault();
          storeKey(input.value.trim());
          hideBanner();
          loadAll();
        },
      },
      h("label", { for: "api-key" }, "API key"),
      input,
      h("button", { type: "submit", class: "button" }, "Use key"),
    );
    banner.replaceChildren(h("span", {}, `${message} Ask whoever runs it for the key.`), form);
    banner.hidden = false;
    input.focus();
  }

  // ---- tables --------------------------------------------------------------------------

  function tableMessage(tableId, message, isError) {
    const table = $(tableId);
    const columns = table.tHead.rows[0].cells.length;
    const cell = h("td", { colspan: columns }, ...withCode(message));
    table.tBodies[0].replaceChildren(h("tr", { class: isError ? "placeholder error" : "placeholder" }, cell));
  }

  function pageCell(page) {
    return h(
      "td",
      {},
      h(
        "button",
        {
          type: "button",
          class: "page-link",
          title: "Show how customers flow through this page",
          onclick: () => selectPage(page.id, true),
        },
        title(page),
      ),
      h("span", { class: "page-id" }, page.id),
    );
  }

  function meter(value, max, mark, tone, text, sub) {
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
          : h("div", { class: "meter-mark", style: { left: pct(mark) }, title: "site average" }),
      ),
      h("span", { class: "meter-text" }, text, sub ? h("span", { class: "meter-sub" }, sub) : null),
    );
  }

  function badges(reasons) {
    if (!reasons.length) {
      return h("div", { class: "badges" }, h("span", { class: "badge NONE" }, "below site average"));
    }
    return h(
      "div",
      { class: "badges" },
      reasons.map((r) => {
        const [label, help] = REASONS[r] || [r, r];
        return h("span", { class: `badge ${r}`, title: help, "data-reason": r }, label);
      }),
    );
  }

  /** The site's success probability, exact from any weak page: impact / visits + p. */
  function siteSuccess(weak) {
    for (const w of weak) {
      const p = w.page;
      if (w.impact > 0 && p.visits > 0 && p.successProbability !== null) {
        return p.successProbability + w.impact / p.visits;
      }
    }
    return null;
  }

  function renderWeak(weak) {
    const site = siteSuccess(weak);
    $("site-success").textContent = site === null ? "" : ` (${fmtPct(site)})`;
    if (!state.analysed) return tableMessage("weak-table", NO_ANALYSIS);
    if (!weak.length) {
      return tableMessage("weak-table", "No weak pages: every page does at least as well as the site average.");
    }
    const maxImpact = Math.max(...weak.map((w) => w.impact), 1);
    const rows = weak.map((w) =>
      h(
        "tr",
        { "data-page-id": w.page.id },
        pageCell(w.page),
        h(
          "td",
          { class: "num" },
          h(
            "div",
            { class: "impact-cell" },
            h("div", { class: "impact-bar", style: { width: `${(w.impact / maxImpact) * 4}rem` } }),
            h("span", {}, fmtOne(w.impact)),
          ),
        ),
        h("td", {}, badges(w.reasons)),
        h("td", { class: "num" }, fmtInt(w.page.visits)),
        h(
          "td",
          {},
          meter(w.page.successProbability, 1, site, "bad", fmtPct(w.page.successProbability)),
        ),
        h("td", { class: "trend" }, sparkline(w.page.trend, null, "", `${title(w.page)}, resolved per week`)),
      ),
    );
    $("weak-table").tBodies[0].replaceChildren(...rows);
  }

  /** A table of rate tests (hotspots): the page, its rate against the site's, its counts
   * (the `counts` cell), and the q-value. */
  function renderRateTests(tableId, tests, empty, tone, counts) {
    if (!state.analysed) return tableMessage(tableId, NO_ANALYSIS);
    if (!tests.length) return tableMessage(tableId, empty);
    const rows = tests.map((s) => {
      const times = s.siteRate ? `${oneFmt.format(s.rate / s.siteRate)}× site (${fmtPct(s.siteRate)})` : "";
      return h(
        "tr",
        { "data-page-id": s.page.id },
        pageCell(s.page),
        h("td", {}, meter(s.rate, 1, s.siteRate, tone, fmtPct(s.rate), times)),
        counts(s),
        h("td", { class: "num", title: s.qValue === null ? "" : String(s.qValue) }, fmtQ(s.qValue)),
      );
    });
    $(tableId).tBodies[0].replaceChildren(...rows);
  }

  function renderHotspots(hotspots) {
    renderRateTests(
      "hotspot-table",
      hotspots,
      "No turnaround hotspots: no page is significantly above the site's turnaround rate.",
      "warn",
      (s) =>
        h(
          "td",
          { class: "num", title: `${fmtInt(s.turnarounds)} turnarounds in ${fmtInt(s.opportunities)} opportunities` },
          fmtInt(s.opportunities),
          h("span", { class: "meter-sub" }, `${fmtInt(s.turnarounds)} turned back`),
        ),
    );
  }

  function renderEscalations(escalations) {
    renderRateTests(
      "escalation-table",
      escalations,
      "No escalation hotspots: no page is significantly above the site's escalation rate.",
      "escalated",
      (s) =>
        h(
          "td",
          { class: "num", title: `${fmtInt(s.escalations)} escalations in ${fmtInt(s.visits)} visits` },
          fmtInt(s.escalations),
          h("span", { class: "meter-sub" }, `${fmtInt(s.page.resolutions)} resolved`),
        ),
    );
  }

  function renderLinks(links) {
    if (!state.analysed) return tableMessage("links-table", NO_ANALYSIS);
    if (!links.length) {
      return tableMessage("links-table", "No link suggestions: resolved paths found no long detours.");
    }
    const rows = links.map((l) =>
      h(
        "tr",
        { "data-from": l.from.id, "data-to": l.to.id },
        pageCell(l.from),
        h("td", { class: "arrow", "aria-label": "to" }, "→"),
        pageCell(l.to),
        h("td", { class: "num" }, fmtInt(l.clicksSaved)),
        h("td", { class: "num" }, fmtInt(l.paths)),
        h("td", { class: "num" }, fmtOne(l.meanClicksSaved)),
      ),
    );
    $("links-table").tBodies[0].replaceChildren(...rows);
  }

  function renderMisleading(links, order) {
    const note = $("markov-order");
    if (order) {
      const test = `χ² ${fmtInt(order.statistic)} on ${plural(order.degreesOfFreedom, "degree", "degrees")} of freedom, p ${fmtQ(order.pValue)}`;
      note.replaceChildren(
        h("strong", {}, order.hasMemory ? "Journeys have memory. " : "Order test: first order not rejected. "),
        order.hasMemory
          ? `Over the whole site, where customers came from changes where they go next beyond the page they are on (${test}).`
          : `Over the whole site the page before adds too little to tell (${test}); with many rare combinations the test is conservative, and single links can still mislead.`,
      );
    } else {
      note.replaceChildren();
    }
    if (!state.analysed) return tableMessage("misleading-table", NO_ANALYSIS);
    if (!links.length) {
      return tableMessage(
        "misleading-table",
        "No misleading links: after no link do customers turn back more than by the other ways in.",
      );
    }
    const rows = links.map((l) => {
      const elsewhere = l.elsewhereUTurnRate === null ? "–" : fmtPct(l.elsewhereUTurnRate);
      return h(
        "tr",
        { "data-from": l.from.id, "data-to": l.to.id },
        pageCell(l.from),
        h("td", { class: "arrow", "aria-label": "to" }, "→"),
        pageCell(l.to),
        h(
          "td",
          { title: `${fmtInt(l.uTurns)} of ${fmtInt(l.continuations)} turned back` },
          meter(l.uTurnRate, 1, l.elsewhereUTurnRate, "warn", fmtPct(l.uTurnRate), `vs ${elsewhere} other ways in`),
        ),
        h("td", { class: "num", title: String(l.elsewhereQValue) }, fmtQ(l.elsewhereQValue)),
      );
    });
    $("misleading-table").tBodies[0].replaceChildren(...rows);
  }

  // ---- time to resolution --------------------------------------------------------------

  function fillEntries(pages) {
    const select = $("entry-select");
    const entries = pages.filter((p) => p.entries > 0).sort((a, b) => b.entries - a.entries || (a.id < b.id ? -1 : 1));
    const options = [h("option", { value: "" }, "Any page (the whole site)")];
    for (const p of entries.slice(0, ENTRY_PAGES)) {
      options.push(h("option", { value: p.id }, `${title(p)} — ${plural(p.entries, "journey", "journeys")}`));
    }
    select.replaceChildren(...options);
    select.disabled = !state.analysed;
  }

  function curveMessage(message, isError) {
    chartMessage("resolution", state.curveChart, message, isError);
  }

  function renderCurve() {
    const curve = state.curve;
    if (!curve) return;
    const minutes = state.axis === "minutes";
    const points = minutes ? curve.byMinutes : curve.byClicks;
    const median = minutes ? curve.medianMinutes : curve.medianClicks;
    const unit = minutes ? "minutes" : "clicks";
    const fact = (label, value) =>
      h("span", { class: "fact" }, h("span", { class: "fact-label" }, label), " ", h("span", { class: "fact-value" }, value));
    $("resolution-facts").replaceChildren(
      fact("Journeys", fmtInt(curve.paths)),
      fact("Resolved", fmtInt(curve.resolved)),
      fact("Still open", fmtInt(curve.open)),
      fact(
        "Half of those that resolve did so within",
        median === null ? "–" : minutes ? `${fmtOne(median)} minutes` : plural(median, "click", "clicks"),
      ),
    );
    if (!points.length) {
      curveMessage("No journey that started here has ended yet.");
      return;
    }
    $("resolution-empty").hidden = true;
    if (!window.echarts) throw new Error("the chart library did not load");
    if (!state.curveChart) {
      state.curveChart = window.echarts.init($("resolution-chart"), null, { renderer: "svg" });
      window.addEventListener("resize", () => state.curveChart && state.curveChart.resize());
    }
    const chart = state.curveChart;
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
          return `Within ${fmtInt(p.at)} ${unit}: <b>${fmtPct(p.incidence)}</b> resolved<br>` +
            `95% interval ${fmtPct(p.low)} – ${fmtPct(p.high)}`;
        },
      },
      xAxis: { type: "value", name: minutes ? "minutes since the first click" : "clicks", nameLocation: "middle", nameGap: 28, min: 0 },
      yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
      series: [
        { type: "line", step: "end", data: points.map((p) => [p.at, pct(p.low)]), stack: "band", symbol: "none", lineStyle: { opacity: 0 } },
        {
          type: "line",
          step: "end",
          data: points.map((p) => [p.at, pct(p.high - p.low)]),
          stack: "band",
          symbol: "none",
          lineStyle: { opacity: 0 },
          areaStyle: { color: COLORS.resolved, opacity: 0.18 },
        },
        {
          name: "resolved",
          type: "line",
          step: "end",
          data: points.map((p) => [p.at, pct(p.incidence)]),
          symbol: "none",
          lineStyle: { color: COLORS.resolved, width: 2.5 },
          markLine: median === null ? undefined : {
            symbol: "none",
            label: { formatter: `half: ${minutes ? fmtOne(median) : fmtInt(median)}` },
            lineStyle: { color: COLORS.start, type: "dashed" },
            data: [{ xAxis: median }],
          },
        },
      ],
    });
  }

  async function loadCurve(entry) {
    const request = ++state.curveRequest;
    let data;
    try {
      data = await gql(CURVE_QUERY, { entry: entry || null });
    } catch (err) {
      if (request !== state.curveRequest) return;
      $("resolution-facts").replaceChildren();
      curveMessage(`Could not load the time to resolution: ${err.message}`, true);
      return;
    }
    if (request !== state.curveRequest) return;
    state.curve = data.timeToResolution;
    if (!state.curve) {
      $("resolution-facts").replaceChildren();
      curveMessage(state.analysed ? "No journey started on this page." : NO_ANALYSIS);
      return;
    }
    try {
      renderCurve();
    } catch (err) {
      curveMessage(`Could not draw the curve: ${err.message}`, true);
    }
  }

  function setAxis(axis) {
    state.axis = axis;
    for (const b of document.querySelectorAll(".toggle .button")) {
      const on = b.dataset.axis === axis;
      b.classList.toggle("toggle-on", on);
      b.setAttribute("aria-pressed", on ? "true" : "false");
    }
    if (state.curve) renderCurve();
  }

  function metricName(metric) {
    return (METRICS[metric] || [metric])[0];
  }

  /** "good" when the change is good news for customers, else "bad". */
  function changeTone(c) {
    const upIsGood = (METRICS[c.metric] || [null, true])[1];
    return (c.direction === "UP") === upIsGood ? "good" : "bad";
  }

  function beforeAfter(c) {
    const same = c.rate === c.baselineRate;
    const tone = same ? "" : changeTone(c);
    return h(
      "span",
      { class: `before-after ${tone}` },
      h("span", { class: "before" }, fmtPct(c.baselineRate)),
      h("span", { class: "arrow" }, same ? " → " : c.direction === "UP" ? " ↗ " : " ↘ "),
      h("strong", { class: "after" }, fmtPct(c.rate)),
    );
  }

  function renderChanges(changes) {
    if (!state.analysed) return tableMessage("changes-table", NO_ANALYSIS);
    const { until } = range();
    const inRange = changes.filter((c) => !until || Date.parse(c.periodStart) < Date.parse(until));
    // One row per page and rate: its most significant change (they come ranked), with the
    // number of its other reported periods.
    const groups = new Map();
    for (const c of inRange) {
      const key = `${c.page.id}|${c.metric}`;
      if (groups.has(key)) groups.get(key).others += 1;
      else groups.set(key, { change: c, others: 0 });
    }
    const shown = [...groups.values()].slice(0, CHANGE_ROWS);
    if (!shown.length) {
      return tableMessage(
        "changes-table",
        state.filter.from || state.filter.until
          ? "No significant change in this range."
          : "No significant change: every page's rates held steady week to week.",
      );
    }
    const rows = shown.map(({ change: c, others }) => {
      const when =
        c.kind === "CATALOG"
          ? `after the update of ${fmtDate(c.periodStart)}`
          : `week of ${fmtDate(c.periodStart)}`;
      const more = others ? h("span", { class: "meter-sub" }, `and ${plural(others, "other period", "other periods")}`) : null;
      return h(
        "tr",
        { "data-page-id": c.page.id, "data-metric": c.metric, "data-kind": c.kind },
        pageCell(c.page),
        h(
          "td",
          {},
          metricName(c.metric),
          h("span", { class: "meter-sub" }, c.kind === "CATALOG" ? "catalog update" : "against the 4 weeks before"),
        ),
        h("td", { class: "when" }, when, more),
        h("td", {}, beforeAfter(c)),
        h("td", { class: "trend" }, sparkline(c.page[c.metric], c.periodStart, changeTone(c), `${title(c.page)}, ${metricName(c.metric)}`)),
        h("td", { class: "num", title: String(c.qValue) }, fmtQ(c.qValue)),
      );
    });
    $("changes-table").tBodies[0].replaceChildren(...rows);
  }

  function renderCatalog(comparisons) {
    const box = $("catalog-changes");
    if (!state.analysed) return box.replaceChildren(h("p", { class: "muted" }, ...withCode(NO_ANALYSIS)));
    const groups = new Map();
    // A rate that is 0 on both sides (say, no escalations at all) says nothing about the update.
    for (const c of comparisons.filter((x) => x.rate > 0 || x.baselineRate > 0)) {
      const key = `${c.page.id}@${c.version ? c.version.since : c.periodStart}`;
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(c);
    }
    if (!groups.size) {
      return box.replaceChildren(
        h("p", { class: "muted" }, "No catalog page changed inside the analysed window (or not enough customers saw it)."),
      );
    }
    const cards = [...groups.values()].map((group) => {
      const first = group[0];
      const days = Math.round((Date.parse(first.periodEnd) - Date.parse(first.periodStart)) / DAY_MS);
      const order = Object.keys(METRICS);
      group.sort((a, b) => order.indexOf(a.metric) - order.indexOf(b.metric));
      return h(
        "div",
        { class: "catalog-card", "data-page-id": first.page.id },
        h(
          "p",
          { class: "catalog-title" },
          h("button", { type: "button", class: "page-link", onclick: () => selectPage(first.page.id, true) }, title(first.page)),
        ),
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
              h("span", { class: "effect-name" }, metricName(c.metric)),
              beforeAfter(c),
              h("span", { class: "effect-q" }, c.significant ? `q ${fmtQ(c.qValue)}` : "no clear effect"),
            ),
          ),
        ),
      );
    });
    box.replaceChildren(...cards);
  }

  // ---- filters -------------------------------------------------------------------------

  function readFiltersFromHash() {
    const params = new URLSearchParams(window.location.hash.slice(1));
    const day = (v) => (v && /^\d{4}-\d{2}-\d{2}$/.test(v) ? v : "");
    state.filter.from = day(params.get("from"));
    state.filter.until = day(params.get("until"));
    state.filter.segment = params.get("segment") || "";
    $("filter-from").value = state.filter.from;
    $("filter-until").value = state.filter.until;
  }

  function writeHash() {
    const params = new URLSearchParams();
    if (state.selected) params.set("page", state.selected);
    if (state.filter.from) params.set("from", state.filter.from);
    if (state.filter.until) params.set("until", state.filter.until);
    if (state.filter.segment) params.set("segment", state.filter.segment);
    history.replaceState(null, "", `#${params.toString()}`);
  }

  function describeFilter() {
    const f = state.filter;
    const parts = [];
    if (f.from && f.until) parts.push(`Paths that started ${fmtDate(f.from)} – ${fmtDate(f.until)}`);
    else if (f.from) parts.push(`Paths that started from ${fmtDate(f.from)}`);
    else if (f.until) parts.push(`Paths that started up to ${fmtDate(f.until)}`);
    else parts.push("All paths");
    if (f.segment) parts.push(`customers with ${f.segment.replace("=", " = ")}`);
    $("filter-note").textContent = parts.join(" · ");
  }

  /** The data's first and last day, for the pickers' bounds and the presets. */
  function applyExtent(extent) {
    const days = (extent || []).filter((p) => p.trials > 0);
    if (!days.length) return;
    state.extent = { first: days[0].start.slice(0, 10), last: isoDay(Date.parse(days[days.length - 1].end) - 1) };
    for (const id of ["filter-from", "filter-until"]) {
      $(id).min = state.extent.first;
      $(id).max = state.extent.last;
    }
  }

  /** The customer segments to choose from (shown once paths carry attributes). */
  function fillSegments(segments) {
    state.segments = segments || [];
    const select = $("filter-segment");
    const groups = state.segments.map((k) =>
      h(
        "optgroup",
        { label: k.key },
        k.values.map((v) => h("option", { value: v.segment }, `${k.key} = ${v.value} (${plural(v.paths, "path", "paths")})`)),
      ),
    );
    select.replaceChildren(h("option", { value: "" }, "Everyone"), ...groups);
    const known = state.segments.some((k) => k.values.some((v) => v.segment === state.filter.segment));
    select.value = known ? state.filter.segment : "";
    $("segment-filter").hidden = !state.segments.length;
  }

  function setFilter(from, until, segment = state.filter.segment) {
    if (from && until && from > until) [from, until] = [until, from];
    state.filter.from = from || "";
    state.filter.until = until || "";
    state.filter.segment = segment || "";
    $("filter-from").value = state.filter.from;
    $("filter-until").value = state.filter.until;
    writeHash();
    loadAll();
  }

  function preset(weeks) {
    if (!weeks) return setFilter("", "");
    const last = state.extent ? state.extent.last : isoDay(Date.now());
    const from = isoDay(Date.parse(`${last}T00:00:00Z`) - (weeks * 7 - 1) * DAY_MS);
    return setFilter(from, last);
  }

  function renderHeadline(stats, analysis) {
    $("kpi-completed").textContent = fmtInt(stats.completed);
    $("kpi-completed-note").textContent =
      `${fmtInt(stats.resolved)} resolved · ${fmtInt(stats.escalated)} escalated · ` +
      `${fmtInt(stats.abandoned)} abandoned`;
    $("kpi-self-service").textContent = fmtPct(stats.selfServiceRate);
    $("kpi-escalation").textContent = fmtPct(stats.escalationRate);
    $("kpi-escalation-note").textContent =
      `${plural(stats.escalated, "path", "paths")} ended in a ticket, chat or call`;
    $("kpi-mean-length").replaceChildren(
      stats.meanLength === null ? "–" : fmtTwo(stats.meanLength),
      stats.meanLength === null ? "" : h("small", {}, " clicks on average"),
    );
    $("kpi-variance-length").textContent =
      stats.varianceLength === null ? "variance –" : `variance ${fmtTwo(stats.varianceLength)}`;
    $("kpi-turnaround").textContent = fmtPct(stats.turnaroundRate);
    $("kpi-open").textContent = fmtInt(stats.open);

    const info = $("analysis-info");
    if (analysis) {
      const when = new Date(analysis.startedAt);
      const stamp = Number.isNaN(when.getTime())
        ? analysis.startedAt
        : when.toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short" });
      info.textContent = `Last analysis ${stamp} · ${plural(analysis.paths, "path", "paths")}`;
    } else {
      info.textContent = "Not analysed yet";
    }
  }

  // ---- page selector -------------------------------------------------------------------

  function fillSelector(weak, hotspots, escalations, pages) {
    const select = $("page-select");
    const option = (p, note) =>
      h("option", { value: p.id }, `${title(p)}${note ? ` — ${note}` : ""}`);
    const groups = [];
    if (weak.length) {
      groups.push(h("optgroup", { label: "Weak pages (most impact first)" }, weak.map((w) => option(w.page))));
    }
    if (hotspots.length) {
      groups.push(h("optgroup", { label: "Turnaround hotspots" }, hotspots.map((s) => option(s.page))));
    }
    if (escalations.length) {
      groups.push(h("optgroup", { label: "Escalation hotspots" }, escalations.map((s) => option(s.page))));
    }
    if (pages.length) {
      groups.push(
        h(
          "optgroup",
          { label: "All pages (most visited first)" },
          pages.map((p) => option(p, plural(p.visits, "visit", "visits"))),
        ),
      );
    }
    select.replaceChildren(...groups);
    select.disabled = !pages.length && !weak.length;
    if (select.disabled) select.replaceChildren(h("option", {}, "No pages yet"));
  }

  function initialPage() {
    const fromHash = new URLSearchParams(window.location.hash.slice(1)).get("page");
    if (fromHash && state.pages.has(fromHash)) return fromHash;
    if (state.weak.length) return state.weak[0].page.id;
    if (state.hotspots.length) return state.hotspots[0].page.id;
    const first = state.pages.values().next();
    return first.done ? null : first.value.id;
  }

  function selectPage(id, scroll) {
    if (!id) return;
    state.selected = id;
    const select = $("page-select");
    if (select.value !== id) select.value = id;
    writeHash();
    if (scroll) $("flow-section").scrollIntoView({ behavior: "smooth", block: "start" });
    loadFlow(id);
  }

  // ---- flow ----------------------------------------------------------------------------

  /** A message in place of a chart (`name`: "flow" or "resolution"), the chart cleared. */
  function chartMessage(name, chart, message, isError) {
    const el = $(`${name}-empty`);
    el.className = isError ? "empty error" : "empty";
    el.replaceChildren(...withCode(message));
    el.hidden = false;
    $(`${name}-chart`).classList.add("collapsed");
    if (chart) {
      chart.clear();
      chart.resize();
    }
  }

  function flowMessage(message, isError) {
    chartMessage("flow", state.chart, message, isError);
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
    const add = (key, label, depth, color, extra) => {
      labels[key] = label;
      nodes.push({ name: key, depth, itemStyle: { color }, ...extra });
    };
    const center = "page";
    add(center, title(page), 1, COLORS.page);

    const incoming = page.incoming.filter((t) => t.count > 0);
    const totalIn = incoming.reduce((s, t) => s + t.count, 0);
    incoming.slice(0, FLOW_NODES).forEach((t) => {
      const key = `in:${t.from.id}`;
      const self = t.from.id === page.id;
      add(key, self ? "Same page (reloaded)" : title(t.from), 0, COLORS.from, { pageId: t.from.id });
      links.push({ source: key, target: center, value: t.count, lineStyle: { color: COLORS.from } });
    });
    const restIn = incoming.slice(FLOW_NODES);
    if (restIn.length) {
      const n = restIn.reduce((s, t) => s + t.count, 0);
      add("in:other", `${plural(restIn.length, "other page", "other pages")}`, 0, COLORS.other);
      links.push({ source: "in:other", target: center, value: n, lineStyle: { color: COLORS.other } });
    }
    const complete = page.incoming.length < FLOW_FETCH;
    const started = complete ? page.visits - totalIn : 0;
    if (started > 0) {
      add("in:start", "Started their visit here", 0, COLORS.start);
      links.push({ source: "in:start", target: center, value: started, lineStyle: { color: COLORS.start } });
    }

    const outgoing = page.outgoing.filter((t) => t.count > 0);
    if (page.resolutions > 0) {
      add("out:resolved", "Resolved here", 2, COLORS.resolved);
      links.push({ source: center, target: "out:resolved", value: page.resolutions, lineStyle: { color: COLORS.resolved } });
    }
    if (page.escalations > 0) {
      add("out:escalated", "Escalated to support", 2, COLORS.escalated);
      links.push({ source: center, target: "out:escalated", value: page.escalations, lineStyle: { color: COLORS.escalated } });
    }
    outgoing.slice(0, FLOW_NODES).forEach((t) => {
      const key = `out:${t.to.id}`;
      const back = page.incoming.some((i) => i.from.id === t.to.id);
      const self = t.to.id === page.id;
      add(key, self ? "Same page (reloaded)" : title(t.to), 2, COLORS.to, { pageId: t.to.id, back });
      links.push({ source: center, target: key, value: t.count, lineStyle: { color: COLORS.to } });
    });
    const restOut = outgoing.slice(FLOW_NODES);
    if (restOut.length) {
      const n = restOut.reduce((s, t) => s + t.count, 0);
      add("out:other", `${plural(restOut.length, "other page", "other pages")}`, 2, COLORS.other);
      links.push({ source: center, target: "out:other", value: n, lineStyle: { color: COLORS.other } });
    }
    if (page.exits > 0) {
      add("out:exit", "Left the site", 2, COLORS.exit);
      links.push({ source: center, target: "out:exit", value: page.exits, lineStyle: { color: COLORS.exit } });
    }
    return { nodes, links, labels };
  }

  function renderFacts(page) {
    const fact = (label, value) =>
      h("span", { class: "fact" }, h("span", { class: "fact-label" }, label), " ", h("span", { class: "fact-value" }, value));
    const reasons = page.weakReasons || [];
    $("flow-facts").replaceChildren(
      fact("Visits", fmtInt(page.visits)),
      fact("Chance of success", fmtPct(page.successProbability)),
      fact("Chance of escalation", fmtPct(page.escalationProbability)),
      fact("Resolved here", fmtInt(page.resolutions)),
      fact("Escalated here", fmtInt(page.escalations)),
      fact("Left the site here", fmtInt(page.exits)),
      fact("Turnaround rate", fmtPct(page.turnaroundRate)),
      ...(reasons.length ? [badges(reasons)] : []),
    );
  }

  /** The key the flow breaks a page down by: the chosen segment's, else the first key. */
  function breakdownKey() {
    if (state.filter.segment) return state.filter.segment.split("=")[0];
    return state.segments.length ? state.segments[0].key : null;
  }

  function renderBreakdown(page) {
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
        { class: `num ${tone}`, title: `rest of the page's paths ${fmtPct(r.rest.rate)}; q ${fmtQ(r.qValue)}` },
        fmtPct(r.rate.rate),
        r.significant ? h("span", { class: "flag" }, r.direction === "UP" ? " ▲" : " ▼") : "",
      );
    };
    const key = breakdownKey();
    box.replaceChildren(
      h("p", { class: "breakdown-title" }, `By ${key}`, h("span", { class: "meter-sub" }, "each against the page's other paths; ▲▼ significant (q ≤ 0.05)")),
      h(
        "table",
        { class: "data-table breakdown" },
        h("thead", {}, h("tr", {}, h("th", {}, key), h("th", { class: "num" }, "Paths"), h("th", { class: "num" }, "Resolved"), h("th", { class: "num", title: "Left the site here" }, "Left"))),
        h(
          "tbody",
          {},
          rows.map((r) =>
            h(
              "tr",
              { "data-segment": r.segment || "", class: r.segment === state.filter.segment ? "chosen" : "" },
              h("td", {}, r.value === null ? "(not set)" : r.value),
              h("td", { class: "num" }, fmtInt(r.rate.trials)),
              cell(r, true),
              cell(exits.get(r.segment), false),
            ),
          ),
        ),
      ),
    );
    box.hidden = false;
  }

  function renderSankey(page) {
    const chart = ensureChart();
    const { nodes, links, labels } = flowGraph(page);
    if (links.length === 0) {
      flowMessage("No customer has clicked through this page yet.");
      return;
    }
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
            const share = fmtPct(p.data.value / arrivals);
            return `${escapeHtml(labels[p.data.source])} → ${escapeHtml(labels[p.data.target])}<br>` +
              `<b>${fmtInt(p.data.value)}</b> clicks (${share} of the page’s visits)`;
          }
          return `${escapeHtml(labels[p.name])}: <b>${fmtInt(p.value)}</b>`;
        },
      },
      series: [
        {
          type: "sankey",
          left: "25%",
          right: "25%",
          top: 28,
          bottom: 12,
          nodeWidth: 14,
          nodeGap: 10,
          layoutIterations: 0,
          draggable: false,
          emphasis: { focus: "adjacency" },
          lineStyle: { opacity: 0.35, curveness: 0.5 },
          data: nodes.map((n) => ({
            ...n,
            label: {
              position: n.depth === 0 ? "left" : n.depth === 2 ? "right" : "top",
              width: n.depth === 1 ? 420 : 240,
              overflow: "truncate",
              fontWeight: n.depth === 1 ? "bold" : "normal",
              fontSize: n.depth === 1 ? 14 : 12,
              color: "#1f2a37",
            },
          })),
          links,
          label: {
            formatter: (p) => `${labels[p.name]}  ${fmtInt(p.value)}`,
          },
        },
      ],
    });
  }

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  }

  function routeCard(label, route, describe) {
    if (!route) {
      return h("div", { class: "route" }, h("p", { class: "route-title" }, label), h("p", { class: "route-summary" }, "No observed route to a resolution."));
    }
    const steps = route.pages.map((p, i) =>
      h("li", { class: i === route.pages.length - 1 ? "goal" : "" }, title(p)),
    );
    return h(
      "div",
      { class: "route", "data-mode": label },
      h("p", { class: "route-title" }, label),
      h("p", { class: "route-summary" }, describe(route)),
      h("ol", {}, steps),
    );
  }

  function renderRoutes(page, fewest, likely) {
    const clicks = (r) => (r.clicks === 0 ? "customers resolve right here" : plural(r.clicks, "click", "clicks"));
    const observed = (fewest && fewest.observedMeanClicks) ?? (likely && likely.observedMeanClicks);
    const best = fewest ? fewest.clicks : null;
    $("routes").replaceChildren(
      routeCard("Fewest clicks", fewest, (r) => clicks(r)),
      routeCard("Most likely route", likely, (r) =>
        `${clicks(r)} · ${fmtPct(r.probability)} of customers take exactly this route`,
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

  async function loadFlow(id) {
    const request = ++state.flowRequest;
    $("flow-empty").hidden = true;
    $("routes").replaceChildren(h("p", { class: "muted" }, "Loading…"));
    let data;
    try {
      if (state.chart) state.chart.showLoading({ text: "Loading…" });
      const key = breakdownKey();
      const { from, until } = range();
      data = await gql(FLOW_QUERY, { id, n: FLOW_FETCH, key: key || "platform", bySegment: Boolean(key), from, until });
    } catch (err) {
      if (request !== state.flowRequest) return;
      if (state.chart) state.chart.hideLoading();
      if (err instanceof KeyNeeded) askForKey(err.message);
      flowMessage(`Could not load the flow for this page: ${err.message}`, true);
      $("routes").replaceChildren(h("p", { class: "muted" }, "–"));
      return;
    }
    if (request !== state.flowRequest) return; // a newer selection won
    if (state.chart) state.chart.hideLoading();
    const page = data.page;
    if (!page) {
      $("flow-facts").replaceChildren();
      flowMessage(`There is no page with id ${id}.`);
      $("routes").replaceChildren(h("p", { class: "muted" }, "–"));
      return;
    }
    renderFacts(page);
    renderBreakdown(page);
    try {
      renderSankey(page);
    } catch (err) {
      flowMessage(`Could not draw the flow: ${err.message}`, true);
    }
    renderRoutes(page, data.fewest, data.likely);
  }

  // ---- loading everything --------------------------------------------------------------

  function setBusy(busy) {
    $("dashboard").setAttribute("aria-busy", busy ? "true" : "false");
    $("refresh").disabled = busy;
  }

  async function loadAll() {
    setBusy(true);
    let data;
    try {
      data = await gql(OVERVIEW_QUERY, { rows: TABLE_ROWS, ...range() });
    } catch (err) {
      const message = `Could not load the dashboard data: ${err.message}`;
      if (err instanceof KeyNeeded) askForKey(err.message);
      else showBanner("error", message, loadAll);
      for (const id of ["weak-table", "hotspot-table", "escalation-table", "misleading-table", "links-table", "changes-table"]) {
        tableMessage(id, message, true);
      }
      curveMessage(message, true);
      $("catalog-changes").replaceChildren(h("p", { class: "muted error" }, message));
      flowMessage(message, true);
      $("flow-facts").replaceChildren();
      $("routes").replaceChildren(h("p", { class: "muted" }, "–"));
      const select = $("page-select");
      select.replaceChildren(h("option", {}, "Unavailable"));
      select.disabled = true;
      $("analysis-info").textContent = "Data unavailable";
      setBusy(false);
      return;
    }
    state.analysed = Boolean(data.latestAnalysis);
    state.weak = data.weakPages;
    state.hotspots = data.turnaroundHotspots;
    state.escalations = data.escalationHotspots;
    state.pages = new Map(data.pages.nodes.map((p) => [p.id, p]));
    for (const w of state.weak) if (!state.pages.has(w.page.id)) state.pages.set(w.page.id, w.page);

    if (data.pathStats.completed === 0 && !state.analysed) {
      showBanner(
        "info",
        withCode(
          "No customer paths yet — send clicks with `pathrank produce` and `pathrank ingest`, " +
            "then run `pathrank analyze` (or try `make demo`).",
        ),
      );
    } else if (!state.analysed) {
      showBanner("info", withCode("No analysis yet — run `pathrank analyze`, then refresh this page."));
    } else {
      hideBanner();
    }

    applyExtent(data.extent);
    fillSegments(data.segments);
    describeFilter();
    renderHeadline(data.pathStats, data.latestAnalysis);
    renderChanges(data.changes);
    renderCatalog(data.catalogChanges);
    renderWeak(state.weak);
    renderHotspots(state.hotspots);
    renderEscalations(state.escalations);
    renderLinks(data.linkSuggestions);
    renderMisleading(data.misleadingLinks, data.markovOrder);
    fillSelector(state.weak, state.hotspots, state.escalations, data.pages.nodes);
    fillEntries(data.pages.nodes);
    loadCurve($("entry-select").value);

    const first = state.selected && state.pages.has(state.selected) ? state.selected : initialPage();
    if (first) {
      selectPage(first, false);
    } else {
      $("flow-facts").replaceChildren();
      flowMessage("No pages yet — the flow appears once customers have clicked through the help center.");
      $("routes").replaceChildren(h("p", { class: "muted" }, "–"));
    }
    setBusy(false);
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("page-select").addEventListener("change", (e) => selectPage(e.target.value, false));
    $("refresh").addEventListener("click", () => loadAll());
    $("entry-select").addEventListener("change", (e) => loadCurve(e.target.value));
    for (const b of document.querySelectorAll(".toggle .button")) {
      b.addEventListener("click", () => setAxis(b.dataset.axis));
    }
    $("filter-from").addEventListener("change", (e) => setFilter(e.target.value, state.filter.until));
    $("filter-until").addEventListener("change", (e) => setFilter(state.filter.from, e.target.value));
    $("filter-segment").addEventListener("change", (e) =>
      setFilter(state.filter.from, state.filter.until, e.target.value),
    );
    $("filters").addEventListener("submit", (e) => e.preventDefault());
    for (const chip of document.querySelectorAll("#filters .chip")) {
      chip.addEventListener("click", () => preset(Number(chip.dataset.weeks)));
    }
    readFiltersFromHash();
    loadAll();
  });
})();
