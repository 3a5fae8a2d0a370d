/*
 * The node: options, lifecycle, the scheduler thread that follows the
 * registry through the change feed, and the per-worker decision of what to
 * run here (docs/design.md §5).
 */
#define _GNU_SOURCE   /* pthread_setname_np */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <time.h>
#include "core/core.h"
#include "util/util.h"
#include "node/node_internal.h"
#include "registry/worker_internal.h"
#include "ami/registry.h"
#include "runtime/web/web.h"
#include "store/store_internal.h"

const char *ami__state_name(ami__state st)
{
    switch (st) {
    case AMI__ST_RUNNING: return "running";
    case AMI__ST_SLEEPING: return "sleeping";
    case AMI__ST_BACKOFF: return "backoff";
    case AMI__ST_PAUSED: return "paused";
    case AMI__ST_STOPPED: return "stopped";
    case AMI__ST_FINISHED: return "finished";
    case AMI__ST_WAITING: return "waiting-capacity";
    default: return "stopped";
    }
}

static const char *jstr(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s;
}

ami__worker *ami__node_find(ami_node *node, const char *sid)
{
    /* sid -> slot index (a Jansson object is a hash table) */
    json_t *p = json_object_get(node->index, sid);
    return p ? (ami__worker *)(intptr_t)json_integer_value(p) : NULL;
}

void ami__node_wlog(ami_node *node, ami__worker *w, const char *level, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n >= (int)sizeof msg)   /* a cut inside a UTF-8 character would make the line unstorable */
        msg[ami__utf8_cut(msg, (size_t)n, sizeof msg - 1)] = '\0';
    ami__log_add(node, w, ami_time_now_ms(), level, msg);
}

/* ---- decisions ---- */

static int scope_ok(ami_node *node, const ami__worker *w)
{
    return w->scope != AMI_SCOPE_LOCAL || (w->origin_nid && !strcmp(w->origin_nid, node->nid));
}

int ami__node_leader_eligible(ami_node *node, const ami__worker *w)
{
    return !w->deleted && w->active && w->exec == AMI_EXEC_LEADER && scope_ok(node, w) && !node->stopping;
}

int ami__node_wants(ami_node *node, const ami__worker *w)
{
    if (w->deleted || !w->active || w->policy_stopped || node->stopping || !scope_ok(node, w)) return 0;
    switch (w->exec) {
    case AMI_EXEC_PARALLEL: return 1;
    case AMI_EXEC_EXCLUSIVE: return w->assigned && !strcmp(w->assigned, node->nid);
    case AMI_EXEC_LEADER: return w->held;
    }
    return 0;
}

void ami__worker_interrupt(ami__worker *w)
{
    w->quit = 1;
    if (w->rt) ami_runtime_stop(w->rt);
    if (w->thr_state == AMI__THR_LIVE) ami__pool_wake(w->node, w);
}

static void join_if_exited(ami_node *node, ami__worker *w)
{
    (void)node;
    if (w->thr_state == AMI__THR_EXITED) w->thr_state = AMI__THR_NONE;   /* it left the pool */
}

/* The running instance with the lowest priority below `prio` (not already leaving). */
static ami__worker *pick_victim(ami_node *node, ami_priority prio)
{
    ami__worker *victim = NULL;
    for (ami__worker *v = node->workers; v; v = v->next) {
        if (v->thr_state != AMI__THR_LIVE || v->quit || v->evict) continue;
        if (v->prio <= prio) continue;
        if (!victim || v->prio > victim->prio) victim = v;
    }
    return victim;
}

static int unsettled(ami_node *node, const ami__worker *w);

static void reconcile_one(ami_node *node, ami__worker *w)
{
    join_if_exited(node, w);
    if (node->stopping) return;   /* ami_node_stop winds instances down itself */
    int want = ami__node_wants(node, w);
    if (w->thr_state == AMI__THR_LIVE) {
        if (!want) {
            if (!w->quit) ami__worker_interrupt(w);
        } else if ((strcmp(w->inst_hash, w->hash) || w->inst_leader != (w->exec == AMI_EXEC_LEADER)) &&
                   !w->reload && !w->quit) {
            /* hot reload at the next safe point: the running body is interrupted */
            w->reload = 1;
            if (w->rt) ami_runtime_stop(w->rt);
            ami__pool_wake(node, w);
        }
        return;
    }
    if (!want) {
        if (w->waiting) {
            w->waiting = 0;
            if (w->state == AMI__ST_WAITING) w->state = AMI__ST_STOPPED;
            ami__worker_stats_touch(node, w);
            ami__stats_urgent(node);
        }
        if (w->state != AMI__ST_NONE && w->state != AMI__ST_STOPPED && w->state != AMI__ST_FINISHED) {
            w->state = AMI__ST_STOPPED;
            ami__worker_stats_touch(node, w);
            ami__stats_urgent(node);
        }
        return;
    }
    if (w->finished_hash[0] && !strcmp(w->finished_hash, w->hash) && w->mode == AMI_RUN_SINGLE) return;
    if (w->stopped_hash[0] && !strcmp(w->stopped_hash, w->hash)) return;
    if (node->running >= node->o.capacity) {
        if (w->prio == AMI_PRIORITY_CRITICAL) {
            /* displace unless a displacement for us is already on its way */
            int leaving = 0;
            for (ami__worker *v = node->workers; v; v = v->next)
                if (v->thr_state == AMI__THR_LIVE && v->evict) leaving++;
            int waiting_crit = 0;
            for (ami__worker *v = node->workers; v; v = v->next)
                if (v != w && v->waiting && v->prio == AMI_PRIORITY_CRITICAL && v->thr_state != AMI__THR_LIVE) waiting_crit++;
            if (leaving <= waiting_crit) {
                ami__worker *victim = pick_victim(node, w->prio);
                if (victim) {
                    victim->evict = 1;
                    ami__node_wlog(node, victim, "warn", "displaced by critical worker %s (capacity %d)",
                                   w->sid, node->o.capacity);
                    ami__worker_interrupt(victim);
                }
            }
        }
        if (!w->waiting || w->state != AMI__ST_WAITING) {
            w->waiting = 1;
            w->state = AMI__ST_WAITING;
            ami__worker_stats_touch(node, w);
        }
        return;
    }
    w->waiting = 0;
    if (ami__runner_start(node, w) != 0)
        ami__log(AMI__LOG_ERROR, "node %s: cannot start worker %s: %s", node->nid, w->sid, ami_error_last());
}

void ami__node_reconcile(ami_node *node, ami__worker *w)
{
    node->reconciles++;
    reconcile_one(node, w);
    if (unsettled(node, w)) ami__node_attend(node, w);   /* looked at again at the scheduler's next pass */
}

void ami__node_kick(ami_node *node)
{
    node->kick = 1;
    if (node->sched_waiting) {
        node->sched_waiting = 0;
        ami_store_wake(node->store);   /* wmu after mu: no store lock is held while taking mu */
    }
}

