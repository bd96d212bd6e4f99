/* "What to do first": the work queue, most tickets a week first, in plain words; its
 * figures and q-values on demand (Details, or "Show the statistics"); the status a content
 * designer sets, with a note and, for Done, when the fix went live; whether it worked. */

import { gql, KeyNeeded } from "../api.js";
import { $, csvButton, fillTable, fmtDate, fmtInt, fmtOne, fmtPct, fmtQ, fmtSeconds, h, inHundred, isoDay, plural, tableMessage, title } from "../dom.js";
import { badges, FIGURES, label } from "../names.js";

const ITEM = `
  id action title reason reasons ticketsPerWeek customersPerWeek escalations confidence status
  note statusAt stale rank
  page { id title timeOnPage { observations median p25 p75 } } query link { from { id title } to { id title } }
  evidence { figures { name detail value count outOf baseline qValue } paths { id outcome pageIds(first: 30) } queries pageUrl }
  verification {
    verdict rate since days pValue ticketsAvoidedPerWeek reference
    before { successes trials rate } after { successes trials rate }
  }`;

export const QUEUE_QUERY = `
  query Queue($first: Int!, $status: [WorkStatus!]) {
    workQueue(first: $first, status: $status) { ${ITEM} }
    workSummary { open doing done dismissed stale worked noEffect worse waiting ticketsAvoidedPerWeek }
  }`;

const SET_STATUS = `
  mutation Set($id: ID!, $status: WorkStatus!, $note: String, $at: DateTime) {
    setWorkItemStatus(id: $id, status: $status, note: $note, at: $at) { ${ITEM} }
  }`;

export const VIEWS = {
  todo: ["OPEN", "DOING"],
  done: ["DONE"],
  dismissed: ["DISMISSED"],
  all: ["OPEN", "DOING", "DONE", "DISMISSED"],
};
const ROWS = 10; // at first; "Show more" asks for MORE
const MORE = 100;

const STATUS_WORDS = { OPEN: "To do", DOING: "Doing", DONE: "Done", DISMISSED: "Dismissed" };
const SURE = { HIGH: "Sure", MEDIUM: "Likely", LOW: "Worth a look" };
const ACTION_WORDS = {
  WRITE_ARTICLE: "Write an article",
  REWRITE_PAGE: "Rewrite a page",
  FIX_LINK: "Fix a link",
  ADD_LINK: "Add a link",
  FIX_DEAD_END: "Fix a dead end",
  INVESTIGATE_CHANGE: "Find out what changed",
  RETIRE_PAGE: "Retire a page",
};
const RATE_WORDS = {
  RESOLUTION_RATE: FIGURES.resolvedThrough,
  SUCCESS_RATE: FIGURES.resolvedThrough,
  EXIT_RATE: FIGURES.exitsPerVisit,
  ESCALATION_RATE: FIGURES.escalationsPerVisit,
  TURNAROUND_RATE: FIGURES.turnaroundsPerVisit,
  U_TURN_RATE: FIGURES.uTurnsAfterLink,
  FAILURE_RATE: "Searches without an answer",
};

const state = { view: "todo", items: [], open: new Set(), ctx: null, rows: ROWS };

/** The verdict in words: "Worked: 27 → 68 in 100"; when no one marked the item Done but its
 * page was updated, the verdict is the update's: "The update of 2 Feb 2026 worked: …". */
export function verdictWords(v) {
  if (!v) return "";
  const moved = `${inHundred(v.before.rate)} → ${inHundred(v.after.rate)}`;
  if (v.reference === "VERSION") {
    const update = `The update of ${fmtDate(v.since)}`;
    return {
      WORKED: `${update} worked: ${moved}`,
      WORSE: `${update} made it worse: ${moved}`,
      NO_EFFECT: `${update} had no clear effect`,
      WAITING: `${update}: waiting for data`,
    }[v.verdict];
  }
  return {
    WORKED: `Worked: ${moved}`,
    WORSE: `Worse: ${moved}`,
    NO_EFFECT: "No clear effect",
    WAITING: "Waiting for data",
  }[v.verdict];
}

function summary(s) {
  $("queue-summary").textContent =
    `${plural(s.open, "item", "items")} to do, ${fmtInt(s.doing)} in progress, ${fmtInt(s.done)} done.`;
  // The verified wins: what the fixes that worked saved, in the queue's own currency.
  $("verified-wins").textContent = s.ticketsAvoidedPerWeek > 0
    ? `about ${fmtOne(s.ticketsAvoidedPerWeek)} fewer tickets a week since the fixes that worked`
    : s.worked ? `${plural(s.worked, "fix", "fixes")} worked`
    : "none yet (mark an item Done when its fix is live)";
}

function statusControl(item) {
  const select = h(
    "select",
    { class: "status-select", "aria-label": `Status of: ${item.title}`, "data-item": item.id },
    Object.entries(STATUS_WORDS).map(([value, words]) => h("option", { value, selected: value === item.status }, words)),
  );
  select.addEventListener("change", () => openEditor(item, select.value));
  return h("div", { class: "status-cell" }, select, item.note ? h("span", { class: "note", title: item.note }, item.note) : null);
}

