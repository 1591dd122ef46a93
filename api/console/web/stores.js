// The store browser: each event data store with its ID, status and
// retention, and its events, size and time range, which GetEventDataStore
// answers with auditlake's Stats member (the store's manifest: no query).
import { ct } from "./api.js";
import { $, el, fmtBytes } from "./util.js";

let stores = []; // {id, name, status, retention, figures}
let selected = null;

export const storeSources = () => stores.flatMap((s) => [
  { label: s.id, insert: s.id, kind: "store", detail: "store " + s.name, match: [s.name], selected: s.id === selected },
  { label: s.name, insert: /^[A-Za-z_][A-Za-z0-9_]*$/.test(s.name) ? s.name : `"${s.name}"`, kind: "store", detail: "store " + s.id },
]);

// utc is an epoch-seconds time as "YYYY-MM-DD HH:MM:SS" in UTC.
const utc = (sec) => new Date(sec * 1000).toISOString().slice(0, 19).replace("T", " ");

// figures reads a store's storage figures from GetEventDataStore.
async function figures(id) {
  const { Stats: st } = await ct("GetEventDataStore", { EventDataStore: id });
  if (!st) throw new Error("GetEventDataStore answered without Stats");
  return { events: st.Events, bytes: st.Bytes, first: st.Events ? utc(st.FirstEventTime) : "", last: st.Events ? utc(st.LastEventTime) : "" };
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
    }
  }
}
