/*
 * The prelude of every instance: compiled once per process to Duktape
 * bytecode (the prelude, its lazily loaded parts, the lowering's helpers),
 * loaded into each heap, with the __ami_* helpers behind accessors that load
 * them on first use.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "runtime/internal.h"
#include "runtime/lower/lower.h"
#include "util/util.h"

#define PRELUDE_FILENAME "ami:prelude"

/* The prelude is compiled once per process and kept as Duktape bytecode:
 * loading it is several times cheaper than compiling it in every heap. */
static pthread_once_t prelude_once = PTHREAD_ONCE_INIT;
static void *prelude_code;   /* process lifetime */
static size_t prelude_size;
static void *helpers_code;   /* the lowering's helpers as a function, same lifetime */
static size_t helpers_size;
static char **helper_names;  /* the globals the helpers define (NULL-terminated), same lifetime */
/* the prelude's parts loaded on first use (host.lazy(i)), same lifetime */
/* unconstruct: the part's functions lose their .prototype objects, except
 * its constructors (capitalised names; bytecode.c); 0: left as compiled */
static const struct { const char *file; const char *src; int unconstruct; } lazy_parts[] = {
    { "ami:prelude-mapset", ami__prelude_mapset_js, 1 },      /* 0: Map and Set */
    { "ami:prelude-poly", ami__prelude_poly_js, 1 },          /* 1: Object/Array/String/Number polyfills */
    { "ami:prelude-promise", ami__prelude_promise_js, 1 },    /* 2: Promise combinators, AggregateError */
    { "ami:prelude-deno", ami__prelude_deno_js, 1 },          /* 3: the Deno shims */
    { "ami:prelude-timers", ami__prelude_timers_js, 1 },      /* 4: setTimeout & co. */
    { "ami:prelude-gen", ami__prelude_gen_js, 1 },            /* 5: generators and async generators */
    { "ami:prelude-web", ami__prelude_web_js, 0 },            /* 6: web globals, fetch (lib/runtime/web) */
    { "ami:cex", ami__cex_js, 0 },                            /* 7: Stels.runtime.cex, the exchange connectors */
    { "ami:prelude-stels", ami__prelude_stels_js, 1 },        /* 8: Stels.net, Stels.local, Stels.webfix */
    { "ami:prelude-more", ami__prelude_more_js, 1 },          /* 9: the loaders of 0-8, logger, iterators */
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
    /* its helpers and methods need no .prototype objects (bytecode.c); the
     * constructors stay constructors */
    if (prelude_code) ami__bytecode_unconstruct(ctx, prelude_code, prelude_size);
    /* no fileName or line tables: they never show in a user's stack trace */
    if (prelude_code) ami__bytecode_strip(prelude_code, &prelude_size);
    /* its instructions: one copy for every heap (bytecode.c); so for the others below */
    if (prelude_code) ami__bytecode_share(prelude_code, prelude_size);
    /* the helpers are global code: wrapped as a (non-strict) function body */
    duk_push_string(ctx, "function(){");
    duk_push_string(ctx, ami__lower_helpers_js);
    duk_push_string(ctx, "\n}");
    duk_concat(ctx, 3);
    duk_push_string(ctx, "lowering-helpers");
    duk_compile(ctx, DUK_COMPILE_FUNCTION);
    duk_dup_top(ctx);
    helpers_code = dump_top(ctx, &helpers_size);
    if (helpers_code) ami__bytecode_unconstruct(ctx, helpers_code, helpers_size);
    if (helpers_code) ami__bytecode_strip(helpers_code, &helpers_size);
    if (helpers_code) ami__bytecode_share(helpers_code, helpers_size);
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
        if (lazy_code[i] && lazy_parts[i].unconstruct) ami__bytecode_unconstruct(ctx, lazy_code[i], lazy_size[i]);
        if (lazy_code[i]) ami__bytecode_strip(lazy_code[i], &lazy_size[i]);
        if (lazy_code[i]) ami__bytecode_share(lazy_code[i], lazy_size[i]);
    }
    return 0;
}

static void prelude_compile_once(void)
{
    /* no udata: this heap has no instance, so no slice or stop applies */
    duk_context *ctx = duk_create_heap(NULL, NULL, NULL, NULL, ami__runtime_fatal);
    if (!ctx) return;   /* each instance then compiles the source itself */
    duk_safe_call(ctx, dump_prelude, NULL, 0, 1);
    duk_destroy_heap(ctx);
}

