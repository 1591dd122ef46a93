// The store browser: each event data store with its ID, status and
// retention, and its events, size and time range. The API has no call
// that returns those figures, so the console asks the lake itself: one
// query per store, SELECT count(*), min(eventTime), max(eventTime) with no
// WHERE, reads every segment of the store, and its BytesScanned is the
// store's size on disk.
import { ct } from "./api.js";
import { $, el, fmtBytes } from "./util.js";

let stores = []; // {id, name, status, retention, figures}
let selected = null;

export const storeSources = () => stores.flatMap((s) => [
  { label: s.id, insert: s.id, kind: "store", detail: "store " + s.name, match: [s.name], selected: s.id === selected },
  { label: s.name, insert: /^[A-Za-z_][A-Za-z0-9_]*$/.test(s.name) ? s.name : `"${s.name}"`, kind: "store", detail: "store " + s.id },
]);

const figuresSQL = (id) => `SELECT count(*) AS events, min(eventTime) AS first_event, max(eventTime) AS last_event FROM ${id}`;

// figures runs the figures query of a store to its end.
async function figures(id) {
  const { QueryId } = await ct("StartQuery", { QueryStatement: figuresSQL(id) });
  for (;;) {
    const q = await ct("DescribeQuery", { QueryId });
    if (q.QueryStatus === "FINISHED") {
      const out = await ct("GetQueryResults", { QueryId });
      const row = Object.assign({}, ...((out.QueryResultRows || [])[0] || []));
      return { events: +row.events, first: row.first_event, last: row.last_event, bytes: q.QueryStatistics.BytesScanned, queryId: QueryId };
    }
    if (q.QueryStatus !== "QUEUED" && q.QueryStatus !== "RUNNING") throw new Error(q.ErrorMessage || q.QueryStatus);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function describe(f) {
  if (!f) return "counting…";
  if (f.error) return "figures unavailable: " + f.error;
  const range = f.events ? ` · ${f.first.slice(0, 16)} → ${f.last.slice(0, 16)} UTC` : "";
  return `${f.events.toLocaleString("en-US")} events · ${fmtBytes(f.bytes)}${range}`;
}

function render(editor, run) {
  const ul = $("stores");
  ul.replaceChildren();
  for (const s of stores) {
    const name = el("button", { textContent: s.name, title: "Insert the store ID", onclick: () => { selected = s.id; editor.insert(s.id); } });
    const latest = el("button", {
      textContent: "latest events", className: "small", title: "Show the store's latest events",
      onclick: () => { selected = s.id; editor.set(`SELECT eventTime, eventName, eventSource, userIdentity.arn, sourceIPAddress, errorCode\nFROM ${s.id}\nORDER BY eventTime DESC\nLIMIT 100`); run(); },
    });
    const item = el("li", { className: "store" }, name, " ", latest,
      el("small", { className: "id", textContent: s.id }),
      el("small", { className: "meta", textContent: `${s.status} · retention ${s.retention} days` }),
      el("small", { className: "figures", textContent: describe(s.figures) }));
    item.dataset.storeId = s.id;
    ul.append(item);
  }
}

// loadStores lists the stores, then fills in their figures one by one.
export async function loadStores(editor, run) {
  const out = await ct("ListEventDataStores", { MaxResults: 100 });
  stores = (out.EventDataStores || []).map((s) => ({
    id: s.EventDataStoreArn.split("/").pop(), name: s.Name, status: s.Status, retention: s.RetentionPeriod,
  }));
  if (!stores.some((s) => s.id === selected)) selected = stores.length ? stores[0].id : null;
  render(editor, run);
  for (const s of stores) {
    try { s.figures = await figures(s.id); } catch (e) { s.figures = { error: e.message }; }
    const small = document.querySelector(`#stores li[data-store-id="${s.id}"] .figures`);
    if (small) {
      small.textContent = describe(s.figures);
      small.dataset.events = s.figures.events ?? "";
      small.dataset.bytes = s.figures.bytes ?? "";
      small.dataset.queryId = s.figures.queryId ?? "";
    }
  }
}
