// The auditlake console: signs in with an access key, then talks to the
// CloudTrail API (POST /) and auditlake's JSON API (POST /api/*), signing
// every request with SigV4 in the browser.
import { signedFetch } from "./sigv4.js";

const $ = (id) => document.getElementById(id);
const CREDS = "auditlake.creds";
const HISTORY = "auditlake.history";
const PAGE = 50;
let creds = JSON.parse(sessionStorage.getItem(CREDS) || "null");
let stores = [];
let store = null; // the selected store's ID
let current = null; // {id, tokens, page, rows, columns}
let loadedSaved = null;
let sortCol = null, sortDesc = false;

class APIError extends Error {
  constructor(code, message) { super(message || code); this.code = code; }
}

async function call(path, body, headers) {
  const r = await signedFetch(creds, path, JSON.stringify(body || {}), headers);
  const data = await r.json().catch(() => ({}));
  if (!r.ok) throw new APIError(data.__type || "HTTP " + r.status, data.message);
  return data;
}
const ct = (op, input) => call("/", input, { "content-type": "application/x-amz-json-1.1", "x-amz-target": "CloudTrail_20131101." + op });
const al = (op, input) => call("/api/" + op, input, { "content-type": "application/json" });

const SCHEMA = [
  "eventVersion", "eventTime", "eventSource", "eventName", "awsRegion", "sourceIPAddress", "userAgent",
  "errorCode", "errorMessage",
  ["userIdentity", ["type", "principalId", "arn", "accountId", "accessKeyId", "userName", "invokedBy",
    ["sessionContext", ["attributes", "sessionIssuer", "sourceIdentity"]]]],
  "requestParameters (map)", "responseElements (map)", "additionalEventData (map)",
  "requestID", "eventID", "readOnly", ["resources", ["accountId", "type", "ARN"]], "eventType", "apiVersion",
  "managementEvent", "recipientAccountId", "sharedEventID", "vpcEndpointId", "eventCategory",
  ["tlsDetails", ["tlsVersion", "cipherSuite", "clientProvidedHostHeader"]], "sessionCredentialFromConsole",
  "serviceEventDetails (map)", "eventJson",
];

const SAMPLES = [
  ["Root user activity", "SELECT eventTime, eventName, eventSource, sourceIPAddress\nFROM $EDS\nWHERE userIdentity.type = 'Root'\nORDER BY eventTime DESC\nLIMIT 100"],
  ["Console sign-ins without MFA", "SELECT eventTime, userIdentity.arn, sourceIPAddress\nFROM $EDS\nWHERE eventName = 'ConsoleLogin'\n  AND element_at(additionalEventData, 'MFAUsed') = 'No'\nORDER BY eventTime DESC"],
  ["Security group changes", "SELECT eventTime, eventName, userIdentity.arn, requestParameters\nFROM $EDS\nWHERE eventName IN ('AuthorizeSecurityGroupIngress', 'AuthorizeSecurityGroupEgress',\n  'RevokeSecurityGroupIngress', 'RevokeSecurityGroupEgress', 'CreateSecurityGroup', 'DeleteSecurityGroup')\nORDER BY eventTime DESC"],
  ["Denied calls by user", "SELECT userIdentity.arn, eventName, count(*) AS denied\nFROM $EDS\nWHERE errorCode IN ('AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation')\nGROUP BY 1, 2\nORDER BY denied DESC\nLIMIT 50"],
  ["New access keys", "SELECT eventTime, userIdentity.arn, element_at(requestParameters, 'userName') AS for_user\nFROM $EDS\nWHERE eventName = 'CreateAccessKey'\nORDER BY eventTime DESC"],
  ["CloudTrail stopped or deleted", "SELECT eventTime, eventName, userIdentity.arn, sourceIPAddress\nFROM $EDS\nWHERE eventSource = 'cloudtrail.amazonaws.com'\n  AND eventName IN ('StopLogging', 'DeleteTrail', 'UpdateTrail', 'StopEventDataStoreIngestion', 'DeleteEventDataStore')\nORDER BY eventTime DESC"],
  ["Events per day", "SELECT date_trunc('day', eventTime) AS day, count(*) AS events\nFROM $EDS\nGROUP BY 1\nORDER BY 1"],
];

