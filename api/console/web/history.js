// Event history, as the CloudTrail console shows it: LookupEvents with one
// lookup attribute and a time range, newest first, 50 events a page
// (NextToken), each event expandable to its full record, and the whole
// current result downloadable as CSV or JSON in the shape of
// `auditlake lookup` (docs/lookup.md).
import { ct } from "./api.js";
import { $, csvLine, el, pretty, save } from "./util.js";

const COLUMNS = ["Event time", "Event name", "User name", "Event source", "Resource type", "Resource name"];
const CSV_HEADER = ["Event ID", "Event time", "User name", "Event name", "Resource type", "Resource name",
  "AWS access key", "AWS region", "Error code", "Source IP address", "Resources"];

let input = null; // the LookupEvents input of the result on screen, without NextToken
let tokens = [""]; // tokens[n] fetches page n
let pageNo = 0;
let events = []; // the page on screen

// utc reads a datetime-local value as UTC epoch seconds (null when empty).
function utc(v) {
  if (!v) return null;
  const t = Date.parse(v + "Z");
  if (isNaN(t)) throw new Error(`"${v}" is not a time`);
  return t / 1000;
}

const isoSecond = (sec) => new Date(Math.round(sec * 1000)).toISOString().slice(0, 19) + "Z";
const local = (ms) => new Date(ms).toISOString().slice(0, 19);

function record(e) {
  try { return JSON.parse(e.CloudTrailEvent); } catch { return {}; }
}

// goJSON escapes as Go's encoding/json does (HTML characters, U+2028/9).
const goJSON = (v) => JSON.stringify(v).replace(/[<>&\u2028\u2029]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));

// compact removes the whitespace between JSON tokens, as Go's json.Compact
// does, keeping every value's text as it is.
export function compact(s) {
  let out = "", inStr = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inStr) {
      out += c;
      if (c === "\\") out += s[++i];
      else if (c === '"') inStr = false;
    } else if (c === '"') { inStr = true; out += c; } else if (!" \t\n\r".includes(c)) out += c;
  }
  return out;
}

function csvRow(e) {
  const rec = record(e), res = e.Resources || [];
  return [e.EventId, isoSecond(e.EventTime), e.Username || "", e.EventName || "",
    res.map((r) => r.ResourceType || "").join(", "), res.map((r) => r.ResourceName || "").join(", "),
    e.AccessKeyId || "", rec.awsRegion || "", rec.errorCode || "", rec.sourceIPAddress || "",
    goJSON(res.map((r) => ({ resourceType: r.ResourceType || "", resourceName: r.ResourceName || "" })))];
}

function readForm() {
  const key = $("ev-key").value, value = $("ev-value").value;
  const inp = {};
  if (key) {
    if (!value) { $("ev-value").focus(); throw new Error("Enter a value for " + key + "."); }
    inp.LookupAttributes = [{ AttributeKey: key, AttributeValue: value }];
  }
  const start = utc($("ev-start").value);
  let end = utc($("ev-end").value);
  if (end === null) end = Math.floor(Date.now() / 1000); // pinned, so that every page reads the same range
  if (start !== null) inp.StartTime = start;
  inp.EndTime = end;
  return inp;
}

async function lookup(ev) {
  ev && ev.preventDefault();
  $("ev-error").textContent = "";
  try {
    input = readForm();
  } catch (e) { $("ev-error").textContent = e.message; return; }
  tokens = [""];
  await page(0);
}

async function page(n) {
  const q = input;
  $("ev-status").textContent = "looking up…";
  $("ev-status").dataset.status = "RUNNING";
  try {
    const out = await ct("LookupEvents", Object.assign({ MaxResults: 50 }, q, tokens[n] ? { NextToken: tokens[n] } : {}));
    if (q !== input) return;
    pageNo = n;
    tokens[n + 1] = out.NextToken || null;
    events = out.Events || [];
    render();
    const from = q.StartTime ? isoSecond(q.StartTime) : "90 days ago";
    $("ev-status").textContent = `page ${n + 1} · ${events.length} events · ${from} to ${isoSecond(q.EndTime)}`;
    $("ev-status").dataset.status = "DONE";
    $("ev-prev").disabled = n === 0;
    $("ev-next").disabled = !out.NextToken;
    $("ev-csv").disabled = $("ev-json").disabled = false;
  } catch (e) {
    $("ev-status").textContent = "";
    $("ev-status").dataset.status = "FAILED";
    $("ev-error").textContent = `${e.code || "Error"}: ${e.message}`;
  }
}