/** The form under a row: a note and, for Done, the day the fix went live. */
function openEditor(item, status) {
  const row = document.querySelector(`#queue-table tr[data-item='${item.id}']`);
  document.querySelector(`#queue-table tr.editor[data-for='${item.id}']`)?.remove();
  const note = h("input", { type: "text", class: "note-input", value: item.note || "", maxlength: 2000, "aria-label": "Note", placeholder: "A note for the team (optional)" });
  const day = h("input", { type: "date", class: "at-input", value: isoDay(Date.now()), "aria-label": "When the fix went live" });
  const message = h("span", { class: "editor-message" });
  const save = async () => {
    message.textContent = "Saving…";
    const at = status === "DONE" && day.value ? `${day.value}T00:00:00Z` : null;
    try {
      const data = await gql(SET_STATUS, { id: item.id, status, note: note.value, at });
      const changed = data.setWorkItemStatus;
      if (!changed) throw new Error("this item is gone: refresh the page");
      state.ctx.refresh();
    } catch (err) {
      if (err instanceof KeyNeeded) state.ctx.askForKey(err.message);
      message.textContent = `Not saved: ${err.message}`;
      message.classList.add("error");
    }
  };
  const form = h(
    "form",
    { class: "editor-form", onsubmit: (e) => { e.preventDefault(); save(); } },
    h("strong", {}, `Mark “${STATUS_WORDS[status]}”`),
    note,
    status === "DONE" ? h("label", { class: "at-label" }, "Live since ", day) : null,
    h("button", { type: "submit", class: "button small" }, "Save"),
    h("button", { type: "button", class: "button small quiet", onclick: () => state.ctx.refresh() }, "Cancel"),
    message,
  );
  row.after(h("tr", { class: "editor", "data-for": item.id }, h("td", { colspan: row.cells.length }, form)));
  note.focus();
}

// The evidence's figures carry the dashboard's own names: the same name, the same label.
const FIGURE_OF = new Map(Object.entries(FIGURES).map(([key, name]) => [name.toLowerCase(), key]));

function figureLine(f) {
  const key = FIGURE_OF.get(f.name);
  const name = f.name.charAt(0).toUpperCase() + f.name.slice(1);
  const share = f.count === null ? (f.baseline === null ? fmtOne(f.value) : inHundred(f.value))
    : f.outOf === null ? fmtInt(f.count) : `${fmtInt(f.count)} of ${fmtInt(f.outOf)}`;
  const against = f.baseline === null ? "" : ` (compared with ${inHundred(f.baseline)})`;
  return h(
    "li",
    {},
    h("span", { class: "figure-name", "data-figure": key || null }, key ? FIGURES[key] : name),
    f.detail ? ` ${f.detail}` : "", ": ", share, against,
    f.outOf === null ? null : h("span", { class: "stat" }, ` · ${fmtPct(f.value)}`),
    f.qValue === null ? null : h("span", { class: "stat" }, ` · q ${fmtQ(f.qValue)}`),
  );
}

// How long customers stay on a page item's page (a click to the next click of the same
// journey): a reader of the evidence sees whether they read it or bounce off it.
function dwellLine(page) {
  const d = page && page.timeOnPage;
  if (!d || !d.observations) return null;
  return h(
    "li",
    { class: "dwell" },
    label("span", "timeOnPage", { class: "figure-name" }),
    `: ${fmtSeconds(d.median)} typically (half of the visits between ${fmtSeconds(d.p25)} and ${fmtSeconds(d.p75)}; ` +
      `${plural(d.observations, "visit", "visits")} that went on to another page)`,
  );
}

function details(item, pages) {
  const e = item.evidence;
  const journeys = e.paths.map((p) =>
    h("li", {}, p.pageIds.map((id) => title(pages.get(id) || { id })).join(" → "), h("span", { class: `outcome ${p.outcome}` }, ` ${p.outcome.toLowerCase()}`)),
  );
  const v = item.verification;
  const subject = item.page || (item.link && item.link.from);
  return h(
    "div",
    { class: "details" },
    h("div", {}, h("h4", {}, "What stands behind it"), h("ul", { class: "figures" }, e.figures.map(figureLine), dwellLine(item.page)),
      badges(item.reasons)),
    journeys.length ? h("div", {}, h("h4", {}, "Journeys that show it"), h("ul", { class: "journeys" }, journeys)) : null,
    e.queries.length ? h("div", {}, h("h4", {}, "What customers searched"), h("ul", { class: "queries" }, e.queries.map((q) => h("li", {}, `“${q}”`)))) : null,
    v
      ? h(
          "div",
          { class: "verification" },
          h("h4", {}, "Did it work?"),
          h("p", {}, `${RATE_WORDS[v.rate] || v.rate}: ${inHundred(v.before.rate)} in the ${fmtInt(Math.round(v.days))} days before ${fmtDate(v.since)}, ` +
            `${inHundred(v.after.rate)} after (${fmtInt(v.before.trials)} and ${fmtInt(v.after.trials)} trials).`,
          h("span", { class: "stat" }, ` p ${fmtQ(v.pValue)}`)),
          v.ticketsAvoidedPerWeek > 0 ? h("p", {}, `About ${fmtOne(v.ticketsAvoidedPerWeek)} fewer tickets a week since.`) : null,
        )
      : null,
    h(
      "p",
      { class: "links" },
      subject ? h("button", { type: "button", class: "page-link", onclick: () => state.ctx.openPage(subject.id) }, "Show the flow through the page") : null,
      e.pageUrl ? [" · ", h("a", { href: e.pageUrl, target: "_blank", rel: "noopener" }, "Open the page")] : null,
    ),
  );
}

