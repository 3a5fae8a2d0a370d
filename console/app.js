// AMI Editor: the web console served by amid (docs/design.md §14). Talks only WebFIX
// (POST /) and the SSE log stream, like any other client.
import { adoptFragmentSession, call, dropSession, logStreamUrl, session, WebfixError } from "./api.js";
import { createEditor } from "./editor.js";

const $ = (id) => document.getElementById(id);
const CARD_H = 108;          // px: a worker card (100) and its margins (virtualised list)
const LIST_REFRESH_MS = 4000;
const LEADER_REFRESH_MS = 10000;
const STATS_REFRESH_MS = 15000;
const NEW_BADGE_MS = 3000;
const LOG_MAX = 2000;
const LEVELS = { debug: 0, info: 1, warn: 2, error: 3 };

const state = {
  role: "viewer",
  open: false,
  nid: "",
  workers: [],               // entries from listWorkers
  filtered: [],
  selected: null,            // sid
  base: null,                // {script, note, versionstamp, entry} as loaded (what "unsaved" compares with)
  created: new Map(),        // sid -> time created here (NEW badge)
  nodes: [],
  leader: null,
  leaderFetchedAt: 0,
  logSource: null,
  logPaused: false,
  logLines: [],              // {ts, level, nid, msg}
  logHeld: [],               // lines that arrived while paused
  dark: localStorage.getItem("ami.theme") !== "light",
};

let editor;

// ---------------------------------------------------------------- helpers

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

function toast(msg, kind = "info") {
  const t = el("div", "toast " + kind, msg);
  $("toasts").appendChild(t);
  setTimeout(() => t.remove(), kind === "error" ? 8000 : 3500);
}

function ago(ms) {
  if (!ms) return "-";
  const d = Math.max(0, Date.now() - ms);
  if (d < 60e3) return Math.floor(d / 1e3) + "s";
  if (d < 3600e3) return Math.floor(d / 60e3) + "m";
  if (d < 86400e3) return Math.floor(d / 3600e3) + "h";
  return Math.floor(d / 86400e3) + "d";
}

function fmtTime(ms) {
  return ms ? new Date(ms).toLocaleTimeString() : "-";
}

function fmtDateTime(ms) {
  return ms ? new Date(ms).toLocaleString() : "-";
}

const raw = (w) => (w && w.value && w.value.raw) || {};
const isOwner = () => state.role === "owner";

function firstCodeLine(script) {
  for (const l of (script || "").split("\n")) {
    const t = l.trim();
    if (t && !t.startsWith("/*") && !t.startsWith("*")) return t;
  }
  return "";
}

function handleError(e, what) {
  if (e instanceof WebfixError && e.status === 401) {
    showLogin("Your session ended or is not valid on this node.");
    return;
  }
  toast((what ? what + ": " : "") + e.message, "error");
}

// ---------------------------------------------------------------- confirm dialog

function confirmDialog(title, text, okLabel = "Confirm") {
  return new Promise((resolve) => {
    const d = $("confirm-dialog");
    $("confirm-title").textContent = title;
    $("confirm-text").textContent = text;
    $("confirm-ok").textContent = okLabel;
    const done = (v) => {
      $("confirm-ok").onclick = $("confirm-cancel").onclick = d.oncancel = null;
      if (d.open) d.close();
      resolve(v);
    };
    $("confirm-ok").onclick = () => done(true);
    $("confirm-cancel").onclick = () => done(false);
    d.oncancel = () => done(false);
    d.showModal();
  });
}

// ---------------------------------------------------------------- login / session

function showLogin(msg) {
  if (state.logSource) state.logSource.close();
  $("app").hidden = true;
  $("login-panel").hidden = false;
  $("login-url").textContent = location.origin + "/";
  $("login-error").textContent = msg || "";
  $("btn-logout").hidden = true;
}

async function logout() {
  try {
    await call("disconnectNode");
  } catch {
    // the session may be gone already
  }
  dropSession();
  showLogin("Logged out.");
}

function applyRole() {
  const ro = !isOwner();
  document.body.classList.toggle("read-only", ro);
  for (const b of document.querySelectorAll(".mutating")) b.disabled = ro;
  $("notes").readOnly = ro;
  if (editor) editor.setReadOnly(ro);
  $("role-badge").textContent = state.open ? "OPEN MODE" : ro ? "VIEWER (read-only)" : "OWNER";
  $("role-badge").className = "badge " + (ro ? "warn" : "ok");
  $("btn-logout").hidden = state.open;
}