void ami__node_attend(ami_node *node, ami__worker *w)
{
    ami__node_kick(node);
    if (w->attn) return;
    w->attn = 1;
    w->attn_next = node->attn;
    node->attn = w;
}

/* Whether reconciling W again may still do something (after a reconcile); under mu. */
static int unsettled(ami_node *node, const ami__worker *w)
{
    if (w->deleted) return 1;   /* until reap_deleted frees the slot */
    if (w->waiting) return 1;   /* starts when room frees up */
    if (w->thr_state == AMI__THR_LIVE) return 0;   /* its instance leaving brings it back (runner.c) */
    if (node->stopping || !ami__node_wants(node, w)) return 0;
    if (w->finished_hash[0] && !strcmp(w->finished_hash, w->hash) && w->mode == AMI_RUN_SINGLE) return 0;
    if (w->stopped_hash[0] && !strcmp(w->stopped_hash, w->hash)) return 0;
    return 1;   /* wanted but not started (the start failed): tried again at the next pass */
}

/*
 * Reconcile the workers that need it (node->attn), higher priority first (so
 * they get free slots first); every other worker is settled, so a pass costs
 * the workers something happened to, not all of them.  Those still unsettled
 * go back on the list (ami__node_reconcile) for the next pass: the
 * scheduler's periodic kick retries them.  Under mu.
 */
static void reconcile_attn(ami_node *node)
{
    ami__worker *list = node->attn;
    node->attn = NULL;
    ami__worker *by_prio[AMI_PRIORITY_LOW + 1] = { NULL };
    /* one list per priority; the list was built newest first, so this puts each back in order */
    while (list) {
        ami__worker *w = list;
        list = w->attn_next;
        w->attn = 0;
        int p = (int)w->prio;
        if (p < AMI_PRIORITY_CRITICAL || p > AMI_PRIORITY_LOW) p = AMI_PRIORITY_LOW;
        w->attn_next = by_prio[p];
        by_prio[p] = w;
    }
    for (int p = AMI_PRIORITY_CRITICAL; p <= AMI_PRIORITY_LOW; p++)
        for (ami__worker *w = by_prio[p], *next; w; w = next) {
            next = w->attn_next;
            ami__node_reconcile(node, w);
        }
}

/* ---- following the registry ---- */

static void worker_free(ami_node *node, ami__worker *w)
{
    pthread_mutex_lock(&node->log_mu);
    ami__log_ring_free(node, w);
    pthread_mutex_unlock(&node->log_mu);
    json_decref(w->raw);
    ami_free(w->sid);
    ami_free(w->origin_nid);
    ami_free(w->assigned);
    ami_free(w->last_error);
    ami_free(w);
}

/* Apply one registry entry; under mu.  1 when the record is for a deleted
 * slot still winding down (it must be applied again once the slot is gone). */
static int apply_entry(ami_node *node, const json_t *entry)
{
    const json_t *value = json_object_get(entry, "value");
    const json_t *raw = json_object_get(value, "raw");
    const char *vs = jstr(entry, "versionstamp");
    const json_t *key = json_object_get(entry, "key");
    const char *sid = json_string_value(json_array_get(key, 2));
    if (!sid || !json_is_object(raw)) return 0;
    ami__worker *w = ami__node_find(node, sid);
    int64_t text_hash = json_integer_value(json_object_get(entry, "textHash"));   /* from a listing, else 0 */
    if (w && !w->deleted) {
        w->seen = 1;
        /* the same record (a text that changed under the same versionstamp is applied again) */
        if (vs && !strcmp(vs, w->vs) && (!text_hash || !w->text_hash || text_hash == w->text_hash)) {
            if (text_hash) w->text_hash = text_hash;
            return 0;
        }
    }
    /* a reader's rules: what the node cannot schedule (no script, an unknown enum name) is skipped */
    ami_worker_raw r;
    if (ami_worker_raw_parse(&r, raw, AMI_WORKER_RAW_LENIENT) || !r.script) {
        ami__log(AMI__LOG_WARN, "node %s: ignoring malformed worker %s", node->nid, sid);
        return 0;
    }
    if (!w || w->deleted) {
        if (w) return 1;   /* a deleted slot still winding down; the new record is picked up after */
        w = ami_malloc(sizeof *w);
        if (!w) return 0;
        memset(w, 0, sizeof *w);
        w->node = node;
        w->sid = ami__strdup(sid);
        w->next = node->workers;
        if (w->next) w->next->prev = w;
        node->workers = w;
        node->nworkers++;
        json_object_set_new(node->index, sid, json_integer((json_int_t)(intptr_t)w));
        w->seen = 1;
    }
    json_decref(w->raw);
    w->raw = json_deep_copy(raw);
    snprintf(w->vs, sizeof w->vs, "%s", vs ? vs : "");
    w->text_hash = text_hash;
    ami__node_attend(node, w);
    char hash[9];
    ami_worker_script_hash(hash, r.script, r.script_len);
    if (strcmp(hash, w->hash)) {
        memcpy(w->hash, hash, 9);
        w->stopped_hash[0] = '\0';     /* a new script gets a new chance */
        ami__worker_stats_touch(node, w);
    }
    if (!r.active) w->stopped_hash[0] = '\0';   /* stop then start clears a policy stop */
    /* a policy stop recorded by a node (this one before a restart, or another): not started until cleared */
    const json_t *sbp = r.stopped_by_policy;
    if (sbp) {
        if (!w->policy_stopped) {
            const char *why = json_string_value(json_object_get(sbp, "reason"));
            snprintf(w->stop_reason, sizeof w->stop_reason, "%s", why ? why : "stopped by policy");
            ami__worker_stats_touch(node, w);
        }
        w->policy_stopped = 1;
    } else if (w->policy_stopped) {
        w->policy_stopped = 0;
        w->stopped_hash[0] = '\0';   /* started again (amictl start, active:true) */
        ami__worker_stats_touch(node, w);
    }
    if (r.active != w->active) ami__worker_stats_touch(node, w);
    if (r.exec != w->exec) ami__worker_stats_recheck(node, w);   /* a leader worker's row is shown where it runs */
    w->active = r.active;
    w->exec = r.exec;
    w->prio = r.priority;
    w->mode = r.mode;
    w->scope = r.scope;
    ami_free(w->origin_nid);
    w->origin_nid = ami__strdup(r.nid);
    ami_free(w->assigned);
    w->assigned = ami__strdup(r.assigned_node);
    return 0;
}

/* Say an unreadable record once (node log): when `known` (node->corrupt before) does not hold its key. */
static void say_corrupt(ami_node *node, const json_t *known, const json_t *c)
{
    size_t j;
    json_t *o;
    json_array_foreach(known, j, o)
        if (json_equal(json_object_get(o, "key"), json_object_get(c, "key"))) return;
    char *k = json_dumps(json_object_get(c, "key"), JSON_COMPACT);
    ami__log(AMI__LOG_WARN, "node %s: worker record %s is unreadable (%s); skipped until it is fixed or deleted",
             node->nid, k ? k : "?", json_string_value(json_object_get(c, "error")));
    free(k);
}

