/* Worker logs: the in-memory ring per worker, the pending queue, and its flush to
 * the node-local store ([network,"logs",sid,ts]) with pruning. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/core.h"
#include "util/util.h"
#include "node/node_internal.h"

/* Lines kept per worker in the local store: this many times the ring size. */
#define AMI__LOG_KEEP_FACTOR 5
/* Pending lines kept in memory when the local store cannot keep up. */
#define AMI__LOG_PENDING_MAX 50000

/* ---- logs ---- */

/* Put W on the list of workers whose dropped lines are still to be said; under log_mu. */
static void over_budget_add(ami_node *node, ami__worker *w)
{
    if (w->lb_listed) return;
    if (!node->over_budget) pthread_cond_broadcast(&node->logs_cv);   /* the log thread may be napping */
    w->lb_listed = 1;
    w->lb_next = node->over_budget;
    node->over_budget = w;
}

void ami__log_ring_free(ami_node *node, ami__worker *w)
{
    if (w->lb_listed) {
        for (ami__worker **pp = &node->over_budget; *pp; pp = &(*pp)->lb_next)
            if (*pp == w) {
                *pp = w->lb_next;
                break;
            }
        w->lb_listed = 0;
    }
    if (!w->ring) return;
    /* the lines sit at (head + i) % capacity: modulo ring_len freed the wrong slots once
     * the byte limit had dropped lines before the ring was full (a 60 KB-line flood) */
    for (int i = 0; i < w->ring_len; i++) ami_free(w->ring[(w->ring_head + i) % w->ring_cap].msg);
    ami_free(w->ring);
    w->ring = NULL;
    w->ring_len = w->ring_head = 0;
    w->ring_bytes = 0;
}

static void ring_drop_oldest(ami_node *node, ami__worker *w)
{
    int cap = node->o.log_ring;
    w->ring_bytes -= strlen(w->ring[w->ring_head].msg);
    ami_free(w->ring[w->ring_head].msg);
    w->ring_head = (w->ring_head + 1) % cap;
    w->ring_len--;
}

/* The ring holds up to o.log_ring lines and AMI__LOG_RING_BYTES of text: ring_len used, oldest at ring_head. */
static void ring_push(ami_node *node, ami__worker *w, int64_t ts, const char *level, const char *msg)
{
    int cap = node->o.log_ring;
    if (cap <= 0) return;
    if (!w->ring) {
        w->ring = ami_malloc((size_t)cap * sizeof *w->ring);
        if (!w->ring) return;
        w->ring_cap = cap;
        w->ring_len = w->ring_head = 0;
        w->ring_bytes = 0;
    }
    size_t len = strlen(msg);
    char *copy = ami__strdup(msg);
    if (!copy) return;
    while (w->ring_len > 0 && (w->ring_len == cap || w->ring_bytes + len > AMI__LOG_RING_BYTES))
        ring_drop_oldest(node, w);
    w->ring[(w->ring_head + w->ring_len) % cap] = (ami__logline){ ts, level, copy };
    w->ring_len++;
    w->ring_bytes += len;
}

static const char *level_static(const char *level)
{
    if (!level) return "info";
    if (!strcmp(level, "error")) return "error";
    if (!strcmp(level, "warn")) return "warn";
    if (!strcmp(level, "debug")) return "debug";
    return "info";
}

void ami__log_add(ami_node *node, ami__worker *w, int64_t ts, const char *level, const char *msg)
{
    level = level_static(level);
    if (!msg) msg = "";
    pthread_mutex_lock(&node->log_mu);
    if (ts <= w->last_log_ts) ts = w->last_log_ts + 1;   /* unique per worker, across instances */
    w->last_log_ts = ts;
    ring_push(node, w, ts, level, msg);
    size_t mlen = strlen(msg), keep = ami__utf8_cut(msg, mlen, AMI__LOG_STORE_MAX);
    if (node->plog_count >= AMI__LOG_PENDING_MAX || node->plog_bytes + keep > AMI__LOG_PENDING_BYTES) {
        w->lb_dropped++;   /* the local store is behind: said by the next marker line */
        over_budget_add(node, w);
    } else {
        ami__pending_log *p = ami_malloc(sizeof *p);
        if (p) {
            p->sid = ami__strdup(w->sid);
            p->ts = ts;
            p->value = json_pack("{s:I, s:s, s:s, s:s, s:s#}", "ts", (json_int_t)ts, "level", level,
                                 "nid", node->nid, "sid", w->sid, "msg", msg, (int)keep);
            if (p->value && keep < mlen) {   /* keep the line, say it was cut */
                char note[96];
                snprintf(note, sizeof note, "... [truncated for storage: %zu of %zu bytes]", keep, mlen);
                json_t *m = json_object_get(p->value, "msg");
                ami_buf t = AMI_BUF_INIT;
                ami_buf_put(&t, json_string_value(m), json_string_length(m));
                ami_buf_puts(&t, note);
                json_object_set_new(p->value, "msg", json_stringn(t.ptr, t.size));
                ami_buf_dispose(&t);
            }
            p->next = NULL;
            if (!p->sid || !p->value) {
                ami_free(p->sid);
                json_decref(p->value);
                ami_free(p);
            } else {
                p->bytes = keep;
                if (node->plog_tail) node->plog_tail->next = p;
                else {
                    node->plog_head = p;
                    /* the first line since the last flush wakes the log thread (it sleeps while
                     * nothing is queued, looking under log_mu, so this wake cannot be missed) */
                    pthread_cond_broadcast(&node->logs_cv);
                }
                node->plog_tail = p;
                node->plog_count++;
                node->plog_bytes += keep;
            }
        }
    }
    pthread_mutex_unlock(&node->log_mu);
    if (node->o.log_fn) {
        ami_node_log_record rec = { ts, level, node->nid, w->sid, msg };
        node->o.log_fn(&rec, node->o.log_payload);
    }
}

