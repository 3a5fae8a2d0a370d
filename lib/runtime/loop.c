/*
 * The instance event loop: inbox (tasks posted from any thread), timers,
 * keep-alive handles, resources, and the driving of a run (start, step, and
 * the blocking wrappers run and pump).  See loop.h and docs/internals.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "runtime/internal.h"
#include "core/core.h"
#include "util/util.h"

/* ---- inbox ---- */

/* A queue entry for fn(data), or NULL with `data` already handed to `drop`. */
static ami__task *task_new(ami__task_fn fn, ami__drop_fn drop, void *data)
{
    ami__task *t = malloc(sizeof *t);
    if (!t) {
        if (drop) drop(data);
        return NULL;
    }
    t->fn = fn;
    t->drop = drop;
    t->data = data;
    t->next = NULL;
    return t;
}

int ami__loop_post_local(ami_runtime *r, ami__task_fn fn, ami__drop_fn drop, void *data)
{
    ami__task *t = task_new(fn, drop, data);
    if (!t) return AMI_ENOMEM;
    pthread_mutex_lock(&r->mu);
    if (r->loop.tail) r->loop.tail->next = t; else r->loop.head = t;
    r->loop.tail = t;
    pthread_mutex_unlock(&r->mu);
    return 0;
}

int ami__loop_post(ami_runtime *r, ami__task_fn fn, ami__drop_fn drop, void *data)
{
    if (!r || !fn) {
        if (drop) drop(data);
        return AMI_EINVAL;
    }
    ami__task *t = task_new(fn, drop, data);
    if (!t) return AMI_ENOMEM;
    pthread_mutex_lock(&r->mu);
    if (__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE) || r->closing) {
        pthread_mutex_unlock(&r->mu);
        free(t);
        if (drop) drop(data);
        return AMI_ESTOPPED;
    }
    if (r->loop.tail) r->loop.tail->next = t; else r->loop.head = t;
    r->loop.tail = t;
    pthread_cond_broadcast(&r->cv);
    ami__loop_io_kick(r);
    /* Snapshot the callback under the lock and never read r after unlocking:
     * the instance's thread may take this task at once, end the run and free
     * the instance before we get to call `ready` (the callback's payload is
     * the scheduler's and outlives its instances). */
    ami_runtime_ready_fn ready = r->loop.ready;
    void *payload = r->loop.ready_payload;
    pthread_mutex_unlock(&r->mu);
    if (ready) ready(payload);
    return 0;
}

void ami__loop_drop_tasks(ami_runtime *r)
{
    pthread_mutex_lock(&r->mu);
    ami__task *t = r->loop.head;
    r->loop.head = r->loop.tail = NULL;
    pthread_mutex_unlock(&r->mu);
    while (t) {
        ami__task *n = t->next;
        if (t->drop) t->drop(t->data);
        free(t);
        t = n;
    }
}

/* Take the first queued task (NULL when none). */
static ami__task *take_task(ami_runtime *r)
{
    pthread_mutex_lock(&r->mu);
    ami__task *t = r->loop.head;
    if (t) {
        r->loop.head = t->next;
        if (!r->loop.head) r->loop.tail = NULL;
    }
    pthread_mutex_unlock(&r->mu);
    return t;
}

static int inbox_empty(ami_runtime *r)
{
    pthread_mutex_lock(&r->mu);
    int empty = r->loop.head == NULL;
    pthread_mutex_unlock(&r->mu);
    return empty;
}

/* ---- handles and resources ---- */

void ami__loop_ref(ami_runtime *r) { r->loop.refs++; }

void ami__loop_unref(ami_runtime *r)
{
    if (r->loop.refs > 0) r->loop.refs--;
}

void ami__loop_add_resource(ami_runtime *r, ami__resource *res)
{
    res->prev = NULL;
    res->next = r->loop.resources;
    if (res->next) res->next->prev = res;
    r->loop.resources = res;
}

void ami__loop_remove_resource(ami_runtime *r, ami__resource *res)
{
    if (res->prev) res->prev->next = res->next;
    else if (r->loop.resources == res) r->loop.resources = res->next;
    if (res->next) res->next->prev = res->prev;
    res->prev = res->next = NULL;
}

int ami__loop_handles(const ami_runtime *r)
{
    return r->loop.refs + r->loop.timer_refs + ami__runtime_live_subs(r);
}

/* ---- timers: an indexed min-heap of slots ---- */

#define SLOT_BITS 2097152.0   /* ids are gen * 2^21 + slot + 1 */

static int timer_less(const ami__loop *l, int a, int b)
{
    const ami__timer *x = &l->slots[a], *y = &l->slots[b];
    return x->due < y->due || (x->due == y->due && x->seq < y->seq);
}

