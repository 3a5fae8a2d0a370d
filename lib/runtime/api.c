/*
 * The native side of the sandbox: the `host` functions the prelude wraps into
 * Stels.net/local, Stels.sleep, logger and Deno (never visible to workers),
 * waiting, subscriptions and log records.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <time.h>
#include <unistd.h>
#include "runtime/internal.h"
#include "runtime/web/web.h"
#include "core/core.h"
#include "store/store_internal.h"
#include "util/util.h"

static ami_runtime *instance_of(duk_context *ctx)
{
    duk_memory_functions mf;
    duk_get_memory_functions(ctx, &mf);
    return mf.udata;
}

static void push_named_error(duk_context *ctx, const char *name, const char *msg)
{
    int type = !strcmp(name, "TypeError") ? DUK_ERR_TYPE_ERROR : !strcmp(name, "RangeError") ? DUK_ERR_RANGE_ERROR
                                                                                             : DUK_ERR_ERROR;
    duk_push_error_object(ctx, type, "%s", msg);
    if (type == DUK_ERR_ERROR) {
        duk_push_string(ctx, name);
        duk_put_prop_string(ctx, -2, "name");
    }
}

duk_ret_t ami__runtime_throw(duk_context *ctx, const char *name, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    push_named_error(ctx, name, msg);
    duk_throw_raw(ctx);
    for (;;) {}   /* not reached: duk_throw_raw does not return */
}

/* The error is made before the run is marked as aborting (which refuses
 * allocations), so it keeps its stack and the user's line. */
static void throw_stopped(duk_context *ctx, ami_runtime *r)
{
    int s = __atomic_load_n(&r->stop, __ATOMIC_ACQUIRE), running = r->running;
    r->running = 0;
    if (s == AMI__ABORT_LEASE) push_named_error(ctx, "LeaseLost", "the leader lease was lost");
    else push_named_error(ctx, "Stopped", "the worker was stopped");
    r->running = running;
    r->abort = s ? s : r->abort ? r->abort : AMI__ABORT_STOP;
    duk_throw_raw(ctx);
}

void ami__runtime_host_enter(duk_context *ctx, ami_runtime *r)
{
    if (r->abort == AMI__ABORT_SLICE) ami__runtime_throw(ctx, "RangeError", "execution timeout");
    if (r->abort || __atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) throw_stopped(ctx, r);
    if (r->slice_ms > 0) { r->slice_deadline = AMI__SLICE_ARMED; r->hook_ticks = 0; }
}

/* Like ami__runtime_host_enter for calls that must not count as a pause of the
 * synchronous slice (logger.*: a loop of them is still a busy loop). */
static void host_enter_busy(duk_context *ctx, ami_runtime *r)
{
    if (r->abort == AMI__ABORT_SLICE) ami__runtime_throw(ctx, "RangeError", "execution timeout");
    if (r->abort || __atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) throw_stopped(ctx, r);
}

/* Map a store error to a named script error (never returns). */
static void throw_store(duk_context *ctx, int rc, const char *what)
{
    const char *msg = ami_error_last();
    switch (rc) {
    case AMI_EKEYTOOLARGE: ami__runtime_throw(ctx, "KeyTooLarge", "%s: %s", what, msg[0] ? msg : "key over 2 KiB");
    case AMI_EVALUETOOLARGE: ami__runtime_throw(ctx, "ValueTooLarge", "%s: %s", what, msg[0] ? msg : "value over 64 KiB");
    case AMI_EINVAL: ami__runtime_throw(ctx, "TypeError", "%s: %s", what, msg);
    case AMI_EDENIED: ami__runtime_throw(ctx, "PermissionDenied", "%s: %s", what, msg);
    default: ami__runtime_throw(ctx, "StoreError", "%s: %s", what, msg[0] ? msg : ami_strerror(rc));
    }
}

static const char *const store_label[2] = { "Stels.net", "Stels.local" };

static ami_store *arg_store(duk_context *ctx, ami_runtime *r, const char *op)
{
    int which = duk_require_int(ctx, 0);
    if (which < 0 || which > 1) ami__runtime_throw(ctx, "TypeError", "bad store");
    if (!r->stores[which])
        ami__runtime_throw(ctx, "StoreError", "%s.%s: the store is not available to this worker", store_label[which], op);
    return r->stores[which];
}

