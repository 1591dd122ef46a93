// AWS Signature Version 4 for fetch, with the Web Crypto API. The secret
// key never leaves the browser: each request carries only the signature.
"use strict";

const enc = new TextEncoder();

function hex(buf) {
  return Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function sha256(data) {
  return crypto.subtle.digest("SHA-256", typeof data === "string" ? enc.encode(data) : data);
}

async function hmac(key, data) {
  const k = await crypto.subtle.importKey("raw", typeof key === "string" ? enc.encode(key) : key,
    { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return crypto.subtle.sign("HMAC", k, enc.encode(data));
}

// signedFetch signs and sends a POST of body (a string) to path on this
// page's origin. headers are extra headers to sign (lower-case names).
export async function signedFetch(creds, path, body, headers) {
  const now = new Date();
  const amzDate = now.toISOString().replace(/[:-]|\.\d{3}/g, "");
  const day = amzDate.slice(0, 8);
  const all = Object.assign({}, headers, { host: location.host, "x-amz-date": amzDate });
  const names = Object.keys(all).map((n) => n.toLowerCase()).sort();
  const canonHeaders = names.map((n) => n + ":" + String(all[n]).trim() + "\n").join("");
  const signedHeaders = names.join(";");
  const canonical = ["POST", path, "", canonHeaders, signedHeaders, hex(await sha256(body))].join("\n");
  const scope = `${day}/${creds.region}/cloudtrail/aws4_request`;
  const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, hex(await sha256(canonical))].join("\n");
  let key = await hmac("AWS4" + creds.secret, day);
  key = await hmac(key, creds.region);
  key = await hmac(key, "cloudtrail");
  key = await hmac(key, "aws4_request");
  const signature = hex(await hmac(key, toSign));
  const send = Object.assign({}, all);
  delete send.host;
  send.authorization = `AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return fetch(path, { method: "POST", headers: send, body, credentials: "omit", cache: "no-store" });
}