static void heap_set(ami__loop *l, int pos, int slot)
{
    l->heap[pos] = slot;
    l->slots[slot].pos = pos;
}

static void heap_up(ami__loop *l, int pos)
{
    int slot = l->heap[pos];
    while (pos > 0) {
        int parent = (pos - 1) / 2;
        if (!timer_less(l, slot, l->heap[parent])) break;
        heap_set(l, pos, l->heap[parent]);
        pos = parent;
    }
    heap_set(l, pos, slot);
}

static void heap_down(ami__loop *l, int pos)
{
    int slot = l->heap[pos];
    for (;;) {
        int c = 2 * pos + 1;
        if (c >= l->nheap) break;
        if (c + 1 < l->nheap && timer_less(l, l->heap[c + 1], l->heap[c])) c++;
        if (!timer_less(l, l->heap[c], slot)) break;
        heap_set(l, pos, l->heap[c]);
        pos = c;
    }
    heap_set(l, pos, slot);
}

static void heap_remove(ami__loop *l, int pos)
{
    int last = l->heap[--l->nheap];
    if (pos < l->nheap) {
        heap_set(l, pos, last);
        heap_up(l, pos);
        heap_down(l, l->slots[last].pos);
    }
}

static void slot_free(ami__loop *l, int slot)
{
    ami__timer *t = &l->slots[slot];
    if (t->ref) l->timer_refs--;
    t->ref = 0;
    t->pos = -1;
    t->gen++;
    l->freel[l->nfree++] = slot;
}

double ami__loop_timer_add(ami_runtime *r, double delay_ms, double repeat_ms, int ref)
{
    ami__loop *l = &r->loop;
    if (!l->nfree) {
        int ncap = l->cap ? l->cap * 2 : 8;
        /* the slots are outside the heap but count against its cap (~40 bytes a timer) */
        if (ncap > (int)SLOT_BITS || r->heap_used + (size_t)ncap * 40 > r->heap_max) return 0;
        ami__timer *s = realloc(l->slots, (size_t)ncap * sizeof *s);
        if (!s) return 0;
        l->slots = s;
        int *h = realloc(l->heap, (size_t)ncap * sizeof *h);
        if (!h) return 0;
        l->heap = h;
        int *f = realloc(l->freel, (size_t)ncap * sizeof *f);
        if (!f) return 0;
        l->freel = f;
        for (int i = ncap - 1; i >= l->cap; i--) {
            memset(&s[i], 0, sizeof s[i]);
            s[i].pos = -1;
            f[l->nfree++] = i;
        }
        l->cap = ncap;
    }
    int slot = l->freel[--l->nfree];
    ami__timer *t = &l->slots[slot];
    if (!(delay_ms >= 1)) delay_ms = 1;   /* as Node: 0 (and NaN, negatives) mean 1 */
    if (delay_ms > 9.0e15) delay_ms = 9.0e15;
    t->due = ami_time_mono_ms() + (int64_t)delay_ms;
    t->seq = ++l->seq;
    t->repeat = repeat_ms > 0 ? (repeat_ms < 1 ? 1 : repeat_ms > 9.0e15 ? (int64_t)9.0e15 : (int64_t)repeat_ms) : 0;
    t->ref = ref ? 1 : 0;
    if (t->ref) l->timer_refs++;
    l->heap[l->nheap] = slot;
    t->pos = l->nheap++;
    heap_up(l, t->pos);
    return (double)t->gen * SLOT_BITS + slot + 1;
}

/* The slot of a live timer id, or -1. */
static int timer_slot(ami__loop *l, double id)
{
    if (!(id >= 1) || id > 9.0e15) return -1;
    double s = id - 1;
    double gen = (double)(int64_t)(s / SLOT_BITS);
    int slot = (int)(s - gen * SLOT_BITS);
    if (slot < 0 || slot >= l->cap || l->slots[slot].pos < 0 || (double)l->slots[slot].gen != gen) return -1;
    return slot;
}

void ami__loop_timer_clear(ami_runtime *r, double id)
{
    ami__loop *l = &r->loop;
    int slot = timer_slot(l, id);
    if (slot < 0) return;
    heap_remove(l, l->slots[slot].pos);
    slot_free(l, slot);
}

static void timers_clear(ami__loop *l)
{
    while (l->nheap) {
        int slot = l->heap[--l->nheap];
        slot_free(l, slot);
    }
}

/* The next timer deadline (monotonic ms), or -1. */
static int64_t next_due(const ami__loop *l)
{
    return l->nheap ? l->slots[l->heap[0]].due : -1;
}

