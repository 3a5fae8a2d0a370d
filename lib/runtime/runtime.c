/*
 * Worker instances: a Duktape heap per instance with a counting allocator,
 * the sandbox globals, the script compiled once, runs, stop and pump.
 */
#define _GNU_SOURCE 1   /* pthread_getattr_np, memmem */
#include <stdarg.h>
#include <stdio.h>
#include <malloc.h>   /* malloc_usable_size */
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <errno.h>
#include <time.h>
#include "runtime/internal.h"
#include "runtime/lower/lower.h"
#include "runtime/web/web.h"
#include "core/core.h"
#include "util/util.h"

#define PRELUDE_FILENAME "ami:prelude"
#define BODY_PREFIX "function(){"

/* ---- counting allocator ----
 * The count is what malloc reports usable for each block: a size header of
 * our own would add 16 bytes to each of a heap's ~2,000 blocks (~35 KB of an
 * idle instance). */

static void count_add(ami_runtime *r, size_t add, size_t sub)
{
    size_t used = r->heap_used + add - sub;
    __atomic_store_n(&r->heap_used, used, __ATOMIC_RELAXED);
    if (used > r->heap_peak) __atomic_store_n(&r->heap_peak, used, __ATOMIC_RELAXED);
}

/* While a run is being torn down (stop, lost lease, slice), refuse
 * allocations: Duktape counts only bytecode instructions between interrupt
 * checks, so a loop spending its time in allocating built-ins (join, concat,
 * …) would otherwise take minutes to reach the next check.  A refused
 * allocation makes the built-in throw at once.
 *
 * Allocations of at least AMI__ALLOC_BLOCK_MIN bytes
 * are refused, and smaller ones too while the heap is small.  On a heap of
 * AMI__ALLOC_BIG_HEAP or more, a small one is refused at most every
 * AMI__ALLOC_REFUSE_GAP_MS (the first that long after the teardown began):
 * Duktape answers a refused allocation with up to ten full collections and
 * retries, which on a big heap takes a while, and
 * refusing every small block (each error object, each property table) made a
 * stop take seconds; but one refusal is needed to end a built-in that runs
 * without interrupts (catastrophic RegExp backtracking allocates small blocks).
 */
#define AMI__ALLOC_BLOCK_MIN 1024
#define AMI__ALLOC_REFUSE_GAP_MS 100
#define AMI__ALLOC_BIG_HEAP ((size_t)4 << 20)
#define AMI__ALLOC_RETRIES 11     /* first try + DUK_HEAP_ALLOC_FAIL_MARKANDSWEEP_LIMIT */

static int refuse_small(ami_runtime *r, size_t size)
{
    if (r->heap_used < AMI__ALLOC_BIG_HEAP) return 1;   /* collections are cheap: refuse them all */
    int64_t now = ami_time_mono_ms();
    if (r->refuse_left > 0) {
        /* refusing one request and its retries; the collections between them
         * allocate other sizes (compaction), which go through */
        if (size == r->refuse_size && now - r->refuse_end < 1000) {
            if (--r->refuse_left == 0) r->refuse_end = now;
            return 1;
        }
        if (now - r->refuse_end < 1000) return 0;
        r->refuse_left = 0;   /* the request was not retried to the end */
        r->refuse_end = now;
    }
    if (now - r->refuse_end > 2000) {
        /* a new teardown: give the interrupt a first chance (a bytecode loop
         * ends at the next check without any collection) */
        r->refuse_end = now;
        return 0;
    }
    if (now - r->refuse_end < AMI__ALLOC_REFUSE_GAP_MS) return 0;
    r->refuse_size = size;
    r->refuse_left = AMI__ALLOC_RETRIES - 1;
    r->refuse_end = now;   /* while refusing: when it started */
    return 1;
}

/* On a big heap big blocks are refused as sparingly as small ones: until the
 * next interrupt (up to 256k bytecode instructions) a loop that allocates
 * (a 30,000-link promise chain being built) otherwise met a refusal, ten
 * collections of a deep heap and an error at nearly every step: seconds. */
static int refuse(ami_runtime *r, size_t size)
{
    return (size >= AMI__ALLOC_BLOCK_MIN && r->heap_used < AMI__ALLOC_BIG_HEAP) || refuse_small(r, size);
}

/* A stop or slice limit is due: the next instruction ends the run, and
 * allocations are refused now and then for built-ins that run long without
 * instructions (catastrophic RegExp backtracking). */
static int due(ami_runtime *r, size_t size)
{
    if (r->ctx) ami__duk_interrupt_now(r->ctx);
    return refuse(r, size);
}

static int alloc_blocked(ami_runtime *r, size_t size)
{
    if (!r->running) return 0;
    if (r->abort || __atomic_load_n(&r->stop, __ATOMIC_RELAXED)) {
        if (!ami__runtime_exec_timeout_check(r)) return 0;
        return due(r, size);
    }
    if (++r->alloc_tick & 63) return 0;   /* look at the clock now and then */
    return ami__runtime_exec_timeout_check(r) && due(r, size);
}

