/* "Funnel": the content designer picks 2 to 10 steps (a page by its title, a page-id pattern,
 * a search, finding an answer, contacting support) and an optional conversion window; the
 * API's `funnel` counts the finished journeys of the dates and customers above at each step
 * (docs/analytics.md, "Funnels"). A bar per step: the journeys that reached it, split into
 * those that went on and those that dropped off; for each step, where the drop-offs went. */

import { gql, KeyNeeded } from "../api.js";
import { $, csvButton, fillTable, fmtInt, fmtOne, fmtPct, h, plural, title } from "../dom.js";

const MIN_STEPS = 2;
const MAX_STEPS = 10;
const TABLE = "funnel-table";

// Per step, the five destinations most drop-offs went to; the rest are summed.
export const FUNNEL_QUERY = `
  query Funnel($steps: [FunnelStepInput!]!, $within: Int, $from: DateTime, $until: DateTime, $segment: String) {
    funnel(steps: $steps, withinMinutes: $within, from: $from, until: $until, segment: $segment) {
      paths withinMinutes
      steps {
        index pageId pattern event reached converted dropped conversionRate medianMinutesToNext
        dropOffNext(limit: 5) { pageId paths resolved abandoned escalated page { id title } }
      }
    }
  }`;

// What a step can be: [kind, the picker's words].
const KINDS = [
  ["page", "A page"],
  ["pattern", "Pages whose id matches"],
  ["SEARCH", "A search"],
  ["RESOLUTION", "Found an answer"],
  ["ESCALATION", "Contacted support"],
];
const EVENT_WORDS = {
  SEARCH: "Searched the help center",
  RESOLUTION: "Found an answer (the journey resolved)",
  ESCALATION: "Contacted support (a ticket, chat or call)",
};

const state = {
  ctx: null,
  steps: [], // [{kind, value}]: what the form shows
  asked: null, // the funnel last asked for: {steps, within}, run again when the filters change
  seq: 0, // answers to older requests are dropped
  pages: [], // [{id, title}] by title
};

// ---- the builder -----------------------------------------------------------------------

function pageOptions(selected) {
  const counts = new Map();
  for (const p of state.pages) counts.set(title(p), (counts.get(title(p)) || 0) + 1);
  return state.pages.map((p) =>
    h(
      "option",
      { value: p.id, selected: p.id === selected },
      counts.get(title(p)) > 1 ? `${title(p)} (${p.id})` : title(p),
    ),
  );
}

function valueControl(step, i) {
  const label = `Step ${i + 1}`;
  if (step.kind === "page") {
    return h(
      "select",
      {
        class: "funnel-page",
        "aria-label": `${label}: page`,
        onchange: (e) => { step.value = e.target.value; },
      },
      state.pages.length ? pageOptions(step.value) : h("option", { value: "" }, "No pages yet"),
    );
  }
  if (step.kind === "pattern") {
    return h("input", {
      type: "text",
      class: "funnel-pattern",
      value: step.value,
      placeholder: "e.g. ^billing/ or invoice",
      spellcheck: "false",
      autocomplete: "off",
      "aria-label": `${label}: page-id pattern`,
      title: "A regular expression found anywhere in the page id; anchor it with ^ and $",
      oninput: (e) => { step.value = e.target.value; },
    });
  }
  return null;
}

function stepRow(step, i) {
  const kind = h(
    "select",
    {
      class: "funnel-kind",
      "aria-label": `Step ${i + 1}: what`,
      onchange: (e) => {
        step.kind = e.target.value;
        step.value = step.kind === "page" && state.pages.length ? state.pages[0].id : "";
        drawSteps();
        $("funnel-steps").children[i].querySelector(".funnel-kind").focus(); // redrawn: keep the place
      },
    },
    KINDS.map(([value, words]) => h("option", { value, selected: value === step.kind }, words)),
  );
  return h(
    "li",
    { class: "funnel-step", "data-step": i + 1 },
    h("span", { class: "funnel-step-no" }, `${i + 1}`),
    kind,
    valueControl(step, i),
    h(
      "button",
      {
        type: "button",
        class: "button small quiet funnel-remove",
        disabled: state.steps.length <= MIN_STEPS,
        "aria-label": `Remove step ${i + 1}`,
        onclick: () => {
          state.steps.splice(i, 1);
          drawSteps();
          $("funnel-add").focus();
        },
      },
      "Remove",
    ),
  );
}

function drawSteps() {
  $("funnel-steps").replaceChildren(...state.steps.map(stepRow));
  $("funnel-add").disabled = state.steps.length >= MAX_STEPS;
}

