/*
 * A worker's instance, driven by the runner pool (lib/node/pool.c) turn by
 * turn: one Duktape heap per generation (one script), running the body in a
 * loop (or once) with the error policy, hot reload, the lease fence on
 * Stels.net writes (fence.c), single-mode done markers and the stop hook.
 *
 * Each turn runs until the worker would wait — inside a run (Stels.sleep, a
 * timer, I/O, a subscription), between iterations (the loop pacing, a
 * backoff), in the stop hook's graceful time — and returns the deadline it
 * waits for; the pool parks it without a thread.  A stop, reload or post
 * wakes it through the runtime's `ready` callback or ami__pool_wake.
 * The steps of a turn follow w->phase (node_internal.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/core.h"
#include "util/util.h"
#include "node/node_internal.h"
#include "ami/registry.h"
#include "registry/worker_internal.h"
#include "runtime/web/web.h"
#include "runtime/loop.h"

/* The earlier of two deadlines (-1 = none). */
static int64_t earlier(int64_t a, int64_t b)
{
    if (a < 0) return b;
    if (b < 0) return a;
    return a < b ? a : b;
}

/* Run what is ready in RT's loop now without blocking (timers, posted tasks,
 * subscription deliveries); returns when it wants to run again (monotonic ms,
 * -1: only on a post or stop).  *stopped: the instance was stopped. */
static int64_t serve(ami_runtime *rt, int *stopped)
{
    int rc = ami_runtime_pump(rt, 0);
    if (stopped) *stopped = rc == AMI_ESTOPPED;
    int64_t in = ami__loop_wake_in(rt);
    return in < 0 ? -1 : ami_time_mono_ms() + in;
}

static void options_for(ami_node *node, ami__worker *w, const json_t *raw, ami_runtime_options *ro)
{
    ro->net = node->store;
    ro->local = node->local;
    ro->worker = raw;
    ro->nid = node->nid;
    ro->network = node->network;
    ro->term = w->gen_term;
    ro->heap_max_bytes = node->o.heap_bytes;
    ro->slice_ms = node->o.slice_ms;
    ro->log_line_max = node->o.log_line_bytes;
    ro->allow_net = node->o.allow_net;
    ro->allow_listen = node->o.allow_listen;
    ro->allow_env = node->o.allow_env;
    ro->ca_file = node->o.ca_file;
    ro->fetch_timeout_ms = node->o.fetch_timeout_ms;
    ro->fetch_body_max = node->o.fetch_body_bytes;
    ro->fetch_max = node->o.fetch_max;
    ro->sockets_max = node->o.sockets_max;
    ro->cex = node->o.cex;
    ro->log = ami__runner_log;
    ro->log_payload = w;
    ro->ready = ami__pool_ready;
    ro->ready_payload = w;
    if (w->gen_leader) {
        ro->net_guard = ami__lease_guard;
        ro->guard_payload = w;
    }
}