static void *rt_alloc(void *udata, duk_size_t size)
{
    ami_runtime *r = udata;
    if (size == 0) return NULL;
    if (alloc_blocked(r, size)) return NULL;
    if (r->heap_used + size > r->heap_max) { r->heap_hit = 1; return NULL; }
    void *p = malloc(size);
    if (!p) return NULL;
    count_add(r, malloc_usable_size(p), 0);
    return p;
}

static void rt_free(void *udata, void *ptr)
{
    ami_runtime *r = udata;
    if (!ptr) return;
    count_add(r, 0, malloc_usable_size(ptr));
    free(ptr);
}

static void *rt_realloc(void *udata, void *ptr, duk_size_t size)
{
    ami_runtime *r = udata;
    if (!ptr) return rt_alloc(udata, size);
    if (size == 0) { rt_free(udata, ptr); return NULL; }
    size_t old = malloc_usable_size(ptr);
    if (size > old && alloc_blocked(r, size)) return NULL;
    if (size > old && r->heap_used + (size - old) > r->heap_max) { r->heap_hit = 1; return NULL; }
    void *q = realloc(ptr, size);
    if (!q) return NULL;
    count_add(r, malloc_usable_size(q), old);
    return q;
}

static void rt_fatal(void *udata, const char *msg)
{
    (void)udata;
    /* Duktape cannot continue after a fatal error (it only happens outside a
     * protected call, i.e. a libami bug); there is no safe way back. */
    fprintf(stderr, "libami: fatal Duktape error: %s\n", msg ? msg : "(none)");
    abort();
}

/* The slice clock: the coarse monotonic clock (a few ms resolution) costs a
 * memory read, where the precise one is a third of a trivial run's time on
 * some virtual machines. */