void ami__loop_close(ami_runtime *r)
{
    ami__loop_drop_tasks(r);
    timers_clear(&r->loop);
    r->loop.refs = 0;
    while (r->loop.resources) {
        ami__resource *res = r->loop.resources;
        ami__loop_remove_resource(r, res);
        res->close(res);
    }
}

void ami__loop_dispose(ami_runtime *r)
{
    ami__loop_io_dispose(r);
    free(r->loop.slots);
    free(r->loop.heap);
    free(r->loop.freel);
    memset(&r->loop, 0, sizeof r->loop);
}

/* ---- host functions of the loop ---- */

static ami_runtime *instance_of(duk_context *ctx)
{
    duk_memory_functions mf;
    duk_get_memory_functions(ctx, &mf);
    return mf.udata;
}

/* host.timer(delayMs, repeatMs, ref) -> id */
static duk_ret_t h_timer(duk_context *ctx)
{
    ami_runtime *r = instance_of(ctx);
    double id = ami__loop_timer_add(r, duk_to_number(ctx, 0), duk_to_number(ctx, 1), duk_to_boolean(ctx, 2));
    if (id == 0) ami__runtime_throw(ctx, "RangeError", "too many timers");
    duk_push_number(ctx, id);
    return 1;
}

/* host.clearTimer(id) */
static duk_ret_t h_clear_timer(duk_context *ctx)
{
    ami__loop_timer_clear(instance_of(ctx), duk_to_number(ctx, 0));
    return 0;
}

/* host.settled(state): the body's promise settled (1 fulfilled, 2 rejected) */
static duk_ret_t h_settled(duk_context *ctx)
{
    ami_runtime *r = instance_of(ctx);
    r->loop.body_state = duk_to_int(ctx, 0);
    return 0;
}

/* host.aborting(): whether the run is being torn down (stop, lost lease,
 * slice): an error caught by the prelude must then be rethrown, not turned
 * into a rejection */
static duk_ret_t h_aborting(duk_context *ctx)
{
    ami_runtime *r = instance_of(ctx);
    duk_push_boolean(ctx, r->abort || __atomic_load_n(&r->stop, __ATOMIC_ACQUIRE));
    return 1;
}

void ami__loop_push_host(duk_context *ctx)
{
    static const duk_function_list_entry fns[] = {
        { "timer", h_timer, 3 },
        { "clearTimer", h_clear_timer, 1 },
        { "settled", h_settled, 1 },
        { "aborting", h_aborting, 0 },
        { NULL, NULL, 0 }
    };
    for (int i = 0; fns[i].key; i++) {
        duk_push_c_lightfunc(ctx, fns[i].value, fns[i].nargs, fns[i].nargs, 0);
        duk_put_prop_string(ctx, -2, fns[i].key);
    }
    /* a promise's fields (lib/runtime/js/prelude.js): state, value, handled,
     * first reaction (3), more reactions, ring slot */
    static const char *const keys[] = { AMI__PROMISE_KEY_STATE, AMI__PROMISE_KEY_VALUE, "\xFF" "pH", "\xFF" "pF",
                                        "\xFF" "pJ", "\xFF" "pC", "\xFF" "pR", "\xFF" "pI" };
    duk_push_array(ctx);
    for (duk_uarridx_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        duk_push_string(ctx, keys[i]);
        duk_put_prop_index(ctx, -2, i);
    }
    duk_put_prop_string(ctx, -2, "promiseKeys");
}

/* ---- macrotasks ---- */

static void slice_start(ami_runtime *r)
{
    r->slice_deadline = r->slice_ms > 0 ? AMI__SLICE_ARMED : 0;
    r->hook_ticks = 0;
}

static void call_stash_hook(duk_context *ctx, const char *name, int nargs)
{
    /* [ args… ] -> [ result ] */
    duk_push_global_stash(ctx);
    duk_get_prop_string(ctx, -1, name);
    duk_remove(ctx, -2);
    duk_insert(ctx, -1 - nargs);
    duk_call(ctx, nargs);
}

/* Whether one of the prelude's arrays (loop.jobs, loop.pool, promise.unhandled:
 * never replaced) is empty.  No allocation: a slot of the value stack reserve, no property lookup. */
static int array_empty(duk_context *ctx, void *arr)
{
    duk_push_heapptr(ctx, arr);
    int empty = duk_get_length(ctx, -1) == 0;
    duk_pop(ctx);
    return empty;
}

typedef struct {
    ami_runtime *r;
    int kind;            /* MT_* */
    ami__task *task;
    double timer_id;
    ami__task_fn fn;     /* MT_CALL */
    void *data;
} macro_arg;

enum { MT_TASK, MT_TIMER, MT_SUBS, MT_JOBS, MT_CALL };

