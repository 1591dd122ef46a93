// A small SQL tokenizer for highlighting and completion. It knows what
// matters to show a statement correctly: strings ('it''s', across lines),
// quoted identifiers ("a ""b"""), line and block comments (across lines,
// unterminated ones run to the end), numbers, keywords and identifiers.
// It does not parse: the server's parser is the authority.

export const KEYWORDS = new Set(`SELECT FROM WHERE GROUP BY ORDER HAVING LIMIT OFFSET FETCH FIRST NEXT ONLY AS AND OR NOT IN
IS NULL LIKE ILIKE ESCAPE BETWEEN CASE WHEN THEN ELSE END JOIN LEFT RIGHT INNER OUTER FULL CROSS NATURAL ON USING
UNION INTERSECT EXCEPT ALL DISTINCT WITH RECURSIVE ASC DESC NULLS LAST TRUE FALSE CAST TRY_CAST INTERVAL EXISTS
UNNEST ORDINALITY LATERAL OVER PARTITION WINDOW ROWS RANGE GROUPS PRECEDING FOLLOWING UNBOUNDED CURRENT ROW
VALUES AT TIME ZONE ARRAY MAP FILTER WITHIN TABLESAMPLE SOME ANY QUALIFY ROLLUP CUBE GROUPING SETS
VARCHAR CHAR BIGINT INTEGER INT SMALLINT TINYINT DOUBLE REAL DECIMAL BOOLEAN DATE TIMESTAMP JSON VARBINARY`.split(/\s+/));

// tokenize splits src into tokens {type, text, start}; type is one of kw
// (keyword), fn (a name followed by "("), id, qid (quoted identifier),
// str, num, com (comment), ws and op. The texts join back into src.
export function tokenize(src) {
  const out = [];
  const n = src.length;
  let i = 0;
  while (i < n) {
    const c = src[i], d = src[i + 1];
    let j = i + 1, type = "op";
    if (c === "-" && d === "-") {
      j = src.indexOf("\n", i);
      if (j < 0) j = n;
      type = "com";
    } else if (c === "/" && d === "*") {
      j = src.indexOf("*/", i + 2);
      j = j < 0 ? n : j + 2;
      type = "com";
    } else if (c === "'" || c === '"') {
      j = closeQuote(src, i + 1, c);
      type = c === "'" ? "str" : "qid";
    } else if (/\s/.test(c)) {
      while (j < n && /\s/.test(src[j])) j++;
      type = "ws";
    } else if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(d || ""))) {
      const m = /(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?/y;
      m.lastIndex = i;
      m.exec(src);
      j = m.lastIndex;
      type = "num";
    } else if (/[A-Za-z_]/.test(c)) {
      while (j < n && /[A-Za-z0-9_$]/.test(src[j])) j++;
      const word = src.slice(i, j);
      let k = j;
      while (k < n && (src[k] === " " || src[k] === "\t")) k++;
      type = src[k] === "(" && !KEYWORDS.has(word.toUpperCase()) ? "fn" : KEYWORDS.has(word.toUpperCase()) ? "kw" : "id";
    }
    out.push({ type, text: src.slice(i, j), start: i });
    i = j;
  }
  return out;
}

// closeQuote returns the index after the quote q that closes a quoted
// text starting at i; a doubled quote is part of the text.
function closeQuote(src, i, q) {
  for (;;) {
    const k = src.indexOf(q, i);
    if (k < 0) return src.length;
    if (src[k + 1] !== q) return k + 1;
    i = k + 2;
  }
}

// tokenAt returns the token that holds the character before offset pos.
export function tokenAt(tokens, pos) {
  let found = null;
  for (const t of tokens) {
    if (t.start >= pos) break;
    found = t;
  }
  return found;
}

// highlight fills pre with src as spans of class "t-<type>". The
// character at errorAt (or -1) is wrapped in a span of class "t-err" as
// well. A trailing newline gets a space after it, so that the last line
// of a textarea has a line in the <pre> too.
export function highlight(pre, src, errorAt) {
  const frag = document.createDocumentFragment();
  for (const t of tokenize(src)) {
    if (errorAt >= t.start && errorAt < t.start + t.text.length) {
      const at = errorAt - t.start;
      addToken(frag, t.type, t.text.slice(0, at));
      const err = document.createElement("span");
      err.className = "t-err";
      addToken(err, t.type, t.text[at]);
      frag.append(err);
      addToken(frag, t.type, t.text.slice(at + 1));
    } else addToken(frag, t.type, t.text);
  }
  frag.append(src.endsWith("\n") || src === "" ? " " : "");
  pre.replaceChildren(frag);
}

function addToken(parent, type, text) {
  if (!text) return;
  if (type === "ws" || type === "op" || type === "id") { parent.append(text); return; }
  const s = document.createElement("span");
  s.className = "t-" + type;
  s.textContent = text;
  parent.append(s);
}