function render() {
  const t = $("ev-table");
  t.replaceChildren();
  const head = t.createTHead().insertRow();
  for (const c of ["", ...COLUMNS]) head.append(el("th", { textContent: c, scope: "col" }));
  const body = t.createTBody();
  events.forEach((e, i) => {
    const tr = body.insertRow();
    tr.dataset.eventId = e.EventId;
    const toggle = el("button", { className: "expand", textContent: "▸", title: "Show the full record" });
    toggle.setAttribute("aria-expanded", "false");
    toggle.setAttribute("aria-controls", "ev-detail-" + i);
    toggle.onclick = () => expand(tr, e, i, toggle);
    const res = e.Resources || [];
    const cells = [isoSecond(e.EventTime).replace("T", " ").replace("Z", " UTC"), e.EventName, e.Username, e.EventSource,
      res.map((r) => r.ResourceType).join(", "), res.map((r) => r.ResourceName).join(", ")];
    tr.append(el("td", {}, toggle), ...cells.map((c) => el("td", { textContent: c || "" })));
  });
  if (!events.length) body.insertRow().append(el("td", { colSpan: COLUMNS.length + 1, textContent: "No events match." }));
}

function expand(tr, e, i, toggle) {
  const open = toggle.getAttribute("aria-expanded") === "true";
  toggle.setAttribute("aria-expanded", String(!open));
  toggle.textContent = open ? "▸" : "▾";
  if (open) { tr.nextSibling.remove(); return; }
  const rec = record(e);
  const facts = [["Event ID", e.EventId], ["AWS access key", e.AccessKeyId], ["Read only", e.ReadOnly],
    ["AWS region", rec.awsRegion], ["Error code", rec.errorCode], ["Source IP address", rec.sourceIPAddress]];
  const dl = el("dl", {}, ...facts.filter((f) => f[1]).flatMap(([k, v]) => [el("dt", { textContent: k }), el("dd", { textContent: v })]));
  const pre = el("pre", { className: "record", textContent: pretty(e.CloudTrailEvent, 2) ?? e.CloudTrailEvent });
  const detail = el("tr", { className: "detail", id: "ev-detail-" + i }, el("td", { colSpan: COLUMNS.length + 1 }, dl, pre));
  tr.after(detail);
}

// download fetches every page of the current result and saves it.
async function download(format) {
  const q = input;
  const buttons = [$("ev-csv"), $("ev-json")];
  buttons.forEach((b) => { b.disabled = true; });
  const parts = [];
  let tok, n = 0;
  try {
    do {
      const out = await ct("LookupEvents", Object.assign({ MaxResults: 50 }, q, tok ? { NextToken: tok } : {}));
      for (const e of out.Events || []) parts.push(format === "csv" ? csvLine(csvRow(e)) : compact(e.CloudTrailEvent));
      n += (out.Events || []).length;
      $("ev-status").textContent = `downloading… ${n} events`;
      tok = out.NextToken;
    } while (tok);
    const name = `event-history-${new Date().toISOString().replace(/[:.]/g, "-")}.${format}`;
    if (format === "csv") save(csvLine(CSV_HEADER) + parts.join(""), name, "text/csv");
    else save(`{"Records":[${parts.join(",")}]}\n`, name, "application/json");
    $("ev-status").textContent = `downloaded ${n} events as ${name}`;
  } catch (e) {
    $("ev-error").textContent = `${e.code || "Error"}: ${e.message}`;
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
  }
}

// setRange fills the time range with the last `hours` hours.
function setRange(hours) {
  const now = Date.now();
  $("ev-start").value = local(now - hours * 36e5);
  $("ev-end").value = "";
}

export function setupHistory() {
  $("ev-form").onsubmit = lookup;
  $("ev-prev").onclick = () => page(pageNo - 1);
  $("ev-next").onclick = () => page(pageNo + 1);
  $("ev-csv").onclick = () => download("csv");
  $("ev-json").onclick = () => download("json");
  $("ev-range").onchange = () => { if ($("ev-range").value) setRange(+$("ev-range").value); };
  $("ev-key").onchange = () => { $("ev-value").disabled = !$("ev-key").value; };
  $("ev-value").disabled = true;
}

// showHistory runs the first lookup when the screen is first opened.
export function showHistory() {
  if (!input) lookup();
}