// ---------------------------------------------------------------- registry

function matches(w, q) {
  const r = raw(w);
  if (!q) return true;
  return [r.sid, r.nid, r.assignedNode, r.note, r.version].some((v) => v && String(v).toLowerCase().includes(q));
}

function applyFilters() {
  const q = $("search").value.trim().toLowerCase();
  const st = $("filter-status").value, mode = $("filter-mode").value, pr = $("filter-priority").value;
  state.filtered = state.workers.filter((w) => {
    const r = raw(w);
    if (st === "active" && !r.active) return false;
    if (st === "inactive" && r.active) return false;
    if (mode && (r.executionMode || "parallel") !== mode) return false;
    if (pr && (r.priority || "normal") !== pr) return false;
    return matches(w, q);
  });
  const active = state.workers.filter((w) => raw(w).active).length;
  $("counts").textContent =
    `${state.workers.length} workers · ${active} active · ${state.workers.length - active} inactive` +
    (state.filtered.length !== state.workers.length ? ` · ${state.filtered.length} shown` : "");
  renderList();
}

function card(w) {
  const r = raw(w);
  const c = el("div", "worker-card");
  c.dataset.sid = r.sid;
  if (r.sid === state.selected) c.classList.add("selected");
  if (r.active) c.classList.add("active");
  const head = el("div", "card-line");
  const icon = el("span", "icon", "{}");
  if (r.active) icon.appendChild(el("span", "dot pulse"));
  head.appendChild(icon);
  if (r.executionMode === "leader") head.appendChild(el("span", "crown", "\u265B"));
  head.appendChild(el("span", "sid", r.sid));
  const created = state.created.get(r.sid);
  if (created && Date.now() - created < NEW_BADGE_MS) head.appendChild(el("span", "badge new", "NEW"));
  head.appendChild(el("span", "badge " + (r.active ? "ok" : "off"), r.active ? "ACTIVE" : "INACTIVE"));
  if (isOwner()) {
    const del = el("button", "delete", "\u2715");
    del.type = "button";
    del.title = "Delete worker";
    del.dataset.action = "delete";
    head.appendChild(del);
  }
  c.appendChild(head);
  c.appendChild(el("div", "note", r.note || ""));
  const meta = el("div", "card-meta");
  meta.appendChild(el("span", "mode-" + (r.executionMode || "parallel"), r.executionMode || "parallel"));
  meta.appendChild(el("span", "prio-" + (r.priority || "normal"), r.priority || "normal"));
  meta.appendChild(el("span", "", "\u2302 " + (r.assignedNode || r.nid || "-")));
  meta.appendChild(el("span", "", "v" + (r.version || "-")));
  meta.appendChild(el("span", "", (w.value && w.value.channel) || ""));
  meta.appendChild(el("span", "", ago(r.timestamp)));
  c.appendChild(meta);
  c.appendChild(el("div", "preview", firstCodeLine(r.script)));
  return c;
}

function renderList() {
  const box = $("worker-list");
  const n = state.filtered.length;
  const first = Math.max(0, Math.floor(box.scrollTop / CARD_H) - 4);
  const count = Math.ceil(box.clientHeight / CARD_H) + 8;
  const last = Math.min(n, first + count);
  $("list-top").style.height = first * CARD_H + "px";
  $("list-bottom").style.height = (n - last) * CARD_H + "px";
  const items = $("list-items");
  items.replaceChildren(...state.filtered.slice(first, last).map(card));
  if (!n) items.appendChild(el("p", "muted empty", state.workers.length ? "No worker matches." : "No workers yet."));
}

async function refreshList() {
  try {
    const list = await call("listWorkers");
    state.workers = Array.isArray(list) ? list : [];
    state.workers.sort((a, b) => (raw(b).timestamp || 0) - (raw(a).timestamp || 0) || (raw(a).sid < raw(b).sid ? -1 : 1));
    applyFilters();
    syncSelected();
  } catch (e) {
    handleError(e, "listWorkers");
  }
}