function li(label, onclick, extra) {
  const item = document.createElement("li");
  const b = document.createElement("button");
  b.textContent = label;
  b.onclick = onclick;
  item.append(b);
  if (extra) item.append(" ", extra);
  return item;
}

function tree(list, ul) {
  for (const f of list) {
    const item = document.createElement("li");
    if (Array.isArray(f)) {
      item.textContent = f[0];
      const sub = document.createElement("ul");
      sub.style.paddingLeft = "1em";
      tree(f[1], sub);
      item.append(sub);
    } else item.textContent = f;
    ul.append(item);
  }
}

function insert(text) {
  const ed = $("editor");
  const s = ed.selectionStart, e = ed.selectionEnd;
  ed.value = ed.value.slice(0, s) + text + ed.value.slice(e);
  ed.selectionStart = ed.selectionEnd = s + text.length;
  ed.focus();
}

async function loadStores() {
  const out = await ct("ListEventDataStores", { MaxResults: 100 });
  stores = out.EventDataStores || [];
  const ul = $("stores");
  ul.replaceChildren();
  for (const s of stores) {
    const id = s.EventDataStoreArn.split("/").pop();
    ul.append(li(s.Name, () => { store = id; insert(id); }, Object.assign(document.createElement("small"), { textContent: id })));
  }
  if (stores.length) store = stores[0].EventDataStoreArn.split("/").pop();
}

function showError(e) {
  const msg = e instanceof APIError ? `${e.code}: ${e.message}` : String(e.message || e);
  const m = /line (\d+), column (\d+)/.exec(msg);
  let text = msg;
  if (m) {
    const line = +m[1], col = +m[2];
    const ed = $("editor");
    const lines = ed.value.split("\n");
    let off = 0;
    for (let i = 0; i < line - 1 && i < lines.length; i++) off += lines[i].length + 1;
    off += col - 1;
    ed.focus();
    ed.setSelectionRange(off, Math.min(off + 1, ed.value.length));
    text = `Line ${line}, column ${col}: ${msg}`;
  }
  $("error").textContent = text;
}

