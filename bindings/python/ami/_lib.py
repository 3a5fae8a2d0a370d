"""ctypes declarations of libami.so.0 and the glue every wrapper shares.

Only this module touches ctypes.  Calls go through ctypes.CDLL, which
releases the GIL for the duration of each call, so a blocking call (a
watch, a node wait, a script run) never stalls other Python threads.
Memory the library hands out is freed exactly once, by the library's own
free functions (ami_free, ami_json_decref, ami_runtime_result_dispose, ...).
"""
import ctypes
import ctypes.util
import json
import os
from ctypes import (CFUNCTYPE, POINTER, Structure, byref, c_char, c_char_p, c_int, c_int64, c_size_t,
                    c_uint, c_uint64, c_void_p)

# ---- finding the library ----


def _candidates():
    env = os.environ.get("AMI_LIBRARY")
    if env:
        yield env
        return
    here = os.path.dirname(os.path.abspath(__file__))
    # the build tree: bindings/python/ami -> build/libami.so.0
    yield os.path.join(here, "..", "..", "..", "build", "libami.so.0")
    # installed under PREFIX: PREFIX/lib/python3*/site-packages/ami -> PREFIX/lib/libami.so.0
    yield os.path.join(here, "..", "..", "..", "libami.so.0")
    yield os.path.join(here, "..", "..", "..", "..", "libami.so.0")
    yield "libami.so.0"
    found = ctypes.util.find_library("ami")
    if found:
        yield found


def _load():
    tried = []
    for path in _candidates():
        if os.sep in path and not os.path.exists(path):
            tried.append(path)
            continue
        path = os.path.normpath(path) if os.sep in path else path
        try:
            return ctypes.CDLL(path), path
        except OSError as e:
            tried.append("%s (%s)" % (path, e))
    raise ImportError("cannot load libami.so.0; set AMI_LIBRARY to its path. Tried: " + "; ".join(tried))


lib, library_path = _load()

# ---- types ----

json_p = c_void_p          # json_t *
store_p = c_void_p         # ami_store *
node_p = c_void_p          # ami_node *
VS = c_char * 21           # ami_versionstamp
PUBKEY = c_char * 67


class RuntimeResult(Structure):
    _fields_ = [("ok", c_int), ("code", c_int), ("name", c_void_p), ("message", c_void_p),
                ("stack", c_void_p), ("line", c_int), ("value", c_void_p)]


class LogRecord(Structure):
    _fields_ = [("ts", c_int64), ("level", c_int), ("level_name", c_char_p), ("nid", c_char_p),
                ("sid", c_char_p), ("msg", c_char_p), ("msg_len", c_size_t)]


RUNTIME_LOG_FN = CFUNCTYPE(None, POINTER(LogRecord), c_void_p)
GUARD_FN = CFUNCTYPE(c_int, c_void_p, c_void_p)


class RuntimeOptions(Structure):
    _fields_ = [("version", c_uint), ("net", store_p), ("local", store_p), ("worker", json_p),
                ("nid", c_char_p), ("network", c_char_p), ("term", c_int64), ("workers", json_p),
                ("heap_max_bytes", c_size_t), ("slice_ms", c_int), ("log_line_max", c_size_t),
                ("sub_poll_ms", c_int), ("log", RUNTIME_LOG_FN), ("log_payload", c_void_p),
                ("net_guard", GUARD_FN), ("guard_payload", c_void_p)]


class NodeLogRecord(Structure):
    _fields_ = [("ts", c_int64), ("level", c_char_p), ("nid", c_char_p), ("sid", c_char_p), ("msg", c_char_p)]


class NodeIteration(Structure):
    _fields_ = [("sid", c_char_p), ("nid", c_char_p), ("code", c_int), ("error", c_char_p),
                ("duration_ms", c_int64), ("iteration", c_uint64)]


NODE_LOG_FN = CFUNCTYPE(None, POINTER(NodeLogRecord), c_void_p)
NODE_ITER_FN = CFUNCTYPE(None, POINTER(NodeIteration), c_void_p)