/* Parse JSON text made by JSON.stringify (CESU-8; integers beyond 64 bits become
 * reals); *utf8 and *utf8_len get the
 * text as UTF-8 (the input itself, or tmp's bytes when surrogate pairs were
 * converted; the caller disposes tmp).  Returns the value or NULL when the text
 * is not JSON. */
static json_t *parse_json_keep(const char *text, size_t len, ami_buf *tmp, const char **utf8, size_t *utf8_len)
{
    if (ami__cesu8_to_utf8(text, len, tmp, utf8, utf8_len)) return NULL;
    json_t *j = json_loadb(*utf8, *utf8_len, JSON_DECODE_ANY, NULL);
    if (!j) j = json_loadb(*utf8, *utf8_len, JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL, NULL);
    return j;
}

static json_t *parse_json(const char *text, size_t len)
{
    ami_buf tmp = AMI_BUF_INIT;
    const char *t;
    size_t n;
    json_t *j = parse_json_keep(text, len, &tmp, &t, &n);
    ami_buf_dispose(&tmp);
    return j;
}

static json_t *arg_json(duk_context *ctx, duk_idx_t idx, const char *what)
{
    duk_size_t len;
    const char *text = duk_require_lstring(ctx, idx, &len);
    json_t *j = parse_json(text, len);
    if (!j) ami__runtime_throw(ctx, "TypeError", "%s: value cannot be stored as JSON", what);
    return j;
}

typedef struct { const char *p; size_t n; } text_arg;

static duk_ret_t push_text_unsafe(duk_context *ctx, void *udata)
{
    text_arg *t = udata;
    duk_push_lstring(ctx, t->p, t->n);
    return 1;
}

/* Push a copy of JSON text (UTF-8) that the caller frees afterwards: an
 * allocation failure (heap cap) must not longjmp past that free.
 * 0 or non-zero (error on top). */
static int push_text(duk_context *ctx, const char *p, size_t n)
{
    ami_buf tmp = AMI_BUF_INIT;
    text_arg t = { p, n };
    if (ami__json_for_duktape(p, n, &tmp, &t.p, &t.n)) {
        ami_buf_dispose(&tmp);
        duk_push_string(ctx, "out of memory");
        return 1;
    }
    int rc = duk_safe_call(ctx, push_text_unsafe, &t, 0, 1);
    ami_buf_dispose(&tmp);
    return rc;
}

/* host.get(which, keyText) -> null | [valueText, versionstamp] */
static duk_ret_t h_get(duk_context *ctx)
{
    ami_runtime *r = instance_of(ctx);
    ami__runtime_host_enter(ctx, r);
    r->ops[AMI__OP_GET]++;
    ami_store *st = arg_store(ctx, r, "get");
    json_t *key = arg_json(ctx, 1, "get");
    ami_buf val = AMI_BUF_INIT;
    ami_versionstamp vs = "";
    int rc = ami_store_get_text(&val, vs, st, key);
    json_decref(key);
    if (rc == AMI_ENOTFOUND) {
        ami_buf_dispose(&val);
        duk_push_null(ctx);
        return 1;
    }
    if (rc) {
        ami_buf_dispose(&val);
        throw_store(ctx, rc, duk_get_int(ctx, 0) ? "Stels.local.get" : "Stels.net.get");
    }
    /* the text first (push_text never throws), so nothing that can throw runs while val is held */
    rc = push_text(ctx, val.ptr ? val.ptr : "null", val.ptr ? val.size : 4);
    ami_buf_dispose(&val);
    if (rc) duk_throw_raw(ctx);
    duk_push_array(ctx);
    duk_swap_top(ctx, -2);
    duk_put_prop_index(ctx, -2, 0);
    duk_push_string(ctx, vs);
    duk_put_prop_index(ctx, -2, 1);
    return 1;
}

/* What one guarded commit writes: one mutation (key; set when value != NULL,
 * else delete), or a batch (checks [[key, versionstamp|null], ...] and
 * muts [[key, value] | [key], ...]). */
typedef struct {
    const json_t *key, *value;
    const json_t *checks, *muts;
    const char *text;   /* a single write's value as its checked JSON text (UTF-8), or NULL */
    size_t text_len;
} batch_src;

