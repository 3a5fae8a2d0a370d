/* Stats (spec 003 §5): one worker's stats object, and persisting them to ["ami","stats",nid,sid]. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/core.h"
#include "util/util.h"
#include "node/node_internal.h"

/* Unchanged stats are rewritten this often anyway, so that they do not expire
 * (AMI__STATS_RETENTION_MS): half the retention.  Not more often: a row costs
 * 12-17 us to build and commit, and 100,000 sleeping workers' rows every 30 s
 * were 5% of a core by themselves; whether a row's node is alive is its
 * heartbeat's business (a reader marks the rows of a node without one "lost"),
 * and a stored row's uptime and lastRunAgo are as of its write (started and
 * lastRun say the same in absolute time).  Workers started together would all
 * come due in the same pass (10,000 rows built and committed at once, a burst
 * that delayed the timers of every instance): a pass looks at (and rewrites at
 * most) twice the share of the workers that falls on it, round-robin, so each
 * is looked at within half the period: rewritten 5 to 7.5 minutes after its
 * last write.  Not every worker each pass: at 20,000 that walk was ~6 ms each
 * `stats_ms`, the changed rows are on node->stats_queue. */
#define AMI__STATS_REFRESH_MS (5 * 60 * 1000)
/* A stats record not rewritten for this long expires: the rows of a node that is gone
 * (killed, or stopped for good) leave the cluster's stats by themselves. */
#define AMI__STATS_RETENTION_MS (10 * 60 * 1000)

/* ---- stats ---- */

static int is_running(const ami__worker *w)
{
    return w->thr_state == AMI__THR_LIVE && w->state != AMI__ST_FINISHED && w->state != AMI__ST_STOPPED &&
           w->state != AMI__ST_WAITING;
}

int ami__worker_stats_listed(ami_node *node, const ami__worker *w)
{
    if (w->deleted || w->state == AMI__ST_NONE) return 0;
    /* leader workers show their stats on the leader only (spec 003 §5) */
    if (w->exec == AMI_EXEC_LEADER && w->active && !w->held && w->thr_state != AMI__THR_LIVE && !node->stopping)
        return 0;
    return 1;
}

static json_t *opt_int(int64_t v) { return v ? json_integer(v) : json_null(); }

void ami__error_rate(char out[32], uint64_t errors, uint64_t executions)
{
    if (errors == 0 || executions == 0) snprintf(out, 32, "0%%");
    else snprintf(out, 32, "%.2f%%", (double)errors * 100.0 / (double)executions);
}

json_t *ami__worker_stats_json(ami_node *node, ami__worker *w, int64_t now)
{
    char rate[32];
    ami__error_rate(rate, w->ps.errors, w->ps.executions);
    json_t *o = json_object();
    json_object_set_new(o, "sid", json_string(w->sid));
    json_object_set_new(o, "started", opt_int(w->started));
    json_object_set_new(o, "uptime", json_integer(w->started ? now - w->started : 0));
    json_object_set_new(o, "executions", json_integer((json_int_t)w->ps.executions));
    json_object_set_new(o, "errors", json_integer((json_int_t)w->ps.errors));
    json_object_set_new(o, "networkErrors", json_integer((json_int_t)w->ps.network_errors));
    json_object_set_new(o, "criticalErrors", json_integer((json_int_t)w->ps.critical_errors));
    json_object_set_new(o, "consecutiveErrors", json_integer(w->ps.consecutive_errors));
    json_object_set_new(o, "errorRate", json_string(rate));
    json_object_set_new(o, "lastError", w->last_error ? json_string(w->last_error) : json_null());
    const char *cls = ami_errclass_name(w->last_class);
    json_object_set_new(o, "lastErrorType", cls ? json_string(cls) : json_null());
    json_object_set_new(o, "lastRun", opt_int(w->last_run));
    json_object_set_new(o, "lastRunAgo", w->last_run ? json_integer(now - w->last_run) : json_null());
    json_object_set_new(o, "scriptHash", json_string(w->thr_state == AMI__THR_LIVE && w->inst_hash[0] ? w->inst_hash : w->hash));
    json_object_set_new(o, "isRunning", json_boolean(is_running(w)));
    int policy = w->state == AMI__ST_STOPPED && w->stopped_hash[0] && w->stop_reason[0];
    json_object_set_new(o, "state", json_string(policy ? "error" : ami__state_name(w->state)));
    json_object_set_new(o, "term", w->exec == AMI_EXEC_LEADER && w->term > 0 ? json_integer(w->term) : json_null());
    json_object_set_new(o, "nid", json_string(node->nid));
    if (policy)
        json_object_set_new(o, "stopReason", json_string(w->stop_reason));
    return o;
}

