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

void ami__log_ring_free(ami__worker *w)
{
    if (!w->ring) return;
    for (int i = 0; i < w->ring_len; i++) ami_free(w->ring[(w->ring_head + i) % w->ring_len].msg);
    ami_free(w->ring);
    w->ring = NULL;
    w->ring_len = w->ring_head = 0;
}

/* The ring holds up to o.log_ring lines: ring_len used, oldest at ring_head. */
static void ring_push(ami_node *node, ami__worker *w, int64_t ts, const char *level, const char *msg)
{
    int cap = node->o.log_ring;
    if (cap <= 0) return;
    if (!w->ring) {
        w->ring = ami_malloc((size_t)cap * sizeof *w->ring);
        if (!w->ring) return;
        w->ring_len = w->ring_head = 0;
    }
    char *copy = ami__strdup(msg);
    if (!copy) return;
    if (w->ring_len < cap) {
        w->ring[(w->ring_head + w->ring_len) % cap] = (ami__logline){ ts, level, copy };
        w->ring_len++;
    } else {
        ami_free(w->ring[w->ring_head].msg);
        w->ring[w->ring_head] = (ami__logline){ ts, level, copy };
        w->ring_head = (w->ring_head + 1) % cap;
    }
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
    if (node->plog_count < AMI__LOG_PENDING_MAX) {
        ami__pending_log *p = ami_malloc(sizeof *p);
        if (p) {
            p->sid = ami__strdup(w->sid);
            p->ts = ts;
            size_t mlen = strlen(msg), keep = ami__utf8_cut(msg, mlen, AMI__LOG_STORE_MAX);
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
                if (node->plog_tail) node->plog_tail->next = p;
                else node->plog_head = p;
                node->plog_tail = p;
                node->plog_count++;
            }
        }
    }
    pthread_mutex_unlock(&node->log_mu);
    if (node->o.log_fn) {
        ami_node_log_record rec = { ts, level, node->nid, w->sid, msg };
        node->o.log_fn(&rec, node->o.log_payload);
    }
}

static void prune(ami_node *node, const char *sid)
{
    size_t keep = (size_t)(node->o.log_ring > 0 ? node->o.log_ring : 200) * AMI__LOG_KEEP_FACTOR;
    json_t *prefix = json_pack("[s, s, s]", node->network, "logs", sid);
    ami_list_options lo = AMI_LIST_OPTIONS_INIT;
    lo.prefix = prefix;
    lo.reverse = 1;
    lo.limit = keep;
    json_t *newest = NULL;
    if (ami_store_list(&newest, node->local, &lo) == 0 && json_array_size(newest) == keep) {
        json_t *cutoff = json_object_get(json_array_get(newest, keep - 1), "key");
        ami_list_options lo2 = AMI_LIST_OPTIONS_INIT;
        lo2.prefix = prefix;
        lo2.end = cutoff;
        lo2.limit = 20000;
        json_t *old = NULL;
        if (ami_store_list(&old, node->local, &lo2) == 0 && json_array_size(old)) {
            ami_atomic *a = NULL;
            if (!ami_atomic_new(&a)) {
                size_t i;
                json_t *e;
                json_array_foreach(old, i, e) ami_atomic_delete(a, json_object_get(e, "key"));
                int committed;
                ami_versionstamp vs;
                ami_store_commit(node->local, a, &committed, vs);
                ami_atomic_free(a);
            }
        }
        json_decref(old);
    }
    json_decref(newest);
    json_decref(prefix);
}

void ami__logs_flush(ami_node *node)
{
    pthread_mutex_lock(&node->log_mu);
    ami__pending_log *head = node->plog_head;
    node->plog_head = node->plog_tail = NULL;
    node->plog_count = 0;
    pthread_mutex_unlock(&node->log_mu);
    if (!head) return;
    size_t keep = (size_t)(node->o.log_ring > 0 ? node->o.log_ring : 200) * AMI__LOG_KEEP_FACTOR;
    json_t *to_prune = json_array();
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
            json_int_t c = json_integer_value(json_object_get(node->log_counts, p->sid)) + 1;
            if ((size_t)c >= keep / 10 + 1) {
                c = 0;
                json_array_append_new(to_prune, json_string(p->sid));
            }
            json_object_set_new(node->log_counts, p->sid, json_integer(c));
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
    json_array_foreach(to_prune, i, s) prune(node, json_string_value(s));
    json_decref(to_prune);
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