static duk_ret_t macro_body(duk_context *ctx, void *udata)
{
    macro_arg *a = udata;
    switch (a->kind) {
    case MT_TASK: {
        ami__task *t = a->task;
        a->task = NULL;
        ami__task_fn fn = t->fn;
        void *data = t->data;
        free(t);
        /* a safe call shares the caller's stack frame: what lies below (the body at
         * STACK_BODY, kept for the next run) must survive the task */
        duk_idx_t top = duk_get_top(ctx);
        fn(ctx, data);
        duk_set_top(ctx, top);
        break;
    }
    case MT_TIMER:
        duk_push_number(ctx, a->timer_id);
        call_stash_hook(ctx, "fire", 1);
        duk_pop(ctx);
        break;
    case MT_SUBS:
        ami__runtime_poll_subs(ctx, a->r);
        break;
    case MT_CALL: {
        duk_idx_t top = duk_get_top(ctx);
        a->fn(ctx, a->data);
        duk_set_top(ctx, top);
        break;
    }
    default:
        break;
    }
    /* microtasks after every macrotask, and rejections nobody handled: the
     * prelude's drain, unless its job queue and its list of unhandled
     * rejections are both empty (then it would do nothing, and the call and
     * its names cost some 5,000 instructions, e.g. a Deno.serve request) */
    if (!array_empty(ctx, a->r->loop.jobs) ||
        (a->r->promise.unhandled && !array_empty(ctx, a->r->promise.unhandled))) {
        call_stash_hook(ctx, "drain", 0);
        duk_pop(ctx);
    }
    return 0;
}

/* Run one macrotask protected; 0, or non-zero with the error on top of the stack. */
static int macrotask(ami_runtime *r, macro_arg *a)
{
    slice_start(r);
    r->running = 1;
    int rc = duk_safe_call(r->ctx, macro_body, a, 0, 1);
    r->running = 0;
    r->slice_deadline = 0;
    if (a->task) {   /* never started (out of memory before the call) */
        if (a->task->drop) a->task->drop(a->task->data);
        free(a->task);
        a->task = NULL;
    }
    if (rc == 0) duk_pop(r->ctx);
    return rc;
}

int ami__loop_run_now(ami_runtime *r, ami__task_fn fn, void *data)
{
    if (!r->loop.in_io_run || r->loop.io_failed || r->running || __atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) return -1;
    macro_arg a;
    memset(&a, 0, sizeof a);
    a.r = r;
    a.kind = MT_CALL;
    a.fn = fn;
    a.data = data;
    r->loop.io_ran = 1;
    r->loop.rev_valid = 0;   /* the script may change what the sources wait on */
    if (macrotask(r, &a) != 0) r->loop.io_failed = 1;   /* the error stays on top for the turn */
    return 0;
}

/* ---- the run ---- */

enum { STACK_BODY = 0 };

/* Reset the JS side of the loop (jobs, timers, coroutines) and the C side:
 * after a failed or stopped run nothing it left behind may run later.  The
 * reset is not interruptible: after a stop the exec-timeout check would
 * throw at its first instruction (it did: nothing was reset, and what the
 * run left — a 30,000-link promise chain — stayed reachable, so destroying
 * the heap took seconds of deep collections). */
static void loop_reset(ami_runtime *r)
{
    ami__loop_close(r);
    int running = r->running, ab = r->abort;
    r->running = 0;
    r->abort = 0;
    r->resetting = 1;
    duk_push_global_stash(r->ctx);
    duk_get_prop_string(r->ctx, -1, "reset");
    duk_pcall(r->ctx, 0);
    duk_pop_2(r->ctx);
    /* a run ended by a stop or a limit: what it held is garbage now, often
     * in cycles only a collection finds; collect it now, while it is
     * unreachable (freeing the heap later with it took longer: amid's
     * shutdown beside hostile scripts 2.0-2.3 s instead of 1.25-1.7 s) */
    if (ab || __atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) duk_gc(r->ctx, 0);
    r->resetting = 0;
    r->running = running;
    r->abort = ab;
    r->loop.next_poll = 0;
}

static duk_ret_t start_body(duk_context *ctx, void *udata)
{
    (void)udata;
    duk_dup(ctx, STACK_BODY);
    call_stash_hook(ctx, "start", 1);
    duk_pop(ctx);
    call_stash_hook(ctx, "drain", 0);
    duk_pop(ctx);
    return 0;
}

/* [value] -> []: a synchronous body's value, through the prelude (thenables,
 * parked coroutines), then the microtasks */
