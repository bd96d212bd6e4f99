/* "Customers in trouble now": the journeys at risk (query atRiskPaths), then kept live by
 * the atRisk subscription over a WebSocket (the graphql-transport-ws protocol, spoken here
 * in a few lines: connection_init, subscribe, next, ping/pong). A customer whose journey
 * stops being at risk (recovered, resolved, abandoned) leaves the list. With an API key
 * stored by the dashboard, it is sent with both. */

import { storedKey } from "../api.js";
import { $, csvButton, fillTable, h, tableMessage, title } from "../dom.js";

const ROWS = 15;
const FIELDS = "customerId pathId atRisk chance reasons clicks time page { id title }";
const LIST = `query AtRisk($n: Int!) { atRiskPaths(limit: $n) { ${FIELDS} } }`;
const WATCH = `subscription Watch { atRisk { ${FIELDS} } }`;
const REASONS = {
  LOW_CHANCE: "Low chance",
  HOTSPOT_TURNAROUND: "Turned back at a hotspot",
  MISLEADING_LINK: "Misleading link",
  FAILED_SEARCH: "Search found nothing",
};
const RETRY_MS = 3000;

const rows = new Map(); // customer -> the latest at-risk event
let timer = null;

function status(state, text) {
  const el = $("assist-status");
  el.dataset.state = state;
  el.textContent = text;
}

function ago(iso) {
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return s < 60 ? `${s}s ago` : s < 3600 ? `${Math.floor(s / 60)}m ago` : `${Math.floor(s / 3600)}h ago`;
}

function render(fresh) {
  const list = [...rows.values()].sort((a, b) => Date.parse(b.time) - Date.parse(a.time)).slice(0, ROWS);
  if (!list.length) return tableMessage("assist-table", "Nobody right now: every open journey has a fair chance.");
  const chance = (r) => (r.chance === null ? "–" : `${(r.chance * 100).toFixed(0)}%`);
  fillTable(
    "assist-table",
    list.map((r) =>
      h(
        "tr",
        { "data-customer": r.customerId, class: r.customerId === fresh ? "fresh" : "" },
        h("td", { class: "customer" }, r.customerId),
        h("td", { class: "page" }, title(r.page)),
        h("td", { class: "num" }, chance(r)),
        h("td", {}, r.reasons.map((reason) => [h("span", { class: `badge ${reason}` }, REASONS[reason] || reason), " "])),
        h("td", { class: "num" }, String(r.clicks)),
        h("td", { class: "num since" }, ago(r.time)),
      ),
    ),
    {
      header: ["customer", "pageId", "page", "chanceToResolve", "reasons", "clicks", "time"],
      rows: list.map((r) => [r.customerId, r.page && r.page.id, title(r.page), r.chance, r.reasons.join(" "), r.clicks, r.time]),
    },
  );
}

function apply(event) {
  if (event.atRisk) rows.set(event.customerId, event);
  else if (rows.has(event.customerId) && rows.get(event.customerId).pathId === event.pathId) rows.delete(event.customerId);
  render(event.atRisk ? event.customerId : null);
}

async function list() {
  const headers = { "content-type": "application/json" };
  const key = storedKey();
  if (key) headers["x-api-key"] = key;
  const response = await fetch("/graphql", { method: "POST", headers, body: JSON.stringify({ query: LIST, variables: { n: ROWS } }) });
  const body = await response.json();
  if (!body.data) throw new Error((body.errors || [{}])[0].message || response.statusText);
  rows.clear();
  for (const r of body.data.atRiskPaths) rows.set(r.customerId, r);
  render(null);
}

function connect() {
  const url = new URL("/graphql", location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(url, "graphql-transport-ws");
  const send = (m) => ws.send(JSON.stringify(m));
  ws.onopen = () => send({ type: "connection_init", payload: storedKey() ? { apiKey: storedKey() } : {} });
  ws.onmessage = (e) => {
    const m = JSON.parse(e.data);
    if (m.type === "connection_ack") {
      send({ id: "at-risk", type: "subscribe", payload: { query: WATCH } });
      status("live", "Live");
      list().catch(() => {}); // what changed while connecting
    } else if (m.type === "next" && m.payload.data) {
      apply(m.payload.data.atRisk);
    } else if (m.type === "error") {
      status("off", `Off: ${(m.payload[0] || {}).message || "refused"}`);
    } else if (m.type === "ping") {
      send({ type: "pong" });
    }
  };
  ws.onclose = () => {
    if ($("assist-status").dataset.state !== "off") status("connecting", "Reconnecting…");
    setTimeout(connect, RETRY_MS);
  };
}

export function startAssist() {
  $("assist-csv").replaceWith(csvButton("assist-table", "customers-in-trouble"));
  list().catch((err) => tableMessage("assist-table", `Cannot list them: ${err.message}`, true));
  connect();
  timer = timer || setInterval(() => render(null), 15000); // keep "since" current
}