static int is_reserved(const json_t *key)
{
    return json_is_string(json_array_get(key, 0)) && !strcmp(json_string_value(json_array_get(key, 0)), "ami");
}

static int batch_fill(ami_atomic *a, const batch_src *b)
{
    if (b->key) return b->value ? ami_atomic_set(a, b->key, b->value, 0) : ami_atomic_delete(a, b->key);
    size_t i;
    json_t *c;
    int rc = 0;
    json_array_foreach(b->checks, i, c) {
        const json_t *vs = json_array_get(c, 1);
        if ((rc = ami_atomic_check(a, json_array_get(c, 0), json_is_string(vs) ? json_string_value(vs) : NULL))) return rc;
    }
    json_array_foreach(b->muts, i, c) {
        const json_t *k = json_array_get(c, 0), *v = json_array_get(c, 1);
        if ((rc = v ? ami_atomic_set(a, k, v, 0) : ami_atomic_delete(a, k))) return rc;
    }
    return 0;
}

/* Commit b, through the guard for Stels.net.  A batch whose own checks fail
 * sets *conflict (nothing landed; the caller reads again); a single mutation
 * has no checks of its own. */
static int mutate(duk_context *ctx, ami_runtime *r, int which, const batch_src *b, ami_versionstamp vs,
                  const char *what, int *conflict)
{
    (void)ctx;
    ami_store *st = r->stores[which];
    /* ["ami", …] in the shared store is the system's own key space (worker records,
     * leases, heartbeats, stats, done markers): a script writing there would bypass
     * setWorker's validation and the owner check, or forge a lease.  Reads stay allowed. */
    int reserved = 0;
    if (which == 0 && b->key) reserved = is_reserved(b->key);
    else if (which == 0) {
        size_t i;
        json_t *m;
        json_array_foreach(b->muts, i, m) reserved |= is_reserved(json_array_get(m, 0));
    }
    if (reserved) return ami__error_set(AMI_EDENIED, "keys under [\"ami\", ...] are reserved for the system (read-only to scripts)");
    if (b->key && (which != 0 || !r->guard)) {
        if (b->text) return ami__store_set_text(st, b->key, b->text, b->text_len, 0, vs);
        return b->value ? ami_store_set(st, b->key, b->value, 0, vs) : ami_store_delete(st, b->key);
    }
    for (int tries = 0;; tries++) {
        ami_atomic *a = NULL;
        int rc = ami_atomic_new(&a);
        if (!rc) rc = batch_fill(a, b);
        if (rc) { ami_atomic_free(a); return rc; }
        int added = which == 0 && r->guard ? r->guard(a, r->guard_payload) : 0;
        if (added < 0) { ami_atomic_free(a); return added; }
        int committed = 0;
        rc = ami_store_commit(st, a, &committed, vs);
        ami_atomic_free(a);
        if (rc) return rc;
        if (committed) return 0;
        if (!b->key && !added) { *conflict = 1; return 0; }
        if (!added) return ami__error_set(AMI_ECONFLICT, "%s: the write conflicted", what);
        /* the guard's check or the batch's own failed and nothing landed: the
         * lease lost, or a renewal of the same tenure (a single write is tried
         * again; a batch reports a conflict and its caller reads again) */
        if (tries < AMI__GUARD_RETRIES && r->guard(NULL, r->guard_payload) > 0) {
            if (!b->key) { *conflict = 1; return 0; }
            continue;
        }
        __atomic_store_n(&r->stop, AMI__ABORT_LEASE, __ATOMIC_RELEASE);
        return AMI_ELEASE;
    }
}

/* host.set(which, keyText, valueText) -> versionstamp */
static duk_ret_t h_set(duk_context *ctx)
{
    ami_runtime *r = instance_of(ctx);
    ami__runtime_host_enter(ctx, r);
    r->ops[AMI__OP_SET]++;
    (void)arg_store(ctx, r, "set");
    int which = duk_get_int(ctx, 0);
    const char *what = which ? "Stels.local.set" : "Stels.net.set";
    duk_size_t vlen;
    const char *valtext = duk_require_lstring(ctx, 2, &vlen);
    json_t *key = arg_json(ctx, 1, what);
    /* the value is checked by parsing it, and a plain write stores the (UTF-8) text
     * as the script made it rather than serialising the parsed copy again */
    ami_buf tmp = AMI_BUF_INIT;
    const char *t = NULL;
    size_t tn = 0;
    json_t *val = parse_json_keep(valtext, vlen, &tmp, &t, &tn);
    if (!val) {
        ami_buf_dispose(&tmp);
        json_decref(key);
        ami__runtime_throw(ctx, "TypeError", "%s: value cannot be stored as JSON", what);
    }
    ami_versionstamp vs = "";
    batch_src b = { key, val, NULL, NULL, t, tn };
    int conflict = 0;
    int rc = mutate(ctx, r, which, &b, vs, what, &conflict);
    ami_buf_dispose(&tmp);
    json_decref(key);
    json_decref(val);
    if (rc == AMI_ELEASE) throw_stopped(ctx, r);
    if (rc) throw_store(ctx, rc, what);
    duk_push_string(ctx, vs);
    return 1;
}

