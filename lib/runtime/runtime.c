/*
 * Worker instances: a Duktape heap per instance (limits.c counts its
 * memory), the sandbox globals and the prelude (prelude.c), the script
 * compiled once (compile.c), stop; results in result.c, runs in loop.c.
 */
#define _GNU_SOURCE 1   /* pthread_getattr_np, memmem */
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <time.h>
#include "runtime/internal.h"
#include "runtime/lower/lower.h"
#include "runtime/web/web.h"
#include "core/core.h"
#include "util/util.h"

/* Everything that allocates in the heap runs protected: with a small heap
 * cap any push may fail, and an error outside a protected call is fatal. */
typedef struct {
    ami_runtime *r;
    const char *workers;      /* the workers as JSON text; NULL: none */
    int64_t term;             /* > 0, else null */
    const char *cex;
    const char *src;          /* the lowered script, when not cached */
    size_t len;
    const void *code;         /* else its cached bytecode */
    size_t code_size;
    void *dump;               /* out: the bytecode of a script compiled here (malloc'd) */
    size_t dump_size;
    ami_script_error se;
    int prelude_only;         /* the template of shared strings: no script */
    int rc;
} setup_arg;

/* -> [body] (the instance's permanent value stack) */
/* Duktape.errThrow: `o.f()` with o.f not callable.  Duktape creates that
 * TypeError when it reads o.f, where the script's line is not yet up to date
 * (it shows the line of the previous call), and throws it at the call, where
 * the line is right: take the line of the innermost script activation then.
 * Native (no bytecode, so a stop or lease loss never interrupts it); other
 * errors pass untouched. */
static duk_ret_t h_err_throw(duk_context *ctx)
{
    if (!duk_is_error(ctx, 0) || duk_get_error_code(ctx, 0) != DUK_ERR_TYPE_ERROR) return 1;
    duk_get_prop_string(ctx, 0, "message");
    const char *m = duk_get_string(ctx, -1);
    int match = m && strstr(m, "not callable (property ");
    duk_pop(ctx);
    if (!match || duk_has_prop_string(ctx, 0, "__ami_line")) return 1;
    for (duk_int_t level = -1; level >= -64; level--) {
        duk_inspect_callstack_entry(ctx, level);
        if (duk_is_undefined(ctx, -1)) { duk_pop(ctx); break; }
        duk_get_prop_string(ctx, -1, "function");
        duk_get_prop_string(ctx, -1, "fileName");
        int user = duk_is_string(ctx, -1) && !strcmp(duk_get_string(ctx, -1), AMI__SCRIPT_FILENAME);
        duk_pop_2(ctx);
        if (user) {
            duk_get_prop_string(ctx, -1, "lineNumber");
            duk_int_t line = duk_get_int(ctx, -1);
            duk_pop_2(ctx);
            if (line <= 0) break;
            /* the stack text first (its getter reads the old line), then the line */
            duk_get_prop_string(ctx, 0, "stack");
            const char *st = duk_get_string(ctx, -1);
            const char *tag = "(" AMI__SCRIPT_FILENAME ":";
            const char *p = st ? strstr(st, tag) : NULL;
            if (p) {
                const char *q = p + strlen(tag);
                while (*q >= '0' && *q <= '9') q++;
                duk_push_lstring(ctx, st, (duk_size_t)(p - st));
                duk_push_sprintf(ctx, "%s%ld", tag, (long)line);
                duk_push_string(ctx, q);
                duk_concat(ctx, 3);
                duk_push_string(ctx, "stack");
                duk_swap_top(ctx, -2);
                duk_def_prop(ctx, 0, DUK_DEFPROP_HAVE_VALUE | DUK_DEFPROP_SET_WRITABLE | DUK_DEFPROP_SET_CONFIGURABLE |
                                     DUK_DEFPROP_CLEAR_ENUMERABLE | DUK_DEFPROP_FORCE);
            }
            duk_pop(ctx);
            duk_push_string(ctx, "lineNumber");
            duk_push_int(ctx, line);
            duk_def_prop(ctx, 0, DUK_DEFPROP_HAVE_VALUE | DUK_DEFPROP_SET_WRITABLE | DUK_DEFPROP_SET_CONFIGURABLE |
                                 DUK_DEFPROP_CLEAR_ENUMERABLE | DUK_DEFPROP_FORCE);
            break;
        }
        duk_pop(ctx);
    }
    duk_dup(ctx, 0);
    return 1;
}

