/*
 * An instance thread: one Duktape heap running one worker's script in a loop
 * (or once), with the error policy, hot reload, the lease fence on Stels.net
 * writes and single-mode done markers.
 */
#define _GNU_SOURCE   /* pthread_getattr_np */
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/core.h"
#include "util/util.h"
#include "node/node_internal.h"
#include "ami/registry.h"
#include "registry/worker_internal.h"
#include "runtime/web/web.h"

void ami__runner_log(const ami_log_record *rec, void *payload)
{
    ami__worker *w = payload;
    ami__log_script(w->node, w, rec->ts, rec->level_name, rec->msg, rec->msg_len);
}

/* Whether W's self-fence deadline has passed (monotonic clock); under mu. */
static int fenced(ami_node *node, const ami__worker *w)
{
    return ami_time_mono_ms() > w->renewed_mono + node->o.lease_ms - ami__fence_margin(node->o.lease_ms);
}

/*
 * After a fenced commit conflicted: is the tenure still ours?  A renewal by
 * this node changes the lease's versionstamp without changing the leadership;
 * lease_mu waits for a renewal in flight to be applied, then the stored lease
 * must still name this node with the same term, unexpired, and we are not
 * past the self-fence.  On yes W's lease takes the stored versionstamp so the
 * next fence checks against it.  1 or 0.
 */
static int tenure_holds(ami_node *node, ami__worker *w)
{
    pthread_mutex_lock(&node->lease_mu);
    pthread_mutex_lock(&node->mu);
    ami_lease l = w->lease;
    int ok = w->held && l.versionstamp[0] && !fenced(node, w);
    pthread_mutex_unlock(&node->mu);
    int64_t term = l.term;
    if (ok) ok = ami_election_refresh(&l, node->store) == 0 && l.term == term;
    pthread_mutex_lock(&node->mu);
    if (ok && w->held && w->lease.term == term) w->lease = l;
    else ok = 0;
    pthread_mutex_unlock(&node->mu);
    pthread_mutex_unlock(&node->lease_mu);
    if (!ok) ami_error_clear();
    return ok;
}

/* Every Stels.net mutation of a leader worker commits only while its tenure
 * holds.  Called with batch NULL after such a commit conflicted: 1 when it
 * was only this node's own renewal (the runtime retries that one mutation,
 * which did not land, with a fresh check; the iteration goes on). */
static int lease_guard(ami_atomic *batch, void *payload)
{
    ami__worker *w = payload;
    ami_node *node = w->node;
    if (!batch) return tenure_holds(node, w);
    pthread_mutex_lock(&node->mu);
    ami_lease l = w->lease;
    int ok = w->held && l.versionstamp[0] && !fenced(node, w);
    w->guard_at = ami_time_mono_ms();
    pthread_mutex_unlock(&node->mu);
    if (!ok) {
        /* deposed or past the self-fence: fence with what we had (it conflicts
         * when a peer took over); with nothing to check against, refuse */
        if (!l.versionstamp[0]) return ami__error_set(AMI_ELEASE, "LeaseLost: not the leader");
    }
    int rc = ami_election_add_fence(batch, &l);
    if (rc) return rc;
    if (!ok) {
        /* make sure the commit fails: also require the key to be absent while it exists */
        json_t *k = ami_key_new("ami", "leader", w->sid, NULL);
        ami_atomic_check(batch, k, NULL);
        json_decref(k);
    }
    return 1;
}

/* Wait on W's condition for up to ms (or until quit/reload); under mu. */
static void wait_ms(ami_node *node, ami__worker *w, int64_t ms)
{
    int64_t end = ami_time_mono_ms() + ms;
    while (!w->quit && !w->reload) {
        int64_t left = end - ami_time_mono_ms();
        if (left <= 0) break;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += left / 1000;
        ts.tv_nsec += (left % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) { ts.tv_sec++; ts.tv_nsec -= 1000000000L; }
        pthread_cond_timedwait(&w->cv, &node->mu, &ts);
    }
}

/* Delay W for ms, serving its loop (timers, subscriptions, I/O) meanwhile; under mu (dropped while pumping). */
static void delay(ami_node *node, ami__worker *w, ami_runtime *rt, int64_t ms)
{
    if (ms <= 0 || w->quit || w->reload) return;
    if (rt && ami_runtime_handles(rt) > 0) {
        int64_t end = ami_time_mono_ms() + ms;
        pthread_mutex_unlock(&node->mu);
        ami_runtime_pump(rt, ms > 0x7fffffff ? 0x7fffffff : (int)ms);
        pthread_mutex_lock(&node->mu);
        ms = end - ami_time_mono_ms();   /* the last handle may have gone early */
        if (ms <= 0 || w->quit || w->reload) return;
    }
    wait_ms(node, w, ms);
}

