/*
 * The hot half of the prelude's Promise (lib/runtime/js/prelude.js) in C:
 * Promise.prototype.then and the ring of pending children.  then() is what
 * a chain of 100,000 links calls 100,000 times; written in JavaScript it cost
 * Duktape about 25,000 instructions a call (a dozen lookups of the prelude's
 * names, a property table grown four times), here a fraction of that.  The
 * reactions still run in the prelude's job loop (a handler may be an async
 * function, whose coroutine Duktape only resumes from ECMAScript code).
 *
 * The promise's fields are the prelude's hidden keys (host.promiseKeys, in
 * this order): state, value, handled, first reaction (onFulfilled,
 * onRejected, child), more reactions, ring slot.  The ring lists children of
 * pending promises so the collector reaches each one step from a root (see
 * the prelude); its counters live here, its array in the prelude.
 */
#include "runtime/internal.h"

enum { K_S, K_V, K_H, K_F, K_J, K_C, K_R, K_I, K_N };
#define RING_MAX 131072u

/* scripts/duk_promise.c (in Duktape's own source: it sizes the property table
 * and reads and writes a promise's fields where it put them) */
void ami__duk_push_promise(duk_context *ctx, void *proto, void *const *keys, int n);
int ami__duk_pget(duk_context *ctx, duk_idx_t idx, void *const *keys, int i);
void ami__duk_pput(duk_context *ctx, duk_idx_t idx, void *const *keys, int i);
int ami__duk_ring_put(duk_context *ctx, void *ring, duk_uint32_t i);
int ami__duk_ring_clear(duk_context *ctx, void *ring, duk_uint32_t i, duk_idx_t idx);
/* field k of the promise at idx: push it / pop the value on top into it */
#define PGET(ctx, P, idx, k) ami__duk_pget((ctx), (idx), (P)->key, (k))
#define PPUT(ctx, P, idx, k) ami__duk_pput((ctx), (idx), (P)->key, (k))

static ami__promise_core *core_of(duk_context *ctx)
{
    duk_memory_functions mf;
    duk_get_memory_functions(ctx, &mf);
    return &((ami_runtime *)mf.udata)->promise;
}

/* List child c (at idx) in the ring. */
static void track(duk_context *ctx, ami__promise_core *P, duk_idx_t idx)
{
    idx = duk_normalize_index(ctx, idx);
    duk_uint32_t i = P->ring_next;
    duk_dup(ctx, idx);
    int held = ami__duk_ring_put(ctx, P->ring, i);
    if (held < 0) {                                     /* outside the array part */
        duk_push_heapptr(ctx, P->ring);
        /* past the end the lookup would go by a string key: appending frees no slot */
        if (i < duk_get_length(ctx, -1)) {
            held = duk_get_prop_index(ctx, -1, i) && !duk_is_undefined(ctx, -1);
            duk_pop(ctx);
        }
        duk_dup(ctx, -2);
        duk_put_prop_index(ctx, -2, i);
        duk_pop_2(ctx);
    }
    if (held > 0) P->ring_live--;
    duk_push_uint(ctx, i);
    PPUT(ctx, P, idx, K_I);
    P->ring_live++;
    P->ring_next = i + 1 == RING_MAX ? 0 : i + 1;
}

/* host.track(c) */
static duk_ret_t h_track(duk_context *ctx)
{
    track(ctx, core_of(ctx), 0);
    return 0;
}

/* Child c (at idx) leaves the ring (its reaction runs); the ring is emptied
 * when nothing is listed.  The value stack is left as it was. */
static void untrack(duk_context *ctx, ami__promise_core *P, duk_idx_t idx)
{
    idx = duk_normalize_index(ctx, idx);
    if (!duk_is_object(ctx, idx)) return;
    if (!PGET(ctx, P, idx, K_I) || !duk_is_number(ctx, -1)) {
        duk_pop(ctx);
        return;
    }
    duk_uint32_t i = duk_get_uint(ctx, -1);
    duk_pop(ctx);
    int same = ami__duk_ring_clear(ctx, P->ring, i, idx);
    duk_push_heapptr(ctx, P->ring);
    if (same < 0) {                                     /* outside the array part */
        duk_get_prop_index(ctx, -1, i);
        same = duk_strict_equals(ctx, -1, idx);
        duk_pop(ctx);
        if (same) {
            duk_push_undefined(ctx);
            duk_put_prop_index(ctx, -2, i);
        }
    }
    if (same && --P->ring_live == 0) {
        duk_set_length(ctx, -1, 0);
        P->ring_next = 0;
    }
    duk_pop(ctx);
}

/* host.untrack(c) */
static duk_ret_t h_untrack(duk_context *ctx)
{
    untrack(ctx, core_of(ctx), 0);
    return 0;
}

/* host.take(p, c): the common reaction job.  When the handler of p's state
 * in p's first reaction is a function (not a pass-through), drop the
 * reaction from p (a settled promise keeps no children), take c out of the
 * ring and return the handler; for an await (c is the waiting coroutine) drop
 * it and return the marker; else return undefined and change nothing. */