/* After entries were applied: reconcile, count the leader workers, wake the
 * election thread for new ones; then (without mu) drop the persisted stats
 * of the workers in `gone` (sids; consumed).  Called under mu, returns without it. */
static void applied(ami_node *node, json_t *gone)
{
    reconcile_attn(node);
    /* the election thread's list: a lease is only ever taken for a worker on it */
    int leaders = 0;
    for (ami__worker *w = node->workers; w; w = w->next) {
        w->leader_ix = 0;
        if (w->exec != AMI_EXEC_LEADER && !w->lease.versionstamp[0]) continue;
        if ((size_t)leaders == node->leaders_cap) {
            size_t cap = node->leaders_cap ? node->leaders_cap * 2 : 16;
            ami__worker **nl = ami_realloc(node->leaders, cap * sizeof *nl);
            if (!nl) {
                ami__log(AMI__LOG_WARN, "node %s: out of memory listing the leader workers", node->nid);
                break;
            }
            node->leaders = nl;
            node->leaders_cap = cap;
        }
        node->leaders[leaders++] = w;
        w->leader_ix = (size_t)leaders;
    }
    int more = leaders > node->n_leader;
    node->n_leader = leaders;
    node->kick = 1;   /* reap what was deleted */
    if (more) pthread_cond_broadcast(&node->cv);
    pthread_mutex_unlock(&node->mu);
    if (more) ami_store_wake(node->store);   /* the election thread campaigns now */

    /* deleted workers: drop their persisted stats; the slot goes once its thread is joined */
    size_t i;
    json_t *e;
    json_array_foreach(gone, i, e) {
        json_t *k = ami_key_new("ami", "stats", node->nid, json_string_value(e), NULL);
        ami_store_delete(node->store, k);
        json_decref(k);
    }
    json_decref(gone);
}

/*
 * Following the change feed key by key: when the feed reports a commit under
 * ["ami","worker"], the store's change log (SQLite) names the keys written
 * since the scheduler's last place, and only those records are read and
 * applied — a change costs O(changed), not a listing of every worker.  When
 * the log cannot name them all (another backend, a pruned log, a busy
 * moment, more than AMI__FEED_KEYS_MAX records, a key of another shape),
 * the registry is listed as before.
 */
#define AMI__FEED_SCAN_MAX 100000   /* keys of all commits read from the log at most */
#define AMI__FEED_KEYS_MAX 256      /* worker records read one by one at most; more: list */

typedef struct {
    const unsigned char *prefix;   /* encoded ["ami","worker"] */
    size_t plen;
    json_t *sids;                  /* set of sids (object) */
    int other;                     /* a key under the prefix that is not ["ami","worker",sid] */
} feed_keys;

static void feed_key(const unsigned char *key, size_t len, void *payload)
{
    feed_keys *fk = payload;
    if (fk->other || len <= fk->plen || memcmp(key, fk->prefix, fk->plen)) return;
    json_t *k = NULL;
    if (ami_key_decode(&k, key, len) || json_array_size(k) != 3 || !json_is_string(json_array_get(k, 2))) {
        fk->other = 1;
    } else if (json_object_size(fk->sids) < AMI__FEED_KEYS_MAX + 1) {
        json_object_set_new(fk->sids, json_string_value(json_array_get(k, 2)), json_true());
    }
    json_decref(k);
}

/* The registry entry of SID now: *entry the entry (NULL when there is none),
 * or *bad a corruptRecords item when it is unreadable.  0 or AMI_E… */
static int read_record(ami_node *node, const char *sid, json_t **entry, json_t **bad)
{
    *entry = *bad = NULL;
    json_t *prefix = ami_key_new("ami", "worker", NULL), *key = ami_key_new("ami", "worker", sid, NULL), *got = NULL;
    ami_list_options lo = AMI_LIST_OPTIONS_INIT;
    lo.prefix = prefix;
    lo.start = key;
    lo.limit = 1;
    lo.keep_corrupt = 1;   /* as ami_registry_scan */
    int rc = prefix && key ? ami_store_list(&got, node->store, &lo) : ami__error_oom();
    json_t *e = json_array_get(got, 0);
    if (!rc && e && json_equal(json_object_get(e, "key"), key)) {
        const char *why = json_string_value(json_object_get(e, "corrupt"));
        if (why) *bad = json_pack("{s:O, s:s, s:s}", "key", key, "sid", sid, "error", why);
        else *entry = json_incref(e);
    }
    json_decref(got);
    json_decref(prefix);
    json_decref(key);
    return rc;
}

/* Apply the records of `sids` (an object of sids): `entries` and `bads` (objects
 * by sid) hold what reading them found, neither for a record that is gone.
 * repair: `sids` are what a listing found differing (apply_listed), every other
 * record it listed the table holds as it is (w->seen set): the unreadable
 * records are exactly `bads`, and a worker the listing did not see is gone.
 * Call without mu. */
static void apply_read(ami_node *node, json_t *sids, json_t *entries, json_t *bads, int repair)
{
    const char *sid;
    json_t *v;
    json_t *gone = json_array();
    pthread_mutex_lock(&node->mu);
    if (repair) {
        node->registry_lists++;
        node->relist_owed = 0;
    } else {
        node->registry_changes++;
    }
    node->registry_parsed += (int64_t)json_object_size(entries) + (int64_t)json_object_size(bads);
    /* unreadable records: the changed keys' old items go (a repair: all old items), their new ones come (said once each) */
    json_t *corrupt = json_array();
    size_t i;
    json_t *c;
    json_array_foreach(node->corrupt, i, c)
        if (!repair && !json_object_get(sids, json_string_value(json_object_get(c, "sid")))) json_array_append(corrupt, c);
    json_object_foreach(bads, sid, c) {
        say_corrupt(node, node->corrupt, c);
        json_array_append(corrupt, c);
    }
    json_decref(node->corrupt);
    node->corrupt = corrupt;
    json_object_foreach(sids, sid, v) {
        json_t *e = json_object_get(entries, sid);
        ami__worker *w = ami__node_find(node, sid);
        if (e) {
            if (apply_entry(node, e)) node->relist_owed = 1;
        } else if (w && !w->deleted) {   /* deleted, or unreadable now: gone as a listing would find it */
            w->deleted = 1;
            ami__node_attend(node, w);
            json_array_append_new(gone, json_string(w->sid));
        }
    }
    if (repair)
        for (ami__worker *w = node->workers; w; w = w->next)
            if (!w->seen && !w->deleted) {
                w->deleted = 1;
                ami__node_attend(node, w);
                json_array_append_new(gone, json_string(w->sid));
            }
    applied(node, gone);
}

/* Apply the registry records changed after `from` (the feed reported a
 * change under ["ami","worker"]); call without mu.  0 when applied, else the
 * registry must be listed. */