/* host.del(which, keyText) */
static duk_ret_t h_del(duk_context *ctx)
{
    ami_runtime *r = instance_of(ctx);
    ami__runtime_host_enter(ctx, r);
    r->ops[AMI__OP_DELETE]++;
    (void)arg_store(ctx, r, "delete");
    int which = duk_get_int(ctx, 0);
    const char *what = which ? "Stels.local.delete" : "Stels.net.delete";
    json_t *key = arg_json(ctx, 1, what);
    ami_versionstamp vs = "";
    batch_src b = { key, NULL, NULL, NULL, NULL, 0 };
    int conflict = 0;
    int rc = mutate(ctx, r, which, &b, vs, what, &conflict);
    json_decref(key);
    if (rc == AMI_ELEASE) throw_stopped(ctx, r);
    if (rc) throw_store(ctx, rc, what);
    return 0;
}

/* host.commit(which, batchText) -> versionstamp | null (one of the batch's checks failed)
 * batchText: [[[key, versionstamp|null], ...], [[key, value] | [key], ...]]: all or
 * nothing, through the guard like Stels.net.set (the paper exchange's book). */
static duk_ret_t h_commit(duk_context *ctx)
{
    ami_runtime *r = instance_of(ctx);
    ami__runtime_host_enter(ctx, r);
    r->ops[AMI__OP_SET]++;
    (void)arg_store(ctx, r, "commit");
    int which = duk_get_int(ctx, 0);
    const char *what = which ? "Stels.local commit" : "Stels.net commit";
    json_t *batch = arg_json(ctx, 1, what);
    batch_src b = { NULL, NULL, json_array_get(batch, 0), json_array_get(batch, 1), NULL, 0 };
    if (!json_is_array(b.checks) || !json_is_array(b.muts)) {
        json_decref(batch);
        ami__runtime_throw(ctx, "TypeError", "%s: the batch must be [checks, mutations]", what);
    }
    ami_versionstamp vs = "";
    int conflict = 0;
    int rc = mutate(ctx, r, which, &b, vs, what, &conflict);
    json_decref(batch);
    if (rc == AMI_ELEASE) throw_stopped(ctx, r);
    if (rc) throw_store(ctx, rc, what);
    if (conflict) duk_push_null(ctx);
    else duk_push_string(ctx, vs);
    return 1;
}

/* host.list(which, prefixText, limit, reverse) -> JSON text of the entries */
static duk_ret_t h_list(duk_context *ctx)
{
    ami_runtime *r = instance_of(ctx);
    ami__runtime_host_enter(ctx, r);
    r->ops[AMI__OP_LIST]++;
    ami_store *st = arg_store(ctx, r, "list");
    const char *what = duk_get_int(ctx, 0) ? "Stels.local.list" : "Stels.net.list";
    double limit = duk_require_number(ctx, 2);
    int reverse = duk_require_boolean(ctx, 3);
    json_t *prefix = arg_json(ctx, 1, what);
    ami_list_options lo = AMI_LIST_OPTIONS_INIT;
    lo.prefix = json_array_size(prefix) ? prefix : NULL;
    lo.limit = limit > 0 ? (size_t)limit : 0;
    lo.reverse = reverse;
    json_t *out = NULL;
    int rc = ami_store_list(&out, st, &lo);
    json_decref(prefix);
    if (rc) throw_store(ctx, rc, what);
    char *text = json_dumps(out, JSON_COMPACT);
    json_decref(out);
    if (!text) ami__runtime_throw(ctx, "StoreError", "%s: out of memory", what);
    rc = push_text(ctx, text, strlen(text));
    free(text);
    if (rc) duk_throw_raw(ctx);
    return 1;
}

