// The auditlake console: signs in with an access key, then talks to the
// CloudTrail API (POST /) and auditlake's JSON API (POST /api/*), signing
// every request with SigV4 in the browser (api.js, sigv4.js).
import { APIError, al, credentials, ct, signIn, signOut } from "./api.js";
import { MAX_BARS, chartSpec, drawChart } from "./chart.js";
import { Editor, keywordSources } from "./editor.js";
import { FUNCTIONS } from "./functions.js";
import { setupHistory, showHistory } from "./history.js";
import { loadStores, storeSources } from "./stores.js";
import { $, csvLine, el, fmtBytes, pretty, save as saveFile } from "./util.js";

const HISTORY = "auditlake.history";
const PAGE = 50;
const CHART_ROWS = 1000;
let current = null; // {id, tokens, page, rows, columns, started, total, chart}
let loadedSaved = null;
let sortCol = null, sortDesc = false;
let schemaPaths = []; // completion candidates of the columns
let editor = null;

const SAMPLES = [
  ["Root user activity", "SELECT eventTime, eventName, eventSource, sourceIPAddress\nFROM $EDS\nWHERE userIdentity.type = 'Root'\nORDER BY eventTime DESC\nLIMIT 100"],
  ["Console sign-ins without MFA", "SELECT eventTime, userIdentity.arn, sourceIPAddress\nFROM $EDS\nWHERE eventName = 'ConsoleLogin'\n  AND element_at(additionalEventData, 'MFAUsed') = 'No'\nORDER BY eventTime DESC"],
  ["Security group changes", "SELECT eventTime, eventName, userIdentity.arn, requestParameters\nFROM $EDS\nWHERE eventName IN ('AuthorizeSecurityGroupIngress', 'AuthorizeSecurityGroupEgress',\n  'RevokeSecurityGroupIngress', 'RevokeSecurityGroupEgress', 'CreateSecurityGroup', 'DeleteSecurityGroup')\nORDER BY eventTime DESC"],
  ["Denied calls by user", "SELECT userIdentity.arn, eventName, count(*) AS denied\nFROM $EDS\nWHERE errorCode IN ('AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation')\nGROUP BY 1, 2\nORDER BY denied DESC\nLIMIT 50"],
  ["New access keys", "SELECT eventTime, userIdentity.arn, element_at(requestParameters, 'userName') AS for_user\nFROM $EDS\nWHERE eventName = 'CreateAccessKey'\nORDER BY eventTime DESC"],
  ["CloudTrail stopped or deleted", "SELECT eventTime, eventName, userIdentity.arn, sourceIPAddress\nFROM $EDS\nWHERE eventSource = 'cloudtrail.amazonaws.com'\n  AND eventName IN ('StopLogging', 'DeleteTrail', 'UpdateTrail', 'StopEventDataStoreIngestion', 'DeleteEventDataStore')\nORDER BY eventTime DESC"],
  ["Events per day", "SELECT date_trunc('day', eventTime) AS day, count(*) AS events\nFROM $EDS\nGROUP BY 1\nORDER BY 1"],
  ["Calls per service", "SELECT eventSource, count(*) AS calls\nFROM $EDS\nGROUP BY 1\nORDER BY 2 DESC\nLIMIT 25"],
];

function li(label, onclick, ...extra) {
  const b = el("button", { textContent: label, onclick });
  return el("li", {}, b, ...extra.flatMap((x) => [" ", x]));
}

// tree shows the schema; a click on a field inserts its path.
function tree(fields, ul, prefix) {
  for (const f of fields) {
    const path = prefix + f.name;
    const type = el("small", { textContent: f.type });
    schemaPaths.push({ label: path, insert: path, kind: "column", detail: f.type, match: [f.name] });
    const ins = el("button", { textContent: f.name, title: "Insert " + path, onclick: () => editor.insert(path) });
    if (f.fields) {
      const sub = el("ul");
      tree(f.fields, sub, path + ".");
      ul.append(el("li", {}, el("details", {}, el("summary", {}, ins, " ", type), sub)));
    } else ul.append(el("li", {}, ins, " ", type));
  }
}

const sources = () => [...storeSources(), ...schemaPaths,
  ...FUNCTIONS.map((f) => ({ label: f, insert: f, kind: "function" })), ...keywordSources()];

function showError(e) {
  const msg = e instanceof APIError ? `${e.code}: ${e.message}` : String(e.message || e);
  const m = /line (\d+), column (\d+)/.exec(msg);
  let text = msg;
  if (m) {
    const line = +m[1], col = +m[2];
    const ta = $("editor");
    const lines = ta.value.split("\n");
    let off = 0;
    for (let i = 0; i < line - 1 && i < lines.length; i++) off += lines[i].length + 1;
    off = Math.min(off + col - 1, ta.value.length);
    ta.focus();
    ta.setSelectionRange(off, Math.min(off + 1, ta.value.length));
    editor.markError(off);
    text = `Line ${line}, column ${col}: ${msg}`;
  }
  $("error").textContent = text;
}

