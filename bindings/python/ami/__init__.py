"""ami — Python binding of libami (ctypes over libami.so.0).

    import ami
    with ami.Store("sqlite::memory:") as store:
        store.set(["greeting"], "hello")
        print(store.get(["greeting"])["value"])

Store, Registry, Node, run() and keygen() call the library in this process;
Client talks to a remote amid over HTTP with the library's signed login.
Every failure raises ami.Error (or a subclass) with the AMI_E... code.
See docs/python.md.
"""
import threading
from ctypes import byref, c_int, c_size_t, c_void_p, create_string_buffer, pointer

from . import _lib as L
from .errors import (Ambiguous, AuthError, Conflict, Denied, Error, Invalid, LimitError, NotFound, ScriptError,
                     Stopped, Timeout, ValidationError)

__all__ = ["Store", "Atomic", "Registry", "Node", "Client", "run", "check_script", "keygen", "key_public",
           "version", "library_path", "Error", "Invalid", "ValidationError", "NotFound", "Conflict", "Timeout",
           "ScriptError", "LimitError", "Stopped", "AuthError", "Denied", "Ambiguous",
           "ITERATION", "FINISHED", "STOPPED", "ERRORED"]

library_path = L.library_path

# ami_node_wait conditions
ITERATION, FINISHED, STOPPED, ERRORED = 1, 2, 3, 4
_CONDITIONS = {"iteration": ITERATION, "finished": FINISHED, "stopped": STOPPED, "errored": ERRORED}


def version():
    """The library's version string, e.g. "0.1.0"."""
    return L.dec(L.ami_version())


def _ms(seconds, forever=-1):
    if seconds is None:
        return forever
    return max(0, int(seconds * 1000))


# ---------------------------------------------------------------- store ----

class Store:
    """A handle on a shared key-value store (thread-safe).

    Store(uri): "sqlite:PATH", a bare path, or "sqlite::memory:" (a private in-memory store).
    Store.temp(): a throw-away file store; .uri opens it from elsewhere; close() removes it.
    Keys are lists of str/int/float/bool parts; values are any JSON value.
    """

    def __init__(self, uri=None, *, _temp=False):
        self._h = L.store_p()
        self.uri = uri
        if _temp:
            u = c_void_p()
            L.check(L.ami_store_open_temp(byref(self._h), byref(u)))
            self.uri = L.take_string(u.value)
        else:
            if uri is None:
                raise TypeError("Store() needs a URI (or use Store.temp())")
            L.check(L.ami_store_open(byref(self._h), L.enc(uri)))
        self._lock = threading.Lock()

    @classmethod
    def temp(cls):
        """A throw-away SQLite file store in a fresh temporary directory (removed on close)."""
        return cls(_temp=True)

    @property
    def handle(self):
        if not self._h:
            raise Invalid(-3, "the store is closed")
        return self._h

    def close(self):
        """Close the store (a temporary store's files are removed).  Idempotent."""
        with self._lock:
            h, self._h = self._h, L.store_p()
        if h:
            L.ami_store_free(h)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        if getattr(self, "_h", None):
            self.close()

    def get(self, key):
        """The entry {"key", "value", "versionstamp"}; value and versionstamp are None when absent."""
        out = L.json_p()
        with L.JSON(key) as k:
            L.check(L.ami_store_get(byref(out), self.handle, k))
        return L.take_json(out)

    def set(self, key, value, expire_in_ms=0):
        """Set key to value (expire_in_ms > 0: gone that long after); returns the new versionstamp."""
        vs = L.VS()
        with L.JSON(key) as k, L.JSON(value) as v:
            L.check(L.ami_store_set(self.handle, k, v, int(expire_in_ms), vs))
        return L.dec(vs.value)

    def delete(self, key):
        """Delete key (no error when absent)."""
        with L.JSON(key) as k:
            L.check(L.ami_store_delete(self.handle, k))

    def list(self, prefix=None, start=None, end=None, limit=0, reverse=False):
        """Live entries in key order: strictly under prefix, from start (inclusive) to end (exclusive)."""
        out = L.json_p()
        with L.json_or_none(prefix) as p, L.json_or_none(start) as s, L.json_or_none(end) as e:
            o = L.ListOptions(1, p, s, e, int(limit), 1 if reverse else 0)
            L.check(L.ami_store_list(byref(out), self.handle, byref(o)))
        return L.take_json(out)

    def current(self):
        """The newest committed versionstamp ("" on an empty store)."""
        vs = L.VS()
        L.check(L.ami_store_current(self.handle, vs))
        return L.dec(vs.value)

    def atomic(self):
        """A new all-or-nothing batch: .check(), .set(), .delete(), then .commit()."""
        return Atomic(self)

    def watch(self, prefix=None, after=None, timeout=None):
        """Iterate over commits touching prefix (or anything), by this or another process.

        Yields the versionstamp of each new change (re-read what you need).  `after` is a
        versionstamp already seen (default: now); `timeout` (seconds) ends the iteration when
        nothing changes for that long (None: wait forever).  The GIL is released while waiting.
        """
        seen = self.current() if after is None else after
        slice_ms = 250
        with L.json_or_none(prefix) as p:
            idle = 0
            while True:
                wait = slice_ms
                if timeout is not None:
                    left = _ms(timeout) - idle
                    if left <= 0:
                        return
                    wait = min(slice_ms, left)
                vs = L.VS()
                rc = L.ami_store_watch(self.handle, p, L.enc(seen), wait, vs)
                if rc == -10:        # AMI_ETIMEOUT: one slice without a change
                    idle += wait
                    if vs.value:     # quiet through this commit: watch on from it
                        seen = L.dec(vs.value)
                    continue
                if rc == -15:        # AMI_ESTOPPED: wake()
                    return
                L.check(rc)
                idle = 0
                seen = L.dec(vs.value)
                yield seen

    def wake(self):
        """End every watch() waiting on this handle (any thread)."""
        L.ami_store_wake(self.handle)