static json_t *done_key(const char *sid, const char *who)
{
    return ami_key_new("ami", "done", sid, who, NULL);
}

/* Is this single-mode script already done (here, or cluster-wide for a leader worker)? */
static int already_done(ami_node *node, const char *sid, const char *hash, int leader)
{
    json_t *k = done_key(sid, leader ? AMI__DONE_CLUSTER : node->nid);
    json_t *e = NULL;
    int done = 0;
    if (ami_store_get(&e, node->store, k) == 0) {
        const char *h = json_string_value(json_object_get(json_object_get(e, "value"), "scriptHash"));
        done = h && !strcmp(h, hash);
    }
    json_decref(e);
    json_decref(k);
    return done;
}

/* Record a finished single run; a leader's markers commit only under its lease. */
static int mark_done(ami_node *node, ami__worker *w, const char *hash, int leader)
{
    json_t *v = json_pack("{s:s, s:I}", "scriptHash", hash, "at", (json_int_t)ami_time_now_ms());
    ami_atomic *a = NULL;
    int rc = ami_atomic_new(&a);
    json_t *k1 = done_key(w->sid, node->nid), *k2 = done_key(w->sid, AMI__DONE_CLUSTER);
    if (!rc) rc = ami_atomic_set(a, k1, v, 0);
    if (!rc && leader) {
        rc = ami_atomic_set(a, k2, v, 0);
        pthread_mutex_lock(&node->mu);
        ami_lease l = w->lease;
        pthread_mutex_unlock(&node->mu);
        if (!rc) rc = ami_election_add_fence(a, &l);
    }
    int committed = 0;
    ami_versionstamp vs;
    if (!rc) rc = ami_store_commit(node->store, a, &committed, vs);
    ami_atomic_free(a);
    a = NULL;
    /* our own renewal in between: the markers did not land; again with the new versionstamp */
    for (int tries = 0; !rc && !committed && leader && tries < AMI__FENCE_RETRIES && tenure_holds(node, w); tries++) {
        rc = ami_atomic_new(&a);
        if (!rc) rc = ami_atomic_set(a, k1, v, 0);
        if (!rc) rc = ami_atomic_set(a, k2, v, 0);
        pthread_mutex_lock(&node->mu);
        ami_lease l = w->lease;
        pthread_mutex_unlock(&node->mu);
        if (!rc) rc = ami_election_add_fence(a, &l);
        if (!rc) rc = ami_store_commit(node->store, a, &committed, vs);
        ami_atomic_free(a);
        a = NULL;
    }
    if (!rc && !committed) rc = AMI_ELEASE;
    json_decref(k1);
    json_decref(k2);
    json_decref(v);
    return rc;
}

/* Count a failed run and decide what comes next; under mu.  Returns the delay, or -1 to stop. */
static int64_t on_failure(ami_node *node, ami__worker *w, const char *name, const char *message, int line)
{
    ami_errclass cls = ami_classifier_classify(node->cls, name, message, 0);
    ami_policy_decision d;
    memset(&d, 0, sizeof d);
    if (ami_policy_on_error(&d, &w->ps, &node->policy, w->prio, cls) != 0) {
        d.kind = AMI_DECISION_RETRY;
        d.delay_ms = 1000;
    }
    ami_buf b = AMI_BUF_INIT;
    if (name && *name && message && *message) ami_buf_printf(&b, "%s: %s", name, message);
    else ami_buf_puts(&b, name && *name ? name : (message ? message : "Error"));
    /* lastError goes into the persisted stats record (64 KiB at most): keep it short. */
    if (b.size > AMI__LAST_ERROR_MAX) {
        b.size = ami__utf8_cut(b.ptr, b.size, AMI__LAST_ERROR_MAX - 3);
        memcpy(b.ptr + b.size, "...", 4);
        b.size += 3;
    }
    ami_free(w->last_error);
    w->last_error = ami_buf_detach(&b);
    w->iter_errors++;
    w->last_class = cls;
    w->stats_dirty = 1;
    if (line > 0) ami__node_wlog(node, w, "error", "%s (line %d) [%s]", w->last_error, line, ami_errclass_name(cls));
    else ami__node_wlog(node, w, "error", "%s [%s]", w->last_error, ami_errclass_name(cls));
    if (d.kind == AMI_DECISION_STOP) {
        snprintf(w->stop_reason, sizeof w->stop_reason, "stopped by policy: %s", d.reason);
        w->policy_write = 1;
        ami__node_wlog(node, w, "error", "%s", w->stop_reason);
        return -1;
    }
    if (d.kind == AMI_DECISION_PAUSE) {
        w->state = AMI__ST_PAUSED;
        ami__node_wlog(node, w, "warn", "%s", d.reason);
    } else {
        w->state = AMI__ST_BACKOFF;
    }
    return d.delay_ms;
}

