// Signed calls to the CloudTrail API (POST /) and auditlake's JSON API
// (POST /api/*), with the credentials of the signed-in user.
import { signedFetch } from "./sigv4.js";

const CREDS = "auditlake.creds";
let creds = JSON.parse(sessionStorage.getItem(CREDS) || "null");

export class APIError extends Error {
  constructor(code, message) { super(message || code); this.code = code; }
}

export function credentials() { return creds; }

// signIn checks c with ListEventDataStores and keeps it in the tab's
// session storage; it throws the API's error for a wrong key.
export async function signIn(c) {
  const before = creds;
  creds = c;
  try {
    await ct("ListEventDataStores", { MaxResults: 1 });
  } catch (e) {
    creds = before;
    throw e;
  }
  sessionStorage.setItem(CREDS, JSON.stringify(creds));
}

export function signOut() { sessionStorage.removeItem(CREDS); creds = null; }

async function call(path, body, headers) {
  const r = await signedFetch(creds, path, JSON.stringify(body || {}), headers);
  const data = await r.json().catch(() => ({}));
  if (!r.ok) throw new APIError(data.__type || "HTTP " + r.status, data.message);
  return data;
}

// ct calls a CloudTrail operation.
export const ct = (op, input) => call("/", input, { "content-type": "application/x-amz-json-1.1", "x-amz-target": "CloudTrail_20131101." + op });
// al calls an operation of auditlake's JSON API (docs/api.md).
export const al = (op, input) => call("/api/" + op, input, { "content-type": "application/json" });
