/* Customer PathRank dashboard for content designers: the work queue first, then how
 * self-service is doing, what changed, and the findings behind the queue.
 *
 * ES modules, no build step: one module per panel (js/panels/), the charting library is
 * the vendored ECharts in /static/vendor/. Every figure comes from this server's GraphQL
 * API; data is only ever inserted as text (never as HTML). Plain words first: the
 * statistics (q-values, tests) show on demand ("Show the statistics"). */

import { gql, KeyNeeded, storeKey } from "./api.js";
import { assembleCards } from "./cards.js";
import { $, h, withCode } from "./dom.js";
import * as filters from "./filters.js";
import { nameStaticLabels } from "./names.js";
import { CHANGE_FIELDS, renderCatalog, renderChanges, setupChanges } from "./panels/changes.js";
import { fillSelector, flowMessage, loadFlow } from "./panels/flow.js";
import { refreshFunnel, setupFunnel } from "./panels/funnel.js";
import { renderHeadline } from "./panels/headline.js";
import { renderEscalations, renderHotspots, setupHotspots } from "./panels/hotspots.js";
import { renderLinks, renderMisleading, setupLinks } from "./panels/links.js";
import { loadQueue, renderQueue, setupQueue } from "./panels/queue.js";
import { curveMessage, fillEntries, loadCurve, setupResolution } from "./panels/resolution.js";
import { startAssist } from "./panels/assist.js";
import { loadSearch, setupSearch } from "./panels/search.js";
import { renderWeak, setupWeak } from "./panels/weak.js";