static int64_t loop_delay(ami_node *node, const ami__worker *w)
{
    if (node->o.loop_delay_ms >= 0) return node->o.loop_delay_ms;
    static const int d[4] = { 1, 10, 100, 1000 };
    return d[w->prio];
}

/*
 * Give back the stack pages a heap's creation used when it had to run on this
 * thread (build_instance's fallback: the lowering and the compiler recurse
 * deeply once, then an instance idles in shallow frames):
 * everything well below the current frame is dead.  Saves tens of KB of RSS
 * per sleeping instance.
 */
static void trim_stack(void)
{
    pthread_attr_t a;
    void *lo = NULL;
    size_t size = 0;
    if (pthread_getattr_np(pthread_self(), &a)) return;
    pthread_attr_getstack(&a, &lo, &size);
    pthread_attr_destroy(&a);
    char here;
    uintptr_t page = 4096;
    uintptr_t start = ((uintptr_t)lo + 64 * 1024 + page - 1) & ~(page - 1);   /* clear of any guard */
    uintptr_t end = ((uintptr_t)&here - 32 * 1024) & ~(page - 1);
    if (lo && end > start) madvise((void *)start, end - start, MADV_DONTNEED);
}

/*
 * Build an instance on a short-lived helper thread.  Creating one frees a lot
 * of garbage (the lowering, Duktape's compiler, the prelude's loading): glibc
 * keeps up to 7 freed blocks per size class in the freeing thread's cache
 * (tcache) for as long as that thread lives, and the compiler's recursion
 * touches stack pages.  On a helper both go when it exits rather than staying
 * with an instance that may sleep for hours: ~25 KB less RSS per sleeping
 * worker (tests/bench/bench_node.c).  The heap is then used by this thread
 * only, so Duktape's one-thread-at-a-time rule holds.
 */
typedef struct {
    const ami_runtime_options *ro;
    ami_runtime *rt;
    int rc;
    char err[512];
    ami_script_error se;   /* when it does not compile */
    int has_se;
} build_arg;

static void *build_main(void *p)
{
    build_arg *b = p;
    b->rc = ami_runtime_new(&b->rt, b->ro);
    if (b->rc) {   /* the last error is per thread */
        snprintf(b->err, sizeof b->err, "%s", ami_error_last());
        b->has_se = ami_error_last_script(&b->se) == 0;
    }
    return NULL;
}

/* On failure err gets the message; *se the compile error's name, reason and position
 * (has_se set) when the script does not compile. */
static int build_instance(ami_runtime **out, const ami_runtime_options *ro, char *err, size_t errlen,
                          ami_script_error *se, int *has_se)
{
    build_arg b;
    memset(&b, 0, sizeof b);
    b.ro = ro;
    pthread_attr_t attr;
    pthread_t t;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, AMI__NODE_STACK_BYTES);
    if (pthread_create(&t, &attr, build_main, &b) == 0) pthread_join(t, NULL);
    else build_main(&b);   /* no thread to spare: build it here, only the saving is lost */
    pthread_attr_destroy(&attr);
    *out = b.rt;
    snprintf(err, errlen, "%s", b.err);
    *has_se = b.has_se;
    if (b.has_se) *se = b.se;
    return b.rc;
}

/* The host's iteration callback (no lock held). */
static void report_iteration(ami_node *node, ami__worker *w, int rc, const ami_runtime_result *res, int64_t ms)
{
    pthread_mutex_lock(&node->mu);
    uint64_t n = w->iterations + 1;
    pthread_mutex_unlock(&node->mu);
    ami_buf err = AMI_BUF_INIT;
    if (rc) {
        if (res->name && res->message) ami_buf_printf(&err, "%s: %s", res->name, res->message);
        else ami_buf_puts(&err, res->name ? res->name : res->message ? res->message : ami_strerror(rc));
    }
    ami_node_iteration it = { w->sid, node->nid, rc, rc ? err.ptr : NULL, ms, n };
    node->o.on_iteration(&it, node->o.iteration_payload);
    ami_buf_dispose(&err);
}

/* The instance is stopped (active:false, displaced) or reloaded: its stop hook
 * (Deno.addSignalListener) runs once with graceful_shutdown_ms to finish, as at
 * node shutdown (ami_node_stop), before the instance is freed.  Under mu
 * (dropped while it runs); a new stop (shutdown, another change) cuts it short. */