static int apply_changes(ami_node *node, const char *from)
{
    if (!from[0]) return 1;
    ami_buf enc = AMI_BUF_INIT;
    json_t *prefix = ami_key_new("ami", "worker", NULL);
    feed_keys fk = { NULL, 0, json_object(), 0 };
    int rc = prefix && fk.sids && !ami_key_encode(&enc, prefix) ? 0 : 1;
    json_decref(prefix);
    if (!rc) {
        fk.prefix = (const unsigned char *)enc.ptr;
        fk.plen = enc.size;
        rc = ami__store_changes(node->store, from, AMI__FEED_SCAN_MAX, feed_key, &fk);
    }
    ami_buf_dispose(&enc);
    if (rc || fk.other || json_object_size(fk.sids) > AMI__FEED_KEYS_MAX) {
        json_decref(fk.sids);
        return 1;
    }
    /* read each record, then apply them all under one hold of mu */
    json_t *entries = json_object(), *bads = json_object();
    const char *sid;
    json_t *v;
    rc = entries && bads ? 0 : 1;
    json_object_foreach(fk.sids, sid, v) {
        json_t *entry = NULL, *bad = NULL;
        if (rc || read_record(node, sid, &entry, &bad)) {
            rc = 1;
            break;
        }
        if (entry) json_object_set_new(entries, sid, entry);
        if (bad) json_object_set_new(bads, sid, bad);
    }
    if (rc) ami__log(AMI__LOG_WARN, "node %s: reading a changed worker record failed: %s", node->nid, ami_error_last());
    else apply_read(node, fk.sids, entries, bads, 0);
    json_decref(entries);
    json_decref(bads);
    json_decref(fk.sids);
    return rc;
}

/*
 * Listing the registry without parsing what did not change.  Every commit
 * gives the records it writes a new versionstamp, so a record whose
 * versionstamp and stored text are those the table applied last (w->vs,
 * w->text_hash) is the record the table holds: the listing (one snapshot)
 * hashes each value's text and parses only the records that differ — new,
 * changed, unreadable, malformed, of a slot still winding down, or first seen
 * since the feed applied them.  A text changed under the same versionstamp (a
 * damaged file) differs too.  Parsing every record once a minute was most of an
 * idle node's CPU at 20,000 workers.
 */
typedef struct {
    ami_node *node;
    json_t *sids;      /* records that differ from the table (object of sids) */
    json_t *entries;   /* their entries by sid, each with "textHash" */
    json_t *bads;      /* the unreadable ones' corruptRecords items by sid */
    int oom;
} listed_keys;

/* A hash of a stored text, 63 bits and never 0 (0: not hashed yet): FNV-1a's
 * step over 8 bytes at a time, with a final mix (byte by byte it was
 * the largest item in the scheduler's profile at 20,000 workers). */
static int64_t text_hash(const char *text, size_t len)
{
    uint64_t h = 1469598103934665603ULL ^ (uint64_t)len;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t word;
        memcpy(&word, text + i, 8);
        h = (h ^ word) * 1099511628211ULL;
        h ^= h >> 29;
    }
    for (; i < len; i++) h = (h ^ (unsigned char)text[i]) * 1099511628211ULL;
    h ^= h >> 32;
    h *= 0x9E3779B97F4A7C15ULL;
    h ^= h >> 29;
    return (int64_t)((h & (uint64_t)INT64_MAX) | 1);
}

static int listed_key(const unsigned char *key, size_t key_len, const char *value, size_t value_len, const char *vs,
                      void *payload)
{
    listed_keys *lk = payload;
    json_t *k = NULL;
    const char *sid = NULL;
    if (ami_key_decode(&k, key, key_len) || json_array_size(k) != 3 || !(sid = json_string_value(json_array_get(k, 2)))) {
        json_decref(k);   /* not a worker record's key: not a worker (as a full parse skipped it) */
        return 0;
    }
    int64_t h = text_hash(value, value_len);
    /* without mu: the scheduler thread (this one) is the only writer of the table's
     * membership, w->deleted, w->vs, w->text_hash and w->seen; other threads only read them */
    ami__worker *w = ami__node_find(lk->node, sid);
    if (w && !w->deleted && vs && vs[0] && !strcmp(vs, w->vs) && h == w->text_hash) {
        w->seen = 1;
        json_decref(k);
        return 0;
    }
    json_t *e = ami__store_entry_from_text(k, value, value_len, vs);
    const char *why = json_string_value(json_object_get(e, "corrupt"));
    if (!e || json_object_set_new(lk->sids, sid, json_true())) lk->oom = 1;
    else if (why) json_object_set_new(lk->bads, sid, json_pack("{s:O, s:s, s:s}", "key", k, "sid", sid, "error", why));
    else if (json_object_set_new(e, "textHash", json_integer(h)) || json_object_set(lk->entries, sid, e)) lk->oom = 1;
    json_decref(e);
    json_decref(k);
    return lk->oom;
}

/* List the registry and bring the table up to date, parsing only what differs
 * (see above); call without mu.  0, or an AMI_E… when the list failed. */
static int apply_listed(ami_node *node)
{
    pthread_mutex_lock(&node->mu);
    for (ami__worker *w = node->workers; w; w = w->next) w->seen = 0;
    pthread_mutex_unlock(&node->mu);
    json_t *prefix = ami_key_new("ami", "worker", NULL);
    listed_keys lk = { node, json_object(), json_object(), json_object(), 0 };
    ami_list_options lo = AMI_LIST_OPTIONS_INIT;
    lo.prefix = prefix;
    int rc = prefix && lk.sids && lk.entries && lk.bads ? ami__store_list_raw(node->store, &lo, listed_key, &lk)
                                                         : ami__error_oom();
    if (!rc && lk.oom) rc = ami__error_oom();
    json_decref(prefix);
    if (rc) ami__log(AMI__LOG_WARN, "node %s: registry list failed: %s", node->nid, ami_error_last());
    else apply_read(node, lk.sids, lk.entries, lk.bads, 1);
    json_decref(lk.sids);
    json_decref(lk.entries);
    json_decref(lk.bads);
    return rc;
}

/* Free deleted slots whose thread is gone and whose lease is released (they
 * are on node->attn until then); under mu. */
static void reap_deleted(ami_node *node)
{
    ami__worker **pp = &node->attn;
    while (*pp) {
        ami__worker *w = *pp;
        join_if_exited(node, w);
        if (w->deleted && w->thr_state == AMI__THR_NONE && !w->held && !w->lease.versionstamp[0]) {
            *pp = w->attn_next;
            if (w->prev) w->prev->next = w->next;
            else node->workers = w->next;
            if (w->next) w->next->prev = w->prev;
            node->nworkers--;
            ami__worker_stats_forget(node, w);
            if (w->leader_ix) {   /* off the election thread's list (it holds lease_mu, which the caller holds too) */
                ami__worker *last = node->leaders[--node->n_leader];
                node->leaders[w->leader_ix - 1] = last;
                last->leader_ix = w->leader_ix;
                w->leader_ix = 0;
            }
            json_object_del(node->index, w->sid);
            worker_free(node, w);
            continue;
        }
        pp = &w->attn_next;
    }
}

