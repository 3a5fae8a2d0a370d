// The code editor: Debian's CodeMirror 5 (served by amid under /vendor/codemirror/)
// with JavaScript highlighting, line numbers, search/replace, toggle comment,
// completion of the worker API, and inline markers from validateScript.

// The worker API (docs/scripting.md), for completion: object path -> members.
const API = {
  "": ["Stels", "logger", "Deno", "await", "async", "const", "let", "function", "return", "try", "catch", "throw"],
  Stels: ["config", "net", "local", "webfix", "sleep", "startTime", "runtime"],
  "Stels.config": ["nid", "sid", "network", "workers", "term"],
  "Stels.net": ["get", "set", "delete", "list", "subscribe"],
  "Stels.local": ["get", "set", "delete", "list", "subscribe"],
  "Stels.runtime": ["cex"],
  logger: ["info", "warn", "error", "debug"],
  Deno: ["memoryUsage", "loadavg", "metrics", "serve"],
};

const DOCS = {
  "Stels.net.get": "get(key) → {key, value, versionstamp}",
  "Stels.net.set": "set(key, raw) → stores {channel, raw, timestamp}",
  "Stels.net.list": "list({prefix, limit, reverse}) → entries",
  "Stels.net.subscribe": "subscribe(key) → sub.on('update', fn)",
  "Stels.sleep": "sleep(ms) → Promise",
  "Stels.webfix": "webfix({brain, method, channel, module, raw, timestamp})",
};

export function apiHint(cm) {
  const cur = cm.getCursor();
  const line = cm.getLine(cur.line).slice(0, cur.ch);
  const m = /([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*\.?)$/.exec(line) || ["", ""];
  const chain = m[1];
  const dot = chain.lastIndexOf(".");
  const base = dot < 0 ? "" : chain.slice(0, dot);
  const word = dot < 0 ? chain : chain.slice(dot + 1);
  const members = API[base];
  if (!members) return null;
  const list = members
    .filter((n) => n.startsWith(word))
    .map((n) => {
      const full = base ? base + "." + n : n;
      return { text: n, displayText: DOCS[full] ? n + "  — " + DOCS[full] : n };
    });
  if (!list.length) return null;
  return { list, from: { line: cur.line, ch: cur.ch - word.length }, to: cur };
}

// Plain-text fallback when CodeMirror is not installed (amid warns at start).
class PlainEditor {
  constructor(host) {
    this.ta = document.createElement("textarea");
    this.ta.className = "plain-editor";
    this.ta.spellcheck = false;
    host.appendChild(this.ta);
  }
  getValue() { return this.ta.value; }
  setValue(v) { this.ta.value = v; }
  onChange(fn) { this.ta.addEventListener("input", fn); }
  setReadOnly(ro) { this.ta.readOnly = ro; }
  setTheme() {}
  refresh() {}
  focus() { this.ta.focus(); }
  setValidator() {}
  revalidate() {}
}

class CMEditor {
  constructor(host, onSave) {
    const CM = window.CodeMirror;
    this.validator = null;
    this.cm = CM(host, {
      value: "",
      mode: "javascript",
      lineNumbers: true,
      matchBrackets: true,
      indentUnit: 2,
      tabSize: 2,
      theme: "default",
      gutters: ["CodeMirror-lint-markers", "CodeMirror-linenumbers"],
      lint: { getAnnotations: (text, update) => this.lint(text, update), async: true, delay: 400 },
      extraKeys: {
        "Ctrl-S": () => onSave(),
        "Cmd-S": () => onSave(),
        "Ctrl-/": "toggleComment",
        "Cmd-/": "toggleComment",
        "Ctrl-Space": "autocomplete",
        "Ctrl-F": "findPersistent",
        "Cmd-F": "findPersistent",
        "Ctrl-H": "replace",
        "Shift-Ctrl-F": "replace",
        "Cmd-Alt-F": "replace",
      },
      hintOptions: { hint: apiHint, completeSingle: false },
    });
    // Complete after a '.' that follows a known API object.
    this.cm.on("inputRead", (cm, change) => {
      if (change.text.length === 1 && /^[.A-Za-z]$/.test(change.text[0]) && apiHint(cm) && !cm.state.completionActive)
        cm.showHint({ hint: apiHint, completeSingle: false });
    });
  }
  getValue() { return this.cm.getValue(); }
  setValue(v) {
    this.cm.setValue(v);
    this.cm.clearHistory();
  }
  onChange(fn) { this.cm.on("changes", fn); }
  setReadOnly(ro) { this.cm.setOption("readOnly", ro); }
  setTheme(dark) { this.cm.setOption("theme", dark ? "monokai" : "default"); }
  refresh() { this.cm.refresh(); }
  focus() { this.cm.focus(); }
  setValidator(fn) { this.validator = fn; }
  revalidate() { this.cm.performLint && this.cm.performLint(); }
  async lint(text, update) {
    if (!this.validator) return update([]);
    const r = await this.validator(text);
    if (!r || r.valid || !r.line) return update([]);
    const CM = window.CodeMirror;
    const line = Math.max(0, r.line - 1);
    const lineText = this.cm.getLine(Math.min(line, this.cm.lastLine())) || "";
    let ch = r.column ? Math.max(0, r.column - 1) : 0;
    if (ch >= lineText.length) ch = Math.max(0, lineText.length - 1);
    update([{ from: CM.Pos(line, ch), to: CM.Pos(line, Math.max(ch + 1, lineText.length)), message: r.error, severity: "error" }]);
  }
}

export function createEditor(host, onSave) {
  return window.CodeMirror ? new CMEditor(host, onSave) : new PlainEditor(host);
}