static void stop_hook(ami_node *node, ami_runtime *rt)
{
    if (!ami__runtime_has_stop_hook(rt)) return;
    int graceful = node->o.graceful_shutdown_ms;
    pthread_mutex_unlock(&node->mu);
    ami_runtime_reset_stop(rt);
    if (ami__runtime_signal(rt, "SIGTERM", graceful) == 0) ami_runtime_pump(rt, graceful);
    pthread_mutex_lock(&node->mu);
}

/* What ended a generation. */
enum { GEN_AGAIN, GEN_EXIT };

/* Run one generation (one heap for one script); enters and leaves under mu. */
static int generation(ami_node *node, ami__worker *w)
{
    w->reload = 0;
    json_t *raw = json_incref(w->raw);
    char hash[9];
    memcpy(hash, w->hash, sizeof hash);
    memcpy(w->inst_hash, hash, sizeof hash);
    int leader = w->exec == AMI_EXEC_LEADER;
    w->inst_leader = leader;
    int single = w->mode == AMI_RUN_SINGLE;
    int64_t term = leader ? w->lease.term : 0;
    w->term = term;
    pthread_mutex_unlock(&node->mu);

    if (single && already_done(node, w->sid, hash, leader)) {
        pthread_mutex_lock(&node->mu);
        json_decref(raw);
        memcpy(w->finished_hash, hash, sizeof hash);
        w->state = AMI__ST_FINISHED;
        w->stats_dirty = 1;
        return GEN_EXIT;
    }

    ami_runtime_options ro = AMI_RUNTIME_OPTIONS_INIT;
    ro.net = node->store;
    ro.local = node->local;
    ro.worker = raw;
    ro.nid = node->nid;
    ro.network = node->network;
    ro.term = term;
    ro.heap_max_bytes = node->o.heap_bytes;
    ro.slice_ms = node->o.slice_ms;
    ro.log_line_max = node->o.log_line_bytes;
    ro.allow_net = node->o.allow_net;
    ro.allow_listen = node->o.allow_listen;
    ro.allow_env = node->o.allow_env;
    ro.ca_file = node->o.ca_file;
    ro.fetch_timeout_ms = node->o.fetch_timeout_ms;
    ro.fetch_body_max = node->o.fetch_body_bytes;
    ro.fetch_max = node->o.fetch_max;
    ro.sockets_max = node->o.sockets_max;
    ro.cex = node->o.cex;
    ro.log = ami__runner_log;
    ro.log_payload = w;
    if (leader) {
        ro.net_guard = lease_guard;
        ro.guard_payload = w;
    }
    ami_runtime *rt = NULL;
    char errmsg[512];
    ami_script_error se;
    int has_se = 0;
    int rc = build_instance(&rt, &ro, errmsg, sizeof errmsg, &se, &has_se);
    trim_stack();

    pthread_mutex_lock(&node->mu);
    json_decref(raw);
    if (!w->started) w->started = ami_time_now_ms();
    if (rc) {
        /* does not compile (or no memory): a critical failure of this script */
        w->last_run = ami_time_now_ms();
        char msg[640];
        const char *name = "Error";   /* no memory, or no thread */
        snprintf(msg, sizeof msg, "%s", errmsg);
        if (has_se) {
            name = se.name;
            if (se.line > 0) snprintf(msg, sizeof msg, "%s (line %d, column %d)", se.message, se.line, se.column);
            else snprintf(msg, sizeof msg, "%s", se.message);
        }
        int64_t d = on_failure(node, w, name, msg, 0);
        if (d < 0) {
            memcpy(w->stopped_hash, hash, sizeof hash);
            w->state = AMI__ST_STOPPED;
            return GEN_EXIT;
        }
        wait_ms(node, w, d);
        return w->quit ? GEN_EXIT : GEN_AGAIN;
    }
    w->rt = rt;
    if (w->quit || w->reload) ami_runtime_stop(rt);

    int result = GEN_EXIT;
    for (;;) {
        if (w->quit) break;
        if (w->reload) { result = GEN_AGAIN; break; }
        if (leader) {
            if (!w->held || fenced(node, w)) break;
            if (w->lease.term != term) {
                term = w->lease.term;
                w->term = term;
                ami_runtime_set_term(rt, term);
            }
        }
        w->state = AMI__ST_RUNNING;
        w->last_run = ami_time_now_ms();
        w->stats_dirty = 1;
        pthread_mutex_unlock(&node->mu);
        ami_runtime_result res = AMI_RUNTIME_RESULT_INIT;
        int64_t t0 = ami_time_mono_ms();
        rc = ami_runtime_run(rt, &res);
        if (node->o.on_iteration) report_iteration(node, w, rc, &res, ami_time_mono_ms() - t0);
        pthread_mutex_lock(&node->mu);
        w->iterations++;
        pthread_cond_broadcast(&node->wait_cv);
        if (rc == AMI_ESTOPPED) {
            ami_runtime_result_dispose(&res);
            if (w->reload && !w->quit) result = GEN_AGAIN;
            break;
        }
        if (rc == AMI_ELEASE) {
            /* never run the iteration again here: writes of it may have landed
             * (a conflict with our own renewal is retried inside the write) */
            ami_runtime_result_dispose(&res);
            ami__node_wlog(node, w, "warn", "LeaseLost: leadership of term %lld is over; instance stopped",
                           (long long)term);
            break;
        }
        int64_t d;
        if (rc == 0) {
            ami_policy_on_success(&w->ps);
            w->stats_dirty = 1;
            if (single) {
                pthread_mutex_unlock(&node->mu);
                int mrc = mark_done(node, w, hash, leader);
                pthread_mutex_lock(&node->mu);
                if (mrc) ami__node_wlog(node, w, "warn", "could not record the single run as done: %s", ami_strerror(mrc));
                memcpy(w->finished_hash, hash, sizeof hash);
                w->state = AMI__ST_FINISHED;
                ami_runtime_result_dispose(&res);
                /* keep serving subscriptions until stopped */
                if (ami_runtime_handles(rt) > 0 && !w->quit && !w->reload) {
                    pthread_mutex_unlock(&node->mu);
                    ami_runtime_pump(rt, -1);
                    pthread_mutex_lock(&node->mu);
                }
                if (w->reload && !w->quit) result = GEN_AGAIN;
                break;
            }
            w->state = AMI__ST_SLEEPING;
            d = loop_delay(node, w);
        } else {
            d = on_failure(node, w, res.name, res.message, res.line);
            if (d < 0) {
                memcpy(w->stopped_hash, hash, sizeof hash);
                w->state = AMI__ST_STOPPED;
                ami_runtime_result_dispose(&res);
                break;
            }
        }
        ami_runtime_result_dispose(&res);
        delay(node, w, rt, d);
    }
    if ((w->quit || w->reload) && !node->stopping && !leader) stop_hook(node, rt);
    w->rt = NULL;
    pthread_mutex_unlock(&node->mu);
    ami_runtime_free(rt);
    pthread_mutex_lock(&node->mu);
    return result;
}