/*
 * How often the registry is listed anyway, in resync periods.  The change
 * feed tells the scheduler when anything under ["ami","worker"] changed, and
 * the records it touched are applied (apply_changes; a listing only when the
 * feed cannot name them); an idle node does no O(workers) work.  The rare
 * list is the repair for a change the feed did not report (a feed
 * error is answered by a list at the next period, see scheduler_main); it
 * parses only the records whose versionstamp the table does not hold
 * (apply_listed): at
 * most AMI__RESYNC_QUIET × resync_ms (60 s by default) after it, the table
 * matches the registry again.
 */
#define AMI__RESYNC_QUIET 12
/* The scheduler's pace while workers stay unsettled (or lease_mu was busy): what it was always. */
#define AMI__SCHED_RETRY_MS 50

static void *scheduler_main(void *arg)
{
    ami_node *node = arg;
    json_t *prefix = ami_key_new("ami", "worker", NULL);
    ami_versionstamp seen = "";
    ami_store_current(node->store, seen);
    apply_listed(node);
    int64_t last_sync = ami_time_mono_ms();
    int quiet = 0;        /* resync periods passed without a list */
    int feed_lost = 0;    /* the feed failed since the last list: list at the next period */
    for (;;) {
        pthread_mutex_lock(&node->mu);
        node->sched_passes++;
        int quit = node->threads_quit;
        /* only when something happened: an instance left, the registry changed, a lease was released */
        int work = !quit && node->kick;
        int again = 0;
        if (work) {
            node->kick = 0;
            reconcile_attn(node);
            /* a kick from the pass itself: some are still unsettled (waiting for room, a
             * start to retry, a slot to free): the next pass in AMI__SCHED_RETRY_MS */
            again = node->kick;
        }
        pthread_mutex_unlock(&node->mu);
        /* slots are freed only under lease_mu too (the election thread holds pointers across a pass) */
        if (work) {
            if (pthread_mutex_trylock(&node->lease_mu) == 0) {
                pthread_mutex_lock(&node->mu);
                reap_deleted(node);
                pthread_mutex_unlock(&node->mu);
                pthread_mutex_unlock(&node->lease_mu);
            } else {
                pthread_mutex_lock(&node->mu);
                node->kick = 1;
                pthread_mutex_unlock(&node->mu);
                again = 1;
            }
        }
        if (quit) break;
        int64_t now = ami_time_mono_ms();
        int timeout = (int)(node->o.resync_ms - (now - last_sync));
        /* sleep until the resync is due: local events (exits, capacity) kick the scheduler
         * awake (ami__node_kick).  The wake count is read under mu with sched_waiting set,
         * so a kick between here and the watch's start still ends the watch at once
         * (ami_store_watch_unless_woken).  An idle node's scheduler wakes once a
         * resync_ms, not twenty times a second (docs/node.md "Idle cost"). */
        if (timeout < 0) timeout = 0;
        pthread_mutex_lock(&node->mu);
        uint64_t wakes = ami_store_wakes(node->store);
        if (again) {
            if (timeout > AMI__SCHED_RETRY_MS) timeout = AMI__SCHED_RETRY_MS;   /* the kick stays for that pass */
        } else if (node->kick || node->threads_quit) {
            timeout = 0;
        } else {
            node->sched_waiting = 1;
        }
        pthread_mutex_unlock(&node->mu);
        /* a watch that times out says through which commit it vouches for the registry:
         * `seen` moves on to it, so other keys' commits (stats, worker data) never age it
         * into the store's "too old to tell: changed" answer, which would list the registry.
         * Only that far: an etcd stream that went silent vouches for what it delivered, and
         * the change it held back is reported once it is back. */
        ami_versionstamp vs;
        int rc = ami_store_watch_unless_woken(node->store, prefix, seen, timeout, wakes, vs);
        pthread_mutex_lock(&node->mu);
        node->sched_waiting = 0;
        pthread_mutex_unlock(&node->mu);
        if (rc == AMI_ETIMEOUT && vs[0] && strcmp(vs, seen) > 0) memcpy(seen, vs, sizeof seen);
        now = ami_time_mono_ms();
        if (rc != 0 && rc != AMI_ETIMEOUT && rc != AMI_ESTOPPED) feed_lost = 1;
        if (rc == 0) {
            /* a change: the records it touched, or (when the feed cannot name them) a listing */
            ami_versionstamp from;
            memcpy(from, seen, sizeof from);
            memcpy(seen, vs, sizeof seen);
            if (feed_lost || apply_changes(node, from)) {
                /* a failed list stays owed: the next period tries again */
                feed_lost = apply_listed(node) != 0;
                quiet = 0;
                last_sync = now;
            }
        }
        if (now - last_sync >= node->o.resync_ms) {
            last_sync = now;
            pthread_mutex_lock(&node->mu);
            int owed = node->relist_owed;
            pthread_mutex_unlock(&node->mu);
            if (feed_lost || owed || ++quiet >= AMI__RESYNC_QUIET) {
                /* the repair list (every AMI__RESYNC_QUIET periods, whatever the feed applied meanwhile) */
                feed_lost = apply_listed(node) != 0;
                quiet = 0;
            } else {
                /* nothing to list; a cheap pass over the table retries what failed locally */
                pthread_mutex_lock(&node->mu);
                node->kick = 1;
                pthread_mutex_unlock(&node->mu);
            }
        } else if (rc != 0 && rc != AMI_ETIMEOUT && rc != AMI_ESTOPPED) {
            ami__sleep_ms(20);
        }
    }
    json_decref(prefix);
    return NULL;
}

/* ---- lifecycle ---- */

static int bad_opt(const char *name, const char *why)
{
    return ami__error_set(AMI_EINVAL, "node option %s: %s", name, why);
}

AMI_EXTERN(int) ami_node_local_uri(char **out, const char *store_uri, const char *nid)
{
    if (!out) return bad_opt("out", "is NULL");
    *out = NULL;
    if (!store_uri || !*store_uri || !nid || !*nid) return bad_opt("store_uri and nid", "are required");
    /* a shared store on etcd has no file to sit next to: the local store goes in the working directory */
    if (!strncmp(store_uri, "etcd://", 7) || !strncmp(store_uri, "etcds://", 8)) {
        ami_buf e = AMI_BUF_INIT;
        ami_buf_printf(&e, "sqlite:ami.%s.local", nid);
        *out = ami_buf_detach(&e);
        return *out ? 0 : ami__error_oom();
    }
    const char *path = store_uri;
    if (!strncmp(path, "sqlite:", 7)) path += 7;
    size_t n = strcspn(path, "?");
    if (n == 8 && !strncmp(path, ":memory:", 8)) {
        *out = ami__strdup("sqlite::memory:");
        return *out ? 0 : ami__error_oom();
    }
    ami_buf b = AMI_BUF_INIT;
    ami_buf_printf(&b, "sqlite:%.*s.%s.local", (int)n, path, nid);
    *out = ami_buf_detach(&b);
    return *out ? 0 : ami__error_oom();
}