static duk_ret_t settle_body(duk_context *ctx, void *udata)
{
    (void)udata;
    call_stash_hook(ctx, "settle", 1);
    duk_pop(ctx);
    call_stash_hook(ctx, "drain", 0);
    duk_pop(ctx);
    return 0;
}

/* Call a synchronous body (no top-level await): a plain protected call.  When
 * it returns a primitive and leaves no microtask and no parked coroutine, the
 * run is over without the loop (*done set: 2 when the value is undefined, 1
 * otherwise; the value on top); otherwise the prelude settles the run with it
 * as `start` would.  0, or non-zero with the error on top. */
static int run_sync(ami_runtime *r, int *done)
{
    duk_context *ctx = r->ctx;
    duk_dup(ctx, STACK_BODY);
    int rc = duk_pcall(ctx, 0);
    if (rc != 0) return rc;
    if ((*done = ami__duk_sync_done(ctx, r->loop.jobs, r->loop.pool)) != 0) return 0;
    rc = duk_safe_call(ctx, settle_body, NULL, 1, 1);
    if (rc == 0) duk_pop(ctx);
    return rc;
}

static duk_ret_t apply_term(duk_context *ctx, void *udata)
{
    ami_runtime *r = udata;
    if (r->pending_term > 0) duk_push_number(ctx, (double)r->pending_term);
    else duk_push_null(ctx);
    call_stash_hook(ctx, "setTerm", 1);
    return 0;
}

/* A run begins (ami_runtime_start after its checks; ami__loop_step_runs). */
static void start_run(ami_runtime *r)
{
    if (!r->stack_checked) ami__runtime_check_stack(r);
    r->abort = 0;
    r->heap_hit = 0;
    if (r->promise.ring_live) ami__promise_ring_forget(r);   /* a call an iteration fewer in a trivial loop */
    /* much garbage left by the last run (cycles only a collection finds: each
     * function and its prototype are one) would meet the heap cap in the
     * middle of this one, where each refused allocation costs collections of
     * a deep heap: collect it first, when the heap grew by a quarter of the
     * cap since the last such collection (a big live heap is not collected
     * at every run).  The runs after the first of a 100,000-link promise
     * chain took 2-3 times as long. */
    if (r->heap_used > r->heap_after_gc + r->heap_max / 4) {
        duk_gc(r->ctx, 0);
        r->heap_after_gc = r->heap_used;
    }
    if (r->term_dirty) {
        r->term_dirty = 0;
        r->term = r->pending_term;
        duk_safe_call(r->ctx, apply_term, r, 0, 1);
        duk_pop(r->ctx);
    }
    r->loop.started = 1;
    r->loop.pending_start = 1;
    r->loop.body_state = 0;
}

AMI_EXTERN(int) ami_runtime_start(ami_runtime *r)
{
    if (!r) return ami__error_set(AMI_EINVAL, "runtime: instance is NULL");
    if (r->loop.started) return ami__error_set(AMI_EINVAL, "runtime: a run is already in progress");
    start_run(r);
    return 0;
}

/* End the run with the error on top of the stack (popped). */
static int end_with_error(ami_runtime *r, ami_runtime_result *res)
{
    int code = ami__runtime_finish_error(r, res);
    r->loop.started = 0;
    loop_reset(r);
    return code;
}

static int end_stopped(ami_runtime *r, ami_runtime_result *res)
{

    int code = ami__runtime_stopped_result(r, res);
    r->loop.started = 0;
    r->loop.pending_start = 0;
    loop_reset(r);
    return code;
}

/* Deno.exit() whose error the script caught: the run still ends (with its code). */
static int end_exited(ami_runtime *r, ami_runtime_result *res)
{
    duk_push_error_object(r->ctx, DUK_ERR_ERROR, "Deno.exit(%d)", r->exit_code);
    return end_with_error(r, res);
}

static duk_ret_t take_body_error(duk_context *ctx, void *udata)
{
    (void)udata;
    call_stash_hook(ctx, "bodyError", 0);
    return 1;
}

static duk_ret_t take_body_value(duk_context *ctx, void *udata)
{
    (void)udata;
    call_stash_hook(ctx, "bodyValue", 0);
    return 1;
}

/* Log an error of a callback that ran after the body settled. */
static void log_callback_error(ami_runtime *r)
{
    int reason = r->abort;
    r->abort = 0;
    char line[400];
    if (reason == AMI__ABORT_SLICE)
        snprintf(line, sizeof line, "SliceLimitExceeded: a callback ran %lld ms without yielding", (long long)r->slice_ms);
    else
        snprintf(line, sizeof line, "uncaught error in a callback: %s", duk_safe_to_string(r->ctx, -1));
    duk_pop(r->ctx);
    ami__runtime_log(r, AMI_LOG_ERROR, line, strlen(line));
}