/* PH_GEN: build a heap for the latest script; under mu (dropped while building). */
static void generation(ami_node *node, ami__worker *w)
{
    if (w->quit) { w->phase = AMI__PH_EXIT; return; }
    w->reload = 0;
    json_t *raw = json_incref(w->raw);
    memcpy(w->gen_hash, w->hash, sizeof w->gen_hash);
    memcpy(w->inst_hash, w->hash, sizeof w->inst_hash);
    w->gen_leader = w->exec == AMI_EXEC_LEADER;
    w->inst_leader = w->gen_leader;
    w->gen_single = w->mode == AMI_RUN_SINGLE;
    w->gen_term = w->gen_leader ? w->lease.term : 0;
    w->term = w->gen_term;
    w->gen_again = 0;
    pthread_mutex_unlock(&node->mu);

    if (w->gen_single && ami__single_done(node, w->sid, w->gen_hash, w->gen_leader)) {
        pthread_mutex_lock(&node->mu);
        json_decref(raw);
        memcpy(w->finished_hash, w->gen_hash, sizeof w->gen_hash);
        w->state = AMI__ST_FINISHED;
        ami__worker_stats_touch(node, w);
        w->phase = AMI__PH_EXIT;
        return;
    }
    ami_runtime_options ro = AMI_RUNTIME_OPTIONS_INIT;
    options_for(node, w, raw, &ro);
    ami_runtime *rt = NULL;
    int rc = ami_runtime_new(&rt, &ro);
    char msg[640];
    const char *name = "Error";   /* no memory */
    if (rc) {
        ami_script_error se;
        snprintf(msg, sizeof msg, "%s", ami_error_last());
        if (ami_error_last_script(&se) == 0) {   /* does not compile */
            name = se.name;
            if (se.line > 0) snprintf(msg, sizeof msg, "%s (line %d, column %d)", se.message, se.line, se.column);
            else snprintf(msg, sizeof msg, "%s", se.message);
        }
        pthread_mutex_lock(&node->mu);
        json_decref(raw);
        if (!w->started) w->started = ami_time_now_ms();
        /* does not compile (or no memory): a critical failure of this script */
        w->last_run = ami_time_now_ms();
        int64_t d = ami__runner_on_failure(node, w, name, msg, 0);
        if (d < 0) {
            memcpy(w->stopped_hash, w->gen_hash, sizeof w->gen_hash);
            w->state = AMI__ST_STOPPED;
            w->phase = AMI__PH_EXIT;
            return;
        }
        w->deadline = ami_time_mono_ms() + d;
        w->phase = AMI__PH_BUILD_WAIT;
        return;
    }
    pthread_mutex_lock(&node->mu);
    json_decref(raw);
    if (!w->started) w->started = ami_time_now_ms();
    w->rt = rt;
    if (w->quit || w->reload) ami_runtime_stop(rt);
    w->phase = AMI__PH_ITER;
}

/* The clocks of one turn: a zero-delay loop runs many iterations in a turn,
 * and reading the clock was a quarter of its time (four reads an iteration);
 * now one monotonic read every 8 iterations, the wall clock derived from it
 * (a run's start and lastRun may be a few microseconds early).  The fast
 * path of a batch (step_run) looks less often while the runs are short: every
 * `stride` runs, doubled up to 32 while no millisecond passed over a stride,
 * back to 8 when one did (so a batch overruns its time bound by at most about
 * a millisecond more; the reads were still ~7% of a trivial loop's time on a
 * virtual machine's clock). */
typedef struct {
    int64_t mono;         /* monotonic ms of the current iteration (-1: read it) */
    int64_t wall_off;     /* wall minus monotonic ms, read once a turn */
    int64_t last;         /* the latest monotonic read of the turn */
    unsigned stride, since;   /* step_run's fast path: read every `stride` runs; runs since the last read */
} turn_clock;

#define STRIDE_MIN 8
#define STRIDE_MAX 32

static int64_t clock_mono(turn_clock *tc)
{
    return tc->mono >= 0 ? tc->mono : ami_time_mono_ms();
}

/* PH_ITER: start a run unless the worker must leave; under mu. */
static void iteration(ami_node *node, ami__worker *w, turn_clock *tc)
{
    if (w->quit || w->reload) {
        w->gen_again = w->reload && !w->quit;
        w->phase = AMI__PH_END_GEN;
        return;
    }
    if (w->gen_leader) {
        if (!w->held || ami__fenced(node, w)) { w->phase = AMI__PH_END_GEN; return; }
        if (w->lease.term != w->gen_term) {
            w->gen_term = w->lease.term;
            w->term = w->gen_term;
            ami_runtime_set_term(w->rt, w->gen_term);
        }
    }
    w->state = AMI__ST_RUNNING;
    int64_t mono = clock_mono(tc);
    w->last_run = mono + tc->wall_off;
    ami__worker_stats_touch(node, w);
    w->phase = AMI__PH_STEP;
    w->run_t0 = mono;
    /* under mu: it only resets the run's state (and applies a new term:
     * one trivial prelude call), and one lock an iteration fewer counts in a
     * zero-delay loop */
    ami_runtime_start(w->rt);   /* cannot fail here; the step would say so */
}

/* Count `runs` runs that ended, `ok` of them well (the earliest ones): the
 * policy's counters, the stats, ami_node_wait's waiters; under mu.  The one
 * bookkeeping of ended runs, for after_run and a fast-path batch alike. */