const TABLE_ROWS = 10;

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
    changes(limit: 60, since: $from, segment: $segment) { ${CHANGE_FIELDS} }
    catalogChanges(limit: 40) {
      metric periodStart periodEnd baselineRate rate qValue significant direction baselineTrials trials
      version { title since }
      page { id title }
    }
    turnaroundHotspots(limit: $rows) { turnarounds opportunities rate siteRate qValue page { id title } }
    escalationHotspots(limit: $rows) { escalations visits rate siteRate qValue page { id title resolutions } }
    linkSuggestions(limit: $rows) { clicksSaved paths meanClicksSaved from { id title } to { id title } }
    misleadingLinks(limit: $rows) {
      uTurns continuations uTurnRate elsewhereUTurnRate elsewhereContinuations elsewhereQValue
      from { id title } to { id title }
    }
    markovOrder { statistic degreesOfFreedom pValue hasMemory }
    pages(first: 500, orderBy: VISITS) { nodes { id title visits entries } }
  }`;

const TABLES = ["queue-table", "search-table", "weak-table", "hotspot-table", "escalation-table", "misleading-table", "links-table", "changes-table"];

const state = { analysed: false, empty: false, pages: new Map(), weak: [], hotspots: [], selected: null };

const ctx = {
  analysed: () => state.analysed,
  empty: () => state.empty,
  noData: () => filters.noDataMessage(),
  filtered: () => filters.filtered(),
  range: () => filters.range(),
  segment: () => filters.filter.segment,
  breakdownKey: () => filters.breakdownKey(),
  pages: () => state.pages,
  openPage: (id) => selectPage(id, true),
  askForKey: (message) => askForKey(message),
  refresh: () => loadQueue(ctx).catch(() => {}),
};

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
  const input = h("input", { type: "password", id: "api-key", class: "key-input", autocomplete: "off", required: true, "aria-label": "API key" });
  const form = h(
    "form",
    { class: "key-form", onsubmit: (e) => { e.preventDefault(); storeKey(input.value.trim()); hideBanner(); loadAll(); } },
    h("label", { for: "api-key" }, "API key"),
    input,
    h("button", { type: "submit", class: "button" }, "Use key"),
  );
  banner.replaceChildren(h("span", {}, `${message} Ask whoever runs it for the key.`), form);
  banner.hidden = false;
  input.focus();
}

// ---- the flow's page -------------------------------------------------------------------

function initialPage(fromHash) {
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
  filters.writeHash(state.selected);
  if (scroll) $("flow-section").scrollIntoView({ behavior: "smooth", block: "start" });
  loadFlow(id, ctx);
}

// ---- loading everything --------------------------------------------------------------

function setBusy(busy) {
  $("dashboard").setAttribute("aria-busy", busy ? "true" : "false");
  $("refresh").disabled = busy;
}

function failed(err) {
  const message = `Could not load the dashboard data: ${err.message}`;
  if (err instanceof KeyNeeded) askForKey(err.message);
  else showBanner("error", message, loadAll);
  for (const id of TABLES) {
    const table = $(id);
    const cell = h("td", { colspan: table.tHead.rows[0].cells.length }, message);
    table.tBodies[0].replaceChildren(h("tr", { class: "placeholder error" }, cell));
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
}

async function loadAll(pageFromHash) {
  setBusy(true);
  let data;
  try {
    // The queue's failure is taken at once (settled to a value), so that it is never an
    // unhandled rejection when the overview fails first; a key it needs is asked for below.
    const queue = loadQueue(ctx).then(
      () => null,
      (err) => err,
    );
    data = await gql(OVERVIEW_QUERY, { rows: TABLE_ROWS, ...filters.range() });
    const queueFailed = await queue;
    if (queueFailed instanceof KeyNeeded) throw queueFailed;
  } catch (err) {
    failed(err);
    setBusy(false);
    return;
  }
  state.analysed = Boolean(data.latestAnalysis);
  state.weak = data.weakPages;
  state.hotspots = data.turnaroundHotspots;
  state.pages = new Map(data.pages.nodes.map((p) => [p.id, p]));
  for (const w of state.weak) if (!state.pages.has(w.page.id)) state.pages.set(w.page.id, w.page);

  if (data.pathStats.completed === 0 && !state.analysed && !filters.filtered()) {
    showBanner("info", withCode("No customer journeys yet — send clicks with `pathrank produce` and `pathrank ingest`, then run `pathrank analyze` (or try `make demo`)."));
  } else if (!state.analysed) {
    showBanner("info", withCode("No analysis yet — run `pathrank analyze`, then refresh this page."));
  } else {
    hideBanner();
  }
  filters.applyExtent(data.extent);
  filters.fillSegments(data.segments);
  state.empty = filters.describe(data.pathStats.completed);
  renderQueue();
  renderHeadline(data.pathStats, data.latestAnalysis);
  renderChanges(data.changes, ctx);
  renderCatalog(data.catalogChanges, ctx);
  renderWeak(state.weak, ctx);
  renderHotspots(state.hotspots, ctx);
  renderEscalations(data.escalationHotspots, ctx);
  renderLinks(data.linkSuggestions, ctx);
  renderMisleading(data.misleadingLinks, data.markovOrder, ctx);
  fillSelector(state.weak, state.hotspots, data.escalationHotspots, data.pages.nodes);
  fillEntries(data.pages.nodes, state.analysed);
  loadCurve($("entry-select").value);
  loadSearch();
  refreshFunnel(ctx);
  nameStaticLabels();

  const first = state.selected && state.pages.has(state.selected) ? state.selected : initialPage(pageFromHash);
  if (first) {
    selectPage(first, false);
  } else {
    $("flow-facts").replaceChildren();
    flowMessage("No pages yet — the flow appears once customers have clicked through the help center.");
    $("routes").replaceChildren(h("p", { class: "muted" }, "–"));
  }
  setBusy(false);
}

function start() {
  assembleCards();
  nameStaticLabels();
  setupQueue(ctx);
  setupChanges();
  setupWeak();
  setupHotspots();
  setupLinks();
  setupResolution();
  setupSearch();
  setupFunnel(ctx);
  $("page-select").addEventListener("change", (e) => selectPage(e.target.value, false));
  $("refresh").addEventListener("click", () => loadAll());
  $("show-stats").addEventListener("change", (e) => document.body.classList.toggle("show-stats", e.target.checked));
  filters.setup(() => {
    filters.writeHash(state.selected);
    loadAll();
  });
  const page = filters.readHash();
  loadAll(page);
  startAssist();
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