/* Run what is ready now.  Returns 1 when something ran, 0 when nothing was
 * ready, < 0 when the run ended (DONE_*) or a pump must stop. */
enum { TURN_IDLE = 0, TURN_WORKED = 1, TURN_ERROR = -1, TURN_STOPPED = -2 };

/* with_io: serve the I/O sources first (a blocking wrapper skips them in the
 * turns that follow a working one: its wait polls them next, at once) */
static int turn(ami_runtime *r, int in_run, int with_io)
{
    if (__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) return TURN_STOPPED;
    int worked = 0, rc;
    macro_arg a;
    /* I/O sources first: what they finished joins the inbox (or runs at once) */
    if (with_io && r->loop.io) {
        r->loop.in_io_run = 1;
        r->loop.io_ran = 0;
        ami__loop_io_run(r);
        r->loop.in_io_run = 0;
        if (r->loop.io_ran) worked = 1;
        if (r->loop.io_failed) {
            r->loop.io_failed = 0;
            goto failed;
        }
    }
    /* the inbox: what is queued now (later posts wait for the next turn) */
    for (int n = 0; n < 256; n++) {
        ami__task *t = take_task(r);
        if (!t) break;
        memset(&a, 0, sizeof a);
        a.r = r;
        a.kind = MT_TASK;
        a.task = t;
        worked = 1;
        if ((rc = macrotask(r, &a)) != 0) goto failed;
    }
    /* due timers, in deadline order (FIFO on ties) */
    int64_t now = ami_time_mono_ms();
    for (int n = 0; n < 1024 && r->loop.nheap; n++) {
        int slot = r->loop.heap[0];
        ami__timer *t = &r->loop.slots[slot];
        if (t->due > now) break;
        double id = (double)t->gen * SLOT_BITS + slot + 1;
        if (t->repeat > 0) {
            t->due = now + t->repeat;
            t->seq = ++r->loop.seq;
            heap_down(&r->loop, 0);
        } else {
            heap_remove(&r->loop, 0);
            slot_free(&r->loop, slot);
        }
        memset(&a, 0, sizeof a);
        a.r = r;
        a.kind = MT_TIMER;
        a.timer_id = id;
        worked = 1;
        if ((rc = macrotask(r, &a)) != 0) goto failed;
        if (__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) return TURN_STOPPED;
    }
    /* subscriptions without a change-feed hub (subhub.c), polled every sub_poll_ms while live */
    if (ami__runtime_polled_subs(r)) {
        now = ami_time_mono_ms();
        if (!r->loop.next_poll || now >= r->loop.next_poll) {
            r->loop.next_poll = now + r->poll_ms;
            memset(&a, 0, sizeof a);
            a.r = r;
            a.kind = MT_SUBS;
            if ((rc = macrotask(r, &a)) != 0) goto failed;
            worked = 1;
        }
    } else {
        r->loop.next_poll = 0;
    }
    return worked;
failed:
    if (r->abort == AMI__ABORT_STOP || r->abort == AMI__ABORT_LEASE || __atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
        duk_pop(r->ctx);
        r->abort = 0;
        return TURN_STOPPED;
    }
    if (in_run) return TURN_ERROR;
    log_callback_error(r);
    return TURN_WORKED;
}

/* The next moment something may become ready (monotonic ms), or -1. */
static int64_t next_wake(ami_runtime *r)
{
    int64_t w = next_due(&r->loop);
    if (r->loop.io) {
        int64_t io = ami__loop_io_due(r);
        if (io >= 0 && (w < 0 || io < w)) w = io;
    }
    if (ami__runtime_polled_subs(r) && r->loop.next_poll && (w < 0 || r->loop.next_poll < w)) w = r->loop.next_poll;
    return w;
}

static int step(ami_runtime *r, int64_t *wake_ms, ami_runtime_result *res, int park);
/* A parked wait at least this long trims the value stack (step_on). */
#define AMI__TRIM_WAIT_MS 1000
static int body_start(ami_runtime *r, ami_runtime_result *res, int keep);
static int step_on(ami_runtime *r, int64_t *wake_ms, ami_runtime_result *res, int park);

AMI_EXTERN(int) ami_runtime_step(ami_runtime *r, int64_t *wake_ms, ami_runtime_result *res)
{
    /* a scheduler drives the instance: between turns the watcher polls its I/O */
    return step(r, wake_ms, res, r && r->loop.ready);
}