// A newer server copy of the selected worker: take it when nothing is edited here.
function syncSelected() {
  if (!state.selected || !state.base) return;
  const w = state.workers.find((x) => raw(x).sid === state.selected);
  if (!w) {
    toast("Worker " + state.selected.slice(0, 8) + " was deleted", "info");
    deselect();
    return;
  }
  if (w.versionstamp === state.base.versionstamp) return;
  if (!dirty().any) loadWorker(w, true);
  else renderHeader(w);   // status and metadata, keeping the edits (and the old versionstamp)
}

async function deleteWorker(sid) {
  const ok = await confirmDialog("Delete worker?", `Delete worker ${sid}? It is removed from every node. This cannot be undone.`, "Delete");
  if (!ok) return;
  try {
    await call("deleteWorker", { sid });
    toast("Deleted " + sid.slice(0, 8));
    if (state.selected === sid) deselect();
    await refreshList();
  } catch (e) {
    handleError(e, "deleteWorker");
  }
}

async function stopAll() {
  const n = state.workers.filter((w) => raw(w).active).length;
  const ok = await confirmDialog("Stop all workers?", `Stop all ${n} active workers on every node?`, "Stop all");
  if (!ok) return;
  try {
    const r = await call("stopAllWorkers");
    toast(`Stopped ${r.stopped || 0} of ${r.total || 0}` + (r.failed ? `, ${r.failed} failed` : ""), r.failed ? "error" : "info");
    await refreshList();
  } catch (e) {
    handleError(e, "stopAllWorkers");
  }
}

// ---------------------------------------------------------------- editor panel

function dirty() {
  if (!state.base) return { script: false, notes: false, any: false };
  const script = editor.getValue() !== state.base.script;
  const notes = $("notes").value !== state.base.note;
  return { script, notes, any: script || notes };
}

function renderDirty() {
  const d = dirty();
  $("unsaved").hidden = !d.any;
  $("unsaved-what").textContent = d.script && d.notes ? "BOTH" : d.script ? "SCRIPT" : "NOTES";
  $("btn-save").classList.toggle("attention", d.any);
}

function renderHeader(w) {
  const r = raw(w);
  $("ed-sid").textContent = r.sid;
  $("ed-status").textContent = r.active ? "ACTIVE" : "INACTIVE";
  $("ed-status").className = "badge " + (r.active ? "ok" : "off");
  $("ed-pulse").className = r.active ? "pulse on" : "pulse";
  $("ed-version").textContent = "v" + (r.version || "-");
  $("ed-mode").textContent = r.executionMode || "parallel";
  $("ed-mode").className = "badge mode-" + (r.executionMode || "parallel");
  $("ed-priority").textContent = r.priority || "normal";
  $("ed-priority").className = "badge prio-" + (r.priority || "normal");
  $("btn-toggle").textContent = r.active ? "STOP" : "START";
  $("btn-toggle").className = "mutating " + (r.active ? "danger" : "primary");
  $("btn-toggle").disabled = !isOwner();
  $("m-node").textContent = r.assignedNode ? r.assignedNode + " (assigned)" : (r.nid || "-") + " (creator)";
  $("m-channel").textContent = (w.value && w.value.channel) || "";
  $("m-modified").textContent = fmtDateTime(r.timestamp);
  $("m-size").textContent = (editor.getValue().length || 0) + " chars";
  $("m-run").textContent = r.mode || "loop";
  $("m-vs").textContent = w.versionstamp || "";
  $("leader-card").hidden = r.executionMode !== "leader";
}

function loadWorker(w, keepLogs) {
  const r = raw(w);
  state.base = { script: r.script || "", note: r.note || "", versionstamp: w.versionstamp, entry: w };
  editor.setValue(r.script || "");
  $("notes").value = r.note || "";
  renderHeader(w);
  renderDirty();
  if (!keepLogs) openLogs(r.sid);
  if (r.executionMode === "leader") refreshLeader();
}

async function select(sid) {
  if (state.selected === sid) return;
  if (state.base && dirty().any && !(await confirmDialog("Discard unsaved changes?", "The selected worker has unsaved changes.", "Discard"))) return;
  const w = state.workers.find((x) => raw(x).sid === sid);
  if (!w) return;
  state.selected = sid;
  state.leader = null;
  $("empty-state").hidden = true;
  $("editor-panel").hidden = false;
  editor.refresh();
  loadWorker(w, false);
  renderList();
}

function deselect() {
  state.selected = null;
  state.base = null;
  closeLogs();
  $("editor-panel").hidden = true;
  $("empty-state").hidden = false;
  renderList();
}