static void count_runs(ami_node *node, ami__worker *w, uint64_t runs, uint64_t ok)
{
    if (!runs) return;
    if (ok) {
        ami_policy_on_success(&w->ps);   /* the streaks end; one call counts one run */
        w->ps.executions += ok - 1;
    }
    w->iterations += runs;
    ami__worker_stats_touch(node, w);
    pthread_cond_broadcast(&node->wait_cv);
}

/* A run ended with code, after `fast` runs of the same turn that ended well
 * and were not counted yet (step_run); decide what comes next; under mu
 * (dropped for a done marker). */
static void after_run(ami_node *node, ami__worker *w, int code, ami_runtime_result *res, uint64_t fast)
{
    count_runs(node, w, fast + 1, fast + (code == 0));
    if (code == AMI_ESTOPPED) {
        w->gen_again = w->reload && !w->quit;
        w->phase = AMI__PH_END_GEN;
        return;
    }
    if (code == AMI_ELEASE) {
        /* never run the iteration again here: writes of it may have landed
         * (a conflict with our own renewal is retried inside the write) */
        ami__node_wlog(node, w, "warn", "LeaseLost: leadership of term %lld is over; instance stopped",
                       (long long)w->gen_term);
        w->phase = AMI__PH_END_GEN;
        return;
    }
    int64_t d;
    if (code == 0) {
        if (w->gen_single) {
            pthread_mutex_unlock(&node->mu);
            int mrc = ami__single_mark_done(node, w, w->gen_hash, w->gen_leader);
            pthread_mutex_lock(&node->mu);
            if (mrc) ami__node_wlog(node, w, "warn", "could not record the single run as done: %s", ami_strerror(mrc));
            memcpy(w->finished_hash, w->gen_hash, sizeof w->gen_hash);
            w->state = AMI__ST_FINISHED;
            /* keep serving subscriptions and servers until stopped or none is left */
            if (ami_runtime_handles(w->rt) > 0 && !w->quit && !w->reload) {
                w->phase = AMI__PH_SERVE;
            } else {
                w->gen_again = w->reload && !w->quit;
                w->phase = AMI__PH_END_GEN;
            }
            return;
        }
        w->state = AMI__ST_SLEEPING;
        d = ami__log_budget_pace(node, w, ami__runner_loop_delay(node, w));
    } else {
        d = ami__runner_on_failure(node, w, res->name, res->message, res->line);
        if (d < 0) {
            memcpy(w->stopped_hash, w->gen_hash, sizeof w->gen_hash);
            w->state = AMI__ST_STOPPED;
            w->phase = AMI__PH_END_GEN;
            return;
        }
    }
    /* no delay: due already (the iteration's start will do; no clock read) */
    w->deadline = d > 0 ? ami_time_mono_ms() + d : w->run_t0;
    w->delay_serve = d > 0 && !w->quit && !w->reload && ami_runtime_handles(w->rt) > 0;
    w->phase = AMI__PH_DELAY;
}

/* PH_END_GEN: the instance is stopped (active:false, displaced) or reloaded:
 * its stop hook (Deno.addSignalListener) runs with graceful_shutdown_ms to
 * finish, as at node shutdown (ami_node_stop), before the heap is freed; a
 * new stop (shutdown, another change) cuts it short.  Under mu. */
static void end_generation(ami_node *node, ami__worker *w)
{
    ami_runtime *rt = w->rt;
    w->phase = AMI__PH_FREE;
    if (!(w->quit || w->reload) || node->stopping || w->gen_leader || !ami__runtime_has_stop_hook(rt)) return;
    int graceful = node->o.graceful_shutdown_ms;
    pthread_mutex_unlock(&node->mu);
    ami_runtime_reset_stop(rt);
    int rc = ami__runtime_signal(rt, "SIGTERM", graceful);
    pthread_mutex_lock(&node->mu);
    if (rc == 0) {
        w->deadline = ami_time_mono_ms() + graceful;
        w->phase = AMI__PH_HOOK;
    }
}