/* ---- subscriptions ---- */

int ami__runtime_live_subs(const ami_runtime *r)
{
    int n = 0;
    for (const ami__sub *s = r->subs; s; s = s->next) n += s->live;
    return n;
}

int ami__runtime_polled_subs(const ami_runtime *r)
{
    int n = 0;
    for (const ami__sub *s = r->subs; s; s = s->next) n += s->live && !s->hk;
    return n;
}

void ami__runtime_subs_free(ami_runtime *r)
{
    ami__subhub_detach(r);
    while (r->subs) {
        ami__sub *s = r->subs;
        r->subs = s->next;
        json_decref(s->key);
        ami_free(s);
    }
}

static ami__sub *sub_find(ami_runtime *r, int id)
{
    for (ami__sub *s = r->subs; s; s = s->next)
        if (s->id == id) return s;
    return NULL;
}

/* host.sub(which, keyText) -> id; remembers the key's current versionstamp */
static duk_ret_t h_sub(duk_context *ctx)
{
    ami_runtime *r = instance_of(ctx);
    ami__runtime_host_enter(ctx, r);
    r->ops[AMI__OP_SUBSCRIBE]++;
    ami_store *st = arg_store(ctx, r, "subscribe");
    int which = duk_get_int(ctx, 0);
    const char *what = which ? "Stels.local.subscribe" : "Stels.net.subscribe";
    json_t *key = arg_json(ctx, 1, what);
    ami_buf val = AMI_BUF_INIT;
    ami_versionstamp vs = "", before = "";
    /* a change-feed hub checks the key for commits after `before` (subhub.c) */
    if ((ami_store_capabilities(st) & AMI_STORE_CAP_WATCH) && ami_store_current(st, before)) before[0] = '\0';
    int rc = ami_store_get_text(&val, vs, st, key);
    ami_buf_dispose(&val);
    if (rc && rc != AMI_ENOTFOUND) { json_decref(key); throw_store(ctx, rc, what); }
    ami__sub *s = ami_malloc(sizeof *s);
    if (!s) { json_decref(key); ami__runtime_throw(ctx, "StoreError", "%s: out of memory", what); }
    memset(s, 0, sizeof *s);
    s->id = r->next_sub_id++;
    s->which = which;
    s->key = key;
    memcpy(s->vs, vs, sizeof s->vs);
    memcpy(s->after, before, sizeof s->after);
    s->next = r->subs;
    r->subs = s;
    duk_push_int(ctx, s->id);
    return 1;
}

/* host.subLive(id, bool) */
static duk_ret_t h_sub_live(duk_context *ctx)
{
    ami_runtime *r = instance_of(ctx);
    ami__sub *s = sub_find(r, duk_require_int(ctx, 0));
    if (!s) return 0;
    s->live = duk_to_boolean(ctx, 1);
    /* followed by the store's change feed; polled when that cannot be */
    if (s->live) (void)ami__subhub_add(r, s);
    else ami__subhub_remove(r, s);
    return 0;
}

/* host.unsub(id) */
static duk_ret_t h_unsub(duk_context *ctx)
{
    ami_runtime *r = instance_of(ctx);
    int id = duk_require_int(ctx, 0);
    for (ami__sub **pp = &r->subs; *pp; pp = &(*pp)->next) {
        if ((*pp)->id == id) {
            ami__sub *s = *pp;
            *pp = s->next;
            ami__subhub_remove(r, s);
            json_decref(s->key);
            ami_free(s);
            break;
        }
    }
    return 0;
}

typedef struct { int id; char *text; } change;

static duk_ret_t dispatch_changes(duk_context *ctx, void *udata)
{
    change *ch = udata;
    duk_push_global_stash(ctx);
    duk_get_prop_string(ctx, -1, "dispatch");
    for (int i = 0; ch[i].id; i++) {
        duk_dup(ctx, -1);
        duk_push_int(ctx, ch[i].id);
        if (ch[i].text) duk_push_string(ctx, ch[i].text); else duk_push_null(ctx);
        duk_call(ctx, 2);
        duk_pop(ctx);
    }
    return 0;
}