// Save script and notes with the versionstamp they were loaded at; 409 → conflict dialog.
let saving = false;
async function save(what = "all", overwrite = false) {
  if (!state.base || !isOwner() || saving) return;
  const d = dirty();
  const rawPatch = {};
  if ((what === "all" || what === "script") && (d.script || overwrite)) rawPatch.script = editor.getValue();
  if ((what === "all" || what === "notes") && (d.notes || overwrite)) rawPatch.note = $("notes").value;
  if (!Object.keys(rawPatch).length) {
    toast("Nothing to save");
    return;
  }
  const body = { channel: "ami.worker." + state.selected, raw: rawPatch };
  if (!overwrite) body.versionstamp = state.base.versionstamp;
  saving = true;
  try {
    const w = await call("updateWorker", body);
    takeSaved(w, rawPatch);
    toast("Saved");
    refreshList();
  } catch (e) {
    if (e instanceof WebfixError && e.status === 409) {
      $("conflict-dialog").showModal();
      return;
    }
    if (e instanceof WebfixError && e.status === 400 && /line \d+/.test(e.message)) editor.revalidate();
    handleError(e, "Save");
  } finally {
    saving = false;
  }
}

// After our own write: the new base keeps local edits that were not part of it.
function takeSaved(w, patch) {
  const r = raw(w);
  const keepScript = patch.script === undefined ? editor.getValue() : null;
  const keepNote = patch.note === undefined ? $("notes").value : null;
  state.base = { script: r.script || "", note: r.note || "", versionstamp: w.versionstamp, entry: w };
  if (keepNote !== null) $("notes").value = keepNote;
  if (keepScript !== null && keepScript !== editor.getValue()) editor.setValue(keepScript);
  renderHeader(w);
  renderDirty();
}

async function toggleActive() {
  if (!state.base) return;
  const active = !raw(state.base.entry).active;
  const wasBase = state.base;
  try {
    const w = await call("updateWorker", { channel: "ami.worker." + state.selected, raw: { active } });
    const r = raw(w);
    // Move the base forward only when nobody changed the text meanwhile (else a later save must conflict).
    if (r.script === wasBase.script && (r.note || "") === wasBase.note) {
      state.base = { ...wasBase, versionstamp: w.versionstamp, entry: w };
    } else {
      state.base = { ...wasBase, entry: w };
    }
    renderHeader(w);
    toast(active ? "Started" : "Stopped");
    refreshList();
    if (r.executionMode === "leader") setTimeout(refreshLeader, 700);
  } catch (e) {
    handleError(e, active ? "Start" : "Stop");
  }
}

async function resolveConflict(how) {
  $("conflict-dialog").close();
  if (how === "reload") {
    try {
      const w = await call("getWorker", { sid: state.selected });
      loadWorker(w, true);
      toast("Reloaded their version");
      refreshList();
    } catch (e) {
      handleError(e, "getWorker");
    }
  } else if (how === "overwrite") {
    await save("all", true);
  }
}

// ---------------------------------------------------------------- validation

let validateSeq = 0;
async function validate(text) {
  const seq = ++validateSeq;
  try {
    const r = await call("validateScript", { script: text });
    if (seq !== validateSeq) return null;
    const v = $("validation");
    if (r.valid) {
      v.textContent = "\u2713 compiles";
      v.className = "status-line ok";
    } else {
      const msg = String(r.error || "").replace(/^Invalid script content: /, "").replace(/ \(line \d+(, column \d+)?\)$/, "");
      v.textContent = "\u2716 " + (r.line ? `line ${r.line}${r.column ? ", column " + r.column : ""}: ` : "") + msg;
      v.className = "status-line error";
    }
    v.dataset.line = r.valid ? "" : String(r.line || "");
    return r;
  } catch (e) {
    if (e instanceof WebfixError && e.status === 401) handleError(e);
    return null;
  }
}

// ---------------------------------------------------------------- leader card