/* [body] -> [bytecode]: a malloc'd copy into a->dump */
static duk_ret_t dump_body(duk_context *ctx, void *udata)
{
    setup_arg *a = udata;
    duk_dump_function(ctx);
    duk_size_t n = 0;
    const void *p = duk_get_buffer_data(ctx, -1, &n);
    if (p && n && (a->dump = malloc(n))) {
        memcpy(a->dump, p, n);
        a->dump_size = n;
    }
    return 1;
}

static duk_ret_t setup_instance(duk_context *ctx, void *udata)
{
    setup_arg *a = udata;
    duk_get_global_string(ctx, "Duktape");
    duk_push_c_function(ctx, h_err_throw, 1);
    duk_put_prop_string(ctx, -2, "errThrow");
    duk_pop(ctx);
    /* Stels.config and startTime for the prelude (host.config): pushed
     * here, not JSON text parsed there (~3 % of a create, most of it
     * converting startTime's digits) */
    duk_push_global_stash(ctx);
    duk_push_object(ctx);
    duk_push_string(ctx, a->r->nid);
    duk_put_prop_string(ctx, -2, "nid");
    duk_push_string(ctx, a->r->sid);
    duk_put_prop_string(ctx, -2, "sid");
    duk_push_string(ctx, a->r->network);
    duk_put_prop_string(ctx, -2, "network");
    if (a->workers) {
        duk_push_string(ctx, a->workers);
        duk_json_decode(ctx, -1);
    } else {
        duk_push_array(ctx);
    }
    duk_put_prop_string(ctx, -2, "workers");
    if (a->term > 0) duk_push_number(ctx, (double)a->term);
    else duk_push_null(ctx);
    duk_put_prop_string(ctx, -2, "term");
    duk_push_number(ctx, (double)a->r->start_time);
    duk_put_prop_string(ctx, -2, "startTime");
    duk_push_string(ctx, a->cex);
    duk_put_prop_string(ctx, -2, "cex");
    duk_put_prop_string(ctx, -2, "config");
    duk_pop(ctx);
    ami__runtime_setup_prelude(ctx, a->r);
    if (a->prelude_only) {
        duk_push_undefined(ctx);
        return 1;
    }
    if (a->code) {
        ami__runtime_load_code(ctx, a->code, a->code_size, 1);
        return 1;
    }
    a->rc = ami__runtime_compile(ctx, a->src, a->len, &a->se);
    if (a->rc) return 0;
    ami__script_cache_count_compile();
    /* its bytecode for the next instance of this script (script_cache.c);
     * not cached when the heap cap leaves no room for the dump */
    duk_dup_top(ctx);
    if (duk_safe_call(ctx, dump_body, a, 1, 1) != 0) { free(a->dump); a->dump = NULL; }
    duk_pop(ctx);
    return 1;
}

static int fail_new(ami_runtime *r, int code)
{
    ami_runtime_free(r);
    return code;
}

/* ami_runtime_new; with prelude_only an instance of the prelude alone, the
 * template of the shared strings (no script looked up, lowered or cached) */