/** The form's steps as the API's FunnelStepInput, or a sentence saying what is missing. */
function asked() {
  const steps = [];
  for (const [i, s] of state.steps.entries()) {
    if (s.kind === "page") {
      if (!s.value) return `Step ${i + 1}: pick a page.`;
      steps.push({ pageId: s.value });
    } else if (s.kind === "pattern") {
      if (!s.value.trim()) return `Step ${i + 1}: write a pattern (part of the page ids, e.g. billing).`;
      steps.push({ pattern: s.value }); // as typed: a space may be part of an id
    } else {
      steps.push({ event: s.kind });
    }
  }
  const within = $("funnel-within").value.trim();
  if (within && !/^[1-9]\d*$/.test(within)) return "The conversion window is a whole number of minutes (1 or more), or empty.";
  return { steps, within: within ? Number(within) : null };
}

// ---- the result ------------------------------------------------------------------------

function message(text, isError) {
  const columns = $(TABLE).tHead.rows[0].cells.length;
  const row = h("tr", { class: isError ? "placeholder error" : "placeholder" }, h("td", { colspan: columns }, text));
  fillTable(TABLE, [row], null);
  $("funnel-summary").textContent = "";
  $("funnel-legend").hidden = true;
}

/** The step in words, for the table and the CSV. */
function stepWords(s) {
  if (s.pageId) {
    const page = state.ctx.pages().get(s.pageId);
    return page ? title(page) : s.pageId;
  }
  if (s.pattern !== null && s.pattern !== undefined) return "Pages whose id matches";
  return EVENT_WORDS[s.event] || s.event;
}

function stepCell(s) {
  return h(
    "td",
    { class: "funnel-what" },
    h("strong", {}, stepWords(s)),
    s.pageId ? h("span", { class: "page-id" }, s.pageId) : null,
    s.pattern !== null && s.pattern !== undefined ? h("code", { class: "funnel-regex" }, s.pattern) : null,
  );
}

/** The bar: journeys that reached the step against step 1's, split into went on / dropped. */
function bar(s, first, last) {
  const share = (n) => `${first ? (n / first) * 100 : 0}%`;
  const words = last
    ? `${plural(s.reached, "journey", "journeys")} reached the last step`
    : `${plural(s.reached, "journey", "journeys")} reached it: ${fmtInt(s.converted)} went on, ${fmtInt(s.dropped)} dropped off`;
  return h(
    "td",
    { class: "funnel-bar-cell" },
    h(
      "div",
      { class: "funnel-bar", role: "img", "aria-label": words },
      h("span", { class: "funnel-on", style: { width: share(s.converted) } }),
      h("span", { class: "funnel-off", style: { width: share(s.dropped) } }),
    ),
    h(
      "p",
      { class: "funnel-words" },
      h("span", { class: "reached" }, fmtInt(s.reached)),
      ` ${s.reached === 1 ? "journey" : "journeys"} reached it`,
      s.index > 1 && first ? ` (${fmtPct(s.reached / first)} of step 1)` : "",
    ),
  );
}

/** 0.4 -> "24 s", 2.25 -> "2.3 min". */
function duration(minutes) {
  return minutes < 1 ? `${fmtInt(minutes * 60)} s` : `${fmtOne(minutes)} min`;
}

function wentOn(s, last) {
  if (last) return h("td", { class: "funnel-on-cell muted" }, "last step");
  const after = s.medianMinutesToNext === null ? "" : `, after ${duration(s.medianMinutesToNext)} (median)`;
  return h(
    "td",
    { class: "funnel-on-cell" },
    h("strong", { class: "rate" }, fmtPct(s.conversionRate)),
    h("span", { class: "meter-sub" }, h("span", { class: "converted" }, fmtInt(s.converted)), ` went on to step ${s.index + 1}${after}`),
  );
}

function outcomes(d) {
  const parts = [];
  if (d.resolved) parts.push(`${fmtInt(d.resolved)} found an answer`);
  if (d.escalated) parts.push(`${fmtInt(d.escalated)} contacted support`);
  if (d.abandoned) parts.push(`${fmtInt(d.abandoned)} gave up`);
  return parts.join(", ");
}

function dropOffs(s, last) {
  if (last) return h("td", { class: "funnel-drops muted" }, "–");
  if (!s.dropped) return h("td", { class: "funnel-drops muted" }, "nobody dropped off");
  const listed = s.dropOffNext.reduce((n, d) => n + d.paths, 0);
  return h(
    "td",
    { class: "funnel-drops" },
    h("p", { class: "funnel-dropped" }, h("span", { class: "dropped" }, fmtInt(s.dropped)), " dropped off; next they went to"),
    h(
      "ul",
      { class: "funnel-next" },
      s.dropOffNext.map((d) =>
        h(
          "li",
          { "data-page-id": d.pageId || "", "data-paths": d.paths },
          h("span", { class: "funnel-count" }, fmtInt(d.paths)),
          d.pageId ? ` to ${title(d.page || { id: d.pageId })}` : h("em", {}, " left (the journey ended here)"),
          h("span", { class: "meter-sub" }, outcomes(d)),
        ),
      ),
      s.dropped > listed ? h("li", { class: "muted" }, `${plural(s.dropped - listed, "journey", "journeys")} elsewhere`) : null,
    ),
  );
}