int ami__loop_step_runs(ami_runtime *r, int64_t *wake_ms, ami_runtime_result *res, int (*more)(void *), void *payload,
                        uint64_t *ended)
{
    *ended = 0;
    int park = r->loop.ready != NULL;
    int rc = step(r, wake_ms, res, park);
    while (rc == AMI_RUNTIME_DONE && res->code == 0 && more(payload)) {
        if (res->value) ami_runtime_result_dispose(res);
        res->ok = 0;
        ++*ended;
        start_run(r);
        /* what ami_runtime_step does, less its checks: a run is started, and
         * a stop (or an asynchronous body) takes the whole step */
        if (r->body_async || __atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
            rc = step(r, wake_ms, res, park);
            continue;
        }
        *wake_ms = -1;
        rc = body_start(r, res, 0);
        if (rc != AMI_RUNTIME_DONE) rc = step_on(r, wake_ms, res, park);
    }
    return rc;
}

static int step(ami_runtime *r, int64_t *wake_ms, ami_runtime_result *res, int park)
{
    if (wake_ms) *wake_ms = -1;
    if (res) *res = (ami_runtime_result)AMI_RUNTIME_RESULT_INIT;
    if (!r) return ami__error_set(AMI_EINVAL, "runtime: instance is NULL");
    if (!r->loop.started) return ami__error_set(AMI_EINVAL, "runtime: no run started (ami_runtime_start)");
    if (__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) return end_stopped(r, res), AMI_RUNTIME_DONE;
    if (r->loop.pending_start && body_start(r, res, 1) == AMI_RUNTIME_DONE) return AMI_RUNTIME_DONE;
    return step_on(r, wake_ms, res, park);
}

/* The body's call at a run's first step (pending_start; no stop asked):
 * AMI_RUNTIME_DONE when the run ended in it (res filled), else 0 (step_on
 * goes on).  keep: a synchronous body's value is kept in res (else dropped). */
static int body_start(ami_runtime *r, ami_runtime_result *res, int keep)
{
    duk_context *ctx = r->ctx;
    r->loop.pending_start = 0;
    slice_start(r);
    r->running = 1;
    int done = 0, rc;
    if (r->body_async) {
        rc = duk_safe_call(ctx, start_body, r, 0, 1);
        if (rc == 0) duk_pop(ctx);
    } else {
        rc = run_sync(r, &done);
    }
    r->running = 0;
    r->slice_deadline = 0;
    if (rc != 0) {
        if (ami_runtime_stop_requested(r) && r->abort != AMI__ABORT_STOP && r->abort != AMI__ABORT_LEASE)
            r->abort = __atomic_load_n(&r->stop, __ATOMIC_ACQUIRE);
        return end_with_error(r, res), AMI_RUNTIME_DONE;
    }
    if (done && r->abort != AMI__ABORT_EXIT) {
        /* settled synchronously: the value is on top */
        r->loop.started = 0;
        if (r->loop.io) ami__loop_io_end(r);
        if (res) res->ok = 1;
        if (res && keep && done == 1) ami__runtime_keep_value(r, res);   /* pops it */
        else duk_pop(ctx);   /* undefined, or not wanted: nothing to keep */
        return AMI_RUNTIME_DONE;
    }
    if (done) duk_pop(ctx);
    if (r->abort == AMI__ABORT_EXIT) return end_exited(r, res), AMI_RUNTIME_DONE;
    return 0;
}

/* The rest of a step: the loop's turns until the body settles or nothing is ready. */
static int step_on(ami_runtime *r, int64_t *wake_ms, ami_runtime_result *res, int park)
{
    duk_context *ctx = r->ctx;
    for (int rounds = 0; rounds < 64; rounds++) {
        if (r->loop.body_state) break;
        int t = turn(r, 1, rounds == 0 || park);
        if (t == TURN_STOPPED) return end_stopped(r, res), AMI_RUNTIME_DONE;
        if (t == TURN_ERROR) return end_with_error(r, res), AMI_RUNTIME_DONE;
        if (r->abort == AMI__ABORT_EXIT) return end_exited(r, res), AMI_RUNTIME_DONE;
        if (t == TURN_IDLE) break;
    }
    if (r->loop.body_state == 1) {
        r->loop.started = 0;
        ami__loop_io_end(r);
        int vrc = duk_safe_call(ctx, take_body_value, NULL, 0, 1);
        if (res) {
            res->ok = 1;
            if (vrc == 0) ami__runtime_keep_value(r, res);   /* pops it */
            else duk_pop(ctx);
        } else {
            duk_pop(ctx);
        }
        return AMI_RUNTIME_DONE;
    }
    if (r->loop.body_state == 2) {
        r->loop.started = 0;
        if (duk_safe_call(ctx, take_body_error, NULL, 0, 1) != 0) { /* the error of the hook itself */ }
        return end_with_error(r, res), AMI_RUNTIME_DONE;
    }
    int64_t w = next_wake(r);
    if (w < 0 && !r->loop.refs && !ami__runtime_live_subs(r) && inbox_empty(r)) {
        /* nothing can ever settle the body: no timer, I/O, task or subscription */
        r->running = 0;
        duk_push_error_object(ctx, DUK_ERR_ERROR, "the script awaits a promise that can never settle "
                                                  "(no pending timers, I/O or live subscriptions)");
        return end_with_error(r, res), AMI_RUNTIME_DONE;
    }
    int64_t d = w >= 0 ? w - ami_time_mono_ms() : -1;
    int idle = inbox_empty(r);
    if (wake_ms) {
        if (!idle) *wake_ms = 0;
        else if (w >= 0) *wake_ms = d < 0 ? 0 : d;
    }
    /* parked for a while (a sleep, I/O, a subscription): the value stacks the
     * run grew (~2.4 KB, and ~0.5 KB of the body's coroutine) are given back;
     * a worker that wakes sooner keeps them rather than reallocating them at
     * every turn */
    if (park && idle && (w < 0 || d >= AMI__TRIM_WAIT_MS)) ami__duk_valstack_trim(ctx, 1);
    if (park) ami__loop_io_park(r);
    return 0;
}