async function refreshLeader() {
  if (!state.selected || !state.base || raw(state.base.entry).executionMode !== "leader") return;
  const sid = state.selected;
  try {
    const [info, stats] = await Promise.all([call("getLeaderInfo", { workerId: sid }), call("getWorkerStats")]);
    if (sid !== state.selected) return;
    // getLeaderInfo has spec 003's shape (no term): the term comes from the stats of the node that leads
    if (info.term === undefined) {
      const st = (stats.workers || []).find((x) => x.sid === sid && x.nid === info.leader);
      if (st && st.term) info.term = st.term;
    }
    state.leader = info;
    state.leaderFetchedAt = Date.now();
    renderLeader();
  } catch (e) {
    handleError(e, "getLeaderInfo");
  }
}

function renderLeader() {
  const card = $("leader-card");
  const info = state.leader;
  card.classList.remove("has-leader", "no-leader", "expired");
  if (!info) return;
  const left = info.hasLeader ? info.expiresIn - (Date.now() - state.leaderFetchedAt) : 0;
  const expired = info.hasLeader && (info.isExpired || left <= 0);
  card.classList.add(!info.hasLeader ? "no-leader" : expired ? "expired" : "has-leader");
  $("leader-status").textContent = !info.hasLeader ? "\u26A0 No leader elected" : expired ? "\u2716 Lease expired" : "\u2714 Leader active";
  $("leader-node").textContent = info.leader || "-";
  $("leader-term").textContent = info.term !== undefined && info.term !== null ? String(info.term) : "-";
  $("leader-elected").textContent = fmtTime(info.timestamp);
  $("leader-renewed").textContent = fmtTime(info.renewedAt);
  $("leader-expires").textContent = info.hasLeader ? (expired ? "expired" : Math.ceil(left / 1000) + "s") : "-";
}

// ---------------------------------------------------------------- logs

function levelOk(l) {
  const min = $("log-level").value;
  return !min || (LEVELS[l.level] ?? 1) >= LEVELS[min];
}

function logRow(l) {
  const row = el("div", "log-line lvl-" + l.level);
  row.appendChild(el("span", "ts", new Date(l.ts).toISOString().slice(11, 23)));
  row.appendChild(el("span", "nid", l.nid || ""));
  row.appendChild(el("span", "lvl", l.level));
  row.appendChild(el("span", "msg", l.msg));
  return row;
}

function renderLogs() {
  const box = $("log-lines");
  const rows = state.logLines.filter(levelOk).slice(-500).map(logRow);
  box.replaceChildren(...rows);
  if ($("log-follow").checked) box.scrollTop = box.scrollHeight;
}

function addLogLines(lines) {
  if (state.logPaused) {
    state.logHeld.push(...lines);
    $("log-state").textContent = `paused (${state.logHeld.length} new)`;
    return;
  }
  state.logLines.push(...lines);
  if (state.logLines.length > LOG_MAX) state.logLines.splice(0, state.logLines.length - LOG_MAX);
  const box = $("log-lines");
  for (const l of lines) if (levelOk(l)) box.appendChild(logRow(l));
  while (box.childElementCount > 500) box.firstElementChild.remove();
  if ($("log-follow").checked) box.scrollTop = box.scrollHeight;
}

function closeLogs() {
  if (state.logSource) state.logSource.close();
  state.logSource = null;
}

function openLogs(sid) {
  closeLogs();
  state.logLines = [];
  state.logHeld = [];
  $("log-lines").replaceChildren();
  $("log-state").textContent = "connecting…";
  const es = new EventSource(logStreamUrl(sid, 200));
  state.logSource = es;
  es.onopen = () => { if (state.logSource === es) $("log-state").textContent = state.logPaused ? "paused" : "live"; };
  es.onmessage = (ev) => {
    if (state.logSource !== es) return;
    try {
      addLogLines([JSON.parse(ev.data)]);
    } catch {
      // a malformed line is skipped
    }
  };
  es.onerror = () => { if (state.logSource === es) $("log-state").textContent = "reconnecting…"; };
}

async function olderLogs() {
  if (!state.selected) return;
  const sid = state.selected;
  try {
    const all = await call("getWorkerLogs", { sid, limit: 0 });
    if (sid !== state.selected) return;
    const oldest = state.logLines.length ? state.logLines[0].ts : Infinity;
    const older = all.filter((l) => l.ts < oldest);
    state.logLines = older.slice(-1000).concat(state.logLines);
    renderLogs();
    toast(older.length ? `Loaded ${Math.min(older.length, 1000)} older lines` : "No older lines");
  } catch (e) {
    handleError(e, "getWorkerLogs");
  }
}