static int runtime_build(ami_runtime **out, const ami_runtime_options *in, int prelude_only)
{
    if (!out) return ami__error_set(AMI_EINVAL, "runtime: out is NULL");
    *out = NULL;
    if (!in || in->version < 1 || in->version > AMI_RUNTIME_OPTIONS_VERSION)
        return ami__error_set(AMI_EINVAL, "runtime: missing options or bad version");
    /* a host built against an older header passed a shorter struct: read only its version's fields */
    ami_runtime_options full = AMI_RUNTIME_OPTIONS_INIT;
    memcpy(&full, in, in->version == 1 ? offsetof(ami_runtime_options, ready)
                    : in->version == 2 ? offsetof(ami_runtime_options, allow_net)
                    : in->version == 3 ? offsetof(ami_runtime_options, cex) : sizeof full);
    const ami_runtime_options *opts = &full;
    const char *cex_mode = opts->cex && !strcmp(opts->cex, "paper") ? "paper" : "";
    const json_t *script = opts->worker ? json_object_get(opts->worker, "script") : NULL;
    if (!json_is_string(script)) return ami__error_set(AMI_EINVAL, "runtime: worker has no script");
    if (opts->workers && !json_is_array(opts->workers))
        return ami__error_set(AMI_EINVAL, "runtime: workers must be a JSON array");
    const char *sid = json_string_value(json_object_get(opts->worker, "sid"));

    ami_runtime *r = ami_malloc(sizeof *r);
    if (!r) return ami__error_oom();
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->mu, NULL);
    ami__cond_init_mono(&r->cv);
    r->heap_max = opts->heap_max_bytes ? opts->heap_max_bytes : AMI_RUNTIME_HEAP_DEFAULT;
    r->slice_ms = opts->slice_ms == 0 ? AMI_RUNTIME_SLICE_DEFAULT_MS : opts->slice_ms;
    r->log_max = opts->log_line_max ? opts->log_line_max : AMI_RUNTIME_LOG_LINE_DEFAULT;
    r->poll_ms = opts->sub_poll_ms > 0 ? opts->sub_poll_ms : 20;
    r->stores[0] = opts->net;
    r->stores[1] = opts->local;
    r->term = opts->term;
    r->log = opts->log;
    r->log_payload = opts->log_payload;
    r->guard = opts->net_guard;
    r->guard_payload = opts->guard_payload;
    if (opts->version >= 2) {   /* version 1 callers pass the shorter struct */
        r->loop.ready = opts->ready;
        r->loop.ready_payload = opts->ready_payload;
    }
    r->next_sub_id = 1;
    r->start_time = ami_time_now_ms();
    r->nid = ami__strdup(opts->nid ? opts->nid : "");
    r->sid = ami__strdup(sid ? sid : "");
    r->network = ami__strdup(opts->network ? opts->network : "");
    if (!r->nid || !r->sid || !r->network) return fail_new(r, ami__error_oom());
    /* version 3 added the network fields: older callers pass a shorter struct (nothing allowed) */
    ami_runtime_options netopts = AMI_RUNTIME_OPTIONS_INIT;
    if (opts->version >= 3) netopts = *opts;
    int wrc = ami__web_new(&r->web, &netopts);
    if (wrc) return fail_new(r, wrc);

    /* Duktape cannot survive an allocation failure while it creates its
     * built-ins, so the cap applies from the first allocation after that */
    r->heap_max = (size_t)-1 / 2;
    r->ctx = duk_create_heap(ami__runtime_alloc, ami__runtime_realloc, ami__runtime_free_block, r, ami__runtime_fatal);
    r->heap_max = opts->heap_max_bytes ? opts->heap_max_bytes : AMI_RUNTIME_HEAP_DEFAULT;
    if (!r->ctx) return fail_new(r, ami__error_set(AMI_ENOMEM, "runtime: cannot create a heap within %zu bytes", r->heap_max));
    duk_context *ctx = r->ctx;
    /* a fresh heap collects at its first allocation (Duktape leaves the
     * count of its built-ins' allocations below zero): a full collection of
     * a heap that holds no garbage yet, ~1.6 % of a create.  Counted from
     * here instead, as after a collection: setup (a few thousand
     * allocations) then meets none unless the script is big */
    ami__duk_gc_settle(ctx);

    /* the workers for Stels.config, as JSON text (setup_instance decodes it) */
    char *cfgtext = NULL;
    if (opts->workers && json_array_size(opts->workers) > 0) {
        cfgtext = json_dumps(opts->workers, JSON_COMPACT);
        if (!cfgtext) return fail_new(r, ami__error_oom());
    }

    ami_buf src = AMI_BUF_INIT;
    setup_arg a;
    memset(&a, 0, sizeof a);
    const char *lang = json_string_value(json_object_get(opts->worker, "language"));
    int lang_id = !lang ? AMI__LANG_AUTO : !strcmp(lang, "ts") ? AMI__LANG_TS : AMI__LANG_JS;
    /* the script compiled by an earlier instance, else lowered and compiled here */
    ami__script_key key;
    ami__script_key_make(&key, json_string_value(script), json_string_length(script), lang_id);
    const ami__script_code *cached = prelude_only ? NULL : ami__script_cache_get(&key, &a.code, &a.code_size, &r->body_async);
    int rc = 0;
    if (!cached && !prelude_only) {
        rc = ami__runtime_prepare_source(json_string_value(script), json_string_length(script), lang_id, &src, &a.se);
        if (rc) {
            free(cfgtext);
            ami_buf_dispose(&src);
            return fail_new(r, rc == AMI_ESCRIPT ? ami__error_script(AMI_ESCRIPT, &a.se, NULL) : rc);
        }
        r->body_async = src.ptr && memmem(src.ptr, src.size, "__ami_await", 11) != NULL;
    }
    ami__runtime_prelude_init();
    a.r = r;
    a.workers = cfgtext;
    a.term = opts->term;
    a.cex = cex_mode;
    a.src = src.ptr ? src.ptr : "";
    a.len = src.size;
    a.prelude_only = prelude_only;
    rc = duk_safe_call(ctx, setup_instance, &a, 0, 1);
    ami__script_cache_release(cached);
    if (rc == 0 && a.dump) ami__script_cache_put(&key, a.dump, a.dump_size, r->body_async);
    free(a.dump);
    free(cfgtext);
    ami_buf_dispose(&src);
    if (rc != 0 || a.rc) {
        if (r->heap_hit) return fail_new(r, ami__error_set(AMI_ENOMEM, "runtime: the heap limit of %zu bytes is too small for the worker", r->heap_max));
        if (a.rc) return fail_new(r, ami__error_script(AMI_ESCRIPT, &a.se, NULL));
        ami__error_set(AMI_ERROR, "runtime: setting up the sandbox failed: %s", duk_safe_to_string(ctx, -1));
        return fail_new(r, AMI_ERROR);
    }
    if (duk_get_top(ctx) != 1) return fail_new(r, ami__error_set(AMI_ERROR, "runtime: unexpected value stack"));
    /* no collection after setup: what setup drops is freed by reference
     * counting as it goes (the loaded templates lose their .prototype cycles,
     * scripts/duk_lean.c; the replaced built-ins theirs, prelude.js), so one
     * would find ~0.3 KB to free for ~7 % of a create; the next one is
     * counted from here as if it had run */
    ami__duk_gc_settle(ctx);
    /* loading the prelude grew the value stack to ~200 slots; the body's
     * runs need far fewer and grow it again if they do */
    ami__duk_valstack_trim(ctx, 0);   /* no coroutine yet */
    *out = r;
    return 0;
}