class Atomic:
    """A batch of checks and mutations committed all or nothing (see Store.atomic)."""

    def __init__(self, store):
        self._store = store
        self._h = c_void_p()
        L.check(L.ami_atomic_new(byref(self._h)))

    def __del__(self):
        if getattr(self, "_h", None):
            L.ami_atomic_free(self._h)
            self._h = None

    def check(self, key, versionstamp):
        """Require key to be at versionstamp at commit time (None: key must be absent)."""
        with L.JSON(key) as k:
            L.check(L.ami_atomic_check(self._h, k, L.enc(versionstamp)))
        return self

    def set(self, key, value, expire_in_ms=0):
        with L.JSON(key) as k, L.JSON(value) as v:
            L.check(L.ami_atomic_set(self._h, k, v, int(expire_in_ms)))
        return self

    def delete(self, key):
        with L.JSON(key) as k:
            L.check(L.ami_atomic_delete(self._h, k))
        return self

    def commit(self):
        """The new versionstamp, or None when a check failed (nothing was written)."""
        committed = c_int(0)
        vs = L.VS()
        L.check(L.ami_store_commit(self._store.handle, self._h, byref(committed), vs))
        return L.dec(vs.value) if committed.value else None


# ------------------------------------------------------------- registry ----

def _store_handle(store):
    if isinstance(store, Store):
        return store.handle
    raise TypeError("expected an ami.Store")