static duk_ret_t h_take(duk_context *ctx)
{
    ami__promise_core *P = core_of(ctx);
    PGET(ctx, P, 0, K_S);         /* 2: state */
    PGET(ctx, P, 0, K_F);         /* 3: onFulfilled, or the await marker */
    int await = duk_get_heapptr(ctx, 3) == P->await;
    if (!await && duk_get_int(ctx, 2) != 1) {
        duk_pop(ctx);
        PGET(ctx, P, 0, K_J);
    }
    if (!await && !duk_is_function(ctx, 3)) return 0;
    duk_push_undefined(ctx);
    PPUT(ctx, P, 0, K_F);
    duk_push_undefined(ctx);
    PPUT(ctx, P, 0, K_J);
    duk_push_undefined(ctx);
    PPUT(ctx, P, 0, K_C);
    if (!await) untrack(ctx, P, 1);
    duk_dup(ctx, 3);
    return 1;
}

/* Append the job (job1, c, d) to the queue (d: c's first child, at idx_d). */
static void enqueue1(duk_context *ctx, ami__promise_core *P, duk_idx_t idx_c, duk_idx_t idx_d)
{
    duk_push_heapptr(ctx, P->jobs);
    duk_uarridx_t n = (duk_uarridx_t)duk_get_length(ctx, -1);
    duk_pop(ctx);
    duk_push_heapptr(ctx, P->job1);
    if (ami__duk_ring_put(ctx, P->jobs, n) < 0) {       /* past the array part: grow it */
        duk_push_heapptr(ctx, P->jobs);
        duk_swap_top(ctx, -2);
        duk_put_prop_index(ctx, -2, n);
        duk_pop(ctx);
    }
    duk_uarridx_t i = n + 1;
    duk_idx_t from[2] = { idx_c, idx_d };
    for (int k = 0; k < 2; k++, i++) {
        duk_dup(ctx, from[k]);
        if (ami__duk_ring_put(ctx, P->jobs, i) < 0) {
            duk_push_heapptr(ctx, P->jobs);
            duk_swap_top(ctx, -2);
            duk_put_prop_index(ctx, -2, i);
            duk_pop(ctx);
        }
    }
}

/* host.fulfil(c, x): the handler of c's reaction returned the plain value x
 * (not an object: no thenable to follow).  A pending c takes state 1 and
 * value x and its first reaction is queued; returns true when c has more
 * reactions (the prelude's settleReactions queues them all), else false. */
static duk_ret_t h_fulfil(duk_context *ctx)
{
    ami__promise_core *P = core_of(ctx);
    duk_set_top(ctx, 2);
    PGET(ctx, P, 0, K_S);                               /* 2 */
    if (duk_get_int(ctx, 2) != 0) return 0;             /* settled already */
    duk_push_int(ctx, 1);
    PPUT(ctx, P, 0, K_S);
    duk_dup(ctx, 1);
    PPUT(ctx, P, 0, K_V);
    PGET(ctx, P, 0, K_C);                               /* 3: first child */
    if (duk_is_undefined(ctx, 3)) return 0;
    PGET(ctx, P, 0, K_R);                               /* 4: more reactions */
    if (duk_to_boolean(ctx, 4)) {
        duk_push_true(ctx);
        return 1;
    }
    enqueue1(ctx, P, 0, 3);
    return 0;
}

/* host.ringReset(): after a failed or stopped run */
static duk_ret_t h_ring_reset(duk_context *ctx)
{
    ami__promise_core *P = core_of(ctx);
    if (!P->ring) return 0;
    duk_push_heapptr(ctx, P->ring);
    duk_set_length(ctx, -1, 0);
    P->ring_next = P->ring_live = 0;
    return 0;
}

static duk_ret_t ring_forget(duk_context *ctx, void *udata)
{
    (void)udata;
    return h_ring_reset(ctx);
}

void ami__promise_ring_forget(ami_runtime *r)
{
    if (!r->promise.ring || !r->promise.ring_live) return;
    duk_safe_call(r->ctx, ring_forget, NULL, 0, 1);
    duk_pop(r->ctx);
}