/* Say how many lines were dropped, once W's budget window is over; under log_mu.
 * Returns the count to report (the caller logs it without log_mu). */
static uint64_t budget_roll(ami_node *node, ami__worker *w, int64_t now)
{
    if (now - w->lb_window < 1000) return 0;
    uint64_t d = w->lb_dropped;
    w->lb_dropped = 0;
    w->lb_window = now;
    w->lb_lines = 0;
    w->lb_bytes = 0;
    (void)node;
    return d;
}

static void say_dropped(ami_node *node, ami__worker *w, uint64_t dropped)
{
    char msg[200];
    snprintf(msg, sizeof msg, "%llu log lines dropped (budget: %d lines and %d bytes per second per worker)",
             (unsigned long long)dropped, node->o.log_lines_per_s, node->o.log_bytes_per_s);
    ami__log_add(node, w, ami_time_now_ms(), "warn", msg);
}

void ami__log_script(ami_node *node, ami__worker *w, int64_t ts, const char *level, const char *msg, size_t len)
{
    pthread_mutex_lock(&node->log_mu);
    int64_t now = ami_time_mono_ms();
    uint64_t dropped = budget_roll(node, w, now);
    int lines_ok = node->o.log_lines_per_s < 0 || w->lb_lines < node->o.log_lines_per_s;
    int bytes_ok = node->o.log_bytes_per_s < 0 || w->lb_bytes + len <= (size_t)node->o.log_bytes_per_s ||
                   (w->lb_lines == 0 && len <= AMI__LOG_STORE_MAX + 1024);   /* one line always fits a window */
    int admit = lines_ok && bytes_ok;
    if (admit) {
        w->lb_lines++;
        w->lb_bytes += len;
    } else {
        w->lb_dropped++;
        over_budget_add(node, w);
    }
    pthread_mutex_unlock(&node->log_mu);
    if (dropped) say_dropped(node, w, dropped);
    if (admit) ami__log_add(node, w, ts, level, msg);
}

/* The delay before W's next iteration, at least `delay`: while lines of W
 * were dropped in its budget window, until that window ends.  A worker over
 * its log budget then pays for its logging itself: it cannot spend the node's
 * CPU on lines that are thrown away (a loop of 60 KB lines slowed its
 * neighbours by a third).  Under mu. */
int64_t ami__log_budget_pace(ami_node *node, ami__worker *w, int64_t delay)
{
    pthread_mutex_lock(&node->log_mu);
    int64_t left = w->lb_dropped ? w->lb_window + 1000 - ami_time_mono_ms() : 0;
    pthread_mutex_unlock(&node->log_mu);
    return left > delay ? left : delay;
}

/* Markers for workers that stopped logging while over budget; under mu (which keeps
 * the slots alive).  Only the workers with dropped lines are looked at: an idle node
 * with many workers does no per-worker work here. */
static void budget_markers(ami_node *node)
{
    int64_t now = ami_time_mono_ms();
    ami__worker *due = NULL;
    pthread_mutex_lock(&node->log_mu);
    for (ami__worker **pp = &node->over_budget; *pp;) {
        ami__worker *w = *pp;
        if (w->lb_dropped && now - w->lb_window < 1000) {   /* its window is still open */
            pp = &w->lb_next;
            continue;
        }
        *pp = w->lb_next;   /* its count is said now (or its own next line said it already) */
        w->lb_listed = 0;
        w->lb_say = budget_roll(node, w, now);
        if (w->lb_say) {
            w->lb_say_next = due;
            due = w;
        }
    }
    pthread_mutex_unlock(&node->log_mu);
    for (ami__worker *w = due; w; w = w->lb_say_next) say_dropped(node, w, w->lb_say);
}