/* The strings every instance interns (a bare heap's built-in names, the
 * prelude's: ~720, ~31 KB in each heap) made once per process from a
 * template instance with an empty config, then shared read-only by every
 * heap made after (scripts/duk_shared_strings.c).  A template that cannot be
 * made leaves each heap with its own copies, as before. */
static pthread_once_t strings_once = PTHREAD_ONCE_INIT;

static void strings_share(void)
{
    ami_runtime_options o = AMI_RUNTIME_OPTIONS_INIT;
    json_t *worker = json_pack("{s:s}", "script", "");
    ami_runtime *t = NULL;
    o.worker = worker;
    if (worker && runtime_build(&t, &o, 1) == 0) {
        /* only what an idle instance holds: a garbage cycle's strings would
         * be shared or not depending on when the collector last ran */
        duk_gc(t->ctx, 0);
        duk_gc(t->ctx, 0);
        ami__duk_strings_share(t->ctx);
    }
    ami_runtime_free(t);
    json_decref(worker);
}

AMI_EXTERN(int) ami_runtime_new(ami_runtime **out, const ami_runtime_options *in)
{
    pthread_once(&strings_once, strings_share);
    return runtime_build(out, in, 0);
}

AMI_EXTERN(void) ami_runtime_free(ami_runtime *r)
{
    if (!r) return;
    pthread_mutex_lock(&r->mu);
    r->closing = 1;
    pthread_mutex_unlock(&r->mu);
    ami__loop_close(r);
    /* no finalizers to run: just free its blocks (scripts/duk_lean.c) */
    if (r->ctx && ami__duk_destroy_heap_nofin(r->ctx) != 0) duk_destroy_heap(r->ctx);
    ami__loop_dispose(r);
    ami__runtime_subs_free(r);
    ami__web_free(r->web);
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
    ami_free(r->nid);
    ami_free(r->sid);
    ami_free(r->network);
    ami_free(r);
}

