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

/* I/O sources (loop_io.c): file descriptors the loop waits on besides its
 * inbox, served on the instance's own thread — no service thread and no
 * post in between (the HTTP client of fetch).  While a blocking wrapper
 * (ami_runtime_run, ami_runtime_pump) waits, it polls them itself; while
 * the instance is parked by a scheduler (ami_runtime_step returned with a
 * `ready` callback), a process-wide watcher thread polls them and posts an
 * empty task when one is ready or its deadline passed. */
struct pollfd;
typedef struct ami__io_source {
    /* Up to max descriptors to wait on into pfd (pfd may be NULL when max is
     * 0); returns how many there are (may exceed max: call again with room).
     * *due: lowered to the source's deadline (monotonic ms) when it has one. */
    int (*fds)(struct ami__io_source *s, struct pollfd *pfd, int max, int64_t *due);
    /* Serve what is ready: results go in with ami__loop_post_local, or run at
     * once with ami__loop_run_now (the source may then be removed meanwhile). */
    void (*run)(struct ami__io_source *s);
    /* Optional: a run ended (successfully; a failed or stopped one closes the
     * loop's resources).  May remove the source (and free it). */
    void (*end)(struct ami__io_source *s);
    struct ami__io_source *next;   /* owned by the loop */
    int rev_at, nrev;              /* the loop's: where its descriptors were in the last wait's poll */
} ami__io_source;
/* Instance thread. */
void ami__loop_add_io(ami_runtime *inst, ami__io_source *s);
void ami__loop_remove_io(ami_runtime *inst, ami__io_source *s);
/* Queue a task from the instance's own thread (an I/O source's run): like
 * ami__loop_post without waking anyone (the loop is running). */
int ami__loop_post_local(ami_runtime *inst, ami__task_fn fn, ami__drop_fn drop, void *data);
/* From an I/O source's run inside a turn: run fn(data) at once as a macrotask
 * (microtasks drained after it, its error handled as a task's), without the
 * trip through the inbox.  0 when it ran (fn took data); -1 when it cannot run
 * now (not inside a source's run, a stop is pending, an earlier one failed in
 * this turn): nothing was called, post it instead. */
int ami__loop_run_now(ami_runtime *inst, ami__task_fn fn, void *data);
/* In a source's run: its descriptors as the blocking wait polled them just
 * before this turn (revents set; *n of them), or NULL when they were not
 * polled since (poll them yourself). */
const struct pollfd *ami__loop_io_polled(ami_runtime *inst, const ami__io_source *s, int *n);

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
    /* I/O sources (loop_io.c) */
    ami__io_source *io;
    unsigned io_gen;      /* bumped when a source is added or removed */
    int in_io_run;        /* the turn serves the sources: ami__loop_run_now may run a task */
    int io_ran, io_failed;   /* a task ran from a source (failed: its error is on top of the stack) */
    unsigned rev_gen;     /* io_gen when that poll was made */
    int rev_valid;        /* pfd holds what the last wait's poll saw, for the next run of the sources */
    int wake_fd;          /* an eventfd a post writes while io_wait (valid when wake_open) */
    int wake_open;
    int io_wait;          /* a blocking wrapper polls the sources (under inst->mu) */
    struct pollfd *pfd;   /* the descriptors polled (instance thread; the watcher's while parked) */
    int npfd, pfd_cap;
    int64_t park_due;     /* while parked: the sources' deadline, -1 none */
    uint64_t park_seq;    /* the watcher's: which parking this is */
    int parked, waking;   /* under the watcher's lock */
    struct ami_runtime *park_next;
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

/* The zero-delay loop of a scheduler (the node's runner, lib/node/runner.c):
 * ami_runtime_step on the run started, then, while a run ends well and
 * more(payload) says so, the next run at once — started and stepped as
 * ami_runtime_start and ami_runtime_step would, without their checks and
 * without the value of a synchronous body that ended well (it is dropped;
 * the caller's result is disposed between runs).  Returns what the last step
 * returned, with res and *wake_ms of that step; *ended: the runs before it
 * that ended well.  more() runs between runs, after a run ended well and
 * before the next one starts (it may read clocks and flags: the next run's
 * start is its business). */
int ami__loop_step_runs(ami_runtime *inst, int64_t *wake_ms, ami_runtime_result *res, int (*more)(void *),
                        void *payload, uint64_t *ended);
/* loop_io.c, for loop.c: serve the I/O sources now (unparks first); their
 * earliest deadline (-1 none); wait for a post, a stop, a ready descriptor
 * or the deadline (-1 none) — 0 when there is nothing to poll (the caller
 * waits on its condition variable then); hand the sources to the watcher
 * (scheduled instances, between turns) and take them back; kick a waiting
 * poll (under inst->mu); free what the I/O part holds (after unpark). */
void ami__loop_io_run(ami_runtime *inst);
void ami__loop_io_end(ami_runtime *inst);
int64_t ami__loop_io_due(ami_runtime *inst);
int ami__loop_io_wait(ami_runtime *inst, int64_t deadline);
void ami__loop_io_park(ami_runtime *inst);
void ami__loop_io_unpark(ami_runtime *inst);
void ami__loop_io_kick(ami_runtime *inst);
void ami__loop_io_dispose(ami_runtime *inst);
/* Number of keep-alive handles: refs, ref'd timers and live subscriptions. */
int ami__loop_handles(const ami_runtime *inst);

#endif