/* The log keys of one worker written by this node, oldest first (a ring of timestamps). */
typedef struct ami__log_fifo {
    int64_t *ts;
    size_t cap, head, len;
    int swept;                /* lines left by an earlier run of the node were pruned */
} ami__log_fifo;

static ami__log_fifo *fifo_of(ami_node *node, const char *sid, size_t keep)
{
    json_t *v = json_object_get(node->log_fifos, sid);
    if (v) return (ami__log_fifo *)(uintptr_t)json_integer_value(v);
    ami__log_fifo *f = ami_malloc(sizeof *f);
    if (!f) return NULL;
    memset(f, 0, sizeof *f);
    f->cap = keep + 1;
    f->ts = ami_malloc(f->cap * sizeof *f->ts);
    if (!f->ts) { ami_free(f); return NULL; }
    json_object_set_new(node->log_fifos, sid, json_integer((json_int_t)(uintptr_t)f));
    return f;
}

void ami__logs_free(ami_node *node)
{
    const char *k;
    json_t *v;
    json_object_foreach(node->log_fifos, k, v) {
        ami__log_fifo *f = (ami__log_fifo *)(uintptr_t)json_integer_value(v);
        ami_free(f->ts);
        ami_free(f);
    }
    json_object_clear(node->log_fifos);
}

/*
 * The local store keeps the newest `keep` lines of each worker: the keys
 * written are remembered and the oldest are deleted by key in the commit that
 * adds new ones, without reading anything.  Lines an earlier run of the node
 * left (older than the first line this run wrote) are listed and deleted once.
 */
static void sweep(ami_node *node, const char *sid, int64_t first_ts)
{
    json_t *prefix = json_pack("[s, s, s]", node->network, "logs", sid);
    json_t *end = json_pack("[s, s, s, I]", node->network, "logs", sid, (json_int_t)first_ts);
    ami_list_options lo = AMI_LIST_OPTIONS_INIT;
    lo.prefix = prefix;
    lo.end = end;
    lo.limit = 20000;
    json_t *old = NULL;
    ami_atomic *a = NULL;
    if (ami_store_list(&old, node->local, &lo) == 0 && json_array_size(old) && !ami_atomic_new(&a)) {
        size_t i;
        json_t *e;
        size_t have = json_array_size(old);
        size_t keep = (size_t)(node->o.log_ring > 0 ? node->o.log_ring : 200) * AMI__LOG_KEEP_FACTOR;
        ami__log_fifo *f = fifo_of(node, sid, keep);
        size_t room = f && f->len < keep ? keep - f->len : 0;
        /* the newest of them stay while there is room, remembered as the oldest lines */
        for (i = have; i-- > 0;) {
            e = json_array_get(old, i);
            if (have - i <= room) {
                f->head = (f->head + f->cap - 1) % f->cap;
                f->ts[f->head] = (int64_t)json_number_value(json_array_get(json_object_get(e, "key"), 3));
                f->len++;
            } else {
                ami_atomic_delete(a, json_object_get(e, "key"));
            }
        }
        int committed;
        ami_versionstamp vs;
        if (ami_store_commit(node->local, a, &committed, vs))
            ami__log(AMI__LOG_WARN, "node %s: pruning logs: %s", node->nid, ami_error_last());
        ami_atomic_free(a);
    }
    json_decref(old);
    json_decref(end);
    json_decref(prefix);
}