static char *local_uri_for(const char *store_uri, const char *nid)
{
    char *uri = NULL;
    ami_node_local_uri(&uri, store_uri, nid);
    return uri;
}

/* How many bytes of ami_node_options each known version has. */
static size_t options_size(unsigned int version)
{
    if (version == 1) return offsetof(ami_node_options, store);
    if (version == 2) return offsetof(ami_node_options, allow_net);
    if (version == 3) return offsetof(ami_node_options, cex);
    if (version == 4) return offsetof(ami_node_options, runner_threads);
    if (version == AMI_NODE_OPTIONS_VERSION) return sizeof(ami_node_options);
    return 0;
}

AMI_EXTERN(int) ami_node_open(ami_node **out, const ami_node_options *in)
{
    if (!out) return bad_opt("out", "is NULL");
    *out = NULL;
    if (!in || !options_size(in->version)) return bad_opt("version", "unknown options version");
    /* a host built against an older header passed a shorter struct: read only that much */
    ami_node_options o = AMI_NODE_OPTIONS_INIT;
    memcpy(&o, in, options_size(in->version));
    o.version = AMI_NODE_OPTIONS_VERSION;
    if (in->version < 2) {
        o.store = o.local_store = NULL;
        o.on_iteration = NULL;
        o.iteration_payload = NULL;
    }
    /* zero means the default wherever zero would not be a valid setting, so a
     * host may fill only what it cares about (graceful_shutdown_ms, log_ring and
     * loop_delay_ms keep their meaning of 0: no wait, no ring, no delay) */
    if (!o.capacity) o.capacity = 1024;
    if (!o.lease_ms) o.lease_ms = 60000;
    if (!o.renew_ms) o.renew_ms = o.lease_ms / 3;
    if (!o.retry_ms) o.retry_ms = 2000;
    if (!o.heartbeat_ms) o.heartbeat_ms = 5000;
    if (!o.stats_ms) o.stats_ms = 2000;
    if (!o.resync_ms) o.resync_ms = 5000;
    const ami_node_options *opts = &o;
    if (!opts->store && (!opts->store_uri || !*opts->store_uri)) return bad_opt("store_uri", "is required (or a store handle)");
    if (!opts->nid || !*opts->nid) return bad_opt("nid", "is required");
    if (strlen(opts->nid) >= AMI_LEASE_ID_MAX) return bad_opt("nid", "is too long");
    if (opts->capacity <= 0) return bad_opt("capacity", "must be > 0");
    if (opts->lease_ms <= 0) return bad_opt("lease_ms", "must be > 0");
    if (opts->renew_ms <= 0 || opts->renew_ms >= opts->lease_ms) return bad_opt("renew_ms", "must be > 0 and < lease_ms");
    if (opts->retry_ms <= 0) return bad_opt("retry_ms", "must be > 0");
    if (opts->heartbeat_ms <= 0) return bad_opt("heartbeat_ms", "must be > 0");
    if (opts->graceful_shutdown_ms < 0) return bad_opt("graceful_shutdown_ms", "must be >= 0");
    if (opts->stats_ms <= 0) return bad_opt("stats_ms", "must be > 0");
    if (opts->resync_ms <= 0) return bad_opt("resync_ms", "must be > 0");
    if (opts->log_ring < 0) return bad_opt("log_ring", "must be >= 0");
    if (opts->fetch_timeout_ms < 0) return bad_opt("fetch_timeout_ms", "must be >= 0");
    if (opts->fetch_max < 0) return bad_opt("fetch_max", "must be >= 0");
    if (opts->sockets_max < 0) return bad_opt("sockets_max", "must be >= 0");
    if (opts->runner_threads < 0 || opts->runner_threads > 1024) return bad_opt("runner_threads", "must be 0 to 1024");
    if (opts->cex && *opts->cex && strcmp(opts->cex, "paper") && strcmp(opts->cex, "live"))
        return bad_opt("cex", "must be \"paper\" or \"live\"");
    {
        ami__perms *perms = NULL;
        int prc = ami__perms_new(&perms, opts->allow_net, opts->allow_listen, opts->allow_env);
        if (prc) {
            char why[600];
            snprintf(why, sizeof why, "%s", ami_error_last());
            return ami__error_set(prc, "node option %s", why);
        }
        ami__perms_unref(perms);
    }

    ami_node *node = ami_malloc(sizeof *node);
    if (!node) return ami__error_oom();
    memset(node, 0, sizeof *node);
    ami__pool_init(&node->pool);
    node->o = *opts;
    if (!node->o.log_lines_per_s) node->o.log_lines_per_s = 200;
    if (!node->o.log_bytes_per_s) node->o.log_bytes_per_s = 262144;
    /* with a store handle and no URI, the URI only names things: a handle's local store is in memory */
    const char *suri = opts->store && (!opts->store_uri || !*opts->store_uri) ? "sqlite::memory:" : opts->store_uri;
    node->store_uri = ami__strdup(suri);
    node->nid = ami__strdup(opts->nid);
    node->network = ami__strdup(opts->network && *opts->network ? opts->network : "localnet");
    node->local_uri = opts->local_store_uri && *opts->local_store_uri ? ami__strdup(opts->local_store_uri)
                                                                       : local_uri_for(suri, opts->nid);
    node->o.store_uri = node->store_uri;
    node->o.nid = node->nid;
    node->o.network = node->network;
    node->o.local_store_uri = node->local_uri;
    node->o.cex = opts->cex && !strcmp(opts->cex, "paper") ? "paper" : NULL;   /* a literal: nothing to own */
    const char **perm_opts[4] = { &node->o.allow_net, &node->o.allow_listen, &node->o.allow_env, &node->o.ca_file };
    for (int i = 0; i < 4; i++) {
        if (!*perm_opts[i]) continue;
        if (!(node->perm_text[i] = ami__strdup(*perm_opts[i]))) { ami_node_free(node); return ami__error_oom(); }
        *perm_opts[i] = node->perm_text[i];
    }
    ami_policy pinit = AMI_POLICY_INIT;
    node->policy = pinit;
    pthread_mutex_init(&node->mu, NULL);
    pthread_mutex_init(&node->lease_mu, NULL);
    pthread_mutex_init(&node->log_mu, NULL);
    pthread_cond_init(&node->cv, NULL);
    pthread_cond_init(&node->wait_cv, NULL);
    pthread_cond_init(&node->logs_cv, NULL);
    node->log_fifos = json_object();
    node->index = json_object();
    if (!node->store_uri || !node->nid || !node->network || !node->local_uri) {
        ami_node_free(node);
        return ami__error_oom();
    }
    int rc = 0;
    if (opts->store) node->store = opts->store;
    else rc = ami_store_open(&node->store, node->store_uri);
    if (!rc && opts->local_store) node->local = opts->local_store;
    else if (!rc) rc = ami_store_open(&node->local, node->local_uri);
    if (rc) {
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", ami_error_last());
        ami_node_free(node);
        return ami__error_set(rc, "%s", msg);
    }
    *out = node;
    return 0;
}