/* PH_EXIT: the instance leaves the pool; under mu. */
static void leave(ami_node *node, ami__worker *w)
{
    if (w->state != AMI__ST_FINISHED && !(w->stopped_hash[0] && !strcmp(w->stopped_hash, w->inst_hash))) {
        w->state = w->evict ? AMI__ST_WAITING : AMI__ST_STOPPED;
        w->waiting = w->evict;
    }
    ami__worker_stats_touch(node, w);
    ami__stats_urgent(node);
    /* a policy stop is written into the record (docs/design.md §7), unless the script changed meanwhile */
    json_t *policy_patch = NULL;
    char vs[sizeof w->vs];
    if (w->policy_write && w->stopped_hash[0] && !strcmp(w->stopped_hash, w->hash) && w->vs[0]) {
        policy_patch = json_pack("{s:{s:s, s:I, s:s}}", AMI__STOPPED_BY_POLICY, "reason", w->stop_reason, "at",
                                 (json_int_t)ami_time_now_ms(), "nid", node->nid);
        memcpy(vs, w->vs, sizeof vs);
    }
    w->policy_write = 0;
    if (policy_patch) {
        /* still in the pool (thr_state LIVE), so w stays valid while mu is released */
        pthread_mutex_unlock(&node->mu);
        if (ami_registry_update(NULL, node->store, w->sid, policy_patch, vs))
            ami__log(AMI__LOG_WARN, "node %s: cannot record the policy stop of %s: %s", node->nid, w->sid,
                     ami_error_last());
        json_decref(policy_patch);
        pthread_mutex_lock(&node->mu);
    }
    w->evict = 0;
    ami__pool_leave(node, w);
    w->thr_state = AMI__THR_EXITED;
    ami__worker_stats_recheck(node, w);   /* a leader worker without the lease is no longer shown here */
    node->running--;
    ami__node_attend(node, w);   /* its slot may start again, or free; waiting workers may start */
    /* the threads waiting on cv look again within 100 ms anyway; wake them
     * for a lease to hand over or the last instance (not once per instance
     * when thousands leave at shutdown) */
    if (w->gen_leader || w->lease.versionstamp[0] || node->running == 0) pthread_cond_broadcast(&node->cv);
    pthread_cond_broadcast(&node->wait_cv);
}

/* A zero-delay loop runs up to this many iterations (and this long) in one
 * turn before the others that are ready go first: fewer hand-overs through
 * the pool, and the heap is still warm in the cache.  The time bounds what
 * the others wait; 1,024 short iterations take well under it (~0.1 ms for a
 * trivial body).  64 made a turn's own costs (clock reads, a thread
 * CPU-clock syscall, the pool's locks, another heap cold in the cache) a
 * tenth of a trivial loop's, 256 still about a fifth: 1,000 busy workers
 * 0.45-0.58x a raw duk_pcall loop per core against 0.72-0.73x, alternating
 * runs.  The price: with every runner busy, a worker made ready waits for
 * the turns queued before it, ~0.1 ms each instead of ~0.025 ms. */
#define TURN_BATCH 1024
#define TURN_BATCH_MS 2

/* Whether a run that ended well may be followed at once by the next one
 * without the node's lock (the fast path of a zero-delay loop): a plain
 * worker (not single, not a leader worker: no done marker, no lease check),
 * no pause between iterations and no host callback — fixed for a turn —, and
 * (looked at after each run, fast_still) no log lines dropped (their pacing
 * needs the lock) and nothing asked it to leave or reload (those also stop
 * the runtime, so the next step would end the run anyway; the flags are read
 * without the lock: a late look costs one more iteration). */
static int fast_turn(ami_node *node, ami__worker *w)
{
    return node->o.loop_delay_ms == 0 && !w->gen_single && !w->gen_leader && !node->o.on_iteration;
}

static int fast_still(ami__worker *w)
{
    return !__atomic_load_n(&w->lb_dropped, __ATOMIC_RELAXED) && !__atomic_load_n(&w->quit, __ATOMIC_RELAXED) &&
           !__atomic_load_n(&w->reload, __ATOMIC_RELAXED);
}

/* The current run of a fast-path batch started at `start` (monotonic ms);
 * under mu. */