/* Look for changed subscribed keys and hand them to their callbacks; returns how many. */
int ami__runtime_poll_subs(duk_context *ctx, ami_runtime *r)
{
    int n = 0, cap = 0;
    change *ch = NULL;
    for (int which = 0; which < 2; which++) {
        int any = 0;
        for (ami__sub *s = r->subs; s; s = s->next) any |= s->live && s->which == which;
        if (!any || !r->stores[which]) continue;
        ami_versionstamp cur = "";
        if (ami_store_current(r->stores[which], cur) == 0 && !strcmp(cur, r->seen[which])) continue;
        memcpy(r->seen[which], cur, sizeof r->seen[which]);
        for (ami__sub *s = r->subs; s; s = s->next) {
            if (!s->live || s->which != which) continue;
            ami_buf val = AMI_BUF_INIT;
            ami_versionstamp vs = "";
            int rc = ami_store_get_text(&val, vs, r->stores[which], s->key);
            if ((rc == 0 || rc == AMI_ENOTFOUND) && strcmp(vs, s->vs)) {
                memcpy(s->vs, vs, sizeof s->vs);
                if (n + 2 > cap) {
                    cap = cap ? cap * 2 : 8;
                    change *nc = ami_realloc(ch, (size_t)cap * sizeof *ch);
                    if (!nc) { ami_buf_dispose(&val); break; }
                    ch = nc;
                }
                ch[n].id = s->id;
                ch[n].text = NULL;
                if (rc == 0) {
                    ami_buf esc = AMI_BUF_INIT;
                    const char *t;
                    size_t tn;
                    if (ami__json_for_duktape(val.ptr ? val.ptr : "null", val.ptr ? val.size : 4, &esc, &t, &tn) == 0)
                        ch[n].text = t == esc.ptr ? ami_buf_detach(&esc) : ami_buf_detach(&val);
                    ami_buf_dispose(&esc);
                }
                n++;
                ch[n].id = 0;
            }
            ami_buf_dispose(&val);
        }
    }
    if (!n) { ami_free(ch); return 0; }
    if (r->slice_ms > 0) { r->slice_deadline = AMI__SLICE_ARMED; r->hook_ticks = 0; }
    int rc = duk_safe_call(ctx, dispatch_changes, ch, 0, 1);
    for (int i = 0; i < n; i++) ami_free(ch[i].text);
    ami_free(ch);
    if (rc != 0) duk_throw_raw(ctx);   /* a stop or slice error from a callback */
    duk_pop(ctx);
    return n;
}

/* host.sleepOp(): count a Stels.sleep for Deno.metrics(); throws when the run is being torn down */
static duk_ret_t h_sleep_op(duk_context *ctx)
{
    ami_runtime *r = instance_of(ctx);
    if (r->abort || __atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) ami__runtime_host_enter(ctx, r);
    r->ops[AMI__OP_SLEEP]++;
    return 0;
}

/* host.mark(): an await point (restarts the slice) */
static duk_ret_t h_mark(duk_context *ctx)
{
    ami__runtime_host_enter(ctx, instance_of(ctx));
    return 0;
}

/* host.op(i): count an operation for Deno.metrics() */
static duk_ret_t h_op(duk_context *ctx)
{
    ami_runtime *r = instance_of(ctx);
    int i = duk_require_int(ctx, 0);
    if (i >= 0 && i < AMI__OP_COUNT) r->ops[i]++;
    return 0;
}

/* ---- logging ---- */

void ami__runtime_log(ami_runtime *r, ami_log_level level, const char *msg, size_t len)
{
    r->ops[AMI__OP_LOG]++;
    if (!r->log) return;
    ami_buf utf8 = AMI_BUF_INIT;
    if (ami__cesu8_to_utf8(msg, len, &utf8, &msg, &len)) { ami_buf_dispose(&utf8); return; }
    int64_t ts = ami_time_now_ms();
    if (ts <= r->last_log_ts) ts = r->last_log_ts + 1;
    r->last_log_ts = ts;
    char *copy = NULL;
    if (len > r->log_max) {
        size_t keep = r->log_max;
        while (keep > 0 && ((unsigned char)msg[keep] & 0xC0) == 0x80) keep--;   /* whole UTF-8 characters */
        char marker[80];
        int m = snprintf(marker, sizeof marker, "... [truncated: %zu of %zu bytes shown]", keep, len);
        copy = ami_malloc(keep + (size_t)m + 1);
        if (copy) {
            memcpy(copy, msg, keep);
            memcpy(copy + keep, marker, (size_t)m + 1);
            msg = copy;
            len = keep + (size_t)m;
        } else {
            len = keep;
        }
    }
    ami_log_record rec = { ts, level, ami_log_level_name(level), r->nid, r->sid, msg, len };
    r->log(&rec, r->log_payload);
    ami_free(copy);
    ami_buf_dispose(&utf8);
}