async function run() {
  $("error").textContent = "";
  const sql = editor.value.trim();
  if (!sql) return;
  current = null;
  $("status").dataset.status = "STARTING";
  $("status").textContent = "starting";
  $("results").replaceChildren();
  $("page").textContent = "";
  $("views").hidden = true;
  showView("table");
  for (const b of ["prev", "next", "download"]) $(b).disabled = true;
  try {
    const { QueryId } = await ct("StartQuery", { QueryStatement: sql });
    current = { id: QueryId, tokens: [""], page: 0, started: Date.now() };
    remember(sql);
    $("cancel").disabled = false;
    poll(QueryId);
  } catch (e) { $("status").textContent = ""; showError(e); }
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
  q.page = n;
  q.tokens[n + 1] = out.NextToken || null;
  q.columns = rows.length ? rows[0].map((c) => c[0]) : (q.columns || []);
  q.rows = rows.map((r) => r.map((c) => c[1]));
  q.total = (out.QueryStatistics || {}).TotalResultsCount;
  sortCol = null;
  render();
  $("page").textContent = `page ${n + 1} · rows ${n * PAGE + 1}-${n * PAGE + rows.length} of ${q.total ?? "?"}`;
  $("prev").disabled = n === 0;
  $("next").disabled = !out.NextToken;
  $("download").disabled = false;
  if (n === 0) $("views").hidden = !chartSpec(q.columns, q.rows);
}

function cell(v) {
  const p = pretty(v);
  if (p !== null) return el("td", {}, el("pre", { textContent: p }));
  return el("td", { textContent: v });
}

