// The SQL editor: a textarea (which keeps every keyboard habit, undo and
// selection of the browser) over a <pre> that shows the same text
// highlighted, kept in sync on input, scroll and resize; and a completion
// popup under the cursor (Ctrl+Space or typing opens it, arrows move,
// Enter or Tab accepts, Esc closes).
import { KEYWORDS, highlight, tokenAt, tokenize } from "./sql.js";

const MAX_ITEMS = 50;
const KIND_ORDER = { store: 0, column: 1, function: 2, keyword: 3 };
// Functions that SQL writes without parentheses.
const NO_PARENS = new Set(["current_timestamp", "current_date", "current_time", "localtimestamp", "localtime"]);

// Editor wires up the textarea ta, the <pre> hl behind it and the popup
// list. sources() returns the completion candidates
// {label, insert, kind, detail, match}; run() runs the statement.
export class Editor {
  constructor(ta, hl, popup, sources, run) {
    Object.assign(this, { ta, hl, popup, sources, run, items: [], active: -1, errorAt: -1, start: 0 });
    ta.setAttribute("wrap", "off");
    ta.setAttribute("aria-autocomplete", "list");
    ta.setAttribute("aria-controls", popup.id);
    ta.setAttribute("aria-expanded", "false");
    ta.addEventListener("input", (ev) => this.onInput(ev));
    ta.addEventListener("keydown", (ev) => this.onKey(ev));
    // A key the popup took must not type too, even where the browser sends
    // its keypress apart from the keydown (as DevTools input does).
    ta.addEventListener("keypress", (ev) => { if (this.took) ev.preventDefault(); });
    ta.addEventListener("keyup", () => { this.took = false; });
    ta.addEventListener("scroll", () => this.syncScroll());
    ta.addEventListener("blur", () => this.close());
    ta.addEventListener("click", () => this.close());
    ta.addEventListener("focus", () => { if (this.shown !== ta.value) this.refresh(); });
    popup.addEventListener("mousedown", (ev) => {
      ev.preventDefault(); // keep the focus in the editor
      const li = ev.target.closest("li");
      if (li) this.accept(+li.dataset.index);
    });
    new ResizeObserver(() => this.syncSize()).observe(ta);
    this.refresh();
  }

  get value() { return this.ta.value; }

  // set replaces the statement (a sample, a saved query, the history).
  set(sql) {
    this.ta.value = sql;
    this.errorAt = -1;
    this.refresh();
  }

  // insert types text at the cursor (undoable, as typing is).
  insert(text) {
    const ta = this.ta;
    ta.focus();
    this.accepting = true;
    if (!document.execCommand("insertText", false, text)) ta.setRangeText(text, ta.selectionStart, ta.selectionEnd, "end");
    this.accepting = false;
    this.refresh();
  }

  // markError underlines the character at offset off (or none for -1).
  markError(off) {
    this.errorAt = off;
    this.refresh();
  }

  refresh() {
    this.shown = this.ta.value;
    highlight(this.hl, this.ta.value, this.errorAt);
    this.syncScroll();
  }

  syncScroll() {
    this.hl.scrollTop = this.ta.scrollTop;
    this.hl.scrollLeft = this.ta.scrollLeft;
    if (!this.popup.hidden) this.place();
  }

  // syncSize gives the <pre> the textarea's inner box, scrollbars left out,
  // so that both scroll the same distance.
  syncSize() {
    const { ta, hl } = this;
    hl.style.width = ta.clientWidth + 2 * ta.clientLeft + "px";
    hl.style.height = ta.clientHeight + 2 * ta.clientTop + "px";
    this.syncScroll();
  }

  onInput(ev) {
    if (this.errorAt >= 0) this.errorAt = -1;
    this.refresh();
    if (this.accepting) return;
    const typing = ev.inputType && ev.inputType.startsWith("insert") && ev.inputType !== "insertLineBreak";
    const deleting = ev.inputType && ev.inputType.startsWith("delete");
    if ((typing && /[\w.$-]$/.test(ev.data || "")) || (deleting && !this.popup.hidden)) this.open(false);
    else this.close();
  }

  onKey(ev) {
    this.took = false;
    const mod = ev.ctrlKey || ev.metaKey;
    if (mod && ev.key === "Enter") {
      ev.preventDefault();
      this.close();
      this.run();
      return;
    }
    if (ev.ctrlKey && (ev.key === " " || ev.code === "Space")) {
      ev.preventDefault();
      this.open(true);
      return;
    }
    if (this.popup.hidden) return;
    switch (ev.key) {
      case "ArrowDown": this.move(1); break;
      case "ArrowUp": this.move(-1); break;
      case "PageDown": this.move(8); break;
      case "PageUp": this.move(-8); break;
      case "Enter": case "Tab":
        if (mod || ev.shiftKey || ev.altKey) return;
        this.accept(this.active);
        break;
      case "Escape": this.close(); break;
      default: return;
    }
    ev.preventDefault();
    this.took = true;
  }

  // word returns the start of the word before the cursor and its text:
  // letters, digits, _, $ and dots (nested fields), and hyphens inside a
  // store ID.
  word() {
    const v = this.ta.value, pos = this.ta.selectionStart;
    let s = pos;
    while (s > 0 && /[\w.$-]/.test(v[s - 1])) s--;
    let w = v.slice(s, pos);
    if (w.includes("-") && !/^[0-9a-f][0-9a-f-]*$/i.test(w)) {
      const cut = w.lastIndexOf("-") + 1;
      s += cut;
      w = w.slice(cut);
    }
    return { start: s, prefix: w, pos };
  }