void ami__runtime_prelude_init(void)
{
    pthread_once(&prelude_once, prelude_compile_once);
}

static const char *const removed_globals[] = {
    "Duktape", "CBOR", "Buffer",
    "print", "alert", "require", "module", "exports", NULL
};

/* Duktape gives a loaded function a .prototype whose .constructor points
 * back: the prelude's parts run once and are never constructed, so without
 * keep_prototype the cycle is cut and the function is freed by reference
 * counting when dropped (instead of lingering until the next collection).
 * Its inner functions load without one (scripts/duk_lean.patch). */
void ami__runtime_load_code(duk_context *ctx, const void *code, size_t size, int keep_prototype)
{
    /* read in place (the loader copies what it keeps): no copy of the dump in the heap */
    duk_push_external_buffer(ctx);
    duk_config_buffer(ctx, -1, (void *)code, size);
    duk_load_function(ctx);
    if (keep_prototype || !duk_is_constructable(ctx, -1)) return;
    duk_push_undefined(ctx);
    duk_put_prop_string(ctx, -2, "prototype");
}

/* host.lazy(i): the prelude's part i (lazy_parts), a function to call. */
/* The host's functions only the prelude's parts call (Stels.net/local, the
 * timers, Deno, the web globals, RegExp) or that the prelude read once at
 * setup: an idle instance's host goes without them (~1.4 KB with their names
 * and the host's hash index), and the first part to load puts them back
 * (h_lazy: every part loads after the part of the loaders, host.lazy(9)). */
static const char *const host_later[] = {
    "get", "set", "del", "commit", "list", "sub", "subLive", "unsub", "op", "mem", "loadavg", "metrics",
    "clearTimer", "web", "regex", "force", "then", "newPromise", "track", "untrack", "take", "fulfil", NULL
};
/* what only the prelude's setup reads: never put back */
static const char *const host_setup_only[] = { "config", "promiseKeys", "promiseInit", NULL };

static duk_ret_t h_regex(duk_context *ctx);

static void del_props(duk_context *ctx, duk_idx_t idx, const char *const *names)
{
    for (int i = 0; names[i]; i++) duk_del_prop_string(ctx, idx, names[i]);
}

/* host (the object at idx) without host_later's and host_setup_only's names, compacted */
static void host_trim(duk_context *ctx, duk_idx_t idx)
{
    idx = duk_require_normalize_index(ctx, idx);
    del_props(ctx, idx, host_later);
    del_props(ctx, idx, host_setup_only);
    duk_compact(ctx, idx);
}

static duk_ret_t h_lazy(duk_context *ctx)
{
    int i = duk_require_int(ctx, 0);
    if (i < 0 || i >= LAZY_PARTS) return DUK_RET_RANGE_ERROR;
    /* called as host.lazy(i): the host gets the functions the parts use back,
     * once (they stay: a loaded part keeps using them) */
    duk_push_this(ctx);
    if (duk_is_object(ctx, -1) && !duk_has_prop_string(ctx, -1, "get")) {
        ami__runtime_push_host(ctx, NULL);   /* fills the object on top; its instance argument is unused */
        duk_push_c_lightfunc(ctx, h_regex, 2, 2, 0);
        duk_put_prop_string(ctx, -2, "regex");
        del_props(ctx, -1, host_setup_only);   /* what only the prelude's setup read stays out */
    }
    duk_pop(ctx);
    if (lazy_code[i]) {
        ami__runtime_load_code(ctx, lazy_code[i], lazy_size[i], 0);
    } else {
        duk_push_string(ctx, lazy_parts[i].file);
        duk_compile_string_filename(ctx, DUK_COMPILE_FUNCTION, lazy_parts[i].src);
    }
    return 1;
}

/*
 * host.lazyPut(holder, names, mode, get, set): the prelude's accessor for
 * names loaded on first use (prelude.js, lazyPut), defined on holder[name]
 * for each space-separated name as Object.defineProperty(holder, name,
 * { get, set, configurable: true, enumerable: false }) would.  holder may be
 * an array of holders: names then has one group per holder, separated by
 * '|'.  mode 1: only where holder[name] is undefined; mode 3: the same, in
 * the prelude's own first run, where every heap of the process has the same
 * built-ins: the first heap finds which names are missing and the others
 * define those at once (the look-ups were a fifth of lazyPut's cost);
 * mode 2: always, and a function replaced loses its prototype.constructor
 * link (Duktape's own TextEncoder and TextDecoder: reference counting frees
 * them then, with no collection); 0: always.  Done here, in one native call
 * per part: the same loop in the prelude (a split and a defineProperty with
 * a descriptor per name) was an eighth of an instance's creation.
 */