void ami__logs_flush(ami_node *node)
{
    pthread_mutex_lock(&node->log_mu);
    ami__pending_log *head = node->plog_head;
    node->plog_head = node->plog_tail = NULL;
    node->plog_count = 0;
    node->plog_bytes = 0;
    pthread_mutex_unlock(&node->log_mu);
    if (!head) return;
    size_t keep = (size_t)(node->o.log_ring > 0 ? node->o.log_ring : 200) * AMI__LOG_KEEP_FACTOR;
    json_t *to_sweep = json_array();
    while (head) {
        ami_atomic *a = NULL;
        if (ami_atomic_new(&a)) break;
        int n = 0;
        while (head && n < 500) {
            ami__pending_log *p = head;
            head = p->next;
            json_t *k = json_pack("[s, s, s, I]", node->network, "logs", p->sid, (json_int_t)p->ts);
            ami_atomic_set(a, k, p->value, 0);
            json_decref(k);
            ami__log_fifo *f = fifo_of(node, p->sid, keep);
            if (f) {
                /* over the bound: the oldest line goes in the same commit, by key */
                f->ts[(f->head + f->len) % f->cap] = p->ts;
                f->len++;
                while (f->len > keep) {
                    json_t *old = json_pack("[s, s, s, I]", node->network, "logs", p->sid, (json_int_t)f->ts[f->head]);
                    ami_atomic_delete(a, old);
                    json_decref(old);
                    f->head = (f->head + 1) % f->cap;
                    f->len--;
                }
                if (!f->swept) {
                    f->swept = 1;
                    json_array_append_new(to_sweep, json_pack("[s, I]", p->sid, (json_int_t)p->ts));
                }
            }
            ami_free(p->sid);
            json_decref(p->value);
            ami_free(p);
            n++;
        }
        int committed = 0;
        ami_versionstamp vs;
        if (ami_store_commit(node->local, a, &committed, vs))
            ami__log(AMI__LOG_WARN, "node %s: writing logs: %s", node->nid, ami_error_last());
        ami_atomic_free(a);
    }
    while (head) {   /* only when a batch could not be allocated */
        ami__pending_log *p = head;
        head = p->next;
        ami_free(p->sid);
        json_decref(p->value);
        ami_free(p);
    }
    size_t i;
    json_t *s;
    json_array_foreach(to_sweep, i, s)
        sweep(node, json_string_value(json_array_get(s, 0)), json_integer_value(json_array_get(s, 1)));
    json_decref(to_sweep);
}

/* The log thread's nap while no line is queued: only a guard, every wake comes under log_mu
 * (a wake-up of a thread of a big process costs 3–5 ms here at 30,000–50,000 workers). */
#define AMI__LOGS_IDLE_MS 60000

static int logs_quit(ami_node *node) { return __atomic_load_n(&node->threads_quit, __ATOMIC_ACQUIRE); }

void *ami__logs_main(void *arg)
{
    ami_node *node = arg;
    for (;;) {
        /* a nap until the first line (an idle node's log thread does not wake every 100 ms);
         * the look and the wait are under log_mu, which the line's producer holds to wake us */
        pthread_mutex_lock(&node->log_mu);
        while (!logs_quit(node) && !node->plog_head && !node->over_budget)
            ami__cond_wait_ms(&node->logs_cv, &node->log_mu, AMI__LOGS_IDLE_MS);
        /* then let the batch gather: lines are written at most every 100 ms */
        int64_t now;
        while (!logs_quit(node) && (now = ami_time_mono_ms()) < node->logs_next_flush)
            ami__cond_wait_ms(&node->logs_cv, &node->log_mu, node->logs_next_flush - now);
        pthread_mutex_unlock(&node->log_mu);
        if (logs_quit(node)) break;
        node->logs_next_flush = ami_time_mono_ms() + 100;
        pthread_mutex_lock(&node->mu);
        budget_markers(node);
        pthread_mutex_unlock(&node->mu);
        ami__logs_flush(node);
    }
    return NULL;
}

AMI_EXTERN(int) ami_node_logs(json_t **out, ami_node *node, const char *sid, size_t limit)
{
    if (!out || !node || !sid) return ami__error_set(AMI_EINVAL, "ami_node_logs: NULL argument");
    *out = NULL;
    json_t *arr = json_array();
    int from_ring = 0;
    pthread_mutex_lock(&node->mu);
    pthread_mutex_lock(&node->log_mu);
    ami__worker *w = ami__node_find(node, sid);
    if (w && w->ring && w->ring_len > 0) {
        from_ring = 1;
        int n = w->ring_len;
        int first = limit && (size_t)n > limit ? n - (int)limit : 0;
        for (int i = first; i < n; i++) {
            ami__logline *l = &w->ring[(w->ring_head + i) % node->o.log_ring];
            json_array_append_new(arr, json_pack("{s:I, s:s, s:s, s:s, s:s}", "ts", (json_int_t)l->ts, "level", l->level,
                                                 "nid", node->nid, "sid", sid, "msg", l->msg));
        }
    }
    pthread_mutex_unlock(&node->log_mu);
    pthread_mutex_unlock(&node->mu);
    if (!from_ring) {
        /* nothing in memory (e.g. after a restart): what the local store kept */
        json_t *prefix = json_pack("[s, s, s]", node->network, "logs", sid);
        ami_list_options lo = AMI_LIST_OPTIONS_INIT;
        lo.prefix = prefix;
        lo.reverse = 1;
        lo.limit = limit;
        json_t *list = NULL;
        int rc = ami_store_list(&list, node->local, &lo);
        json_decref(prefix);
        if (rc) {
            json_decref(arr);
            return rc;
        }
        for (size_t i = json_array_size(list); i-- > 0;)
            json_array_append(arr, json_object_get(json_array_get(list, i), "value"));
        json_decref(list);
    }
    *out = arr;
    return 0;
}
