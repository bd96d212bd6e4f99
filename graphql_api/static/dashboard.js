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

  const OVERVIEW_QUERY = `
    query Overview($rows: Int!) {
      pathStats {
        completed resolved abandoned escalated open
        meanLength varianceLength turnaroundRate selfServiceRate escalationRate
      }
      latestAnalysis { startedAt durationMs paths }
      weakPages(limit: $rows) {
        impact reasons
        page { id title visits successProbability }
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
    query Flow($id: ID!, $n: Int!) {
      page(id: $id) {
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
    history.replaceState(null, "", `#page=${encodeURIComponent(id)}`);
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
      reasons.length ? badges(reasons) : null,
    );
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
      data = await gql(FLOW_QUERY, { id, n: FLOW_FETCH });
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
      data = await gql(OVERVIEW_QUERY, { rows: TABLE_ROWS });
    } catch (err) {
      const message = `Could not load the dashboard data: ${err.message}`;
      if (err instanceof KeyNeeded) askForKey(err.message);
      else showBanner("error", message, loadAll);
      for (const id of ["weak-table", "hotspot-table", "escalation-table", "misleading-table", "links-table"]) {
        tableMessage(id, message, true);
      }
      curveMessage(message, true);
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

    renderHeadline(data.pathStats, data.latestAnalysis);
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
    loadAll();
  });
})();
