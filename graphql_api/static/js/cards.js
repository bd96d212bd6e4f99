/* The table cards, from the one template in index.html (#table-card). A section[data-card]
 * declares what is its own: its heading, hint, scope and columns (thead), and extras in place:
 * a [data-head-tool] sits beside the CSV button, other elements before the table stay in the
 * header, those after it follow the table (in a div of the class data-body names, if any).
 * The template adds the rest: the head row, the CSV button (id `<card>-csv`, which the panel
 * replaces with its download), the scrolling wrapper and the "Loading…" row. */

import { h } from "./dom.js";

function assemble(section, template) {
  const card = template.content.cloneNode(true);
  const head = card.querySelector(".card-head");
  const row = head.querySelector(".head-row");
  const csv = row.querySelector(".csv");
  const wrap = card.querySelector(".table-wrap");
  const table = section.querySelector(":scope > table");
  const children = [...section.children];
  const before = children.slice(0, children.indexOf(table));
  const after = children.slice(children.indexOf(table) + 1);
  const tools = before.filter((el) => el.hasAttribute("data-head-tool"));

  csv.id = `${section.dataset.card}-csv`;
  if (tools.length) {
    const span = h("span", { class: "head-tools" }, tools);
    csv.replaceWith(span);
    span.append(csv);
  }
  row.prepend(before.find((el) => el.tagName === "H2"));
  head.append(...before.filter((el) => el.tagName !== "H2" && !tools.includes(el)));
  const columns = table.querySelectorAll("thead th").length;
  table.append(h("tbody", {}, h("tr", { class: "placeholder" }, h("td", { colspan: columns }, "Loading…"))));
  wrap.append(table);
  const body = section.dataset.body ? [h("div", { class: section.dataset.body }, wrap, after)] : [wrap, ...after];
  section.replaceChildren(head, ...body);
}

/** Every table card of the page, assembled before the panels look for their elements. */
export function assembleCards() {
  const template = document.getElementById("table-card");
  for (const section of document.querySelectorAll("section[data-card]")) assemble(section, template);
}
