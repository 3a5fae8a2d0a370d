/*
 * The election thread: campaigns for every leader worker eligible here
 * (it walks node->leaders, the workers in leader mode or holding a lease
 * record, not every worker: its passes come every <= 50 ms),
 * renews held leases every renew_ms (retrying every retry_ms), fences itself
 * by its own monotonic clock and releases leases it no longer needs
 * (docs/design.md §6).  Never runs on a worker's JS thread.
 *
 * Locks: node->lease_mu is held for a whole pass (so no slot is freed under
 * it and shutdown's releases do not interleave with renewals); node->mu is
 * taken only around reading and applying state, never across a store call.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/core.h"
#include "util/util.h"
#include "node/node_internal.h"
#include "election/election_internal.h"

int64_t ami__fence_margin(int64_t lease_ms)
{
    /* room for the interrupt (≤ 100 ms) and scheduling noise, a fifth of the lease otherwise */
    int64_t m = lease_ms / 5;
    if (m < 150) m = 150;
    if (m > lease_ms / 2) m = lease_ms / 2;
    return m;
}

static int64_t jitter(int64_t range)
{
    if (range <= 0) return 0;
    unsigned int r = 0;
    ami__random_bytes(&r, sizeof r);
    return (int64_t)(r % (unsigned int)range);
}

enum { ACT_NONE, ACT_RENEW, ACT_CAMPAIGN, ACT_RELEASE };

typedef struct {
    ami__worker *w;
    int act;
    ami_lease lease;
    char sid[AMI_LEASE_ID_MAX];
} item;

/* W no longer holds its lease here (under mu): whether its stats row is shown
 * follows the lease, so the next stats pass looks at it. */
static void drop_held(ami_node *node, ami__worker *w)
{
    if (w->held) ami__worker_stats_recheck(node, w);
    w->held = 0;
}

void ami__leader_release(ami_node *node, ami__worker *w)
{
    pthread_mutex_lock(&node->lease_mu);
    pthread_mutex_lock(&node->mu);
    ami_lease l = w->lease;
    drop_held(node, w);
    pthread_mutex_unlock(&node->mu);
    if (l.versionstamp[0]) {
        int rc = ami_election_release(node->store, &l);
        if (rc && rc != AMI_ELEASE)
            ami__log(AMI__LOG_WARN, "node %s: releasing the lease of %s: %s", node->nid, w->sid, ami_error_last());
    }
    pthread_mutex_lock(&node->mu);
    w->lease.versionstamp[0] = '\0';
    pthread_mutex_unlock(&node->mu);
    pthread_mutex_unlock(&node->lease_mu);
}

/*
 * A pass over the leader workers, in four steps: decide() what each worker
 * needs (under mu), then renew(), campaign() or release() for each without
 * mu (store calls), then next_due().  The whole pass holds lease_mu.
 */

/* What worker `w` needs now; may also interrupt or fence it.  Under mu. */
static int decide(ami_node *node, ami__worker *w, int64_t now, int room)
{
    int64_t lease_ms = node->o.lease_ms;
    int elig = ami__node_leader_eligible(node, w);
    if (!w->lease.versionstamp[0])
        return elig && (room || w->thr_state == AMI__THR_LIVE) && now >= w->next_campaign ? ACT_CAMPAIGN : ACT_NONE;
    /* while shutting down, a leader still finishing its iteration keeps its tenure */
    if (!elig && node->stopping && w->held && w->thr_state == AMI__THR_LIVE) elig = 1;
    if (!elig) {
        /* release only once no instance depends on the lease */
        int act = ACT_NONE;
        if (w->thr_state == AMI__THR_NONE || !w->inst_leader) act = ACT_RELEASE;
        else if (!w->quit && !node->stopping) ami__worker_interrupt(w);
        drop_held(node, w);
        return act;
    }
    if (w->held && now > w->renewed_mono + lease_ms - ami__fence_margin(lease_ms)) {
        /* self-fence: not renewed in time by our own clock; stop now, the lease lapses */
        drop_held(node, w);
        w->lease.versionstamp[0] = '\0';
        w->next_campaign = now + node->o.retry_ms;
        ami__node_wlog(node, w, "warn", "self-fenced: lease of term %lld not renewed for %lld ms; instance stopped",
                       (long long)w->lease.term, (long long)(now - w->renewed_mono));
        ami__worker_interrupt(w);
        return ACT_NONE;
    }
    return w->held && now >= w->next_renew ? ACT_RENEW : ACT_NONE;
}