function fmtBytes(n) {
  const u = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(i ? 1 : 0)} ${u[i]}`;
}

async function run() {
  $("error").textContent = "";
  const sql = $("editor").value.trim();
  if (!sql) return;
  current = null;
  $("status").dataset.status = "STARTING";
  $("status").textContent = "starting";
  $("results").replaceChildren();
  $("page").textContent = "";
  for (const b of ["prev", "next", "download"]) $(b).disabled = true;
  try {
    const { QueryId } = await ct("StartQuery", { QueryStatement: sql });
    current = { id: QueryId, tokens: [""], page: 0, started: Date.now() };
    remember(sql);
    $("cancel").disabled = false;
    poll(QueryId);
  } catch (e) { showError(e); }
}

async function poll(id) {
  if (!current || current.id !== id) return;
  try {
    const q = await ct("DescribeQuery", { QueryId: id });
    if (!current || current.id !== id) return;
    const st = q.QueryStatistics || {};
    const secs = ((Date.now() - current.started) / 1000).toFixed(1);
    $("status").textContent = `${q.QueryStatus} · ${secs} s · ${st.EventsScanned || 0} events scanned · ${fmtBytes(st.BytesScanned || 0)} scanned`;
    $("status").dataset.status = q.QueryStatus;
    if (q.QueryStatus === "QUEUED" || q.QueryStatus === "RUNNING") { setTimeout(() => poll(id), 400); return; }
    $("cancel").disabled = true;
    if (q.QueryStatus === "FINISHED") await page(0);
    else if (q.ErrorMessage) showError(new APIError(q.QueryStatus, q.ErrorMessage));
  } catch (e) { showError(e); }
}

function rowsOf(out) {
  return (out.QueryResultRows || []).map((r) => r.map((cell) => Object.entries(cell)[0]));
}

async function page(n) {
  const q = current;
  const out = await ct("GetQueryResults", { QueryId: q.id, MaxQueryResults: PAGE, NextToken: q.tokens[n] || undefined });
  if (q !== current) return; // another query started meanwhile
  const rows = rowsOf(out);
  current.page = n;
  current.tokens[n + 1] = out.NextToken || null;
  current.columns = rows.length ? rows[0].map((c) => c[0]) : (current.columns || []);
  current.rows = rows.map((r) => r.map((c) => c[1]));
  sortCol = null;
  render();
  const total = (out.QueryStatistics || {}).TotalResultsCount;
  $("page").textContent = `page ${n + 1} · rows ${n * PAGE + 1}-${n * PAGE + rows.length} of ${total ?? "?"}`;
  $("prev").disabled = n === 0;
  $("next").disabled = !out.NextToken;
  $("download").disabled = false;
}

function cell(v) {
  const td = document.createElement("td");
  if (v && (v[0] === "{" || v[0] === "[")) {
    try { const pre = document.createElement("pre"); pre.textContent = JSON.stringify(JSON.parse(v), null, 1); td.append(pre); return td; } catch { /* plain text */ }
  }
  td.textContent = v;
  return td;
}

function render() {
  const t = $("results");
  t.replaceChildren();
  const head = t.createTHead().insertRow();
  current.columns.forEach((c, i) => {
    const th = document.createElement("th");
    th.textContent = c + (sortCol === i ? (sortDesc ? " ▼" : " ▲") : "");
    th.tabIndex = 0;
    th.onclick = th.onkeydown = (ev) => {
      if (ev.type === "keydown" && ev.key !== "Enter") return;
      sortDesc = sortCol === i ? !sortDesc : false; sortCol = i; render();
    };
    head.append(th);
  });
  const f = $("filter").value.toLowerCase();
  let rows = current.rows.filter((r) => !f || r.some((v) => v.toLowerCase().includes(f)));
  if (sortCol !== null) {
    const num = rows.every((r) => r[sortCol] === "" || !isNaN(r[sortCol]));
    rows = rows.slice().sort((a, b) => {
      const x = a[sortCol], y = b[sortCol];
      const c = num ? (+x) - (+y) : x.localeCompare(y);
      return sortDesc ? -c : c;
    });
  }
  const body = t.createTBody();
  for (const r of rows) { const tr = body.insertRow(); r.forEach((v) => tr.append(cell(v))); }
}

function csvField(v) { return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v; }

async function download() {
  let tok, lines = [], header = null;
  do {
    const out = await ct("GetQueryResults", { QueryId: current.id, MaxQueryResults: 1000, NextToken: tok });
    for (const r of rowsOf(out)) {
      if (!header) { header = r.map((c) => c[0]); lines.push(header.map(csvField).join(",")); }
      lines.push(r.map((c) => csvField(c[1])).join(","));
    }
    tok = out.NextToken;
  } while (tok);
  if (!header && current.columns) lines.push(current.columns.map(csvField).join(","));
  const a = document.createElement("a");
  a.href = URL.createObjectURL(new Blob([lines.join("\n") + "\n"], { type: "text/csv" }));
  a.download = `${current.id}.csv`;
  document.body.append(a);
  a.click();
  a.remove();
}

function remember(sql) {
  const week = Date.now() - 7 * 864e5;
  const h = JSON.parse(localStorage.getItem(HISTORY) || "[]").filter((x) => x.at > week && x.sql !== sql);
  h.unshift({ sql, at: Date.now() });
  localStorage.setItem(HISTORY, JSON.stringify(h.slice(0, 50)));
  showHistory();
}

function showHistory() {
  const ul = $("history");
  ul.replaceChildren();
  const week = Date.now() - 7 * 864e5;
  for (const x of JSON.parse(localStorage.getItem(HISTORY) || "[]").filter((x) => x.at > week).slice(0, 15)) {
    ul.append(li(x.sql.replace(/\s+/g, " ").slice(0, 40), () => { $("editor").value = x.sql; }));
  }
}

async function loadSaved() {
  const { SavedQueries } = await al("ListSavedQueries");
  const ul = $("saved");
  ul.replaceChildren();
  for (const q of SavedQueries) {
    const del = document.createElement("button");
    del.textContent = "×";
    del.title = "Delete " + q.Name;
    del.onclick = async () => { try { await al("DeleteSavedQuery", { SavedQueryId: q.SavedQueryId }); loadSaved(); } catch (e) { showError(e); } };
    ul.append(li(q.Name, () => { loadedSaved = q; $("editor").value = q.QueryStatement; $("save-name").value = q.Name; }, del));
  }
}

async function save() {
  const name = $("save-name").value.trim();
  if (!name) { $("save-name").focus(); return; }
  try {
    const body = { Name: name, QueryStatement: $("editor").value };
    loadedSaved = loadedSaved && loadedSaved.Name === name
      ? await al("UpdateSavedQuery", Object.assign(body, { SavedQueryId: loadedSaved.SavedQueryId, Description: loadedSaved.Description }))
      : await al("CreateSavedQuery", body);
    $("status").textContent = `saved "${name}"`;
    loadSaved();
  } catch (e) { showError(e); }
}

async function loadReports() {
  const { Reports } = await al("ListReports");
  const t = $("reports");
  t.replaceChildren();
  const h = t.createTHead().insertRow();
  for (const c of ["Report", "Schedule", "Last runs", ""]) { const th = document.createElement("th"); th.textContent = c; h.append(th); }
  const body = t.createTBody();
  for (const r of Reports) {
    const { Runs } = await al("ListReportRuns", { ReportId: r.ReportId, MaxResults: 3 });
    const tr = body.insertRow();
    tr.append(cell(r.Name), cell(`${r.Schedule} ${r.TimeZone || "UTC"}`),
      cell(Runs.map((x) => `${x.FireTime} ${x.Status} ${x.Rows} rows ${x.Location || x.Error || ""}`).join("\n")));
    const b = document.createElement("button");
    b.textContent = "Run now";
    b.onclick = async () => { try { await al("StartReportRun", { ReportId: r.ReportId }); loadReports(); } catch (e) { showError(e); } };
    const td = document.createElement("td"); td.append(b); tr.append(td);
  }
}

async function createReport(ev) {
  ev.preventDefault();
  if (!loadedSaved) { showError(new Error("Load or save a saved query first: a report runs a saved query.")); return; }
  try {
    await al("CreateReport", { Name: $("report-name").value, SavedQueryId: loadedSaved.SavedQueryId, Schedule: $("report-cron").value,
      TimeZone: $("report-tz").value || undefined, Window: $("report-window").value || undefined, Enabled: true });
    loadReports();
  } catch (e) { showError(e); }
}

async function start() {
  $("login").hidden = true;
  $("app").hidden = false;
  $("logout").hidden = false;
  $("who").textContent = creds.accessKeyId;
  tree(SCHEMA, $("columns"));
  for (const [name, sql] of SAMPLES) $("samples").append(li(name, () => { $("editor").value = sql.replaceAll("$EDS", store || "<store id>"); }));
  showHistory();
  await Promise.all([loadStores(), loadSaved(), loadReports()]).catch(showError);
}

async function login(ev) {
  ev.preventDefault();
  const cfg = await (await fetch("config.json")).json();
  creds = { accessKeyId: $("login-akid").value.trim(), secret: $("login-secret").value.trim(), region: cfg.region };
  try {
    await ct("ListEventDataStores", { MaxResults: 1 });
  } catch (e) {
    $("login-error").textContent = `${e.code || "Error"}: ${e.message}`;
    creds = null;
    return;
  }
  sessionStorage.setItem(CREDS, JSON.stringify(creds));
  $("login-secret").value = "";
  start();
}

$("login-form").onsubmit = login;
$("logout").onclick = () => { sessionStorage.removeItem(CREDS); location.reload(); };
$("run").onclick = run;
$("cancel").onclick = async () => { try { await ct("CancelQuery", { QueryId: current.id }); } catch (e) { showError(e); } };
$("prev").onclick = () => page(current.page - 1).catch(showError);
$("next").onclick = () => page(current.page + 1).catch(showError);
$("filter").oninput = () => current && current.rows && render();
$("download").onclick = () => download().catch(showError);
$("save").onclick = save;
$("report-form").onsubmit = createReport;
$("editor").onkeydown = (ev) => { if ((ev.ctrlKey || ev.metaKey) && ev.key === "Enter") { ev.preventDefault(); run(); } };
if (creds) start();
// For tests and the curious: the query on screen.
window.auditlakeConsole = { current: () => current && { id: current.id, page: current.page, tokens: current.tokens.length } };