AMI_EXTERN(int) ami_node_set_policy(ami_node *node, const ami_policy *policy)
{
    if (!node || !policy) return ami__error_set(AMI_EINVAL, "ami_node_set_policy: NULL argument");
    if (policy->version != AMI_POLICY_VERSION) return ami__error_set(AMI_EINVAL, "ami_node_set_policy: unknown policy version");
    pthread_mutex_lock(&node->mu);
    node->policy = *policy;
    pthread_mutex_unlock(&node->mu);
    return 0;
}

/* Two live nodes with one nid would share leases, exclusive workers and stats
 * records.  Only a warning: a node restarted right after a crash finds its own
 * old heartbeat until it expires (3x heartbeat_ms). */
static void warn_if_nid_taken(ami_node *node)
{
    json_t *key = ami_key_new("ami", "node", node->nid, NULL), *e = NULL;
    if (ami_store_get(&e, node->store, key) == 0) {
        json_t *v = json_object_get(e, "value");
        if (json_is_object(v)) {
            long long ago = (long long)(ami_time_now_ms() - json_integer_value(json_object_get(v, "heartbeatAt")));
            ami__log(AMI__LOG_WARN, "node %s: another node with this nid looks live (heartbeat %lld ms ago); "
                     "two nodes with one nid share leases, exclusive workers and stats — give each its own --nid",
                     node->nid, ago);
        }
    }
    json_decref(e);
    json_decref(key);
}

AMI_EXTERN(int) ami_node_start(ami_node *node)
{
    if (!node) return bad_opt("node", "is NULL");
    pthread_mutex_lock(&node->mu);
    if (node->started) {
        pthread_mutex_unlock(&node->mu);
        return ami__error_set(AMI_EINVAL, "node %s already started", node->nid);
    }
    node->started = 1;
    node->started_at = ami_time_now_ms();
    pthread_mutex_unlock(&node->mu);
    warn_if_nid_taken(node);
    ami__heartbeat(node, 0);
    int rc = ami__pool_start(node);
    if (!rc) rc = pthread_create(&node->sched_thr, NULL, scheduler_main, node);
    if (!rc) rc = pthread_create(&node->elect_thr, NULL, ami__election_main, node);
    if (!rc) rc = pthread_create(&node->hk_thr, NULL, ami__housekeeping_main, node);
    if (!rc) rc = pthread_create(&node->log_thr, NULL, ami__logs_main, node);
    if (!rc) {   /* names for top -H and /proc/<pid>/task/<tid>/comm */
        pthread_setname_np(node->sched_thr, "ami-sched");
        pthread_setname_np(node->elect_thr, "ami-elect");
        pthread_setname_np(node->hk_thr, "ami-housekeep");
        pthread_setname_np(node->log_thr, "ami-logs");
    }
    if (rc) {
        ami__log(AMI__LOG_ERROR, "node %s: cannot start threads", node->nid);
        abort();   /* a half-started node cannot be unwound safely */
    }
    return 0;
}

static int live_instances(ami_node *node)
{
    int n = 0;
    for (ami__worker *w = node->workers; w; w = w->next)
        if (w->thr_state == AMI__THR_LIVE) n++;
    return n;
}

/* Release the leases of leader workers whose instance is gone (so a peer takes over now). */
static void release_idle_leases(ami_node *node)
{
    for (;;) {
        ami__worker *found = NULL;
        pthread_mutex_lock(&node->mu);
        for (ami__worker *w = node->workers; w; w = w->next) {
            join_if_exited(node, w);
            if (w->thr_state == AMI__THR_NONE && w->lease.versionstamp[0]) { found = w; break; }
        }
        pthread_mutex_unlock(&node->mu);
        if (!found) return;
        ami__leader_release(node, found);
    }
}

static void timed_wait_ms(ami_node *node, int ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += (long)ms * 1000000L;
    ts.tv_sec += ts.tv_nsec / 1000000000L;
    ts.tv_nsec %= 1000000000L;
    pthread_cond_timedwait(&node->cv, &node->mu, &ts);
}

AMI_EXTERN(int) ami_node_stop(ami_node *node)
{
    if (!node) return 0;
    pthread_mutex_lock(&node->mu);
    if (!node->started || node->stop_done) {
        pthread_mutex_unlock(&node->mu);
        return 0;
    }
    node->stopping = 1;
    /* ask: each instance leaves after its current run (delays wake now); a
     * leader is interrupted at once, even asleep or awaiting, so its lease is
     * released and another node runs it without waiting for this one */
    for (ami__worker *w = node->workers; w; w = w->next) {
        /* the worker's stop hook (Deno.addSignalListener("SIGTERM", fn)) runs with the time left */
        if (w->rt && w->thr_state == AMI__THR_LIVE && w->exec != AMI_EXEC_LEADER)
            ami__runtime_signal(w->rt, "SIGTERM", node->o.graceful_shutdown_ms);
        if (w->exec == AMI_EXEC_LEADER && w->thr_state == AMI__THR_LIVE) ami__worker_interrupt(w);
        w->quit = 1;
        if (w->thr_state == AMI__THR_LIVE) ami__pool_wake(node, w);   /* a delay ends now */
    }
    pthread_mutex_unlock(&node->mu);

    int64_t deadline = ami_time_mono_ms() + node->o.graceful_shutdown_ms;
    for (;;) {
        release_idle_leases(node);
        pthread_mutex_lock(&node->mu);
        int live = live_instances(node);
        int64_t now = ami_time_mono_ms();
        if (live && now < deadline) timed_wait_ms(node, now + 10 < deadline ? 10 : (int)(deadline - now));
        pthread_mutex_unlock(&node->mu);
        if (!live || now >= deadline) break;
    }
    /* interrupt the rest */
    pthread_mutex_lock(&node->mu);
    for (ami__worker *w = node->workers; w; w = w->next)
        if (w->thr_state == AMI__THR_LIVE) {
            ami__node_wlog(node, w, "warn", "interrupted by shutdown after %d ms", node->o.graceful_shutdown_ms);
            ami__worker_interrupt(w);
        }
    while (live_instances(node)) {
        pthread_mutex_unlock(&node->mu);
        release_idle_leases(node);
        pthread_mutex_lock(&node->mu);
        if (live_instances(node)) timed_wait_ms(node, 10);
    }
    __atomic_store_n(&node->threads_quit, 1, __ATOMIC_RELEASE);
    pthread_cond_broadcast(&node->cv);
    pthread_mutex_unlock(&node->mu);
    pthread_mutex_lock(&node->log_mu);
    pthread_cond_broadcast(&node->logs_cv);
    pthread_mutex_unlock(&node->log_mu);
    ami__pool_stop(node);   /* every instance left the pool */
    ami_store_wake(node->store);
    pthread_join(node->sched_thr, NULL);
    pthread_join(node->elect_thr, NULL);
    pthread_join(node->hk_thr, NULL);
    pthread_join(node->log_thr, NULL);
    release_idle_leases(node);

    pthread_mutex_lock(&node->mu);
    for (ami__worker *w = node->workers; w; w = w->next) {
        join_if_exited(node, w);
        if (w->state != AMI__ST_NONE && w->state != AMI__ST_FINISHED && w->state != AMI__ST_STOPPED) {
            w->state = AMI__ST_STOPPED;
            ami__worker_stats_touch(node, w);
        }
    }
    pthread_mutex_unlock(&node->mu);
    ami__logs_flush(node);
    ami__stats_persist(node, 1);
    ami__heartbeat(node, 1);
    pthread_mutex_lock(&node->mu);
    node->stop_done = 1;
    pthread_mutex_unlock(&node->mu);
    return 0;
}