function togglePause() {
  state.logPaused = !state.logPaused;
  $("btn-log-pause").textContent = state.logPaused ? "RESUME" : "PAUSE";
  if (!state.logPaused) {
    const held = state.logHeld;
    state.logHeld = [];
    addLogLines(held);
    $("log-state").textContent = "live";
  } else {
    $("log-state").textContent = "paused";
  }
}

// ---------------------------------------------------------------- create dialog

let templates = [];
let chosen = null;

async function openCreate() {
  $("create-step1").hidden = false;
  $("create-step2").hidden = true;
  $("create-back").hidden = true;
  $("create-submit").hidden = true;
  $("create-error").textContent = "";
  $("create-dialog").showModal();
  try {
    const [tpl, nodes] = await Promise.all([call("listTemplates"), call("listNodes")]);
    templates = tpl;
    state.nodes = nodes;
    const g = $("template-gallery");
    g.replaceChildren(
      ...templates.map((t) => {
        const b = el("button", "template");
        b.type = "button";
        b.dataset.template = t.name;
        b.appendChild(el("b", "", t.title || t.name));
        b.appendChild(el("span", "muted", `${t.executionMode} + ${t.priority}${t.mode === "single" ? " + single" : ""}`));
        b.appendChild(el("span", "desc", t.description || ""));
        b.onclick = () => chooseTemplate(t);
        return b;
      })
    );
    const sel = $("c-node");
    sel.replaceChildren(el("option", "", "(auto)"));
    sel.firstChild.value = "";
    for (const n of nodes) {
      const o = el("option", "", `${n.nid} (${n.running}/${n.capacity} running)`);
      o.value = n.nid;
      sel.appendChild(o);
    }
  } catch (e) {
    $("create-error").textContent = e.message;
    handleError(e, "templates");
  }
}

function chooseTemplate(t) {
  chosen = t;
  $("create-template-name").textContent = t.title || t.name;
  $("c-exec").value = t.executionMode || "parallel";
  $("c-run").value = t.mode || "loop";
  $("c-priority").value = t.priority || "normal";
  $("c-note").value = t.title || "";
  $("c-node").value = "";
  $("create-step1").hidden = true;
  $("create-step2").hidden = false;
  $("create-back").hidden = false;
  $("create-submit").hidden = false;
  summarise();
}

const PRIORITY_TEXT = { critical: "50 errors, 1ms delay", high: "20 errors, 10ms delay", normal: "10 errors, 100ms delay", low: "5 errors, 1s delay" };

function summarise() {
  const mode = $("c-exec").value, node = $("c-node").value;
  const where = mode === "parallel" ? "on every node" : mode === "leader" ? "on one elected node" : "on " + (node || "(choose a node)");
  const items = [
    `Mode: ${mode} ${where}`,
    `Priority: ${$("c-priority").value} (${PRIORITY_TEXT[$("c-priority").value]})`,
    `Worker mode: ${$("c-run").value} (${$("c-run").value === "loop" ? "engine managed" : "script manages its own loop"})`,
  ];
  $("create-summary").replaceChildren(...items.map((t) => el("li", "", "\u2714 " + t)));
}

async function submitCreate() {
  if (!chosen) return;
  const body = {
    scriptContent: chosen.script,
    executionMode: $("c-exec").value,
    mode: $("c-run").value,
    priority: $("c-priority").value,
    version: $("c-version").value || "1.19.2",
    note: $("c-note").value,
    dependencies: [],
  };
  if ($("c-node").value) body.assignedNode = $("c-node").value;
  if ($("c-account").value) body.accountId = $("c-account").value;
  $("create-submit").disabled = true;
  try {
    const w = await call("setWorker", body);
    const sid = raw(w).sid;
    state.created.set(sid, Date.now());
    setTimeout(renderList, NEW_BADGE_MS + 50);
    $("create-dialog").close();
    await refreshList();
    $("search").value = "";
    applyFilters();
    await select(sid);
    toast("Worker created");
  } catch (e) {
    $("create-error").textContent = e.message;
  } finally {
    $("create-submit").disabled = !isOwner();
  }
}

// ---------------------------------------------------------------- stats and nodes

function statBox(label, value, cls = "") {
  const b = el("div", "stat " + cls);
  b.appendChild(el("span", "label", label));
  b.appendChild(el("b", "", value));
  return b;
}