/* The pass's work list: each worker that needs a store call, with a copy of its lease.  Under mu. */
static size_t plan(ami_node *node, item **out)
{
    item *items = NULL;
    size_t n = 0, cap = 0;
    int64_t now = ami_time_mono_ms();
    int room = node->running < node->o.capacity;
    node->election_passes++;
    node->election_visits += node->n_leader;
    for (int i = 0; i < node->n_leader; i++) {
        ami__worker *w = node->leaders[i];
        int act = decide(node, w, now, room);
        if (act == ACT_NONE) continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            item *ni = realloc(items, cap * sizeof *ni);
            if (!ni) break;
            items = ni;
        }
        items[n].w = w;
        items[n].act = act;
        items[n].lease = w->lease;
        snprintf(items[n].sid, sizeof items[n].sid, "%s", w->sid);
        n++;
    }
    *out = items;
    return n;
}

static void renew(ami_node *node, item *it)
{
    ami__worker *w = it->w;
    /* a renewal landing between a fenced write's check and its commit makes
     * that write fail as LeaseLost; step around a write that is in flight */
    pthread_mutex_lock(&node->mu);
    int64_t since = ami_time_mono_ms() - w->guard_at;
    pthread_mutex_unlock(&node->mu);
    if (since <= 2) ami__sleep_ms(3);
    int64_t t0 = ami_time_mono_ms();
    int rc = ami_election_renew(&it->lease, node->store, node->o.lease_ms);
    pthread_mutex_lock(&node->mu);
    int64_t now = ami_time_mono_ms();
    if (rc == 0 && w->held) {
        w->lease = it->lease;
        w->renewed_mono = t0;
        w->next_renew = t0 + node->o.renew_ms;
    } else if (rc == AMI_ELEASE) {
        if (w->held)
            ami__node_wlog(node, w, "warn", "lease of term %lld lost to another node; instance stopped",
                           (long long)w->lease.term);
        drop_held(node, w);
        w->lease.versionstamp[0] = '\0';
        w->next_campaign = now;
        ami__worker_interrupt(w);
    } else if (rc) {
        w->next_renew = now + node->o.retry_ms;
    }
    pthread_mutex_unlock(&node->mu);
}

static void campaign(ami_node *node, item *it)
{
    ami__worker *w = it->w;
    int64_t t0 = ami_time_mono_ms(), at = t0;
    ami_lease l;
    int acquired = 0;
    int rc = ami__election_try_acquire(&l, &acquired, node->store, it->sid, node->nid, node->o.lease_ms, &at);
    int64_t lease_ms = node->o.lease_ms;
    if (rc == 0 && acquired && ami_time_mono_ms() > at + lease_ms - ami__fence_margin(lease_ms)) {
        /* the write outlasted the fence point: this node must not run on this lease, and left alone the
         * lease would keep every node (this one too) waiting for its expiry, up to a whole lease more.
         * Release it now, as a stopping node does, and campaign again at once. */
        int64_t took = ami_time_mono_ms() - t0;
        int rrc = ami_election_release(node->store, &l);
        pthread_mutex_lock(&node->mu);
        ami__node_wlog(node, w, "warn", "elected (term %lld) by a call that took %lld ms, past the self-fence: %s",
                       (long long)l.term, (long long)took, rrc ? "left to expire (the release failed)" : "released at once");
        w->next_campaign = ami_time_mono_ms();
        pthread_mutex_unlock(&node->mu);
        return;
    }
    pthread_mutex_lock(&node->mu);
    int64_t now = ami_time_mono_ms();
    if (rc == 0 && acquired) {
        w->lease = l;
        w->held = 1;
        w->term = l.term;
        /* from when the lease's time was taken, not from before a read that may have been slow */
        w->renewed_mono = at;
        w->next_renew = at + node->o.renew_ms;
        ami__worker_stats_touch(node, w);
        ami__node_wlog(node, w, "info", "elected leader on %s (term %lld)", node->nid, (long long)l.term);
        if (ami__node_leader_eligible(node, w)) ami__node_reconcile(node, w);
    } else {
        /* held elsewhere: again after the retry interval, or just after the lease we saw expires
         * (a release shows on the change feed sooner: ami__election_main) */
        int64_t r = node->o.retry_ms;
        int64_t next = now + r - r / 4 + jitter(r / 2 + 1);
        if (rc == 0 && l.expires_at > 0) {
            int64_t left = l.expires_at - ami_time_now_ms();
            if (left < 0) left = 0;
            if (now + left + 5 < next) next = now + left + 1 + jitter(10);
        }
        w->next_campaign = next;
    }
    /* AMI_LOG=debug: each campaign's duration and what it saw, to tell why an election came late */
    ami__log(AMI__LOG_DEBUG, "node %s: campaign for %s took %lld ms: rc %d acquired %d, lease of %s term %lld expires %+lld ms; next %+lld ms",
             node->nid, it->sid, (long long)(now - t0), rc, acquired, l.leader, (long long)l.term,
             (long long)(l.expires_at ? l.expires_at - ami_time_now_ms() : 0), (long long)(w->next_campaign - now));
    pthread_mutex_unlock(&node->mu);
}