function render() {
  const t = $("results");
  t.replaceChildren();
  const head = t.createTHead().insertRow();
  current.columns.forEach((c, i) => {
    const th = el("th", { textContent: c + (sortCol === i ? (sortDesc ? " ▼" : " ▲") : ""), tabIndex: 0, scope: "col" });
    th.setAttribute("aria-sort", sortCol === i ? (sortDesc ? "descending" : "ascending") : "none");
    th.onclick = th.onkeydown = (ev) => {
      if (ev.type === "keydown" && ev.key !== "Enter" && ev.key !== " ") return;
      ev.preventDefault();
      sortDesc = sortCol === i ? !sortDesc : false; sortCol = i; render();
      t.tHead.rows[0].cells[i].focus();
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

// showView shows the table or the chart of the current result.
async function showView(which) {
  $("view-table").setAttribute("aria-pressed", String(which === "table"));
  $("view-chart").setAttribute("aria-pressed", String(which === "chart"));
  $("table-view").hidden = which !== "table";
  $("chart").hidden = which !== "chart";
  for (const b of ["prev", "next", "filter"]) $(b).hidden = which === "chart";
  if (which === "chart") await drawCurrentChart();
}

// drawCurrentChart charts the first CHART_ROWS rows of the result: the
// page on screen when it is the whole result, else one larger read.
async function drawCurrentChart() {
  const q = current;
  if (!q.chart) {
    let rows = q.rows;
    if (q.tokens[1] || q.page !== 0) {
      const out = await ct("GetQueryResults", { QueryId: q.id, MaxQueryResults: CHART_ROWS });
      rows = rowsOf(out).map((r) => r.map((c) => c[1]));
    }
    q.chart = { rows, spec: chartSpec(q.columns, rows) };
  }
  if (q !== current) return;
  const box = $("chart");
  const { rows, spec } = q.chart;
  if (!spec) { box.replaceChildren(el("p", { textContent: "The result's columns do not suit a chart." })); return; }
  const shown = spec.kind === "bar" ? Math.min(rows.length, MAX_BARS) : rows.length;
  const note = shown < (q.total ?? rows.length) ? el("p", { className: "note", textContent: `The first ${shown} of ${q.total} rows.` }) : null;
  box.replaceChildren(drawChart(spec, q.columns, rows, Math.max(480, box.clientWidth || $("table-view").clientWidth || 800)), note || "");
}

async function download() {
  let tok, text = "", header = null;
  do {
    const out = await ct("GetQueryResults", { QueryId: current.id, MaxQueryResults: 1000, NextToken: tok });
    for (const r of rowsOf(out)) {
      if (!header) { header = r.map((c) => c[0]); text += csvLine(header); }
      text += csvLine(r.map((c) => c[1]));
    }
    tok = out.NextToken;
  } while (tok);
  if (!header && current.columns) text += csvLine(current.columns);
  saveFile(text, `${current.id}.csv`, "text/csv");
}

function remember(sql) {
  const week = Date.now() - 7 * 864e5;
  const h = JSON.parse(localStorage.getItem(HISTORY) || "[]").filter((x) => x.at > week && x.sql !== sql);
  h.unshift({ sql, at: Date.now() });
  localStorage.setItem(HISTORY, JSON.stringify(h.slice(0, 50)));
  showRecent();
}

function showRecent() {
  const ul = $("history");
  ul.replaceChildren();
  const week = Date.now() - 7 * 864e5;
  for (const x of JSON.parse(localStorage.getItem(HISTORY) || "[]").filter((x) => x.at > week).slice(0, 15)) {
    const when = el("small", { textContent: new Date(x.at).toISOString().slice(5, 16).replace("T", " ") });
    const again = el("button", { textContent: "▶", title: "Run again", className: "small", onclick: () => { editor.set(x.sql); run(); } });
    ul.append(li(x.sql.replace(/\s+/g, " ").slice(0, 40), () => editor.set(x.sql), when, again));
  }
}

async function loadSaved() {
  const { SavedQueries } = await al("ListSavedQueries");
  const ul = $("saved");
  ul.replaceChildren();
  for (const q of SavedQueries) {
    const del = el("button", { textContent: "×", title: "Delete " + q.Name, className: "small" });
    del.onclick = async () => { try { await al("DeleteSavedQuery", { SavedQueryId: q.SavedQueryId }); loadSaved(); } catch (e) { showError(e); } };
    ul.append(li(q.Name, () => { loadedSaved = q; editor.set(q.QueryStatement); $("save-name").value = q.Name; }, del));
  }
}

async function save() {
  const name = $("save-name").value.trim();
  if (!name) { $("save-name").focus(); return; }
  try {
    const body = { Name: name, QueryStatement: editor.value };
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
  for (const c of ["Report", "Schedule", "Last runs", ""]) h.append(el("th", { textContent: c }));
  const body = t.createTBody();
  for (const r of Reports) {
    const { Runs } = await al("ListReportRuns", { ReportId: r.ReportId, MaxResults: 3 });
    const tr = body.insertRow();
    tr.append(cell(r.Name), cell(`${r.Schedule} ${r.TimeZone || "UTC"}`),
      cell(Runs.map((x) => `${x.FireTime} ${x.Status} ${x.Rows} rows ${x.Location || x.Error || ""}`).join("\n")));
    const b = el("button", { textContent: "Run now" });
    b.onclick = async () => { try { await al("StartReportRun", { ReportId: r.ReportId }); loadReports(); } catch (e) { showError(e); } };
    tr.append(el("td", {}, b));
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

function selectTab(which) {
  for (const [tab, panel] of [["tab-sql", "app"], ["tab-events", "events"]]) {
    const on = tab === which;
    $(tab).setAttribute("aria-selected", String(on));
    $(tab).tabIndex = on ? 0 : -1;
    $(panel).hidden = !on;
  }
  if (which === "tab-events") showHistory();
}

async function start() {
  const creds = credentials();
  $("login").hidden = true;
  $("tabs").hidden = false;
  $("logout").hidden = false;
  $("who").textContent = creds.accessKeyId;
  selectTab("tab-sql");
  const schema = await (await fetch("schema.json")).json();
  tree(schema, $("columns"), "");
  showRecent();
  const storeId = () => (storeSources().find((s) => s.selected) || {}).insert || "<store id>";
  for (const [name, sql] of SAMPLES) $("samples").append(li(name, () => editor.set(sql.replaceAll("$EDS", storeId()))));
  await Promise.all([loadStores(editor, run), loadSaved(), loadReports()]).catch(showError);
}

async function login(ev) {
  ev.preventDefault();
  const cfg = await (await fetch("config.json")).json();
  try {
    await signIn({ accessKeyId: $("login-akid").value.trim(), secret: $("login-secret").value.trim(), region: cfg.region });
  } catch (e) {
    $("login-error").textContent = `${e.code || "Error"}: ${e.message}`;
    return;
  }
  $("login-secret").value = "";
  start();
}

editor = new Editor($("editor"), $("highlight"), $("complete"), sources, run);
$("login-form").onsubmit = login;
$("logout").onclick = () => { signOut(); location.reload(); };
$("run").onclick = run;
$("cancel").onclick = async () => { try { await ct("CancelQuery", { QueryId: current.id }); } catch (e) { showError(e); } };
$("prev").onclick = () => page(current.page - 1).catch(showError);
$("next").onclick = () => page(current.page + 1).catch(showError);
$("filter").oninput = () => current && current.rows && render();
$("download").onclick = () => download().catch(showError);
$("save").onclick = save;
$("report-form").onsubmit = createReport;
$("view-table").onclick = () => showView("table");
$("view-chart").onclick = () => showView("chart").catch(showError);
$("stores-refresh").onclick = () => loadStores(editor, run).catch(showError);
$("tab-sql").onclick = () => selectTab("tab-sql");
$("tab-events").onclick = () => selectTab("tab-events");
$("tabs").onkeydown = (ev) => {
  if (ev.key !== "ArrowLeft" && ev.key !== "ArrowRight") return;
  const next = $("tab-sql").getAttribute("aria-selected") === "true" ? "tab-events" : "tab-sql";
  selectTab(next);
  $(next).focus();
};
setupHistory();
if (credentials()) start();
// For tests and the curious: the query on screen.
window.auditlakeConsole = { current: () => current && { id: current.id, page: current.page, tokens: current.tokens.length } };