/* Pp.then(onFulfilled, onRejected): the prelude's then(), in C */
static duk_ret_t h_then(duk_context *ctx)
{
    ami__promise_core *P = core_of(ctx);
    duk_set_top(ctx, 2);
    duk_push_this(ctx);                                 /* 2: p */
    if (!duk_is_object(ctx, 2) || !PGET(ctx, P, 2, K_S) || !duk_is_number(ctx, 3))
        return duk_type_error(ctx, "Promise.prototype.then called on a non-promise");
    int s = duk_get_int(ctx, 3);                        /* 3: state */
    ami__duk_push_promise(ctx, P->proto, P->key, K_N);  /* 4: c */
    PGET(ctx, P, 2, K_H);
    if (!duk_to_boolean(ctx, -1)) {
        duk_push_true(ctx);
        PPUT(ctx, P, 2, K_H);
        if (s == 2) {                                   /* no longer an unhandled rejection */
            duk_push_heapptr(ctx, P->unhandled);
            duk_size_t n = duk_get_length(ctx, -1);
            for (duk_size_t i = 0; i < n; i++) {
                duk_get_prop_index(ctx, -1, (duk_uarridx_t)i);
                int same = duk_strict_equals(ctx, -1, 2);
                duk_pop(ctx);
                if (!same) continue;
                duk_get_prop_string(ctx, -1, "splice");
                duk_dup(ctx, -2);
                duk_push_uint(ctx, (duk_uint_t)i);
                duk_push_int(ctx, 1);
                duk_call_method(ctx, 2);
                duk_pop(ctx);
                break;
            }
            duk_pop(ctx);
        }
    }
    duk_pop(ctx);
    if (s != 0) {                                       /* settled: the reaction runs as a job */
        duk_push_heapptr(ctx, P->jobs);
        duk_uarridx_t n = (duk_uarridx_t)duk_get_length(ctx, -1);
        duk_push_heapptr(ctx, P->job3);
        duk_put_prop_index(ctx, -2, n);
        duk_dup(ctx, 2);
        duk_put_prop_index(ctx, -2, n + 1);
        duk_push_array(ctx);
        duk_dup(ctx, 0);
        duk_put_prop_index(ctx, -2, 0);
        duk_dup(ctx, 1);
        duk_put_prop_index(ctx, -2, 1);
        duk_dup(ctx, 4);
        duk_put_prop_index(ctx, -2, 2);
        duk_put_prop_index(ctx, -2, n + 2);
        duk_pop(ctx);
        duk_dup(ctx, 4);
        return 1;
    }
    PGET(ctx, P, 2, K_C);
    int first = duk_is_undefined(ctx, -1);
    duk_pop(ctx);
    if (first) {
        duk_dup(ctx, 0);
        PPUT(ctx, P, 2, K_F);
        duk_dup(ctx, 1);
        PPUT(ctx, P, 2, K_J);
        duk_dup(ctx, 4);
        PPUT(ctx, P, 2, K_C);
    } else {
        if (!PGET(ctx, P, 2, K_R) || !duk_is_object(ctx, -1)) {
            duk_pop(ctx);
            duk_push_array(ctx);
            duk_dup(ctx, -1);
            PPUT(ctx, P, 2, K_R);
        }
        duk_uarridx_t n = (duk_uarridx_t)duk_get_length(ctx, -1);
        duk_dup(ctx, 0);
        duk_put_prop_index(ctx, -2, n);
        duk_dup(ctx, 1);
        duk_put_prop_index(ctx, -2, n + 1);
        duk_dup(ctx, 4);
        duk_put_prop_index(ctx, -2, n + 2);
        duk_pop(ctx);
    }
    track(ctx, P, 4);
    duk_dup(ctx, 4);
    return 1;
}

/* host.newPromise(): a pending promise with all its fields */
static duk_ret_t h_new_promise(duk_context *ctx)
{
    ami__promise_core *P = core_of(ctx);
    if (!P->proto) return duk_error(ctx, DUK_ERR_ERROR, "promise core not initialised");
    ami__duk_push_promise(ctx, P->proto, P->key, K_N);
    return 1;
}

/* host.promiseInit(keys, Pp, ring, jobs, reactionJob3, unhandled, AWAIT, reactionJob):
 * the prelude's objects this file works on (all kept alive by the prelude) */
static duk_ret_t h_promise_init(duk_context *ctx)
{
    ami__promise_core *P = core_of(ctx);
    for (int i = 0; i < K_N; i++) {
        duk_get_prop_index(ctx, 0, (duk_uarridx_t)i);
        P->key[i] = duk_require_heapptr(ctx, -1);
        duk_pop(ctx);
    }
    P->proto = duk_require_heapptr(ctx, 1);
    P->ring = duk_require_heapptr(ctx, 2);
    P->jobs = duk_require_heapptr(ctx, 3);
    P->job3 = duk_require_heapptr(ctx, 4);
    P->unhandled = duk_require_heapptr(ctx, 5);
    P->await = duk_require_heapptr(ctx, 6);
    P->job1 = duk_require_heapptr(ctx, 7);
    P->ring_next = P->ring_live = 0;
    return 0;
}

void ami__promise_push_host(duk_context *ctx)
{
    static const duk_function_list_entry fns[] = {
        { "promiseInit", h_promise_init, 8 },
        { "then", h_then, 2 },
        { "newPromise", h_new_promise, 0 },
        { "track", h_track, 1 },
        { "untrack", h_untrack, 1 },
        { "take", h_take, 2 },
        { "fulfil", h_fulfil, 2 },
        { "ringReset", h_ring_reset, 0 },
        { NULL, NULL, 0 }
    };
    for (int i = 0; fns[i].key; i++) {
        duk_push_c_lightfunc(ctx, fns[i].value, fns[i].nargs, fns[i].nargs, 0);
        duk_put_prop_string(ctx, -2, fns[i].key);
    }
}