static int lazy_put_one(duk_context *ctx, duk_idx_t holder, const char *name, size_t len, int mode)
{
    duk_push_lstring(ctx, name, len);   /* the key, interned once for the look-up and the definition */
    if (mode) {
        duk_dup_top(ctx);
        duk_get_prop(ctx, holder);
        int skip = mode == 1 && !duk_is_undefined(ctx, -1);
        if (mode == 2 && duk_is_function(ctx, -1)) {
            duk_get_prop_string(ctx, -1, "prototype");
            if (duk_is_object(ctx, -1)) {
                duk_get_prop_string(ctx, -1, "constructor");
                if (duk_strict_equals(ctx, -1, -3)) duk_del_prop_string(ctx, -2, "constructor");
                duk_pop(ctx);
            }
            duk_pop(ctx);
        }
        duk_pop(ctx);
        if (skip) { duk_pop(ctx); return 0; }
    }
    duk_dup(ctx, 3);
    duk_dup(ctx, 4);
    duk_def_prop(ctx, holder, DUK_DEFPROP_HAVE_GETTER | DUK_DEFPROP_HAVE_SETTER | DUK_DEFPROP_SET_CONFIGURABLE |
                                  DUK_DEFPROP_CLEAR_ENUMERABLE);
    return 1;
}

/* mode 3's names lists and the names of each found missing (process lifetime) */
static pthread_mutex_t missing_mu = PTHREAD_MUTEX_INITIALIZER;
static struct { char *names, *missing; } missing_seen[8];

static duk_ret_t h_lazy_put(duk_context *ctx)
{
    int mode = duk_to_int(ctx, 2);
    const char *names = duk_require_string(ctx, 1);
    duk_require_function(ctx, 3);
    duk_require_function(ctx, 4);
    /* mode 3: the names a heap before this one found missing, else find them (mode 1) and keep them */
    char found[1024];   /* the names kept, with the '|' of their groups; on the C stack: an error longjmps past it */
    size_t nfound = 0;
    int record = 0;
    if (mode == 3) {
        mode = 1;
        pthread_mutex_lock(&missing_mu);
        for (int i = 0; i < (int)(sizeof missing_seen / sizeof missing_seen[0]) && missing_seen[i].names; i++)
            if (!strcmp(missing_seen[i].names, names)) {
                names = missing_seen[i].missing;
                mode = 0;
                break;
            }
        pthread_mutex_unlock(&missing_mu);
        record = mode == 1 && strlen(names) < sizeof found;
    }
    int many = duk_is_array(ctx, 0);
    duk_uarridx_t group = 0;
    if (many) duk_get_prop_index(ctx, 0, group);
    else duk_dup(ctx, 0);
    for (const char *p = names;;) {
        size_t n = strcspn(p, " |");
        if (n) {
            duk_require_object(ctx, 5);
            if (lazy_put_one(ctx, 5, p, n, mode) && record) {
                memcpy(found + nfound, p, n);
                nfound += n;
                found[nfound++] = ' ';
            }
        }
        p += n;
        if (!*p) break;
        if (*p == '|' && record) found[nfound++] = '|';
        if (*p++ == '|' && many) {
            duk_pop(ctx);
            duk_get_prop_index(ctx, 0, ++group);
        }
    }
    if (record) {
        found[nfound] = '\0';
        pthread_mutex_lock(&missing_mu);
        for (int i = 0; i < (int)(sizeof missing_seen / sizeof missing_seen[0]); i++) {
            if (missing_seen[i].names && !strcmp(missing_seen[i].names, names)) break;
            if (!missing_seen[i].names) {
                char *k = strdup(names), *v = strdup(found);
                if (k && v) { missing_seen[i].missing = v; missing_seen[i].names = k; }
                else { free(k); free(v); }
                break;
            }
        }
        pthread_mutex_unlock(&missing_mu);
    }
    return 0;
}

/* host.force(obj, name, value): as Object.defineProperty(obj, name, { value,
 * writable: true, configurable: true, enumerable: false }) (it throws where
 * that would), without a descriptor object: the prelude defines its
 * non-enumerable methods and globals with it. */
