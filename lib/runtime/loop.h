/*
 * Internal: the instance event loop (lib/runtime/loop.c).
 *
 * Each instance has one loop: the prelude's promise job queue (microtasks,
 * drained after every macrotask), timers (a min-heap by deadline on the
 * monotonic clock), an inbox of tasks posted from any thread, keep-alive
 * handles (ref counted) and resources closed on stop, reload and free.
 * Service threads (fetch, WebSocket, Deno.serve, change feeds) never touch a
 * Duktape heap: they post a task, and the task runs on the instance's thread.
 */
#ifndef AMI_RUNTIME_LOOP_H
#define AMI_RUNTIME_LOOP_H
#include "duktape.h"
#include "ami/runtime.h"

/* Runs on the instance's thread with the heap usable (inside a protected
 * call: it may throw; an error escaping it ends the current run like an
 * uncaught exception in a callback, or is logged after the body settled).
 * It owns `data` from then on. */
typedef void (*ami__task_fn)(duk_context *ctx, void *data);

/* The hidden keys (Duktape hidden symbols: a leading 0xFF byte, which no
 * script can write) of a promise's state and value in the prelude
 * (host.promiseKeys[0] and [1]; the state is 0 pending, 1 fulfilled, 2 rejected). */
#define AMI__PROMISE_KEY_STATE "\xFF" "pS"
#define AMI__PROMISE_KEY_VALUE "\xFF" "pV"
/* Frees the data of a task dropped unrun (stop, free).  May run on any thread
 * (the one calling ami_runtime_stop/free), never touches a heap. */
typedef void (*ami__drop_fn)(void *data);

/* Thread-safe: queue fn(data) on inst's loop and wake whoever drives it
 * (the blocking wrappers, or the options' `ready` callback).  Tasks run in
 * the order posted, each as one macrotask (the slice restarts; microtasks
 * run after it).  Returns 0, or AMI_ESTOPPED after calling drop(data) (when
 * not NULL) when the instance is stopping, stopped or being freed.
 * AMI_ENOMEM (drop called too) when the task cannot be queued. */
int ami__loop_post(ami_runtime *inst, ami__task_fn fn, ami__drop_fn drop, void *data);

/* Keep-alive handles (instance thread only): while the count is above zero
 * the instance has work pending (ami_runtime_handles counts it; pump and
 * single mode keep serving).  In-flight requests, open servers and sockets
 * hold one each. */
void ami__loop_ref(ami_runtime *inst);
void ami__loop_unref(ami_runtime *inst);

/* Resources owned by the instance.  close() runs on the instance's thread
 * (or the one freeing it) when the instance is stopped, reset or freed; it
 * must release what the resource holds and must not call back into the
 * loop's resource functions; the loop unlinks the resource before calling it.
 * Add/remove: instance thread only. */
typedef struct ami__resource {
    void (*close)(struct ami__resource *res);
    struct ami__resource *prev, *next;   /* owned by the loop */
} ami__resource;
void ami__loop_add_resource(ami_runtime *inst, ami__resource *res);
void ami__loop_remove_resource(ami_runtime *inst, ami__resource *res);

/* ---- used by the runtime's own files ---- */

typedef struct ami__task {
    ami__task_fn fn;
    ami__drop_fn drop;
    void *data;
    struct ami__task *next;
} ami__task;

typedef struct ami__timer {
    int64_t due;          /* monotonic ms */
    uint64_t seq;         /* FIFO among equal deadlines */
    int64_t repeat;       /* > 0: setInterval period */
    uint32_t gen;         /* bumped on every reuse of the slot (ids stay unique) */
    int pos;              /* index in the heap, -1 when free */
    int ref;              /* keeps the instance alive */
} ami__timer;

typedef struct ami__loop {
    /* inbox (under inst->mu) */
    ami__task *head, *tail;
    /* timers (instance thread) */
    ami__timer *slots;
    int *heap;            /* slot indices ordered by (due, seq) */
    int nheap, cap, nfree;
    int *freel;
    uint64_t seq;
    int timer_refs;       /* active timers that keep the instance alive */
    /* handles and resources (instance thread) */
    int refs;
    ami__resource *resources;
    /* the run (instance thread) */
    int started;          /* ami_runtime_start was called and the run has not ended */
    int pending_start;    /* the body is called at the next step */
    int body_state;       /* 0 pending, 1 fulfilled, 2 rejected (set by host.settled) */
    int in_run;           /* the body has not settled: errors of macrotasks end the run */
    void *jobs, *pool;    /* the prelude's job queue and coroutine pool arrays (heap pointers) */
    int64_t next_poll;    /* next subscription poll (monotonic ms), 0 = none */
    void (*ready)(void *payload);
    void *ready_payload;
} ami__loop;

/* Register a timer firing after delay_ms (repeat > 0: then every repeat ms);
 * returns its id (> 0) or 0 when out of memory.  Instance thread. */
double ami__loop_timer_add(ami_runtime *inst, double delay_ms, double repeat_ms, int ref);
/* Cancel a timer by id (unknown or fired ids are ignored). */
void ami__loop_timer_clear(ami_runtime *inst, double id);
/* Drop every pending task (calling its drop), clear timers and close
 * resources; JS side tables are reset by the caller.  The inbox part is thread-safe. */
void ami__loop_drop_tasks(ami_runtime *inst);
void ami__loop_close(ami_runtime *inst);
/* Free what the loop allocated (after ami__loop_close). */
void ami__loop_dispose(ami_runtime *inst);
/* Milliseconds until something may be ready (a timer or subscription poll
 * due; 0 when a task is queued), -1 when only a post or a stop can wake the
 * instance.  Instance thread (for a scheduler between ami_runtime_pump(inst, 0) calls). */
int64_t ami__loop_wake_in(ami_runtime *inst);
/* Number of keep-alive handles: refs, ref'd timers and live subscriptions. */
int ami__loop_handles(const ami_runtime *inst);

#endif