async function refreshStats() {
  try {
    const s = await call("getWorkerStats");
    const body = $("stats-body");
    const rate = s.totalExecutions ? ((100 * s.totalErrors) / s.totalExecutions).toFixed(2) + "%" : "0%";
    const top = el("div", "stat-row");
    top.append(
      statBox("RUNNING", `${s.runningWorkers}/${s.totalWorkers}`),
      statBox("EXECUTIONS", (s.totalExecutions || 0).toLocaleString()),
      statBox("ERRORS", String(s.totalErrors || 0), s.totalErrors ? "bad" : ""),
      statBox("ERROR RATE", rate)
    );
    const breakdown = el("div", "stat-row");
    breakdown.append(statBox("\u26A0 Network", String(s.totalNetworkErrors || 0)), statBox("\u2716 Critical", String(s.totalCriticalErrors || 0)));
    const list = el("div", "stat-list");
    for (const w of s.workers || []) {
      const row = el("div", "stat-worker");
      const pct = parseFloat(w.errorRate) || 0;
      row.classList.add(pct > 5 ? "bad" : pct > 0 ? "warn" : "good");
      const h = el("div", "card-line");
      h.append(el("span", w.isRunning ? "dot on" : "dot"), el("span", "sid", w.sid), el("span", "badge " + (w.isRunning ? "ok" : "off"), w.isRunning ? "Running" : w.state || "Stopped"), el("span", "muted", w.nid || ""));
      row.appendChild(h);
      row.appendChild(el("div", "muted", `Exec: ${w.executions}  Err: ${w.errors} (net ${w.networkErrors}, crit ${w.criticalErrors})  Rate: ${w.errorRate}  Last run: ${ago(w.lastRun)} ago`));
      if (w.lastError) row.appendChild(el("div", "error small", "Last error: " + w.lastError));
      const bar = el("div", "bar");
      const fill = el("div", "fill");
      fill.style.width = Math.min(100, pct) + "%";
      bar.appendChild(fill);
      row.appendChild(bar);
      list.appendChild(row);
    }
    if (!(s.workers || []).length) list.appendChild(el("p", "muted", "No worker has run on this node yet."));
    body.replaceChildren(top, el("h3", "", "Error breakdown"), breakdown, el("h3", "", "Individual workers"), list);
  } catch (e) {
    handleError(e, "getWorkerStats");
  }
}

async function refreshNodes() {
  try {
    const nodes = await call("listNodes");
    state.nodes = nodes;
    const t = el("table", "nodes");
    const head = el("tr");
    for (const h of ["Node", "Network", "Running", "Capacity", "Version", "Started", "Heartbeat"]) head.appendChild(el("th", "", h));
    t.appendChild(head);
    for (const n of nodes) {
      const tr = el("tr");
      for (const v of [n.nid, n.network, n.running, n.capacity, n.version, fmtDateTime(n.startedAt), ago(n.heartbeatAt) + " ago"]) tr.appendChild(el("td", "", v));
      t.appendChild(tr);
    }
    $("nodes-body").replaceChildren(t, el("p", "muted", `${nodes.length} live node${nodes.length === 1 ? "" : "s"}`));
  } catch (e) {
    handleError(e, "listNodes");
  }
}

// ---------------------------------------------------------------- theme

function applyTheme() {
  document.documentElement.dataset.theme = state.dark ? "dark" : "light";
  if (editor) editor.setTheme(state.dark);
}

// ---------------------------------------------------------------- wiring