/** Draw the items fetched (again once the overview says whether there is an analysis). */
export function renderQueue() {
  render();
}

function render() {
  const { items, ctx } = { items: state.items, ctx: state.ctx };
  if (!items.length) {
    if (!ctx.analysed()) return tableMessage("queue-table", "No analysis yet — run `pathrank analyze`.");
    return tableMessage("queue-table", state.view === "todo" ? "Nothing to do: the analysis found nothing to fix." : "No item here.");
  }
  const pages = ctx.pages();
  const rows = [];
  for (const item of items) {
    const open = state.open.has(item.id);
    const toggle = h("button", { type: "button", class: "details-toggle", "aria-expanded": open ? "true" : "false", onclick: () => {
      if (state.open.has(item.id)) state.open.delete(item.id); else state.open.add(item.id);
      render();
    } }, open ? "Hide details" : "Details");
    rows.push(
      h(
        "tr",
        { "data-item": item.id, "data-action": item.action, "data-page-id": item.page ? item.page.id : null, class: item.stale ? "stale" : "" },
        h("td", { class: "num rank" }, item.rank === null ? "–" : String(item.rank)),
        h(
          "td",
          { class: "todo" },
          h("span", { class: `action ${item.action}` }, ACTION_WORDS[item.action] || item.action),
          h("strong", { class: "item-title" }, item.title),
          h("span", { class: "reason" }, item.reason),
          item.stale ? h("span", { class: "stale-note" }, "Not found by the latest analysis") : null,
          toggle,
        ),
        h("td", { class: "num" }, fmtOne(item.ticketsPerWeek)),
        h("td", { class: "num" }, fmtOne(item.customersPerWeek)),
        h("td", { class: `sure ${item.confidence}` }, SURE[item.confidence]),
        h("td", { class: "num stat" }, fmtQ(minQ(item))),
        h("td", {}, statusControl(item)),
        h("td", { class: `verdict ${item.verification ? item.verification.verdict : ""}` }, verdictWords(item.verification)),
      ),
    );
    if (open) rows.push(h("tr", { class: "details-row", "data-for": item.id }, h("td", { colspan: 8 }, details(item, pages))));
  }
  fillTable("queue-table", rows, {
    header: ["rank", "action", "title", "reason", "ticketsPerWeek", "customersPerWeek", "confidence", "qValue", "status", "note", "verdict", "id"],
    rows: items.map((i) => [
      i.rank, i.action, i.title, i.reason, i.ticketsPerWeek.toFixed(2), i.customersPerWeek.toFixed(2),
      i.confidence, minQ(i), i.status, i.note, i.verification ? i.verification.verdict : "", i.id,
    ]),
  });
}

function minQ(item) {
  const qs = item.evidence.figures.map((f) => f.qValue).filter((q) => q !== null);
  return qs.length ? Math.min(...qs) : null;
}

export async function loadQueue(ctx) {
  state.ctx = ctx;
  let data;
  try {
    data = await gql(QUEUE_QUERY, { first: state.rows, status: VIEWS[state.view] });
  } catch (err) {
    tableMessage("queue-table", `Could not load the work queue: ${err.message}`, true);
    throw err;
  }
  state.items = data.workQueue;
  summary(data.workSummary);
  render();
  const more = $("queue-more");
  more.hidden = data.workQueue.length < state.rows || state.rows >= MORE;
}

export function setupQueue(ctx) {
  state.ctx = ctx;
  $("queue-more").addEventListener("click", () => {
    state.rows = MORE;
    loadQueue(ctx).catch(() => {});
  });
  $("queue-csv").replaceWith(csvButton("queue-table", "work-queue"));
  for (const chip of document.querySelectorAll("#queue-views .chip")) {
    chip.addEventListener("click", () => {
      state.view = chip.dataset.view;
      for (const c of document.querySelectorAll("#queue-views .chip")) c.setAttribute("aria-pressed", c === chip ? "true" : "false");
      loadQueue(ctx).catch(() => {});
    });
  }
}