static duk_ret_t h_force(duk_context *ctx)
{
    duk_require_object(ctx, 0);
    duk_dup(ctx, 1);
    duk_dup(ctx, 2);
    duk_def_prop(ctx, 0, DUK_DEFPROP_HAVE_VALUE | DUK_DEFPROP_SET_WRITABLE | DUK_DEFPROP_SET_CONFIGURABLE |
                             DUK_DEFPROP_CLEAR_ENUMERABLE);
    return 0;
}

static duk_ret_t regex_push(duk_context *ctx, void *udata)
{
    const ami_regex_parts *parts = udata;
    duk_push_array(ctx);
    duk_push_lstring(ctx, parts->text.ptr, parts->body_len);
    duk_put_prop_index(ctx, -2, 0);
    duk_push_string(ctx, parts->flags);
    duk_put_prop_index(ctx, -2, 1);
    duk_push_array(ctx);
    size_t at = parts->body_len + parts->source_len;
    for (int i = 0; i < parts->nnames; i++) {
        duk_push_lstring(ctx, parts->text.ptr + at, parts->namelen[i]);
        duk_put_prop_index(ctx, -2, (duk_uarridx_t)(2 * i));
        duk_push_int(ctx, parts->nameidx[i]);
        duk_put_prop_index(ctx, -2, (duk_uarridx_t)(2 * i + 1));
        at += parts->namelen[i];
    }
    duk_put_prop_index(ctx, -2, 2);
    duk_push_string(ctx, parts->extra);
    duk_put_prop_index(ctx, -2, 3);
    duk_push_lstring(ctx, parts->text.ptr + parts->body_len, parts->source_len);
    duk_put_prop_index(ctx, -2, 4);
    if (parts->nlb) {
        duk_push_array(ctx);
        for (int k = 0; k < parts->nlb; k++) {
            duk_push_int(ctx, parts->lb_neg[k]);
            duk_put_prop_index(ctx, -2, (duk_uarridx_t)(3 * k));
            duk_push_lstring(ctx, parts->text.ptr + at, parts->lb_len[k]);
            duk_put_prop_index(ctx, -2, (duk_uarridx_t)(3 * k + 1));
            duk_push_number(ctx, (double)parts->lb_max[k]);
            duk_put_prop_index(ctx, -2, (duk_uarridx_t)(3 * k + 2));
            at += parts->lb_len[k];
        }
        duk_put_prop_index(ctx, -2, 5);
    }
    return 1;
}

/* host.regex(pattern, flags): the lowering's rewriting of a regexp for
 * RegExp() at run time (ami__lower_regex): null when the pattern and flags
 * are ES5 as they are, else [body, flags, [name, number, ...], "suy",
 * source] and, with leading lookbehinds, [negative, content, longest, ...]; a SyntaxError for what a literal with the same text would get. */
