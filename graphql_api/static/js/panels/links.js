/* Misleading links and link suggestions (latest analysis). */

import { $, csvButton, fillTable, fmtInt, fmtOne, fmtPct, fmtQ, h, meter, pageCell, plural, tableMessage, title } from "../dom.js";

export function renderMisleading(links, order, ctx) {
  const note = $("markov-order");
  if (order) {
    const test = `χ² ${fmtInt(order.statistic)} on ${plural(order.degreesOfFreedom, "degree", "degrees")} of freedom, p ${fmtQ(order.pValue)}`;
    note.replaceChildren(
      h("strong", {}, order.hasMemory ? "Where customers came from matters. " : "Where customers came from adds little. "),
      order.hasMemory
        ? "Across the site, the page before changes where customers go next, beyond the page they are on."
        : "Across the site, the page before tells too little to change where customers go next; single links can still mislead.",
      h("span", { class: "stat" }, ` (${test})`),
    );
  } else {
    note.replaceChildren();
  }
  if (!ctx.analysed()) return tableMessage("misleading-table", "No analysis yet — run `pathrank analyze`.");
  if (!links.length) return tableMessage("misleading-table", "No misleading links: after no link do customers turn back more than by the other ways in.");
  const rows = links.map((l) => {
    const elsewhere = l.elsewhereUTurnRate === null ? "–" : fmtPct(l.elsewhereUTurnRate);
    return h(
      "tr",
      { "data-from": l.from.id, "data-to": l.to.id },
      pageCell(l.from, ctx.openPage),
      h("td", { class: "arrow", "aria-label": "to" }, "→"),
      pageCell(l.to, ctx.openPage),
      h(
        "td",
        { title: `${fmtInt(l.uTurns)} of ${fmtInt(l.continuations)} came straight back` },
        meter(l.uTurnRate, 1, l.elsewhereUTurnRate, "warn", fmtPct(l.uTurnRate), `vs ${elsewhere} other ways in`),
      ),
      h("td", { class: "num stat", title: String(l.elsewhereQValue) }, fmtQ(l.elsewhereQValue)),
    );
  });
  fillTable("misleading-table", rows, {
    header: ["fromId", "from", "toId", "to", "cameStraightBack", "otherWaysIn", "uTurns", "continuations", "qValue"],
    rows: links.map((l) => [l.from.id, title(l.from), l.to.id, title(l.to), l.uTurnRate, l.elsewhereUTurnRate, l.uTurns, l.continuations, l.elsewhereQValue]),
  });
}

export function renderLinks(links, ctx) {
  if (!ctx.analysed()) return tableMessage("links-table", "No analysis yet — run `pathrank analyze`.");
  if (!links.length) return tableMessage("links-table", "No link suggestions: journeys that found an answer took no long detours.");
  const rows = links.map((l) =>
    h(
      "tr",
      { "data-from": l.from.id, "data-to": l.to.id },
      pageCell(l.from, ctx.openPage),
      h("td", { class: "arrow", "aria-label": "to" }, "→"),
      pageCell(l.to, ctx.openPage),
      h("td", { class: "num" }, fmtInt(l.clicksSaved)),
      h("td", { class: "num" }, fmtInt(l.paths)),
      h("td", { class: "num" }, fmtOne(l.meanClicksSaved)),
    ),
  );
  fillTable("links-table", rows, {
    header: ["fromId", "from", "toId", "to", "clicksSaved", "journeysShortened", "savedPerJourney"],
    rows: links.map((l) => [l.from.id, title(l.from), l.to.id, title(l.to), l.clicksSaved, l.paths, l.meanClicksSaved]),
  });
}

export function setupLinks() {
  $("misleading-csv").replaceWith(csvButton("misleading-table", "misleading-links"));
  $("links-csv").replaceWith(csvButton("links-table", "link-suggestions"));
}