class Registry:
    """Worker records in a store, in spec 003's shapes (entries are dicts)."""

    def __init__(self, store, nid="local"):
        self.store = store
        self.nid = nid

    def create(self, script=None, body=None, **fields):
        """Create a worker: create("logger.info(1)", mode="single", active=True) or create(body={...}).
        Returns the entry; entry["value"]["raw"]["sid"] is the sid."""
        b = dict(body or {})
        if script is not None:
            b["scriptContent"] = script
        b.update(fields)
        out = L.json_p()
        with L.JSON(b) as j:
            L.check(L.ami_registry_create(byref(out), _store_handle(self.store), L.enc(self.nid), j))
        return L.take_json(out)

    def list(self):
        out = L.json_p()
        L.check(L.ami_registry_list(byref(out), _store_handle(self.store)))
        return L.take_json(out)

    def get(self, sid):
        out = L.json_p()
        L.check(L.ami_registry_get(byref(out), _store_handle(self.store), L.enc(sid)))
        return L.take_json(out)

    def resolve(self, prefix):
        """The full sid of a unique sid prefix (NotFound, Ambiguous)."""
        out = c_void_p()
        L.check(L.ami_registry_resolve(byref(out), _store_handle(self.store), L.enc(prefix)))
        return L.take_string(out.value)

    def update(self, sid, raw=None, versionstamp=None, **fields):
        """Change some fields (raw dict and/or keywords); Conflict on a stale versionstamp."""
        r = dict(raw or {})
        r.update(fields)
        out = L.json_p()
        with L.JSON(r) as j:
            L.check(L.ami_registry_update(byref(out), _store_handle(self.store), L.enc(sid), j,
                                          L.enc(versionstamp)))
        return L.take_json(out)

    def set_active(self, sid, active):
        out = L.json_p()
        L.check(L.ami_registry_set_active(byref(out), _store_handle(self.store), L.enc(sid), 1 if active else 0))
        return L.take_json(out)

    def delete(self, sid):
        L.check(L.ami_registry_delete(_store_handle(self.store), L.enc(sid)))

    def stop_all(self):
        """Deactivate every worker; the report dict gains "partial": True when some failed."""
        out = L.json_p()
        partial = c_int(0)
        L.check(L.ami_registry_stop_all(byref(out), byref(partial), _store_handle(self.store)))
        report = L.take_json(out)
        report["partial"] = bool(partial.value)
        return report


# ----------------------------------------------------------------- node ----

class Node:
    """A node running its share of the workers of a store, in background threads.

        with ami.Node(store, nid="test-1") as node:   # started on enter, stopped on exit
            node.wait(sid, "finished", timeout=10)

    store: an ami.Store (shared handle; keep it open while the node lives) or a URI string.
    Keyword options are ami_node_options fields (capacity, lease_ms, loop_delay_ms, ...);
    on_iteration=callable(dict) is called after every run with sid, nid, code, error,
    duration_ms and iteration (from the worker's thread).
    """

    def __init__(self, store, nid="local", *, on_iteration=None, start=False, **options):
        self._h = L.node_p()
        self._store = store if isinstance(store, Store) else None
        fields = dict(L.NODE_DEFAULTS)
        for k, v in options.items():
            if k not in dict(L.NodeOptions._fields_) or k in ("version", "store", "local_store", "on_iteration",
                                                                "iteration_payload", "log_fn", "log_payload"):
                raise TypeError("unknown node option %r" % k)
            fields[k] = L.enc(v) if isinstance(v, str) else v
        o = L.NodeOptions(**fields)
        o.nid = L.enc(nid)
        if self._store is not None:
            o.store = store.handle
        else:
            o.store_uri = L.enc(store)
        self._cb = None
        if on_iteration is not None:
            def trampoline(it, payload):
                i = it.contents
                try:
                    on_iteration({"sid": L.dec(i.sid), "nid": L.dec(i.nid), "code": i.code,
                                  "error": L.dec(i.error), "duration_ms": i.duration_ms,
                                  "iteration": i.iteration})
                except Exception:   # never let an exception cross into C
                    import traceback
                    traceback.print_exc()
            self._cb = L.NODE_ITER_FN(trampoline)   # kept alive as long as the node
            o.on_iteration = self._cb
        self._opts = o
        L.check(L.ami_node_open(byref(self._h), byref(o)))
        self.nid = nid
        if start:
            self.start()

    @property
    def handle(self):
        if not self._h:
            raise Invalid(-3, "the node is closed")
        return self._h

    def start(self):
        L.check(L.ami_node_start(self.handle))
        return self

    def stop(self):
        """Graceful shutdown (idempotent); the node can then only be closed."""
        if self._h:
            L.check(L.ami_node_stop(self._h))

    def close(self):
        """Stop and free the node (idempotent)."""
        h, self._h = self._h, L.node_p()
        if h:
            L.ami_node_free(h)

    def __enter__(self):
        try:
            self.start()
        except Invalid:
            pass   # already started
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        if getattr(self, "_h", None):
            self.close()

    def stats(self):
        out = L.json_p()
        L.check(L.ami_node_stats(byref(out), self.handle))
        return L.take_json(out)

    def worker_stats(self, sid):
        """This node's stats for one worker, or None when it does not list it."""
        for w in self.stats().get("workers", []):
            if w.get("sid") == sid:
                return w
        return None

    def logs(self, sid, limit=0):
        """Recent log lines of a worker on this node, oldest first: [{ts, level, nid, sid, msg}]."""
        out = L.json_p()
        L.check(L.ami_node_logs(byref(out), self.handle, L.enc(sid), int(limit)))
        return L.take_json(out)

    def leader_info(self, sid):
        out = L.json_p()
        L.check(L.ami_node_leader_info(byref(out), self.handle, L.enc(sid)))
        return L.take_json(out)

    def nodes(self):
        """Live nodes of the store, from their heartbeats."""
        out = L.json_p()
        L.check(L.ami_node_list(byref(out), L.ami_node_store_handle(self.handle)))
        return L.take_json(out)

    def wait(self, sid, condition="iteration", timeout=10.0):
        """Block (GIL released) until the worker has run an iteration ("iteration"), finished its single
        run ("finished"), stopped running here ("stopped") or failed an iteration ("errored").
        Raises ami.Timeout (with the worker's state) when `timeout` seconds pass first."""
        c = _CONDITIONS.get(condition, condition)
        L.check(L.ami_node_wait(self.handle, L.enc(sid), c, _ms(timeout)))