AMI_EXTERN(int) ami_node_stats(json_t **out, ami_node *node)
{
    if (!out || !node) return ami__error_set(AMI_EINVAL, "ami_node_stats: NULL argument");
    json_t *arr = json_array();
    int64_t now = ami_time_now_ms();
    json_int_t total = 0, running = 0, execs = 0, errs = 0, nerrs = 0, cerrs = 0;
    pthread_mutex_lock(&node->mu);
    for (ami__worker *w = node->workers; w; w = w->next) {
        if (!ami__worker_stats_listed(node, w)) continue;
        json_array_append_new(arr, ami__worker_stats_json(node, w, now));
        total++;
        if (is_running(w)) running++;
        execs += (json_int_t)w->ps.executions;
        errs += (json_int_t)w->ps.errors;
        nerrs += (json_int_t)w->ps.network_errors;
        cerrs += (json_int_t)w->ps.critical_errors;
    }
    /* unreadable worker records, only when there are some (the spec's shape otherwise) */
    json_t *corrupt = json_array_size(node->corrupt) ? json_deep_copy(node->corrupt) : NULL;
    pthread_mutex_unlock(&node->mu);
    *out = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:I}",
                     "totalWorkers", total, "runningWorkers", running, "stoppedWorkers", total - running,
                     "totalExecutions", execs, "totalErrors", errs, "totalNetworkErrors", nerrs,
                     "totalCriticalErrors", cerrs, "workers", arr, "timestamp", (json_int_t)now);
    if (*out && corrupt) json_object_set_new(*out, "corruptRecords", corrupt);
    else json_decref(corrupt);
    return *out ? 0 : ami__error_oom();
}

void ami__stats_urgent(ami_node *node)
{
    /* the housekeeping thread naps until its next pass; the first change since its last
     * pass wakes it (the later ones find the flag set: no wake-up each) */
    if (node->stats_urgent) return;
    node->stats_urgent = 1;
    pthread_cond_broadcast(&node->cv);
}

static void queue_add(ami_node *node, ami__worker *w)
{
    if (w->stats_queued) return;
    w->stats_queued = 1;
    w->stats_qprev = NULL;
    w->stats_qnext = node->stats_queue;
    if (w->stats_qnext) w->stats_qnext->stats_qprev = w;
    node->stats_queue = w;
}

static void queue_del(ami_node *node, ami__worker *w)
{
    if (!w->stats_queued) return;
    if (w->stats_qprev) w->stats_qprev->stats_qnext = w->stats_qnext;
    else node->stats_queue = w->stats_qnext;
    if (w->stats_qnext) w->stats_qnext->stats_qprev = w->stats_qprev;
    w->stats_qnext = w->stats_qprev = NULL;
    w->stats_queued = 0;
}

void ami__worker_stats_touch(ami_node *node, ami__worker *w)
{
    w->stats_dirty = 1;
    queue_add(node, w);
}

void ami__worker_stats_recheck(ami_node *node, ami__worker *w)
{
    queue_add(node, w);
}

void ami__worker_stats_forget(ami_node *node, ami__worker *w)
{
    queue_del(node, w);
    if (node->stats_cursor == w) node->stats_cursor = w->next;
}