class NodeOptions(Structure):
    _fields_ = [("version", c_uint), ("store_uri", c_char_p), ("local_store_uri", c_char_p), ("nid", c_char_p),
                ("network", c_char_p), ("capacity", c_int), ("lease_ms", c_int), ("renew_ms", c_int),
                ("retry_ms", c_int), ("heartbeat_ms", c_int), ("graceful_shutdown_ms", c_int),
                ("stats_ms", c_int), ("resync_ms", c_int), ("heap_bytes", c_size_t), ("slice_ms", c_int),
                ("log_line_bytes", c_size_t), ("log_ring", c_int), ("log_fn", NODE_LOG_FN),
                ("log_payload", c_void_p), ("loop_delay_ms", c_int),
                ("store", store_p), ("local_store", store_p), ("on_iteration", NODE_ITER_FN),
                ("iteration_payload", c_void_p)]


# the defaults of AMI_NODE_OPTIONS_INIT (include/ami/node.h)
NODE_DEFAULTS = dict(version=2, network=b"localnet", capacity=1024, lease_ms=60000, renew_ms=20000,
                     retry_ms=2000, heartbeat_ms=5000, graceful_shutdown_ms=5000, stats_ms=2000,
                     resync_ms=5000, heap_bytes=64 << 20, slice_ms=5000, log_line_bytes=65536,
                     log_ring=1000, loop_delay_ms=-1)


class ListOptions(Structure):
    _fields_ = [("version", c_uint), ("prefix", json_p), ("start", json_p), ("end", json_p),
                ("limit", c_size_t), ("reverse", c_int)]