/* host.log(level, text) */
static duk_ret_t h_log(duk_context *ctx)
{
    ami_runtime *r = instance_of(ctx);
    host_enter_busy(ctx, r);
    int level = duk_require_int(ctx, 0);
    if (level < AMI_LOG_DEBUG || level > AMI_LOG_ERROR) level = AMI_LOG_INFO;
    duk_size_t len;
    const char *msg = duk_require_lstring(ctx, 1, &len);
    ami__runtime_log(r, (ami_log_level)level, msg, len);
    return 0;
}

/* ---- Deno shims ---- */

static double rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, resident = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
        fclose(f);
    }
    return (double)resident * (double)sysconf(_SC_PAGESIZE);
}

/* host.mem() -> [heapUsed, heapTotal (the cap), rss] */
static duk_ret_t h_mem(duk_context *ctx)
{
    ami_runtime *r = instance_of(ctx);
    duk_push_array(ctx);
    duk_push_number(ctx, (double)r->heap_used);
    duk_put_prop_index(ctx, -2, 0);
    duk_push_number(ctx, (double)r->heap_max);
    duk_put_prop_index(ctx, -2, 1);
    duk_push_number(ctx, rss_bytes());
    duk_put_prop_index(ctx, -2, 2);
    return 1;
}

/* host.loadavg() -> [1, 5, 15 minute load] */
static duk_ret_t h_loadavg(duk_context *ctx)
{
    double la[3] = { 0, 0, 0 };
    if (getloadavg(la, 3) != 3) la[0] = la[1] = la[2] = 0;
    duk_push_array(ctx);
    for (int i = 0; i < 3; i++) {
        duk_push_number(ctx, la[i]);
        duk_put_prop_index(ctx, -2, (duk_uarridx_t)i);
    }
    return 1;
}

/* host.metrics() -> op counts in AMI__OP_* order */
static duk_ret_t h_metrics(duk_context *ctx)
{
    ami_runtime *r = instance_of(ctx);
    duk_push_array(ctx);
    for (int i = 0; i < AMI__OP_COUNT; i++) {
        duk_push_number(ctx, (double)r->ops[i]);
        duk_put_prop_index(ctx, -2, (duk_uarridx_t)i);
    }
    return 1;
}

void ami__runtime_push_host(duk_context *ctx, ami_runtime *inst)
{
    (void)inst;
    static const duk_function_list_entry fns[] = {
        { "get", h_get, 2 },
        { "set", h_set, 3 },
        { "del", h_del, 2 },
        { "commit", h_commit, 2 },
        { "list", h_list, 4 },
        { "sub", h_sub, 2 },
        { "subLive", h_sub_live, 2 },
        { "unsub", h_unsub, 1 },
        { "sleepOp", h_sleep_op, 0 },
        { "mark", h_mark, 0 },
        { "cexHosted", ami__runtime_cex_hosted, 0 },
        { "op", h_op, 1 },
        { "log", h_log, 2 },
        { "mem", h_mem, 0 },
        { "loadavg", h_loadavg, 0 },
        { "metrics", h_metrics, 0 },
        { "web", ami__web_host, 0 },
        { NULL, NULL, 0 }
    };
    /* lightfuncs: no object per function (host is never reachable from scripts) */
    for (int i = 0; fns[i].key; i++) {
        duk_push_c_lightfunc(ctx, fns[i].value, fns[i].nargs, fns[i].nargs, 0);
        duk_put_prop_string(ctx, -2, fns[i].key);
    }
    ami__loop_push_host(ctx);
    ami__promise_push_host(ctx);
    duk_push_global_stash(ctx);
    duk_get_prop_string(ctx, -1, "config");
    duk_remove(ctx, -2);
    duk_put_prop_string(ctx, -2, "config");
}