/* ---- stop ---- */

AMI_EXTERN(void) ami_runtime_stop(ami_runtime *r)
{
    if (!r) return;
    pthread_mutex_lock(&r->mu);
    int expected = 0;
    __atomic_compare_exchange_n(&r->stop, &expected, AMI__ABORT_STOP, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
    pthread_cond_broadcast(&r->cv);
    ami__loop_io_kick(r);
    pthread_mutex_unlock(&r->mu);
    ami__loop_drop_tasks(r);   /* pending tasks never run now */
    if (r->loop.ready) r->loop.ready(r->loop.ready_payload);
}

AMI_EXTERN(int) ami_runtime_stop_requested(const ami_runtime *r)
{
    return r && __atomic_load_n(&r->stop, __ATOMIC_ACQUIRE) != 0;
}

AMI_EXTERN(void) ami_runtime_reset_stop(ami_runtime *r)
{
    if (!r) return;
    __atomic_store_n(&r->stop, 0, __ATOMIC_RELEASE);
    r->abort = 0;
}

AMI_EXTERN(void) ami_runtime_set_term(ami_runtime *r, int64_t term)
{
    if (!r) return;
    r->pending_term = term;
    r->term_dirty = 1;
}

AMI_EXTERN(size_t) ami_runtime_heap_used(const ami_runtime *r)
{
    return r ? __atomic_load_n(&r->heap_used, __ATOMIC_RELAXED) : 0;
}

AMI_EXTERN(size_t) ami_runtime_heap_peak(const ami_runtime *r)
{
    return r ? __atomic_load_n(&r->heap_peak, __ATOMIC_RELAXED) : 0;
}

AMI_EXTERN(int) ami_runtime_subscriptions(const ami_runtime *r)
{
    return r ? ami__runtime_live_subs(r) : 0;
}

/* Duktape's recursion limits are only safe on a large enough stack; say so
 * (once per process) when an instance runs on a smaller one. */
void ami__runtime_check_stack(ami_runtime *r)
{
    static int warned;
    r->stack_checked = 1;
    if (__atomic_load_n(&warned, __ATOMIC_RELAXED)) return;
    pthread_attr_t attr;
    size_t size = 0;
    if (pthread_getattr_np(pthread_self(), &attr) != 0) return;
    pthread_attr_getstacksize(&attr, &size);
    pthread_attr_destroy(&attr);
    if (size && size < AMI_RUNTIME_STACK_MIN && !__atomic_exchange_n(&warned, 1, __ATOMIC_RELAXED))
        ami__log(AMI__LOG_WARN, "runtime: worker %s runs on a %zu KiB thread stack, below AMI_RUNTIME_STACK_MIN "
                 "(%u KiB): a deeply recursive script may crash the process", r->sid, size / 1024,
                 AMI_RUNTIME_STACK_MIN / 1024);
}

AMI_EXTERN(const char *) ami_log_level_name(ami_log_level level)
{
    switch (level) {
    case AMI_LOG_DEBUG: return "debug";
    case AMI_LOG_INFO: return "info";
    case AMI_LOG_WARN: return "warn";
    case AMI_LOG_ERROR: return "error";
    }
    return "info";
}