  // context says what may come at the cursor: "store" after FROM or
  // JOIN, "none" inside a string, a quoted name or a comment.
  context(start) {
    const tokens = tokenize(this.ta.value.slice(0, start));
    const at = tokenAt(tokens, start);
    if (at && (at.type === "com" || at.type === "str" || at.type === "qid") && !closed(at)) return "none";
    for (let i = tokens.length - 1; i >= 0; i--) {
      const t = tokens[i];
      if (t.type === "ws") continue;
      if (t.type === "kw" && /^(FROM|JOIN)$/i.test(t.text)) return "store";
      if (t.type === "op" && t.text === ",") continue;
      break;
    }
    return "any";
  }

  candidates(prefix, ctx) {
    const p = prefix.toLowerCase();
    const out = [];
    for (const c of this.sources()) {
      let rank = -1;
      if (c.label.toLowerCase().startsWith(p)) rank = 0;
      else if (p && (c.match || []).some((m) => m.toLowerCase().startsWith(p))) rank = 1;
      if (rank < 0 || (p === "" && c.kind === "keyword")) continue;
      if (c.label.toLowerCase() === p && c.kind !== "function") continue; // already written
      let order = KIND_ORDER[c.kind];
      if (ctx === "store" && c.kind === "store") order = -1;
      out.push({ c, key: [rank, order, c.label.length, c.label] });
    }
    out.sort((a, b) => a.key[0] - b.key[0] || a.key[1] - b.key[1] || a.key[2] - b.key[2] || a.key[3].localeCompare(b.key[3]));
    return out.slice(0, MAX_ITEMS).map((x) => x.c);
  }

  // open shows the completions of the word at the cursor; forced (Ctrl+Space)
  // shows them for an empty word too.
  open(forced) {
    const { start, prefix } = this.word();
    const ctx = this.context(start);
    if (ctx === "none" || (!forced && prefix === "")) { this.close(); return; }
    this.items = this.candidates(prefix, ctx);
    this.start = start;
    if (!this.items.length) { this.close(); return; }
    this.active = 0;
    this.popup.replaceChildren(...this.items.map((c, i) => {
      const li = document.createElement("li");
      li.id = "complete-" + i;
      li.setAttribute("role", "option");
      li.dataset.index = i;
      li.dataset.kind = c.kind;
      const label = document.createElement("span");
      label.className = "label";
      label.textContent = c.label;
      const detail = document.createElement("small");
      detail.textContent = c.detail || c.kind;
      li.append(label, " ", detail);
      return li;
    }));
    this.popup.hidden = false;
    this.ta.setAttribute("aria-expanded", "true");
    this.move(0);
    this.place();
  }

  close() {
    if (this.popup.hidden) return;
    this.popup.hidden = true;
    this.ta.setAttribute("aria-expanded", "false");
    this.ta.removeAttribute("aria-activedescendant");
  }

  move(d) {
    const n = this.items.length;
    this.active = Math.max(0, Math.min(n - 1, this.active + d));
    for (const li of this.popup.children) li.setAttribute("aria-selected", String(+li.dataset.index === this.active));
    const li = this.popup.children[this.active];
    this.ta.setAttribute("aria-activedescendant", li.id);
    li.scrollIntoView({ block: "nearest" });
  }

  // accept replaces the word at the cursor with item i; a function gets
  // its parentheses, with the cursor between them.
  accept(i) {
    const c = this.items[i];
    if (!c) return;
    const { pos } = this.word();
    let text = c.insert, back = 0;
    if (c.kind === "function" && !NO_PARENS.has(text)) {
      if (this.ta.value[pos] !== "(") { text += "()"; back = 1; }
    }
    this.close();
    this.ta.focus();
    this.ta.setSelectionRange(this.start, pos);
    this.insert(text);
    const end = this.start + text.length - back;
    this.ta.setSelectionRange(end, end);
    this.refresh();
  }

  // place puts the popup under the cursor. The editor's font is
  // monospaced and lines do not wrap, so the cursor is at (column, line).
  place() {
    const { ta, popup } = this;
    const before = ta.value.slice(0, this.start);
    const lines = before.split("\n");
    const col = expandTabs(lines[lines.length - 1]).length;
    const cs = getComputedStyle(ta);
    const lh = parseFloat(cs.lineHeight) || 1.5 * parseFloat(cs.fontSize);
    const cw = charWidth(cs.font);
    const top = ta.offsetTop + ta.clientTop + parseFloat(cs.paddingTop) + lines.length * lh - ta.scrollTop;
    let left = ta.offsetLeft + ta.clientLeft + parseFloat(cs.paddingLeft) + col * cw - ta.scrollLeft;
    left = Math.max(0, Math.min(left, ta.offsetLeft + ta.offsetWidth - popup.offsetWidth));
    popup.style.top = Math.round(Math.min(top, ta.offsetTop + ta.offsetHeight)) + "px";
    popup.style.left = Math.round(left) + "px";
  }
}

function closed(t) {
  if (t.type === "com") return t.text.startsWith("/*") && t.text.length > 3 && t.text.endsWith("*/");
  const q = t.text[0];
  return t.text.length > 1 && t.text.endsWith(q) && (t.text.slice(1, -1).split(q).length - 1) % 2 === 0;
}

function expandTabs(s) {
  let out = "";
  for (const ch of s) out += ch === "\t" ? " ".repeat(4 - (out.length % 4)) : ch;
  return out;
}

let measured = { font: "", width: 0 };
function charWidth(font) {
  if (measured.font !== font) {
    const ctx = document.createElement("canvas").getContext("2d");
    ctx.font = font;
    measured = { font, width: ctx.measureText("x".repeat(100)).width / 100 };
  }
  return measured.width;
}

// keywordSources are the keywords as completion candidates.
export const keywordSources = () => [...KEYWORDS].map((k) => ({ label: k, insert: k, kind: "keyword" }));