/* One worker in a stats pass (under mu): its row is written when it changed
 * (or `all`), or when `refresh_due` and it was not written for
 * AMI__STATS_REFRESH_MS; deleted when it is no longer listed. */
static void look_at(ami_node *node, ami__worker *w, int all, int refresh_due, int64_t now, int64_t mono, json_t *sets,
                    json_t *dels)
{
    node->stats_visits++;
    if (ami__worker_stats_listed(node, w)) {
        /* what changed, and the rest now and then (uptime, lastRunAgo) */
        int changed = all || w->stats_dirty || w->ps.executions != w->persisted_execs;
        if (changed || (refresh_due && mono - w->persisted_at >= AMI__STATS_REFRESH_MS)) {
            json_array_append_new(sets, ami__worker_stats_json(node, w, now));
            w->stats_dirty = 0;
            w->stats_persisted = 1;
            w->persisted_execs = w->ps.executions;
            w->persisted_at = mono;
        }
    } else if (w->stats_persisted && !w->deleted) {
        json_array_append_new(dels, json_string(w->sid));
        w->stats_persisted = 0;
    }
}

void ami__stats_persist(ami_node *node, int all)
{
    json_t *sets = json_array(), *dels = json_array();
    int64_t now = ami_time_now_ms(), mono = ami_time_mono_ms();
    pthread_mutex_lock(&node->mu);
    node->stats_passes++;
    if (all) {
        while (node->stats_queue) queue_del(node, node->stats_queue);
        for (ami__worker *w = node->workers; w; w = w->next) look_at(node, w, 1, 0, now, mono, sets, dels);
    } else {
        /* the workers whose rows changed (or whose listing may have) */
        while (node->stats_queue) {
            ami__worker *w = node->stats_queue;
            queue_del(node, w);
            look_at(node, w, 0, 1, now, mono, sets, dels);
        }
        /* and a share of the others, round-robin, for the unchanged rows due a rewrite:
         * twice a refresh period's share each pass, so every worker is looked at within
         * half the period (a row is rewritten 5 to 7.5 minutes after its last write,
         * inside its 10-minute retention) and at most that many rows are written at once */
        int64_t stats_ms = node->o.stats_ms > 0 ? node->o.stats_ms : 1;
        int64_t refresh = 16 + (int64_t)node->nworkers * 2 * stats_ms / AMI__STATS_REFRESH_MS;
        if (refresh > node->nworkers) refresh = node->nworkers;
        ami__worker *w = node->stats_cursor ? node->stats_cursor : node->workers;
        for (int64_t k = 0; k < refresh && w; k++) {
            look_at(node, w, 0, 1, now, mono, sets, dels);
            w = w->next ? w->next : node->workers;
        }
        node->stats_cursor = w;
    }
    pthread_mutex_unlock(&node->mu);
    size_t i = 0, total = json_array_size(sets);
    while (i < total || (i == 0 && json_array_size(dels))) {
        ami_atomic *a = NULL;
        if (ami_atomic_new(&a)) break;
        size_t end = i + 256 < total ? i + 256 : total;
        for (; i < end; i++) {
            json_t *v = json_array_get(sets, i);
            json_t *k = ami_key_new("ami", "stats", node->nid, json_string_value(json_object_get(v, "sid")), NULL);
            ami_atomic_set(a, k, v, AMI__STATS_RETENTION_MS);
            json_decref(k);
        }
        if (i == total) {
            size_t j;
            json_t *s;
            json_array_foreach(dels, j, s) {
                json_t *k = ami_key_new("ami", "stats", node->nid, json_string_value(s), NULL);
                ami_atomic_delete(a, k);
                json_decref(k);
            }
            json_array_clear(dels);
        }
        int committed = 0;
        ami_versionstamp vs;
        if (ami_store_commit(node->store, a, &committed, vs))
            ami__log(AMI__LOG_WARN, "node %s: writing stats: %s", node->nid, ami_error_last());
        ami_atomic_free(a);
        if (i >= total) break;
    }
    json_decref(sets);
    json_decref(dels);
}