/* Block until a post, a stop, or the monotonic deadline (-1: none). */
static void wait_until(ami_runtime *r, int64_t deadline)
{
    if (ami__loop_io_wait(r, deadline)) return;   /* polled the I/O sources (or a post was there) */
    pthread_mutex_lock(&r->mu);
    while (!r->loop.head && !__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
        int64_t now = ami_time_mono_ms();
        if (deadline >= 0 && now >= deadline) break;
        int64_t step = deadline < 0 ? 60000 : deadline - now;
        ami__cond_wait_mono_ms(&r->cv, &r->mu, step);
    }
    pthread_mutex_unlock(&r->mu);
}

AMI_EXTERN(int) ami_runtime_run(ami_runtime *r, ami_runtime_result *res)
{
    if (res) *res = (ami_runtime_result)AMI_RUNTIME_RESULT_INIT;
    if (!r) return ami__error_set(AMI_EINVAL, "runtime: instance is NULL");
    if (ami_runtime_stop_requested(r)) return ami__runtime_stopped_result(r, res);
    int rc = ami_runtime_start(r);
    if (rc) return rc;
    ami_runtime_result own = AMI_RUNTIME_RESULT_INIT, *out = res ? res : &own;
    for (;;) {
        int64_t wake = -1;
        rc = step(r, &wake, out, 0);
        if (rc == AMI_RUNTIME_DONE) {
            rc = out->code;
            ami_runtime_result_dispose(&own);
            return rc;
        }
        if (rc < 0) return rc;
        if (wake != 0) wait_until(r, wake < 0 ? -1 : ami_time_mono_ms() + wake);
    }
}

AMI_EXTERN(int) ami_runtime_pump(ami_runtime *r, int timeout_ms)
{
    if (!r) return ami__error_set(AMI_EINVAL, "runtime: instance is NULL");
    int64_t deadline = timeout_ms < 0 ? -1 : ami_time_mono_ms() + timeout_ms;
    int with_io = 1;
    for (;;) {
        if (ami_runtime_stop_requested(r)) {
            loop_reset(r);
            return ami__runtime_stopped_result(r, NULL);
        }
        /* a scheduler's pump (ready set) returns without waiting: it serves the sources every turn */
        int t = turn(r, 0, with_io || r->loop.ready);
        if (t == TURN_STOPPED) {
            loop_reset(r);
            return ami__runtime_stopped_result(r, NULL);
        }
        with_io = 0;
        if (t == TURN_WORKED) continue;
        if (!ami__loop_handles(r) && inbox_empty(r)) return 0;
        int64_t now = ami_time_mono_ms();
        if (deadline >= 0 && now >= deadline) {
            if (r->loop.ready) ami__loop_io_park(r);   /* a scheduler pumps it: the watcher polls its I/O */
            return 0;
        }
        int64_t w = next_wake(r);
        if (deadline >= 0 && (w < 0 || w > deadline)) w = deadline;
        wait_until(r, w);
        with_io = 1;
    }
}

int64_t ami__loop_wake_in(ami_runtime *r)
{
    if (!inbox_empty(r)) return 0;
    int64_t w = next_wake(r);
    if (w < 0) return -1;
    w -= ami_time_mono_ms();
    return w < 0 ? 0 : w;
}

AMI_EXTERN(int) ami_runtime_handles(const ami_runtime *r)
{
    return r ? ami__loop_handles(r) : 0;
}