static void fast_started(ami__worker *w, int64_t start, const turn_clock *tc)
{
    w->run_t0 = start;
    w->last_run = start + tc->wall_off;
}

static void result_dispose(ami_runtime_result *res)
{
    if (res->name || res->message || res->stack || res->value) ami_runtime_result_dispose(res);
}

/* What decides, between two runs of a zero-delay batch, whether the next one
 * starts at once (fast_more, called by ami__loop_step_runs). */
typedef struct {
    ami__worker *w;
    turn_clock *tc;
    int *batch;
    int64_t t0;      /* the turn's start */
    int64_t start;   /* the current run's start (monotonic ms) */
} fast_batch;

static int fast_more(void *payload)
{
    fast_batch *fb = payload;
    turn_clock *tc = fb->tc;
    if (!fast_still(fb->w) || ++*fb->batch >= TURN_BATCH) return 0;
    /* the clock only every `stride` runs (the batch's time bound; a run's start may be a little early) */
    int64_t now = tc->last;
    if (++tc->since >= tc->stride) {
        tc->since = 0;
        now = ami_time_mono_ms();
        tc->stride = now != tc->last ? STRIDE_MIN : tc->stride < STRIDE_MAX ? tc->stride * 2 : STRIDE_MAX;
        tc->last = now;
    }
    if (now - fb->t0 >= TURN_BATCH_MS) return 0;
    fb->start = now;
    return 1;
}

static int never_more(void *payload)
{
    (void)payload;
    return 0;
}

/* PH_STEP: step the run without the node's lock (a wake-up inside a run never
 * waits for the scheduler's passes); the lock is taken only when the run ends.
 * A zero-delay loop (fast_turn, fast_still) starts its next run at once, within the
 * turn's batch, inside the runtime (ami__loop_step_runs: a start and a step
 * an iteration through the public calls, and this loop around them, were
 * ~160 instructions of a trivial loop's ~1,130), and counts its runs under
 * one hold of the lock when the batch ends, a run waits or fails (two locks
 * an iteration, contended by the other runners, were a fifth of a trivial
 * loop's time).
 * Returns the deadline to park with, or AMI__TURN_EXIT-1 when the run ended (mu held then). */
#define RUN_ENDED (AMI__TURN_EXIT - 1)
static int64_t step_run(ami_node *node, ami__worker *w, turn_clock *tc, int *batch, int64_t t0)
{
    uint64_t fast = 0;            /* runs ended well, not counted yet */
    fast_batch fb = { w, tc, batch, t0, w->run_t0 };
    ami_runtime_result res = AMI_RUNTIME_RESULT_INIT;
    int64_t wake = -1;
    int rc = ami__loop_step_runs(w->rt, &wake, &res, fast_turn(node, w) ? fast_more : never_more, &fb, &fast);
    if (rc == 0) {
        if (fast) {
            pthread_mutex_lock(&node->mu);
            fast_started(w, fb.start, tc);
            count_runs(node, w, fast, fast);
            pthread_mutex_unlock(&node->mu);
        }
        return wake < 0 ? -1 : ami_time_mono_ms() + wake;
    }
    int code = rc == AMI_RUNTIME_DONE ? res.code : rc;
    if (node->o.on_iteration) ami__runner_report(node, w, code, &res, ami_time_mono_ms() - fb.start);
    pthread_mutex_lock(&node->mu);
    if (fast) fast_started(w, fb.start, tc);
    after_run(node, w, code, &res, fast);
    result_dispose(&res);
    return RUN_ENDED;
}