AMI_EXTERN(void) ami_node_free(ami_node *node)
{
    if (!node) return;
    ami_node_stop(node);
    while (node->workers) {
        ami__worker *w = node->workers;
        node->workers = w->next;
        worker_free(node, w);
    }
    for (ami__pending_log *p = node->plog_head; p;) {
        ami__pending_log *n = p->next;
        ami_free(p->sid);
        json_decref(p->value);
        ami_free(p);
        p = n;
    }
    ami__logs_free(node);
    json_decref(node->log_fifos);
    json_decref(node->corrupt);
    json_decref(node->index);
    ami_free(node->leaders);
    if (node->store != node->o.store) ami_store_free(node->store);
    if (node->local != node->o.local_store) ami_store_free(node->local);
    pthread_mutex_destroy(&node->mu);
    pthread_mutex_destroy(&node->lease_mu);
    pthread_mutex_destroy(&node->log_mu);
    pthread_cond_destroy(&node->cv);
    pthread_cond_destroy(&node->wait_cv);
    pthread_cond_destroy(&node->logs_cv);
    ami__pool_destroy(&node->pool);
    ami_free(node->store_uri);
    ami_free(node->local_uri);
    ami_free(node->nid);
    ami_free(node->network);
    for (int i = 0; i < 4; i++) ami_free(node->perm_text[i]);
    ami_free(node);
}

AMI_EXTERN(const char *) ami_node_id(const ami_node *node) { return node ? node->nid : NULL; }
AMI_EXTERN(ami_store *) ami_node_store(ami_node *node) { return node ? node->store : NULL; }
AMI_EXTERN(ami_store *) ami_node_local_store(ami_node *node) { return node ? node->local : NULL; }

AMI_EXTERN(int) ami_node_leader_info(json_t **out, ami_node *node, const char *sid)
{
    if (!out || !node || !sid) return ami__error_set(AMI_EINVAL, "ami_node_leader_info: NULL argument");
    return ami_election_leader_info(out, node->store, sid);
}

static const char *const wait_names[] = { "?", "an iteration", "finished", "stopped", "an error" };

/* Whether CONDITION holds for W (NULL: not known here now; `was_seen`: it was during this wait); under mu. */
static int wait_holds(const ami__worker *w, int condition, int was_seen)
{
    if (!w) return condition == AMI_NODE_WAIT_STOPPED && was_seen;
    switch (condition) {
    case AMI_NODE_WAIT_ITERATION: return w->iterations > 0;
    case AMI_NODE_WAIT_FINISHED: return w->state == AMI__ST_FINISHED;
    case AMI_NODE_WAIT_STOPPED:
        return (w->started || w->state == AMI__ST_FINISHED) && w->thr_state != AMI__THR_LIVE;
    case AMI_NODE_WAIT_ERRORED: return w->iter_errors > 0;
    default: return 0;
    }
}

AMI_EXTERN(int) ami_node_wait(ami_node *node, const char *sid, int condition, int timeout_ms)
{
    if (!node || !sid || !*sid) return ami__error_set(AMI_EINVAL, "ami_node_wait: NULL argument");
    if (condition < AMI_NODE_WAIT_ITERATION || condition > AMI_NODE_WAIT_ERRORED)
        return ami__error_set(AMI_EINVAL, "ami_node_wait: unknown condition %d", condition);
    int64_t deadline = timeout_ms >= 0 ? ami_time_mono_ms() + timeout_ms : -1;
    int rc = 0, seen = 0;
    pthread_mutex_lock(&node->mu);
    for (;;) {
        const ami__worker *w = ami__node_find(node, sid);
        if (w && !w->deleted) seen = 1;
        if (w && w->deleted && w->thr_state != AMI__THR_LIVE) w = NULL;
        if (wait_holds(w, condition, seen)) break;
        if (node->stop_done || node->stopping) {
            rc = ami__error_set(AMI_ESTOPPED, "node %s stopped while waiting for worker %s (%s)", node->nid, sid,
                                wait_names[condition]);
            break;
        }
        int64_t now = ami_time_mono_ms();
        if (deadline >= 0 && now >= deadline) {
            rc = ami__error_set(AMI_ETIMEOUT, "worker %s: not %s within %d ms (state %s, %llu iterations, %llu errors)",
                                sid, wait_names[condition], timeout_ms,
                                w ? ami__state_name(w->state) : "not scheduled on this node",
                                w ? (unsigned long long)w->iterations : 0ULL,
                                w ? (unsigned long long)w->iter_errors : 0ULL);
            break;
        }
        if (!w) {
            ami__node_kick(node);   /* a worker just created: let the scheduler look now */
            pthread_cond_broadcast(&node->cv);
        }
        /* slices: slot removals and scheduler progress are not signalled on wait_cv */
        int64_t slice = 50;
        if (deadline >= 0 && deadline - now < slice) slice = deadline - now;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += (long)slice * 1000000L;
        if (ts.tv_nsec >= 1000000000L) { ts.tv_sec++; ts.tv_nsec -= 1000000000L; }
        pthread_cond_timedwait(&node->wait_cv, &node->mu, &ts);
    }
    pthread_mutex_unlock(&node->mu);
    return rc;
}

AMI_EXTERN(int) ami_node_list(json_t **out, ami_store *store)
{
    if (!out || !store) return ami__error_set(AMI_EINVAL, "ami_node_list: NULL argument");
    *out = NULL;
    json_t *prefix = ami_key_new("ami", "node", NULL);
    ami_list_options lo = AMI_LIST_OPTIONS_INIT;
    lo.prefix = prefix;
    json_t *list = NULL;
    int rc = ami_store_list(&list, store, &lo);
    json_decref(prefix);
    if (rc) return rc;
    json_t *arr = json_array();
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e) {
        json_t *v = json_object_get(e, "value");
        if (json_is_object(v)) json_array_append(arr, v);
    }
    json_decref(list);
    *out = arr;
    return 0;
}