static void release(ami_node *node, item *it)
{
    int rc = ami_election_release(node->store, &it->lease);
    pthread_mutex_lock(&node->mu);
    if (rc == 0 || rc == AMI_ELEASE) it->w->lease.versionstamp[0] = '\0';
    ami__node_attend(node, it->w);   /* a deleted slot may be freed now */
    pthread_mutex_unlock(&node->mu);
}

/* Milliseconds until the next renewal, fence, campaign or release is due.  Under mu. */
static int64_t next_due(ami_node *node)
{
    int64_t lease_ms = node->o.lease_ms;
    int64_t now = ami_time_mono_ms();
    int64_t due = node->o.retry_ms;
    for (int i = 0; i < node->n_leader; i++) {
        ami__worker *w = node->leaders[i];
        if (w->held) {
            int64_t d = w->next_renew - now;
            int64_t f = w->renewed_mono + lease_ms - ami__fence_margin(lease_ms) - now + 1;
            if (f < d) d = f;
            if (d < due) due = d;
        } else if (ami__node_leader_eligible(node, w)) {
            int64_t d = w->next_campaign - now;
            if (d < due) due = d;
        } else if (w->lease.versionstamp[0] && w->thr_state != AMI__THR_LIVE) {
            due = 0;
        } else if (w->lease.versionstamp[0] && due > 20) {
            due = 20;   /* waiting for an instance to leave before releasing */
        }
    }
    return due < 1 ? 1 : due;
}

/* One pass over the leader workers; returns ms until the next thing is due. */
static int64_t pass(ami_node *node)
{
    pthread_mutex_lock(&node->lease_mu);
    pthread_mutex_lock(&node->mu);
    item *items = NULL;
    size_t n = plan(node, &items);
    pthread_mutex_unlock(&node->mu);

    for (size_t i = 0; i < n; i++) {
        if (items[i].act == ACT_RENEW) renew(node, &items[i]);
        else if (items[i].act == ACT_CAMPAIGN) campaign(node, &items[i]);
        else if (items[i].act == ACT_RELEASE) release(node, &items[i]);
    }
    free(items);

    pthread_mutex_lock(&node->mu);
    int64_t due = next_due(node);
    pthread_mutex_unlock(&node->mu);
    pthread_mutex_unlock(&node->lease_mu);
    return due;
}

void *ami__election_main(void *arg)
{
    ami_node *node = arg;
    json_t *prefix = ami_key_new("ami", "leader", NULL);
    ami_versionstamp seen = "";
    ami_store_current(node->store, seen);
    for (;;) {
        pthread_mutex_lock(&node->mu);
        int quit = node->threads_quit;
        int leaders = node->n_leader;
        if (!quit && !leaders) {
            /* nothing to elect here: no store watch either; the scheduler signals when that
             * changes (under mu, so no signal is missed: the nap is only a backstop) */
            ami__cond_wait_ms(&node->cv, &node->mu, 5000);
            pthread_mutex_unlock(&node->mu);
            continue;
        }
        pthread_mutex_unlock(&node->mu);
        if (quit) break;
        int64_t due = pass(node);
        if (due > 50) due = 50;   /* also notice registry-driven eligibility soon */
        ami_versionstamp vs;
        int rc = ami_store_watch(node->store, prefix, seen, (int)due, vs);
        if (rc == 0) {
            memcpy(seen, vs, sizeof seen);
            /* a lease changed (released, taken, renewed): candidates look again now */
            pthread_mutex_lock(&node->mu);
            int64_t now = ami_time_mono_ms();
            for (int i = 0; i < node->n_leader; i++) {
                ami__worker *w = node->leaders[i];
                if (!w->held && !w->lease.versionstamp[0] && w->next_campaign > now) w->next_campaign = now;
            }
            pthread_mutex_unlock(&node->mu);
        } else if (rc != AMI_ETIMEOUT && rc != AMI_ESTOPPED) {
            ami__sleep_ms(10);
        }
    }
    json_decref(prefix);
    return NULL;
}