int64_t ami__runner_turn(ami_node *node, ami__worker *w)
{
    int batch = 0;
    int64_t t0 = ami_time_mono_ms();
    turn_clock tc = { -1, ami_time_now_ms() - t0, t0, STRIDE_MIN, 0 };
    if (w->phase == AMI__PH_STEP) {
        int64_t due = step_run(node, w, &tc, &batch, t0);
        if (due != RUN_ENDED) return due;
    } else {
        pthread_mutex_lock(&node->mu);
    }
    for (;;) {
        ami_runtime *rt = w->rt;
        int64_t due, now;
        int stopped = 0;
        switch (w->phase) {
        case AMI__PH_GEN:
            generation(node, w);
            continue;
        case AMI__PH_BUILD_WAIT:
            if (w->quit) { w->phase = AMI__PH_EXIT; continue; }
            if (!w->reload && ami_time_mono_ms() < w->deadline) { due = w->deadline; break; }
            w->phase = AMI__PH_NEXT_GEN;
            continue;
        case AMI__PH_NEXT_GEN:
            w->phase = w->quit || !ami__node_wants(node, w) ? AMI__PH_EXIT : AMI__PH_GEN;
            continue;
        case AMI__PH_ITER:
            iteration(node, w, &tc);
            tc.mono = -1;
            continue;
        case AMI__PH_STEP:
            pthread_mutex_unlock(&node->mu);
            due = step_run(node, w, &tc, &batch, t0);
            if (due != RUN_ENDED) return due;
            continue;   /* mu held again */
        case AMI__PH_DELAY:
            /* the loop pacing or a backoff is a deadline; with handles (timers,
             * subscriptions, servers) the loop is served until it passes */
            /* a zero-delay loop is due at once (its deadline is its last start):
             * the clock is read only every 8th iteration of a batch */
            now = w->deadline <= tc.last && (batch & 7) ? tc.last : ami_time_mono_ms();
            tc.last = now;
            if (w->delay_serve) {
                if (now < w->deadline && ami_runtime_handles(rt) > 0) {
                    pthread_mutex_unlock(&node->mu);
                    due = serve(rt, &stopped);
                    if (!stopped) return earlier(due, w->deadline);
                    pthread_mutex_lock(&node->mu);
                    now = ami_time_mono_ms();
                }
                w->delay_serve = 0;
            }
            if (w->quit || w->reload) { w->phase = AMI__PH_ITER; continue; }
            if (now >= w->deadline) {
                w->phase = AMI__PH_ITER;
                tc.mono = now;   /* the next iteration starts now */
                if (++batch < TURN_BATCH && now - t0 < TURN_BATCH_MS) continue;
                due = now;   /* the next iteration, after the others that are ready */
                break;
            }
            due = w->deadline;
            break;
        case AMI__PH_SERVE:
            pthread_mutex_unlock(&node->mu);
            due = serve(rt, &stopped);
            pthread_mutex_lock(&node->mu);
            if (!stopped && ami_runtime_handles(rt) > 0) break;
            w->gen_again = w->reload && !w->quit;
            w->phase = AMI__PH_END_GEN;
            continue;
        case AMI__PH_END_GEN:
            end_generation(node, w);
            continue;
        case AMI__PH_HOOK:
            pthread_mutex_unlock(&node->mu);
            due = serve(rt, &stopped);
            pthread_mutex_lock(&node->mu);
            if (stopped || ami_time_mono_ms() >= w->deadline ||
                (ami_runtime_handles(rt) <= 0 && ami__loop_wake_in(rt) != 0)) {
                w->phase = AMI__PH_FREE;
                continue;
            }
            due = earlier(due, w->deadline);
            break;
        case AMI__PH_FREE:
            w->rt = NULL;
            pthread_mutex_unlock(&node->mu);
            ami_runtime_free(rt);
            pthread_mutex_lock(&node->mu);
            w->phase = w->gen_again ? AMI__PH_NEXT_GEN : AMI__PH_EXIT;
            continue;
        case AMI__PH_EXIT:
        default:
            leave(node, w);
            pthread_mutex_unlock(&node->mu);
            return AMI__TURN_EXIT;
        }
        pthread_mutex_unlock(&node->mu);
        return due;
    }
}

int ami__runner_start(ami_node *node, ami__worker *w)
{
    w->quit = 0;
    w->reload = 0;
    w->evict = 0;
    w->state = AMI__ST_RUNNING;
    ami__worker_stats_touch(node, w);
    w->phase = AMI__PH_GEN;
    w->thr_state = AMI__THR_LIVE;
    node->running++;
    node->starts++;
    node->last_start_ms = ami_time_mono_ms();
    ami__pool_add(node, w);
    return 0;
}