static void *runner_main(void *arg)
{
    ami__worker *w = arg;
    ami_node *node = w->node;
    pthread_mutex_lock(&node->mu);
    while (!w->quit) {
        if (generation(node, w) != GEN_AGAIN) break;
        if (!ami__node_wants(node, w)) break;
    }
    if (w->state != AMI__ST_FINISHED && !(w->stopped_hash[0] && !strcmp(w->stopped_hash, w->inst_hash))) {
        w->state = w->evict ? AMI__ST_WAITING : AMI__ST_STOPPED;
        w->waiting = w->evict;
    }
    w->stats_dirty = 1;
    node->stats_urgent = 1;
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
        /* the thread is not joined before it returns, so w stays valid while mu is released */
        pthread_mutex_unlock(&node->mu);
        if (ami_registry_update(NULL, node->store, w->sid, policy_patch, vs))
            ami__log(AMI__LOG_WARN, "node %s: cannot record the policy stop of %s: %s", node->nid, w->sid,
                     ami_error_last());
        json_decref(policy_patch);
        pthread_mutex_lock(&node->mu);
    }
    w->evict = 0;
    w->thr_state = AMI__THR_EXITED;
    node->running--;
    node->kick = 1;
    pthread_cond_broadcast(&node->cv);
    pthread_cond_broadcast(&node->wait_cv);
    pthread_mutex_unlock(&node->mu);
    return NULL;
}

int ami__runner_start(ami_node *node, ami__worker *w)
{
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, AMI__NODE_STACK_BYTES);
    w->quit = 0;
    w->reload = 0;
    w->evict = 0;
    w->state = AMI__ST_RUNNING;
    w->stats_dirty = 1;
    int rc = pthread_create(&w->thr, &attr, runner_main, w);
    pthread_attr_destroy(&attr);
    if (rc) {
        w->state = AMI__ST_WAITING;
        return ami__error_set(AMI_ENOMEM, "cannot create a thread for worker %s: %s", w->sid, strerror(rc));
    }
    w->thr_state = AMI__THR_LIVE;
    node->running++;
    return 0;
}
