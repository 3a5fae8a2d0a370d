/*
 * What an iteration's outcome means for a worker: the error policy (backoff,
 * pause, stop), the pacing between iterations, the host's iteration callback,
 * and the log sink of its instance.
 */
#include <stdio.h>
#include <string.h>
#include "core/core.h"
#include "util/util.h"
#include "node/node_internal.h"

void ami__runner_log(const ami_log_record *rec, void *payload)
{
    ami__worker *w = payload;
    ami__log_script(w->node, w, rec->ts, rec->level_name, rec->msg, rec->msg_len);
}

/* Count a failed run and decide what comes next; under mu.  Returns the delay, or -1 to stop. */
int64_t ami__runner_on_failure(ami_node *node, ami__worker *w, const char *name, const char *message, int line)
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
    ami__worker_stats_touch(node, w);
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

int64_t ami__runner_loop_delay(ami_node *node, const ami__worker *w)
{
    if (node->o.loop_delay_ms >= 0) return node->o.loop_delay_ms;
    static const int d[4] = { 1, 10, 100, 1000 };
    return d[w->prio];
}

/* The host's iteration callback (no lock held). */
void ami__runner_report(ami_node *node, ami__worker *w, int rc, const ami_runtime_result *res, int64_t ms)
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