function wire() {
  $("search").addEventListener("input", applyFilters);
  for (const id of ["filter-status", "filter-mode", "filter-priority"]) $(id).addEventListener("change", applyFilters);
  $("worker-list").addEventListener("scroll", () => requestAnimationFrame(renderList), { passive: true });
  window.addEventListener("resize", () => renderList());
  $("list-items").addEventListener("click", (ev) => {
    const c = ev.target.closest(".worker-card");
    if (!c) return;
    if (ev.target.closest("[data-action=delete]")) {
      ev.stopPropagation();
      deleteWorker(c.dataset.sid);
      return;
    }
    select(c.dataset.sid);
  });
  $("btn-create").onclick = openCreate;
  $("btn-stop-all").onclick = stopAll;
  $("btn-toggle").onclick = toggleActive;
  $("btn-save").onclick = () => save("all");
  $("btn-save-all").onclick = () => save("all");
  $("btn-revert").onclick = () => {
    if (!state.base) return;
    editor.setValue(state.base.script);
    $("notes").value = state.base.note;
    renderDirty();
  };
  $("btn-notes-reset").onclick = () => {
    if (state.base) $("notes").value = state.base.note;
    renderDirty();
  };
  $("btn-notes-save").onclick = () => save("notes");
  $("notes").addEventListener("input", renderDirty);
  $("conflict-reload").onclick = () => resolveConflict("reload");
  $("conflict-overwrite").onclick = () => resolveConflict("overwrite");
  $("conflict-cancel").onclick = () => $("conflict-dialog").close();
  $("create-cancel").onclick = () => $("create-dialog").close();
  $("create-back").onclick = () => {
    $("create-step1").hidden = false;
    $("create-step2").hidden = true;
    $("create-back").hidden = true;
    $("create-submit").hidden = true;
  };
  $("create-submit").onclick = submitCreate;
  for (const id of ["c-exec", "c-run", "c-priority", "c-node"]) $(id).addEventListener("change", summarise);
  $("btn-stats").onclick = () => {
    $("stats-dialog").showModal();
    refreshStats();
  };
  $("stats-refresh").onclick = refreshStats;
  $("stats-close").onclick = () => $("stats-dialog").close();
  $("btn-nodes").onclick = () => {
    $("nodes-dialog").showModal();
    refreshNodes();
  };
  $("nodes-refresh").onclick = refreshNodes;
  $("nodes-close").onclick = () => $("nodes-dialog").close();
  $("btn-theme").onclick = () => {
    state.dark = !state.dark;
    localStorage.setItem("ami.theme", state.dark ? "dark" : "light");
    applyTheme();
  };
  $("btn-logout").onclick = logout;
  $("btn-log-pause").onclick = togglePause;
  $("btn-log-older").onclick = olderLogs;
  $("btn-log-clear").onclick = () => {
    state.logLines = [];
    $("log-lines").replaceChildren();
  };
  $("log-level").addEventListener("change", renderLogs);
  // Ctrl/Cmd+S anywhere in the editor panel (the code editor has its own binding too).
  document.addEventListener("keydown", (ev) => {
    if ((ev.ctrlKey || ev.metaKey) && ev.key.toLowerCase() === "s") {
      if (ev.defaultPrevented) return;   // the code editor saved already
      ev.preventDefault();
      if (state.selected && !$("editor-panel").hidden) save("all");
    }
  });
  window.addEventListener("beforeunload", (ev) => {
    if (state.base && dirty().any) ev.preventDefault();
  });

  setInterval(() => {
    if (!document.hidden && !$("app").hidden) refreshList();
  }, LIST_REFRESH_MS);
  setInterval(() => {
    if (!state.leader || $("leader-card").hidden) return;
    renderLeader();
    // the countdown ran out: ask again (the leader has most likely renewed meanwhile)
    const left = state.leader.hasLeader ? state.leader.expiresIn - (Date.now() - state.leaderFetchedAt) : 1;
    if ($("leader-auto").checked && left <= 0 && Date.now() - state.leaderFetchedAt > 2000) refreshLeader();
  }, 1000);
  setInterval(() => {
    if ($("leader-auto").checked && !$("leader-card").hidden) refreshLeader();
  }, LEADER_REFRESH_MS);
  setInterval(() => {
    if ($("stats-auto").checked && $("stats-dialog").open) refreshStats();
  }, STATS_REFRESH_MS);
}

async function start() {
  adoptFragmentSession();
  editor = createEditor($("code"), () => save("all"));
  editor.onChange(() => {
    renderDirty();
    if (state.base) $("m-size").textContent = editor.getValue().length + " chars";
  });
  editor.setValidator(validate);
  applyTheme();
  wire();
  let info;
  try {
    info = await call("getSession");
  } catch (e) {
    showLogin(session() && e.status === 401 ? "Your session ended or is not valid on this node." : e.status === 401 ? "" : e.message);
    return;
  }
  state.role = info.role;
  state.open = !!info.open;
  state.nid = info.nid || "";
  $("node-id").textContent = state.nid ? "· node " + state.nid : "";
  $("login-panel").hidden = true;
  $("app").hidden = false;
  applyRole();
  await refreshList();
  document.body.dataset.ready = "1";
}

start();