def _fn(name, restype, *argtypes):
    f = getattr(lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


# common
ami_init = _fn("ami_init", c_int)
ami_shutdown = _fn("ami_shutdown", c_int)
ami_strerror = _fn("ami_strerror", c_char_p, c_int)
ami_error_last = _fn("ami_error_last", c_char_p)
ami_error_last_code = _fn("ami_error_last_code", c_int)
ami_error_clear = _fn("ami_error_clear", None)
ami_free = _fn("ami_free", None, c_void_p)
ami_version = _fn("ami_version", c_char_p)
# JSON bridge
ami_json_parse = _fn("ami_json_parse", c_int, POINTER(json_p), c_char_p, c_size_t)
ami_json_text = _fn("ami_json_text", c_void_p, json_p)
ami_json_decref = _fn("ami_json_decref", None, json_p)
# store
ami_store_open = _fn("ami_store_open", c_int, POINTER(store_p), c_char_p)
ami_store_open_temp = _fn("ami_store_open_temp", c_int, POINTER(store_p), POINTER(c_void_p))
ami_store_free = _fn("ami_store_free", None, store_p)
ami_store_get = _fn("ami_store_get", c_int, POINTER(json_p), store_p, json_p)
ami_store_list = _fn("ami_store_list", c_int, POINTER(json_p), store_p, POINTER(ListOptions))
ami_store_set = _fn("ami_store_set", c_int, store_p, json_p, json_p, c_int64, VS)
ami_store_delete = _fn("ami_store_delete", c_int, store_p, json_p)
ami_store_current = _fn("ami_store_current", c_int, store_p, VS)
ami_store_watch = _fn("ami_store_watch", c_int, store_p, json_p, c_char_p, c_int, VS)
ami_store_wake = _fn("ami_store_wake", None, store_p)
ami_atomic_new = _fn("ami_atomic_new", c_int, POINTER(c_void_p))
ami_atomic_free = _fn("ami_atomic_free", None, c_void_p)
ami_atomic_check = _fn("ami_atomic_check", c_int, c_void_p, json_p, c_char_p)
ami_atomic_set = _fn("ami_atomic_set", c_int, c_void_p, json_p, json_p, c_int64)
ami_atomic_delete = _fn("ami_atomic_delete", c_int, c_void_p, json_p)
ami_store_commit = _fn("ami_store_commit", c_int, store_p, c_void_p, POINTER(c_int), VS)
# registry
ami_registry_create = _fn("ami_registry_create", c_int, POINTER(json_p), store_p, c_char_p, json_p)
ami_registry_list = _fn("ami_registry_list", c_int, POINTER(json_p), store_p)
ami_registry_get = _fn("ami_registry_get", c_int, POINTER(json_p), store_p, c_char_p)
ami_registry_resolve = _fn("ami_registry_resolve", c_int, POINTER(c_void_p), store_p, c_char_p)
ami_registry_update = _fn("ami_registry_update", c_int, POINTER(json_p), store_p, c_char_p, json_p, c_char_p)
ami_registry_set_active = _fn("ami_registry_set_active", c_int, POINTER(json_p), store_p, c_char_p, c_int)
ami_registry_delete = _fn("ami_registry_delete", c_int, store_p, c_char_p)
ami_registry_stop_all = _fn("ami_registry_stop_all", c_int, POINTER(json_p), POINTER(c_int), store_p)
# runtime
ami_runtime_new = _fn("ami_runtime_new", c_int, POINTER(c_void_p), POINTER(RuntimeOptions))
ami_runtime_free = _fn("ami_runtime_free", None, c_void_p)
ami_runtime_run = _fn("ami_runtime_run", c_int, c_void_p, POINTER(RuntimeResult))
ami_runtime_result_dispose = _fn("ami_runtime_result_dispose", None, POINTER(RuntimeResult))
class ScriptErrorStruct(Structure):
    """ami_script_error: where and why a script does not compile."""
    _fields_ = [("name", c_char * 64), ("message", c_char * 512), ("line", c_int), ("column", c_int)]


ami_runtime_check_script = _fn("ami_runtime_check_script", c_int, c_char_p, c_size_t, POINTER(ScriptErrorStruct))
# node
ami_node_open = _fn("ami_node_open", c_int, POINTER(node_p), POINTER(NodeOptions))
ami_node_start = _fn("ami_node_start", c_int, node_p)
ami_node_stop = _fn("ami_node_stop", c_int, node_p)
ami_node_free = _fn("ami_node_free", None, node_p)
ami_node_id = _fn("ami_node_id", c_char_p, node_p)
ami_node_stats = _fn("ami_node_stats", c_int, POINTER(json_p), node_p)
ami_node_logs = _fn("ami_node_logs", c_int, POINTER(json_p), node_p, c_char_p, c_size_t)
ami_node_leader_info = _fn("ami_node_leader_info", c_int, POINTER(json_p), node_p, c_char_p)
ami_node_list = _fn("ami_node_list", c_int, POINTER(json_p), store_p)
ami_node_wait = _fn("ami_node_wait", c_int, node_p, c_char_p, c_int, c_int)
# webfix client side
ami_webfix_keygen = _fn("ami_webfix_keygen", c_int, PUBKEY, c_char_p)
ami_webfix_key_public = _fn("ami_webfix_key_public", c_int, PUBKEY, c_char_p)
ami_webfix_sign_login = _fn("ami_webfix_sign_login", c_int, POINTER(c_void_p), c_char_p)

ami_init()

# ---- glue ----


def enc(s):
    """str -> bytes for a const char * argument (None stays None)."""
    if s is None:
        return None
    if isinstance(s, bytes):
        return s
    return str(s).encode("utf-8")


def dec(b):
    return None if b is None else b.decode("utf-8", "replace")


def take_string(ptr):
    """An owned char * from the library -> str, freed with ami_free (exactly once)."""
    if not ptr:
        return None
    try:
        return ctypes.string_at(ptr).decode("utf-8", "replace")
    finally:
        ami_free(ptr)


class JSON:
    """A json_t * made from a Python value; released (once) when the block ends."""

    __slots__ = ("ptr",)

    def __init__(self, value):
        self.ptr = None
        if value is None:
            text = b"null"
        else:
            try:
                text = json.dumps(value, separators=(",", ":"), allow_nan=False).encode("utf-8")
            except (TypeError, ValueError) as e:
                from .errors import Invalid
                raise Invalid(-3, "not a JSON value: %s" % e) from None
        p = json_p()
        check(ami_json_parse(byref(p), text, len(text)))
        self.ptr = p

    def __enter__(self):
        return self.ptr

    def __exit__(self, *exc):
        self.release()

    def release(self):
        if self.ptr is not None:
            ami_json_decref(self.ptr)
            self.ptr = None

    def __del__(self):
        self.release()


def json_or_none(value):
    """JSON(value), or a no-op context giving NULL when value is None."""
    return _Null() if value is None else JSON(value)


class _Null:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False

    def release(self):
        pass


def take_json(p):
    """An owned json_t * (a json_p) -> a Python value; the reference is dropped exactly once."""
    if not p or not p.value:
        return None
    try:
        text = take_string(ami_json_text(p))
    finally:
        ami_json_decref(p)
    if text is None:
        raise MemoryError("libami: cannot serialise a JSON result")
    return json.loads(text)


def check(rc):
    """Raise the ami.Error subclass for a negative result code (message read on this thread, right after the call)."""
    if rc < 0:
        from .errors import error_for
        raise error_for(rc, dec(ami_error_last()))
    return rc