L.ami_node_store_handle = L._fn("ami_node_store", L.store_p, L.node_p)


# ------------------------------------------------------------------ run ----

def check_script(script):
    """None when the script compiles, else the "SyntaxError: … (line L, column C)" text."""
    data = L.enc(script)
    err = L.ScriptErrorStruct()
    rc = L.ami_runtime_check_script(data, len(data), byref(err))
    if rc == 0:
        return None
    if not err.name:
        return L.dec(L.ami_error_last())
    return "%s: %s (line %d, column %d)" % (L.dec(err.name), L.dec(err.message), err.line, err.column)


def run(script, store=None, local=None, *, sid="run", nid="local", network="localnet", logs=None,
        heap_max_bytes=0, slice_ms=0):
    """Run a worker script once in this process and return what its body returned (None for undefined).

    store/local: ami.Store for Stels.net / Stels.local (None: those calls throw).  logs: a list
    that receives {"level", "msg", "ts"} per log line.  Raises ami.ScriptError (.error_name,
    .error_message, .line) when the script does not compile or throws, LimitError on a limit.
    """
    import json as _json
    worker = {"sid": sid, "script": script}
    cb = None
    if logs is not None:
        def sink(rec, payload):
            r = rec.contents
            logs.append({"ts": r.ts, "level": L.dec(r.level_name), "msg": L.dec(r.msg)})
        cb = L.RUNTIME_LOG_FN(sink)
    rt = c_void_p()
    res = L.RuntimeResult()
    with L.JSON(worker) as w:
        o = L.RuntimeOptions()
        o.version = 1
        o.net = store.handle if store is not None else None
        o.local = local.handle if local is not None else None
        o.worker = w
        o.nid = L.enc(nid)
        o.network = L.enc(network)
        o.heap_max_bytes = heap_max_bytes
        o.slice_ms = slice_ms
        if cb is not None:
            o.log = cb
        L.check(L.ami_runtime_new(byref(rt), byref(o)))
    try:
        rc = L.ami_runtime_run(rt, byref(res))
        if rc < 0:
            msg = L.dec(L.ami_error_last())
            from .errors import error_for
            err = error_for(rc, msg)
            if isinstance(err, ScriptError):
                s = lambda p: None if not p else L.ctypes.string_at(p).decode("utf-8", "replace")
                err.error_name, err.error_message = s(res.name), s(res.message)
                err.line, err.stack = res.line, s(res.stack)
            raise err
        text = None if not res.value else L.ctypes.string_at(res.value).decode("utf-8")
        return None if text is None else _json.loads(text)
    finally:
        L.ami_runtime_result_dispose(byref(res))
        L.ami_runtime_free(rt)


# ------------------------------------------------------------------ keys ----

def keygen(path):
    """Write a new secp256k1 private key (PEM, mode 0600) to path; returns the public key hex (66 digits)."""
    out = L.PUBKEY()
    L.check(L.ami_webfix_keygen(out, L.enc(str(path))))
    return L.dec(out.value)


def key_public(path):
    """The public key hex of a PEM key file."""
    out = L.PUBKEY()
    L.check(L.ami_webfix_key_public(out, L.enc(str(path))))
    return L.dec(out.value)


from .client import Client  # noqa: E402