static duk_ret_t h_regex(duk_context *ctx)
{
    duk_size_t plen, flen;
    const char *pat = duk_require_lstring(ctx, 0, &plen);
    const char *flags = duk_require_lstring(ctx, 1, &flen);
    ami_regex_parts parts;
    parts.text = (ami_buf)AMI_BUF_INIT;
    ami_lower_error err;
    int rc = ami__lower_regex(pat, plen, flags, flen, &parts, &err);
    if (rc) {
        ami_buf_dispose(&parts.text);
        if (rc == AMI_ENOMEM) return DUK_RET_ERROR;
        /* Node's form: "Invalid regular expression: /pattern/flags: what" */
        const char *what = err.message, *pre = "Invalid regular expression: ";
        if (!strncmp(what, pre, strlen(pre))) what += strlen(pre);
        else if (!strncmp(what, "Invalid flags", 13)) return duk_error(ctx, DUK_ERR_SYNTAX_ERROR, "%s", err.message);
        return duk_error(ctx, DUK_ERR_SYNTAX_ERROR, "Invalid regular expression: /%.*s/%.*s: %s", (int)(plen > 200 ? 200 : plen),
                         pat, (int)(flen > 8 ? 8 : flen), flags, what);
    }
    if (!parts.special) {
        ami_buf_dispose(&parts.text);
        duk_push_null(ctx);
        return 1;
    }
    /* pushed under a safe call: out of memory there must not lose parts.text */
    int failed = duk_safe_call(ctx, regex_push, &parts, 0, 1);
    ami_buf_dispose(&parts.text);
    if (failed) (void)duk_throw(ctx);
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
        ami__runtime_load_code(ctx, helpers_code, helpers_size, 0);
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

void ami__runtime_setup_prelude(duk_context *ctx, ami_runtime *r)
{
    if (prelude_code) {
        ami__runtime_load_code(ctx, prelude_code, prelude_size, 0);
    } else {
        duk_push_string(ctx, PRELUDE_FILENAME);
        duk_compile_string_filename(ctx, DUK_COMPILE_FUNCTION, ami__prelude_js);
    }
    duk_push_object(ctx);
    ami__runtime_push_host(ctx, r);   /* fills the object on top */
    duk_push_c_lightfunc(ctx, h_lazy, 1, 1, 0);
    duk_put_prop_string(ctx, -2, "lazy");
    duk_push_c_lightfunc(ctx, h_regex, 2, 2, 0);
    duk_put_prop_string(ctx, -2, "regex");
    duk_push_c_lightfunc(ctx, h_lazy_put, 5, 5, 0);
    duk_put_prop_string(ctx, -2, "lazyPut");
    duk_push_c_lightfunc(ctx, h_force, 3, 3, 0);
    duk_put_prop_string(ctx, -2, "force");
    duk_dup(ctx, -1);                 /* host, kept for the trim below */
    duk_insert(ctx, -3);
    duk_push_global_object(ctx);
    duk_call(ctx, 2);                 /* -> host, hooks object */
    duk_push_global_stash(ctx);
    static const char *const hooks[] = { "dispatch", "drain", "start", "settle", "fire", "reset", "bodyError", "bodyValue",
                                         "setTerm", "jobs", "pool", NULL };
    for (int i = 0; hooks[i]; i++) {
        duk_get_prop_string(ctx, -2, hooks[i]);
        duk_put_prop_string(ctx, -2, hooks[i]);
    }
    /* the job queue and coroutine pool arrays (never replaced; the stash keeps
     * them alive): loop.c looks at their lengths after a synchronous body */
    duk_get_prop_string(ctx, -1, "jobs");
    r->loop.jobs = duk_get_heapptr(ctx, -1);
    duk_get_prop_string(ctx, -2, "pool");
    r->loop.pool = duk_get_heapptr(ctx, -1);
    duk_pop_2(ctx);
    /* what only the prelude's setup read goes (~0.9 KB of an idle heap):
     * Stels.config's source object (the stash's and host's config), the
     * promise keys' array (the prelude keeps the keys) and promiseInit; and
     * until a part loads, the host's functions only the parts use (h_lazy) */
    duk_del_prop_string(ctx, -1, "config");
    host_trim(ctx, -3);
    /* the prelude's variables, copied out of its registers when it returned
     * into a table with growth slack (any of its closures leads there) */
    duk_get_prop_string(ctx, -1, "drain");
    ami__duk_compact_scope(ctx, -1);
    duk_pop_n(ctx, 4);
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
    /* the Duktape object stays (Duktape's built-in, where errThrow is looked
     * up): without the slack that adding errThrow left */
    duk_get_prop_string(ctx, -1, "Duktape");
    if (duk_is_object(ctx, -1)) duk_compact(ctx, -1);
    duk_pop(ctx);
    for (int i = 0; removed_globals[i]; i++) duk_del_prop_string(ctx, -1, removed_globals[i]);
    /* the objects the prelude added properties to (the names loaded on first
     * use, Stels, logger, the helpers) keep their tables' growth slack
     * otherwise: ~1.4 KB of an idle heap for ~0.5 % of a create */
    duk_compact(ctx, -1);
    static const char *const grown[] = { "Array", "String", "Object", "Number", "Promise", NULL };
    for (int i = 0; grown[i]; i++) {
        duk_get_prop_string(ctx, -1, grown[i]);
        duk_compact(ctx, -1);
        duk_get_prop_string(ctx, -1, "prototype");
        duk_compact(ctx, -1);
        duk_pop_2(ctx);
    }
    /* Stels and Stels.runtime, built a property at a time (~0.25 KB of slack) */
    duk_get_prop_string(ctx, -1, "Stels");
    if (duk_is_object(ctx, -1)) {
        duk_compact(ctx, -1);
        duk_get_prop_string(ctx, -1, "runtime");
        if (duk_is_object(ctx, -1)) duk_compact(ctx, -1);
        duk_pop(ctx);
    }
    duk_pop(ctx);
    duk_pop(ctx);
}

