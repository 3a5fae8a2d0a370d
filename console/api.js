// WebFIX client for the console: POST / with the session from sessionStorage.
// The session arrives once in the URL fragment (#session=…, from `amictl console`),
// is moved into this tab's sessionStorage and the fragment is cleared.

const KEY = "ami.session";

export function adoptFragmentSession() {
  const m = /(?:^#|&)session=([0-9a-fA-F]{16,128})(?:&|$)/.exec(location.hash);
  if (m) {
    sessionStorage.setItem(KEY, m[1]);
    history.replaceState(null, "", location.pathname + location.search);
  }
}

export function session() {
  return sessionStorage.getItem(KEY) || "";
}

export function dropSession() {
  sessionStorage.removeItem(KEY);
}

export class WebfixError extends Error {
  constructor(status, message, body) {
    super(message);
    this.name = "WebfixError";
    this.status = status;
    this.body = body;
  }
}

export async function call(method, body = {}) {
  const headers = { "Content-Type": "application/json" };
  const s = session();
  if (s) headers["stels-session"] = s;
  let res;
  try {
    res = await fetch("/", {
      method: "POST",
      headers,
      body: JSON.stringify({ webfix: "1.0", method, params: [], body }),
      cache: "no-store",
      credentials: "omit",
    });
  } catch (e) {
    throw new WebfixError(0, "node unreachable: " + e.message, null);
  }
  let data = null;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  if (res.status === 200 || res.status === 207) return data;
  let msg = "HTTP " + res.status;
  if (data && typeof data.error === "string") msg = data.error;
  else if (data && data.error && data.error.message) msg = data.error.message;
  throw new WebfixError(res.status, msg, data);
}

// The log stream URL for EventSource (which cannot send headers: the session goes in the query).
export function logStreamUrl(sid, limit) {
  const q = new URLSearchParams({ sid, follow: "true", limit: String(limit) });
  const s = session();
  if (s) q.set("session", s);
  return "/api/worker/logs/stream?" + q.toString();
}
