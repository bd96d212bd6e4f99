/* "Customers in trouble now": the paths at risk (query atRiskPaths), then kept live by the
 * atRisk subscription over a WebSocket (the graphql-transport-ws protocol, spoken here in a
 * few lines: connection_init, subscribe, next, ping/pong). A customer whose path stops being
 * at risk (recovered, resolved, abandoned) leaves the list. Data is inserted as text only.
 * With an API key stored by the dashboard (sessionStorage), it is sent with both. */
(function () {
  "use strict";

  const KEY_STORAGE = "pathrank-api-key";
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

  const $ = (id) => document.getElementById(id);
  const rows = new Map(); // customer -> the latest at-risk event
  let timer = null;

  function key() {
    try {
      return sessionStorage.getItem(KEY_STORAGE);
    } catch (err) {
      return null;
    }
  }

  function status(state, text) {
    const el = $("assist-status");
    el.dataset.state = state;
    el.textContent = text;
  }

  function cell(text, cls) {
    const td = document.createElement("td");
    if (cls) td.className = cls;
    td.textContent = text;
    return td;
  }

  function ago(iso) {
    const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
    return s < 60 ? `${s}s ago` : s < 3600 ? `${Math.floor(s / 60)}m ago` : `${Math.floor(s / 3600)}h ago`;
  }

  function render(freshCustomer) {
    const body = $("assist-table").tBodies[0];
    body.replaceChildren();
    const list = [...rows.values()].sort((a, b) => Date.parse(b.time) - Date.parse(a.time));
    if (!list.length) {
      const tr = document.createElement("tr");
      tr.className = "placeholder";
      tr.append(cell("Nobody right now: every open path has a fair chance.", ""));
      tr.firstChild.colSpan = 6;
      body.append(tr);
      return;
    }
    for (const r of list.slice(0, ROWS)) {
      const tr = document.createElement("tr");
      tr.dataset.customer = r.customerId;
      if (r.customerId === freshCustomer) tr.className = "fresh";
      const why = document.createElement("td");
      for (const reason of r.reasons) {
        const b = document.createElement("span");
        b.className = `badge ${reason}`;
        b.textContent = REASONS[reason] || reason;
        why.append(b, " ");
      }
      const chance = r.chance === null ? "–" : `${(r.chance * 100).toFixed(0)}%`;
      tr.append(
        cell(r.customerId, "customer"),
        cell((r.page && (r.page.title || r.page.id)) || "?", "page"),
        cell(chance, "num"),
        why,
        cell(String(r.clicks), "num"),
        cell(ago(r.time), "num since"),
      );
      body.append(tr);
    }
  }

  function apply(event) {
    if (event.atRisk) rows.set(event.customerId, event);
    else if (rows.has(event.customerId) && rows.get(event.customerId).pathId === event.pathId) {
      rows.delete(event.customerId);
    }
    render(event.atRisk ? event.customerId : null);
  }

  async function list() {
    const headers = { "content-type": "application/json" };
    if (key()) headers["x-api-key"] = key();
    const response = await fetch("/graphql", {
      method: "POST",
      headers,
      body: JSON.stringify({ query: LIST, variables: { n: ROWS } }),
    });
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
    ws.onopen = () => send({ type: "connection_init", payload: key() ? { apiKey: key() } : {} });
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

  function start() {
    list().catch((err) => {
      const body = $("assist-table").tBodies[0];
      body.replaceChildren();
      const tr = document.createElement("tr");
      tr.className = "placeholder error";
      tr.append(cell(`Cannot list them: ${err.message}`));
      tr.firstChild.colSpan = 6;
      body.append(tr);
    });
    connect();
    timer = timer || setInterval(() => render(null), 15000); // keep "since" current
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
