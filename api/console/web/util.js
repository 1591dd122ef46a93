// Small DOM and formatting helpers shared by the console's modules.

export const $ = (id) => document.getElementById(id);

// el makes an element with properties (className, textContent, ...) and
// children.
export function el(tag, props, ...children) {
  const e = Object.assign(document.createElement(tag), props || {});
  e.append(...children.filter((c) => c !== null && c !== undefined));
  return e;
}

export function fmtBytes(n) {
  const u = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(i ? 1 : 0)} ${u[i]}`;
}

// csvField quotes a field as Go's encoding/csv does, so that the console's
// downloads match the command line's byte for byte.
export function csvField(v) {
  v = v ?? "";
  if (v === "") return v;
  if (v === "\\." || /[",\r\n]/.test(v) || /^\s/u.test(v)) return `"${v.replace(/"/g, '""')}"`;
  return v;
}

export const csvLine = (fields) => fields.map(csvField).join(",") + "\n";

// save offers text as a file download.
export function save(text, name, type) {
  const a = el("a", { href: URL.createObjectURL(new Blob([text], { type })), download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}

// pretty pretty-prints JSON text; other text comes back as it is.
export function pretty(v, indent) {
  if (!v || (v[0] !== "{" && v[0] !== "[")) return null;
  try { return JSON.stringify(JSON.parse(v), null, indent ?? 1); } catch { return null; }
}