function destination(d) {
  return `${d.pageId || "left"}: ${d.paths}`;
}

/** `range`: the dates and customers it was counted for (on the table, as data-*). */
function render(funnel, range) {
  const steps = funnel.steps;
  const first = steps[0].reached;
  const lastStep = steps[steps.length - 1];
  const within = funnel.withinMinutes ? `, each step within ${plural(funnel.withinMinutes, "minute", "minutes")} of step 1` : "";
  $("funnel-summary").textContent = first
    ? `Of ${plural(funnel.paths, "finished journey", "finished journeys")}, ${fmtInt(first)} reached step 1 and ` +
      `${fmtInt(lastStep.reached)} (${fmtPct(lastStep.reached / first)}) the last step${within}.`
    : `None of the ${plural(funnel.paths, "finished journey", "finished journeys")} reached step 1.`;
  $("funnel-legend").hidden = !first;
  const rows = steps.map((s, i) => {
    const last = i === steps.length - 1;
    return h(
      "tr",
      { "data-step": s.index, "data-reached": s.reached, "data-converted": s.converted, "data-dropped": s.dropped },
      h("td", { class: "num rank" }, `${s.index}`),
      stepCell(s),
      bar(s, first, last),
      wentOn(s, last),
      dropOffs(s, last),
    );
  });
  const table = $(TABLE);
  table.dataset.from = range.from || "";
  table.dataset.until = range.until || "";
  table.dataset.segment = range.segment || "";
  fillTable(TABLE, rows, {
    header: ["step", "pageId", "pattern", "event", "what", "reached", "converted", "dropped", "conversionRate", "medianMinutesToNext", "dropOffsWentTo"],
    rows: steps.map((s, i) => [
      s.index, s.pageId || "", s.pattern ?? "", s.event || "", stepWords(s), s.reached, s.converted, s.dropped,
      s.conversionRate, s.medianMinutesToNext,
      i === steps.length - 1 ? "" : s.dropOffNext.map(destination).join("; "),
    ]),
  });
}

async function run() {
  const ctx = state.ctx;
  if (!state.asked) return;
  if (ctx.empty()) return message(ctx.noData());
  const seq = ++state.seq;
  const range = ctx.range();
  message("Counting…");
  $("funnel-section").setAttribute("aria-busy", "true");
  let data;
  try {
    data = await gql(FUNNEL_QUERY, { steps: state.asked.steps, within: state.asked.within, ...range });
  } catch (err) {
    if (seq !== state.seq) return;
    $("funnel-section").setAttribute("aria-busy", "false");
    if (err instanceof KeyNeeded) ctx.askForKey(err.message);
    return message(`Cannot count this funnel: ${err.message}`, true);
  }
  if (seq !== state.seq) return;
  $("funnel-section").setAttribute("aria-busy", "false");
  render(data.funnel, range);
}

function submit(e) {
  e.preventDefault();
  const found = asked();
  if (typeof found === "string") {
    state.seq += 1; // an answer still on its way is for other steps
    $("funnel-section").setAttribute("aria-busy", "false");
    return message(found, true);
  }
  state.asked = found;
  return run();
}

// ---- what main.js calls ------------------------------------------------------------------

export function setupFunnel(ctx) {
  state.ctx = ctx;
  state.steps = [{ kind: "page", value: "" }, { kind: "RESOLUTION", value: "" }];
  $("funnel-csv").replaceWith(csvButton(TABLE, "funnel"));
  $("funnel-add").addEventListener("click", () => {
    if (state.steps.length >= MAX_STEPS) return;
    state.steps.push({ kind: "page", value: state.pages.length ? state.pages[0].id : "" });
    drawSteps();
  });
  $("funnel-form").addEventListener("submit", submit);
  drawSteps();
}

/** After the dashboard loaded (again): the site's pages for the pickers; the funnel shown,
 * if any, counted again for the dates and customers now chosen. */
export function refreshFunnel(ctx) {
  state.ctx = ctx;
  state.pages = [...ctx.pages().values()].sort((a, b) => title(a).localeCompare(title(b)));
  const known = new Set(state.pages.map((p) => p.id));
  const byVisits = [...ctx.pages().values()];
  for (const s of state.steps) {
    if (s.kind === "page" && !known.has(s.value)) s.value = byVisits.length ? byVisits[0].id : "";
  }
  drawSteps();
  $("funnel-submit").disabled = false;
  if (state.asked) run();
  else message("Pick 2 to 10 steps above, then show the funnel.");
}
