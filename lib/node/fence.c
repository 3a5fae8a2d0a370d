/*
 * The fence of a leader worker's writes (its lease must still hold when a
 * Stels.net mutation commits) and the done markers of single-mode workers.
 * Called on runner threads; they take node->mu briefly (never held on entry).
 */
#include <stdio.h>
#include <string.h>
#include "core/core.h"
#include "util/util.h"
#include "node/node_internal.h"
#include "ami/registry.h"

/* Whether W's self-fence deadline has passed (monotonic clock); under mu. */
int ami__fenced(ami_node *node, const ami__worker *w)
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
    int ok = w->held && l.versionstamp[0] && !ami__fenced(node, w);
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
int ami__lease_guard(ami_atomic *batch, void *payload)
{
    ami__worker *w = payload;
    ami_node *node = w->node;
    if (!batch) return tenure_holds(node, w);
    pthread_mutex_lock(&node->mu);
    ami_lease l = w->lease;
    int ok = w->held && l.versionstamp[0] && !ami__fenced(node, w);
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

static json_t *done_key(const char *sid, const char *who)
{
    return ami_key_new("ami", "done", sid, who, NULL);
}

/* Is this single-mode script already done (here, or cluster-wide for a leader worker)? */
int ami__single_done(ami_node *node, const char *sid, const char *hash, int leader)
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
int ami__single_mark_done(ami_node *node, ami__worker *w, const char *hash, int leader)
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
