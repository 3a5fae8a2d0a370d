/* Helpers shared by the node tests (header-only; each test is one program). */
#ifndef AMI_TEST_NODE_HELPERS_H
#define AMI_TEST_NODE_HELPERS_H
#include <time.h>
#include <unistd.h>
#include "check.h"
#include "ami/node.h"
#include "ami/election.h"

static inline void nap_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* The store URI of `db`, a SQLite path or a store URI already, written into out; returns out. */
static inline const char *node_store_uri(char *out, size_t cap, const char *db)
{
    snprintf(out, cap, "%s%s", strstr(db, "://") ? "" : "sqlite:", db);
    return out;
}

/* A handle of its own on the store open_node(db, …) opens (the test's view of it); exits on error. */
static inline ami_store *open_store(const char *db)
{
    char uri[600];
    ami_store *st = NULL;
    if (ami_store_open(&st, node_store_uri(uri, sizeof uri, db))) {
        fprintf(stderr, "ami_store_open: %s\n", ami_error_last());
        exit(1);
    }
    return st;
}

/* Short leases so tests run fast (docs/design.md §6: 1000/300/100). */
static inline ami_node *open_node(const char *db, const char *nid, void (*tweak)(ami_node_options *))
{
    ami_node_options o = AMI_NODE_OPTIONS_INIT;
    char uri[600];
    o.store_uri = node_store_uri(uri, sizeof uri, db);
    o.nid = nid;
    o.lease_ms = 1000;
    o.renew_ms = 300;
    o.retry_ms = 100;
    o.heartbeat_ms = 200;
    o.stats_ms = 200;
    o.resync_ms = 1000;
    o.graceful_shutdown_ms = 1000;
    if (tweak) tweak(&o);
    ami_node *n = NULL;
    int rc = ami_node_open(&n, &o);
    if (rc) { fprintf(stderr, "ami_node_open: %s\n", ami_error_last()); exit(1); }
    return n;
}

/* Create a worker from a setWorker-style JSON body; returns its sid (static buffer per call site: copy). */
static inline char *make_worker(ami_store *st, const char *nid, const char *body_json)
{
    json_t *body = check_json(body_json);
    json_t *e = NULL;
    int rc = ami_registry_create(&e, st, nid, body);
    json_decref(body);
    if (rc) { fprintf(stderr, "ami_registry_create: %s\n", ami_error_last()); exit(1); }
    char *sid = strdup(json_string_value(json_object_get(json_object_get(json_object_get(e, "value"), "raw"), "sid")));
    json_decref(e);
    return sid;
}

static inline void update_worker(ami_store *st, const char *sid, const char *raw_json)
{
    json_t *raw = check_json(raw_json);
    json_t *e = NULL;
    int rc = ami_registry_update(&e, st, sid, raw, NULL);
    json_decref(raw);
    json_decref(e);
    if (rc) { fprintf(stderr, "ami_registry_update: %s\n", ami_error_last()); exit(1); }
}

/* This node's stats object for sid (owned), or NULL when not listed. */
static inline json_t *worker_stats(ami_node *n, const char *sid)
{
    json_t *all = NULL;
    if (ami_node_stats(&all, n)) return NULL;
    json_t *found = NULL;
    size_t i;
    json_t *w;
    json_array_foreach(json_object_get(all, "workers"), i, w)
        if (!strcmp(json_string_value(json_object_get(w, "sid")), sid)) found = json_incref(w);
    json_decref(all);
    return found;
}

static inline long long stat_int(ami_node *n, const char *sid, const char *field)
{
    json_t *s = worker_stats(n, sid);
    long long v = s ? json_integer_value(json_object_get(s, field)) : -1;
    json_decref(s);
    return v;
}

/* stats field as a string ("" when absent). */
static inline const char *stat_str(ami_node *n, const char *sid, const char *field)
{
    static char buf[256];
    json_t *s = worker_stats(n, sid);
    snprintf(buf, sizeof buf, "%s", s && json_string_value(json_object_get(s, field)) ? json_string_value(json_object_get(s, field)) : "");
    json_decref(s);
    return buf;
}

static inline int stat_running(ami_node *n, const char *sid)
{
    json_t *s = worker_stats(n, sid);
    int r = s && json_is_true(json_object_get(s, "isRunning"));
    json_decref(s);
    return r;
}

/* 1 when every one of the `count` workers in `sids` runs on n within ms, else 0. */
static inline int all_running(ami_node *n, char *const *sids, int count, int ms)
{
    int64_t t0 = ami_time_mono_ms();
    for (;;) {
        int all = 1;
        for (int i = 0; i < count && all; i++) all = stat_running(n, sids[i]);
        if (all) return 1;
        if (ami_time_mono_ms() - t0 >= ms) return 0;
        nap_ms(100);
    }
}

/* How many log lines of worker `sid` the node keeps in its node-local store. */
static inline size_t local_log_lines(ami_node *n, const char *sid)
{
    json_t *prefix = json_pack("[s, s, s]", "localnet", "logs", sid), *list = NULL;
    ami_list_options lo = AMI_LIST_OPTIONS_INIT;
    lo.prefix = prefix;
    ami_store_list(&list, ami_node_local_store(n), &lo);
    size_t c = json_array_size(list);
    json_decref(list);
    json_decref(prefix);
    return c;
}

/* Wait up to ms for cond (polled every 5 ms); returns elapsed ms or -1. */
#define WAIT_FOR(cond, ms) ({ int64_t t0_ = ami_time_mono_ms(), r_ = -1; \
    while (ami_time_mono_ms() - t0_ < (ms)) { if (cond) { r_ = ami_time_mono_ms() - t0_; break; } nap_ms(5); } r_; })

#endif