int64_t ami__runtime_slice_clock(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Called by Duktape every ~256k bytecode instructions (duk_config.h). */
int ami__runtime_exec_timeout_check(void *udata)
{
    ami_runtime *r = udata;
    if (!r || r->resetting) return 0;
    if (r->abort) return 1;
    int s = __atomic_load_n(&r->stop, __ATOMIC_ACQUIRE);
    if (s) { r->abort = s; return 1; }
    /* Duktape also calls this once per entry from C (every run): that first
     * call of a slice does not read the clock, and the slice is stamped with
     * its start time at the second (one interrupt interval, a few ms, late),
     * so a trivial run never reads the clock. */
    if (r->slice_deadline && ++r->hook_ticks > 1) {
        int64_t now = ami__runtime_slice_clock();
        if (r->slice_deadline == AMI__SLICE_ARMED) r->slice_deadline = now + r->slice_ms;
        else if (now > r->slice_deadline) {
            r->abort = AMI__ABORT_SLICE;
            return 1;
        }
    }
    return 0;
}

/* ---- source preparation and compilation ---- */

int ami__runtime_prepare_source(const char *src, size_t len, int lang, ami_buf *out, ami_script_error *se)
{
    /* ES2020 syntax to ES5.1, every token kept on its line; unsupported
     * syntax is reported with line and column (lib/runtime/lower). */
    return ami__lower_prepare(src, len, lang, out, se);
}

AMI_EXTERN(const char *) ami_runtime_detect_language(const char *script, size_t len)
{
    ami_buf out = AMI_BUF_INIT;
    int lang = AMI__LANG_JS;
    if (script && ami__lower_lang(script, len, AMI__LANG_AUTO, &out, NULL, &lang) != 0) lang = AMI__LANG_JS;
    ami_buf_dispose(&out);
    return lang == AMI__LANG_TS ? "ts" : "js";
}

/* Compile "function(){" + src + "\n}" as a function expression; 0 or a Duktape error on the stack. */
static int compile_wrapped(duk_context *ctx, const char *src, size_t len)
{
    size_t plen = sizeof BODY_PREFIX - 1, n = plen + len + 2;
    char *buf = duk_push_fixed_buffer(ctx, n);
    memcpy(buf, BODY_PREFIX, plen);
    memcpy(buf + plen, src, len);
    memcpy(buf + plen + len, "\n}", 2);
    duk_push_string(ctx, AMI__SCRIPT_FILENAME);
    int rc = duk_pcompile_lstring_filename(ctx, DUK_COMPILE_FUNCTION, buf, n);
    duk_remove(ctx, -2);   /* the buffer */
    return rc;
}

/* The message of the error on top without Duktape's " (line N)" suffix; *line gets N (0 if none). */
static void split_syntax_message(const char *msg, char *out, size_t outlen, int *line)
{
    *line = 0;
    snprintf(out, outlen, "%s", msg);
    char *p = strstr(out, " (line ");
    if (p) {
        *line = atoi(p + 7);
        *p = '\0';
    }
}

static size_t line_start(const char *src, size_t len, int line)
{
    size_t off = 0;
    for (int l = 1; l < line && off < len; off++)
        if (src[off] == '\n') l++;
    return off;
}

/* Duktape reports only a line; find the column by compiling ever longer
 * prefixes of that line until the same error shows up at the same line. */
static int find_column(duk_context *ctx, const char *src, size_t len, int line, const char *want)
{
    if (line <= 0) return 0;
    size_t start = line_start(src, len, line), end = start;
    while (end < len && src[end] != '\n') end++;
    size_t maxcol = end - start < 1000 ? end - start : 1000;
    for (size_t col = 1; col <= maxcol; col++) {
        int found = 0;
        if (compile_wrapped(ctx, src, start + col) != 0) {
            char msg[512];
            int l;
            split_syntax_message(duk_safe_to_string(ctx, -1), msg, sizeof msg, &l);
            found = l == line && !strcmp(msg, want);
        }
        duk_pop(ctx);
        if (found) return (int)col;
    }
    /* not pinned down: the first non-blank character of the line */
    for (size_t i = start; i < end; i++)
        if (src[i] != ' ' && src[i] != '\t') return (int)(i - start) + 1;
    return 1;
}

/* Duktape compiles a function expression and ignores whatever follows its
 * closing brace, so a script with a stray "}" would silently lose its tail.
 * A body that closes the wrapper early cannot parse both inside "( … )" and
 * inside "[ … ]" (what follows the early close would have to close both), so
 * two program-mode parses catch it.  (Once the lowering runs first, its own
 * parser rejects such scripts too.) */
static int check_closes_early(duk_context *ctx, const char *src, size_t len)
{
    static const char *const open[2] = { "(function(){", "[function(){" };
    static const char *const close[2] = { "\n})", "\n}]" };
    for (int i = 0; i < 2; i++) {
        size_t olen = strlen(open[i]), n = olen + len + 3;
        char *buf = duk_push_fixed_buffer(ctx, n);
        memcpy(buf, open[i], olen);
        memcpy(buf + olen, src, len);
        memcpy(buf + olen + len, close[i], 3);
        duk_push_string(ctx, AMI__SCRIPT_FILENAME);
        int rc = duk_pcompile_lstring_filename(ctx, 0, buf, n);
        duk_pop_2(ctx);
        if (rc) return 1;
    }
    return 0;
}

int ami__runtime_compile(duk_context *ctx, const char *src, size_t len, ami_script_error *se)
{
    ami_script_error dummy;
    if (!se) se = &dummy;
    if (compile_wrapped(ctx, src, len) == 0) {
        if (!check_closes_early(ctx, src, len)) return 0;
        duk_pop(ctx);
        *se = (ami_script_error){ "SyntaxError", "unbalanced '}' closes the script early", 0, 0 };
        return AMI_ESCRIPT;
    }
    char msg[512];
    int line;
    split_syntax_message(duk_safe_to_string(ctx, -1), msg, sizeof msg, &line);
    duk_pop(ctx);
    int col = find_column(ctx, src, len, line, msg);
    /* Duktape's text is "Name: message"; the name is the error's class. */
    const char *colon = strstr(msg, ": ");
    size_t nlen = colon ? (size_t)(colon - msg) : 0;
    memset(se, 0, sizeof *se);
    if (colon && nlen < sizeof se->name && strspn(msg, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") == nlen) {
        memcpy(se->name, msg, nlen);
        snprintf(se->message, sizeof se->message, "%s", colon + 2);
    } else {
        snprintf(se->name, sizeof se->name, "SyntaxError");
        snprintf(se->message, sizeof se->message, "%s", msg);
    }
    se->line = line > 0 ? line : 0;
    se->column = line > 0 ? col : 0;
    return AMI_ESCRIPT;
}

/* ---- instance lifecycle ---- */

/* The prelude is compiled once per process and kept as Duktape bytecode:
 * loading it is several times cheaper than compiling it in every heap. */
static pthread_once_t prelude_once = PTHREAD_ONCE_INIT;
static void *prelude_code;   /* process lifetime */
static size_t prelude_size;
static void *helpers_code;   /* the lowering's helpers as a function, same lifetime */
static size_t helpers_size;
static char **helper_names;  /* the globals the helpers define (NULL-terminated), same lifetime */
/* the prelude's parts loaded on first use (host.lazy(i)), same lifetime */
static const struct { const char *file; const char *src; } lazy_parts[] = {
    { "ami:prelude-mapset", ami__prelude_mapset_js },   /* 0: Map and Set */
    { "ami:prelude-poly", ami__prelude_poly_js },       /* 1: Object/Array/String/Number polyfills */
    { "ami:prelude-promise", ami__prelude_promise_js }, /* 2: Promise combinators, AggregateError */
    { "ami:prelude-deno", ami__prelude_deno_js },       /* 3: the Deno shims */
    { "ami:prelude-timers", ami__prelude_timers_js },   /* 4: setTimeout & co. */
    { "ami:prelude-gen", ami__prelude_gen_js },         /* 5: generators and async generators */
    { "ami:prelude-web", ami__prelude_web_js },         /* 6: web globals, fetch (lib/runtime/web) */
    { "ami:cex", ami__cex_js },                         /* 7: Stels.runtime.cex, the exchange connectors */
};
enum { LAZY_PARTS = sizeof lazy_parts / sizeof lazy_parts[0] };
static void *lazy_code[LAZY_PARTS];
static size_t lazy_size[LAZY_PARTS];

static void *dump_top(duk_context *ctx, size_t *size)
{
    duk_dump_function(ctx);
    duk_size_t n = 0;
    void *p = duk_get_buffer_data(ctx, -1, &n);
    void *copy = malloc(n);
    if (copy) { memcpy(copy, p, n); *size = n; }
    duk_pop(ctx);
    return copy;
}

static duk_ret_t dump_prelude(duk_context *ctx, void *udata)
{
    (void)udata;
    duk_push_string(ctx, PRELUDE_FILENAME);
    duk_compile_string_filename(ctx, DUK_COMPILE_FUNCTION, ami__prelude_js);
    prelude_code = dump_top(ctx, &prelude_size);
    /* the helpers are global code: wrapped as a (non-strict) function body */
    duk_push_string(ctx, "function(){");
    duk_push_string(ctx, ami__lower_helpers_js);
    duk_push_string(ctx, "\n}");
    duk_concat(ctx, 3);
    duk_push_string(ctx, "lowering-helpers");
    duk_compile(ctx, DUK_COMPILE_FUNCTION);
    duk_dup_top(ctx);
    helpers_code = dump_top(ctx, &helpers_size);
    /* run them here once to learn the names they define (on this heap's bare global) */
    duk_call(ctx, 0);
    duk_pop(ctx);
    duk_push_global_object(ctx);
    duk_enum(ctx, -1, DUK_ENUM_OWN_PROPERTIES_ONLY | DUK_ENUM_INCLUDE_NONENUMERABLE);
    size_t n = 0, cap = 0;
    char **names = NULL;
    while (duk_next(ctx, -1, 0)) {
        const char *k = duk_get_string(ctx, -1);
        if (k && !strncmp(k, "__ami_", 6) && n + 1 >= cap) {
            char **grown = realloc(names, (cap = cap ? cap * 2 : 32) * sizeof *names);
            if (!grown) { duk_pop(ctx); break; }
            names = grown;
        }
        if (k && !strncmp(k, "__ami_", 6) && (names[n] = strdup(k))) names[++n] = NULL;
        duk_pop(ctx);
    }
    duk_pop_2(ctx);
    helper_names = n ? names : NULL;   /* none found: every heap loads them at once */
    if (!n) free(names);
    for (int i = 0; i < LAZY_PARTS; i++) {
        duk_push_string(ctx, lazy_parts[i].file);
        duk_compile_string_filename(ctx, DUK_COMPILE_FUNCTION, lazy_parts[i].src);
        lazy_code[i] = dump_top(ctx, &lazy_size[i]);
    }
    return 0;
}

static void prelude_compile_once(void)
{
    /* no udata: this heap has no instance, so no slice or stop applies */
    duk_context *ctx = duk_create_heap(NULL, NULL, NULL, NULL, rt_fatal);
    if (!ctx) return;   /* each instance then compiles the source itself */
    duk_safe_call(ctx, dump_prelude, NULL, 0, 1);
    duk_destroy_heap(ctx);
}

static const char *const removed_globals[] = {
    "Duktape", "CBOR", "Buffer",
    "print", "alert", "require", "module", "exports", NULL
};

/* host.lazy(i): the prelude's part i (lazy_parts), a function to call. */
static duk_ret_t h_lazy(duk_context *ctx)
{
    int i = duk_require_int(ctx, 0);
    if (i < 0 || i >= LAZY_PARTS) return DUK_RET_RANGE_ERROR;
    if (lazy_code[i]) {
        void *p = duk_push_fixed_buffer(ctx, lazy_size[i]);
        memcpy(p, lazy_code[i], lazy_size[i]);
        duk_load_function(ctx);
    } else {
        duk_push_string(ctx, lazy_parts[i].file);
        duk_compile_string_filename(ctx, DUK_COMPILE_FUNCTION, lazy_parts[i].src);
    }
    return 1;
}

/*
 * The __ami_* helpers of lowered code (lib/runtime/lower) load on first use:
 * a script needs them only when the lowering rewrote it into calls to them,
 * and an idle instance is ~25 KB smaller without.  Until then each name is an
 * accessor (Duktape passes getters the key, setters the value and the key)
 * that loads all of them, which replace the accessors with data properties.
 * Returns 0 when they were loaded already.
 */
static duk_ret_t helpers_run(duk_context *ctx, void *udata)
{
    (void)udata;
    if (helpers_code) {
        void *p = duk_push_fixed_buffer(ctx, helpers_size);
        memcpy(p, helpers_code, helpers_size);
        duk_load_function(ctx);
        duk_call(ctx, 0);
    } else {
        duk_eval_string_noresult(ctx, ami__lower_helpers_js);
        duk_push_undefined(ctx);
    }
    return 1;
}

static int helpers_load(duk_context *ctx)
{
    duk_push_global_stash(ctx);
    int done = duk_get_prop_string(ctx, -1, "helpersLoaded");
    duk_pop(ctx);
    if (done) { duk_pop(ctx); return 0; }
    duk_push_true(ctx);   /* set first: the helpers' own setup must not load them again */
    duk_put_prop_string(ctx, -2, "helpersLoaded");
    if (duk_safe_call(ctx, helpers_run, NULL, 0, 1) != 0) {
        /* out of heap or stopped while loading: a later use retries */
        duk_del_prop_string(ctx, -2, "helpersLoaded");
        (void)duk_throw(ctx);
    }
    duk_pop_2(ctx);
    return 1;
}

static duk_ret_t h_helper_get(duk_context *ctx)
{
    if (!helpers_load(ctx)) return 0;   /* loaded, yet still this accessor: not one of theirs */
    duk_push_global_object(ctx);
    duk_dup(ctx, 0);
    duk_get_prop(ctx, -2);
    return 1;
}

static duk_ret_t h_helper_set(duk_context *ctx)
{
    helpers_load(ctx);
    duk_push_global_object(ctx);
    duk_dup(ctx, 1);
    duk_dup(ctx, 0);
    duk_def_prop(ctx, -3, DUK_DEFPROP_HAVE_VALUE | DUK_DEFPROP_SET_WRITABLE | DUK_DEFPROP_SET_CONFIGURABLE |
                              DUK_DEFPROP_CLEAR_ENUMERABLE | DUK_DEFPROP_FORCE);
    return 0;
}

static void setup_prelude(duk_context *ctx, ami_runtime *r)
{
    if (prelude_code) {
        void *p = duk_push_fixed_buffer(ctx, prelude_size);
        memcpy(p, prelude_code, prelude_size);
        duk_load_function(ctx);
    } else {
        duk_push_string(ctx, PRELUDE_FILENAME);
        duk_compile_string_filename(ctx, DUK_COMPILE_FUNCTION, ami__prelude_js);
    }
    duk_push_object(ctx);
    ami__runtime_push_host(ctx, r);   /* fills the object on top */
    duk_push_c_lightfunc(ctx, h_lazy, 1, 1, 0);
    duk_put_prop_string(ctx, -2, "lazy");
    duk_push_global_object(ctx);
    duk_call(ctx, 2);                 /* -> hooks object */
    duk_push_global_stash(ctx);
    static const char *const hooks[] = { "dispatch", "drain", "start", "fire", "reset", "bodyError", "bodyValue", "setTerm", NULL };
    for (int i = 0; hooks[i]; i++) {
        duk_get_prop_string(ctx, -2, hooks[i]);
        duk_put_prop_string(ctx, -2, hooks[i]);
    }
    duk_pop_2(ctx);
    if (helpers_code && helper_names) {
        /* the __ami_* helpers lowered code calls: accessors that load them on first use */
        duk_push_global_object(ctx);
        duk_push_c_function(ctx, h_helper_get, 1);
        duk_push_c_function(ctx, h_helper_set, 2);
        for (int i = 0; helper_names[i]; i++) {
            duk_push_string(ctx, helper_names[i]);
            duk_dup(ctx, -3);
            duk_dup(ctx, -3);
            duk_def_prop(ctx, -6, DUK_DEFPROP_HAVE_GETTER | DUK_DEFPROP_HAVE_SETTER | DUK_DEFPROP_FORCE |
                                      DUK_DEFPROP_SET_CONFIGURABLE | DUK_DEFPROP_CLEAR_ENUMERABLE);
        }
        duk_pop_3(ctx);
    } else {
        helpers_load(ctx);
    }
    duk_push_global_object(ctx);
    for (int i = 0; removed_globals[i]; i++) duk_del_prop_string(ctx, -1, removed_globals[i]);
    duk_pop(ctx);
}

/* Everything that allocates in the heap runs protected: with a small heap
 * cap any push may fail, and an error outside a protected call is fatal. */
typedef struct {
    ami_runtime *r;
    const char *cfg;
    const char *src;
    size_t len;
    ami_script_error se;
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

static duk_ret_t setup_instance(duk_context *ctx, void *udata)
{
    setup_arg *a = udata;
    duk_get_global_string(ctx, "Duktape");
    duk_push_c_function(ctx, h_err_throw, 1);
    duk_put_prop_string(ctx, -2, "errThrow");
    duk_pop(ctx);
    duk_push_global_stash(ctx);
    duk_push_string(ctx, a->cfg);
    duk_put_prop_string(ctx, -2, "config");
    duk_pop(ctx);
    setup_prelude(ctx, a->r);
    a->rc = ami__runtime_compile(ctx, a->src, a->len, &a->se);
    return a->rc ? 0 : 1;
}

static int fail_new(ami_runtime *r, int code)
{
    ami_runtime_free(r);
    return code;
}

AMI_EXTERN(int) ami_runtime_new(ami_runtime **out, const ami_runtime_options *in)
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
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&r->cv, &ca);
    pthread_condattr_destroy(&ca);
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
    r->ctx = duk_create_heap(rt_alloc, rt_realloc, rt_free, r, rt_fatal);
    r->heap_max = opts->heap_max_bytes ? opts->heap_max_bytes : AMI_RUNTIME_HEAP_DEFAULT;
    if (!r->ctx) return fail_new(r, ami__error_set(AMI_ENOMEM, "runtime: cannot create a heap within %zu bytes", r->heap_max));
    duk_context *ctx = r->ctx;

    /* Stels.config and startTime, handed to the prelude as JSON text */
    json_t *cfg = json_pack("{s:s, s:s, s:s, s:o, s:o, s:I, s:s}", "nid", r->nid, "sid", r->sid, "network", r->network,
                            "workers", opts->workers ? json_incref((json_t *)opts->workers) : json_array(),
                            "term", opts->term > 0 ? json_integer(opts->term) : json_null(),
                            "startTime", (json_int_t)r->start_time, "cex", cex_mode);
    char *cfgtext = cfg ? json_dumps(cfg, JSON_COMPACT) : NULL;
    json_decref(cfg);
    if (!cfgtext) return fail_new(r, ami__error_oom());

    ami_buf src = AMI_BUF_INIT;
    setup_arg a;
    memset(&a, 0, sizeof a);
    const char *lang = json_string_value(json_object_get(opts->worker, "language"));
    int rc = ami__runtime_prepare_source(json_string_value(script), json_string_length(script),
                                         !lang ? AMI__LANG_AUTO : !strcmp(lang, "ts") ? AMI__LANG_TS : AMI__LANG_JS, &src, &a.se);
    if (rc) {
        free(cfgtext);
        ami_buf_dispose(&src);
        return fail_new(r, rc == AMI_ESCRIPT ? ami__error_script(AMI_ESCRIPT, &a.se, NULL) : rc);
    }
    pthread_once(&prelude_once, prelude_compile_once);
    a.r = r;
    a.cfg = cfgtext;
    a.src = src.ptr ? src.ptr : "";
    a.len = src.size;
    r->body_async = src.ptr && memmem(src.ptr, src.size, "__ami_await", 11) != NULL;
    rc = duk_safe_call(ctx, setup_instance, &a, 0, 1);
    free(cfgtext);
    ami_buf_dispose(&src);
    if (rc != 0 || a.rc) {
        if (r->heap_hit) return fail_new(r, ami__error_set(AMI_ENOMEM, "runtime: the heap limit of %zu bytes is too small for the worker", r->heap_max));
        if (a.rc) return fail_new(r, ami__error_script(AMI_ESCRIPT, &a.se, NULL));
        ami__error_set(AMI_ERROR, "runtime: setting up the sandbox failed: %s", duk_safe_to_string(ctx, -1));
        return fail_new(r, AMI_ERROR);
    }
    if (duk_get_top(ctx) != 1) return fail_new(r, ami__error_set(AMI_ERROR, "runtime: unexpected value stack"));
    /* drop the setup garbage and the slack of the prelude's objects: an idle
     * instance should cost as little as possible */
    duk_gc(ctx, DUK_GC_COMPACT);
    duk_gc(ctx, 0);
    *out = r;
    return 0;
}

AMI_EXTERN(void) ami_runtime_free(ami_runtime *r)
{
    if (!r) return;
    pthread_mutex_lock(&r->mu);
    r->closing = 1;
    pthread_mutex_unlock(&r->mu);
    ami__loop_close(r);
    if (r->ctx) duk_destroy_heap(r->ctx);
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

/* ---- results ---- */

AMI_EXTERN(void) ami_runtime_result_dispose(ami_runtime_result *res)
{
    if (!res) return;
    ami_free(res->name);
    ami_free(res->message);
    ami_free(res->stack);
    ami_free(res->value);
    *res = (ami_runtime_result)AMI_RUNTIME_RESULT_INIT;
}

/* [value] -> [JSON text or undefined]: a settled promise gives its value (what `return await …` means). */
static duk_ret_t encode_value(duk_context *ctx, void *udata)
{
    (void)udata;
    int promise = 0;
    if (duk_is_object(ctx, -1)) {
        duk_get_global_string(ctx, "Promise");
        promise = duk_is_function(ctx, -1) && duk_instanceof(ctx, -2, -1);
        duk_pop(ctx);
    }
    if (promise) {
        duk_get_prop_string(ctx, -1, AMI__PROMISE_KEY_STATE);
        int fulfilled = duk_get_int_default(ctx, -1, 0) == 1;
        duk_pop(ctx);
        if (fulfilled) duk_get_prop_string(ctx, -1, AMI__PROMISE_KEY_VALUE);
        else duk_push_undefined(ctx);
    } else {
        duk_dup_top(ctx);
    }
    if (duk_is_undefined(ctx, -1) || duk_is_function(ctx, -1)) return 1;
    duk_json_encode(ctx, -1);
    return 1;
}

/* The run's return value (on top) as JSON text into res->value (NULL for undefined or when it cannot be encoded). */
void ami__runtime_keep_value(ami_runtime *r, ami_runtime_result *res)
{
    duk_context *ctx = r->ctx;
    if (duk_safe_call(ctx, encode_value, NULL, 1, 1) == 0 && duk_is_string(ctx, -1)) {
        duk_size_t n = 0;
        const char *t = duk_get_lstring(ctx, -1, &n);
        res->value = ami__strndup(t, n);
    }
    duk_pop(ctx);
}

typedef struct {
    char *name, *message, *stack;
    int line;
} described;

/* A copy of Duktape text as UTF-8 (ami_malloc'd). */
static char *dup_utf8(const char *s, size_t len)
{
    ami_buf tmp = AMI_BUF_INIT;
    const char *t;
    size_t n;
    char *out = NULL;
    if (ami__cesu8_to_utf8(s, len, &tmp, &t, &n) == 0) out = ami__strndup(t, n);
    ami_buf_dispose(&tmp);
    return out;
}

static char *dup_top_string(duk_context *ctx)
{
    duk_size_t len;
    duk_safe_to_string(ctx, -1);
    const char *s = duk_get_lstring(ctx, -1, &len);
    return dup_utf8(s, len);
}

static char *dup_string_at(duk_context *ctx, duk_idx_t idx)
{
    duk_size_t len;
    const char *s = duk_get_lstring(ctx, idx, &len);
    return dup_utf8(s ? s : "", s ? len : 0);
}

/* The user's line: the first stack frame in the worker script. */
static int line_from_stack(const char *stack)
{
    const char *tag = "(" AMI__SCRIPT_FILENAME ":";
    const char *p = stack ? strstr(stack, tag) : NULL;
    return p ? atoi(p + strlen(tag)) : 0;
}

/* A Duktape stack trace as the user should see it: the first line (name and
 * message), then only the frames in the worker's script, each as
 * "    at NAME (worker.js:L)" (Duktape's internals, the prelude, built-ins
 * and its flags such as "strict preventsyield" left out).  In place. */
static void user_stack(char *stack)
{
    if (!stack) return;
    const char *tag = "(" AMI__SCRIPT_FILENAME ":";
    char *w = stack, *r = stack;
    int first = 1;
    while (*r) {
        char *eol = strchr(r, '\n');
        size_t n = eol ? (size_t)(eol - r) : strlen(r);
        char *at = first ? NULL : memmem(r, n, "    at ", 7);
        char *t = first ? NULL : memmem(r, n, tag, strlen(tag));
        if (first) {
            memmove(w, r, n);
            w += n;
        } else if (at == r && t) {
            char *close = memchr(t, ')', n - (size_t)(t - r));
            size_t keep = close ? (size_t)(close - r) + 1 : n;
            *w++ = '\n';
            memmove(w, r, keep);
            w += keep;
        }
        first = 0;
        r += n + (eol ? 1 : 0);
    }
    *w = '\0';
}

/* [ err ] -> [ err ]; fills d (run under duk_safe_call: getters may throw). */
static duk_ret_t describe_error(duk_context *ctx, void *udata)
{
    described *d = udata;
    duk_idx_t e = duk_get_top_index(ctx);
    if (duk_is_string(ctx, e)) {
        d->name = ami__strdup("Error");
        d->message = dup_string_at(ctx, e);
        return 0;
    }
    if (duk_is_symbol(ctx, e)) {
        d->name = ami__strdup("Error");
        d->message = ami__strdup("Uncaught Symbol");
        return 0;
    }
    if (!duk_is_object(ctx, e) || duk_is_function(ctx, e)) {
        d->name = ami__strdup("Error");
        if (duk_is_function(ctx, e)) duk_push_string(ctx, "Uncaught function");
        else duk_push_sprintf(ctx, "Uncaught %s", duk_safe_to_string(ctx, e));
        d->message = dup_top_string(ctx);
        return 0;
    }
    duk_get_prop_string(ctx, e, "name");
    d->name = duk_is_string(ctx, -1) && duk_get_length(ctx, -1) ? dup_string_at(ctx, -1) : ami__strdup("Error");
    duk_pop(ctx);
    duk_get_prop_string(ctx, e, "message");
    if (duk_is_undefined(ctx, -1)) {
        duk_pop(ctx);
        duk_dup(ctx, e);
        duk_json_encode(ctx, -1);
        duk_push_sprintf(ctx, "Uncaught %s", duk_safe_to_string(ctx, -1));
    } else {
        duk_safe_to_string(ctx, -1);
    }
    d->message = dup_top_string(ctx);
    duk_pop(ctx);
    duk_get_prop_string(ctx, e, "stack");
    if (duk_is_string(ctx, -1)) d->stack = dup_string_at(ctx, -1);
    duk_pop(ctx);
    duk_get_prop_string(ctx, e, "fileName");
    int in_script = duk_is_string(ctx, -1) && !strcmp(duk_get_string(ctx, -1), AMI__SCRIPT_FILENAME);
    duk_pop(ctx);
    if (in_script) {
        duk_get_prop_string(ctx, e, "lineNumber");
        d->line = duk_is_number(ctx, -1) ? duk_get_int(ctx, -1) : 0;
        duk_pop(ctx);
    }
    if (!d->line) d->line = line_from_stack(d->stack);
    user_stack(d->stack);
    return 0;
}

static void described_free(described *d)
{
    ami_free(d->name);
    ami_free(d->message);
    ami_free(d->stack);
    memset(d, 0, sizeof *d);
}

/* Turn the error on top of the stack (popped) into a result and a code. */
int ami__runtime_finish_error(ami_runtime *r, ami_runtime_result *res)
{
    duk_context *ctx = r->ctx;
    described d = { 0 };
    int abort_reason = r->abort;
    r->abort = 0;   /* let the describing getters run */
    r->running = 0;
    if (duk_safe_call(ctx, describe_error, &d, 1, 1) != 0 || !d.name || !d.message) {
        described_free(&d);
        d.name = ami__strdup("Error");
        d.message = ami__strdup("(the thrown value could not be described)");
    }
    duk_pop(ctx);
    int code = AMI_ESCRIPT;
    const char *name = NULL;
    char msg[160] = "";
    if (abort_reason == AMI__ABORT_EXIT && r->exit_code == 0) {   /* Deno.exit(0): a successful run */
        described_free(&d);
        if (res) res->ok = 1, res->code = 0;
        return 0;
    }
    switch (abort_reason) {
    case AMI__ABORT_EXIT:
        name = "Exit";
        snprintf(msg, sizeof msg, "Deno.exit(%d)", r->exit_code);
        break;
    case AMI__ABORT_STOP:
        code = AMI_ESTOPPED; name = "Stopped";
        snprintf(msg, sizeof msg, "the worker was stopped");
        break;
    case AMI__ABORT_LEASE:
        code = AMI_ELEASE; name = "LeaseLost";
        if (d.name && strcmp(d.name, "LeaseLost")) snprintf(msg, sizeof msg, "the leader lease was lost");
        break;
    case AMI__ABORT_SLICE:
        code = AMI_ELIMIT; name = "SliceLimitExceeded";
        snprintf(msg, sizeof msg, "the script ran %lld ms without sleeping, awaiting or calling the API",
                 (long long)r->slice_ms);
        break;
    default:
        /* a DoubleError: the heap was too full to build even the error */
        if (r->heap_hit && ((d.message && strstr(d.message, "alloc failed")) || (d.name && !strcmp(d.name, "DoubleError")))) {
            code = AMI_ELIMIT; name = "HeapLimitExceeded";
            snprintf(msg, sizeof msg, "the heap limit of %zu bytes was reached", r->heap_max);
        }
    }
    if (name) {
        ami_free(d.name);
        d.name = ami__strdup(name);
        if (msg[0]) { ami_free(d.message); d.message = ami__strdup(msg); }
    }
    ami__error_set(code, "%s: %s", d.name ? d.name : "Error", d.message ? d.message : "");
    if (res) {
        res->ok = 0;
        res->code = code;
        res->name = d.name;
        res->message = d.message;
        res->stack = d.stack;
        res->line = d.line;
    } else {
        described_free(&d);
    }
    return code;
}

int ami__runtime_stopped_result(ami_runtime *r, ami_runtime_result *res)
{
    int lease = __atomic_load_n(&r->stop, __ATOMIC_ACQUIRE) == AMI__ABORT_LEASE;
    int code = lease ? AMI_ELEASE : AMI_ESTOPPED;
    const char *name = lease ? "LeaseLost" : "Stopped";
    const char *msg = lease ? "the leader lease was lost" : "the worker was stopped";
    ami__error_set(code, "%s: %s", name, msg);
    if (res) {
        res->ok = 0;
        res->code = code;
        res->name = ami__strdup(name);
        res->message = ami__strdup(msg);
    }
    return code;
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

/* ---- stand-alone compile check ---- */

static duk_ret_t compile_only(duk_context *ctx, void *udata)
{
    setup_arg *a = udata;
    a->rc = ami__runtime_compile(ctx, a->src, a->len, &a->se);
    return 0;
}

AMI_EXTERN(int) ami_runtime_check_script(const char *script, size_t len, ami_script_error *err)
{
    if (!script) return ami__error_set(AMI_EINVAL, "runtime: script is NULL");
    setup_arg a;
    memset(&a, 0, sizeof a);
    ami_buf src = AMI_BUF_INIT;
    int rc = ami__runtime_prepare_source(script, len, AMI__LANG_AUTO, &src, &a.se);
    if (rc == 0) {
        duk_context *ctx = duk_create_heap(NULL, NULL, NULL, NULL, rt_fatal);
        if (!ctx) rc = ami__error_oom();
        else {
            a.src = src.ptr ? src.ptr : "";
            a.len = src.size;
            if (duk_safe_call(ctx, compile_only, &a, 0, 1) != 0) rc = ami__error_oom();
            else rc = a.rc;
            duk_destroy_heap(ctx);
        }
    }
    ami_buf_dispose(&src);
    if (rc == AMI_ESCRIPT) {
        if (err) *err = a.se;
        return ami__error_script(AMI_ESCRIPT, &a.se, NULL);
    }
    return rc;
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
